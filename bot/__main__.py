"""Command line: `python -m bot index|ask|batch|train-guards|train-clinic|train-cards|train-sentences`. Errors become plain messages here, at the edge."""
from __future__ import annotations

import argparse
import io
import json
import sys
from typing import Sequence

from bot.errors import BotError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    idx = sub.add_parser("index", help="build the index from corpus/")
    idx.add_argument("--if-stale", action="store_true", help="only when missing or out of date")
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the contract JSON object")
    ask.add_argument("--trace", action="store_true", help="with --json: add the full trace")
    ask.add_argument("--previous", help="the question asked just before, to read a follow-up such as 'does it work?'")
    ask.add_argument("--safe", action="store_true", help="the visitor answered a check-in with \"I'm safe\"")
    batch = sub.add_parser("batch", help='answer {"id", "question"} JSON lines; one JSON object per line out')
    batch.add_argument("file", help="a .jsonl file, or - for standard input")
    sub.add_parser("train-guards", help="fit the learned crisis and advice detectors on bot/data/guard_training/")
    sub.add_parser("train-clinic", help="fit the learned clinic-topic recogniser (bot/clinic_train.py)")
    sub.add_parser("train-cards", help="fit the FAQ card classifier, the matcher's second chance (bot/card_train.py)")
    sub.add_parser("train-sentences", help="fit the learned sentence scorer of evidence selection (bot/sentence_train.py)")
    args = parser.parse_args(argv)
    try:
        return {"index": _index, "ask": _ask, "batch": _batch, "train-guards": _train_guards,
                "train-clinic": _train_clinic, "train-cards": _train_cards,
                "train-sentences": _train_sentences}[args.command](args)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _index(args: argparse.Namespace) -> int:
    from bot import index
    from bot.config import load_settings
    from bot.embed import MODEL_NAME, MiniLMEmbedder

    settings = load_settings()
    if args.if_stale:
        state = index.status(settings, MODEL_NAME)
        if state == "fresh":
            print(f"index is up to date: {settings.index_dir / 'current'}")
            return 0
        print(f"index is {state}: building")
    embedder = MiniLMEmbedder(settings.model_path, threads=None)
    if _detectors_stale(embedder.name):  # their training data changed since they were fitted: refit first
        print("guard training data changed: refitting the learned detectors (python -m bot train-guards)")
        _fit_detectors(embedder)
    index.build(settings, embedder, progress=lambda m: print(m, flush=True))
    return 0


def _detectors_stale(model_name: str) -> bool:
    from bot.guards import learned, train

    found = learned.load()
    return found is None or found.meta.get("data_hash") != train.data_hash() or found.meta.get("model") != model_name


def _fit_detectors(embedder) -> dict:
    from bot.guards import train
    from bot.guards.rules import exemplar_vectors, load_rules

    rules = load_rules()
    return train.run(embedder, rules, exemplar_vectors(rules, embedder))


def _train_guards(args: argparse.Namespace) -> int:
    from bot.embed import MiniLMEmbedder

    report = _fit_detectors(MiniLMEmbedder(threads=None))
    for name, d in report["detectors"].items():
        print(f"{name}: bars {d['bars']}; left-out batches: {d['left_out']}; training set: {d['training_set']}")
    return 0


def _train_clinic(args: argparse.Namespace) -> int:
    from bot import clinic_train
    from bot.embed import MiniLMEmbedder

    report = clinic_train.run(MiniLMEmbedder(threads=None))
    print("\n".join(clinic_train.summary(report)))
    return 0


def _train_cards(args: argparse.Namespace) -> int:
    from bot import card_train
    from bot.embed import MiniLMEmbedder

    report = card_train.run(MiniLMEmbedder(threads=None))
    lo = report["left_out"]
    print(f"bar {report['bar']:.3f}; sets left out: coverage {lo['coverage']:.1%}, precision {lo['precision']:.1%}, "
          f"false matches {lo['false_matches']:.1%} (the classifier alone, on the questions the similarity rule declines)")
    return 0


def _train_sentences(args: argparse.Namespace) -> int:
    from bot import sentence_train
    from bot.embed import MiniLMEmbedder
    from bot.pipeline import Bot

    report = sentence_train.run(Bot.load(embedder=MiniLMEmbedder(threads=None)))
    print("\n".join(sentence_train.summary(report)))
    return 0


def _ask(args: argparse.Namespace) -> int:
    from bot.pipeline import Bot

    turn = Bot.load().answer(args.question, args.previous, safe=args.safe)
    if args.json:
        data = turn.model_dump() if args.trace else turn.contract()
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(turn.answer)
        for c in turn.citations:
            print(f"[{c.n}] {c.title}" + (f" — {c.url}" if c.url else ""))
    return 0


def _batch(args: argparse.Namespace) -> int:
    from bot.pipeline import Bot

    try:  # undecodable bytes become a bad line, reported with its number, not a traceback
        lines = (io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace") if args.file == "-"
                 else open(args.file, encoding="utf-8", errors="replace"))
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    bot = Bot.load()
    with lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                qid, question, previous = item.get("id"), item["question"], item.get("previous")
            except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                print(json.dumps({"id": None, "line": number, "error": f"bad input line: {exc}"}), flush=True)
                continue
            print(json.dumps({"id": qid, **bot.answer(question, previous).contract()}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
