"""Process helpers: how many cores, whether a process lives, and one forked helper process."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def jobs_available() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def alive(pid: int) -> bool:
    """True while a process ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def end_with_parent() -> None:
    """Ask Linux to end this (child) process when its parent dies, even by SIGKILL; elsewhere nothing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def release_memory() -> None:
    """Hand the memory freed so far back to the system: Arrow's pool's unused pages and, on glibc,
    the free parts of the C heap (``malloc_trim``).  Both allocators keep freed memory for reuse,
    which after the work on many units was a third of a run's RSS."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def forked(function: Callable[[], T]) -> Callable[[], T]:
    """Start ``function`` in a forked child process now; the returned callable waits for its
    (pickled) result.  The child shares the parent's data as it was at the fork, without copying.
    Where no child can be started (no fork, no memory or processes left), ``function`` runs here."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not Linux
        return _done_here(function)
    context = multiprocessing.get_context("fork")
    try:
        receiving, sending = context.Pipe(duplex=False)
    except OSError:
        return _done_here(function)

    def child() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler unwinds the parent only
        end_with_parent()
        try:
            sending.send((True, function()))
        except BaseException as error:  # handed to the parent, which raises it
            sending.send((False, error))

    process = context.Process(target=child, daemon=True)
    try:
        process.start()
    except OSError:
        receiving.close()
        sending.close()
        return _done_here(function)
    sending.close()

    def result() -> T:
        try:
            done, value = receiving.recv()
        except EOFError:  # it died without a word (killed, or its result could not be pickled)
            process.join()
            raise RuntimeError(f"a helper process died (exit status {process.exitcode})") from None
        process.join()
        if not done:
            raise value
        return value

    return result


def _done_here(function: Callable[[], T]) -> Callable[[], T]:
    value = function()
    return lambda: value
