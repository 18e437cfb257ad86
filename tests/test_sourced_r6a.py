"""Round 6a wordings (analyzer/data/phrases/sources-r6a.toml): refusals that carry only a generic enhanced code (5.7.0,
5.7.1, 4.7.1, 5.5.0, 5.6.0) or none, whose words state the cause: the client IP refused, a missing reverse DNS, relay
denial, a stated policy, the sender refused (Sender ID / PRA, sender domain and header-sender checks), spam.

Each row is built from the source's text (named in the data file) with made-up hosts, addresses and numbers; like
tests/test_sourced_phrases.py, the classifier of the source-derived phrase files must give the reason by a phrase, and so
must the bundled classifier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.classify import default_classifier
from analyzer.pipeline import read_records
from tests.test_sourced_phrases import assert_sourced, record, sourced_classifier

GMX = "554-mx.example.net (mxgmx104) Nemesis ESMTP Service not available\n554-No SMTP service\n554-{line}\n554 For " \
      "explanation visit https://postmaster.example.net/en/case?c=r0201&i=ip&v=192.0.2.9"

ROWS = [
    # blocked: the client IP, the list not named
    ("Hotmail dynamic IP (eseutil.net)", "550 5.7.1 Your IP address 192.0.2.9 appears to be dynamically assigned. Please "
     "smarthost your mail through your ISP's mail server. If your IP is static or for more information, please contact us",
     "550", "5.7.1", "RCPT", "blocked"),
    ("Hotmail DY-001 (intranoggin.com)", "550 DY-001 Mail rejected by Windows Live Hotmail for policy reasons. We generally "
     "do not accept email from dynamic IP's as they are not typically used to deliver unauthenticated SMTP e-mail to an "
     "Internet mail server.", "550", "5.5.0", None, "blocked"),
    ("GMX block listed (postmaster.gmx.com)", GMX.format(line="IP address is block listed."), "554", None, "CONN",
     "blocked"),
    ("GMX black listed (marmaro.de)", GMX.format(line="IP address is black listed."), "554", None, None, "blocked"),
    ("forpsi GeoIP country block", "550 5.1.0 <alice@example.org> sender rejected GeoIP example.org:192.0.2.9:CN", "550",
     "5.1.0", "MAIL", "blocked"),
    ("smtpf #120 access map", "550 5.7.1 host mx.example.org [192.0.2.9] black listed #120", "550", "5.7.1", "RCPT",
     "blocked"),
    ("DNSBL refusal quoted on pastebin", "550 5.7.0 Your server IP address is in the SORBS DNSBL database, bye", "550",
     "5.7.0", "RCPT", "blocked"),
    ("Chinese MTA reply list", "554 openrelay check.", "554", None, "CONN", "blocked"),
    ("vexim ACL", "550 5.7.1 DNSBL listed at zen.example.org", "550", "5.7.1", "RCPT", "blocked"),
    ("OpenVMS SMTP Bad-Clients-Text", "550 Your IP address or subnet is in my list of bad ones.", "550", None, "CONN",
     "blocked"),
    ("OpenVMS SMTP Client-In-RBL-Text", "550 5.7.1 Your IP address is in my RBL list.", "550", "5.7.1", "RCPT", "blocked"),
    ("Juniper UTM antispam", "554 Transaction failed due to anti spam setting", "554", None, "CONN", "blocked"),
    ("everycloud 5.5.4", "554 5.5.4 Spam IP rejected", "554", "5.5.4", "RCPT", "blocked"),
    ("MagicSpam rDNS pattern (ateliervision.de)", "550 5.7.0 Your server hostname [mx.example.org] for IP [192.0.2.9] "
     "matches a pattern which was abusive in the past. See http://spamauditor.example.org/best-practices/ for more "
     "information. Protection provided by MagicSpam 2.0.18-1", "550", "5.7.0", "RCPT", "blocked"),
    ("MagicSpam verbose reason (vendor forum)", "550 5.7.0 Your message was rejected by this system and was not delivered. "
     "Reason: Messages from your location are rejected, bad or missing identifier (HELO). Contact your email administrator "
     "Protection provided by: MagicSpam 1.0.8-1.1", "550", "5.7.0", "RCPT", "blocked"),
    ("Sendmail dnsbl rfc-ignorant text", "550 5.7.1 Mail from 192.0.2.9 refused. Rejected for bad WHOIS info on IP of "
     "your SMTP server - see http://www.example.org/", "550", "5.7.1", "RCPT", "blocked"),
    ("Sendmail dnsbl Spamhaus text", "554 5.7.1 Rejected 192.0.2.9 found in zen.example.org", "554", "5.7.1", "RCPT",
     "blocked"),
    # requireptr
    ("OpenVMS SMTP Unbacktranslatable-IP-Text", "550 5.7.1 I can't backtranslate your IP address to a host name.", "550",
     "5.7.1", "CONN", "requireptr"),
    ("Mail.ru generic PTR", "550 Sorry, we do not accept mail from hosts with dynamic IP or generic DNS PTR-records. Please "
     "get a custom reverse DNS name from your ISP for your host 192.0.2.9 or contact abuse@example.net in case of error",
     "550", None, "RCPT", "requireptr"),
    ("smtpf #121", "550 5.7.1 host mx.example.invalid [192.0.2.9] from RFC2606 reserved domain #121", "550", "5.7.1",
     "RCPT", "requireptr"),
    ("smtpf #122", "550 5.7.1 host mx.example.zz [192.0.2.9] from unknown TLD #122", "550", "5.7.1", "RCPT",
     "requireptr"),
    ("Exim Debian CHECK_RCPT_REVERSE_DNS wording", "550 5.7.1 Reverse DNS lookup failed for 192.0.2.9", "550", "5.7.1",
     "RCPT", "requireptr"),
    ("Exim wording at the greeting, code 571", "571 Reverse DNS lookup failed for 192.0.2.9 (failed)", "571", None,
     "CONN", "requireptr"),
    ("Exim wording quoted by Outlook with 5.5.0", "550 5.5.0 Reverse DNS lookup failed for 192.0.2.9", "550", "5.5.0",
     None, "requireptr"),
    ("EOP IPv6 PTR refusal quoted with 5.5.0", "550 5.5.0 Service unavailable, sending IPv6 address [2001:db8::1] must "
     "have reverse DNS record.", "550", "5.5.0", None, "requireptr"),
    ("Microsoft KB 3019655 summary", "550 5.7.1 The source server's host name does not match its IP address", "550",
     "5.7.1", "MAIL", "requireptr"),
    ("Exim host.c", "550 5.7.0 no host name found for IP address 192.0.2.9", "550", "5.7.0", "RCPT", "requireptr"),
    ("postomaat IdentityCrisis", "450 4.7.1 No FcrDNS and address literal HELO - Who are you?", "450", "4.7.1", "RCPT",
     "requireptr"),
    # norelaying: a 501 reply
    ("smtpd 501 relay refusal", "501 This system is not configured to relay mail", "501", None, "RCPT", "norelaying"),
    ("smtpd 501 relay refusal with 5.7.1", "501 5.7.1 This system is not configured to relay mail", "501", "5.7.1",
     "RCPT", "norelaying"),
    ("OpenVMS SMTP SPAM-Relay-Text", "550 5.7.1 Both you and the recipient are unknown to me. I will not relay.", "550",
     "5.7.1", "RCPT", "norelaying"),
    ("Kerio Connect relay control", "550 5.7.1 Relaying is denied", "550", "5.7.1", "RCPT", "norelaying"),
    # policyviolation
    ("Proofpoint (hunter.cuny.edu)", "550 5.7.0 Local Policy Violation", "550", "5.7.0", "RCPT", "policyviolation"),
    ("GMX policy restrictions (udmedia.de)", GMX.format(line="Reject due to policy restrictions."), "554", None, "CONN",
     "policyviolation"),
    ("RFC 5321 550 gloss", "550 5.7.1 Command rejected for policy reasons", "550", "5.7.1", "RCPT", "policyviolation"),
    ("RFC 5321 gloss, short form", "554 5.7.0 Message refused for policy reasons", "554", "5.7.0", "DATA",
     "policyviolation"),
    # rejected: Sender ID / PRA
    ("Exchange Sender ID agent", "550 5.7.1 Sender ID (PRA) Not Permitted", "550", "5.7.1", "DATA", "rejected"),
    ("Exchange Sender ID agent, explanation", "550 5.7.1 Sender ID (PRA) Not Permitted - example.org does not designate "
     "192.0.2.9", "550", "5.7.1", "DATA", "rejected"),
    ("Exchange Sender ID agent, malformed domain", "550 5.7.1 Sender ID (PRA) Malformed Domain", "550", "5.7.1", "DATA",
     "rejected"),
    ("Exchange Sender ID agent, no such domain", "550 5.7.1 Sender ID (PRA) Domain Does Not Exist", "550", "5.7.1",
     "DATA", "rejected"),
    ("Exchange Sender ID agent, no PRA", "550 5.7.1 Missing purported responsible address", "550", "5.7.1", "DATA",
     "rejected"),
    # rejected: sender domain checks and header-sender verification
    ("Broadcom KB 169925", "551 Sender is on domain's blacklist", "551", None, "MAIL", "rejected"),
    ("Broadcom KB 169925 with 5.7.1", "550 5.7.1 Sender is on domain's blacklist", "550", "5.7.1", None, "rejected"),
    ("Baruwa banned domain", "550 The domain example.org is banned", "550", None, "MAIL", "rejected"),
    ("Courier BOFHBADMX", "550 5.7.1 Mail server at 192.0.2.9 is blocked.", "550", "5.7.1", "MAIL", "rejected"),
    ("Exim verify.c header_sender", "550 5.7.1 Rejected after DATA: there is no valid sender in any header line", "550",
     "5.7.1", "DATA", "rejected"),
    ("Exim could not verify header address", '550 Rejected after DATA: could not verify "From:" header address', "550",
     None, "DATA", "rejected"),
    ("smtpf #127", "550 5.7.1 sender <alice@example.org> black listed #127", "550", "5.7.1", "MAIL", "rejected"),
    ("smtpf #125", "550 5.7.1 host mx.example.org [192.0.2.9] sender <alice@example.org> black listed #125", "550",
     "5.7.1", "MAIL", "rejected"),
    ("smtpf #128", "550 5.7.1 sender <alice@example.test> from RFC2606 reserved domain #128", "550", "5.7.1", "MAIL",
     "rejected"),
    ("smtpf #129, null sender", "550 5.7.1 sender <> from unknown TLD #129", "550", "5.7.1", "MAIL", "rejected"),
    ("OpenVMS SMTP Reject-Mail-From-Text", "550 5.7.1 That sender address is in my list of bad ones.", "550", "5.7.1",
     "MAIL", "rejected"),
    ("OpenVMS SMTP Unqualified-Sender-Text", "550 That sender address is unqualified.", "550", None, "MAIL", "rejected"),
    ("OpenVMS SMTP Unresolvable-Domain-Text", "550 That sender address is unresolvable into a host name or MX domain.",
     "550", None, "MAIL", "rejected"),
    # mesgtoobig
    ("IceWarp 5xx table", "501 5.7.1 Message is too long", "501", "5.7.1", "DATA", "mesgtoobig"),
    ("Postfix reject_unverified_sender at RCPT", "450 4.1.7 <alice@example.org>: Sender address rejected: unverified "
     "address: host mx.example.org[192.0.2.1] said: 550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown",
     "450", "4.1.7", "RCPT", "rejected"),
    ("Postfix reject_unverified_sender, undeliverable", "550 5.1.7 <alice@example.org>: Sender address rejected: "
     "undeliverable address: host mx.example.org[192.0.2.1] said: 550 5.1.1 <alice@example.org>... User unknown", "550",
     "5.1.7", "RCPT", "rejected"),
    ("Postfix reject_unlisted_sender at RCPT", "550 5.1.0 <alice@example.org>: Sender address rejected: User unknown in "
     "local recipient table", "550", "5.1.0", "RCPT", "rejected"),
    # notcompliantrfc
    ("Exim verify.c header syntax", "550 5.7.0 Rejected after DATA: syntax error in 'From:' header when scanning for "
     'sender: missing or malformed local part in "<@example.org>"', "550", "5.7.0", "DATA", "notcompliantrfc"),
    ("Gmail multi-line, duplicate headers (spamresource.com)", "550-5.7.1 [192.0.2.9] Our system has detected that this "
     "message is not RFC 550-5.7.1 5322 compliant: duplicate headers. To reduce the amount of spam sent 550-5.7.1 to Gmail, "
     "this message has been blocked. Please review 550 5.7.1  RFC 5322 specifications for more information.", "550",
     "5.7.1", "DATA", "notcompliantrfc"),
    ("Gmail multi-line, multiple From", "550-5.7.1 [192.0.2.9] Our system has detected that this message is not RFC "
     "550-5.7.1 5322 compliant: 550-5.7.1 Multiple 'From' headers found. 550-5.7.1 To reduce the amount of spam sent to "
     "Gmail, this message has been 550-5.7.1 blocked.", "550", "5.7.1", "DATA", "notcompliantrfc"),
    ("Gmail Message-ID (forpsi KB a4311)", "550-5.7.1 Messages missing a valid messageId header are not accepted.", "550",
     "5.7.1", "DATA", "notcompliantrfc"),
    # badreputation
    ("MailEnable KB ME020517", "554-mx.example.net 554 Your access to this mail system has been rejected due to the sending "
     "MTA's poor reputation. If you believe that this failure is in error, please contact the intended recipient via "
     "alternate means.", "554", None, "CONN", "badreputation"),
    # spamdetected
    ("Courier submit", "550 5.7.1 Spam refused.", "550", "5.7.1", "DATA", "spamdetected"),
    ("Haraka spamassassin", "550 5.6.0 spam score exceeded threshold", "550", "5.6.0", "DATA", "spamdetected"),
    ("Haraka rspamd plugin default", "550 5.7.1 Detected as spam", "550", "5.7.1", "DATA", "spamdetected"),
    ("qpsmtpd spamassassin", "552 spam score exceeded threshold (#5.6.1)", "552", None, "DATA", "spamdetected"),
    ("a receiver quoted by Gmail", "552 552 spam score (6.9) exceeded threshold (state 18).", "552", None, None,
     "spamdetected"),
]


@pytest.mark.parametrize(("source", "text", "smtp", "enhanced", "command", "reason"), ROWS,
                         ids=[f"{row[-1]}-{row[0]}" for row in ROWS])
def test_a_sourced_wording_gives_its_reason(source: str, text: str, smtp: str | None, enhanced: str | None,
                                            command: str | None, reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


@pytest.mark.parametrize(("text", "smtp", "enhanced", "command", "reason"), [
    # Sendmail's relay check names the unresolvable client, but the refusal is of relaying (norelaying is tried first)
    ("550 5.7.1 <bob@example.net>... Relaying denied. IP name lookup failed mx.example.org", "550", "5.7.1", "RCPT",
     "norelaying"),
    # the Sender ID agent's temporary failure is a lookup problem, not a refusal of the sender: the code decides
    ("450 4.4.3 Sender ID check is temporarily unavailable", "450", "4.4.3", "DATA", "networkerror"),
    # Courier's SPF refusal stays an authentication failure
    ("550 5.7.1 Rejected by the Sender Policy Framework.", "550", "5.7.1", "MAIL", "authfailure"),
    # Exim's "header syntax" stays a format refusal
    ("550 5.7.0 header syntax", "550", "5.7.0", "DATA", "notcompliantrfc"),
    # smtpf's sender+recipient access-map pair is not the sender alone: no reason of ours fits, the code decides
    ("550 5.7.1 sender <alice@example.org> recipient <bob@example.net> black listed #137", "550", "5.7.1", "RCPT",
     "securityerror"),
    # the recipient's verification probe stays the recipient's
    ("450 4.1.1 <bob@example.net>: Recipient address rejected: undeliverable address: host mx.example.net[192.0.2.1] said: "
     "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in local recipient table", "450", "4.1.1",
     "RCPT", "userunknown"),
    # amavisd-new's banned parts stay contenterror
    ("554 5.7.1 Rejected due to banned content", "554", "5.7.1", "DATA", "contenterror"),
])
def test_near_misses_keep_their_reason(text: str, smtp: str | None, enhanced: str | None, command: str | None,
                                       reason: str) -> None:
    for classifier in (sourced_classifier(), default_classifier()):
        assert classifier.classify(record(text, smtp, enhanced, command)).reason == reason, text


def test_courier_sender_mx_check_does_not_take_a_refusal_of_your_mail_server() -> None:
    """Courier's "Mail server at <ip> is blocked." is about the sender domain's MX; "your mail server ... is blocked" is a
    block of the client, which the bundled phrases read as blocked and the source-only ones leave to the code."""
    text = "550 5.7.1 Your mail server at 192.0.2.9 is blocked"
    assert sourced_classifier().classify(record(text, "550", "5.7.1", "RCPT")).reason == "securityerror"
    assert default_classifier().classify(record(text, "550", "5.7.1", "RCPT")).reason == "blocked"


@pytest.mark.parametrize("text", [
    "550 5.7.1 Unable to deliver, generic refusal",
    "550 5.7.0 Message refused",
])
def test_a_generic_code_with_no_cause_still_falls_to_the_code_table(text: str) -> None:
    """The new phrases read causes, not the bare refusal: 5.7.x with no cause in words stays the code's securityerror."""
    decided = sourced_classifier().classify(record(text, "550", text[4:9], "RCPT"))
    assert (decided.reason, decided.rule) == ("securityerror", f"code:{text[4:9]}")


@pytest.mark.parametrize(("said", "reason"), [
    ("501 5.7.1 This system is not configured to relay mail (in reply to RCPT TO command)", "norelaying"),
    ("550 5.7.0 Local Policy Violation (in reply to RCPT TO command)", "policyviolation"),
    ("550 5.6.0 spam score exceeded threshold (in reply to end of DATA command)", "spamdetected"),
    ("550 5.7.1 Sender ID (PRA) Not Permitted (in reply to end of DATA command)", "rejected"),
])
def test_a_postfix_log_line_quoting_the_remote_reply(tmp_path: Path, said: str, reason: str) -> None:
    """Postfix's smtp delivery line carries the remote's reply behind its own dsn=; the words decide."""
    log = tmp_path / "maillog"
    log.write_text("Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<bob@example.net>, relay=mx.example.net"
                   "[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn=5.7.1, status=bounced (host mx.example.net[192.0.2.1] "
                   f"said: {said})\n")
    (found,) = read_records([str(log)])
    assert found.reason == reason, found.rule
