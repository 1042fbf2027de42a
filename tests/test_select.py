import re

import numpy as np
import pytest

from bot.config import DATA_DIR
from bot.models import Evidence, ScoredChunk, Sentence
from bot.select import Selection, SentenceBank, load_rules, select_evidence
from tests.fakes import FakeEmbedder

E = FakeEmbedder()
RULES, MAX_BALANCE = load_rules(DATA_DIR / "balance.yaml")
TEXTS = [
    ("clinic", "clinic#0", "Ketamine therapy has shown a high efficacy rate and may provide relief when other treatments failed."),
    ("clinic", "clinic#0", "Ketamine is relatively safe and well-tolerated for most people with mild side effects."),
    ("han", "han#0", "About half of patients responded to a ketamine infusion at 24 hours in pooled trials."),
    ("han", "han#1", "The benefit of a single ketamine infusion often fades within days to about a week."),
    ("fda", "fda#0", "The FDA lists misuse, rises in blood pressure and bladder symptoms among ketamine risks."),
    ("fda", "fda#0", "Ketamine is FDA-approved only as an anesthetic, and its use for depression is off-label."),
    ("dup", "dup#0", "About half of patients responded to a ketamine infusion at 24 hours in pooled trials overall."),
    ("misc", "misc#0", "Short one."),
]


@pytest.fixture
def bank():
    sentences = [Sentence(id=i, chunk_id=c, doc_id=d, text=t) for i, (d, c, t) in enumerate(TEXTS)]
    return SentenceBank.build(sentences, E.embed_batch([t for _, _, t in TEXTS]), frozenset({"clinic"}), RULES)


def chunks(*ids):
    return [ScoredChunk(chunk_id=c, doc_id=c.split("#")[0], dense=0.6, fused=1 / (60 + i)) for i, c in enumerate(ids, 1)]


def select(question, retrieved, bank, **kw):
    args = dict(max_balance=MAX_BALANCE, min_sentence=0.05, max_sentences=4) | kw
    return select_evidence(question, E.embed_query(question), retrieved, bank, RULES, **args)


def test_picks_relevant_sentences_first_and_skips_near_duplicates(bank):
    sel = select("how many patients responded to an infusion", chunks("han#0", "dup#0", "han#1"), bank)
    texts = [e.text for e in sel.items if e.role == "answer"]
    assert texts[0].startswith("About half of patients responded")
    assert sum(t.startswith("About half of patients responded") for t in texts) == 1  # the near-copy is dropped


def test_sentences_outside_retrieved_chunks_are_never_answers(bank):
    sel = select("blood pressure bladder misuse risks", chunks("han#0"), bank, max_balance=0)
    assert all(e.chunk_id == "han#0" for e in sel.items)


def test_too_short_sentences_are_never_selected(bank):
    sel = select("short one", chunks("misc#0"), bank)
    assert sel.items == []


def test_clinic_efficacy_claim_is_balanced_by_a_vetted_qualifier(bank, monkeypatch):
    monkeypatch.setattr("bot.select.MIN_BALANCE", 0.0)  # the fake embedder's cosines run low
    sel = select("does ketamine therapy have a high efficacy rate", chunks("clinic#0"), bank, max_sentences=1)
    assert sel.items[0].doc_id == "clinic"
    balance = [e for e in sel.items if e.role == "balance"]
    assert balance and all(e.doc_id != "clinic" for e in balance)
    assert any("fades" in e.text or "half" in e.text for e in balance)


def test_already_balanced_answer_gets_no_extra_qualifier(bank):
    sel = select("how long does the benefit of an infusion last", chunks("han#1"), bank, max_sentences=1)
    assert [e.role for e in sel.items] == ["answer"]


def test_a_question_alone_never_adds_a_balance_line(bank, monkeypatch):
    """Balance answers a claim the answer quotes; a question that merely names the FDA quotes no claim."""
    monkeypatch.setattr("bot.select.MIN_BALANCE", 0.0)
    sel = select("is ketamine a miracle drug, what does the FDA list", chunks("fda#0"), bank, max_sentences=1)
    assert [e.role for e in sel.items] == ["answer"]


def test_a_balance_line_must_share_a_topic_word_with_the_question(bank, monkeypatch):
    """"What is KAP?" quoting the clinic's efficacy claim must not get a trial result on another topic."""
    monkeypatch.setattr("bot.select.MIN_BALANCE", 0.0)
    on_topic = select("does ketamine therapy provide relief, and how long does the benefit last", chunks("clinic#0"),
                      bank, max_sentences=1)
    assert [e.text for e in on_topic.items if e.role == "balance"] == [TEXTS[3][2]]  # "benefit" is shared
    off_topic = select("what is this therapy", chunks("clinic#0"), bank, max_sentences=1)
    assert [e.role for e in off_topic.items] == ["answer"]


