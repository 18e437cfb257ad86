"""Successful deliveries compacted into weighted rows, so that a run holds aggregates, not records.

Most records of a Postfix log are ``sent`` deliveries that differ only in time and per-message
details.  :func:`derive` adds the columns the report reads from those details (``weight``,
``last_time``, delays in whole microseconds ...), :func:`collapse` then adds up the ``sent`` rows of
one UTC hour that agree on every other column into one row whose ``weight`` says how many records it
stands for.  What the report needs per record of them is kept as small side tables (:class:`Side`):
the recipients delivered to and the ``delay=`` values, each value with its count.

Kept as records: every record that is not a ``sent`` line of a Postfix log, a delivery whose text
only the fallback classified (the unknowns table lists it), and the deliveries to a recipient domain
of a message (host, queue id, the recipient after its last ``@``) with a deferral in the same or an
earlier unit.  The lifecycle figures follow each deferred recipient (or, with ``--redact``, each
masked one: the domain is the part that masking leaves); a delivery before any deferral of its
recipient counts there for nothing.
Consumers read ``weight`` where they count (:func:`weights`: 1 per row for a frame without it) and
the side tables where they need per-record values (:func:`delivered_recipients`,
:func:`delivered_delays`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .table import LOCAL_TIME, UTC_OFFSET, kept_apart

if TYPE_CHECKING:  # pandas is loaded by the consumers' helpers only: the engine reads inputs first
    import pandas as pd

#: The parts of ``delays=a/b/c/d``, in the order Postfix logs them.
DELAY_PARTS = ("before_queue", "in_queue", "connection", "transmission")
#: Delays added up exactly: ``delay=`` and each part, as sums of whole microseconds and counts.
SUMMED = ("delay", *DELAY_PARTS)
#: Columns :func:`derive` adds, with their types.
DERIVED = {
    "weight": pa.int64(), "last_time": LOCAL_TIME, "forwarded": pa.bool_(), "queued_as": pa.bool_(),
    **{f"{name}_us": pa.int64() for name in SUMMED}, **{f"{name}_n": pa.int64() for name in SUMMED},
    "delay_max": pa.float64(),
}
#: Per-record detail: dropped (null) in a collapsed row, whose group keys are every other column
#: (``source``, the input and line, becomes the input's name).
DETAIL = ("time", "last_time", "queue_id", "sender", "recipient", "orig_to", "size", "delay", "delays",
          "message_id", "diagnostic", "pattern", "delay_max", *(f"{name}_us" for name in SUMMED),
          *(f"{name}_n" for name in SUMMED), "weight")
#: Side tables are added up again once this many unit tables have been collected.
MERGE_EVERY = 16
_NUMBER = r"\d{1,12}(?:\.\d{1,9})?"


def derive(table: pa.Table) -> pa.Table:
    """``table`` (of :func:`analyzer.table.to_table`) with the columns of :data:`DERIVED`, computed
    from the detail columns: one record each (``weight`` 1), ``last_time`` its time, whether a
    delivery was forwarded (``forwarded as``) or handed on (``queued as``), ``delay=`` and each part
    of ``delays=`` in whole microseconds (exact to add up in any order) with a count of 1 where
    known, and ``delay_max`` (``delay=``)."""
    if "weight" in table.column_names:
        return table
    columns = derived_columns(table["status"], table["diagnostic"], table["delay"], table["delays"])
    columns["last_time"] = table["time"]
    for name, kind in DERIVED.items():
        table = table.append_column(pa.field(name, kind), pa.chunked_array([columns[name]], kind)
                                    if isinstance(columns[name], pa.Array) else columns[name].cast(kind))
    return table


def derived_columns(status: pa.ChunkedArray | pa.Array, diagnostic: pa.ChunkedArray | pa.Array,
                    delay: pa.ChunkedArray | pa.Array, delays: pa.ChunkedArray | pa.Array
                    ) -> dict[str, pa.Array]:
    """The columns of :data:`DERIVED` but ``last_time``, from four columns of the records."""
    diagnostic = _flat(diagnostic)
    length = len(diagnostic)
    sent = pc.fill_null(pc.equal(_text(status), "sent"), False)
    says = pc.fill_null(pc.match_substring(diagnostic, "forwarded as "), False)
    columns: dict[str, pa.Array] = {
        "weight": pa.array(np.ones(length, dtype=np.int64)),
        "forwarded": pc.and_(sent, says),
        "queued_as": pc.fill_null(pc.match_substring(diagnostic, "queued as"), False),
        "delay_max": pc.cast(_flat(delay), pa.float64()),
    }
    seconds = {"delay": columns["delay_max"], **_parts(_text(delays))}
    for name, values in seconds.items():
        columns[f"{name}_us"] = microseconds(values)
        columns[f"{name}_n"] = pc.cast(pc.is_valid(values), pa.int64())
    return columns


def microseconds(seconds: pa.Array) -> pa.Array:
    """Seconds as whole microseconds (int64; null stays null)."""
    return pc.cast(pc.round(pc.multiply(seconds, 1e6)), pa.int64())


def _parts(delays: pa.Array) -> dict[str, pa.Array]:
    """``delays=a/b/c/d`` as four float arrays (:data:`DELAY_PARTS`), null where not of that form."""
    form = f"^{_NUMBER}/{_NUMBER}/{_NUMBER}/{_NUMBER}$"
    valid = pc.fill_null(pc.match_substring_regex(delays, form), False)
    parts = pc.split_pattern(pc.if_else(valid, delays, pa.scalar("///", delays.type)), "/")
    found = {}
    for i, name in enumerate(DELAY_PARTS):
        values = pc.list_element(parts, i)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
        found[name] = pc.cast(values, pa.float64())
    return found


def _flat(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Values as a plain string array (dictionaries decoded)."""
    values = _flat(values)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return pc.cast(values, pa.large_string())


