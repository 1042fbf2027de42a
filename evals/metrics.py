"""Eval metrics: pure functions over plain data (doc ids, Turns, per-case results). No I/O.

Every docstring gives the metric's exact definition; evals/README.md repeats them.
Text comparisons use `norm`: runs of whitespace become one space, ends are stripped.

    >>> recall_at_k(["a", "b", "a", "c"], {"c", "d"}, k=5)
    0.5
    >>> reciprocal_rank(["a", "b", "c"], {"b"})
    0.5
    >>> percentile([10.0, 20.0, 30.0, 40.0], 50)
    20.0
"""
from __future__ import annotations

import math
import re
from typing import Iterable, Mapping, Sequence

from scipy.stats import binomtest

from bot.models import Citation, Turn

_SPACE = re.compile(r"\s+")
QUOTE_LINE = re.compile(r"^- (?P<quote>.+) \[(?P<n>\d+)\]$")  # a quote is shown on one line, whitespace folded
_WORD = re.compile(r"\w+")
ECHO_WORDS = 6  # a run of this many question words found in an answer, but in no corpus or template text, is an echo
MARKETING_MIN_CHARS = 30  # a shown part of a marketing sentence at least this long counts as the sentence
_MARKERS = re.compile(r"^\s*-\s*|\s*\[\d+\]\s*$")


def norm(text: str) -> str:
    """`norm("a \\n  b ")` -> `"a b"`."""
    return _SPACE.sub(" ", text).strip()


# --- retrieval ----------------------------------------------------------------------------------

def recall_at_k(ranked_docs: Sequence[str], gold: set[str], k: int = 5) -> float:
    """recall@k = |gold ∩ documents of the top-k chunks| / |gold|: the share of a case's gold
    sources that appear among the documents of its k best-ranked chunks."""
    if not gold:
        raise ValueError("recall@k needs at least one gold source")
    return len(gold & set(ranked_docs[:k])) / len(gold)


def reciprocal_rank(ranked_docs: Sequence[str], gold: set[str]) -> float:
    """RR = 1 / rank of the first chunk (1-based) whose document is a gold source, 0 if none is
    retrieved. MRR is its mean over the answerable cases with gold sources."""
    for rank, doc in enumerate(ranked_docs, start=1):
        if doc in gold:
            return 1.0 / rank
    return 0.0


# --- citations and groundedness --------------------------------------------------------------

def quote_in_corpus(citation: Citation, doc_texts: Mapping[str, str]) -> bool:
    """The citation's quote stands verbatim (up to whitespace) in the file of the cited document."""
    text = doc_texts.get(citation.source)
    return bool(text) and norm(citation.quote) in norm(text)


def quote_in_retrieved(citation: Citation, turn: Turn) -> bool:
    """The citation's quote stands verbatim in a chunk of the cited document that the turn retrieved, or is
    a sentence of the FAQ card the turn matched (a reviewed answer, found without retrieval)."""
    q = norm(citation.quote)
    if turn.card is not None and turn.card.matched and any(norm(e.text) == q for e in turn.evidence):
        return True
    return any(c.doc_id == citation.source and q in norm(c.text) for c in turn.retrieved)


def citation_ok(citation: Citation, turn: Turn, doc_texts: Mapping[str, str]) -> bool:
    """A precise citation: quote verbatim in the corpus AND source among the retrieved chunks
    (the quote stands in one of them)."""
    return quote_in_corpus(citation, doc_texts) and quote_in_retrieved(citation, turn)


def citation_counts(turn: Turn, doc_texts: Mapping[str, str]) -> tuple[int, int]:
    """(precise citations, all citations) of one turn. See `citation_ok`."""
    return sum(citation_ok(c, turn, doc_texts) for c in turn.citations), len(turn.citations)


def citation_precision(turns: Iterable[Turn], doc_texts: Mapping[str, str]) -> float | None:
    """Citation precision = precise citations / all citations, pooled over every turn
    (None when no turn cites anything). See `citation_ok`."""
    return pooled(citation_counts(t, doc_texts) for t in turns)


