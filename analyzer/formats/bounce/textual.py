"""Plain-text bounces of MTAs and providers that do not write RFC 3464 (Exim, qmail, Gmail, ...).

These formats differ in wording only, so one detector serves them all: :data:`FAMILIES` is a
table of (parser name, evidence pattern); the first family whose pattern matches the bounce's
From, Subject, Received lines or opening text names the parser.  The recipients and their error
text are found by the generic rules of :mod:`.fallback` (with ``X-Failed-Recipients`` when the text
names none); a family adds its session transcript (sendmail), its name and its own wordings.  A
message that does not look like a bounce (daemon sender, bounce subject, failure header) is left alone.
"""

from __future__ import annotations

import re

from . import fallback, scan
from .base import Hit, codes, squash
from .fallback import NAME
from .mail import Mail, addresses_in, decode_value

#: Families whose bounces always mean one reason: a strong hint for the classifier (``category``).
#: A Google Groups bounce says the group refused the post (or does not exist): Sisimai's "rejected".
HINTS = {"lhost-googlegroups": "rejected"}

#: Wordings and error labels that a family uses for one reason (its own documented codes, e.g.
#: Exchange 2003's "(000C05A6) Unknown Recipient"), searched in the recipient's error text first,
#: then in the bounce's text: a hint for the classifier, as the family states the reason.
FAMILY_REASONS: dict[str, list[tuple[re.Pattern[str], str]]] = {
    family: [(re.compile(pattern, re.IGNORECASE), reason) for pattern, reason in table]
    for family, table in {
        # amavisd-new's notices: its SMTP reply names the content category (" - BAD HEADER: ...",
        # " - INFECTED: ..."); the notice's text lists the header defects it found in the message
        "lhost-amavis": [
            (r" - bad header\b", "contenterror"),
            (r" - infected\b", "virusdetected"),
            (r"message size exceeds recipient's size limit", "exceedlimit"),
            (r"duplicate header field|improper use of control character|non-encoded 8-bit data|"
             r"missing required header field|header line longer than|header field syntax error",
             "notcompliantrfc"),
        ],
        "lhost-exchange": [
            (r"\(000c05a6\)", "userunknown"),
            (r"\(000c0595\)", "filtered"),
            (r"\((?:00010256|000d06b5)\)", "systemerror"),
            (r"\(00120270\)", "networkerror"),
            (r"\((?:00050311|000502cc)\)", "contenterror"),
            (r"\(000b0981\)", "securityerror"),
        ],
        "lhost-imailserver": [
            (r"\bunknown user\b|invalid final delivery userid", "userunknown"),
            (r"\bunknown host\b", "hostunknown"),
            (r"user mailbox exceeds allowed size", "mailboxfull"),
            (r"requested action not taken: virus detected", "virusdetected"),
            (r"blacklisted url in message", "spamdetected"),
            (r"^delivery failed \d{1,4} attempts", "expired"),
        ],
        "lhost-kddi": [
            (r"the user\(s\) account is (?:disabled|temporarily limited)", "suspend"),
            (r"the user\(s\) account is temporarily over quota", "mailboxfull"),
            (r"your message was not delivered within ", "expired"),
            (r"each of the following recipients was rejected by a remote mail server", "filtered"),
        ],
    }.items()
}


def _word_first(pattern: str) -> str:
    """``pattern`` with each ``\\bword`` written ``word(?<=\\bword)``: the same matches, but a search can
    skip ahead to the word's letters (from a leading ``\\b`` it tries every position, 20-40 times slower)."""
    return re.sub(r"\\b([a-z0-9]+)", r"\1(?<=\\b\1)", pattern)


#: (parser name, evidence) in the order tried; the evidence is searched, lower-cased, in From,
#: Subject, X-Mailer, Received and the first 2,000 characters of the text.  The patterns are lower
#: case: :data:`FAMILIES` compiles them without IGNORECASE (a case-blind search scans 2-10 times slower).
FAMILY_EVIDENCE: list[tuple[str, str]] = [
    ("lhost-googlegroups", r"googlegroups\.com|google groups"),
    ("lhost-amavis", r"content-filter at \S"),
    ("lhost-dragonfly", r"dragonfly mail agent"),
    ("lhost-qmail",
     r"qmail-send program|\bqmail\b.{0,40}(?:invoked|program)|\(#[45]\.\d{1,3}\.\d{1,3}\)"),
    ("lhost-exim", r"\bexim\b|mail delivery software|x-failed-recipients"),
    ("lhost-gmail", r"technical details of (?:permanent|temporary) failure|google tried to deliver"),
    ("lhost-yahoo", r"unable to deliver your message to the following address"),
    ("lhost-postfix", r"postfix program|this is the mail system at host"),
    ("lhost-sendmail", r"transcript of session follows|the following addresses had"),
    ("lhost-opensmtpd", r"opensmtpd|this is the mailer-daemon, please do not reply"),
    ("lhost-courier", r"courier mail server"),
    ("lhost-exchange", r"microsoft exchange|did not reach (?:the following|some or all)|"
                       r"delivery has failed to these recipients"),
    ("lhost-notes", r"lotus notes|\bdomino\b"),
    ("lhost-mailru", r"mail\.ru"),
    ("lhost-gmx", r"\bgmx\b|web\.de"),
    ("lhost-zoho", r"\bzoho\b"),
    ("lhost-messagingserver", r"messaging server|iplanet|sun java"),
    ("lhost-imailserver", r"\bimail\b|ipswitch|<smtp32 v"),
    ("lhost-mailfoundry", r"mailfoundry"),
    ("lhost-mxlogic", r"mxlogic"),
    ("lhost-verizon", r"verizon"),
    ("lhost-kddi", r"ezweb|au\.com|kddi"),
    ("lhost-biglobe", r"biglobe"),
    ("lhost-fml", r"\bfml\b"),
    ("lhost-einsundeins", r"1und1|1&1"),
    ("lhost-apachejames", r"apache james|\bjames\b"),
    ("lhost-activehunter", r"activehunter"),
]
FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(_word_first(pattern))) for name, pattern in FAMILY_EVIDENCE
]


