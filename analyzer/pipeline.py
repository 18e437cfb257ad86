"""Inputs -> formats -> classify: records (streaming) or one DataFrame, and the accounting of every input."""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from .classify import Classifier, default_classifier
from .formats import BY_NAME, mailbox, sniff
from .records import Accounting, Record, Tally
from .sources import Input, InputError, open_inputs

if TYPE_CHECKING:  # pandas is imported when the first DataFrame is made (see read_frame)
    import pandas as pd

    from .dask_engine import Engine
    from .store import Store


def read_records(
    inputs: Iterable[str] | str,
    accounting: Accounting | None = None,
    classifier: Classifier | None = None,
) -> Iterator[Record]:
    """Classified records of every input, one at a time; per-input counts go to ``accounting``.

    Raises :class:`InputError` for an input that does not exist or cannot be read.
    """
    accounting = accounting if accounting is not None else Accounting()
    classifier = classifier or default_classifier()
    carry: dict[str, Any] = {}
    for source in open_inputs(_specs(inputs), sniff):
        yield from _records_of(source, accounting, classifier, carry)


def read_frame(
    inputs: Iterable[str] | str,
    accounting: Accounting | None = None,
    classifier: Classifier | None = None,
    jobs: int | None = None,
    while_parsing: Callable[[], None] | None = None,
    store: Store | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """All records as one DataFrame; large plain logs are parsed on ``jobs`` cores (default: all).

    ``while_parsing`` is called once, while worker processes parse (or after parsing when none
    were needed): the command line loads pandas and the report's modules there.  With a ``store``
    (``--state``), only what earlier runs have not read is read, and the store learns what was; an
    ``engine`` (Dask) parses large plain inputs on its workers instead of local processes.
    """
    from . import parallel, processes

    accounting = accounting if accounting is not None else Accounting()
    classifier = classifier or default_classifier()
    jobs = processes.jobs_available() if jobs is None else jobs
    frames = []
    pending = [while_parsing] if while_parsing is not None else []

    def run_pending() -> None:
        while pending:
            pending.pop()()

    carry: dict[str, Any] = {}  # state one input hands to the next (Postfix senders in flight)
    if store is not None:
        carry["senders"], carry["sizes"] = store.in_flight()
        carry.update(store.carried())
        carry["first_sight"] = store.first_sight
    for whole in open_inputs(_specs(inputs), sniff):
        earlier = Tally(source=whole.name, kind=whole.kind, unit=BY_NAME[whole.kind].UNIT)
        by_offset = store if earlier.unit == "lines" else None  # mailboxes: by message instead
        source = by_offset.unread_part(whole, earlier) if by_offset is not None else whole
        if source is None:  # nothing new since the last run
            accounting.tallies.append(earlier)
            continue
        try:
            # with a store, mailboxes are read here, where each message is looked up in it
            done = None if store is not None and source.kind == mailbox.NAME else \
                parallel.parse_if_worth_it(source, classifier, jobs, carry, run_pending, engine)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as error:
            raise InputError(f"{source.name}: cannot read: {error}") from None
        if done is not None:
            frame, tally = done
            accounting.tallies.append(tally)
            accounting.warnings.extend(tally.warnings)
            frames.append(frame)
        else:
            with processes.gc_paused():
                frames.append(_to_frame(list(_records_of(source, accounting, classifier, carry))))
            tally = accounting.tallies[-1]
        tally.earlier += earlier.earlier
        if by_offset is not None and source.path is not None and source.path.is_file():
            by_offset.read_up_to(source, tally)
    if store is not None:
        store.keep_in_flight(carry.get("senders", {}), carry.get("sizes", {}))
        store.keep_carried(carry)
    run_pending()
    if not frames:
        return _to_frame([])
    return frames[0] if len(frames) == 1 else _concat(frames)


def _to_frame(records: list[Record]) -> pd.DataFrame:
    from .frame import to_frame  # pandas: loaded on first use

    return to_frame(records)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame whose time column stays a datetime column: if any input carries time zones, naive
    times (of the other inputs, and of inputs with no record or no stamp at all) are taken as this
    machine's local time (classic syslog stamps are the server's local time) and all become UTC."""
    from .frame import concat

    if any(getattr(f["time"].dtype, "tz", None) is not None for f in frames):
        local = datetime.now().astimezone().tzinfo
        frames = [f.assign(time=_as_utc(f["time"], local)) for f in frames]
    return concat(frames)


def _as_utc(times: pd.Series, local: tzinfo | None) -> pd.Series:
    if getattr(times.dtype, "tz", None) is None:
        times = times.dt.tz_localize(local, ambiguous="NaT", nonexistent="shift_forward")
    return times.dt.tz_convert("UTC")


def _specs(inputs: Iterable[str] | str) -> list[str]:
    return [inputs] if isinstance(inputs, str) else list(inputs)


def _records_of(source: Input, accounting: Accounting, classifier: Classifier, carry: dict[str, Any]
                ) -> Iterator[Record]:
    fmt = BY_NAME[source.kind]
    tally = Tally(source=source.name, kind=fmt.NAME, unit=fmt.UNIT)
    accounting.tallies.append(tally)
    classify = classifier.classify
    try:
        for record in fmt.parse(source, tally, carry):
            yield classify(record)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as error:
        raise InputError(f"{source.name}: cannot read: {error}") from None
    accounting.warnings.extend(tally.warnings)