@dataclass
class Side:
    """What collapsed rows no longer hold per record: the recipients delivered to (``recipient``,
    ``forwarded``, ``count``, ``bytes``) and the ``delay=`` values of delivered mail that was not
    forwarded (``delay``, ``count``)."""

    recipients: list[pa.Table] = field(default_factory=list)
    delays: list[pa.Table] = field(default_factory=list)

    def add(self, recipients: pa.Table, delays: pa.Table) -> None:
        """One unit's side tables; the collected ones are added up every :data:`MERGE_EVERY`."""
        self.recipients.append(recipients)
        self.delays.append(delays)
        if len(self.recipients) >= MERGE_EVERY:
            self.recipients = [_summed(self.recipients, ["recipient", "forwarded"], ["count", "bytes"])]
            self.delays = [_summed(self.delays, ["delay"], ["count"])]

    def redact(self) -> None:
        """Local parts of the recipients masked, as :func:`analyzer.frame.redact` masks the records'."""
        from .frame import _ADDRESS_LOCAL_PART

        merged = _summed(self.recipients or [_recipients(_empty_rows())], ["recipient", "forwarded"],
                         ["count", "bytes"])
        masked = pc.replace_substring_regex(merged["recipient"], _ADDRESS_LOCAL_PART, "***@")
        self.recipients = [_summed([merged.set_column(0, "recipient", masked)], ["recipient", "forwarded"],
                                   ["count", "bytes"])]

    def recipient_frame(self) -> pd.DataFrame:
        """The recipients as a DataFrame (``recipient`` as strings)."""
        import pandas as pd

        table = _summed(self.recipients or [_recipients(_empty_rows())], ["recipient", "forwarded"],
                        ["count", "bytes"])
        return table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow")}.get)

    def delay_counts(self) -> pd.Series:
        """Each ``delay=`` value and how often it was logged."""
        import pandas as pd

        table = _summed(self.delays or [_delays(_empty_rows())], ["delay"], ["count"])
        return pd.Series(table["count"].to_numpy(), index=table["delay"].to_numpy(), dtype="int64")


def _summed(tables: list[pa.Table], keys: list[str], sums: list[str]) -> pa.Table:
    table = pa.concat_tables(tables)
    grouped = table.group_by(keys, use_threads=False).aggregate([(name, "sum") for name in sums])
    return grouped.rename_columns([*keys, *sums]).select([*keys, *sums])


def _empty_rows() -> pa.Table:
    return pa.table({"recipient": pa.array([], pa.large_string()), "forwarded": pa.array([], pa.bool_()),
                     "size": pa.array([], pa.int64()), "delay": pa.array([], pa.float64())})


def _recipients(rows: pa.Table) -> pa.Table:
    rows = rows.select(["recipient", "forwarded", "size"]).append_column(
        "count", pa.array(np.ones(rows.num_rows, dtype=np.int64)))
    rows = rows.set_column(2, "bytes", pc.fill_null(rows["size"], 0))
    return _summed([rows], ["recipient", "forwarded"], ["count", "bytes"])


def _delays(rows: pa.Table) -> pa.Table:
    kept = rows.filter(pc.and_(pc.invert(rows["forwarded"]), pc.is_valid(rows["delay"])))
    kept = kept.select(["delay"]).append_column("count", pa.array(np.ones(kept.num_rows, dtype=np.int64)))
    return _summed([kept], ["delay"], ["count"])


