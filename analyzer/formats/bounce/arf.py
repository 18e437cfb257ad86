"""RFC 5965 abuse feedback reports (ARF): one ``complaint`` hit per reported recipient."""

from __future__ import annotations

import re
from email.message import Message

from .base import Hit, parse_date
from .mail import Mail, address_of, field_blocks, payload_text

NAME = "arf"

_INLINE = re.compile(r"(?im)^feedback-type:[ \t]*\S")


def _fields(mail: Mail) -> dict[str, list[str]]:
    texts: list[str] = []
    for part in mail.parts_of("message/feedback-report"):
        payload = part.get_payload()
        if isinstance(payload, list):  # the report's header blocks, parsed as messages
            texts.extend("\n".join(f"{k}: {v}" for k, v in sub.items()) for sub in payload
                         if isinstance(sub, Message))
        else:
            texts.append(payload_text(part))
    if not texts and "feedback-report" in mail.message.get("Content-Type", "").lower():
        texts.append(mail.body_text)
    if not texts and "abuse" in mail.subject.lower() and _INLINE.search(mail.body_text[:20000]):
        texts.append(mail.body_text)
    fields: dict[str, list[str]] = {}
    for text in texts:
        for line in text.replace("\r\n", "\n").split("\n"):
            name, sep, value = line.partition(":")
            if sep and name and " " not in name.strip():
                fields.setdefault(name.strip().lower(), []).append(value.strip())
    return fields if "feedback-type" in fields else {}


def decode(mail: Mail) -> list[Hit]:
    """One hit per Original-Rcpt-To (or the original message's To) of a feedback report.

    Apple Mail's one-click unsubscribe (``X-Apple-Unsubscribe: true``, sent from the recipient's own
    address to the List-Unsubscribe mailto) is an ``opt-out`` report of its sender.
    """
    fields = _fields(mail)
    if not fields:
        if mail.header("X-Apple-Unsubscribe").lower() == "true" and "@" in mail.sender:
            return [Hit(recipient=mail.sender, status="complaint", diagnostic="Feedback-Type: opt-out",
                        time=parse_date(mail.header("Date")), category="opt-out")]
        return []
    kind = fields["feedback-type"][0].lower() or "abuse"
    named = fields.get("original-rcpt-to", []) + fields.get("removal-recipient", [])
    recipients = [address_of(v) for v in named]
    recipients = [r for r in dict.fromkeys(recipients) if "@" in r]
    if not recipients:
        recipients = mail.original_recipients[:50]
    if not recipients:
        return []
    when = parse_date((fields.get("arrival-date") or fields.get("received-date") or [""])[0])
    source_ip = (fields.get("source-ip") or [""])[0]
    diagnostic = f"Feedback-Type: {kind}" + (f"; Source-IP: {source_ip}" if source_ip else "")
    return [Hit(recipient=r, status="complaint", diagnostic=diagnostic, time=when, category=kind)
            for r in recipients]


__all__ = ["NAME", "decode", "field_blocks"]
