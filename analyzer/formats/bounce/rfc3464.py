"""RFC 3464 delivery status notifications: the fallback for every message.

Per-recipient blocks (Final-Recipient, Original-Recipient, Action, Status, Diagnostic-Code,
Remote-MTA, Last-Attempt-Date) of ``message/delivery-status`` parts, or the same fields written
into the text of a bounce.  When a block has no Diagnostic-Code the human-readable part is
searched for the recipient's paragraph.
"""

from __future__ import annotations

import re

from ...classify import command_of
from ...smtp import ENHANCED, is_enhanced
from . import scan
from .base import Hit, codes, parse_date, prefer, reporting_host, squash
from .mail import Mail, address_of, field_blocks

NAME = "rfc3464"

ACTIONS = {
    "failed": "bounced", "failure": "bounced", "delayed": "deferred", "delivered": "sent",
    "relayed": "sent", "expanded": "sent", "deliverable": "sent",
}
_INLINE = re.compile(r"(?im)^[ \t]*(?:final|original)-recipient[ \t]*:")
_PREFIX = re.compile(r"^(?:smtp|x-[\w-]{1,30}|unix|dns|mta|x400|rfc822)[ \t]*;[ \t]*", re.IGNORECASE)
#: Searched in lower-cased evidence (faster than IGNORECASE).
_FAMILIES = (
    ("lhost-postfix", re.compile(r"x-postfix-|the postfix program")),
    ("lhost-sendmail", re.compile(r"sendmail")),
    ("lhost-exim", re.compile(r"\bexim\b")),
)


#: sendmail's transcript of the SMTP session, the human-readable part after this line
_TRANSCRIPT = re.compile(r"(?im)^[ \t]*-{3,}[ \t]*transcript of session follows[ \t]*-{3,}[ \t]*$")
#: sendmail's own summary of a failure at the end of a transcript: "554 5.3.0 unknown mailer error 255"
_SUMMARY = re.compile(r"(?m)^[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}[ \t][^\n]{0,300}$")
#: A recipient's error text that says the MTA gave up on it (its queue lifetime ended).
_GAVE_UP = re.compile(r"(?:envelope|message) expired\b", re.IGNORECASE)
_EMPTY_COMMENTS = frozenset(["undefined status", "other or undefined status", "permanent failure", "failed"])


def _value(field: str) -> str:
    return _PREFIX.sub("", field).strip()


def _diagnostic(field: str) -> str:
    """A Diagnostic-Code without its type, except ``X-Unix;`` (a local program's exit: a mailer error)."""
    value = _value(field)
    if field[:7].lower() == "x-unix;" and value:
        return f"X-Unix; {value}"
    return value


def _plain_address(address: str) -> bool:
    """True for ``local@domain.tld`` (no source route, a dotted domain)."""
    local, at, domain = address.rpartition("@")
    return bool(at and local and not local.startswith("@") and ":" not in local and "." in domain)


def _recipients(blocks: list[dict[str, str]]) -> set[str]:
    """Every recipient the DSN names (the text may name them on lines scan.blocks would skip)."""
    return {address_of(b.get("final-recipient") or b.get("original-recipient") or "") for b in blocks} - {""}


#: An MDN that says the message was refused on arrival, not read: a Sieve "reject" (RFC 5429 2.1.1: an MDN
#: with "Disposition: automatic-action/MDN-sent-automatically; deleted"), as Dovecot's deliver (src/deliver/
#: mail-send.c, "Your message was automatically rejected by Dovecot Mail Delivery Agent.") and Cyrus lmtpd
#: (imap/lmtp_sieve.c, "... rejected by Sieve, a mail filtering language.") send it, the recipient only in
#: the MDN's Final-Recipient; RFC 3798 3.2.6.2 also has "denied" and "failed".  A read receipt is not one.
_REFUSED = re.compile(
    r"automatic-action\s{0,4}/\s{0,4}mdn-sent-automatically\s{0,4};\s{0,4}(?:deleted|denied|failed)\b")


def _blocks(mail: Mail) -> list[dict[str, str]]:
    blocks = mail.dsn_blocks
    if any("final-recipient" in b or "original-recipient" in b for b in blocks):
        return blocks
    refused = [b for b in mail.mdn_blocks if _REFUSED.match(b.get("disposition", "").strip().lower())]
    if any("final-recipient" in b for b in refused):
        return refused
    body = mail.body_text
    if _INLINE.search(body):
        return field_blocks(body)
    return []


def _transcript(text: str) -> str:
    """The session transcript of a sendmail bounce's text ("----- Transcript of session follows -----")."""
    match = _TRANSCRIPT.search(text)
    if match is None:
        return ""
    end = text.find("\n   -----", match.end())
    return text[match.end() : end if end > 0 else len(text)]


