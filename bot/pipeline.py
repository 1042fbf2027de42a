"""The answer pipeline, wired in one place:

validate → embed once → input guard → retrieve → select evidence → compose → output guard → Turn.
"""
from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import yaml

from bot import index, store
from bot.compose import Draft, draft_answer, render
from bot.config import DATA_DIR, MAX_QUESTION_CHARS, Settings, load_settings
from bot.embed import Embedder, MiniLMEmbedder
from bot.followup import follow_on
from bot.guards.crisis import check_crisis
from bot.guards.injection import check_injection
from bot.guards.input import screen
from bot.guards.output import output_guard
from bot.guards.rules import GuardRules, exemplar_vectors, load_rules
from bot.guards.validate import validate
from bot.models import ScoredChunk, Turn
from bot.retrieve import HybridRetriever, LexicalIndex, Mode
from bot.select import BalanceRule, Selection, SentenceBank, load_rules as load_balance_rules, select_evidence
from bot.templates import templates

log = logging.getLogger(__name__)


@dataclass
class Bot:
    settings: Settings
    embedder: Embedder
    data: index.IndexData
    retriever: HybridRetriever
    bank: SentenceBank
    rules: GuardRules
    balance_rules: list[BalanceRule]
    max_balance: int
    templates: dict[str, str]
    exemplars: object

    @classmethod
    def load(cls, settings: Settings | None = None, embedder: Embedder | None = None) -> "Bot":
        """Heavy: the model, the index and the guard data. Build once per process."""
        settings = settings or load_settings()
        data = index.load(settings)
        embedder = embedder or MiniLMEmbedder(settings.model_path)
        if data.manifest.get("model") != embedder.name:
            raise index.IndexMissing(f"index built with {data.manifest.get('model')!r}, serving with {embedder.name!r}; rebuild it")
        vector_store = store.open_store(settings, data.path / "chroma", settings.collection, embedder)
        retriever = HybridRetriever(store=vector_store, lexical=LexicalIndex(list(data.chunks.values())),
                                    chunks=data.chunks, embedder=embedder, k=settings.top_k, rrf_k=settings.rrf_k)
        balance_rules, max_balance = load_balance_rules(DATA_DIR / "balance.yaml")
        clinic_docs = frozenset(d.id for d in data.docs.values() if d.is_clinic)
        relevance = yaml.safe_load((DATA_DIR / "relevance.yaml").read_text(encoding="utf-8"))
        bank = SentenceBank.build(data.sentences, data.sentence_vectors, clinic_docs, balance_rules,
                                  extra_text=[f"{c.section} {c.text}" for c in data.chunks.values()]
                                  + [d.title for d in data.docs.values()],
                                  generic=relevance["generic"], topics=relevance["topics"],
                                  logistics=relevance["logistics"],
                                  never_quoted=f'(?:{relevance["not_standalone"]})|(?:{relevance["source_notes"]})')
        rules = load_rules()
        return cls(settings, embedder, data, retriever, bank, rules, balance_rules, max_balance,
                   templates(settings.clinic), exemplar_vectors(rules, embedder))

    @property
    def docs(self):  # document id -> DocMeta
        return self.data.docs

    def chunk_text(self, chunk_id: str) -> str:
        return self.data.chunks[chunk_id].text

    def retrieve(self, question: str, mode: Mode = "hybrid", k: int = 5) -> list[ScoredChunk]:
        return self.retriever.retrieve_scored(question, self.embedder.embed_query(question), mode=mode, k=k)

    def answer(self, question: object, previous: str | None = None) -> Turn:
        """Never raises: a failure inside the pipeline ends in a safe answer. `previous`: the visitor's
        question before this one, in a chat, for follow-ups such as "does it work?" (bot/followup.py)."""
        started = time.perf_counter()
        turn = Turn(question=question if isinstance(question, str) else "")
        try:
            self._run(question, turn, previous)
        except Exception:  # the visitor sees a safe message; staff see the log
            log.exception("pipeline failure")
            turn = Turn(question=turn.question, kind="no_answer", answer=self.templates["error"],
                        flags=["error"], guards=turn.guards, timings_ms=turn.timings_ms)
        turn.latency_ms = (time.perf_counter() - started) * 1000
        self._log(turn)
        return turn

    def _run(self, question: object, turn: Turn, previous: str | None = None) -> None:
        with _timed(turn, "validate"):
            verdict, text = validate(question, MAX_QUESTION_CHARS)
        turn.question, turn.guards = text or turn.question, [verdict]
        if verdict.fired:
            return _finish(turn, "invalid_input", self.templates[verdict.detail["message_key"]], ["validate"])
        with _timed(turn, "embed"):
            query_vec = self.embedder.embed_query(text)
        prior = _readable(previous)  # the crisis guard reads it as context; a follow-up may be read with it
        with _timed(turn, "input_guard"):
            decision = screen(text, query_vec, self.rules, self.exemplars, self.settings.clinic, prior)
        turn.guards += decision.verdicts
        turn.flags += decision.flags
        if decision.kind in ("crisis", "out_of_scope"):
            return _finish(turn, decision.kind, decision.message, [])
        if decision.question != text:  # an injection wrapper was stripped: retrieve on the genuine part
            with _timed(turn, "embed"):
                query_vec = self.embedder.embed_query(decision.question)
        turn.retrieved, selection = self._evidence(decision.question, query_vec, turn)
        if prior and not selection.relevant(self.settings.min_relevance):
            selection = self._read_as_follow_up(decision.question, prior, turn) or selection
        with _timed(turn, "compose"):
            draft = self._draft(decision.kind, decision.message, selection)
        with _timed(turn, "output_guard"):
            draft, verdicts = output_guard(draft, selection.alternates, self.rules, self.templates["disclaimer"])
            turn.guards += verdicts
            turn.flags += [v.name for v in verdicts if v.fired and v.name != "disclaimer"]
            if draft.kind == "answered" and not any(i.role != "balance" for i in draft.items):
                draft = self._no_answer()
            if decision.add_crisis_line:
                draft.notes.append(self.templates["crisis_line"])
            turn.evidence = draft.items
            turn.answer, turn.citations = render(draft, self.docs, self.templates["balance_lead"])
        turn.kind = draft.kind

    def _read_as_follow_up(self, question: str, previous: str, turn: Turn) -> Selection | None:
        """"does it work?" after "What is KAP?": evidence for the two read together (bot/followup.py), kept
        only if it speaks to what this question adds ("is it addictive?" needs "addictive")."""
        earlier = self._earlier_question(previous)
        joined = follow_on(question, earlier)
        if not joined:
            return None
        with _timed(turn, "embed"):
            joined_vec = self.embedder.embed_query(joined)
        retrieved, selection = self._evidence(joined, joined_vec, turn)
        if not self.bank.covers(self.bank.salient_terms(question), selection.items):
            return None
        turn.retrieved, turn.follow_up_of = retrieved, earlier or ""
        return selection

    def _earlier_question(self, previous: str) -> str | None:
        """The genuine part of the previous question (injection wrappers stripped), unless it was a crisis
        message: a crisis is never retrieval context."""
        if check_crisis(previous, None, self.rules.crisis, None).fired:
            return None
        return check_injection(previous, self.rules.injection)[1] or None

    def _evidence(self, question: str, query_vec: np.ndarray, turn: Turn) -> tuple[list[ScoredChunk], Selection]:
        with _timed(turn, "retrieve"):
            retrieved = self.retriever.retrieve_scored(question, query_vec)
        with _timed(turn, "select"):
            return retrieved, select_evidence(question, query_vec, retrieved, self.bank, self.balance_rules,
                                              self.max_balance, self.settings.min_sentence, self.settings.max_sentences)

    def _draft(self, kind: str | None, message: str, selection: Selection) -> Draft:
        relevant = selection.relevant(self.settings.min_relevance)
        if kind == "needs_clinician":  # general, cited context may follow the referral
            items = [i.model_copy(update={"role": "context"}) for i in selection.items] if relevant else []
            return draft_answer("needs_clinician", items[:2], lead=message)
        if not relevant:
            return self._no_answer()
        return draft_answer("answered", selection.items, lead=self.templates["answered_lead"])

    def _no_answer(self) -> Draft:
        return draft_answer("no_answer", [], lead=self.templates["no_answer"])

    def _log(self, turn: Turn) -> None:
        """Only when staff switched logging on; redacted before anything is written."""
        if not self.settings.log_questions:
            return
        from bot.privacy import open_private, redact

        record = {"question": redact(turn.question), "kind": turn.kind, "flags": turn.flags,
                  "sources": [c.source for c in turn.citations], "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with open_private(self.settings.data_dir / "questions.jsonl") as fh:  # 0600: visitor text
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _readable(previous: object) -> str | None:
    """The previous question as validation leaves it, or None when it would be refused as input."""
    if not isinstance(previous, str):
        return None
    verdict, text = validate(previous, MAX_QUESTION_CHARS)
    return None if verdict.fired else text


def _finish(turn: Turn, kind: str, message: str, flags: list[str]) -> None:
    turn.kind, turn.answer = kind, message  # type: ignore[assignment]
    turn.flags += flags


@contextmanager
def _timed(turn: Turn, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        turn.timings_ms[stage] = round(turn.timings_ms.get(stage, 0.0) + (time.perf_counter() - started) * 1000, 3)


_default: Bot | None = None


def answer(question: object, previous: str | None = None) -> Turn:
    """`from bot import answer`: the default bot, loaded on first use."""
    global _default
    if _default is None:
        _default = Bot.load()
    return _default.answer(question, previous)
