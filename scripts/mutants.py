"""`make mutants`: prove the suite can fail.

For each named mutation: copy the project (no .venv, no .git; the built index is copied along) to a
temporary directory, apply one small text patch (search and replace on a source line), then run the
catchers in order, stopping at the first that fails: the eval (`python -m evals --no-apart`, its exit code: the
figures measured apart never decide it) and a
fast pytest subset. An unmutated copy runs first and must pass the eval, or "caught" would mean nothing.
A patch whose target text is not found exactly once fails loudly: a refactor must not silently turn a
mutant into a no-op. Prints a table (mutation, caught by, seconds); exits 1 if a mutant survives.

    .venv/bin/python scripts/mutants.py              # every mutation, two at a time
    .venv/bin/python scripts/mutants.py --only "crisis guard never fires" --jobs 1
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
SKIP_TOP = {".venv", ".git", "index", "data", "test-artifacts", ".cache", ".pytest_cache", "kapbot.toml"}
SKIP_ANY = {"__pycache__", "report"}  # report: evals/report, the latest run's output
TIMEOUT_S = 600


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str  # file to patch, relative to the project root
    old: str  # must occur exactly once
    new: str
    tests: tuple[str, ...] = ()  # the fast pytest subset tried after the eval


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("validation accepts empty strings", "bot/guards/validate.py",
             '    if not text:\n        return _invalid("empty")',
             '    if not text:\n        return GuardVerdict(name=NAME, fired=False, reason="ok"), text',
             ("tests/test_guards_validate.py",)),
    Mutation("retrieval returns the worst k chunks", "bot/retrieve.py",
             "fuse(rankings, self.rrf_k)[:k]]", "fuse(rankings, self.rrf_k)[::-1][:k]]", ("tests/test_retrieve.py",)),
    Mutation("relevance threshold off", "bot/select.py",
             "return bool(self.items) and not self.unknown_terms and (self.top_score >= min_score or sure)",
             "return bool(self.items)", ("tests/test_select.py",)),
    Mutation("compose drops the [n] markers", "bot/compose.py",
             'lines.append(f"- {one_line(item.text)} [{n}]")', 'lines.append(f"- {one_line(item.text)}")',
             ("tests/test_compose.py",)),
    Mutation("the bot's overclaim rule returns nothing", "bot/guards/output.py",
             "    if not o.any_overclaim.search(folded):\n        return []", "    if True:\n        return []",
             ("tests/test_guards_output.py",)),
    Mutation("crisis guard never fires", "bot/guards/input.py",
             "    crisis = check_crisis(text, english_vec, rules.crisis, vectors, previous, variants)",
             '    crisis = GuardVerdict(name="crisis", fired=False)', ("tests/test_guards_crisis.py",)),
    Mutation("advice guard never fires", "bot/guards/advice.py",
             'fired=bool(matched), kind="needs_clinician" if matched else None,', "fired=False, kind=None,",
             ("tests/test_guards_advice.py",)),
    Mutation("disclaimer never added", "bot/guards/output.py",
             "    add_disclaimer = draft.kind in DISCLAIMED_KINDS and bool(items) and disclaimer not in notes",
             "    add_disclaimer = False", ("tests/test_guards_output.py",)),
    Mutation("crisis next to the previous message ignored", "bot/guards/crisis.py",
             "    if not hits and (in_context := crisis_in_context(text, previous, rules)):",
             "    if False and (in_context := crisis_in_context(text, previous, rules)):",
             ("tests/test_guards_crisis.py",)),
    Mutation("doses no longer dropped from answers", "bot/guards/output.py",
             '"dose_amount": [m.group().strip() for m in o.dose_amount.finditer(folded)],', '"dose_amount": [],',
             ("tests/test_guards_output.py",)),
    Mutation("follow-up reading disabled", "bot/followup.py",
             "    if not previous or not previous.strip():", "    if True:", ("tests/test_pipeline.py",)),
    Mutation("FAQ cards never answer", "bot/match.py",
             "matched = score >= self.threshold and score - runner >= self.margin", "matched = False",
             ("tests/test_match.py",)),
    Mutation("answer sentences ranked worst first", "bot/select.py",
             '    for i in np.argsort(-rank, kind="stable"):', '    for i in np.argsort(rank, kind="stable"):',
             ("tests/test_select.py",)),
    Mutation("the question's type is ignored", "bot/select.py",
             "        scores = np.where(fits, scores, -1.0)", "        scores = scores", ("tests/test_select.py",)),
    Mutation("the learned sentence scorer is ignored", "bot/pipeline.py",
             "None if clinic_only else self.sentence_model", "None", ("tests/test_sentence_model.py",)),
    Mutation("'I'm safe' unlocks what the guards withhold", "bot/pipeline.py",
             '        if decision.kind in ("crisis", "out_of_scope"):',
             '        if decision.kind in ("crisis", "out_of_scope") and not safe:', ("tests/test_pipeline.py",)),
    Mutation("clinic topics answered from research", "bot/pipeline.py",
             "topic = None if decision.kind else recognise(decision.question, self.clinic_topics, self.clinic_model, query_vec)",
             "topic = None",
             ("tests/test_clinic_topics.py",)),
    Mutation("the wording-only clinic bar softens a check-in", "bot/pipeline.py",
             'decision.distress and not (topic and decision.distress == "detector")',
             'decision.distress and not (reply_topic and decision.distress == "detector")',
             ("tests/test_pipeline.py",)),
    Mutation("card classifier's bar ignored", "bot/card_model.py",
             "name in cards and prob >= self.bar", "name in cards",
             ("tests/test_card_model.py",)),
    Mutation("injection wrapper not stripped", "bot/guards/injection.py",
             'return verdict, "" if refuse else question', 'return verdict, "" if refuse else text',
             ("tests/test_guards_injection.py",)),
)


class TargetMissing(Exception):
    pass


def target_count(mutation: Mutation, root: Path) -> int:
    path = root / mutation.path
    return path.read_text(encoding="utf-8").count(mutation.old) if path.is_file() else 0


def apply(mutation: Mutation, root: Path) -> None:
    """Patch the file under root; TargetMissing unless `old` occurs exactly once."""
    if (count := target_count(mutation, root)) != 1:
        raise TargetMissing(f"{mutation.name}: target text found {count} times in {mutation.path}")
    path = root / mutation.path
    path.write_text(path.read_text(encoding="utf-8").replace(mutation.old, mutation.new), encoding="utf-8")


def _ignore(directory: str, names: list[str]) -> set[str]:
    top = Path(directory).resolve() == ROOT
    return {n for n in names if n in SKIP_ANY or (top and n in SKIP_TOP)}


def copy_project(dest: Path) -> None:
    """The project without its virtualenv, git data and outputs, plus a copy of the current index build."""
    shutil.copytree(ROOT, dest, ignore=_ignore, symlinks=True)
    build = (ROOT / "index" / "current").resolve()
    shutil.copytree(build, dest / "index" / "builds" / build.name)
    os.symlink(f"builds/{build.name}", dest / "index" / "current")


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAP_", "CHROMA_", "CLINIC_", "PYTEST_"))}
    return env | {"PYTHONPATH": str(root), "KAP_CONFIG": str(root / "absent.toml"), "HF_HUB_OFFLINE": "1",
                  "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}


def run_eval(root: Path) -> str | None:
    """What the eval says when it fails ("eval: gate, gate"), None when it passes."""
    out = subprocess.run([sys.executable, "-m", "evals", "--no-apart", "--out", str(root / "evals" / "report")], cwd=root,
                         env=_env(root), capture_output=True, text=True, timeout=TIMEOUT_S)
    if out.returncode == 0:
        return None
    gates = re.findall(r"^GATE FAILED: (.+?) = ", out.stdout, re.MULTILINE)
    return "eval: " + (", ".join(gates) if gates else f"exit {out.returncode}: {(out.stderr.strip() or '?')[-200:]}")


def run_tests(root: Path, tests: Sequence[str]) -> str | None:
    """The pytest subset's verdict when it fails (exit 1), None when it passes."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not slow", *tests]
    out = subprocess.run(cmd, cwd=root, env=_env(root), capture_output=True, text=True, timeout=TIMEOUT_S)
    if out.returncode == 1:
        failed = re.findall(r"^FAILED (\S+)", out.stdout, re.MULTILINE)
        return "tests: " + (failed[0] if failed else " ".join(tests))
    return None


