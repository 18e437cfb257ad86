"""Recipients and their error text in the human-readable part of a bounce.

Most non-standard bounces list each failed address on a line of its own (``<a@b>:``,
``  a@b``, ``a@b: reason``, ``<a@b>... reason``, ``RCPT To:<a@b>``) followed by the error text;
:func:`blocks` finds those lines and the text that belongs to each, :func:`listed` the addresses a
heading lists ("The following address(es) failed:").  The shapes, headings and the lines that never
name a recipient are data: ``analyzer/data/bounce_fallback.toml``, each with its source.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ...classify import command_of
from .base import Hit, codes, squash

#: An address as the notices write it: RFC 5321 4.1.2 Mailbox = Local-part "@" ( Domain / address-literal ),
#: where a Domain may be one label (a local host of the 2000s, "bob@mailhost") and an address literal is
#: 4.1.3's "[192.0.2.1]" or "[IPv6:2001:db8::1]" (a notice of a delivery to a host without a name).
ADDRESS = (r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@"
           r"(?:[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}|\[(?:IPv6:)?[\da-fA-F.:]{2,45}\])")
_ADDRESS = re.compile(ADDRESS)
_FIELD_NAME = re.compile(r"^([a-z][\w -]{0,30}?)\s{0,4}:")


@dataclass(frozen=True)
class Rules:
    """The recognition rules of ``data/bounce_fallback.toml``, compiled (see the file's comments)."""

    lines: tuple[re.Pattern[str], ...]
    headings: tuple[re.Pattern[str], ...]
    list_lines: tuple[re.Pattern[str], ...]
    never: tuple[re.Pattern[str], ...]
    never_next: tuple[re.Pattern[str], ...]
    header_block_fields: frozenset[str]
    daemon: re.Pattern[str]
    failure_words: re.Pattern[str]
    local_part: str
    list_span: int
    #: the notice's own patterns (``[notice]``: sender, subject, text, generic, delayed, permanent)
    notice: dict[str, re.Pattern[str]]


def _compile(pattern: str, case: bool = False) -> re.Pattern[str]:
    return re.compile(pattern.replace("ADDR", f"(?P<addr>{ADDRESS})"), 0 if case else re.IGNORECASE)


@cache
def rules() -> Rules:
    """The rules of the data file, read once."""
    data = tomllib.loads(resources.files("analyzer.data").joinpath("bounce_fallback.toml").read_text("utf-8"))

    def patterns(key: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
                 ) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile(r["pattern"], r.get("case", False)) for r in data.get(key, []) if where(r))

    return Rules(
        lines=patterns("line"),
        headings=patterns("heading"),
        list_lines=patterns("list_line"),
        never=patterns("never", lambda r: not r.get("next_line")),
        never_next=patterns("never", lambda r: bool(r.get("next_line"))),
        header_block_fields=frozenset(data["header_block_fields"]),
        daemon=re.compile(data["daemon"], re.IGNORECASE),
        failure_words=re.compile(data["failure_words"], re.IGNORECASE),
        local_part=data["local_part"],
        list_span=int(data["list_span"]),
        notice={key: re.compile(value, re.IGNORECASE) for key, value in data["notice"].items()},
    )


def _header_field(line: str, fields: frozenset[str]) -> bool:
    match = _FIELD_NAME.match(line.lower())
    return match is not None and match.group(1) in fields


def names_field(line: str, names: Iterable[str]) -> bool:
    """True when ``line`` is a ``Name: value`` field of one of ``names`` (lower case)."""
    match = _FIELD_NAME.match(line.strip().lower())
    return match is not None and match.group(1) in names


_TRACE_FIELDS = ("received", "return-path")


