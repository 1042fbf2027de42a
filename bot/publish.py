"""Publishing from the staff console, without a restart:

    draft → candidate corpus (a copy with the one file changed) → build, not activated → load it
          → checks (bot/publish_checks.py) → refused, or: write the file, activate the build, swap the bot

The visitor app gets its bot through a holder (bot.ui.service.LazyBot); a request in flight keeps the bot
it started with, so the swap drops nothing. The new bot is the very object the checks ran on, loaded with
the running model, so a swap costs no model load. One publish (or preview, or rollback) at a time. Every
publish, refusal and rollback is a record in the history (bot/history.py).

Roll back: the newest publish not yet undone is undone: its file restored, the build it replaced made
current again and served (from memory when it is the bot just replaced; else loaded, or rebuilt if pruned).
"""
from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from bot import authoring, index
from bot.authoring import Draft, DraftError
from bot.config import Settings
from bot.errors import BotError, CorpusError
from bot.history import Change, GateOutcome, History, new_id, rollback_target, unified_diff
from bot.publish_checks import Checks, changed_cards, responsive
from bot.vector_cache import CachedEmbedder, known_vectors

log = logging.getLogger(__name__)

STAGE_DIR = "publish"  # under the data directory: candidate corpora, removed after use
RETIRE_AFTER_S = 60.0  # a replaced bot's store is closed this long after it stops serving (requests take ms)
BREATHER_S = 0.05  # between the steps of a build: its steps hold the interpreter for up to ~0.1 s each
Progress = Callable[[str], None]


class Holder(Protocol):
    def __call__(self) -> Any: ...

    def swap(self, bot: Any) -> Any: ...


class Busy(BotError):
    """Another publish, preview or rollback is running."""


@dataclass
class Candidate:
    draft: Draft
    build: Path
    bot: Any  # bot.pipeline.Bot over the candidate corpus and build
    live_build: str  # the build live when it was made: a publish reuses it only while that is still live
    stage: Path