def test_sentences_the_output_guard_would_drop_never_take_a_slot(bank):
    blocked = SentenceBank.build(bank.sentences, bank.vectors, bank.clinic_docs, RULES, blocked=frozenset({1}))
    sel = select("is ketamine safe and well-tolerated with mild side effects", chunks("clinic#0"), blocked)
    assert all(e.sentence_id != 1 for e in sel.items + sel.alternates)


def test_the_question_type_steers_which_sentences_may_answer(bank):
    """Two sentences compete; the type's pattern ("how long…": lasting, fading) lets only the one that can
    answer take the slot, though the other scores higher on words alone."""
    question = "how long does the benefit of an infusion last, and how many responded"
    free = select(question, chunks("han#0", "han#1"), bank, max_sentences=1, max_balance=0)
    steered = select(question, chunks("han#0", "han#1"), bank, max_sentences=1, max_balance=0,
                     answers=re.compile(r"\b(fades|last\w*)\b"))
    assert free.items[0].text == TEXTS[2][2]
    assert steered.items[0].text == TEXTS[3][2]


def test_a_type_pattern_no_relevant_sentence_matches_is_ignored(bank):
    sel = select("how many patients responded to an infusion", chunks("han#0"), bank, answers=re.compile("zzz"))
    assert sel.items and sel.items[0].text.startswith("About half")


def test_no_retrieved_chunks_means_no_evidence_but_alternates_exist(bank):
    sel = select("anything", [], bank)
    assert sel.items == [] and sel.best_dense == 0.0
    assert sel.alternates and all(e.doc_id != "clinic" for e in sel.alternates)


def test_max_sentences_is_respected(bank):
    sel = select("ketamine infusion patients risks fda", chunks("han#0", "han#1", "fda#0", "clinic#0"), bank,
                 max_sentences=2, max_balance=0)
    assert len(sel.items) <= 2


def test_salient_terms_drop_generic_words(bank):
    topical = SentenceBank.build(bank.sentences, bank.vectors, bank.clinic_docs, RULES,
                                 generic="ketamine help does", topics="migraines insurance")
    assert topical.salient_terms("Does ketamine help migraines?") == ["migrain"]
    assert topical.unknown_terms("", ["migrain", "bladder"]) == ["migrain"]
    assert topical.unknown_terms("", ["bladder"]) == []


def test_a_listed_topic_the_corpus_never_mentions_makes_the_question_unanswerable(bank):
    topical = SentenceBank.build(bank.sentences, bank.vectors, bank.clinic_docs, RULES,
                                 generic="ketamine help does", topics="migraines bladder")
    sel = select("does ketamine help migraines", chunks("fda#0"), topical)
    assert sel.unknown_terms == ("migrain",) and not sel.relevant(0.0)
    sel = select("does ketamine cause bladder symptoms", chunks("fda#0"), topical)
    assert sel.unknown_terms == () and sel.relevant(0.1)


def test_sharing_the_questions_words_raises_a_sentences_score(bank):
    plain = select("percent", chunks("han#0"), bank)
    assert plain.items == [] or plain.top_score < 0.2
    sel = select("ketamine infusion responded", chunks("han#0", "han#1"), bank)
    assert sel.items[0].text.startswith("About half of patients responded")


def test_near_copies_in_other_words_are_redundant(bank):
    from bot.select import _redundant

    assert _redundant(bank, 6, [2])  # the same sentence with one more word
    assert not _redundant(bank, 3, [2]) and not _redundant(bank, 3, [])


@pytest.mark.parametrize("question, logistics", [
    ("What are your office hours?", True),
    ("How much does a session cost?", True),
    ("how much is one infusion", True),
    ("How much research is there on ketamine?", False),
    ("Do you take insurance?", True),
    ("Can I book an appointment for Friday?", True),
    ("How many hours after Spravato must I stay?", False),
    ("for spravato do they need to watch you 2 hours after?", False),  # a duration, not opening hours
    ("how many hours do you have to stay with the spray", False),
    ("what are your hours on saturday", True),
    ("how many hours are you open on weekends", True),  # "open" still names them
    ("Does ketamine cost less than ECT in the trials?", False),
])
def test_questions_about_the_clinics_own_logistics_are_not_answered_from_evidence(bank, question, logistics):
    import yaml

    raw = yaml.safe_load((DATA_DIR / "relevance.yaml").read_text())
    clinic = SentenceBank.build(bank.sentences, bank.vectors, bank.clinic_docs, RULES, logistics=raw["logistics"])
    assert ("clinic logistics" in clinic.unknown_terms(question, [])) is logistics


