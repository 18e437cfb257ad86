"""Byte ranges parsed on a Dask cluster (``analyze --engine dask``): the same plan of ranges as the
local processes of :mod:`analyzer.parallel`, run by dask.distributed workers.

An optional part (``pip install '.[dask]'``): nothing else imports this module. The workers read the
inputs themselves, so every input must be at the same path on every worker (a shared file system);
a run says so when it is not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .classify import Classifier
from .parallel import Result, Task, run_task
from .sources import InputError


class Engine:
    """A Dask client: of the cluster at ``address``, or of a LocalCluster started for the run."""

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("--engine dask needs Dask: pip install 'bounce-analyzer[dask]'") from None
        self.cluster = None if address else LocalCluster(n_workers=workers, threads_per_worker=1,
                                                         processes=True, dashboard_address=None)
        try:
            self.client: Any = Client(address or self.cluster, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise InputError(f"--scheduler {address}: cannot reach the Dask scheduler: {error}") from None
        self._shared: dict[int, Any] = {}

    @property
    def cores(self) -> int:
        """Worker threads of the cluster: ranges are cut in multiples of it."""
        return max(1, sum(self.client.nthreads().values()))

    def run(self, classifier: Classifier, tasks: Iterable[Task],
            while_waiting: Callable[[], None] | None = None) -> Iterator[Result]:
        """Each range's result, in order; ``while_waiting`` runs here once they are submitted."""
        tasks = list(tasks)
        if tasks:
            self._check_readable(str(tasks[0].source.path))
        if id(classifier) not in self._shared:  # sent to each worker once, not with every range
            self._shared[id(classifier)] = self.client.scatter(classifier, broadcast=True)
        futures = self.client.map(run_task, tasks, classifier=self._shared[id(classifier)], pure=False)
        if while_waiting is not None:
            while_waiting()
        for future in futures:
            yield future.result()

    def _check_readable(self, path: str) -> None:
        readable = self.client.run(os.access, path, os.R_OK)
        missing = [worker for worker, ok in readable.items() if not ok]
        if missing:
            raise InputError(f"{path}: not readable by the Dask workers {', '.join(missing[:3])}: the inputs "
                             "must be at the same path on every worker (a shared file system)")

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