def notice_part(text: str) -> str:
    """``text`` up to a copy of the original message written inline without a marker line: a run of three
    or more header fields (RFC 5322 2.2, the data file's ``header_block_fields``, folded lines included)
    with a trace field among them (RFC 5321 4.4: every MTA prepends Received; a notice's own summary of
    the original's header, "Subject:, From:, To:", has none).  The copy's body is not the notice's."""
    fields = rules().header_block_fields
    lines = text.split("\n")
    start, run, trace = 0, 0, False
    for number, raw in enumerate(lines[:5000]):
        line = raw.strip()
        if line and line[0].isalpha() and _header_field(line, fields):
            start, trace = (number, False) if run == 0 else (start, trace)
            run += 1
            trace = trace or line.lower().startswith(_TRACE_FIELDS)
        elif not (run and line and raw[:1] in " \t"):
            run = 0
        if run >= 3 and trace:
            return "\n".join(lines[:start])
    return text


def never_lines(lines: list[str]) -> set[int]:
    """Numbers of the lines whose addresses are never recipients: the sender's lines (MAIL FROM, a quoted
    From:), the line after "A message sent by", lines quoted with ">" and header fields quoted in a block."""
    table = rules()
    never: set[int] = set()
    stripped = [raw.strip() for raw in lines[:5000]]
    fields = table.header_block_fields
    is_field = [bool(line) and line[0].isalpha() and _header_field(line, fields) for line in stripped]
    for number, line in enumerate(stripped):
        if not line:
            continue
        if is_field[number] and ((number and is_field[number - 1])
                                 or (number + 1 < len(stripped) and is_field[number + 1])):
            never.add(number)
        if any(p.search(line) for p in table.never_next):
            below = range(number + 1, min(number + 4, len(stripped)))
            following = next((n for n in below if stripped[n]), None)
            if following is not None:
                never.add(following)
        if "@" in line and ((line[0] == ">" and not line.startswith(">>>"))
                            or any(p.search(line) for p in table.never)):
            never.add(number)
    return never


def clean_address(found: str) -> str:
    """A matched address lower-cased, without a sentence's final dot or an opening quote ("'bob@..." of
    "'bob@example.net' is not valid": atext allows the apostrophe, RFC 5322 3.2.3, but not as a quote)."""
    return found.lower().strip(".").lstrip("'`")


def _skipped(address: str, exclude: set[str], keep: set[str] | frozenset[str]) -> bool:
    return address not in keep and (address in exclude or rules().daemon.match(address) is not None)


def _match_lines(lines: list[str], patterns: tuple[re.Pattern[str], ...], numbers: Iterable[int],
                 exclude: set[str], keep: set[str] | frozenset[str], never: set[int]
                 ) -> list[tuple[int, str, str]]:
    """(line number, address, rest of the line) of the lines (of ``numbers``) one of ``patterns`` reads."""
    found: list[tuple[int, str, str]] = []
    block: tuple[int, str] | None = None  # (indentation, address) of the open recipient block
    for number in numbers:
        raw = lines[number]
        line = raw.strip()
        if not line:
            block = None
            continue
        if "@" not in line or len(line) > 2100 or number in never:
            continue
        indent = len(raw) - len(raw.lstrip())
        for pattern in patterns:
            match = pattern.match(line)
            if match is None:
                continue
            address = clean_address(match.group("addr"))
            if _skipped(address, exclude, keep):
                break
            if block is not None and indent > block[0] and address != block[1]:
                # a wrapped, indented line of the open block's error text (Postfix bounce_notify_util.c
                # wraps each "<a@b>: reason" at 79 columns with a 4-blank indent): an address the
                # remote server quotes there is not another recipient
                break
            groups = match.groupdict()
            text = " ".join(groups.get(k) or "" for k in ("lead", "rest", "more"))
            found.append((number, address, text.strip()))
            if block is None or address != block[1]:
                block = (indent, address)
            break
    return found


def find_recipient_lines(lines: list[str], exclude: set[str], keep: set[str] | frozenset[str] = frozenset()
                         ) -> list[tuple[int, str, str]]:
    """(line number, address, rest of the line) of every line that names a recipient.

    Addresses in ``exclude`` and daemon addresses (postmaster@...) are skipped, unless in ``keep``;
    so are the lines that never name a recipient (:func:`never_lines`).
    """
    return _match_lines(lines, rules().lines, range(len(lines)), exclude, keep, never_lines(lines))


