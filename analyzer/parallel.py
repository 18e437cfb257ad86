"""Large plain inputs (Postfix logs, LF mboxes) parsed in byte ranges on several cores, joined in order.

Each range is parsed, classified and turned into an Arrow table in a worker process; the parent joins
senders across log ranges (a recipient line whose ``qmgr`` line lies in an earlier range), merges
the per-range tallies into one tally per input and makes one DataFrame.  The result equals the
sequential one.  Nothing here imports pandas before the workers have started, so that a caller
can load it (and the report's modules) while they parse: see ``while_parsing``.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pyarrow as pa
import pyarrow.ipc

from . import processes
from .classify import Classifier, default_classifier
from .formats import mailbox, postfix_log
from .processes import gc_paused
from .records import COUNTERS, Record, Tally
from .sources import ExpansionError, Input
from .table import concat_tables, to_table
from .traffic import Traffic

if TYPE_CHECKING:
    import pandas as pd

    from .dask_engine import Engine

#: Bytes per range: about one second of work for one core.
CHUNK_BYTES = {postfix_log.NAME: 24 * 1024 * 1024, mailbox.NAME: 6 * 1024 * 1024}
#: Where a range may end: after a newline (logs), before a ``From `` line after a blank line (mbox).
_SEPARATOR = {postfix_log.NAME: b"\n", mailbox.NAME: b"\n\nFrom "}
_classifier: Classifier | None = None


@dataclass
class Task:
    """One byte range of one input; ``first`` is the number of its first line or message.

    The worker writes the range's records to an Arrow file in ``spool`` (a folder of the parent's):
    handing 10 MB back through a pipe kept each worker waiting about 50 ms per range.
    """

    source: Input
    start: int
    end: int
    first: int
    spool: str = ""


@dataclass
class Result:
    """What a worker sends back for one range."""

    table_file: str  # "" when the table itself is sent (a worker on another machine: Dask)
    tally: Tally
    senders: dict[tuple[str, str], str] = field(default_factory=dict)
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    unknown_removed: set[tuple[str, str]] = field(default_factory=set)
    table: pa.Table | None = None


def worth_splitting(source: Input, jobs: int, need_fork: bool = True) -> bool:
    """A plain Postfix log or LF mbox, big enough that several processes pay off."""
    if jobs < 2 or source.kind not in CHUNK_BYTES or not source.splittable or source.path is None:
        return False
    if need_fork and "fork" not in multiprocessing.get_all_start_methods():  # workers inherit our state
        return False
    if source.kind == mailbox.NAME and not mailbox.splittable_mbox(source.head):
        return False
    return source.length > 2 * CHUNK_BYTES[source.kind]


def parse_if_worth_it(source: Input, classifier: Classifier, jobs: int, carry: dict[str, Any],
                      while_parsing: Callable[[], None] | None = None, engine: Engine | None = None
                      ) -> tuple[pd.DataFrame, Tally] | None:
    """(frame, tally) of an input parsed on several processes, or None when one process is better.

    A large compressed log or mbox is first decompressed to a temporary file, which can then be
    read in ranges (decompressing costs far less than the parsing it lets run in parallel). With an
    ``engine`` (Dask), plain files are split over its workers; a compressed one is read here (a
    temporary file is not on the workers' machines).
    """
    if engine is not None:
        if not worth_splitting(source, engine.cores, need_fork=False):
            return None
        return parse_split(source, classifier, engine.cores, carry, while_parsing, engine)
    if worth_splitting(source, jobs):
        return _split_or_none(source, classifier, jobs, carry, while_parsing)
    if not worth_spooling(source, jobs):
        return None
    with spool_folder("analyzer-") as folder:
        plain = Path(folder) / "input"
        try:
            with source.open() as stream, open(plain, "wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
        except ExpansionError:
            raise  # a decompression bomb: nothing more is spooled, the run says so
        except OSError:  # no room for the copy: parse it in this process instead
            return None
        spooled = dataclasses.replace(source, path=plain, start=0, end=None, _window=None)
        if not worth_splitting(spooled, jobs):
            return None
        return _split_or_none(spooled, classifier, jobs, carry, while_parsing)


def _split_or_none(source: Input, classifier: Classifier, jobs: int, carry: dict[str, Any],
                   while_parsing: Callable[[], None] | None) -> tuple[pd.DataFrame, Tally] | None:
    """:func:`parse_split`, or None when that fails with an OS error (no room for the ranges'
    tables, no processes left): one process then parses the input, and reports it if it is the
    input that cannot be read."""
    try:
        return parse_split(source, classifier, jobs, carry, while_parsing)
    except OSError:
        return None


def worth_spooling(source: Input, jobs: int) -> bool:
    """A compressed log or mbox file whose compressed size alone suggests a long parse."""
    if jobs < 2 or source.kind not in CHUNK_BYTES or source.path is None or not source.path.is_file():
        return False
    if source.splittable or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if source.kind == mailbox.NAME and not mailbox.splittable_mbox(source.head):
        return False
    return source.path.stat().st_size > CHUNK_BYTES[source.kind] // 4


def range_count(source: Input, jobs: int) -> int:
    """How many ranges :func:`plan` cuts: a multiple of ``jobs``, each at most about CHUNK_BYTES."""
    assert source.path is not None
    jobs = max(1, jobs)
    return jobs * math.ceil(source.length / (jobs * CHUNK_BYTES[source.kind]))


def plan(source: Input, jobs: int = 1) -> Iterator[Task]:
    """Ranges of equal size that end at a separator, with the number of their first unit.

    There are :func:`range_count` of them, so that no process is left with a last small range
    while the others wait.  Read lazily: the first ranges are parsed while later ones are cut.
    """
    assert source.path is not None
    separator = _SEPARATOR[source.kind]
    size = max(1, math.ceil(source.length / max(1, range_count(source, jobs))))
    start, first, end = source.start, source.first_unit, source.start + source.length
    with open(source.path, "rb") as raw:
        raw.seek(start)
        while start < end and (block := raw.read(min(size, end - start))):
            if separator == b"\n":
                if start + len(block) < end:  # finish the last line of the range
                    block += raw.readline(min(postfix_log.MAX_LINE_BYTES, end - start - len(block)))
                units = block.count(b"\n")
            else:
                block += _until_next_message(raw)
                units = block.count(separator) + block.startswith(b"From ")
            yield Task(source, start, start + len(block), first)
            start += len(block)
            first += units


def _until_next_message(raw: BinaryIO) -> bytes:
    """The lines up to (not including) the next ``From `` line that follows a blank line."""
    lines: list[bytes] = []
    previous_blank = False
    while line := raw.readline():
        if previous_blank and line.startswith(b"From "):
            raw.seek(-len(line), os.SEEK_CUR)
            break
        lines.append(line)
        previous_blank = line == b"\n"
    return b"".join(lines)


def _init(classifier: Classifier) -> None:
    """A worker: the parent's rules, the default signal handling, and an end with the parent."""
    global _classifier
    _classifier = classifier
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler unwinds the parent only
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    processes.end_with_parent()


#: Spool folders carry their process id, so that a later run can remove those of a killed one.
_SPOOL = re.compile(r"analyzer-(?:ranges-)?(?P<pid>\d+)-")


@contextmanager
def spool_folder(prefix: str) -> Iterator[str]:
    """A temporary folder for one run's spooled data, removed on every exit that runs code; the
    folders of earlier runs whose process is gone (killed) are removed first."""
    base = Path(tempfile.gettempdir())
    for stale in base.glob("analyzer-*"):
        match = _SPOOL.match(stale.name)
        if match is not None and stale.is_dir() and not processes.alive(int(match.group("pid"))):
            shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-") as folder:
        yield folder


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
    table_file = os.path.join(task.spool, f"{task.start}.arrow") if task.spool else ""
    if kind == postfix_log.NAME:
        chunk = postfix_log.Chunk(task.source, tally, data, task.first)
        table = _write_table(chunk.records(), classify, table_file)
        return Result(table_file, tally, chunk.senders, chunk.sizes, chunk.unknown_removed, table=table)
    table = _write_table(mailbox.parse_range(task.source, tally, data, task.first), classify, table_file)
    return Result(table_file, tally, table=table)


def _write_table(records: Iterator[Record], classify: Callable[[Record], Record], path: str
                 ) -> pa.Table | None:
    """The records' table written to ``path`` (None returned), or returned without a path."""
    table = to_table([classify(record) for record in records])
    if not path:
        return table
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return None


def _read_table(path: str) -> pa.Table:
    """A worker's table, memory-mapped (the pages are the file's, read when used)."""
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).read_all()


