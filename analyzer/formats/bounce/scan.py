"""Recipients and their error text in the human-readable part of a bounce.

Most non-standard bounces list each failed address on a line of its own (``<a@b>:``,
``  a@b``, ``a@b: reason``, ``<a@b>... reason``, ``RCPT To:<a@b>``) followed by the error text;
:func:`blocks` finds those lines and the text that belongs to each.
"""

from __future__ import annotations

import re

from ...classify import command_of
from .base import Hit, codes, squash

ADDRESS = r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"
_ADDRESS = re.compile(ADDRESS)
#: A line that names one failed recipient; group "addr" is the address, "rest" any text after it.
_RECIPIENT_LINES = [
    re.compile(rf"^(?:[*\u2022-]\s{{0,4}})?[\"']?<?(?:mailto:)?(?P<addr>{ADDRESS})>?[\"']?\s*(?:[:.]|\.\.\.)?\s*$"),
    re.compile(rf"^<(?P<addr>{ADDRESS})>\s*(?::|\.\.\.|,)?\s*(?P<rest>.{{0,2000}})$"),
    re.compile(rf"^(?P<addr>{ADDRESS})\s*(?::|\.\.\.)\s*(?P<rest>.{{1,2000}})$"),
    re.compile(rf"^<?(?P<addr>{ADDRESS})>?(?P<rest>\s(?:[\[(]|on\s).{{0,2000}})$", re.IGNORECASE),
    # Exchange / Outlook NDRs rendered from HTML: "bob@example.net<mailto:bob@example.net> The mailbox ..."
    re.compile(rf"^<?(?P<addr>{ADDRESS})>?\s{{0,2}}<mailto:[^<>\s]{{1,320}}>\s*(?P<rest>.{{0,2000}})$",
               re.IGNORECASE),
    # sendmail's verdict lines without brackets: "550 bob@example.net... User unknown"
    re.compile(rf"^(?P<lead>[245]\d\d[ -](?:[245]\.\d{{1,3}}\.\d{{1,3}}\s)?)(?P<addr>{ADDRESS})\.\.\.\s*"
               rf"(?P<rest>.{{1,2000}})$"),
    re.compile(
        rf"^(?P<rest>[245]\d\d[ -](?:[245]\.\d{{1,3}}\.\d{{1,3}}\s)?)"
        rf"<(?P<addr>{ADDRESS})>(?P<more>.{{0,2000}})$"
    ),
    re.compile(
        rf"^(?:>>>\s*|in:\s*)?(?:rcpt to|recipient address|recipient|original[ -]recipient|"
        rf"final[ -]recipient|failed recipient|addressed to|intended recipient|"
        rf"(?:invalid )?receiver(?: address)?|"
        rf"invalid recipient|unknown recipient|to|address|e-?mail address)\s*:\s*(?:rfc822;\s*)?"
        rf"(?:[^<>\n]{{0,80}}<)?(?P<addr>{ADDRESS})>?(?P<rest>.{{0,2000}})$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?P<lead>[^@<>:]{{0,60}}(?:fail|error|unknown|invalid|undeliverable|rejected|refused)"
        rf"[^@<>:]{{0,40}}):\s*<?(?P<addr>{ADDRESS})>?\s*$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?P<lead>.{{0,200}}?(?:delivering your (?:mail|message) to|could not be delivered to|"
        rf"(?:not|n't) (?:be )?deliver(?:ed|able) to|delivery to|failed to deliver to|"
        rf"your message to|message to|sent to|send to|deliver to|to reach)\s*:?\s*)"
        rf"<?(?P<addr>{ADDRESS})>?(?P<rest>.{{0,2000}})$",
        re.IGNORECASE,
    ),
]
_SKIP = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|mailer_daemon|noreply|no-reply)@", re.IGNORECASE
)


def find_recipient_lines(lines: list[str], exclude: set[str], keep: set[str] | frozenset[str] = frozenset()
                         ) -> list[tuple[int, str, str]]:
    """(line number, address, rest of the line) of every line that names a recipient.

    Addresses in ``exclude`` and daemon addresses (postmaster@...) are skipped, unless in ``keep``.
    """
    found = []
    for number, raw in enumerate(lines):
        line = raw.strip()
        if "@" not in line or len(line) > 2100:
            continue
        for pattern in _RECIPIENT_LINES:
            match = pattern.match(line)
            if match is None:
                continue
            address = match.group("addr").lower().strip(".")
            if address not in keep and (address in exclude or _SKIP.match(address)):
                break
            groups = match.groupdict()
            text = " ".join(groups.get(k) or "" for k in ("lead", "rest", "more"))
            found.append((number, address, text.strip()))
            break
    return found


def blocks(text: str, exclude: set[str] | None = None, keep: set[str] | frozenset[str] = frozenset()
           ) -> list[Hit]:
    """One hit per recipient named on a line of ``text``, with the text up to the next one."""
    lines = text.split("\n")
    found = find_recipient_lines(lines, exclude or set(), keep)
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


#: Words that say a delivery failed, for addresses named in the middle of a sentence.
_FAILURE_WORDS = re.compile(
    r"unknown|not found|(?:not|n't) exist|undeliver|not (?:be )?deliver|could(?: not|n't)|unable|"
    r"reject|refused|fail|invalid|no such|unavailable|quota|\bfull\b|exceed|disabled|inactive|blocked|denied|"
    r"unbekannt|nicht zugestellt|inconnu|n.existe pas|desconocid|no existe|sconosciut|non esiste|"
    r"desconhecid|n(?:ã|a)o existe|存在しません|不明",
    re.IGNORECASE,
)


def near_failure_wording(text: str, exclude: set[str]) -> list[Hit]:
    """One hit per address named on a line that also says a delivery failed ("The address a@b does
    not exist here."): the last resort for a bounce of a format no other rule reads.  Daemon
    addresses and ``exclude`` (the bounce's sender and addressee) are skipped."""
    hits: dict[str, Hit] = {}
    for raw in text.split("\n")[:400]:
        line = raw.strip()
        if "@" not in line or len(line) > 2100 or _FAILURE_WORDS.search(line) is None:
            continue
        for match in _ADDRESS.finditer(line):
            address = match.group(0).lower().strip(".")
            if address in exclude or _SKIP.match(address) or address in hits:
                continue
            diagnostic = squash(line)
            hits[address] = Hit(recipient=address, diagnostic=diagnostic, command=command_of(diagnostic))
    for hit in hits.values():
        hit.smtp_code, hit.enhanced_code = codes(hit.diagnostic)
    return list(hits.values())


def addresses(text: str) -> list[str]:
    """Every address in ``text``, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _ADDRESS.finditer(text[:200000]):
        seen.setdefault(match.group(0).lower().strip("."), None)
    return list(seen)