def _evidence(mail: Mail) -> str:
    """Where a family shows, lower-cased."""
    received = " ".join(decode_value(v) for v in mail.message.get_all("Received", [])[:3])
    return " ".join(
        [mail.header("From"), mail.subject, mail.header("X-Mailer"), received, mail.text[:2000]]
    ).lower()


def family(mail: Mail) -> str:
    """The parser name of the first family whose evidence the message shows, else ``lhost-text``."""
    evidence = _evidence(mail)
    for name, pattern in FAMILIES:
        if pattern.search(evidence):
            return name
    return NAME


_HINTED_FAMILIES = [(name, pattern) for name, pattern in FAMILIES if name in FAMILY_REASONS]


def hinted_family(mail: Mail) -> str:
    """The first family with its own wordings (:data:`FAMILY_REASONS`) whose evidence the message shows."""
    evidence = _evidence(mail)
    return next((name for name, pattern in _HINTED_FAMILIES if pattern.search(evidence)), "")


def _failed_header(mail: Mail) -> list[str]:
    values = [decode_value(v) for v in mail.message.get_all("X-Failed-Recipients", [])]
    return [a.lower() for _, a in addresses_in(values) if "@" in a]


def decode(mail: Mail) -> list[Hit]:
    """Hits of a plain-text bounce; ``[]`` for mail that is not one."""
    if not fallback.is_bounce(mail):
        return []
    hits = fallback.recipients(mail, _failed_header(mail))
    if not hits:
        return []
    if "hile talking to" in mail.text:
        _sendmail_sessions(mail.text, hits)
    fallback.finish(mail, hits)
    mail.decoded_by = family(mail)
    hint = HINTS.get(mail.decoded_by)
    for hit in hits:
        hit.category = hint or hit.category
    family_reasons(mail.decoded_by, hits, mail.text)
    return hits


_SESSION = re.compile(r"^(?:\.\.\.\s{0,4})?while talking to\b", re.IGNORECASE)
_RESULT = re.compile(rf"^[45]\d\d[ -]<?(?P<addr>{scan.ADDRESS})>?\.\.\.\s{{0,4}}(?P<rest>.{{0,1000}})$")
_SENT = {"MAIL": "MAIL", "RCPT": "RCPT", "DATA": "DATA", ".": "DATA", "HELO": "HELO", "EHLO": "HELO"}


def _sendmail_sessions(text: str, hits: list[Hit]) -> None:
    """Error text and command of recipients that a sendmail transcript says failed in a session.

    A transcript lists each session ("While talking to mx.example.org:", ">>> MAIL From:<...>",
    "<<< 550 Insecure Mail Relay") and then sendmail's verdict per recipient ("554 <a@b>... Remote
    protocol error").  A verdict without a reply of its own failed on the session's last reply, to
    the command it answered (no command sent yet: the greeting, CONN).
    """
    by_address = {hit.recipient: hit for hit in hits}
    reply: list[str] = []
    command: str | None = None
    for raw in text.split("\n")[:400]:
        line = raw.strip()
        if _SESSION.match(line):
            reply, command = [], "CONN"
        elif line.startswith(">>>"):
            sent = line[3:].strip().split(" ", 1)[0].split(":", 1)[0].upper()
            reply, command = [], _SENT.get(sent, sent[:4] or None)
        elif line.startswith("<<<"):
            reply.append(line[3:].strip())
        elif reply:
            match = _RESULT.match(line)
            if match is None:
                continue
            hit = by_address.get(match.group("addr").lower())
            rest = match.group("rest")
            if hit is None or codes(rest)[0] is not None:
                continue
            hit.diagnostic = squash(" ".join([*reply, rest]))
            hit.command = command
            hit.smtp_code, hit.enhanced_code = codes(hit.diagnostic)


def family_reasons(name: str, hits: list[Hit], text: str) -> None:
    """Set the ``category`` hint of hits whose error text (or the bounce's) uses a wording of ``name``."""
    table = FAMILY_REASONS.get(name)
    if not table:
        return
    head = text[:4000]
    for hit in hits:
        if hit.category:
            continue
        for where in (hit.diagnostic, head):
            found = next((reason for pattern, reason in table if pattern.search(where)), None)
            if found:
                hit.category = found
                break
