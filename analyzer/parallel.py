"""Large plain inputs (Postfix logs, LF mboxes) parsed in byte ranges on several cores, joined in order.

Each range is parsed, classified and turned into a DataFrame in a worker process; the parent joins
senders across log ranges (a recipient line whose ``qmgr`` line lies in an earlier range) and merges
the per-range tallies into one tally per input.  The result equals the sequential one.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .classify import Classifier, default_classifier
from .formats import mailbox, postfix_log
from .frame import concat, to_frame
from .records import COUNTERS, Record, Tally
from .sources import Input

#: Bytes per range: about one second of work for one core.
CHUNK_BYTES = {postfix_log.NAME: 24 * 1024 * 1024, mailbox.NAME: 6 * 1024 * 1024}
#: Where a range may end: after a newline (logs), before a ``From `` line after a blank line (mbox).
_SEPARATOR = {postfix_log.NAME: b"\n", mailbox.NAME: b"\n\nFrom "}
_classifier: Classifier | None = None


@dataclass
class Task:
    """One byte range of one input; ``first`` is the number of its first line or message."""

    source: Input
    start: int
    end: int
    first: int


@dataclass
class Result:
    """What a worker sends back for one range."""

    frame: pd.DataFrame
    tally: Tally
    senders: dict[tuple[str, str], str] = field(default_factory=dict)
    unknown_removed: set[tuple[str, str]] = field(default_factory=set)


def jobs_available() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worth_splitting(source: Input, jobs: int) -> bool:
    """A plain Postfix log or LF mbox, big enough that several processes pay off."""
    if jobs < 2 or source.kind not in CHUNK_BYTES or not source.splittable or source.path is None:
        return False
    if "fork" not in multiprocessing.get_all_start_methods():  # workers inherit the parent's state
        return False
    if source.kind == mailbox.NAME and not mailbox.splittable_mbox(source.head):
        return False
    return source.path.stat().st_size > 2 * CHUNK_BYTES[source.kind]


def parse_if_worth_it(source: Input, classifier: Classifier, jobs: int, carry: dict[str, Any]
                      ) -> tuple[pd.DataFrame, Tally] | None:
    """(frame, tally) of an input parsed on several processes, or None when one process is better.

    A large compressed log or mbox is first decompressed to a temporary file, which can then be
    read in ranges (decompressing costs far less than the parsing it lets run in parallel).
    """
    if worth_splitting(source, jobs):
        return parse_split(source, classifier, jobs, carry)
    if not worth_spooling(source, jobs):
        return None
    with tempfile.TemporaryDirectory(prefix="analyzer-") as folder:
        plain = Path(folder) / "input"
        try:
            with source.open() as stream, open(plain, "wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
        except OSError:  # no room for the copy: parse it in this process instead
            return None
        spooled = dataclasses.replace(source, path=plain)
        if not worth_splitting(spooled, jobs):
            return None
        return parse_split(spooled, classifier, jobs, carry)


def worth_spooling(source: Input, jobs: int) -> bool:
    """A compressed log or mbox file whose compressed size alone suggests a long parse."""
    if jobs < 2 or source.kind not in CHUNK_BYTES or source.path is None or not source.path.is_file():
        return False
    if source.splittable or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if source.kind == mailbox.NAME and not mailbox.splittable_mbox(source.head):
        return False
    return source.path.stat().st_size > CHUNK_BYTES[source.kind] // 4


def plan(source: Input, jobs: int = 1) -> list[Task]:
    """Ranges of at most about CHUNK_BYTES that end at a separator, with the number of their first unit.

    The number of ranges is a multiple of ``jobs`` and the ranges are of equal size, so that no
    process is left with a last small range while the others wait.
    """
    assert source.path is not None
    total, separator = source.path.stat().st_size, _SEPARATOR[source.kind]
    ranges = max(1, jobs) * math.ceil(total / (max(1, jobs) * CHUNK_BYTES[source.kind]))
    size = max(1, math.ceil(total / max(1, ranges)))
    tasks: list[Task] = []
    start, first = 0, 1
    with open(source.path, "rb") as raw:
        while block := raw.read(size):
            if separator == b"\n":
                block += raw.readline()  # finish the last line of the range
                units = block.count(b"\n")
            else:
                block += _until_next_message(raw)
                units = block.count(separator) + block.startswith(b"From ")
            tasks.append(Task(source, start, start + len(block), first))
            start += len(block)
            first += units
    return tasks


def _until_next_message(raw: object) -> bytes:
    """The lines up to (not including) the next ``From `` line that follows a blank line."""
    lines: list[bytes] = []
    previous_blank = False
    while line := raw.readline():  # type: ignore[attr-defined]
        if previous_blank and line.startswith(b"From "):
            raw.seek(-len(line), os.SEEK_CUR)  # type: ignore[attr-defined]
            break
        lines.append(line)
        previous_blank = line == b"\n"
    return b"".join(lines)


def _init(classifier: Classifier) -> None:
    global _classifier
    _classifier = classifier


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block.

    Parsing allocates hundreds of thousands of records and builds no reference cycles; the
    collector's repeated passes over them cost about a fifth of the parsing time.  Whatever
    cyclic garbage there is gets collected once collection resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _work(task: Task) -> Result:
    with gc_paused():
        return _parse_range(task)


def _parse_range(task: Task) -> Result:
    assert task.source.path is not None
    with open(task.source.path, "rb") as raw:
        raw.seek(task.start)
        data = raw.read(task.end - task.start)
    kind = task.source.kind
    tally = Tally(source=task.source.name, kind=kind, unit=mailbox.UNIT if kind == mailbox.NAME else "lines")
    classify = (_classifier or default_classifier()).classify
    if kind == postfix_log.NAME:
        chunk = postfix_log.Chunk(task.source, tally, data, task.first)
        frame = _frame(chunk.records(), classify)
        return Result(frame, tally, chunk.senders, chunk.unknown_removed)
    return Result(_frame(mailbox.parse_range(task.source, tally, data, task.first), classify), tally)


def _frame(records: Iterator[Record], classify: object) -> pd.DataFrame:
    return to_frame([classify(record) for record in records])  # type: ignore[operator]


def parse_split(source: Input, classifier: Classifier, jobs: int, carry: dict[str, Any] | None = None
                ) -> tuple[pd.DataFrame, Tally]:
    """The records DataFrame and the tally of one large input, parsed by ``jobs`` processes.

    ``carry`` holds the Postfix senders in flight before this input and receives those after it.
    """
    tasks = plan(source, jobs)
    context = multiprocessing.get_context("fork")
    gc.freeze()  # the workers' collections skip what they inherit (and leave its pages shared)
    try:
        with context.Pool(min(jobs, len(tasks)), initializer=_init, initargs=(classifier,)) as pool:
            results = pool.map(_work, tasks, chunksize=1)
    finally:
        gc.unfreeze()
    frames = []
    carry = {} if carry is None else carry
    in_flight: dict[tuple[str, str], str] = carry.setdefault("senders", {})
    for result in results:
        frame = result.frame
        missing = frame["sender"].isna() & frame["queue_id"].notna()
        if missing.any() and in_flight:
            keys = list(zip(frame.loc[missing, "host"].astype("string"), frame.loc[missing, "queue_id"],
                            strict=True))
            found = [in_flight.get(key) for key in keys]
            frame.loc[missing, "sender"] = pd.array(found, dtype=frame["sender"].dtype)
        frames.append(frame)
        for key in result.unknown_removed:
            in_flight.pop(key, None)
        in_flight.update(result.senders)
    tally = merge_tallies(source, [r.tally for r in results])
    if source.kind == postfix_log.NAME:
        postfix_log.check_recognised(source, tally)
    return concat(frames) if frames else to_frame([]), tally


def merge_tallies(source: Input, tallies: list[Tally]) -> Tally:
    """One tally for the whole input from the tallies of its ranges."""
    merged = Tally(source=source.name, kind=source.kind, unit=tallies[0].unit if tallies else "lines")
    for tally in tallies:
        for name in COUNTERS:
            setattr(merged, name, getattr(merged, name) + getattr(tally, name))
        merged.noise_kinds.update(tally.noise_kinds)
        merged.examples.extend(tally.examples[: max(0, Tally.MAX_EXAMPLES - len(merged.examples))])
        merged.malformed_examples.extend(
            tally.malformed_examples[: max(0, Tally.MAX_EXAMPLES - len(merged.malformed_examples))])
        merged.warnings.extend(tally.warnings)
    return merged
