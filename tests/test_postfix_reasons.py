"""Reasons of Postfix delivery lines whose replies are documented texts of the MTAs and receivers that
write them (their source named beside each case), not the generator's vocabulary or our own samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.pipeline import read_records
from analyzer.records import Record

SAID = "host mx.example.net[192.0.2.1] said: {reply} (in reply to {command} command)"

#: (status, dsn, text of the status line, expected reason, where the wording comes from)
CASES = [
    ("deferred", "4.7.1", SAID.format(reply="450 4.7.1 Error: too much mail from 198.51.100.7", command="MAIL FROM"),
     "speeding", "Postfix smtpd.c, smtpd_client_message_rate_limit"),
    ("deferred", "4.7.1", SAID.format(reply="450 4.7.1 Error: too many recipients from 198.51.100.7", command="RCPT TO"),
     "speeding", "Postfix smtpd.c, smtpd_client_recipient_rate_limit"),
    ("deferred", "4.7.0", SAID.format(reply="421 4.7.0 mx.example.net Error: too many connections from 198.51.100.7",
                                      command="MAIL FROM"),
     "toomanyconn", "Postfix smtpd.c, smtpd_client_connection_count_limit"),
    ("bounced", "5.0.0", SAID.format(reply="553 <bob@example.net>... Users mailbox is currently disabled", command="RCPT TO"),
     "suspend", "a sendmail transcript quoted in Majordomo 2's bounce documentation"),
    ("bounced", "5.0.0", SAID.format(reply="550 Address rejected", command="RCPT TO"),
     "userunknown", "RFC 5321 550 at RCPT: the recipient's address refused"),
    ("bounced", "5.0.0", SAID.format(reply="550 User <bob@example.net> unknown", command="RCPT TO"),
     "userunknown", "Courier courier/module.esmtp: 'User <x> unknown'"),
    ("bounced", "5.4.6", "mail for example.net loops back to myself", "systemerror", "Postfix smtp_connect.c"),
    ("deferred", "4.0.0", SAID.format(reply="450 5.1.1 <bob@example.net>: Recipient address rejected: undeliverable "
                                             "address: host mx2.example.net said: 550 5.1.1 unknown user", command="RCPT TO"),
     "userunknown", "Postfix smtpd_check.c reject_unverified_recipient (a 450 reply carrying 5.1.1)"),
    ("bounced", "5.0.0", SAID.format(reply="550 sorry, no mailbox here by that name. (#5.1.1)", command="RCPT TO"),
     "userunknown", "qmail qmail-local.c"),
    ("bounced", "5.0.0", SAID.format(reply="553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
                                     command="RCPT TO"),
     "norelaying", "qmail qmail-smtpd.c"),
    ("bounced", "5.0.0", SAID.format(reply="552 sorry, mailbox bob is over quota (#5.2.2)", command="end of DATA"),
     "mailboxfull", "vpopmail vdelivermail.c"),
    ("bounced", "5.1.1", SAID.format(reply="550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in "
                                             "virtual mailbox table", command="RCPT TO"),
     "userunknown", "Postfix smtpd_check.c check_rcpt_maps"),
    ("bounced", "5.1.1", SAID.format(reply="550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in "
                                             "local recipient table", command="RCPT TO"),
     "userunknown", "Postfix smtpd_check.c check_rcpt_maps"),
    ("bounced", "5.0.0", SAID.format(reply="550 5.1.0 <alice@example.org>: Sender address rejected: User unknown in "
                                             "local recipient table", command="MAIL FROM"),
     "rejected", "Postfix smtpd_check.c reject_unlisted_sender"),
    ("bounced", "5.0.0", SAID.format(reply="450 4.1.8 <alice@example.org>: Sender address rejected: Domain not found",
                                     command="MAIL FROM"),
     "rejected", "Postfix smtpd_check.c reject_unknown_sender_domain"),
    ("bounced", "5.0.0", SAID.format(reply="450 4.1.2 <bob@example.net>: Recipient address rejected: Domain not found",
                                     command="RCPT TO"),
     "hostunknown", "Postfix smtpd_check.c reject_unknown_recipient_domain"),
    ("bounced", "5.7.1", SAID.format(reply="554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using "
                                             "zen.spamhaus.org", command="RCPT TO"),
     "blocked", "Postfix smtpd_check.c reject_rbl_client"),
    ("bounced", "5.7.1", SAID.format(reply="554 5.7.1 <bob@example.net>: Relay access denied", command="RCPT TO"),
     "norelaying", "Postfix smtpd_check.c reject_unauth_destination"),
    ("deferred", "4.7.1", SAID.format(reply="450 4.7.1 Client host rejected: cannot find your hostname, [198.51.100.7]",
                                      command="RCPT TO"),
     "requireptr", "Postfix smtpd_check.c reject_unknown_client_hostname"),
    ("bounced", "5.3.4", SAID.format(reply="552 5.3.4 Message size exceeds fixed limit", command="end of DATA"),
     "mesgtoobig", "Postfix smtpd.c message_size_limit"),
    ("deferred", "4.3.1", SAID.format(reply="452 4.3.1 Insufficient system storage", command="MAIL FROM"),
     "systemfull", "Postfix smtpd.c queue_minfree"),
    ("deferred", "4.4.1", "connect to mx.example.net[192.0.2.1]:25: Connection timed out", "networkerror",
     "Postfix smtp_connect.c"),
    ("deferred", "4.4.2", "lost connection with mx.example.net[192.0.2.1] while receiving the initial server greeting",
     "networkerror", "Postfix smtp_proto.c"),
    ("bounced", "5.4.4", "Host or domain name not found. Name service error for name=example.net type=A: Host not found",
     "hostunknown", "Postfix dns_lookup.c"),
    ("deferred", "4.7.5", "TLS is required, but was not offered by host mx.example.net[192.0.2.1]", "failedstarttls",
     "Postfix smtp_proto.c"),
    ("bounced", "5.2.2", SAID.format(reply="552 5.2.2 The email account that you tried to reach is over quota and inactive.",
                                     command="RCPT TO"),
     "mailboxfull", "Gmail SMTP error reference, 552 5.2.2"),
    ("bounced", "5.1.1", SAID.format(reply="550 5.1.1 The email account that you tried to reach does not exist.",
                                     command="RCPT TO"),
     "userunknown", "Gmail SMTP error reference, 550 5.1.1"),
    ("deferred", "4.7.28", SAID.format(reply="421 4.7.28 Gmail has detected an unusual rate of mail originating from "
                                               "your SPF domain", command="end of DATA"),
     "speeding", "Gmail SMTP error reference, 421 4.7.28"),
    ("bounced", "5.7.26", SAID.format(reply="550 5.7.26 This message does not have authentication information or fails "
                                              "to pass authentication checks (SPF or DKIM)", command="end of DATA"),
     "authfailure", "Gmail SMTP error reference, 550 5.7.26"),
    ("bounced", "5.5.0", SAID.format(reply="550 5.5.0 Requested action not taken: mailbox unavailable", command="RCPT TO"),
     "userunknown", "Microsoft, Exchange Online NDR table (Outlook.com 5.5.0)"),
    ("bounced", "5.4.1", SAID.format(reply="550 5.4.1 Recipient address rejected: Access denied", command="RCPT TO"),
     "userunknown", "Microsoft, Exchange Online NDR 5.4.1 (directory-based edge blocking)"),
    ("bounced", "5.7.1", SAID.format(reply="550 5.7.606 Access denied, banned sending IP [198.51.100.7]", command="RCPT TO"),
     "blocked", "Microsoft, Exchange Online NDR 5.7.606-649"),
    ("deferred", "4.7.0", SAID.format(reply="421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to "
                                              "unexpected volume or user complaints", command="MAIL FROM"),
     "badreputation", "Yahoo Sender Hub, SMTP error codes"),
    ("bounced", "5.0.0", SAID.format(reply="554 delivery error: dd This user doesn't have a yahoo.com account",
                                     command="end of DATA"),
     "userunknown", "Yahoo Sender Hub, 554 delivery error"),
    ("bounced", "5.0.0", SAID.format(reply="550 Unrouteable address", command="RCPT TO"),
     "userunknown", "Exim routing: 'Unrouteable address'"),
    ("bounced", "5.0.0", SAID.format(reply="550 Benutzer unbekannt", command="RCPT TO"), "userunknown",
     "GMX/Web.de postmaster pages"),
    # a hop limit is a mail loop (RFC 3463 X.4.6), not a size limit
    ("bounced", "5.4.6", SAID.format(reply="554 5.4.6 Too many hops 26 (25 max): from <alice@example.org> via "
                                           "mx.example.net, to <bob@example.net>", command="end of DATA"),
     "systemerror", "Sendmail deliver.c"),
    ("bounced", "5.4.6", SAID.format(reply="554 too many hops, this message is looping (#5.4.6)", command="DATA"),
     "systemerror", "qmail qmail-smtpd.c"),
    ("bounced", "5.0.0", SAID.format(reply='550 Too many "Received" headers - suspected mail loop',
                                     command="end of DATA"),
     "systemerror", "Exim receive.c"),
]


def delivery(tmp_path: Path, status: str, dsn: str, text: str) -> Record:
    """The record of one smtp delivery line with this status, dsn= and status text."""
    log = tmp_path / "maillog"
    log.write_text(f"Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<bob@example.net>, relay=mx.example.net"
                   f"[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn={dsn}, status={status} ({text})\n")
    (record,) = read_records([str(log)])
    return record


@pytest.mark.parametrize(("status", "dsn", "text", "reason", "source"), CASES, ids=[c[4] + ":" + c[3] for c in CASES])
def test_documented_reply_gets_its_reason(tmp_path: Path, status: str, dsn: str, text: str, reason: str,
                                          source: str) -> None:
    record = delivery(tmp_path, status, dsn, text)
    assert record.reason == reason, (source, record.rule)


def test_the_replys_own_code_behind_a_generic_dsn(tmp_path: Path) -> None:
    """qmail's "(#5.1.1)" behind Postfix's dsn=5.0.0 becomes the record's enhanced code."""
    text = SAID.format(reply="550 sorry, no mailbox here by that name. (#5.1.1)", command="RCPT TO")
    record = delivery(tmp_path, "bounced", "5.0.0", text)
    assert (record.enhanced_code, record.code_class, record.reason, record.hard) == ("5.1.1", "5", "userunknown", True)
