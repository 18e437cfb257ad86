"""Reply codes and diagnostic text -> Sisimai reason and hard/soft, for every input format.

The knowledge lives in ``data/reasons.toml`` (phrases, code tables, the precedence) and
``data/providers.toml`` (receiving providers whose wording changes the reason); this module is
the short loop that applies it in the fixed precedence documented at the top of reasons.toml
and says which rule decided.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .blocklists import list_name
from .records import MAX_DIAGNOSTIC, Record
from .smtp import ENHANCED
from .textnorm import rule_text

#: Sisimai's reason names, and ours where Sisimai has none (greylisted: data/phrases/greylisting.toml).
REASONS = frozenset([
    "authfailure", "badreputation", "blocked", "contenterror", "delivered", "exceedlimit", "expired",
    "failedstarttls", "feedback", "filtered", "greylisted", "hasmoved", "hostunknown", "mailboxfull",
    "mailererror", "mesgtoobig", "networkerror", "norelaying", "notaccept", "notcompliantrfc", "onhold",
    "policyviolation", "rejected", "requireptr", "securityerror", "spamdetected", "speeding",
    "suppressed", "suspend", "syntaxerror", "systemerror", "systemfull", "toomanyconn", "undefined",
    "userunknown", "vacation", "virusdetected",
])

#: Command names as the classifier knows them (a Postfix log says EHLO, CONNECT, END-OF-MESSAGE...).
_COMMAND_ALIASES = {"EHLO": "HELO", "END-": "DATA", "BDAT": "DATA", "CONN": "CONN"}


def command_name(command: str | None) -> str:
    """``RCPT``, ``DATA``, ``MAIL``, ``HELO``, ``CONN`` or another command's first four letters."""
    head = (command or "").strip().upper()[:4]
    return _COMMAND_ALIASES.get(head, head)


@lru_cache(maxsize=4)
def _bundled(name: str) -> dict[str, Any]:
    """A TOML file of ``analyzer/data``, parsed once (callers copy before they change it)."""
    return tomllib.loads(resources.files("analyzer.data").joinpath(*name.split("/")).read_text("utf-8"))


@lru_cache(maxsize=1)
def _command_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The ``[command_in_text]`` table of reasons.toml: each command and the wording that names it."""
    table = _bundled("reasons.toml")["command_in_text"]
    return tuple((command, _compile_lowered(patterns)) for command, patterns in table.items())


@lru_cache(maxsize=65536)
def command_of(text: str) -> str | None:
    """The SMTP command ``text`` says the reply answered (``RCPT``, ``DATA``, ``MAIL``, ``HELO``)."""
    head = text[:3000].lower()
    best: tuple[int, str] | None = None
    for name, pattern in _command_patterns():
        match = pattern.search(head)
        if match is not None and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None


_UNKNOWN: Any = object()


@dataclass(frozen=True, slots=True)
class Decision:
    """A reason, whether the failure is hard, the rule that decided it, Sisimai's name for the reason,
    and the enhanced code the decision read (the most specific one of the record and its text)."""

    reason: str
    hard: bool
    rule: str
    sisimai: str
    code: str | None = None
    #: decided after the block-list tier (tiers 6-8): a block list the raw text names would decide
    late: bool = False


def load_rules(path: Path | None = None, phrase_files: list[str] | None = None) -> dict[str, Any]:
    """The bundled ``reasons.toml`` with its phrase files (or only ``phrase_files``) and
    ``providers.toml``, or the file at ``path``."""
    if path is None:
        rules = dict(_bundled("reasons.toml"))
        if phrase_files is not None:
            rules["phrase_files"] = phrase_files
        rules["phrase"] = ordered_phrases(rules)
        rules["provider"] = _bundled("providers.toml").get("provider", [])
        return rules
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def ordered_phrases(rules: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``[[phrase]]`` entries of every file of ``phrase_files`` (in ``data/phrases``), reason by
    reason (or by ``group`` where an entry has one) in the order of ``phrase_order``; within a reason
    in file order; ``phrase_defaults`` fill the fields of a reason's entries (unless an entry has
    ``any_command = true``).  A reason missing from
    the order is an error in the data, not something to guess."""
    order = {reason: index for index, reason in enumerate(rules["phrase_order"])}
    phrases = [entry for name in rules["phrase_files"]
               for entry in _bundled(f"phrases/{name}").get("phrase", [])]
    missing = {entry.get("group", entry["reason"]) for entry in phrases} - order.keys()
    if missing:
        raise ValueError(f"reasons.toml: phrase_order lacks {sorted(missing)}")
    defaults = rules.get("phrase_defaults", {})
    phrases = [entry if entry.get("any_command") else {**defaults.get(entry["reason"], {}), **entry}
               for entry in phrases]
    return sorted(phrases, key=lambda entry: order[entry.get("group", entry["reason"])])


