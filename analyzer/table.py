"""Records -> one Arrow table, with pyarrow only (no pandas).

Parsing processes hand their records back as such a table (small to pickle, and they need not
import pandas); :func:`analyzer.frame.from_table` turns tables into the records DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter

import pyarrow as pa

from .records import COLUMNS, CORE_COLUMNS, Record

#: Columns stored as categories (dictionary-encoded): few distinct values.
CATEGORIES = ("host", "status", "code_class", "reason", "transport", "parser", "category", "smtp_command",
              "sisimai_reason")
#: Numeric columns and their types (every other column but time and hard is text).
NUMBERS = {"size": pa.int64(), "delay": pa.float64()}
#: Column order of the records table and DataFrame: the export contract first, then the extra columns.
ORDER = list(CORE_COLUMNS) + [c for c in COLUMNS if c not in CORE_COLUMNS]
LOCAL_TIME = pa.timestamp("us")
OFFSET = pa.duration("s")
#: The column that holds each stamp's UTC offset (null for a stamp without one); not a record field:
#: :func:`analyzer.frame.from_table` reads it to decide between UTC instants and wall-clock times.
UTC_OFFSET = "utc_offset"


def to_table(records: Iterable[Record]) -> pa.Table:
    """One row per record, columns in :data:`ORDER`, then :data:`UTC_OFFSET`."""
    records = records if isinstance(records, list) else list(records)
    arrays: dict[str, pa.Array] = {}
    for name in COLUMNS:
        values = list(map(attrgetter(name), records))  # one C loop per column
        if name == "time":
            arrays[name], arrays[UTC_OFFSET] = _times(values)
        elif name == "hard":
            arrays[name] = pa.array(values, type=pa.bool_())
        elif name in NUMBERS:
            arrays[name] = pa.array(values, type=NUMBERS[name])
        elif name in CATEGORIES:
            arrays[name] = pa.array(values, type=pa.string()).dictionary_encode()
        elif values.count(None) == len(values):  # many columns are empty for a whole input
            arrays[name] = pa.nulls(len(values), type=pa.large_string())
        else:
            arrays[name] = pa.array(values, type=pa.large_string())
    return pa.table({name: arrays[name] for name in [*ORDER, UTC_OFFSET]})


def _times(values: list[datetime | None]) -> tuple[pa.Array, pa.Array]:
    """Each stamp's wall-clock time as written, and its UTC offset (null for a stamp without one).

    Whether the records' times become UTC instants is decided once for all of an input's records
    (:func:`analyzer.frame.from_table`), also when its ranges were parsed apart.
    """
    if not any(v is not None and v.tzinfo is not None for v in values):
        return pa.array(values, type=LOCAL_TIME), pa.nulls(len(values), type=OFFSET)
    wall = [v if v is None or v.tzinfo is None else v.replace(tzinfo=None) for v in values]
    offsets = [None if v is None or v.tzinfo is None else v.utcoffset() for v in values]
    return pa.array(wall, type=LOCAL_TIME), pa.array(offsets, type=OFFSET)


def kept_apart(table: pa.Table) -> pa.Table:
    """``table`` copied to the system allocator, one chunk per column: a table held for the rest of
    the read, away from Arrow's pool, where the work on each unit allocates and frees (interleaved
    with that work, it kept freed pages from being reused: 44 MB more RSS at the end of reading a
    3,000,000-line log)."""
    columns = [pa.concat_arrays(column.chunks, memory_pool=pa.system_memory_pool()) if column.chunks
               else pa.array([], column.type) for column in table.columns]
    return pa.Table.from_arrays(columns, schema=table.schema)


def concat_tables(tables: list[pa.Table]) -> pa.Table:
    """The rows of ``tables`` in order, their dictionaries unified; the chunks are not copied:
    :func:`analyzer.frame.from_table` combines them a column at a time (row selection on many chunks
    is slow), so that the rows are not held twice."""
    return pa.concat_tables(tables).unify_dictionaries()
