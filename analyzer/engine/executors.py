"""Executors run work units: here, in this process (:class:`Here`), or in processes forked from it
(:class:`Processes`); :mod:`analyzer.engine.dask` runs them on a Dask cluster.

Each has ``cores`` (ranges are cut in multiples of it), ``takes(unit)`` (whether it can run that unit)
and ``submit(unit)``, which starts the unit and returns a callable that waits for its result.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from typing import Any, Protocol

from .. import processes
from ..classify import Classifier
from ..formats import mailbox
from .plan import Unit
from .work import Result, set_worker_rules, work

Pending = Callable[[], Result]


class Executor(Protocol):
    @property
    def cores(self) -> int: ...

    def takes(self, unit: Unit) -> bool: ...

    def submit(self, unit: Unit, classifier: Classifier) -> Pending: ...

    def close(self) -> None: ...


class Here:
    """This process, one unit after the other (a unit runs when its result is asked for)."""

    cores = 1

    def __init__(self, first_sight: Callable[[str], bool] | None = None) -> None:
        self.first_sight = first_sight

    def takes(self, unit: Unit) -> bool:
        return True

    def submit(self, unit: Unit, classifier: Classifier) -> Pending:
        first_sight = self.first_sight if unit.source.kind == mailbox.NAME else None
        return lambda: work(unit, classifier, first_sight)

    def close(self) -> None:
        pass


class Processes:
    """A pool of ``cores`` processes forked from this one when the first unit is submitted (they
    inherit the rules and the imports)."""

    def __init__(self, cores: int) -> None:
        self.cores = cores
        self._pool: Any = None

    def takes(self, unit: Unit) -> bool:
        """Ranges of files, where processes can be forked: a whole input is read here, where its
        state (a stream, a store) is."""
        return not unit.whole and "fork" in multiprocessing.get_all_start_methods()

    def submit(self, unit: Unit, classifier: Classifier) -> Pending:
        """Run ``unit`` in the pool (started now with ``classifier``, the rules of every unit)."""
        if self._pool is None:
            # pyarrow imports pandas when it first builds an array: imported here, once, the workers
            # inherit it instead of each importing it again (13 % of the CPU of a 10,000-bounce mbox)
            import pandas  # noqa: F401

            try:
                self._pool = multiprocessing.get_context("fork").Pool(
                    self.cores, initializer=_start_worker, initargs=(classifier,))
            except OSError:  # no processes or memory left: the units run here
                self._pool = False
        if self._pool is False:
            return lambda: work(unit, classifier)
        return self._pool.apply_async(work, (unit,)).get

    def close(self) -> None:
        if self._pool:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _start_worker(classifier: Classifier) -> None:
    """A worker: the parent's rules, the default signal handling, and an end with the parent."""
    set_worker_rules(classifier)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler unwinds the parent only
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    processes.end_with_parent()
