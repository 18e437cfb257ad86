"""Input formats behind one interface, in an explicit ordered registry (first match wins).

A format is a module with ``NAME``, ``UNIT`` (``"lines"`` or ``"messages"``),
``sniff(head, path) -> bool`` and ``parse(source, tally, carry) -> Iterator[Record]``; ``carry`` is
a dict shared by the inputs of one run, for state one input hands to the next (or None).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from ..records import Record, Tally
from ..sources import Input
from . import mailbox, postfix_log, unreadable


class Format(Protocol):
    """What every input format module provides."""

    NAME: str
    UNIT: str

    def sniff(self, head: bytes, path: Path | None) -> bool: ...

    def parse(
        self, source: Input, tally: Tally, carry: dict[str, Any] | None = None
    ) -> Iterator[Record]: ...


#: Most specific first; the Postfix log is the fallback for text that is not mail.
REGISTRY: list[Format] = [mailbox, postfix_log]
FALLBACK: Format = postfix_log
#: Also the inputs that open_inputs names itself (files of a directory that cannot be read).
BY_NAME: dict[str, Format] = {f.NAME: f for f in [*REGISTRY, unreadable]}


def sniff(head: bytes, path: Path | None) -> str:
    """The name of the first format that recognises ``head`` (or the directory ``path``)."""
    for fmt in REGISTRY:
        if fmt.sniff(head, path):
            return fmt.NAME
    return FALLBACK.NAME