def parse_split(source: Input, classifier: Classifier, jobs: int, carry: dict[str, Any] | None = None,
                while_parsing: Callable[[], None] | None = None, engine: Engine | None = None
                ) -> tuple[pd.DataFrame, Tally]:
    """The records DataFrame and the tally of one large input, parsed by ``jobs`` processes.

    ``carry`` holds the Postfix senders in flight before this input and receives those after it;
    ``while_parsing`` runs in this process once the workers have started; ``engine`` runs the
    ranges elsewhere (Dask) instead of in processes forked from this one.
    """
    with spool_folder("analyzer-ranges-") as spool:
        if engine is not None:  # another executor (Dask): the tables come back whole
            results = list(engine.run(classifier, plan(source, jobs), while_parsing))
        else:
            results = _run_here(source, classifier, jobs, spool, while_parsing)
        carry = {} if carry is None else carry
        in_flight: dict[tuple[str, str], str] = carry.setdefault("senders", {})
        sizes: dict[tuple[str, str], int] = carry.setdefault("sizes", {})
        tables = []
        for result in results:
            table = _read_table(result.table_file) if result.table_file else result.table
            assert table is not None
            tables.append(_join_senders(table, in_flight, sizes))
            for key in result.unknown_removed:
                in_flight.pop(key, None)
                sizes.pop(key, None)
            in_flight.update(result.senders)
            sizes.update(result.sizes)
        joined = concat_tables(tables) if tables else to_table([])  # copies out of the files
    tally = merge_tallies(source, [r.tally for r in results])
    if source.kind == postfix_log.NAME:  # arrivals in flight before this input meet their qmgr lines
        tally.traffic = Traffic.carried(carry)
        for result in results:
            tally.traffic.add(result.tally.traffic)
    if source.kind == postfix_log.NAME:
        postfix_log.check_recognised(source, tally)
    from .frame import from_table

    return from_table(joined), tally


