"""What only the clinic can say: recognised from reviewed patterns, answered from the clinic's own statements
or with the fixed "<clinic> can tell you about …" text, never with a research quote or an invented fact."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bot import index
from bot.clinic_topics import load_topics, recognise, topic_templates
from bot.config import Clinic
from bot.pipeline import Bot
from bot.templates import templates
from tests.conftest import MINI_CORPUS
from tests.fakes import FakeEmbedder

TOPICS = load_topics()


@pytest.mark.parametrize("question, name", [
    ("How much does a session cost?", "cost"), ("do you take aetna", "insurance"),
    ("Is KAP covered by insurance?", "insurance"), ("How do I book a consultation?", "booking"),
    ("How long is the wait for a first appointment?", "booking"), ("where are you located", "location_hours"),
    ("Are you open on Saturdays?", "location_hours"), ("what should I bring to my first session?", "what_to_bring"),
    ("Can my husband be in the room with me?", "who_in_room"), ("how do your sessions work?", "sessions_here"),
    ("Do you offer integration sessions afterwards?", "integration_here"), ("Who are your doctors?", "staff"),
    ("Should I skip breakfast before my infusion?", "preparation"), ("is fasting needed beforehand", "preparation"),
    ("Would you coordinate with my current psychiatrist?", "care_team"), ("Do you see teenagers?", "ages"),
    ("What training do your nurses have?", "staff"), ("how do the infusions run at your clinic", "sessions_here"),
    ("Would a nurse be with me throughout?", "who_in_room"), ("how do I refer my patients to you", "booking"),
    ("what if I freak out during the infusion?", "difficult_moments"), ("do you offer maintenance infusions", "sessions_here"),
    ("are your therapists trauma informed?", "staff"), ("can i bring a blanket", "what_to_bring"),
    ("can I bring my boyfriend along", "who_in_room"), ("r ur hours different on fridays", "location_hours"),
    ("how does a session goes at your place", "sessions_here"), ("how do you screen new patients", "screening"),
    ("is the therapy part on the same day as the ketamine?", "sessions_here"),
    # folding drops the apostrophe: "who's" is read as "whos"
    ("who's in the room with me during the session?", "who_in_room"), ("whos gonna be with me", "who_in_room"),
    ("who's your psychiatrist?", "staff"),
    # asked of the clinic itself, about a matter no topic names: the generic topic
    ("is your prescriber an MD or a nurse practitioner", "practice"), ("do u treat ppl over 75?", "practice"),
    ("does anyone on your staff speak Spanish?", "practice"), ("can I eat before, at yours?", "practice"),
    # a price or a booking asked outright still is one, with or without a verb
    ("is there a cheaper option?", "cost"), ("how much cheaper is a package of six?", "cost"),
    ("how much for one infusion", "cost"), ("how much per visit, ballpark?", "cost"),
    ("eight sessions, how much altogether?", "cost"),
    ("whats your schedule like next week", "booking"), ("what schedule works for a first visit?", "booking"),
    # how long a session takes (no treatment named), and when the therapy happens: this clinic's sessions
    ("how long is one session start to finish", "sessions_here"), ("how long r ur appointments", "sessions_here"),
    ("is the therapist there during the infusion itself or only after", "sessions_here"),
    ("do we see the therapist before the first dose?", "sessions_here"),
    # what its staff do when a session gets difficult
    ("what happens if he freaks out mid-infusion", "difficult_moments"),
    ("what do your nurses do if someone gets overwhelmed in there", "difficult_moments"),
])
def test_clinic_questions_are_recognised(question: str, name: str):
    assert recognise(question, TOPICS).name == name


@pytest.mark.parametrize("question", [
    "What is ketamine-assisted psychotherapy?", "How long does a ketamine session take?", "Is ketamine addictive?",
    "What happens during a session?", "Is at-home ketamine from a telehealth company safe?",
    "What should I ask a clinic before I start?", "What schedule drug is ketamine?", "Is ketamine a Schedule III drug?",
    "Which DEA schedule is ketamine in?", "what schedule is esketamine listed under",
    "ketamine: what schedule is it in?", "is it even legal? which schedule is it", "a controlled drug? what schedule",
    # a price given as context, the question about something else
    "are online lozenges safe? they're far cheaper than an infusion", "is street K the same thing, its a lot cheaper",
    "Why is ketamine in the news coverage so much?", "How fast before it starts to work?", "hello, is anyone there?",
    "I'd like to taper my sleeping pills before the first session, how fast?", "Could I have a bad trip?",
    "How are patients screened for ketamine in clinical trials?", "Does the effect last longer than a day?",
    # the general you
    "can you do ketamine while pregnant", "can u take ketamine with adderall", "how often do you take spravato",
    # a size, not a price
    "how much does ketamine raise your blood pressure during a session?", "how much does one infusion help, on average?",
    "how much ketamine do people get per infusion?", "how much an infusion raises blood pressure",
    # a treatment named: the session-length card answers; how long the effect lasts is research
    "how long is a spravato visit", "how long does one session of ketamine take", "how long does the effect of a session last",
    # when the therapy happens, asked of the trials
    "in the studies, did a therapist sit in during the ketamine?",
])
def test_general_questions_are_not_clinic_topics(question: str):
    assert recognise(question, TOPICS) is None


def test_each_topic_has_a_whole_reviewed_template_with_the_contact_line():
    clinic = Clinic(name="Calm Harbor Clinic", phone="(555) 010-0199")
    texts = topic_templates(templates(clinic)["clinic_topic"], TOPICS)
    assert set(texts) == {t.template_key for t in TOPICS}
    cost = texts["clinic_topic:cost"]
    assert "Calm Harbor Clinic can tell you about" in cost and "costs and payment" in cost and "(555) 010-0199" in cost


@pytest.fixture
def bot_with(tmp_path: Path, mini_settings):
    def make(statement: str | None) -> Bot:
        corpus = tmp_path / "corpus"
        shutil.copytree(MINI_CORPUS, corpus)
        if statement:
            (corpus / "clinic" / "clinic-costs.md").write_text(statement, encoding="utf-8")
        settings = dataclasses.replace(mini_settings, corpus_dir=corpus)
        index.build(settings, FakeEmbedder(), progress=lambda _: None)
        return Bot.load(settings, FakeEmbedder())
    return make


STATEMENT = """---
id: clinic-costs
title: "Costs at the clinic"
publisher: "The clinic"
authors: null
year: 2026
url: null
doi: null
evidence_type: clinic
last_reviewed: 2026-11-30
---
# Costs

Each ketamine-assisted psychotherapy session at the clinic costs a flat fee that includes the integration visit.
"""


def test_without_a_clinic_statement_the_visitor_is_pointed_to_the_clinic(bot_with):
    turn = bot_with(None).answer("How much does a ketamine session cost?")
    assert turn.kind == "no_answer" and turn.citations == [] and turn.clinic_topic == "costs and payment"
    assert "can tell you about: costs and payment" in turn.answer


def test_a_clinic_statement_answers_its_topic_and_nothing_else_does(bot_with):
    turn = bot_with(STATEMENT).answer("How much does a ketamine session cost?")
    assert turn.kind == "answered" and [c.source for c in turn.citations] == ["clinic-costs"]
    assert turn.citations[0].evidence_type == "clinic"


def test_a_crisis_inside_a_clinic_question_is_answered_as_a_crisis_first(bot_with):
    bot = bot_with(None)
    assert bot.answer("how long is one session?").clinic_topic == "how its sessions run"
    turn = bot.answer("how long is one session? honestly I want to kill myself")
    assert turn.kind == "crisis" and "988" in turn.answer and turn.clinic_topic == ""
