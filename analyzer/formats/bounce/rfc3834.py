"""RFC 3834 automatic replies (vacation, out-of-office): one ``autoreply`` hit for the replier."""

from __future__ import annotations

import re

from .base import Hit
from .mail import Mail

NAME = "rfc3834"

_SUBJECT = re.compile(
    r"^(?:auto(?:matic)?[ _-]?(?:reply|response|antwort|respuesta)|out of (?:the )?office|"
    r"abwesenheit|absence|vacation|autoreply|away from|on (?:vacation|leave)|r[ée]ponse automatique|"
    r"risposta automatica|自動応答|自動返信)",
    re.IGNORECASE,
)
_BOUNCER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailer_daemon)@", re.IGNORECASE)


def is_autoreply(mail: Mail) -> bool:
    """True when the headers or the subject say the message was answered by a program."""
    headers = mail.message
    auto = mail.header("Auto-Submitted").lower()
    if auto.startswith("auto-replied") or auto.startswith("auto-generated"):
        return True
    if headers.get("X-Autoreply") or headers.get("X-Autorespond") or headers.get("X-Autoresponder"):
        return True
    if mail.header("Precedence").lower() == "auto_reply":
        return True
    subject = mail.subject.strip()
    subject = re.sub(r"^(?:re|aw|fwd?)\s*:\s*", "", subject, flags=re.IGNORECASE)
    return bool(_SUBJECT.match(subject))


def decode(mail: Mail) -> list[Hit]:
    """The sender of an automatic reply, as a ``autoreply`` hit; ``[]`` for other mail."""
    sender = mail.sender
    if not sender or "@" not in sender or _BOUNCER.match(sender) or not is_autoreply(mail):
        return []
    text = mail.text.strip()
    return [Hit(recipient=sender, status="autoreply", diagnostic=" ".join(text.split())[:300])]
