"""A file found inside an input directory or glob that cannot be read (a dangling symlink, no
permission): counted as one unparsed file with the reason, and the run goes on.

A file the user names directly that cannot be read stays a usage error (exit status 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..records import Record, Tally
from ..sources import Input

NAME = "unreadable"
UNIT = "files"


def sniff(head: bytes, path: Path | None) -> bool:
    """Never chosen by content: :func:`analyzer.sources.open_inputs` names such inputs itself."""
    return False


def parse(source: Input, tally: Tally, carry: dict[str, Any] | None = None) -> Iterator[Record]:
    """No records: the file is counted as read and unparsed, with why, and a warning."""
    tally.read += 1
    tally.unparsed += 1
    why = source.error or "cannot read"
    tally.examples.append(f"{source.name}: {why}")
    tally.warnings.append(f"{source.name}: skipped, {why}")
    yield from ()
