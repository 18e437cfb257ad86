"""Work units on a Dask cluster (``analyze --engine dask``): the ranges of the local plan, run by
dask.distributed workers.

An optional part (``pip install '.[dask]'``): nothing else imports this module. The workers read the
inputs themselves, so every input must be at the same path on every worker (a shared file system);
a run says so when it is not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..classify import Classifier
from ..sources import InputError
from .plan import Unit
from .work import Result, work


class Dask:
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
        self._rules: dict[int, Any] = {}
        self._checked: set[str] = set()

    @property
    def cores(self) -> int:
        """Worker threads of the cluster: ranges are cut in multiples of it."""
        return max(1, sum(self.client.nthreads().values()))

    def takes(self, unit: Unit) -> bool:
        """Ranges of plain files (a temporary file of this machine is not on the workers')."""
        return not unit.whole and unit.source.splittable

    def submit(self, unit: Unit, classifier: Classifier) -> Callable[[], Result]:
        path = str(unit.source.path)
        if path not in self._checked:
            self._check_readable(path)
            self._checked.add(path)
        if id(classifier) not in self._rules:  # sent to each worker once, not with every unit
            self._rules[id(classifier)] = self.client.scatter(classifier, broadcast=True)
        future = self.client.submit(_work, unit, self._rules[id(classifier)], pure=False)
        return lambda: future.result()

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


def _work(unit: Unit, classifier: Classifier) -> Result:
    return work(unit, classifier)