def trial(mutation: Mutation | None, workdir: Path) -> tuple[str, str, float]:
    """(name, what caught it or "SURVIVED", seconds) for one mutation; None is the unmutated control."""
    started = time.perf_counter()
    name = mutation.name if mutation else "(none: the unmutated copy)"
    root = Path(tempfile.mkdtemp(prefix="mutant-", dir=workdir)) / "project"
    try:
        copy_project(root)
        if mutation is None:
            where = subprocess.run([sys.executable, "-c", "import bot, evals; print(bot.__file__, evals.__file__)"],
                                   cwd=root, env=_env(root), capture_output=True, text=True).stdout
            if len(where.split()) != 2 or not all(p.startswith(str(root)) for p in where.split()):
                return name, f"BROKEN COPY: imports resolve outside it ({where.strip()})", time.perf_counter() - started
            return name, run_eval(root) or "passes (as it must)", time.perf_counter() - started
        apply(mutation, root)
        caught = run_eval(root) or (run_tests(root, mutation.tests) if mutation.tests else None)
        return name, caught or "SURVIVED", time.perf_counter() - started
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/mutants.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", help="run only this mutation (repeatable)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="mutants run at once (default 2)")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if unknown := set(args.only or ()) - {m.name for m in MUTATIONS}:
        print(f"error: no mutation named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if not (ROOT / "index" / "current" / "manifest.json").is_file():
        print("error: no index; run `make index` first", file=sys.stderr)
        return 2
    if missing := [f"{m.name}: target text found {target_count(m, ROOT)} times in {m.path}"
                   for m in chosen if target_count(m, ROOT) != 1]:  # every target checked before anything runs
        print("error: " + "\nerror: ".join(missing), file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="kap-mutants-") as tmp:
        started = time.perf_counter()
        control = trial(None, Path(tmp))
        print(f"{control[0]}: {control[1]} ({control[2]:.0f} s)", flush=True)
        if control[1] != "passes (as it must)":
            print("error: the unmutated copy must pass the eval before mutants mean anything", file=sys.stderr)
            return 1
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = []
            for row in pool.map(lambda m: trial(m, Path(tmp)), chosen):
                print(f"{row[0]}: {row[1]} ({row[2]:.0f} s)", flush=True)
                rows.append(row)
    survived = [name for name, caught, _ in rows if caught == "SURVIVED"]
    print("\n| mutation | caught by | seconds |\n|---|---|---|")
    for name, caught, seconds in rows:
        print(f"| {name} | {caught.replace('|', '/')} | {seconds:.0f} |")
    print(f"\n{len(rows) - len(survived)} of {len(rows)} mutants caught in {time.perf_counter() - started:.0f} s "
          f"(wall, {args.jobs} at a time)" + (f"; SURVIVED: {', '.join(survived)}" if survived else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
