"""The one record type every input format produces, and the accounting of input."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Longest diagnostic kept (characters): a reply is a few hundred; a longer text is cut (a hostile or broken
#: line of megabytes must not reach the normaliser, the report and every export whole).
MAX_DIAGNOSTIC = 2000

#: Column order of the export contract (``--csv``, ``load()``); extra columns follow.
CORE_COLUMNS = (
    "time", "host", "queue_id", "sender", "recipient", "domain", "status", "smtp_code",
    "enhanced_code", "code_class", "diagnostic", "remote_mta", "reason", "hard", "source",
)


@dataclass(slots=True)
class Record:
    """One delivery attempt, inbound refusal or bounced recipient; flat scalar fields.

    Parsers fill the raw fields; :mod:`analyzer.classify` sets ``reason``, ``hard`` and ``rule``
    once, in place (a record belongs to the pipeline until it has been classified).
    """

    time: datetime | None
    host: str | None
    queue_id: str | None
    sender: str | None
    recipient: str | None
    domain: str | None
    status: str
    smtp_code: str | None
    enhanced_code: str | None
    code_class: str | None
    diagnostic: str | None
    remote_mta: str | None
    reason: str | None
    hard: bool | None
    source: str
    parser: str = ""
    remote_ip: str | None = None
    transport: str | None = None
    smtp_command: str | None = None
    category: str | None = None
    rule: str | None = None
    message_id: str | None = None
    orig_from: str | None = None
    orig_to: str | None = None
    subject: str | None = None
    pattern: str | None = None
    reporting_mta: str | None = None
    #: the reason in Sisimai's own taxonomy where ours differs on purpose (see reasons.toml)
    sisimai_reason: str | None = None
    #: Postfix logs: the message's size in bytes (from its qmgr line), ``delay=`` in seconds and
    #: ``delays=a/b/c/d`` as logged (before the queue manager, in the queue, connection, transmission)
    size: int | None = None
    delay: float | None = None
    delays: str | None = None
    #: bounces: the notice's own Subject ("Returned mail: User unknown"), which old Sendmail made of the cause
    notice_subject: str | None = None

    def replace(self, **changes: Any) -> Record:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


COLUMNS = tuple(f.name for f in dataclasses.fields(Record))


@dataclass
class Tally:
    """Counts for one input: every line (logs) or message (mailboxes) lands in exactly one bucket."""

    source: str
    kind: str
    unit: str = "lines"
    read: int = 0
    used: int = 0
    noise: int = 0
    unparsed: int = 0
    records: int = 0
    examples: list[str] = field(default_factory=list)
    noise_kinds: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    #: units an earlier run read (``--state``), not read again: not part of ``read``
    earlier: int = 0
    #: lines used for something other than a record, by kind (``warning``, ``fatal``, ``reject_warning``,
    #: ...); they are counted in ``used`` too
    events: Counter = field(default_factory=Counter)
    #: Postfix logs: the counts that are not records (an :class:`analyzer.traffic.Traffic`)
    traffic: Any = None

    MAX_EXAMPLES = 5

    def add_unparsed(self, where: str, text: str) -> None:
        """Count one unparsable line or message, keeping a few examples."""
        self.unparsed += 1
        if len(self.examples) < self.MAX_EXAMPLES:
            self.examples.append(f"{where}: {text[:300]}")

    def add_malformed(self, where: str, text: str) -> None:
        """Count one malformed message that still gave records (read from its text); it stays "used"."""
        self.malformed += 1
        if len(self.malformed_examples) < self.MAX_EXAMPLES:
            self.malformed_examples.append(f"{where}: {text[:300]}")

    def to_dict(self) -> dict:
        """Plain data for JSON and templates."""
        return {
            "source": self.source, "kind": self.kind, "unit": self.unit, "read": self.read,
            "used": self.used, "noise": self.noise, "unparsed": self.unparsed,
            "records": self.records, "unparsed_examples": list(self.examples),
            "malformed": self.malformed, "malformed_examples": list(self.malformed_examples),
            "noise_kinds": dict(self.noise_kinds.most_common(10)), "earlier": self.earlier,
            "events": dict(self.events.most_common(10)),
        }


COUNTERS = ("read", "used", "noise", "unparsed", "records", "malformed", "earlier")


def traffic_of(tallies: list[Tally]) -> Any:
    """The merged :class:`analyzer.traffic.Traffic` of the Postfix logs among ``tallies`` (or None)."""
    from .traffic import merge

    return merge([t.traffic for t in tallies])


@dataclass
class Accounting:
    """What happened to every input; totals are sums over the inputs' tallies."""

    tallies: list[Tally] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: records left out by ``--since`` / ``--until`` (read and counted, then not reported)
    outside_window: int = 0
    #: a compacted run's :class:`analyzer.compact.Compactor` (its side tables), else None
    compacted: Any = None

    def total(self, unit: str, name: str) -> int:
        """Sum of one counter over the inputs counted in ``unit`` (lines or messages)."""
        return sum(getattr(t, name) for t in self.tallies if t.unit == unit)

    def to_dict(self) -> dict:
        """Plain data for JSON and templates."""
        totals = {
            unit: {n: self.total(unit, n) for n in COUNTERS}
            for unit in ("lines", "messages")
        }
        return {
            "lines": totals["lines"],
            "messages": totals["messages"],
            "records": sum(t.records for t in self.tallies),
            "events": sum(sum(t.events.values()) for t in self.tallies),
            "inputs": [t.to_dict() for t in self.tallies],
            "warnings": list(self.warnings),
            "outside_window": self.outside_window,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Accounting:
        """The accounting of :meth:`to_dict`'s plain data (``df.attrs["accounting"]`` of ``load()``)."""
        tallies = []
        for entry in data.get("inputs", []):
            tally = Tally(source=entry["source"], kind=entry["kind"], unit=entry.get("unit", "lines"),
                          examples=list(entry.get("unparsed_examples", [])),
                          malformed_examples=list(entry.get("malformed_examples", [])),
                          noise_kinds=Counter(entry.get("noise_kinds", {})),
                          events=Counter(entry.get("events", {})))
            for name in COUNTERS:
                setattr(tally, name, int(entry.get(name, 0)))
            tallies.append(tally)
        return cls(tallies, list(data.get("warnings", [])), int(data.get("outside_window", 0)))
