"""The decoder of last resort: recipients and error text of a text bounce of an unknown MTA.

It reads only the bounce's human-readable text (never a ``message/delivery-status`` part, never a
family's own header or wording): the failed addresses are found on the lines that name one
(:func:`analyzer.formats.bounce.scan.blocks`), under a heading that introduces a list of them, or
next to failure wording; the original message's To/Cc only where the notice itself names the
address.  The bounce's sender, its addressee, daemon addresses and the returned original's
headers are never recipients.  A recipient without error text of its own gets the notice's text,
so the diagnostic is never empty when the notice has one.  :mod:`.textual` runs it and names the
family; ``bench/fallback_score.py`` runs it alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import scan
from .base import Hit, codes, squash
from .mail import Mail, addresses_in, decode_value

NAME = "lhost-text"

#: The ``category`` of a recipient whose bounce gives no error text, reply or status code of its own
#: (reasons.toml's categories table reads it as "undefined" when no rule read the notice's text).
NO_ERROR_TEXT = "no-error-text"

_NOTICE = scan.rules().notice
_DAEMON, _BOUNCE_SUBJECT, BOUNCE_TEXT = _NOTICE["sender"], _NOTICE["subject"], _NOTICE["text"]
_GENERIC, _DELAYED, _PERMANENT = _NOTICE["generic"], _NOTICE["delayed"], _NOTICE["permanent"]


def is_bounce(mail: Mail) -> bool:
    """True for a message that says it is a delivery failure notice."""
    if mail.message.get("X-Failed-Recipients"):
        return True
    if "report" in mail.content_type and "delivery-status" in mail.message.get("Content-Type", "").lower():
        return True
    if _DAEMON.match(mail.sender) or _BOUNCE_SUBJECT.search(mail.subject):
        return True
    return bool(BOUNCE_TEXT.search(mail.text[:3000]))


def _named_by_text(text: str, exclude: set[str], retry: set[str]) -> list[Hit]:
    """The recipients the lines of ``text`` name: recipient lines, then a heading's list, then
    addresses next to failure wording (``retry``: addresses excluded only on the first try)."""
    hits = scan.blocks(text, exclude | retry)
    if not hits and retry:
        # a bounce of a message sent to oneself names the bounce's own addressee
        hits = scan.blocks(text, exclude)
    return hits or scan.listed(text, exclude | retry) or scan.near_failure_wording(text, exclude | retry)


def recipients(mail: Mail, named: Iterable[str] = ()) -> list[Hit]:
    """The failed recipients the notice's text names, each with the text that belongs to it.

    ``named`` are addresses a family's own header lists (Exim's X-Failed-Recipients): used when no
    line of the text names a recipient, before the looser searches.
    """
    text = mail.text
    exclude = {mail.sender}
    bounce_to = {a.lower() for _, a in addresses_in([mail.header("To")]) if a}
    hits = scan.blocks(text, exclude | bounce_to)
    if not hits and bounce_to:
        # a bounce of a message sent to oneself names the bounce's own addressee
        hits = scan.blocks(text, exclude)
    if not hits:
        hits = [Hit(recipient=a) for a in dict.fromkeys(named)]
    if not hits:
        # in a sentence the original's sender is named too ("Your message from alice@... to bob@... failed")
        hits = scan.listed(text, exclude | bounce_to) or scan.near_failure_wording(
            scan.notice_part(text), exclude | bounce_to | _original_senders(mail))
    if not hits and mail.html_text:
        # a plain-text alternative that names nobody; the HTML alternative is the same notice (RFC 2046 5.1.4)
        hits = _named_by_text(mail.html_text, exclude, bounce_to)
    if not hits:
        hits = _original_named(mail, exclude)
    return hits


_SENDER_FIELDS = ("From", "Sender", "Reply-To", "Return-Path")


def _original_senders(mail: Mail) -> set[str]:
    """The returned original's sender addresses (From, Sender, Reply-To, Return-Path: RFC 5322 3.6.2,
    RFC 5321 4.4), unless it was also sent to them (To/Cc): never its failed recipients."""
    original = mail.original
    if original is None:
        return set()
    values = [decode_value(v) for name in _SENDER_FIELDS for v in original.get_all(name, [])]
    senders = {a.lower() for _, a in addresses_in(values) if "@" in a}
    return senders - set(mail.original_recipients)


def _original_named(mail: Mail, exclude: set[str]) -> list[Hit]:
    """The original's To/Cc address that the notice names: the address itself, else its local part as a
    local delivery writes it ("<bob>... User unknown"), else its domain when no other recipient has it
    ("Connection timed out with example.com"); never the original's headers alone.

    The original's header may be the attached one or a block of header fields quoted in the notice;
    the notice is its text without the lines that never name a recipient (that block among them).
    """
    lines = mail.text.split("\n")
    never = scan.never_lines(lines)
    notice_lines = scan.notice_part(mail.text).count("\n") + 1
    quoted = [scan.addresses(lines[n]) for n in sorted(never) if scan.names_field(lines[n], ("to", "cc"))]
    candidates = [*mail.original_recipients, *(a for found in quoted for a in found)]
    originals = [a for a in dict.fromkeys(candidates) if a not in exclude]
    if not originals:
        return []
    kept = [line for number, line in enumerate(lines[:notice_lines]) if number not in never]
    notice = "\n".join([*kept, mail.html_text]).lower()
    found = next((a for a in originals if a in notice), None)
    if found is None:
        found = next((a for a in originals if scan.names_local_part(notice, a)), None)
    if found is None:
        domains = [a.rpartition("@")[2] for a in originals]
        found = next((a for a, d in zip(originals, domains, strict=True)
                      if domains.count(d) == 1 and d in notice), None)
    return [Hit(recipient=found)] if found else []


def finish(mail: Mail, hits: list[Hit]) -> None:
    """The diagnostic (the notice's text where a recipient has none of its own), codes and status."""
    text = mail.text
    # the plain-text notice, else its HTML alternative: never an empty diagnostic when the notice has text
    whole = squash(text)[:4000] or squash(mail.html_text)[:4000]
    temporary = bool(_DELAYED.search(text)) and not _PERMANENT.search(text)
    for hit in hits:
        if not hit.diagnostic or (len(hits) == 1 and (hit.smtp_code or "2")[0] == "2"):
            # no error text of its own (or none with a reply code): the bounce's whole text
            silent = not hit.diagnostic and _says_nothing(text, hit.recipient)
            hit.diagnostic = whole
            hit.smtp_code, hit.enhanced_code = codes(whole)
            if silent and hit.smtp_code is None and hit.enhanced_code is None:
                # the notice names the recipient and nothing else: unless a phrase of the notice says
                # why, the reason is unknown ("undefined"), not an error text no rule read ("onhold")
                hit.category = NO_ERROR_TEXT
        klass = (hit.enhanced_code or hit.smtp_code or "")[:1]
        hit.status = "deferred" if (klass == "4" or (not klass and temporary)) and temporary else "bounced"


def decode(mail: Mail) -> list[Hit]:
    """Hits of a text bounce read by the generic rules alone; ``[]`` for mail that is not one."""
    if not is_bounce(mail):
        return []
    hits = recipients(mail)
    finish(mail, hits)
    return hits


def _says_nothing(text: str, recipient: str) -> bool:
    """True when every line of the notice is the recipient or the generic wording of a bounce.

    ("Delivery to the following recipients failed permanently: * a@b" says nothing about why.)
    """
    lines = [line.strip() for line in text[:3000].split("\n")]
    for line in lines:
        if not line or recipient in line.lower() or not any(c.isalnum() for c in line):
            continue
        if BOUNCE_TEXT.search(line) is None and _GENERIC.search(line) is None:
            return False
    return True
