"""One work unit parsed and classified, wherever it runs: its records as an Arrow table, its tally,
and what it hands to the next unit (the Postfix queue ids it leaves in flight)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.ipc

from ..classify import Classifier, default_classifier
from ..formats import BY_NAME, mailbox, postfix_log
from ..records import Record, Tally
from ..table import to_table
from .plan import Unit

#: The rules of a worker process, set once when it starts (not sent with every unit).
_classifier: Classifier | None = None


@dataclass
class Result:
    """What a unit gives back.

    A worker process on this machine leaves the table as an Arrow file in the unit's spool
    (``table_file``): handing 10 MB back through a pipe kept each worker waiting about 50 ms per
    range.  Elsewhere (this process, a Dask worker, a full disk) the table itself comes back.
    """

    tally: Tally
    table: pa.Table | None = None
    table_file: str = ""
    senders: dict[tuple[str, str], str] = field(default_factory=dict)
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    unknown_removed: set[tuple[str, str]] = field(default_factory=set)

    def records(self) -> pa.Table:
        """The unit's records; a spooled table is memory-mapped (its pages are read when used)."""
        if self.table is not None:
            return self.table
        with pa.memory_map(self.table_file) as source:
            return pa.ipc.open_file(source).read_all()


def set_worker_rules(classifier: Classifier) -> None:
    """A worker process's classifier, for every unit it parses."""
    global _classifier
    _classifier = classifier


def work(unit: Unit, classifier: Classifier | None = None,
         first_sight: Callable[[str], bool] | None = None) -> Result:
    """Parse and classify ``unit``.  ``first_sight`` (``--state``, this process only) says whether a
    bounce message is new.  Postfix logs are parsed without the senders in flight before the unit:
    its records whose ``qmgr`` line lies earlier come out without one (see :mod:`.reduce`)."""
    classify = (classifier or _classifier or default_classifier()).classify
    source, kind = unit.source, unit.source.kind
    tally = Tally(source=source.name, kind=kind, unit=BY_NAME[kind].UNIT)
    if kind == postfix_log.NAME:  # a range is read as a stream of its window of the file
        part = source if unit.start is None else dataclasses.replace(
            source, start=unit.start, end=unit.end, first_unit=unit.first, _window=None)
        chunk = postfix_log.Chunk(part, tally)
        table = _classified(chunk.records(), classify)
        return _kept(unit, Result(tally, table, senders=chunk.senders, sizes=chunk.sizes,
                                  unknown_removed=chunk.unknown_removed))
    if unit.whole:
        carry = {"first_sight": first_sight} if first_sight else None
        records = BY_NAME[kind].parse(source, tally, carry)
    else:
        data = _bytes(unit)
        assert data is not None
        records = mailbox.parse_range(source, tally, data, unit.first)
    return _kept(unit, Result(tally, _classified(records, classify)))


def _bytes(unit: Unit) -> bytes | None:
    """The bytes of a range; None for a whole input, which is read as a stream."""
    if unit.start is None or unit.end is None:
        return None
    assert unit.source.path is not None
    with open(unit.source.path, "rb") as raw:
        raw.seek(unit.start)
        return raw.read(unit.end - unit.start)


def _classified(records: Iterator[Record], classify: Callable[[Record], Record]) -> pa.Table:
    return to_table([classify(record) for record in records])


def _kept(unit: Unit, result: Result) -> Result:
    """``result`` with its table written to the unit's spool, if it has one and there is room."""
    if not unit.spool or result.table is None:
        return result
    try:
        handle, path = tempfile.mkstemp(suffix=".arrow", dir=unit.spool)
        os.close(handle)
        write_table(result.table, path)
    except OSError:  # no room: the table goes back through the pipe
        return result
    result.table, result.table_file = None, path
    return result


def write_table(table: pa.Table, path: str) -> None:
    """``table`` as an Arrow file at ``path``."""
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
