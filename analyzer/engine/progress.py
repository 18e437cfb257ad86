"""Progress bars on stderr for long runs (tqdm): all inputs, and the input being read.

Only on a terminal (never in cron mail or a pipe), and only once a run has lasted ``DELAY`` seconds.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

#: Seconds before the bars appear: short runs show none.
DELAY = 2.0


class Progress:
    """Bytes read, overall and for the current input; does nothing when ``stream`` is no terminal."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None, delay: float = DELAY) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.delay = delay
        self.total = 0
        self._overall: Any = None
        self._input: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm
            self._overall = tqdm(total=None, desc="all inputs", unit="B", unit_scale=True, delay=self.delay,
                                 position=0, leave=False, file=self.stream, dynamic_ncols=True)
        return self

    def planned(self, size: int) -> None:
        """An input of ``size`` bytes joins the run."""
        if self._overall is not None and size:
            self.total += size
            self._overall.total = self.total
            self._overall.refresh()

    def reading(self, name: str, size: int) -> None:
        """The results of input ``name`` (``size`` bytes) are being read."""
        if self._overall is not None:
            self.read_all()
            self._input = self._bar(total=size or None, desc=_short(name), unit="B", unit_scale=True,
                                    delay=self.delay, position=1, leave=False, file=self.stream,
                                    dynamic_ncols=True)

    def advance(self, size: int) -> None:
        """``size`` more bytes of the current input are read."""
        for bar in (self._overall, self._input):
            if bar is not None and size:
                bar.update(size)

    def read_all(self) -> None:
        """The current input is read."""
        if self._input is not None:
            self._input.close()
            self._input = None

    def __exit__(self, *_: object) -> None:
        self.read_all()
        if self._overall is not None:
            self._overall.close()


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]