def merge_rules(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the rules of a user's file ``extra`` added.

    ``extra``'s ``[[phrase]]`` rules become the ``user_phrase`` tier, which decides right after the
    ``[status]`` table (before decoder hints, provider rules and strong codes): a user's own wording
    wins.  Its provider, sisimai and by_command rules go first; its code tables override ``base``'s
    entries.
    """
    merged = dict(base)
    merged["user_phrase"] = list(extra.get("phrase", [])) + list(base.get("user_phrase", []))
    merged["user_phrase"] += list(extra.get("user_phrase", []))
    for listed in ("provider", "sisimai", "by_command"):
        merged[listed] = list(extra.get(listed, [])) + list(base.get(listed, []))
    for table in ("status", "codes", "sisimai_codes", "categories", "replies", "fallback", "commands"):
        merged[table] = {**base.get(table, {}), **extra.get(table, {})}
    if "listed" in extra:  # the user's [listed] default and lists override base's (same list name: theirs)
        own = {**base.get("listed", {}), **extra["listed"]}
        own["list"] = list(base.get("listed", {}).get("list", [])) + list(extra["listed"].get("list", []))
        merged["listed"] = own
    for listed in ("generic_codes", "hard", "hard_when_permanent"):
        if listed in extra:
            merged[listed] = list(extra[listed])
    return merged


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


#: An upper-case letter that is a literal, not an escape such as ``\\S`` or ``\\B``.
_UPPER_LITERAL = re.compile(r"(?<!\\)[A-Z]")


def _compile_lowered(patterns: list[str]) -> re.Pattern[str]:
    """Patterns that only ever read lower-cased text: IGNORECASE (about three times slower in
    Python's re) only when a pattern has an upper-case literal, which lower-cased text never has."""
    joined = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(joined, re.IGNORECASE if _UPPER_LITERAL.search(joined) else 0)


@dataclass(frozen=True, slots=True)
class _Phrase:
    reason: str
    pattern: re.Pattern[str]
    #: words too vague to beat a specific enhanced code ("blocked", "service unavailable")
    vague: bool
    #: Sisimai's name for the reason when the reply answered a command not in ``commands`` (or, the
    #: command unknown, when ``unknown_command = "sisimai"``), unless the whole code matches
    #: ``keep_code_pattern`` (``[45]\.1\.(?:[0-4]|6|10)``)
    sisimai: str | None
    commands: frozenset[str]
    keep_code_pattern: re.Pattern[str] | None
    unknown_sisimai: bool
    #: replies to these commands are not what the words mean (a "user unknown" answer to MAIL FROM)
    pass_commands: frozenset[str]


def _phrase(entry: dict[str, Any]) -> _Phrase:
    return _Phrase(
        entry["reason"], _compile_lowered(entry["patterns"]), bool(entry.get("vague")), entry.get("sisimai"),
        frozenset(entry.get("commands", ())),
        re.compile(entry["keep_code_pattern"]) if entry.get("keep_code_pattern") else None,
        entry.get("unknown_command") == "sisimai", frozenset(entry.get("pass_commands", ())),
    )


@dataclass(frozen=True, slots=True)
class _Provider:
    name: str
    hosts: re.Pattern[str]
    #: hosts of the MTA that wrote the bounce (Reporting-MTA) that select the provider too, or None
    reporters: re.Pattern[str] | None
    #: (reason, pattern, SMTP commands the rule is limited to (empty: any))
    rules: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]


class Classifier:
    """Applies the rules of one rule set; decisions are cached on normalised text.

    Phrase patterns read :func:`analyzer.textnorm.rule_text`: addresses, hosts, IPs, ids and
    numbers are placeholders there (``*@*``, ``<host>``, ``<ip>``, ``<id>``, ``<n>``).  Provider
    rules read the raw text lower-cased (their host patterns need the host names).
    """

    def __init__(self, rules: dict[str, Any]) -> None:
        self._status: dict[str, str] = rules.get("status", {})
        # an entry without patterns would match every text: it has no rule to give
        self._phrases = [_phrase(entry) for entry in rules.get("phrase", []) if entry.get("patterns")]
        # a user's own phrases (merge_rules): they decide right after the status table
        self._user_phrases = [_phrase(entry) for entry in rules.get("user_phrase", [])
                              if entry.get("patterns")]
        self._providers = [
            _Provider(
                entry["name"], _compile_lowered(entry["hosts"]),
                _compile_lowered(entry["reporters"]) if entry.get("reporters") else None,
                tuple((r["reason"], _compile_lowered(r["patterns"]), frozenset(r.get("commands", ())))
                      for r in entry.get("rules", [])),
            )
            for entry in rules.get("provider", [])
        ]
        self._generic = frozenset(rules.get("generic_codes", ()))
        self._codes: dict[str, str] = rules.get("codes", {})
        self._sisimai_codes: dict[str, str] = rules.get("sisimai_codes", {})
        self._categories: dict[str, str] = rules.get("categories", {})
        self._replies: dict[str, str] = rules.get("replies", {})
        self._fallback: dict[str, str] = rules.get("fallback", {})
        # Sisimai's names where ours differ on purpose (a final bounce after timeouts: its "expired")
        self._sisimai = {
            (entry["reason"], entry.get("status", ""), code): (
                entry["to"], _compile(entry["unless"]) if entry.get("unless") else None)
            for entry in rules.get("sisimai", [])
            for code in entry.get("codes", ())
        }
        # the SMTP command a reply answered changes some reasons ("user unknown" to MAIL FROM: the sender's)
        self._by_command = {
            (entry["command"], reason): entry["to"]
            for entry in rules.get("by_command", [])
            for reason in entry.get("reasons", ())
        }
        # reasons of the command alone, when neither text nor code said anything (a refused HELO: blocked)
        self._commands: dict[str, str] = rules.get("commands", {})
        # tier 5b: a block list the raw reply names (blocklists.toml) -> [listed]'s reason for it
        listed = rules.get("listed", {})
        self._listed_default: str | None = listed.get("reason")
        self._listed_lists = {
            entry["name"]: (entry["reason"], _compile_lowered(entry["when"]) if entry.get("when") else None)
            for entry in listed.get("list", [])
        }
        # tier 8b: the notice's own Subject, read where the text decided only weakly
        notice = rules.get("notice_subject", {})
        self._subject_pattern = _compile(notice["patterns"]) if notice.get("patterns") else None
        self._subject_ignore = _compile(notice["ignore"]) if notice.get("ignore") else None
        self._weak_rules = tuple(notice.get("weak", ()))
        self._subject_vague = frozenset(notice.get("vague", ()))
        self._hard = frozenset(rules.get("hard", ()))
        self._hard_when_permanent = frozenset(rules.get("hard_when_permanent", ()))
        self._caches()
        # provider decisions by (known providers, or remote MTA, domain and reporting MTA when none,
        # command, normalised text): ids and numbers do not change them
        self._provided: dict[tuple[str | None, ...], tuple[str, str] | None] = {}
        hosts = [entry_hosts for entry_hosts in (p.hosts.pattern for p in self._providers)]
        self._any_host = _compile_lowered(hosts) if hosts else None

    def classify(self, record: Record) -> Record:
        """Set ``reason``, ``hard`` and ``rule`` of ``record`` and return it.

        Decisions are cached on the normalised text; only the provider rules, which read the raw
        text, run per record, and only for replies from or about a known provider.
        """
        status = record.status
        diagnostic = record.diagnostic or ""
        if len(diagnostic) > MAX_DIAGNOSTIC:
            diagnostic = record.diagnostic = diagnostic[: MAX_DIAGNOSTIC - 1] + "…"
        pattern, provided, command = "", None, None
        if status not in self._status and diagnostic:
            pattern = rule_text(diagnostic)
            command = command_name(record.smtp_command) or command_of(pattern)
            if record.category not in REASONS:
                # many domains and MX hosts share one provider: key known providers by name
                candidates = self._providers_of(record.remote_mta, record.domain, record.reporting_mta)
                where = tuple(p.name for p in candidates) if candidates else (
                    record.remote_mta, record.domain, record.reporting_mta)
                key = (*where, command, pattern)
                provided = self._provided.get(key, _UNKNOWN)
                if provided is _UNKNOWN:
                    provided = self._provider_reason(candidates, command, diagnostic)
                    if len(self._provided) < 65536:
                        self._provided[key] = provided
        decision = self.decide(
            status, record.smtp_code, record.enhanced_code, record.category, pattern, provided, command
        )
        if decision.late and diagnostic and self._listed_default is not None:
            # only texts that no phrase decided pay for reading the raw text for a block list
            listed = self._listed_reason(diagnostic)
            if listed is not None:
                decision = self.decide(status, record.smtp_code, record.enhanced_code, record.category,
                                       pattern, provided, command, listed)
        if record.notice_subject and self._subject_pattern is not None and self._weak(decision):
            decision = self._subject_decision(record, command, decision)
        record.reason, record.hard, record.rule = decision.reason, decision.hard, decision.rule
        record.sisimai_reason = decision.sisimai
        code = decision.code
        if code is not None and code != record.enhanced_code and code[:1] == (record.code_class or code[:1]):
            # the reply's own specific code where the record had none or a generic x.0.0
            record.enhanced_code, record.code_class = code, code[:1]
        record.pattern = pattern or None
        return record

    def _provider_reason(self, candidates: tuple[_Provider, ...], command: str | None, diagnostic: str
                         ) -> tuple[str, str] | None:
        """The reason a provider's own wording gives, or None; ``candidates`` are the providers the
        hosts selected (none: a provider host named in the text selects them)."""
        raw = diagnostic[:3000].lower()
        if not candidates:
            if self._any_host is None or self._any_host.search(raw) is None:
                return None
            candidates = tuple(p for p in self._providers if p.hosts.search(raw))
        for provider in candidates:
            for reason, pattern, commands in provider.rules:
                if commands and command not in commands:
                    continue
                if pattern.search(raw):
                    return reason, f"provider:{provider.name}:{reason}"
        return None

    def _weak(self, decision: Decision) -> bool:
        """True when only the command, a generic code, the reply code or the fallback decided."""
        rule = decision.rule
        return rule.startswith(self._weak_rules) or (rule.startswith("code:") and rule[5:] in self._generic)

    def _subject_cause(self, subject: str) -> str | None:
        """The cause a notice's Subject states ("Returned mail: User unknown" -> "User unknown"), or None."""
        match = self._subject_pattern.search(subject) if self._subject_pattern is not None else None
        if match is None:
            return None
        cause = match.group("cause").strip()
        if self._subject_ignore is not None and self._subject_ignore.search(cause):
            return None
        return cause

    def _subject_decision(self, record: Record, command: str | None, weak: Decision) -> Decision:
        """``weak`` unless the notice's Subject states a cause a phrase knows (tier 8b): then that
        phrase's reason, rule ``subject:R``.

        The Subject is a second text, not part of the diagnostic: it decides only here, after every
        tier the notice's own text could decide in, so a cause stated in the body always wins.
        """
        cause = self._subject_causes(record.notice_subject or "")
        if cause is None:
            return weak
        found = self.decide(record.status, record.smtp_code, record.enhanced_code, record.category,
                            rule_text(cause), None, command)
        tier, _, rest = found.rule.partition(":")
        if tier not in ("phrase", "user") or (found.late and found.reason not in self._subject_vague):
            return weak
        return Decision(found.reason, found.hard, f"subject:{rest}", found.sisimai, weak.code, found.late)

    def _listed_reason(self, diagnostic: str) -> tuple[str, str] | None:
        """(reason, ``listed:<list>``) for the block list the raw text names, or None: the list's own
        reason in ``[listed]`` when its ``when`` patterns (if any) match the lower-cased text, else
        ``[listed]``'s default.  The list is cached per distinct text (:func:`.blocklists.list_name`)."""
        name = list_name(diagnostic)
        if name is None:
            return None
        reason, when = self._listed_lists.get(name, (self._listed_default, None))
        if when is not None and when.search(diagnostic[:3000].lower()) is None:
            reason = self._listed_default
        return reason or "blocked", f"listed:{name}"

    def _select_providers(self, remote_mta: str | None, domain: str | None, reporting_mta: str | None = None
                          ) -> tuple[_Provider, ...]:
        """Providers whose host patterns match the remote MTA or the recipient domain, or whose
        ``reporters`` match the MTA that wrote the bounce."""
        hosts = f"{remote_mta or ''} {domain or ''}".lower()
        reporter = (reporting_mta or "").lower()
        if not reporter and (self._any_host is None or self._any_host.search(hosts) is None):
            return ()  # one search of all host patterns at once rules out every provider
        return tuple(
            p for p in self._providers
            if p.hosts.search(hosts)
            or (reporter and p.reporters is not None and p.reporters.search(reporter))
        )

    def _caches(self) -> None:
        """The decisions cached per distinct input (not pickled: a worker of another process builds
        its own)."""
        self.decide = lru_cache(maxsize=65536)(self._decide)
        self._providers_of = lru_cache(maxsize=16384)(self._select_providers)
        self._subject_causes = lru_cache(maxsize=16384)(self._subject_cause)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for cache in ("decide", "_providers_of", "_subject_causes"):
            state.pop(cache, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._caches()

    def _decide(
        self,
        status: str,
        smtp_code: str | None,
        enhanced: str | None,
        category: str | None,
        text: str,
        provided: tuple[str, str] | None = None,
        command: str | None = None,
        listed: tuple[str, str] | None = None,
    ) -> Decision:
        code = self._specific_code(enhanced, text)
        klass = (code or smtp_code or "")[:1]
        found = self._early_reason(status, code, category, text, provided, command)
        late = found is None
        if found is None and listed is not None:
            found, late = (*listed, None), False
        if found is None:
            found = self._late_reason(status, smtp_code, code, category, text, command)
        reason, rule, sisimai = found
        if command and not rule.startswith(("status:", "hint:", "provider:", "user:")):
            moved = self._by_command.get((command, reason))
            if moved is not None:
                reason, rule, sisimai = moved, f"{rule}->{command}:{moved}", moved
        renamed = self._sisimai.get((reason, status, code or ""))
        if renamed is not None and not rule.startswith("user:") and (
                renamed[1] is None or renamed[1].search(text) is None):
            sisimai = renamed[0]
        hard = status != "deferred" and (
            (reason in self._hard and klass != "4") or (reason in self._hard_when_permanent and klass == "5")
        )
        return Decision(reason, hard, rule, sisimai or reason, code, late)

    def _specific_code(self, enhanced: str | None, text: str) -> str | None:
        """The record's enhanced code, or where it has none or a generic ``x.0.0`` the first more
        specific code its text states (qmail's ``(#5.1.1)``, a reply's ``5.1.1`` behind ``dsn=5.0.0``)."""
        if enhanced and not enhanced.endswith(".0.0"):
            return enhanced
        if text:
            for match in ENHANCED.finditer(text, 0, 3000):
                if not match.group(0).endswith(".0.0"):
                    return match.group(0)
        return enhanced

    @staticmethod
    def _sisimai_name(phrase: _Phrase, code: str, command: str | None) -> str | None:
        """Sisimai's name for a phrase's reason; ``""`` when the phrase does not decide (the command
        is one of its ``pass_commands``: later rules decide)."""
        if command in phrase.pass_commands:
            return ""
        if phrase.sisimai is None or (
                phrase.keep_code_pattern is not None and phrase.keep_code_pattern.fullmatch(code)):
            return None
        if command:
            return None if command in phrase.commands else phrase.sisimai
        return phrase.sisimai if phrase.unknown_sisimai else None

    def _phrase_reason(self, phrases: list[_Phrase], code: str | None, command: str | None, text: str,
                       tier: str, vague: bool = False) -> tuple[str, str, str | None] | None:
        """(reason, rule, Sisimai's name or None) of the first phrase of ``phrases`` that matches
        ``text`` and decides, or None; only the ``vague`` phrases when asked, else the others."""
        for phrase in phrases:
            if phrase.vague != vague or phrase.pattern.search(text) is None:
                continue
            sisimai = self._sisimai_name(phrase, code or "", command)
            if sisimai == "":
                continue
            return phrase.reason, f"{tier}:{phrase.reason}", sisimai
        return None

    def _code_reason(self, code: str) -> tuple[str, str, str | None] | None:
        """The codes table's reason for ``code``: its own entry, the same code of the other class (not
        for a subject's ``X.Y.0``), or its subject (``X.Y.*``)."""
        subject = code.rsplit(".", 1)[0] + ".*"
        other = ("4" if code[:1] == "5" else "5") + code[1:] if not code.endswith(".0") else code
        for key in (code, other, subject):
            if key in self._codes:
                return self._codes[key], f"code:{key}", self._sisimai_codes.get(key)
        return None

    def _early_reason(
        self,
        status: str,
        code: str | None,
        category: str | None,
        text: str,
        provided: tuple[str, str] | None,
        command: str | None,
    ) -> tuple[str, str, str | None] | None:
        """(reason, rule, Sisimai's name where it differs) of tiers 1-5 of reasons.toml's precedence
        (status, the user's phrases, the decoder's hint, the provider's wording, a phrase), or None."""
        if status in self._status:
            return self._status[status], f"status:{status}", None
        lowered = text.lower()  # phrases read lower-cased text (compiled by _compile_lowered)
        if text and self._user_phrases:
            found = self._phrase_reason(self._user_phrases, code, command, lowered, "user")
            if found is None:
                found = self._phrase_reason(self._user_phrases, code, command, lowered, "user", vague=True)
            if found is not None:
                return found
        if category in REASONS:
            return category, f"hint:{category}", None
        if provided is not None:
            return (*provided, None)
        if text:
            found = self._phrase_reason(self._phrases, code, command, lowered, "phrase")
            if found is not None:
                return found
        return None

    def _late_reason(
        self,
        status: str,
        smtp_code: str | None,
        code: str | None,
        category: str | None,
        text: str,
        command: str | None,
    ) -> tuple[str, str, str | None]:
        """(reason, rule, Sisimai's name where it differs) of tiers 6-8 (codes, vague phrases, the
        command, category, reply code, fallback), which decide when no earlier tier did."""
        lowered = text.lower()
        by_code = self._code_reason(code) if code else None
        if by_code is not None and code not in self._generic and not by_code[1].endswith("*"):
            return by_code
        if text:
            found = self._phrase_reason(self._phrases, code, command, lowered, "phrase", vague=True)
            if found is not None:
                return found
        if command and command in self._commands and (code or smtp_code or "5")[:1] == "5":
            return self._commands[command], f"command:{command}", None
        if by_code is not None:
            return by_code
        if category and category in self._categories:
            return self._categories[category], f"category:{category}", None
        if smtp_code and smtp_code in self._replies:
            return self._replies[smtp_code], f"reply:{smtp_code}", None
        if status in self._fallback:
            return self._fallback[status], f"fallback:{status}", None
        if text:
            return self._fallback.get("text", "onhold"), "fallback:text", None
        return "undefined", "none", None


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The classifier of the bundled rules."""
    return Classifier(load_rules())
