"""Large plain log files parsed in byte ranges on several cores, then joined back in order.

Each range is parsed, classified and turned into a DataFrame in a worker process; the parent joins
senders across ranges (a recipient line whose ``qmgr`` line lies in an earlier range) and merges the
per-range tallies into one tally per input.  The result equals the sequential one.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass

import pandas as pd

from .classify import Classifier, default_classifier
from .formats import postfix_log
from .frame import CATEGORIES, to_frame
from .records import Tally
from .sources import Input

CHUNK_BYTES = 24 * 1024 * 1024
_classifier: Classifier | None = None


@dataclass
class Task:
    """One byte range of one input."""

    source: Input
    start: int
    end: int
    first_line: int


@dataclass
class Result:
    """What a worker sends back for one range."""

    frame: pd.DataFrame
    tally: Tally
    senders: dict[tuple[str, str], str]
    unknown_removed: set[tuple[str, str]]


def jobs_available() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worth_splitting(source: Input, jobs: int) -> bool:
    """A Postfix log, plain, and big enough that several processes pay off."""
    return (jobs > 1 and source.kind == postfix_log.NAME and source.splittable
            and source.path is not None and source.path.stat().st_size > 2 * CHUNK_BYTES)


def plan(source: Input) -> list[Task]:
    """Ranges of about CHUNK_BYTES that end after a newline, with the number of their first line."""
    assert source.path is not None
    tasks: list[Task] = []
    start, line = 0, 1
    with open(source.path, "rb") as raw:
        while True:
            block = raw.read(CHUNK_BYTES)
            if not block:
                break
            block += raw.readline()  # finish the last line of the range
            tasks.append(Task(source, start, start + len(block), line))
            start += len(block)
            line += block.count(b"\n")
    return tasks


def _init(classifier: Classifier) -> None:
    global _classifier
    _classifier = classifier


def _work(task: Task) -> Result:
    assert task.source.path is not None
    with open(task.source.path, "rb") as raw:
        raw.seek(task.start)
        data = raw.read(task.end - task.start)
    tally = Tally(source=task.source.name, kind=postfix_log.NAME, unit=postfix_log.UNIT)
    chunk = postfix_log.Chunk(task.source, tally, data, task.first_line)
    classify = (_classifier or default_classifier()).classify
    frame = to_frame([classify(record) for record in chunk.records()])
    return Result(frame, tally, chunk.senders, chunk.unknown_removed)


def parse_split(source: Input, classifier: Classifier, jobs: int) -> tuple[pd.DataFrame, Tally]:
    """The records DataFrame and the tally of one large log, parsed by ``jobs`` processes."""
    tasks = plan(source)
    context = multiprocessing.get_context("fork")
    with context.Pool(min(jobs, len(tasks)), initializer=_init, initargs=(classifier,)) as pool:
        results = pool.map(_work, tasks, chunksize=1)
    frames = []
    in_flight: dict[tuple[str, str], str] = {}
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
    postfix_log.check_recognised(source, tally)
    frame = pd.concat(frames, ignore_index=True) if frames else to_frame([])
    for column in CATEGORIES:
        if not isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("category")
    return frame, tally


def merge_tallies(source: Input, tallies: list[Tally]) -> Tally:
    """One tally for the whole input from the tallies of its ranges."""
    merged = Tally(source=source.name, kind=postfix_log.NAME, unit=postfix_log.UNIT)
    for tally in tallies:
        for name in ("read", "used", "noise", "unparsed", "records"):
            setattr(merged, name, getattr(merged, name) + getattr(tally, name))
        merged.noise_kinds.update(tally.noise_kinds)
        merged.examples.extend(tally.examples[: max(0, Tally.MAX_EXAMPLES - len(merged.examples))])
        merged.warnings.extend(tally.warnings)
    return merged

