"""A temporary folder for one run's spooled data (range tables, decompressed inputs)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import processes

#: Spool folders carry their process id, so that a later run can remove those of a killed one.
_SPOOL = re.compile(r"analyzer-(?:ranges-)?(?P<pid>\d+)-")


@contextmanager
def spool_folder(prefix: str) -> Iterator[str]:
    """A temporary folder, removed on every exit that runs code; the folders of earlier runs whose
    process is gone (killed) are removed first."""
    base = Path(tempfile.gettempdir())
    for stale in base.glob("analyzer-*"):
        match = _SPOOL.match(stale.name)
        if match is not None and stale.is_dir() and not processes.alive(int(match.group("pid"))):
            shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-") as folder:
        yield folder
