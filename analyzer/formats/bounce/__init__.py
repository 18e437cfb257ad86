"""Bounce decoders: one small module per MTA / provider family behind one interface.

A decoder module has ``NAME`` (the ``parser`` column, e.g. ``"lhost-exim"``) and
``decode(mail: Mail) -> list[Hit]``; an empty list ("nothing found") is a value, never an
exception.  :data:`DECODERS` is the explicit order in which they are tried: specific formats
first (ARF reports, fml list notices), then RFC 3464 delivery-status parts, the text bounces
(:mod:`.textual`: the generic rules of :mod:`.fallback`, the decoder of last resort for an unknown
MTA, plus the family's name and wordings), and the RFC 3834 auto-reply detector last.  The first
decoder that returns hits wins.
"""

from __future__ import annotations

import re
from email.message import Message
from types import ModuleType

from ...records import Record
from ...smtp import code_class
from . import arf, fml, rfc3464, rfc3834, textual
from .base import Hit, parse_date, reporting_host
from .mail import Mail, addresses_in, clean, decode_value, parseaddr

#: Tried in this order; the first decoder that finds recipients wins.
__all__ = ["DECODERS", "Hit", "decode", "records_of"]

DECODERS: list[ModuleType] = [arf, fml, rfc3464, textual, rfc3834]


def decode(message: Message) -> tuple[str, list[Hit], Mail]:
    """The name of the decoder that recognised ``message`` and its hits (``("", [])`` if none)."""
    mail = Mail(message)
    for decoder in DECODERS:
        hits = decoder.decode(mail)
        if hits:
            if decoder is rfc3464:
                # a DSN of an MTA whose own wording in the text says more (au's "account is disabled")
                textual.family_reasons(textual.hinted_family(mail), hits, mail.text)
            return mail.decoded_by or decoder.NAME, hits, mail
    return "", [], mail


def _first_address(message: Message | None, *names: str) -> str | None:
    if message is None:
        return None
    for name in names:
        value = message.get(name)
        if value:
            address = parseaddr(decode_value(value))[1]
            if address:
                return address.lower()
    return None


_DAEMON = re.compile(r"^(?:mailer[-_]?daemon|post[-_]?master|mail[-_]?daemon|mail[-_]delivery)@",
                     re.IGNORECASE)


def _reporting_mta(hit: Hit, mail: Mail) -> str | None:
    """The Reporting-MTA of the hit's DSN, else the host of a daemon sender (MAILER-DAEMON@host)."""
    if hit.reporting_mta:
        return hit.reporting_mta
    sender = mail.sender
    if _DAEMON.match(sender):
        return reporting_host(sender.rpartition("@")[2])
    return None


def records_of(message: Message, source: str) -> list[Record]:
    """Records of one message: one per recipient a decoder found; ``[]`` for ordinary mail."""
    parser, hits, mail = decode(message)
    if not hits:
        return []
    original = mail.original
    sender = _first_address(original, "Return-Path", "X-Envelope-From", "From", "Sender")
    if sender is None and parser not in ("arf", "rfc3834"):
        sender = _first_address(message, "X-Original-Sender") or _first_address(message, "To")
    orig_to = None
    if original is not None:
        tos = addresses_in(decode_value(v) for v in original.get_all("To", []))
        orig_to = ", ".join(a.lower() for _, a in tos if a) or None
    message_id = decode_value(original.get("Message-ID")) if original is not None else ""
    subject = decode_value(original.get("Subject")) if original is not None else ""
    orig_from = _first_address(original, "From")
    bounce_time = parse_date(mail.header("Date"))
    # A Subject that states a cause states one recipient's: read it only for a notice about one.
    notice_subject = (mail.subject.strip()[:300] or None) if len(hits) == 1 else None
    records = []
    for hit in hits:
        recipient = clean(hit.recipient).strip().lower()
        domain = recipient.rpartition("@")[2] or None
        records.append(
            Record(
                time=hit.time or bounce_time,
                host=None,
                queue_id=hit.queue_id,
                sender=sender,
                recipient=recipient or None,
                domain=domain,
                status=hit.status,
                smtp_code=hit.smtp_code,
                enhanced_code=hit.enhanced_code,
                code_class=code_class(hit.enhanced_code, hit.smtp_code),
                diagnostic=clean(hit.diagnostic)[:2000] or None,
                remote_mta=hit.remote_mta,
                reason=None,
                hard=None,
                source=source,
                parser=parser,
                smtp_command=hit.command,
                category=hit.category,
                message_id=message_id.strip() or None,
                orig_from=orig_from,
                orig_to=orig_to,
                subject=subject or None,
                notice_subject=notice_subject,
                reporting_mta=_reporting_mta(hit, mail),
            )
        )
    return records