@dataclass
class Compactor:
    """Collapses unit after unit of a run (in plan order), keeping what later units need: the keys
    (:func:`_keys`) of the deferrals seen, and the side tables."""

    side: Side = field(default_factory=Side)
    deferred: list[pa.Array] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0

    def add(self, table: pa.Table) -> pa.Table:
        """``table`` derived and collapsed."""
        table = derive(table)
        self.deferred.append(pc.unique(_keys(table.filter(_is(table, "deferred")))))
        collapsed, recipients, delays = collapse(table, pc.unique(pa.chunked_array(self.deferred,
                                                                                   pa.large_string())))
        self.side.add(recipients, delays)
        self.rows_in += table.num_rows
        self.rows_out += collapsed.num_rows
        return kept_apart(collapsed)


def _is(table: pa.Table, status: str) -> pa.Array:
    return pc.fill_null(pc.equal(_text(table["status"]), status), False)


def _keys(table: pa.Table) -> pa.Array:
    """(host, queue id, the lower-cased recipient after its last ``@``) of each row, as one string:
    the same for any two rows of one (host, queue id, recipient), masked by ``--redact`` or not."""
    parts = [pc.fill_null(_text(table[name]), "") for name in ("host", "queue_id")]
    recipient = pc.utf8_lower(_text(table["recipient"]))
    split = pc.split_pattern(recipient, "@", max_splits=1, reverse=True)
    after = pc.if_else(pc.match_substring(recipient, "@"), pc.list_element(split, 1), recipient)
    return pc.binary_join_element_wise(*parts, pc.fill_null(after, ""), pa.scalar("\x00", pa.large_string()))


def collapse(table: pa.Table, deferred: pa.Array | None = None) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``table`` (of :func:`derive`) with its ``sent`` rows from Postfix logs added up per UTC hour and
    every column but :data:`DETAIL`; kept as rows: the rest, and deliveries whose key (of
    :func:`_keys`) is among ``deferred``.  Also the side tables of the
    collapsed rows (see :class:`Side`)."""
    table = derive(table)
    from_logs = pc.fill_null(pc.equal(_text(table["parser"]), "postfix-log"), False)
    candidate = pc.and_(pc.and_(_is(table, "sent"), from_logs), pc.invert(_unclassified(table)))
    if deferred is not None and len(deferred):
        candidate = pc.and_(candidate, pc.invert(pc.is_in(_keys(table), value_set=deferred)))
    kept, rows = table.filter(pc.invert(candidate)), table.filter(candidate)
    recipients = _recipients(rows.select(["recipient", "forwarded", "size", "delay"]).set_column(
        0, "recipient", _text(rows["recipient"])))
    delays = _delays(rows.select(["forwarded", "delay"]))
    return _concat(kept, _grouped(rows)), recipients, delays


def _unclassified(table: pa.Table) -> pa.Array:
    """Rows that :func:`analyzer.unknowns.unclassified` lists by their diagnostic (kept as records)."""
    rule = _text(table["rule"])
    fallback = pc.or_kleene(pc.starts_with(rule, "fallback"), pc.starts_with(rule, "none"))
    return pc.fill_null(pc.or_kleene(fallback, pc.equal(_text(table["reason"]), "undefined")), False)


def _grouped(rows: pa.Table) -> pa.Table:
    """The rows added up per UTC hour (and wall-clock hour) and every column but :data:`DETAIL`."""
    wall = rows["time"]
    offset = rows[UTC_OFFSET]
    utc = pc.subtract(wall, pc.fill_null(offset, pa.scalar(0, offset.type)))
    hours = {"_wall_hour": pc.floor_temporal(wall, 1, "hour"), "_utc_hour": pc.floor_temporal(utc, 1, "hour")}
    for name, values in hours.items():
        rows = rows.append_column(name, values)
    where = rows.schema.get_field_index("source")  # "input:line" -> "input"
    rows = rows.set_column(where, "source", pc.replace_substring_regex(rows["source"], ":[0-9]{1,20}$", ""))
    keys = [name for name in rows.column_names if name not in DETAIL]
    sums = ["weight", "size", *(f"{name}_us" for name in SUMMED), *(f"{name}_n" for name in SUMMED)]
    rows = rows.set_column(rows.schema.get_field_index("size"), "size", pc.fill_null(rows["size"], 0))
    aggregates = [*((name, "sum") for name in sums), ("time", "min"), ("last_time", "max"),
                  ("delay_max", "max")]
    grouped = rows.group_by(keys, use_threads=False).aggregate(aggregates)
    names = [*keys, *sums, "time", "last_time", "delay_max"]
    return grouped.rename_columns(names)


def _concat(kept: pa.Table, grouped: pa.Table) -> pa.Table:
    """The kept rows, then the grouped ones, in the columns and types of ``kept``."""
    columns = []
    for item in kept.schema:
        if item.name in grouped.column_names:
            columns.append(grouped[item.name].cast(item.type))
        else:  # per-record detail of the collapsed rows
            columns.append(pa.nulls(grouped.num_rows, item.type))
    rest = pa.table(columns, schema=kept.schema)
    return pa.concat_tables([kept, rest]).unify_dictionaries()


# ---- for the consumers: counting with weights, and per-record values from the side tables


def last_times(df: pd.DataFrame) -> pd.Series:
    """Each row's latest time: ``last_time`` (a collapsed row's last record), or ``time`` for a frame
    without it."""
    return df["last_time"] if "last_time" in df.columns else df["time"]


def weights(df: pd.DataFrame) -> pd.Series:
    """How many records each row stands for: ``weight``, or 1 per row for a frame without it."""
    import pandas as pd

    if "weight" in df.columns:
        return df["weight"].astype("int64")
    return pd.Series(np.ones(len(df), dtype=np.int64), index=df.index)


def derive_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A records DataFrame with the columns of :data:`DERIVED` (computed when it has none)."""
    import pandas as pd

    if "weight" in df.columns:
        return df
    if df.empty:
        return df.assign(**{name: pd.Series(dtype=_pandas_dtype(kind)) for name, kind in DERIVED.items()
                            if name != "last_time"}, last_time=df["time"])
    columns = derived_columns(_arrow(df["status"]), _arrow(df["diagnostic"]), _arrow(df["delay"]),
                              _arrow(df["delays"]))
    values = {name: pd.Series(array.to_numpy(zero_copy_only=False), index=df.index)
              for name, array in columns.items()}
    for name in DERIVED:
        if name.endswith("_us") or name.endswith("_n"):
            values[name] = pd.Series(pd.array(columns[name].to_pandas(), dtype="Int64"), index=df.index)
    return df.assign(**values, last_time=df["time"])


