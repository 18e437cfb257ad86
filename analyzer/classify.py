"""Reply codes and diagnostic text -> Sisimai reason and hard/soft, for every input format.

The knowledge lives in ``data/reasons.toml``; this module is the short loop that applies it
in a fixed precedence and says which rule decided.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .records import Record
from .textnorm import rule_text


@dataclass(frozen=True, slots=True)
class Decision:
    """A reason, whether the failure is hard, and the rule that decided it."""

    reason: str
    hard: bool
    rule: str


def load_rules(path: Path | None = None) -> dict[str, Any]:
    """The bundled ``reasons.toml`` or the TOML file at ``path``."""
    if path is None:
        return tomllib.loads(resources.files("analyzer.data").joinpath("reasons.toml").read_text("utf-8"))
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def merge_rules(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra``'s phrase rules go first; its code tables override ``base``'s entries."""
    merged = dict(base)
    merged["phrase"] = list(extra.get("phrase", [])) + list(base.get("phrase", []))
    for table in ("status", "codes", "categories", "replies"):
        merged[table] = {**base.get(table, {}), **extra.get(table, {})}
    return merged


class Classifier:
    """Applies the rules of one rule set; decisions are cached on normalised text.

    Phrase patterns read :func:`analyzer.textnorm.rule_text`: addresses, hosts, IPs, ids and
    numbers are placeholders there (``*@*``, ``<host>``, ``<ip>``, ``<id>``, ``<n>``).
    """

    def __init__(self, rules: dict[str, Any]) -> None:
        self._status: dict[str, str] = rules.get("status", {})
        self._phrases = [
            (entry["reason"], re.compile("|".join(f"(?:{p})" for p in entry["patterns"]), re.IGNORECASE))
            for entry in rules.get("phrase", [])
        ]
        self._codes: dict[str, str] = rules.get("codes", {})
        self._categories: dict[str, str] = rules.get("categories", {})
        self._replies: dict[str, str] = rules.get("replies", {})
        self._hard = frozenset(rules.get("hard", ()))
        self._hard_when_permanent = frozenset(rules.get("hard_when_permanent", ()))
        self.decide = lru_cache(maxsize=65536)(self._decide)

    def classify(self, record: Record) -> Record:
        """Set ``reason``, ``hard`` and ``rule`` of ``record`` and return it."""
        status = record.status
        pattern = "" if status in self._status or not record.diagnostic else rule_text(record.diagnostic)
        decision = self.decide(status, record.smtp_code, record.enhanced_code, record.category, pattern)
        record.reason, record.hard, record.rule = decision.reason, decision.hard, decision.rule
        return record

    def _decide(
        self,
        status: str,
        smtp_code: str | None,
        enhanced: str | None,
        category: str | None,
        text: str,
    ) -> Decision:
        klass = (enhanced or smtp_code or "")[:1]
        reason, rule = self._reason(status, smtp_code, enhanced, category, text)
        hard = (reason in self._hard and klass != "4") or (
            reason in self._hard_when_permanent and klass == "5"
        )
        return Decision(reason, hard, rule)

    def _reason(
        self, status: str, smtp_code: str | None, enhanced: str | None, category: str | None, text: str
    ) -> tuple[str, str]:
        if status in self._status:
            return self._status[status], f"status:{status}"
        for reason, pattern in self._phrases:
            if text and pattern.search(text):
                return reason, f"phrase:{reason}"
        if enhanced:
            if enhanced in self._codes:
                return self._codes[enhanced], f"code:{enhanced}"
            subject = enhanced.rsplit(".", 1)[0] + ".*"
            if subject in self._codes:
                return self._codes[subject], f"code:{subject}"
        if category and category in self._categories:
            return self._categories[category], f"category:{category}"
        if smtp_code and smtp_code in self._replies:
            return self._replies[smtp_code], f"reply:{smtp_code}"
        return "undefined", "none"


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The classifier of the bundled rules."""
    return Classifier(load_rules())
