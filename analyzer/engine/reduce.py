"""The reduce step: the results of one input's units, in plan order, become one table and one tally.

Units are parsed apart, so a Postfix delivery whose ``qmgr`` line (its sender and size) lies in an
earlier unit comes out without them; :class:`Carry` holds what the units before have left in flight
(and what earlier runs left, ``--state``) and fills them in.  The result equals one sequential read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..formats import postfix_log
from ..records import COUNTERS, Tally
from ..sources import Input
from ..table import concat_tables, to_table
from ..traffic import Traffic
from .work import Result


@dataclass
class Carry:
    """What the units read so far hand to the next: senders and sizes of the queue ids in flight,
    and the messages received whose ``qmgr`` line has not been seen yet."""

    senders: dict[tuple[str, str], str] = field(default_factory=dict)
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    arrived: dict[tuple[str, str], str] = field(default_factory=dict)
    #: smtpd connections still open and the TLS session of each SMTP client process (see Traffic)
    connects: dict[tuple[str, str], Any] = field(default_factory=dict)
    tls_sessions: dict[tuple[str, str], Any] = field(default_factory=dict)

    def traffic_state(self) -> dict[str, dict[tuple[str, str], Any]]:
        """What the traffic figures leave open, by the names the store keeps it under."""
        return {"arrived": self.arrived, "connects": self.connects, "tls_sessions": self.tls_sessions}

    def join(self, result: Result) -> pa.Table:
        """The result's records with the senders and sizes known before it; then its own queue ids
        in flight are added (and those it saw removed without knowing them are dropped)."""
        table = _with_senders(result.records(), self.senders, self.sizes)
        for key in result.unknown_removed:
            self.senders.pop(key, None)
            self.sizes.pop(key, None)
        self.senders.update(result.senders)
        self.sizes.update(result.sizes)
        return table


@dataclass
class Reduction:
    """One input's units reduced as their results come, in plan order: each unit's tally and traffic
    figures are merged at once (a unit's own are not kept: they grow with its distinct clients and
    senders), its joined table is collected."""

    source: Input
    carry: Carry
    tally: Tally | None = None
    tables: list[pa.Table] = field(default_factory=list)

    def add(self, result: Result, table: pa.Table) -> None:
        """The next unit's result and its joined (and perhaps compacted) table."""
        merged = self._merged(result.tally.unit)
        merge_tally(merged, result.tally)
        if merged.traffic is not None:
            merged.traffic.add(result.tally.traffic)
        self.tables.append(table)

    def finish(self) -> tuple[pa.Table, Tally]:
        """One table and one tally for the input; the units' tables are let go."""
        tally = self._merged("lines")
        if self.source.kind == postfix_log.NAME:
            postfix_log.check_recognised(self.source, tally)
        tables, self.tables = self.tables, []
        if len(tables) == 1:
            return tables[0], tally
        return (concat_tables(tables) if tables else to_table([])), tally

    def _merged(self, unit: str) -> Tally:
        if self.tally is None:
            self.tally = Tally(source=self.source.name, kind=self.source.kind, unit=unit)
            if self.source.kind == postfix_log.NAME:  # arrivals in flight before it meet their qmgr lines
                carry = self.carry
                self.tally.traffic = Traffic(arrived=carry.arrived, connects=carry.connects,
                                             tls_sessions=carry.tls_sessions)
        return self.tally


def _with_senders(table: pa.Table, in_flight: dict[tuple[str, str], str],
                  sizes: dict[tuple[str, str], int]) -> pa.Table:
    """``table`` with the senders and sizes of records whose ``qmgr`` line lay in an earlier unit."""
    import pyarrow.compute as pc  # loaded here, while the workers parse, not before they start

    missing = pc.and_(pc.is_null(table["sender"]), pc.is_valid(table["queue_id"]))
    if not in_flight or not pc.any(missing).as_py():
        return table
    rows = pc.indices_nonzero(missing)
    keys = list(zip(table["host"].take(rows).to_pylist(), table["queue_id"].take(rows).to_pylist(),
                    strict=True))
    mask = missing.combine_chunks()
    for name, known in (("sender", in_flight), ("size", sizes)):
        found = pa.array([known.get(key) for key in keys], type=table.schema.field(name).type)
        column = pc.replace_with_mask(table[name].combine_chunks(), mask, found)
        table = table.set_column(table.schema.get_field_index(name), name, column)
    return table


def merge_tally(merged: Tally, tally: Tally) -> None:
    """Add the counts of ``tally`` (of the next unit of an input) to ``merged``."""
    for name in COUNTERS:
        setattr(merged, name, getattr(merged, name) + getattr(tally, name))
    merged.noise_kinds.update(tally.noise_kinds)
    merged.examples.extend(tally.examples[: max(0, Tally.MAX_EXAMPLES - len(merged.examples))])
    merged.malformed_examples.extend(
        tally.malformed_examples[: max(0, Tally.MAX_EXAMPLES - len(merged.malformed_examples))])
    merged.warnings.extend(tally.warnings)
    merged.events.update(tally.events)