def _hits(lines: list[str], found: list[tuple[int, str, str]]) -> list[Hit]:
    """One hit per address of ``found``, with the text from its line up to the next found line."""
    hits: dict[str, Hit] = {}
    for index, (number, address, rest) in enumerate(found):
        end = found[index + 1][0] if index + 1 < len(found) else len(lines)
        body = squash(" ".join([rest, *lines[number + 1 : end]])[:8000])
        hit = hits.get(address)
        if hit is None:
            command = command_of(" ".join(lines[number:end])[:3000])
            hits[address] = Hit(recipient=address, diagnostic=body, command=command)
            continue
        # the same address again (a wrapped reply, a transcript line ">>> RCPT TO:<a@b>"): one block
        if hit.command is None:
            hit.command = command_of(" ".join(lines[number:end])[:3000])
        if body and body not in hit.diagnostic:
            hit.diagnostic = squash(f"{hit.diagnostic} {body}")
    for hit in hits.values():
        hit.smtp_code, hit.enhanced_code = codes(hit.diagnostic)
    return list(hits.values())


def blocks(text: str, exclude: set[str] | None = None, keep: set[str] | frozenset[str] = frozenset()
           ) -> list[Hit]:
    """One hit per recipient named on a line of ``text``, with the text up to the next one."""
    lines = text.split("\n")
    return _hits(lines, find_recipient_lines(lines, exclude or set(), keep))


def listed(text: str, exclude: set[str]) -> list[Hit]:
    """One hit per address that begins a line under a heading announcing the failed recipients
    ("The following address(es) failed:"), up to ``list_span`` lines below it."""
    table = rules()
    lines = text.split("\n")[:5000]
    numbers: dict[int, None] = {}
    for number, raw in enumerate(lines):
        # a heading wrapped over two lines (OpenSMTPD's "... deliver a message for\n the following list of
        # recipients:", Postfix's "... could not\nbe delivered to one or more recipients.") is read joined
        line = raw.strip()
        joined = " ".join(part.strip() for part in lines[number : number + 2]).strip()
        if len(joined) <= 4200 and any(p.search(line) or p.search(joined) for p in table.headings):
            numbers.update(dict.fromkeys(range(number + 1, min(number + 1 + table.list_span, len(lines)))))
    if not numbers:
        return []
    never = never_lines(lines)
    patterns = table.lines + table.list_lines
    return _hits(lines, _match_lines(lines, patterns, sorted(numbers), exclude, frozenset(), never))


def near_failure_wording(text: str, exclude: set[str]) -> list[Hit]:
    """One hit per address named on a line that also says a delivery failed ("The address a@b does
    not exist here."): the last resort for a bounce of a format no other rule reads.  Daemon
    addresses, ``exclude`` (the bounce's sender and addressee) and never-lines are skipped."""
    hits: dict[str, Hit] = {}
    lines = text.split("\n")[:400]
    never = never_lines(lines)
    failure = rules().failure_words
    for number, raw in enumerate(lines):
        line = raw.strip()
        if "@" not in line or len(line) > 2100 or number in never or failure.search(line) is None:
            continue
        for match in _ADDRESS.finditer(line):
            address = clean_address(match.group(0))
            if _skipped(address, exclude, frozenset()) or address in hits:
                continue
            diagnostic = squash(line)
            hits[address] = Hit(recipient=address, diagnostic=diagnostic, command=command_of(diagnostic))
    for hit in hits.values():
        hit.smtp_code, hit.enhanced_code = codes(hit.diagnostic)
    return list(hits.values())


def names_local_part(text: str, address: str) -> bool:
    """True when ``text`` names the local part of ``address`` as a local delivery does ("<bob>... User
    unknown", 'unknown user: "bob"'): the shapes of the data file's ``local_part``."""
    local = address.partition("@")[0]
    if len(local) < 2:
        return False
    pattern = rules().local_part.replace("LOCAL", re.escape(local))
    return re.search(pattern, text[:20000], re.IGNORECASE) is not None


def addresses(text: str) -> list[str]:
    """Every address in ``text``, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _ADDRESS.finditer(text[:200000]):
        seen.setdefault(clean_address(match.group(0)), None)
    return list(seen)