def _run_here(source: Input, classifier: Classifier, jobs: int, spool: str,
              while_parsing: Callable[[], None] | None) -> list[Result]:
    """The ranges of ``source`` parsed by a pool of processes forked from this one."""
    context = multiprocessing.get_context("fork")
    gc.freeze()  # the workers' collections skip what they inherit (and leave its pages shared)
    try:
        with context.Pool(min(jobs, range_count(source, jobs)), initializer=_init,
                          initargs=(classifier,)) as pool:
            tasks = (dataclasses.replace(task, spool=spool) for task in plan(source, jobs))
            parsed = pool.imap(_work, tasks, chunksize=1)
            if while_parsing is not None:
                while_parsing()
            return list(parsed)
    finally:
        gc.unfreeze()


def run_task(task: Task, classifier: Classifier) -> Result:
    """One range parsed with ``classifier`` (an executor's worker: Dask)."""
    global _classifier
    _classifier = classifier
    return _work(task)


def _join_senders(table: pa.Table, in_flight: dict[tuple[str, str], str],
                  sizes: dict[tuple[str, str], int]) -> pa.Table:
    """``table`` with the senders and sizes of records whose ``qmgr`` line lay in an earlier range."""
    import pyarrow.compute as pc  # loaded here, while the workers parse, not before they start

    missing = pc.and_(pc.is_null(table["sender"]), pc.is_valid(table["queue_id"]))
    if not in_flight or not pc.any(missing).as_py():
        return table
    rows = pc.indices_nonzero(missing)
    keys = list(zip(table["host"].take(rows).to_pylist(), table["queue_id"].take(rows).to_pylist(),
                    strict=True))
    mask = missing.combine_chunks()
    for name, known in (("sender", in_flight), ("size", sizes)):
        found = pa.array([known.get(key) for key in keys], type=table.schema.field(name).type)
        column = pc.replace_with_mask(table[name].combine_chunks(), mask, found)
        table = table.set_column(table.schema.get_field_index(name), name, column)
    return table


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
        merged.events.update(tally.events)
    return merged
