"""Round 6d wordings (analyzer/data/phrases/sources-r6d.toml): Postfix's own texts that were read wrong - HELO refusals,
sender-class refusals answered at RCPT, the null-MX sender, broken restrictions, hop-count loops, and the status texts of
local(8) and pipe(8).

Each row is built from Postfix's wording (the source is named in the data file) with made-up hosts and addresses; the
classifier of the source-derived phrase files must give the reason by a phrase, and so must the bundled classifier.  The
whole set of Postfix texts, read through the log parser, is tests/test_postfix_own_texts.py.
"""

from __future__ import annotations

import pytest

from analyzer.classify import default_classifier
from tests.test_sourced_phrases import assert_sourced, record

ROWS = [
    ("smtpd_check.c reject_non_fqdn_helo_hostname", "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified "
     "hostname", "504", "5.5.2", "HELO", "blocked"),
    ("smtpd_check.c reject_unknown_helo_hostname", "450 4.7.1 <client.example.com>: Helo command rejected: Host not found",
     "450", "4.7.1", "RCPT", "blocked"),
    ("smtpd_check.c reject_invalid_helo_hostname", "501 5.5.2 <client_example>: Helo command rejected: Invalid name",
     "501", "5.5.2", "RCPT", "blocked"),
    ("smtpd_check.c check_helo_access", "554 5.7.1 <client.example.com>: Helo command rejected: Access denied", "554",
     "5.7.1", "RCPT", "blocked"),
    ("smtpd_check.c check_helo_access with a text", "554 5.7.1 <client.example.com>: Helo command rejected: match "
     "client.example.com", "554", "5.7.1", "RCPT", "blocked"),
    ("smtpd_check.c reject_unlisted_sender at RCPT", "550 5.1.0 <alice@example.com>: Sender address rejected: User unknown "
     "in local recipient table", "550", "5.1.0", "RCPT", "rejected"),
    ("smtpd_check.c reject_unverified_sender", "450 4.1.7 <alice@example.com>: Sender address rejected: unverified "
     "address: host mx.example.com[192.0.2.5] said: 550 5.1.1 <alice@example.com>: Recipient address rejected: User "
     "unknown in local recipient table (in reply to RCPT TO command)", "450", "4.1.7", "RCPT", "rejected"),
    ("smtpd_check.c reject_unverified_sender, bounced probe", "550 5.1.7 <alice@example.com>: Sender address rejected: "
     "undeliverable address: unknown user: \"alice\"", "550", "5.1.7", "RCPT", "rejected"),
    ("smtpd_check.c null MX sender", "550 5.7.27 <alice@example.com>: Sender address rejected: Domain example.com does "
     "not accept mail (nullMX)", "550", "5.7.27", "RCPT", "rejected"),
    ("smtpd_check.c server configuration error, client class", "451 4.3.5 <client.example.com[192.0.2.9]>: Client host "
     "rejected: Server configuration error", "451", "4.3.5", "RCPT", "systemerror"),
    ("smtpd_check.c server configuration error, sender class", "451 4.3.5 <alice@example.com>: Sender address rejected: "
     "Server configuration error", "451", "4.3.5", "RCPT", "systemerror"),
    ("cleanup_strerror.c CLEANUP_STAT_HOPS via smtpd.c", "554 5.4.0 Error: too many hops", "554", "5.4.0", "DATA",
     "systemerror"),
    ("local mbox_open.c", "cannot update mailbox /var/mail/bob for user bob. destination /var/mail/bob is not owned by "
     "recipient", None, "4.2.0", None, "systemerror"),
    ("local recipient.c", "user lookup error", None, "4.3.0", None, "systemerror"),
    ("local mailbox.c", "table lookup failure", None, "4.3.0", None, "systemerror"),
    ("local command.c", "mail to command is restricted", None, "5.7.1", None, "systemerror"),
    ("local file.c", "cannot append message to file /home/bob/mail.log: Permission denied", None, "5.2.0", None,
     "systemerror"),
    ("smtp_addr.c + getaddrinfo EAI_AGAIN", "unable to look up host mx.example.net: Temporary failure in name resolution",
     None, "4.4.4", None, "networkerror"),
    ("pipe.c + sys_exits.c EX_SOFTWARE", "internal software error", None, "5.3.0", None, "mailererror"),
    ("pipe.c + sys_exits.c EX_DATAERR", "data format error", None, "5.6.0", None, "mailererror"),
    ("pipe.c + sys_exits.c EX_TEMPFAIL", "temporary failure", None, "4.3.0", None, "mailererror"),
]


@pytest.mark.parametrize(("source", "text", "smtp", "enhanced", "command", "reason"), ROWS,
                         ids=[f"{row[0]}:{row[5]}" for row in ROWS])
def test_postfix_wording_gets_its_reason(source: str, text: str, smtp: str | None, enhanced: str | None,
                                         command: str | None, reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


@pytest.mark.parametrize(("text", "command", "reason"), [
    # the recipient class keeps its reason: the sender rules name the Sender class only
    ("550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in local recipient table", "RCPT",
     "userunknown"),
    ("450 4.1.1 <bob@example.net>: Recipient address rejected: unverified address: host mx.example.net[192.0.2.1] said: "
     "550 5.1.1 User unknown (in reply to RCPT TO command)", "RCPT", "userunknown"),
    # a sender refusal that names SPF stays an authentication failure
    ("550 5.7.23 <alice@example.com>: Sender address rejected: Message rejected due to: SPF fail - not authorized",
     "MAIL", "authfailure"),
    # RFC 7505 X.7.27 from any MTA is the sender's null MX, not SPF
    ("550 5.7.27 Sender address has null MX", "MAIL", "rejected"),
    # a HELO refusal that names a cause read earlier keeps it
    ("554 5.7.1 <client.example.com>: Helo command rejected: Server configuration error", "RCPT", "systemerror"),
])
def test_near_misses_keep_their_reason(text: str, command: str, reason: str) -> None:
    decided = default_classifier().classify(record(text, text[:3], text[4:10].strip(), command))
    assert decided.reason == reason, decided.rule


@pytest.mark.parametrize("text", ["554 5.3.0 Internal software error", "451 4.3.0 Temporary failure, try again later",
                                  "550 5.6.0 Data format error in the message"])
def test_a_remote_reply_is_not_a_pipe_status(text: str) -> None:
    """The sys_exits.c texts match only as the whole status text; a remote reply carries its code first."""
    decided = default_classifier().classify(record(text, text[:3], text[4:9], "DATA"))
    assert decided.reason != "mailererror", decided.rule
