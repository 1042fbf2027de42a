"""The answer pipeline, wired in one place:

validate → embed once → input guard → clinic topic → FAQ card match (on the question part too, when the
         message carries context: bot/focus.py) → retrieve → select evidence → compose → output guard → Turn.

A question only the clinic can answer gets the clinic's own statements or a pointer to the clinic; a matched
FAQ card answers with its reviewed sentences; every other question falls through to retrieval.
"""
from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from bot import card_model, clinic_model, index, sentence_model, store, yamlfile
from bot.card_model import CardClassifier
from bot.cards import not_covered_templates, template_key
from bot.clinic_model import ClinicModel
from bot.clinic_topics import ClinicTopic, load_topics, recognise, topic_templates
from bot.compose import Draft, draft_answer, render
from bot.config import DATA_DIR, MAX_QUESTION_CHARS, Settings, load_settings
from bot.embed import Embedder, MiniLMEmbedder
from bot.focus import question_part
from bot.followup import follow_on
from bot.guards.crisis import check_crisis
from bot.guards.injection import check_injection
from bot.guards import learned
from bot.guards.input import screen
from bot.guards.output import output_guard, problems
from bot.guards.rules import GuardRules, exemplar_vectors, load_rules
from bot.guards.validate import spaced_reading, validate
from bot.match import NEAREST_NOT_COVERED, CardMatcher, declines_as_not_covered
from bot.models import CardMatch, ScoredChunk, Turn
from bot.qtype import QuestionTypes
from bot.retrieve import HybridRetriever, LexicalIndex, Mode
from bot.select import BalanceRule, Selection, SentenceBank, load_rules as load_balance_rules, select_evidence
from bot.sentence_model import SentenceModel
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
    matcher: CardMatcher
    clinic_topics: list[ClinicTopic]
    question_types: QuestionTypes
    detectors: learned.Detectors | None = None
    clinic_model: ClinicModel | None = None
    card_model: CardClassifier | None = None
    sentence_model: SentenceModel | None = None

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
        rules = load_rules()
        clinic_docs = frozenset(d.id for d in data.docs.values() if d.is_clinic)
        blocked = frozenset(s.id for s in data.sentences if any(problems(s.text, rules).values()))
        relevance = yamlfile.safe_load((DATA_DIR / "relevance.yaml").read_text(encoding="utf-8"))
        bank = SentenceBank.build(data.sentences, data.sentence_vectors, clinic_docs, balance_rules,
                                  extra_text=[f"{c.section} {c.text}" for c in data.chunks.values()]
                                  + [d.title for d in data.docs.values()],
                                  generic=relevance["generic"], topics=relevance["topics"],
                                  logistics=relevance["logistics"],
                                  never_quoted=f'(?:{relevance["not_standalone"]})|(?:{relevance["source_notes"]})',
                                  blocked=blocked, about_source=relevance["about_a_source"])
        matcher = CardMatcher.build(data.cards, data.card_vectors, data.card_owner, settings.card_threshold,
                                    settings.card_margin, settings.card_lexical_weight)
        texts = templates(settings.clinic)
        topics = load_topics()
        texts.update(topic_templates(texts["clinic_topic"], topics))
        texts.update(not_covered_templates(texts["not_covered"], data.cards))
        return cls(settings, embedder, data, retriever, bank, rules, balance_rules, max_balance, texts,
                   exemplar_vectors(rules, embedder), matcher, topics, QuestionTypes.load(embedder),
                   learned.load(model_name=embedder.name), clinic_model.load(model_name=embedder.name),
                   card_model.load(model_name=embedder.name), sentence_model.load(model_name=embedder.name))

    @property
    def docs(self):  # document id -> DocMeta
        return self.data.docs

    def chunk_text(self, chunk_id: str) -> str:
        return self.data.chunks[chunk_id].text

    def retrieve(self, question: str, mode: Mode = "hybrid", k: int = 5) -> list[ScoredChunk]:
        return self.retriever.retrieve_scored(question, self.embedder.embed_query(question), mode=mode, k=k)

    def answer(self, question: object, previous: str | None = None, safe: bool = False) -> Turn:
        """Never raises: a failure inside the pipeline ends in a safe answer. `previous`: the visitor's
        question before this one, in a chat, for follow-ups such as "does it work?" (bot/followup.py).
        `safe`: the visitor answered a check-in with "I'm safe — show me the answer" (a crisis, a dose or a
        personal referral is still what it was)."""
        started = time.perf_counter()
        turn = Turn(question=question if isinstance(question, str) else "")
        try:
            self._run(question, turn, previous, safe)
        except Exception:  # the visitor sees a safe message; staff see the log
            log.exception("pipeline failure")
            turn = Turn(question=turn.question, kind="no_answer", answer=self.templates["error"],
                        flags=["error"], guards=turn.guards, timings_ms=turn.timings_ms)
        turn.latency_ms = (time.perf_counter() - started) * 1000
        self._log(turn)
        return turn

    def _run(self, question: object, turn: Turn, previous: str | None = None, safe: bool = False) -> None:
        with _timed(turn, "validate"):
            verdict, text = validate(question, MAX_QUESTION_CHARS)
        turn.question, turn.guards = text or turn.question, [verdict]
        if verdict.fired:
            return _finish(turn, "invalid_input", self.templates[verdict.detail["message_key"]], ["validate"])
        with _timed(turn, "embed"):
            query_vec = self.embedder.embed_query(text)
        prior = _readable(previous)  # the crisis guard reads it as context; a follow-up may be read with it
        variants = tuple(v for v in [spaced_reading(question)] if v)  # type: ignore[arg-type]
        with _timed(turn, "input_guard"):
            decision = screen(text, query_vec, self.rules, self.exemplars, self.settings.clinic, prior, variants,
                              self.detectors, safe)
        turn.guards += decision.verdicts
        turn.flags += decision.flags
        if decision.kind in ("crisis", "out_of_scope"):
            return _finish(turn, decision.kind, decision.message, [])
        if decision.question != text:  # an injection wrapper was stripped: retrieve on the genuine part
            with _timed(turn, "embed"):
                query_vec = self.embedder.embed_query(decision.question)
        with _timed(turn, "match"):  # the clinic's own practice is never answered by a research card
            topic = None if decision.kind else recognise(decision.question, self.clinic_topics, self.clinic_model, query_vec)
            turn.clinic_topic = topic.label if topic else ""
            turn.card = CardMatch() if topic else self.matcher.second_chance(
                self.matcher.match(decision.question, query_vec), decision.question, query_vec, self.card_model)
        if not (topic or decision.kind or turn.card.matched):  # context around the question (bot/focus.py)
            turn.card = self._match_question_part(decision.question, turn) or turn.card
        # "is it approved?" after "What is Spravato?": "it" is what came before (bot/followup.py)
        joined = self._joined(decision.question, prior, turn) if not topic and not turn.card.matched else None
        if joined:
            turn.card = self._match_as_follow_up(joined, turn) or turn.card
        if turn.card.matched:
            selection = self._card_evidence(turn.card, query_vec)
        else:
            turn.retrieved, selection = self._evidence(decision.question, query_vec, turn, clinic_only=topic is not None)
            if joined:
                selection = self._read_as_follow_up(decision.question, joined, turn) or selection
            if declines_as_not_covered(turn.card, self.matcher.threshold, selection.best_probability,
                                       self.settings.not_covered_probability):
                turn.card = turn.card.model_copy(update={"via": NEAREST_NOT_COVERED})
                selection = replace(selection, not_covered=template_key(turn.card.card_id or ""))
        turn.answer_probability = selection.best_probability
        relevant = selection.relevant(self.settings.min_relevance, self.settings.min_answer_probability,
                                      self.settings.confident_probability)
        with _timed(turn, "compose"):
            reply_topic = topic
            if not (topic or decision.kind or relevant or selection.not_covered):  # only the wording of "no answer"
                # is left to choose, so the clinic's reply needs the question only more likely than not its own
                reply_topic = recognise(decision.question, self.clinic_topics, self.clinic_model, query_vec,
                                        self.settings.clinic_fallback_probability)
                if reply_topic:
                    turn.clinic_topic, turn.clinic_reply_only = reply_topic.label, True
            draft = self._draft(decision.kind, decision.message, selection, decision.question, reply_topic, relevant)
        with _timed(turn, "output_guard"):
            draft, verdicts = output_guard(draft, selection.alternates, self.rules, self.templates["disclaimer"])
            turn.guards += verdicts
            turn.flags += [v.name for v in verdicts if v.fired and v.name != "disclaimer"]
            if draft.kind == "answered" and not any(i.role != "balance" for i in draft.items):
                draft = self._no_answer()
            # distress never gets a bare "I don't know". The clinic's own topic ("who is in the room with me?")
            # gets its "the clinic can tell you" reply and the 988 line: the detector's uncertain band alone
            # (no distress words) is too weak a signal to put a check-in before a logistics question.
            if draft.kind == "no_answer" and decision.distress and not (topic and decision.distress == "detector"):
                return _finish(turn, "crisis", self.templates["check_in"], ["crisis", "check_in"])
            if decision.add_crisis_line:
                draft.notes.append(self.templates["crisis_line"])
            turn.evidence = draft.items
            turn.answer, turn.citations = render(draft, self.docs, self.templates["balance_lead"])
        turn.kind = draft.kind

    def _joined(self, question: str, previous: str | None, turn: Turn) -> tuple[str, str, np.ndarray] | None:
        """(the earlier question, the two read together, their one embedding) when `question` leans on the one
        before it ("does it work?"); None when it stands alone. With no question before it, "is it legal?" on
        this site is about its subject (`Settings.site_subject`)."""
        earlier = self._earlier_question(previous) if previous else self.settings.site_subject
        joined = follow_on(question, earlier)
        if not joined:
            return None
        with _timed(turn, "embed"):
            return earlier or "", joined, self.embedder.embed_query(joined)

    def _match_question_part(self, question: str, turn: Turn) -> CardMatch | None:
        """The answering card matched on the message's question part alone (bot/focus.py), if one is."""
        part = question_part(question)
        if part is None:
            return None
        with _timed(turn, "embed"):
            vec = self.embedder.embed_query(part)
        with _timed(turn, "match"):
            match = self.matcher.second_chance(self.matcher.match(part, vec), part, vec, self.card_model)
        if not match.matched or match.not_covered:
            return None
        turn.matched_on = part
        return match

    def _match_as_follow_up(self, joined: tuple[str, str, np.ndarray], turn: Turn) -> CardMatch | None:
        """The card for the two questions read together, if one answers outright."""
        earlier, text, vec = joined
        with _timed(turn, "match"):
            match = self.matcher.match(text, vec)
        if not match.matched:
            return None
        turn.follow_up_of = earlier
        return match

    def _read_as_follow_up(self, question: str, joined: tuple[str, str, np.ndarray], turn: Turn) -> Selection | None:
        """Evidence for the two read together, kept only if it speaks to what this question adds ("is it
        addictive?" needs "addictive")."""
        earlier, text, vec = joined
        retrieved, selection = self._evidence(text, vec, turn)
        if not self.bank.covers(self.bank.salient_terms(question), selection.items):
            return None
        turn.retrieved, turn.follow_up_of = retrieved, earlier
        return selection

    def _earlier_question(self, previous: str) -> str | None:
        """The genuine part of the previous question (injection wrappers stripped), unless it was a crisis
        message: a crisis is never retrieval context."""
        if check_crisis(previous, None, self.rules.crisis, None).fired:
            return None
        return check_injection(previous, self.rules.injection)[1] or None

    def _card_evidence(self, match: CardMatch, query_vec: np.ndarray) -> Selection:
        """The matched card's reviewed sentences (answer, then balance), scored against the question."""
        ids = self.data.card_sentences[match.card_id or ""]
        items = [self.bank.evidence(sid, float(self.bank.vectors[sid] @ query_vec), role)
                 for role, part in (("answer", "answer"), ("balance", "balance")) for sid in ids[part]]
        return Selection(items=items, alternates=[], best_dense=match.score, top_score=match.score, from_card=True,
                         not_covered=template_key(match.card_id or "") if match.not_covered else "")

    def _evidence(self, question: str, query_vec: np.ndarray, turn: Turn,
                  clinic_only: bool = False) -> tuple[list[ScoredChunk], Selection]:
        """Retrieved chunks and the evidence selected from them; `clinic_only`: only the clinic's own
        statements may answer (a question about its prices, booking, sessions…): written for exactly these
        questions, they are not the learned sentence scorer's to reorder (it never saw them)."""
        with _timed(turn, "retrieve"):
            retrieved = self.retriever.retrieve_scored(question, query_vec)
            if clinic_only:
                retrieved = [c for c in retrieved if self.docs[c.doc_id].is_clinic_statement]
        with _timed(turn, "select"):
            turn.question_type = self.question_types.recognise(query_vec)
            hints = {} if clinic_only else self.matcher.hints(question, query_vec, self.data.card_sentences)
            return retrieved, select_evidence(question, query_vec, retrieved, self.bank, self.balance_rules,
                                              self.max_balance, self.settings.min_sentence, self.settings.max_sentences,
                                              self.question_types.pattern(turn.question_type), hints, clinic_only,
                                              None if clinic_only else self.sentence_model)

    def _draft(self, kind: str | None, message: str, selection: Selection, question: str,
               topic: ClinicTopic | None, relevant: bool) -> Draft:
        if kind == "needs_clinician":  # general, cited context may follow the referral, if it is on the question's topic
            terms = self.bank.salient_terms(question)
            items = [i.model_copy(update={"role": "context"}) for i in selection.items
                     if i.role == "answer" and (selection.from_card or self.bank.shares_topic(terms, i))] if relevant else []
            return draft_answer("needs_clinician", items[:2], lead=message)
        if selection.not_covered:
            return draft_answer("no_answer", [], lead=self.templates[selection.not_covered])
        if not relevant:
            return draft_answer("no_answer", [], lead=self.templates[topic.template_key]) if topic else self._no_answer()
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
