"""Notices of the fml mailing-list manager (https://www.fml.org/) refusing or dropping a post.

fml answers a post it will not distribute with a message of its own, sent from the list's
``-admin`` address with an ``X-MLServer: fml ...`` header (and ``.FML`` in its Message-ID).  The
notice names the list address the post was sent to ("You are not a member of this mailing list
<list@example.org>."), which is the failed recipient; the list's command address (``-ctl``) and
its administrator, quoted in the help text, are not.  The title of the notice says why: a post
from a non-member or a spammer is refused ("rejected"), a mail loop or an internal error is a
"systemerror", a security alert a "securityerror" — a hint for the classifier.
"""

from __future__ import annotations

import re

from .base import Hit, squash
from .mail import Mail

NAME = "lhost-fml"

#: Titles (subject or first lines) of fml's notices and the reason each states.
_TITLES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (r" are not (?:a )?member|not member article from |reject mail |"
         r"spam mail from a spammer is rejected|your mail is from a spammer|"
         r"you are not a member of this mailing list", "rejected"),
        (r"fml system error message|loop alert: |loop back warning: |warning: unix from loop|"
         r"duplicated message-id", "systemerror"),
        (r"security alert", "securityerror"),
    )
)
_BRACKETED = re.compile(r"<(?:mailto:)?([\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8})>")
#: The list's own service addresses, quoted in the help text of a notice.
_SERVICE = re.compile(r"-(?:ctl|admin|request|owner|help)@|^(?:fmlserv|majordomo|listserv)@", re.IGNORECASE)


def is_fml(mail: Mail) -> bool:
    """True for a notice written by fml itself."""
    if "fml" not in mail.header("X-MLServer").lower():
        return False
    return "-admin@" in mail.sender or ".fml" in mail.header("Message-ID").lower()


def _list_address(mail: Mail, reason_line: str, text: str) -> str | None:
    """The list address the refused post was sent to: quoted in the notice, else a list header."""
    exclude = {mail.sender, mail.header("To").strip("<> ").lower()}
    for where in (reason_line, text[:4000]):
        for match in _BRACKETED.finditer(where):
            address = match.group(1).lower()
            if address not in exclude and not _SERVICE.search(address):
                return address
    for name in ("X-ML-Address", "List-Post"):
        found = _BRACKETED.search(f"<{mail.header(name).strip('<>')}>")
        if found and not _SERVICE.search(found.group(1)):
            return found.group(1).lower()
    return None


def decode(mail: Mail) -> list[Hit]:
    """One hit for the list address of an fml notice; ``[]`` for other mail."""
    if not is_fml(mail):
        return []
    text = mail.text
    head = f"{mail.subject}\n{text[:3000]}"
    reason = next((reason for pattern, reason in _TITLES if pattern.search(head)), None)
    if reason is None:
        return []
    lines = [line for line in text.split("\n") if line.strip()]
    reason_line = next((line for line in lines if any(p.search(line) for p, _ in _TITLES)), "")
    recipient = _list_address(mail, reason_line, text)
    if recipient is None:
        return []
    diagnostic = squash(reason_line or mail.subject)
    return [Hit(recipient=recipient, diagnostic=diagnostic, category=reason)]