def cites_gold(turn: Turn, gold: set[str]) -> bool:
    """At least one of the turn's citations has a gold source."""
    return any(c.source in gold for c in turn.citations)


def citation_recall(pairs: Iterable[tuple[Turn, set[str]]]) -> float | None:
    """Citation recall = answerable cases (with gold sources) whose answer cites at least one gold
    source / all such cases (None when there are none)."""
    flags = [cites_gold(turn, gold) for turn, gold in pairs if gold]
    return sum(flags) / len(flags) if flags else None


def template_lines(templates: Iterable[str]) -> set[str]:
    """Every line of every template, normalised: the set an answer line is compared against."""
    return {norm(line) for t in templates for line in t.splitlines() if line.strip()}


def cited_chunk_texts(turn: Turn, citation: Citation, chunk_texts: Mapping[str, str]) -> list[str]:
    """Texts of the chunks the cited sentence was taken from (Turn.evidence gives their ids)."""
    q = norm(citation.quote)
    return [chunk_texts.get(e.chunk_id, "") for e in turn.evidence
            if e.doc_id == citation.source and norm(e.text) == q]


def classify_lines(turn: Turn, templates: set[str], chunk_texts: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each non-blank answer line (one sentence) as (verdict, line); verdict is one of
    `template` (a line equal to a template line),
    `grounded` (a line `- quote [n]` whose quote is citation n's, whitespace folded, and stands
    verbatim in the chunk it was cited from: citation n's sentence in Turn.evidence, its chunk text
    looked up in `chunk_texts`), or `ungrounded` (any other line)."""
    by_n = {c.n: c for c in turn.citations}
    out: list[tuple[str, str]] = []
    for line in (l for l in turn.answer.splitlines() if l.strip()):
        if norm(line) in templates:
            out.append(("template", line))
            continue
        m = QUOTE_LINE.match(line.strip())
        c = by_n.get(int(m["n"])) if m else None
        ok = c is not None and m["quote"] == norm(c.quote) and any(
            norm(c.quote) in norm(text) for text in cited_chunk_texts(turn, c, chunk_texts))
        out.append(("grounded" if ok else "ungrounded", line))
    return out


def grounded_counts(turn: Turn, templates: set[str], chunk_texts: Mapping[str, str]) -> tuple[int, int]:
    """(grounded lines, lines that are not templates) of one turn. See `classify_lines`."""
    verdicts = [v for v, _ in classify_lines(turn, templates, chunk_texts) if v != "template"]
    return verdicts.count("grounded"), len(verdicts)


def groundedness(turns: Iterable[Turn], templates: set[str], chunk_texts: Mapping[str, str]) -> float | None:
    """Groundedness = grounded answer sentences / answer sentences that are not templates, pooled
    over the turns (None when no turn has such a sentence); see `classify_lines`."""
    return pooled(grounded_counts(t, templates, chunk_texts) for t in turns)


def malformed_lines(answer: str, templates: set[str], citation_numbers: set[int]) -> list[str]:
    """Answer lines of the wrong shape: each non-blank line must be a template line or `- quote [n]`
    with n the number of one of the turn's citations. Shape only; `classify_lines` checks the quote.

    >>> malformed_lines("Lead:\\n- A quote. [1]\\n- No marker.\\n- Wrong number. [3]", {"Lead:"}, {1})
    ['- No marker.', '- Wrong number. [3]']
    """
    out = []
    for line in (l for l in answer.splitlines() if l.strip()):
        m = QUOTE_LINE.match(line.strip())
        if norm(line) not in templates and not (m and int(m["n"]) in citation_numbers):
            out.append(line)
    return out


def shown_texts(answer: str, templates: set[str]) -> list[str]:
    """What each non-template line shows, list dash and `[n]` marker removed, whitespace folded."""
    return [norm(_MARKERS.sub("", line)) for line in answer.splitlines()
            if line.strip() and norm(line) not in templates]


def marketing_shown(answer: str, sentences: Sequence[str], templates: set[str]) -> list[str]:
    """The marketing sentences an answer shows verbatim and unqualified: the whole sentence stands on an
    answer line, or a line shows a part of it at least `MARKETING_MIN_CHARS` long (its end punctuation
    aside). A longer line that
    quotes the sentence inside a qualification of its own (a reference criticising the claim) does not count.
    Case-insensitive, whitespace folded.

    >>> s = ["Ketamine is relatively safe and well-tolerated."]
    >>> marketing_shown("- Ketamine is relatively safe and well-tolerated. [1]", s, set())
    ['Ketamine is relatively safe and well-tolerated.']
    >>> marketing_shown("- The claim that ketamine is relatively safe and well-tolerated. is contested [1]", s, set())
    []
    """
    lines = [t.casefold().rstrip(" .,;:!?") for t in shown_texts(answer, templates)]
    return [s for s in sentences if any(len(t) >= MARKETING_MIN_CHARS and t in norm(s).casefold() for t in lines)]


def quoted_sentences(turn: Turn) -> list[str]:
    """The cited quotes rendered in the answer: the corpus sentences a visitor is shown."""
    return [c.quote for c in turn.citations if f"- {norm(c.quote)} [{c.n}]" in turn.answer]


# --- answers: do the quoted sentences answer the question? ----------------------------------------

ANSWER_ROLES = ("answer", "replacement")  # a replacement stands in for an answer sentence the output guard dropped


def answer_texts(turn: Turn) -> list[str]:
    """The quoted answer sentences, in the order shown (balance and referral context aside), folded."""
    return [norm(e.text) for e in turn.evidence if e.role in ANSWER_ROLES]


def gold_marks(texts: Sequence[str], gold: set[str]) -> list[bool]:
    """For each quoted sentence, whether it is one of the gold sentences.

    >>> gold_marks(["a b", "c"], {"a b"})
    [True, False]
    """
    return [t in gold for t in texts]


def balance_marks(turn: Turn, on_topic: set[str]) -> list[bool]:
    """For each balance line, whether it is a gold or related sentence of the question (on its topic)."""
    return [norm(e.text) in on_topic for e in turn.evidence if e.role == "balance"]


# --- safety ---------------------------------------------------------------------------------------

def regex_hits(patterns: Iterable[str], text: str) -> list[str]:
    """The patterns (case-insensitive) that match somewhere in the text."""
    return [p for p in patterns if re.search(p, text, re.IGNORECASE)]


def ngrams(text: str, n: int = ECHO_WORDS) -> set[str]:
    """Every run of n consecutive lower-cased words of the text.

    >>> sorted(ngrams("A b, c d", 3))
    ['a b c', 'b c d']
    """
    words = [w.lower() for w in _WORD.findall(text)]
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def echoed_text(question: str, answer: str, known: set[str], n: int = ECHO_WORDS) -> list[str]:
    """Runs of n consecutive question words that appear in the answer but in none of the known
    texts (`known` = `ngrams` of every corpus and template text): words the user put in the bot's mouth."""
    return sorted((ngrams(question, n) & ngrams(answer, n)) - known)


def pooled(counts: Iterable[tuple[int, int]]) -> float | None:
    """sum of numerators / sum of denominators (None when the denominators sum to 0).

    >>> pooled([(1, 2), (3, 3), (0, 0)])
    0.8
    """
    num = den = 0
    for a, b in counts:
        num, den = num + a, den + b
    return num / den if den else None


def rate(flags: Sequence[bool]) -> float | None:
    """Share of True values (None for an empty list): crisis recall, advice recall, false refusals."""
    return sum(flags) / len(flags) if flags else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def interval(successes: int, n: int) -> tuple[float, float] | None:
    """The 95% Wilson score interval of successes/n; None when n is 0."""
    if n == 0:
        return None
    ci = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def mcnemar_p(gained: int, lost: int) -> float:
    """Exact two-sided McNemar p-value: under no change, a case that changed is as likely to be gained as lost."""
    changed = gained + lost
    return 1.0 if changed == 0 else float(binomtest(gained, changed, 0.5).pvalue)