class Publisher:
    def __init__(self, settings: Settings, holder: Holder, history: History, checks: Checks | None = None,
                 load_bot: Callable[[Settings, Any], Any] | None = None, breather_s: float = BREATHER_S) -> None:
        """`breather_s`: the pause after each step of a build (_breathing); 0 where no visitor is served."""
        self.settings, self.holder, self.history = settings, holder, history
        self.breather_s = breather_s
        self.checks = checks or Checks()
        self._load_bot = load_bot or _load_bot
        self._lock = threading.Lock()
        self._candidate: Candidate | None = None
        self._bots: dict[str, Any] = {}  # build id -> bot: the live one and the one it replaced

    # -- what the console calls ------------------------------------------------------------------

    def preview(self, draft: Draft, progress: Progress = lambda _: None) -> Any:
        """The candidate bot for this draft (built once, reused by a publish of the same draft)."""
        with self._busy():
            return self._candidate_for(draft, progress).bot

    def publish(self, draft: Draft, user: str, progress: Progress = lambda _: None) -> Change:
        """Build, check and, if every check passes, swap. Returns the history record (action "publish" or
        "refused"). Raises DraftError (invalid draft, or the file changed since it was opened) and Busy."""
        with self._busy():
            live = self.holder()
            try:
                candidate = self._candidate_for(draft, progress)
            except CorpusError as exc:  # the build refused it: a card sentence drifted or would be dropped
                gate = GateOutcome(name="card sentences verbatim and shown as written", ok=False, blocking=True,
                                   failing=[str(exc)])
                return self._refused(draft, user, live, [gate], "the index build refused the draft")
            gates = self.checks.run(candidate.bot, live, changed_cards(candidate.bot.data.cards, live.data.cards), progress)
            if any(g.blocking for g in gates):
                self._discard()
                return self._refused(draft, user, live, gates, "a check failed: nothing was changed")
            progress("swapping: writing the file, activating the build, swapping the visitor app")
            before, _ = authoring.open_file(self.settings.corpus_dir, draft.path)
            started = time.perf_counter()
            authoring.check_unchanged(draft, self.settings.corpus_dir)
            served = self._go_live(candidate.bot, candidate.build, draft.path, draft.text)
            swap_ms = (time.perf_counter() - started) * 1000
            self._candidate = None
            shutil.rmtree(candidate.stage, ignore_errors=True)
            change = Change(id=new_id(), user=user, action="publish", path=draft.path, before=before, after=draft.text,
                            diff=unified_diff(before, draft.text, draft.path), build=candidate.build.name,
                            previous_build=live.data.path.name, gates=gates, swap_ms=round(swap_ms, 2),
                            message=f"published: the visitor app serves build {candidate.build.name}")
            progress(f"done: swapped in {swap_ms:.0f} ms")
            log.info("published %s by %s: build %s (swap %.0f ms)", draft.path, user, candidate.build.name, swap_ms)
            return self.history.append(change)

    def rollback(self, user: str, progress: Progress = lambda _: None) -> Change:
        """Undo the newest publish not yet undone. Raises DraftError when there is none, or when its file
        was changed since (by someone outside the console)."""
        with self._busy():
            target = rollback_target(self.history.records())
            if target is None:
                raise DraftError("there is nothing to roll back: no published change is live")
            current, _ = authoring.open_file(self.settings.corpus_dir, target.path)
            if current != target.after:
                raise authoring.EditConflict(f"{target.path} was changed after that publish; roll back refused, "
                                             "nothing was changed")
            live = self.holder()
            progress(f"swapping: back to build {target.previous_build}")
            bot, build = self._bot_for_rollback(target, progress)
            started = time.perf_counter()
            self._go_live(bot, build, target.path, target.before)
            swap_ms = (time.perf_counter() - started) * 1000
            progress(f"done: rolled back in {swap_ms:.0f} ms")
            change = Change(id=new_id(), user=user, action="rollback", path=target.path, before=target.after,
                            after=target.before, diff=unified_diff(target.after, target.before, target.path),
                            build=build.name, previous_build=live.data.path.name, reverts=target.id,
                            swap_ms=round(swap_ms, 2), message=f"rolled back the change of {target.at} by {target.user}")
            return self.history.append(change)

    @property
    def running(self) -> bool:
        return self._lock.locked()

    # -- the steps -------------------------------------------------------------------------------

    def _busy(self) -> Any:
        """One at a time; while it runs, the interpreter is handed to visitor requests more often (building
        and loading an index is plain Python for seconds, beside the live chat)."""
        publisher = self

        class _Guard:
            def __enter__(self) -> None:
                if not publisher._lock.acquire(blocking=False):
                    raise Busy("a publish, preview or rollback is running; try again when it has finished")
                self.responsive = responsive()
                self.responsive.__enter__()

            def __exit__(self, *exc: object) -> None:
                self.responsive.__exit__(None, None, None)
                publisher._lock.release()
        return _Guard()

    def _candidate_for(self, draft: Draft, progress: Progress) -> Candidate:
        if self.settings.chroma_host:  # a server build renames the live collection: it cannot wait for the checks
            raise DraftError("publishing from the console needs the embedded Chroma store; with CHROMA_HOST set, "
                             "edit the files and run `make index` instead")
        live = self.holder()
        authoring.validate(draft, self.settings.corpus_dir, live.data.sentences)
        authoring.check_unchanged(draft, self.settings.corpus_dir)
        cached = self._candidate
        if cached and cached.draft.key == draft.key and cached.live_build == live.data.path.name:
            progress("building: this draft was built for its preview; reusing that build")
            return cached
        self._discard()
        stage = self.settings.data_dir / STAGE_DIR / draft.key
        shutil.rmtree(stage, ignore_errors=True)
        progress("building: a copy of the corpus with the draft")
        corpus_dir = authoring.staged_corpus(self.settings.corpus_dir, stage / "corpus", draft.path, draft.text)
        settings = dataclasses.replace(self.settings, corpus_dir=corpus_dir, log_questions=False)
        embedder = CachedEmbedder(live.embedder, known_vectors(live))
        try:
            build = index.build(settings, embedder, progress=_breathing(progress, self.breather_s), activate=False)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        progress("building: loading the new build")
        bot = self._load_bot(_view(settings, stage, build), live.embedder)
        self._candidate = Candidate(draft, build, bot, live.data.path.name, stage)
        return self._candidate

    def _discard(self) -> None:
        """Drop the candidate: its build was never live, so it goes too."""
        cand, self._candidate = self._candidate, None
        if cand is not None:
            _close(cand.bot)
            shutil.rmtree(cand.build, ignore_errors=True)
            shutil.rmtree(cand.stage, ignore_errors=True)

    def _refused(self, draft: Draft, user: str, live: Any, gates: list[GateOutcome], message: str) -> Change:
        before, _ = authoring.open_file(self.settings.corpus_dir, draft.path)
        change = Change(id=new_id(), user=user, action="refused", path=draft.path, before=before, after=draft.text,
                        diff=unified_diff(before, draft.text, draft.path), previous_build=live.data.path.name,
                        gates=gates, message=message)
        log.warning("publish of %s by %s refused: %s", draft.path, user, ", ".join(g.name for g in gates if g.blocking))
        return self.history.append(change)

    def _go_live(self, bot: Any, build: Path, rel: str, text: str | None) -> Any:
        """The swap: the file, the `index/current` link, then the bot the visitor app serves."""
        authoring.write(self.settings.corpus_dir, rel, text)
        index.activate(self.settings.index_dir, build)
        served = dataclasses.replace(bot, settings=self.settings)  # the live settings: logging, paths
        old = self.holder.swap(served)
        self._remember(served, old)
        return served

    def _remember(self, served: Any, old: Any) -> None:
        keep = {served.data.path.name: served}
        if old is not None:
            keep[old.data.path.name] = old
        for build, bot in self._bots.items():
            if build not in keep:
                timer = threading.Timer(RETIRE_AFTER_S, _close, args=(bot,))
                timer.daemon = True  # never holds the process open at exit
                timer.start()
        self._bots = keep

    def _bot_for_rollback(self, target: Change, progress: Progress) -> tuple[Any, Path]:
        live = self.holder()
        build = self.settings.index_dir / "builds" / str(target.previous_build)
        if target.previous_build in self._bots and build.is_dir():
            return self._bots[target.previous_build], build
        stage = self.settings.data_dir / STAGE_DIR / f"rollback-{target.id}"
        shutil.rmtree(stage, ignore_errors=True)
        settings = dataclasses.replace(self.settings, log_questions=False)
        if not (build / "manifest.json").is_file():  # pruned: build it again from the restored files
            progress("building: the earlier build was pruned; building it again from the restored files")
            corpus_dir = authoring.staged_corpus(self.settings.corpus_dir, stage / "corpus", target.path, target.before)
            settings = dataclasses.replace(settings, corpus_dir=corpus_dir)
            embedder = CachedEmbedder(live.embedder, known_vectors(live))
            build = index.build(settings, embedder, progress=_breathing(progress, self.breather_s), activate=False)
        bot = self._load_bot(_view(settings, stage, build), live.embedder)
        shutil.rmtree(stage, ignore_errors=True)
        return bot, build


