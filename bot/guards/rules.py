"""Guard data, loaded once from the reviewed YAML files in bot/data and compiled.

Lexicon patterns are matched against `fold(text)` and, for crisis and advice, its other readings
(bot/guards/normalise.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import yaml

from bot import yamlfile
from bot.config import DATA_DIR
from bot.embed import Embedder
from bot.guards.normalise import fold, matching_forms, unleet  # noqa: F401  (re-exported: guards import them from here)

_FRAGMENT = re.compile(r"\{([a-z_]+)\}")
MAX_FRAGMENT_DEPTH = 3
REQUIRED_MESSAGES = ("crisis", "check_in", "needs_clinician", "out_of_scope", "other_language", "about_bot", "injection_refusal",
                     "invalid_empty", "invalid_too_long", "invalid_binary", "invalid_no_words")


@dataclass(frozen=True)
class Rule:
    """One named lexicon entry: every one of its regexes matches somewhere and none of `unless` does."""

    name: str
    regexes: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()

    def matches(self, folded: str) -> bool:
        return all(r.search(folded) for r in self.regexes) and not any(u.search(folded) for u in self.unless)


@dataclass(frozen=True)
class CrisisRules:
    rules: tuple[Rule, ...]
    topic: re.Pattern[str]
    disclosure_after_topic: re.Pattern[str]
    personal: re.Pattern[str]
    distress: re.Pattern[str]  # first-person distress: never a bare no-answer or out-of-scope reply
    exemplars: tuple[str, ...]
    contrast: tuple[str, ...]
    threshold: float
    margin: float
    concern: float  # a lower similarity that adds the 988 line to the answer


@dataclass(frozen=True)
class ScopeRules:
    in_scope: re.Pattern[str]
    off_topic: re.Pattern[str]
    off_task: re.Pattern[str]
    about_bot: re.Pattern[str]
    in_examples: tuple[str, ...]
    out_examples: tuple[str, ...]
    margin: float


@dataclass(frozen=True)
class LanguageRules:
    english: frozenset[str]
    other: Mapping[str, frozenset[str]]  # language name -> its common words
    non_latin_share: float


@dataclass(frozen=True)
class InjectionRules:
    blocks: tuple[re.Pattern[str], ...]  # removed with their content
    markers: tuple[tuple[re.Pattern[str], bool], ...]  # (fake role tag, remove the rest of its sentence too)
    directives: tuple[Rule, ...]
    asserts: tuple[Rule, ...]


@dataclass(frozen=True)
class OutputRules:
    overclaims: tuple[Rule, ...]  # one regex each
    any_overclaim: re.Pattern[str]  # all of them in one alternation: one scan rules out a clean sentence
    negators: re.Pattern[str]
    post_negators: re.Pattern[str]
    clause_breaks: re.Pattern[str]
    negation_window: int
    fda_claim: re.Pattern[str]
    fda_subject: re.Pattern[str]
    fda_exempt: re.Pattern[str]
    dose_amount: re.Pattern[str]


@dataclass(frozen=True)
class GuardRules:
    crisis: CrisisRules
    advice: tuple[Rule, ...]
    scope: ScopeRules
    language: LanguageRules
    injection: InjectionRules
    output: OutputRules
    messages: Mapping[str, str]  # raw texts of guard_messages.yaml, filled with bot.templates.fill
    resources: tuple[Mapping[str, str], ...]  # crisis_resources.yaml, for the UI
    # advice.yaml groups added after the learned detectors were fitted: their verdict refers, but is not the
    # detectors' `advice` feature (bot.guards.advice.as_feature), which they learned from the other groups
    advice_not_features: frozenset[str] = frozenset()
    # advice.yaml groups that may have a veto bar of their own (bot.guards.train.group_veto_bars)
    advice_own_veto: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExemplarVectors:
    """Exemplar embeddings, computed once at start-up (rows are L2-normalised)."""

    crisis: np.ndarray
    contrast: np.ndarray
    scope_in: np.ndarray
    scope_out: np.ndarray


class _File:
    """One YAML file, with errors that name the file and the key."""

    def __init__(self, data_dir: Path, name: str) -> None:
        self.name = name
        try:
            self.data = yamlfile.safe_load((data_dir / name).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{name}: cannot read ({exc})") from exc
        if not isinstance(self.data, dict):
            raise ValueError(f"{name}: expected a mapping at the top level")
        self.fragments = {k: str(v) for k, v in (self.data.get("fragments") or {}).items()}

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"{self.name}: missing key {key!r}")
            node = node[part]
        if not isinstance(node, kind) or isinstance(node, bool):
            raise ValueError(f"{self.name}: key {key!r} should be {getattr(kind, '__name__', kind)}")
        return node

    def regex(self, key: str, pattern: object | None = None, flags: int = 0) -> re.Pattern[str]:
        pattern = self.get(key, str) if pattern is None else pattern
        if not isinstance(pattern, str) or not pattern.strip():
            raise ValueError(f"{self.name}: key {key!r} should be a non-empty pattern")
        expanded = pattern
        for _ in range(MAX_FRAGMENT_DEPTH):  # a fragment may use fragments
            expanded = _FRAGMENT.sub(lambda m: self.fragments.get(m.group(1), m.group(0)), expanded)
        try:
            return re.compile(expanded, flags)
        except re.error as exc:
            raise ValueError(f"{self.name}: key {key!r}: bad pattern {pattern!r} ({exc})") from exc

    def rules(self, key: str) -> tuple[Rule, ...]:
        """`key` holds a list of entries (a pattern, or {all: [...], unless: [...]}), or a mapping group -> list."""
        node = self.get(key, (dict, list))
        out: list[Rule] = []
        for group, entries in (node if isinstance(node, dict) else {key: node}).items():
            if not isinstance(entries, list) or not entries:
                raise ValueError(f"{self.name}: key {key}.{group!s} should be a non-empty list")
            for i, entry in enumerate(entries):
                where = f"{key}.{group}[{i}]"
                parts = entry.get("all") if isinstance(entry, dict) else [entry]
                unless = entry.get("unless", []) if isinstance(entry, dict) else []
                if not isinstance(parts, list) or not parts or not isinstance(unless, list):
                    raise ValueError(f"{self.name}: key {where!r} should be a pattern or {{all: [patterns], unless: [patterns]}}")
                out.append(Rule(str(group), tuple(self.regex(where, p) for p in parts),
                                tuple(self.regex(f"{where}.unless", p) for p in unless)))
        return tuple(out)

    def texts(self, key: str) -> tuple[str, ...]:
        items = self.get(key, list)
        if not items or not all(isinstance(t, str) and t.strip() for t in items):
            raise ValueError(f"{self.name}: key {key!r} should be a non-empty list of sentences")
        return tuple(t.strip() for t in items)

    def words(self, key: str) -> frozenset[str]:
        items = self.get(key, list)
        if not items or not all(isinstance(w, str) and w.strip() for w in items):
            raise ValueError(f"{self.name}: key {key!r} should be a non-empty list of words")
        return frozenset(fold(w) for w in items)

    def number(self, key: str) -> float:
        return float(self.get(key, (int, float)))

    def records(self, key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        items = self.get(key, list)
        for n, item in enumerate(items):
            if not isinstance(item, dict) or not all(f in item for f in fields):
                raise ValueError(f"{self.name}: key '{key}[{n}]' needs {', '.join(fields)}")
        return items


def load_rules(data_dir: Path = DATA_DIR) -> GuardRules:
    """Read and compile every guard file. Raises ValueError naming the file and key on malformed data."""
    c, a, s, i, o = (_File(data_dir, n) for n in ("crisis.yaml", "advice.yaml", "scope.yaml", "injection.yaml", "overclaim.yaml"))
    m, r = _File(data_dir, "guard_messages.yaml"), _File(data_dir, "crisis_resources.yaml")
    g = _File(data_dir, "language.yaml")
    language = LanguageRules(g.words("english"), MappingProxyType({str(name): g.words(f"other.{name}")
                                                                  for name in g.get("other", dict)}),
                             g.number("non_latin_share"))
    crisis = CrisisRules(c.rules("patterns"), c.regex("topic"), c.regex("disclosure_after_topic"), c.regex("personal"),
                         c.regex("distress"), c.texts("exemplars"), c.texts("contrast"), c.number("similarity.threshold"),
                         c.number("similarity.margin"), c.number("similarity.concern"))
    scope = ScopeRules(s.regex("in_scope"), s.regex("off_topic"), s.regex("off_task"), s.regex("about_bot"),
                       s.texts("in_examples"), s.texts("out_examples"), s.number("similarity.margin"))
    raw_flags = re.IGNORECASE | re.DOTALL
    markers = tuple((i.regex(f"markers[{n}]", e["pattern"], raw_flags), bool(e["with_sentence"]))
                    for n, e in enumerate(i.records("markers", ("pattern", "with_sentence"))))
    injection = InjectionRules(tuple(i.regex(f"blocks[{n}]", p, raw_flags) for n, p in enumerate(i.get("blocks", list))),
                               markers, i.rules("directives"), i.rules("asserts"))
    claims = tuple(Rule(str(k), (o.regex(f"overclaims.{k}", v),)) for k, v in o.get("overclaims", dict).items())
    output = OutputRules(claims, re.compile("|".join(f"(?:{r.regexes[0].pattern})" for r in claims)),
                         o.regex("negators"), o.regex("post_negators"), o.regex("clause_breaks"),
                         int(o.number("negation_window")), o.regex("fda.claim"), o.regex("fda.subject"),
                         o.regex("fda.exempt"), o.regex("dose_amount"))
    messages = MappingProxyType({key: m.get(key, str) for key in REQUIRED_MESSAGES})
    fields = ("name", "how", "when", "source")
    resources = tuple(MappingProxyType({k: str(e[k]) for k in fields}) for e in r.records("resources", fields))
    not_features = frozenset(str(g) for g in (a.data.get("not_detector_features") or []))
    if unknown := not_features - set(a.get("patterns", dict)):
        raise ValueError(f"advice.yaml: not_detector_features names no group of patterns: {sorted(unknown)}")
    own_veto = frozenset(str(g) for g in (a.data.get("own_veto") or []))
    if unknown := own_veto - set(a.get("patterns", dict)):
        raise ValueError(f"advice.yaml: own_veto names no group of patterns: {sorted(unknown)}")
    return GuardRules(crisis, a.rules("patterns"), scope, language, injection, output, messages, resources, not_features,
                      own_veto)


def exemplar_vectors(rules: GuardRules, embedder: Embedder) -> ExemplarVectors:
    """Embed every exemplar in one batch, once at start-up."""
    groups = (rules.crisis.exemplars, rules.crisis.contrast, rules.scope.in_examples, rules.scope.out_examples)
    vecs = np.asarray(embedder.embed_batch([t for g in groups for t in g]), dtype=np.float32)
    bounds = np.cumsum([0, *(len(g) for g in groups)])
    return ExemplarVectors(*(vecs[bounds[n]:bounds[n + 1]] for n in range(4)))


def nearest(query_vec: np.ndarray, matrix: np.ndarray) -> float:
    """Highest cosine similarity of a normalised vector to the rows of `matrix` (-1 when empty)."""
    return float(np.max(matrix @ query_vec)) if len(matrix) else -1.0
