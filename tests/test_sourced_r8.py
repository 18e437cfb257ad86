"""Round 8 wordings (analyzer/data/phrases/sources-r8.toml): Exim's SPF ACL refusal, Sendmail's access-map recipient
refusal, header-size limit and 8-bit conversion failure, SPF and DMARC software's refusals, MIMEDefang's texts, AOL's
HVU:B1 and RLY:SN, konto.pl's 5.1.0 policy refusal.

Each row is built from the source's text (named in the data file) with made-up hosts, addresses and numbers; like
tests/test_sourced_phrases.py, the classifier of the source-derived phrase files must give the reason by a phrase, and so
must the bundled classifier.  The near misses below keep the reason they had before this round.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.pipeline import read_records
from tests.test_sourced_phrases import assert_sourced, record, sourced_classifier

ROWS = [
    # authfailure: Exim's SPF ACL
    ("Debian exim4-config CHECK_RCPT_SPF", "550 [SPF] 192.0.2.9 is not allowed to send mail from example.org.", "550",
     None, "RCPT", "authfailure"),
    ("Debian exim4-config, relayed with 5.7.1", "550 5.7.1 [SPF] 192.0.2.9 is not allowed to send mail from example.org.",
     "550", "5.7.1", "RCPT", "authfailure"),
    ("Debian exim4-config, IPv6 client", "550 [SPF] 2001:db8::9 is not allowed to send mail from example.org.", "550",
     None, "RCPT", "authfailure"),
    ("Exim specification SPF example", "550 192.0.2.9 is not allowed to send mail from example.org.  Please see "
     "http://www.open-spf.org/Why;identity=alice@example.org;ip=192.0.2.9;receiver=mx.example.net", "550", None, "RCPT",
     "authfailure"),
    ("libspf2 fail comment", "550 5.7.1 domain of alice@example.org does not designate 192.0.2.9 as permitted sender",
     "550", "5.7.1", "RCPT", "authfailure"),
    ("libspf2 softfail comment", "550 5.7.1 transitioning example.org does not designate 192.0.2.9 as permitted "
     "sender", "550", "5.7.1", "RCPT", "authfailure"),
    ("Mail::SPF default explanation", "550 Rejected by SPF record", "550", None, "RCPT", "authfailure"),
    ("OpenDMARC reject", "550 5.7.1 rejected by DMARC policy for example.org", "550", "5.7.1", "DATA", "authfailure"),
    # blocked: the Exim wiki's dynamic-client ACL examples
    ("Exim wiki HELO check", "550 Helo is ADSL or DIAL (HELO was dsl-198-51-100-9.example.net) and your ip 192.0.2.9 "
     "not is a MX/SPF of domain <example.org>", "550", None, "MAIL", "blocked"),
    ("Exim wiki reverse check", "550 Reverse verified (dsl-198-51-100-9.example.net) is ADSL or DIAL, Helo mx.example.org "
     "not is 192.0.2.9 and your ip 192.0.2.9 not is a MX/SPF of domain <example.org>", "550", None, "RCPT", "blocked"),
    # suspend: Sendmail confRCPTREJ_MSG
    ("Sendmail proto.m4 confRCPTREJ_MSG", "550 5.2.1 <bob@example.net>... Mailbox disabled for this recipient", "550",
     "5.2.1", "RCPT", "suspend"),
    ("Sendmail confRCPTREJ_MSG relayed with 5.7.1", "550 5.7.1 <bob@example.net>... Mailbox disabled for this recipient",
     "550", "5.7.1", "RCPT", "suspend"),
    # exceedlimit: Sendmail collect.c
    ("Sendmail collect.c MaxHeadersLength", "552 5.6.0 Headers too large (32768 max)", "552", "5.6.0", "DATA",
     "exceedlimit"),
    ("Sendmail collect.c without the enhanced code", "552 Headers too large (32768 max)", "552", None, "DATA",
     "exceedlimit"),
    # contenterror: Sendmail deliver.c
    ("Sendmail deliver.c 5.6.3", "554 5.6.3 Cannot send 8-bit data to 7-bit destination", "554", "5.6.3", None,
     "contenterror"),
    ("Sendmail deliver.c without the enhanced code", "554 Cannot send 8-bit data to 7-bit destination", "554", None,
     None, "contenterror"),
    # AOL tokens
    ("AOL 554 HVU:B1", "554 5.7.1 :(HVU:B1) http://postmaster.info.aol.com/errors/554hvub1.html", "554", "5.7.1", "DATA",
     "spamdetected"),
    ("AOL 554 RLY:SN", "554 RLY:SN http://postmaster.info.aol.com/errors/554rlysn.html", "554", None, "MAIL",
     "rejected"),
    # policyviolation: konto.pl's 5.1.0
    ("konto.pl 5.1.0 policy violation", "550 5.1.0 piWs1j0010jifNx01iWsdh policy violation", "550", "5.1.0", "DATA",
     "policyviolation"),
    # MIMEDefang
    ("MIMEDefang action_bounce default", "554 5.7.1 Forbidden for policy reasons", "554", "5.7.1", "DATA",
     "policyviolation"),
    ("MIMEDefang shipped filter", "554 5.7.1 MIME type message/partial not accepted here", "554", "5.7.1", "DATA",
     "contenterror"),
    ("mimedefang.pl MIME parts limit", "554 5.7.1 Message contained too many MIME parts.  We do not accept such "
     "complicated messages.", "554", "5.7.1", "DATA", "contenterror"),
]


@pytest.mark.parametrize(("text", "smtp", "enhanced", "command", "reason"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_round8_wording_gives_its_reason(text: str, smtp: str | None, enhanced: str | None, command: str | None,
                                         reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


@pytest.mark.parametrize(("text", "smtp", "enhanced", "command", "reason"), [
    # Exim's temporary SPF lookup failure is not a refusal of the sender: the reply code decides, as before
    ("451 Temporary DNS error while checking SPF record.  Try again later.", "451", None, "RCPT", "systemerror"),
    # Exim's best-guess check: the specification says it is not SPF, so no SPF wording was added for it
    ("550 5.7.1 192.0.2.9 doesn't look trustworthy to me", "550", "5.7.1", "RCPT", "securityerror"),
    # Sendmail's AUTH= refusal stays the code's securityerror
    ("550 5.7.1 alice not allowed to act as bob", "550", "5.7.1", "MAIL", "securityerror"),
    # a sender who is not allowed to send from an address is not the SPF wording
    ("554 5.7.1 You are not allowed to send mail from this address", "554", "5.7.1", "MAIL", "securityerror"),
    # OpenDMARC's quarantine is a header it adds, not a refusal: no phrase was added for it
    ("550 5.7.1 quarantined by DMARC policy for example.org", "550", "5.7.1", "DATA", "securityerror"),
    # postfix-policyd-spf-perl's default explanation is a link the normaliser turns into <url>: the code decides
    ("550 5.7.1 Please see http://www.openspf.org/Why?s=mfrom;id=alice@example.org;ip=192.0.2.9;r=mx.example.net", "550",
     "5.7.1", "RCPT", "securityerror"),
    # Postfix's temporary DNS failure stays a DNS problem, not a domain that does not exist
    ("Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again", None,
     "4.4.3", None, "networkerror"),
])
def test_near_misses_keep_their_reason(text: str, smtp: str | None, enhanced: str | None, command: str | None,
                                       reason: str) -> None:
    assert sourced_classifier().classify(record(text, smtp, enhanced, command)).reason == reason, text


@pytest.mark.parametrize(("said", "dsn", "reason"), [
    ("550 [SPF] 192.0.2.9 is not allowed to send mail from example.org. (in reply to RCPT TO command)", "5.0.0",
     "authfailure"),
    ("552 5.6.0 Headers too large (32768 max) (in reply to end of DATA command)", "5.6.0", "exceedlimit"),
])
def test_a_postfix_log_line_quoting_the_remote_reply(tmp_path: Path, said: str, dsn: str, reason: str) -> None:
    """Postfix's smtp delivery line carries the remote's reply behind its own dsn=; the words decide."""
    log = tmp_path / "maillog"
    log.write_text("Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<bob@example.net>, relay=mx.example.net"
                   f"[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn={dsn}, status=bounced (host mx.example.net[192.0.2.1] "
                   f"said: {said})\n")
    (found,) = read_records([str(log)])
    assert found.reason == reason, found.rule