def test_sentences_leaning_on_the_one_before_are_never_quoted(bank):
    extra = Sentence(id=len(TEXTS), chunk_id="han#0", doc_id="han", text="This is where ketamine infusions for patients come in.")
    sentences = bank.sentences + [extra]
    vectors = np.vstack([bank.vectors, E.embed_batch([extra.text])])
    leaning = SentenceBank.build(sentences, vectors, bank.clinic_docs, RULES, never_quoted=r"^(This|It)\b")
    assert extra.id not in leaning.by_chunk["han#0"]
    assert extra.id in SentenceBank.build(sentences, vectors, bank.clinic_docs, RULES).by_chunk["han#0"]


def test_notes_for_staff_are_never_quoted_as_answer_or_qualifier():
    import yaml

    raw = yaml.safe_load((DATA_DIR / "relevance.yaml").read_text())
    note = "The Han 2016 analysis was read for this corpus through news reprints, and its benefits were short-lived."
    fact = "No randomized trial found in the sources reviewed for this corpus has tested whether every response may last."
    texts = [note, fact]
    sentences = [Sentence(id=i, chunk_id="han#0", doc_id="han", text=t) for i, t in enumerate(texts)]
    built = SentenceBank.build(sentences, np.asarray(E.embed_batch(texts)), frozenset(), RULES,
                               never_quoted=raw["source_notes"])
    assert built.by_chunk["han#0"] == [1]  # the note is left out, the finding stays
    assert 0 not in built.qualifiers["efficacy"]
    assert 0 in SentenceBank.build(sentences, built.vectors, frozenset(), RULES).qualifiers["efficacy"]  # would be one


def test_replacements_answer_the_clinic_claim_they_may_stand_in_for():
    """Hand-made vectors: qualifier A is closer to the question, B to the clinic claim. The output guard
    drops clinic claims, so B, the counterweight to the claim, comes first."""
    texts = [("clinic", "clinic#0", "Ketamine therapy brings relief that is quick and lasts for patients."),
             ("a", "a#0", "In one pooled analysis the benefit fades within days for many patients."),
             ("b", "b#0", "In another analysis the benefit of ketamine fades within a week for most.")]
    vectors = np.array([[0.1, 0.995, 0.0], [0.9, 0.0, 0.436], [0.6, 0.7, 0.387]], dtype=np.float32)
    sentences = [Sentence(id=i, chunk_id=c, doc_id=d, text=t) for i, (d, c, t) in enumerate(texts)]
    built = SentenceBank.build(sentences, vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
                               frozenset({"clinic"}), RULES)
    question_vec = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    sel = select_evidence("does it bring relief", question_vec, chunks("clinic#0"), built, RULES, max_balance=0,
                          min_sentence=0.05, max_sentences=1)
    assert [e.doc_id for e in sel.items] == ["clinic"]
    assert [a.doc_id for a in sel.alternates][:2] == ["b", "a"]  # by the question alone, "a" would lead


def test_a_confident_scorer_makes_a_far_sentence_relevant_but_never_overrides_unknown_terms():
    item = [Evidence(sentence_id=0, chunk_id="c", doc_id="d", text="t", score=0.2)]
    far = Selection(items=item, alternates=[], best_dense=0.2, top_score=0.2, best_probability=0.85)
    assert not far.relevant(0.33) and far.relevant(0.33, confident=0.8)
    assert not far.relevant(0.33, confident=0.9)  # not confident enough
    unknown = Selection(items=item, alternates=[], best_dense=0.2, top_score=0.2, best_probability=0.95,
                        unknown_terms=("tinnitu",))
    assert not unknown.relevant(0.33, confident=0.8)  # a topic the corpus never names stays unanswered
    empty = Selection(items=[], alternates=[], best_dense=0.2, top_score=0.2, best_probability=0.95)
    assert not empty.relevant(0.33, confident=0.8)
    no_model = Selection(items=item, alternates=[], best_dense=0.2, top_score=0.2)
    assert not no_model.relevant(0.33, confident=0.8)


def test_the_shipped_topics_leave_out_words_visitors_use_as_context(bank):
    """relevance.yaml: "wait" and "schizophrenia" are context as often as topic, so a question naming them is not
    unanswerable for that alone (evals/README.md, seventh stop, 9); a topic the corpus never mentions still is."""
    from bot import yamlfile
    from bot.config import DATA_DIR

    relevance = yamlfile.safe_load((DATA_DIR / "relevance.yaml").read_text(encoding="utf-8"))
    shipped = SentenceBank.build(bank.sentences, bank.vectors, bank.clinic_docs, RULES,
                                 generic=relevance["generic"], topics=relevance["topics"])
    for question in ("how fast does it work? i've waited 6 weeks on ssris before",
                     "is there a psychosis risk? my uncle has schizophrenia"):
        assert shipped.unknown_terms(question, shipped.salient_terms(question)) == []
    question = "does ketamine help migraines"
    assert shipped.unknown_terms(question, shipped.salient_terms(question)) == ["migrain"]