def _pandas_dtype(kind: pa.DataType) -> str:
    return "bool" if kind == pa.bool_() else "float64" if kind == pa.float64() else "Int64"


def _arrow(values: pd.Series) -> pa.Array:
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    return pa.array(values.array.__arrow_array__() if hasattr(values.array, "__arrow_array__")
                    else values.astype(object))


def delivered_recipients(logs: pd.DataFrame, side: Side | None) -> pd.DataFrame:
    """``recipient``, ``forwarded``, ``count`` and ``bytes`` of the mail delivered (``status=sent``)
    to each recipient: the records that are rows of ``logs``, and those of the side table."""
    import pandas as pd

    sent = logs.loc[(logs["status"].astype(object) == "sent") & logs["recipient"].notna()]
    rows = pd.DataFrame({"recipient": sent["recipient"].astype(pd.StringDtype("pyarrow")),
                         "forwarded": sent["forwarded"].astype(bool) if "forwarded" in sent.columns
                         else _says_forwarded(sent),
                         "count": weights(sent), "bytes": sent["size"].fillna(0).astype("int64")})
    if side is None:
        return rows.reset_index(drop=True)
    return pd.concat([rows, side.recipient_frame()], ignore_index=True)


def _says_forwarded(sent: pd.DataFrame) -> pd.Series:
    return sent["diagnostic"].str.contains("forwarded as ", regex=False).fillna(False).astype(bool)


def delivered_delays(delivered: pd.DataFrame, side: Side | None) -> pd.Series:
    """Each ``delay=`` value of delivered mail (``delivered``: its rows) and how often it was logged,
    by value."""

    values = delivered["delay"].dropna().astype("float64").value_counts()
    if side is not None:
        values = values.add(side.delay_counts(), fill_value=0)
    return values.astype("int64").sort_index()


def quantile(counts: pd.Series, q: float) -> float:
    """The ``q`` quantile of values given with their counts (sorted by value), as ``Series.quantile``
    (linear interpolation) gives it for the values one by one."""
    ends = np.cumsum(counts.to_numpy())
    position = (ends[-1] - 1) * q
    low = int(np.floor(position))
    at = np.searchsorted(ends, [low + 1, min(low + 2, ends[-1])])
    values = counts.index.to_numpy()[at]
    return float(np.quantile(values, position - low))