def decode(mail: Mail) -> list[Hit]:
    """Hits of the recipient blocks of a DSN; ``[]`` when the message carries none."""
    blocks = _blocks(mail)
    if not blocks:
        return []
    # one recipient: the session transcript of the text is about it (its command, sendmail's summary)
    single = sum(1 for b in blocks if b.get("final-recipient") or b.get("original-recipient")) == 1
    per_message: dict[str, str] = {}
    hits: list[Hit] = []
    text_hits: dict[str, Hit] | None = None
    reporting = None
    for block in blocks:
        if reporting is None and block.get("reporting-mta"):
            reporting = reporting_host(block["reporting-mta"])
        final = block.get("final-recipient") or block.get("original-recipient")
        if not final:
            for key, value in block.items():
                per_message.setdefault(key, value)
            continue
        recipient = address_of(final)
        if block.get("original-recipient") and not _plain_address(recipient):
            # a source route (@relay:user@host) or a local name: the address the sender used is better
            original = address_of(block["original-recipient"])
            if _plain_address(original) or "@" not in recipient:
                recipient = original
        if "@" not in recipient and not recipient:
            continue
        action = block.get("action", "").strip().lower().split()[0:1]
        status, _, comment = block.get("status", "").strip().partition(" ")
        status = status if is_enhanced(status) else ""
        diagnostic = squash(_diagnostic(block.get("diagnostic-code", "")))
        if not diagnostic and _value(final).startswith("|"):
            diagnostic = f"pipe to {_value(final)}"  # a program recipient: the mailer failed
        comment = comment.strip().strip("()").strip()
        if comment and comment.lower() not in _EMPTY_COMMENTS and comment.lower() not in diagnostic.lower():
            # "Status: 5.2.1 (mailbox disabled, not accepting messages)": the comment says why
            diagnostic = squash(f"{diagnostic} ({comment})")
        reply, quoted = codes(diagnostic)
        if reply is not None and quoted is None and diagnostic[:7] == "X-Unix;":
            reply = None  # "X-Unix; 255": a local program's exit status, not an SMTP reply
        command = command_of(diagnostic)
        if not diagnostic or reply is None or command is None:
            if text_hits is None:
                text_hits = {h.recipient: h for h in scan.blocks(mail.text, keep=_recipients(blocks))}
            extra = text_hits.get(recipient)
            if extra is not None:
                command = command or extra.command
                more = extra.diagnostic
                if (not diagnostic or reply is None) and more and more not in diagnostic:
                    diagnostic = squash(f"{diagnostic} {more}") if diagnostic else more
                    reply, quoted = codes(diagnostic)
            if single and (reply is None or command is None):
                transcript = _transcript(mail.text)
                if transcript:
                    # "... while talking to mx.example.org.: >>> RCPT To:<a@b> <<< 550 ...": the command;
                    # a local failure (X-Unix; 255): sendmail's summary "554 5.3.0 unknown mailer error 255"
                    command = command or command_of(transcript[:3000])
                    summary = list(_SUMMARY.finditer(transcript[:8000])) if reply is None else []
                    if summary:
                        line = squash(summary[-1].group(0))
                        reply, quoted = codes(line)
                        if line not in diagnostic:
                            diagnostic = squash(f"{diagnostic} {line}")
        if not diagnostic:
            # no Diagnostic-Code and no text of its own next to the address: the notice's own text
            # (which often explains before it lists the addresses) is the diagnostic
            diagnostic = squash(mail.text)[:4000] or squash(mail.html_text)[:4000]
        enhanced = prefer(status, quoted, reply)
        if enhanced and enhanced[1:] == ".4.7":
            # "Delivery time expired" should give way to the code of the problem found (RFC 3463 X.4.7):
            # "554 4.4.7 Message expired: ... <421 4.4.2 Connection timed out>"
            enhanced = next((m.group(0) for m in ENHANCED.finditer(diagnostic[:2000])
                             if m.group(0)[1:] != ".4.7" and m.group(0)[0] == enhanced[0]), enhanced)
        kind = ACTIONS.get(action[0] if action else "", "")
        if not kind:
            klass = (enhanced or reply or "5")[0]
            kind = "sent" if klass == "2" else "deferred" if klass == "4" and not _failed(mail) else "bounced"
        elif kind == "deferred" and _GAVE_UP.match(diagnostic):
            # "Action: delayed" for an envelope whose queue lifetime ended (OpenSMTPD reports the expiry
            # with its delay template): the MTA has dropped it, the failure is final
            kind = "bounced"
        remote = _value(block.get("remote-mta", "")) or None
        when = parse_date(block.get("last-attempt-date") or per_message.get("arrival-date"))
        hits.append(
            Hit(
                recipient=recipient,
                status=kind,
                diagnostic=diagnostic,
                smtp_code=reply,
                enhanced_code=enhanced,
                remote_mta=remote,
                time=when,
                command=command,
                queue_id=per_message.get("x-postfix-queue-id") or None,
                reporting_mta=reporting,
            )
        )
    if hits:
        mail.decoded_by = _family(mail, per_message)
    return hits


def _failed(mail: Mail) -> bool:
    return "fail" in mail.subject.lower() or "undeliver" in mail.subject.lower()


def _family(mail: Mail, per_message: dict[str, str]) -> str:
    """The MTA that wrote the DSN when it says so (for the ``parser`` column), else rfc3464."""
    evidence = " ".join([*per_message.keys(), per_message.get("reporting-mta", ""), mail.text[:600]]).lower()
    for name, pattern in _FAMILIES:
        if pattern.search(evidence):
            return name
    return NAME