def _view(settings: Settings, stage: Path, build: Path) -> Settings:
    """Settings whose index is one given build: `<stage>/index/current` links to it."""
    view = stage / "index"
    view.mkdir(parents=True, exist_ok=True)
    (view / "current").unlink(missing_ok=True)
    (view / "current").symlink_to(build.resolve())
    return dataclasses.replace(settings, index_dir=view)


def _breathing(progress: Progress, pause_s: float = BREATHER_S) -> Progress:
    """The build's progress, named by stage, with a pause after each step so that visitor requests queued
    behind a step that held the interpreter are answered before the next step."""
    def report(message: str) -> None:
        progress(_stage_of(message))
        time.sleep(pause_s)
    return report


def _stage_of(message: str) -> str:
    """The index build's progress lines, named by stage for the console."""
    text = message.strip()
    return f"embedding: {text}" if "embedded" in text or text.startswith("embedding") else f"building: {text}"


def _load_bot(settings: Settings, embedder: Any) -> Any:
    from bot.pipeline import Bot

    return Bot.load(settings, embedder)


def _close(bot: Any) -> None:
    """Close a bot's Chroma client (it is no longer served; nothing in flight still uses it)."""
    try:
        bot.retriever.store._client.close()
    except Exception:  # an HTTP client, or already closed
        pass
