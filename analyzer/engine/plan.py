"""The plan of a run: each input becomes work units, either the whole input or byte ranges of it.

A range ends at a line boundary (logs) or before a ``From`` line (LF mboxes) and knows the number of
its first line or message, so records come out numbered as if the input had been read in one piece.
The part of an input that earlier runs read (``--state``) is left out before planning: a unit never
covers it.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..formats import mailbox, postfix_log
from ..sources import Input

#: Bytes per range: about one second of work for one core.
CHUNK_BYTES = {postfix_log.NAME: 24 * 1024 * 1024, mailbox.NAME: 6 * 1024 * 1024}
#: Where a range may end: after a newline (logs), before a ``From `` line after a blank line (mbox).
_SEPARATOR = {postfix_log.NAME: b"\n", mailbox.NAME: b"\n\nFrom "}


@dataclass
class Unit:
    """One piece of work: ``source`` read whole (``start`` None, as a stream), or the byte range
    ``start``..``end`` of a plain file whose first line or message is number ``first``.

    ``spool`` is a folder where a worker process may leave the unit's records as an Arrow file.
    """

    source: Input
    start: int | None = None
    end: int | None = None
    first: int = 1
    spool: str = ""

    @property
    def whole(self) -> bool:
        return self.start is None

    @property
    def size(self) -> int:
        """Bytes of the range (of the file, for a whole input; 0 for a stream)."""
        if self.start is not None and self.end is not None:
            return self.end - self.start
        path = self.source.path
        return path.stat().st_size if path is not None and path.is_file() else 0


def worth_splitting(source: Input) -> bool:
    """A plain Postfix log or LF mbox of more than two ranges' worth: read in ranges, which run on
    several cores when there are, and one after another here otherwise (a bar then shows their
    progress)."""
    if source.kind not in CHUNK_BYTES or not source.splittable or source.path is None:
        return False
    if source.kind == mailbox.NAME and not mailbox.splittable_mbox(source.head):
        return False
    return source.length > 2 * CHUNK_BYTES[source.kind]


def worth_spooling(source: Input, cores: int) -> bool:
    """A compressed log or mbox file whose compressed size alone suggests a long parse: worth
    decompressing to a temporary file, which can then be split."""
    if cores < 2 or source.kind not in CHUNK_BYTES or source.path is None or not source.path.is_file():
        return False
    if source.splittable or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if source.kind == mailbox.NAME and not mailbox.splittable_mbox(source.head):
        return False
    return source.path.stat().st_size > CHUNK_BYTES[source.kind] // 4


def range_count(source: Input, cores: int) -> int:
    """How many ranges :func:`ranges` cuts: a multiple of ``cores``, each at most about CHUNK_BYTES."""
    cores = max(1, cores)
    return cores * math.ceil(source.length / (cores * CHUNK_BYTES[source.kind]))


def ranges(source: Input, cores: int = 1) -> Iterator[Unit]:
    """Ranges of equal size that end at a separator, with the number of their first unit.

    There are :func:`range_count` of them, so that no core is left with a last small range while
    the others wait.  Read lazily: the first ranges are parsed while later ones are cut.
    """
    assert source.path is not None
    separator = _SEPARATOR[source.kind]
    size = max(1, math.ceil(source.length / max(1, range_count(source, cores))))
    start, first, end = source.start, source.first_unit, source.start + source.length
    with open(source.path, "rb") as raw:
        raw.seek(start)
        while start < end:
            if separator == b"\n":  # counted in pieces: a range is never held whole
                length = units = 0
                while length < min(size, end - start) and (piece := raw.read(min(1 << 20, size - length,
                                                                                   end - start - length))):
                    length, units = length + len(piece), units + piece.count(b"\n")
                if not length:
                    break
                if start + length < end:  # finish the last line of the range
                    rest = raw.readline(min(postfix_log.MAX_LINE_BYTES, end - start - length))
                    length, units = length + len(rest), units + rest.count(b"\n")
            else:
                block = raw.read(min(size, end - start))
                if not block:
                    break
                block += _until_next_message(raw)
                length = len(block)
                units = block.count(separator) + block.startswith(b"From ")
            yield Unit(source, start, start + length, first)
            start += length
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
