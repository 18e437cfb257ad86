"""Records -> one Arrow table, with pyarrow only (no pandas).

Parsing processes hand their records back as such a table (small to pickle, and they need not
import pandas); :func:`analyzer.frame.from_table` turns tables into the records DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter

import pyarrow as pa
import pyarrow.compute as pc

from .records import COLUMNS, CORE_COLUMNS, Record

#: Columns stored as categories (dictionary-encoded): few distinct values.
CATEGORIES = ("host", "status", "code_class", "reason", "transport", "parser", "category", "smtp_command")
#: Column order of the records table and DataFrame: the export contract first, then the extra columns.
ORDER = list(CORE_COLUMNS) + [c for c in COLUMNS if c not in CORE_COLUMNS]
UTC_TIME = pa.timestamp("us", tz="UTC")
LOCAL_TIME = pa.timestamp("us")


def to_table(records: Iterable[Record]) -> pa.Table:
    """One row per record, columns in :data:`ORDER`."""
    records = records if isinstance(records, list) else list(records)
    arrays: dict[str, pa.Array] = {}
    for name in COLUMNS:
        values = list(map(attrgetter(name), records))  # one C loop per column
        if name == "time":
            arrays[name] = _times(values)
        elif name == "hard":
            arrays[name] = pa.array(values, type=pa.bool_())
        elif name in CATEGORIES:
            arrays[name] = pa.array(values, type=pa.string()).dictionary_encode()
        elif values.count(None) == len(values):  # many columns are empty for a whole input
            arrays[name] = pa.nulls(len(values), type=pa.large_string())
        else:
            arrays[name] = pa.array(values, type=pa.large_string())
    return pa.table({name: arrays[name] for name in ORDER})


def _times(values: list[datetime | None]) -> pa.Array:
    """UTC instants when every stamp carries an offset, else naive local wall-clock times
    (mixed: the wall clock of offset stamps is kept rather than dropped)."""
    present = len(values) - values.count(None)
    aware = sum(1 for v in values if v is not None and v.tzinfo is not None)
    if aware and aware == present:
        return pa.array(values, type=UTC_TIME)
    if aware:
        values = [v.replace(tzinfo=None) if v is not None else None for v in values]
    return pa.array(values, type=LOCAL_TIME)


def concat_tables(tables: list[pa.Table]) -> pa.Table:
    """The rows of ``tables`` in order, one chunk per column (row selection on many chunks is slow).

    Naive and UTC times do not mix in one column: if some tables are naive, UTC instants are
    shown as naive UTC wall clock (the caller decides zones across inputs).
    """
    zoned = {t.schema.field("time").type == UTC_TIME for t in tables}
    if len(zoned) == 2:
        tables = [t.set_column(t.schema.get_field_index("time"), "time", pc.cast(t["time"], LOCAL_TIME))
                  if t.schema.field("time").type == UTC_TIME else t for t in tables]
    # the system allocator: mimalloc (pyarrow's default) took 3 to 8 times longer for this copy
    return pa.concat_tables(tables).unify_dictionaries().combine_chunks(memory_pool=pa.system_memory_pool())
