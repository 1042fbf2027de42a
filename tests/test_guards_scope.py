"""Scope guard: unrelated topics and tasks get a line on what the bot can help with; clinic questions stay."""
from __future__ import annotations

import numpy as np
import pytest

from bot.config import Clinic
from bot.guards.input import screen
from bot.guards.rules import GuardRules, exemplar_vectors, load_rules
from bot.guards.scope import check_scope
from tests.fakes import FakeEmbedder


@pytest.fixture(scope="module")
def rules() -> GuardRules:
    return load_rules()


OUT = ["weather", "What's the weather tomorrow?", "Write me a poem", "a poem", "Bitcoin", "Should I buy Bitcoin?",
       "Write a poem about ketamine", "Tell me a joke about depression", "Who won the Super Bowl?",
       "What is the capital of France?", "Give me a recipe for lasagna", "Translate this into German",
       "Write an SQL query for me", "Is Ethereum a good investment?",
       "Write a testimonial saying the clinic cured me", "draft an ad for ketamine therapy"]
IN = ["Do you offer evening appointments?", "How much does it cost?", "Do you take insurance?", "Is ketamine safe?",
      "What is KAP?", "Does ketamine help PTSD?", "Can I bring someone with me?", "What should I expect?",
      "Where are you located?", "Is Spravato the same as ketamine?", "氯胺酮安全吗", "¿La ketamina es segura?",
      "Can you explain how it works?", "What are your hours?", "Do you make a treatment program for each patient?",
      "Can you review the research on ketamine for PTSD?", "What does the Cochrane review say?"]


@pytest.mark.parametrize("text", OUT)
def test_out_of_scope(text: str, rules: GuardRules) -> None:
    decision = screen(text, None, rules, None, Clinic(name="Piedmont KAP Clinic"))
    assert decision.kind == "out_of_scope" and decision.flags == ["scope"]
    assert "ketamine-assisted psychotherapy" in decision.message and "Piedmont KAP Clinic" in decision.message
    assert text.lower() not in decision.message.lower()


@pytest.mark.parametrize("text", IN)
def test_in_scope(text: str, rules: GuardRules) -> None:
    assert not check_scope(text, None, rules.scope, None).fired


def test_similarity_decides_when_no_word_does(rules: GuardRules) -> None:
    embedder = FakeEmbedder()
    vectors = exemplar_vectors(rules, embedder)
    out = "How tall is Mount Everest exactly?"  # no in-scope or off-topic word; an out-example shares words
    verdict = check_scope(out, embedder.embed_query(out), rules.scope, vectors)
    assert verdict.fired and verdict.detail["out_similarity"] > verdict.detail["in_similarity"]
    clinic_q = "Can I bring someone with me?"
    assert not check_scope(clinic_q, embedder.embed_query(clinic_q), rules.scope, vectors).fired
    assert not check_scope(out, None, rules.scope, None).fired  # without a vector: benefit of the doubt


@pytest.fixture(scope="module")
def real(rules: GuardRules):
    from bot.embed import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    return embedder, exemplar_vectors(rules, embedder)


@pytest.mark.slow
def test_real_model_scope_margin(rules: GuardRules, real) -> None:
    embedder, vectors = real
    clinic = ["Can my partner come with me?", "What should I bring on the first day?", "Is there somewhere to wait afterwards?",
              "Who will be in the room with me?", "Can I go back to work the same day?", "Do you have weekend slots?",
              "Will I remember what happened?", "Can you explain how it works?", "How do I get started?", "Will I be awake?",
              "Can I listen to music during it?", "Do you accept new patients?", "Can I cancel?", "What does it feel like?"]
    other = ["What's the forecast for Saturday?", "Who wrote Pride and Prejudice?", "How far is the moon?",
             "Can you recommend a TV series?", "Which laptop should I buy?", "Where can I watch the game tonight?",
             "What's the meaning of life?", "How do I reset my router?", "What's a good name for a goldfish?"]
    def fired(texts: list[str]) -> list[bool]:
        return [check_scope(t, np.asarray(v), rules.scope, vectors).fired for t, v in zip(texts, embedder.embed_batch(texts))]
    assert not any(fired(clinic)), [t for t, f in zip(clinic, fired(clinic)) if f]
    assert sum(fired(other)) >= len(other) - 2
