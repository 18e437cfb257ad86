"""Round 6b wordings (analyzer/data/phrases/sources-r6b.toml): texts that state what happened but were left to the
fallback or to the bare reply code: internal and temporary server errors, DNS and connection failures, null MX, TLS
and authentication requirements, line-length limits, local delivery failures, mailing lists refusing the post.

Each row is built from the source's text (named in the data file) with made-up hosts, addresses and numbers; the
classifier of the source-derived phrase files must give the reason by a phrase, and so must the bundled classifier.
"""

from __future__ import annotations

import pytest
from test_sourced_phrases import assert_sourced, record, sourced_classifier

from analyzer.classify import default_classifier

GROUPS = ("We're writing to let you know that the group you tried to contact (sales) may not exist, or you may not have "
          "permission to post\nmessages to the group. A few more details on why you weren't able to post:\n\n * You might "
          "have spelled or formatted the group name incorrectly.\n * The owner of the group may have removed this group.\n"
          " * You may need to join the group before receiving permission to post.\n * This group may not be open to "
          "posting.")

ROWS = [
    # systemerror
    ("Sendmail strexit.c EX_SOFTWARE", "554 5.3.0 Internal error", "554", "5.3.0", None, "systemerror"),
    ("Courier courierd", "Internal failure.", None, None, None, "systemerror"),
    ("maildrop", "Internal error.", None, None, None, "systemerror"),
    ("Exim smtp_in.c", "458 Internal failure", "458", None, "DATA", "systemerror"),
    ("Gmail quoting a remote 500", "Google tried to deliver your message, but it was rejected by the server for the "
     "recipient domain example.net by mx.example.net. [192.0.2.1].\n\nThe error that the other server returned was:\n500 "
     "Internal Server Error", "500", None, None, "systemerror"),
    ("Gmail 3726730 4.3.0", "421 4.3.0 Temporary System Problem. Try again later. x12si345 - gsmtp", "421", "4.3.0", None,
     "systemerror"),
    ("Microsoft 365 ATTR3", "451 4.4.4 Temporary server error. Please try again later ATTR3 [BN8NAM00FT001.eop-nam00.prod."
     "protection.outlook.com]", "451", "4.4.4", "RCPT", "systemerror"),
    ("Postfix smtpd", "451 4.3.0 <bob@example.net>: Temporary lookup failure", "451", "4.3.0", "RCPT", "systemerror"),
    ("Postfix smtpd", "451 4.3.0 Temporary lookup error", "451", "4.3.0", "RCPT", "systemerror"),
    ("Exim receive.c", "451 Error while writing spool file", "451", None, "DATA", "systemerror"),
    ("Gmail Message not delivered", "Message not delivered\nYour message couldn't be delivered to list@example.net because "
     "the remote server is misconfigured. See technical details below for more information.", None, None, None,
     "systemerror"),
    # networkerror
    ("EHOSTUNREACH via Postfix smtp_connect.c", "connect to mx.example.net[192.0.2.1]:25: No route to host", None, None,
     None, "networkerror"),
    ("Postfix dns_strerror.c TRY_AGAIN", "Host or domain name not found. Name service error for name=example.net type=MX: "
     "Host not found, try again", None, None, None, "networkerror"),
    ("Exim smtp transport", "SMTP error from remote mail server after end of data: Remote host mx.example.net [192.0.2.1] "
     "closed connection in response to end of data", None, None, "DATA", "networkerror"),
    ("Exim smtp transport (EHLO)", "Remote host closed connection in response to EHLO mx.example.org (EHLO response was: "
     "421 busy)", None, None, "HELO", "networkerror"),
    ("Courier courieresmtp", "Connection closed by remote host.", None, None, None, "networkerror"),
    ("Courier courieresmtp", "DNS MX lookup failed.", None, None, None, "networkerror"),
    ("Gmail connection failure", "Delivery to the following recipient failed permanently:\n\n     bob@example.net\n\n"
     "Technical details of permanent failure:\nThe recipient server did not accept our requests to connect. Learn more at "
     "https://support.google.com/mail/answer/7720 \n[mx.example.net 192.0.2.1: timed out]", None, None, None,
     "networkerror"),
    ("Exchange Online NDR", "Your message couldn't be delivered. Despite repeated attempts to contact the recipient's "
     "email system it didn't respond.\nContact the recipient by some other means (by phone, for example) and ask them to "
     "tell their email admin that it appears that their email system isn't accepting connection requests from your email "
     "system.", None, None, None, "networkerror"),
    # hostunknown
    ("Postfix dns_strerror.c HOST_NOT_FOUND", "Host or domain name not found. Name service error for name=example.net "
     "type=A: Host not found", None, None, None, "hostunknown"),
    ("Postfix log (host not found)", "host not found", None, None, None, "hostunknown"),
    ("Exchange NDR #5.4.0", "did not reach the following recipient(s):\nbob@example.net on 2/1/2024 10:00 AM\nThe "
     "destination server for this recipient could not be found in Domain Name Service (DNS). Please verify the email "
     "address and retry.", None, "5.4.0", None, "hostunknown"),
    # notaccept
    ("RFC 7504 521", "521 5.3.2 mx.example.net does not accept mail", "521", "5.3.2", "CONN", "notaccept"),
    ("RFC 1846 521", "521 example.net does not accept mail", "521", None, None, "notaccept"),
    ("RFC 7505 null MX", "Domain of address bob@example.net does not accept mail (nullMX)", None, None, None,
     "notaccept"),
    ("RFC 7505 X.1.10", "556 5.1.10 Recipient address has null MX", "556", "5.1.10", "RCPT", "notaccept"),
    # failedstarttls
    ("Microsoft 365 5.7.3", "451 5.7.3 STARTTLS is required to send mail [SG2PR00CA0001.apcprd00.prod.outlook.com]",
     "451", "5.7.3", "MAIL", "failedstarttls"),
    ("AOL 503", "503 Bad sequence of commands (TLS required)", "503", None, "MAIL", "failedstarttls"),
    ("Gmail TLS required with a generic 4.7.1", "451 4.7.1 TLS required for RCPT domain", "451", "4.7.1", "RCPT",
     "failedstarttls"),
    ("Sendmail srvrsmtp.c", "454 4.3.3 TLS not available: error generating SSL handle", "454", "4.3.3", None,
     "failedstarttls"),
    ("Gmail TLS negotiation", "Google tried to deliver your message, but it was rejected by the server for the recipient "
     "domain example.net by mx.example.net. [192.0.2.1].\n\nThe error that the other server returned was:\n500 TLS "
     "Negotiation failed, the certificate doesn't match the host.", "500", None, None, "failedstarttls"),
    ("Gmail TLS negotiation (protocol)", "TLS Negotiation failed: FAILED_PRECONDITION: starttls error (0): protocol error",
     None, None, None, "failedstarttls"),
    ("Exim TLS", "TLS certificate verification failed: cert name mismatch", None, None, None, "failedstarttls"),
    ("Postfix tls_verify.c", "certificate verification failed for mx.example.net[192.0.2.1]:25: self-signed certificate",
     None, None, None, "failedstarttls"),
    ("Sendmail proto.m4 TLS_connection", "454 4.7.0 TLS handshake failed.", "454", "4.7.0", None, "failedstarttls"),
    ("Sendmail proto.m4 TLS_connection", "554 5.7.0 DANE check failed.", "554", "5.7.0", None, "failedstarttls"),
    ("Sendmail proto.m4 TLS_connection", "454 4.7.0 STARTTLS temporarily not possible.", "454", "4.7.0", None,
     "failedstarttls"),
    ("Sendmail proto.m4 TLS_check", "<bob@example.net>... Deferred: 403 4.7.0 other side does not support STARTTLS",
     None, "4.7.0", None, "failedstarttls"),
    # securityerror
    ("Sendmail proto.m4 TLS_check ENCR", "<bob@example.net>... Deferred: 403 4.7.0 encryption too weak 56 less than 128",
     None, "4.7.0", None, "securityerror"),
    ("Sendmail proto.m4 TLS_check CN", "403 4.7.0 CN mx.example.net does not match mail.example.net", "403", "4.7.0",
     None, "securityerror"),
    ("Sendmail proto.m4 TLS_check CI", "403 4.7.0 Cert Issuer /C=US/O=Example CA not acceptable", "403", "4.7.0", None,
     "securityerror"),
    ("Sendmail proto.m4 TLS_check VERIFY", "403 4.7.0 authentication failure FAIL", "403", "4.7.0", None,
     "securityerror"),
    ("Sendmail proto.m4 trust_auth", "550 5.7.1 not authenticated", "550", "5.7.1", "MAIL", "securityerror"),
    ("Exim smtp_in.c tls_verify_hosts", "554 Security failure", "554", None, "MAIL", "securityerror"),
    ("Exim smtp_in.c AUTH", "535 Incorrect authentication data", "535", None, None, "securityerror"),
    ("Sendmail", "Temporary AUTH failure", None, None, None, "securityerror"),
    # exceedlimit / mesgtoobig
    ("RFC 3463 X.2.3 title", "552 5.2.3 Message length exceeds administrative limit", "552", "5.2.3", "DATA",
     "exceedlimit"),
    ("RFC 5321 4.5.3.1.10", "500 Line too long.", "500", None, "DATA", "mesgtoobig"),
    ("RFC 5321 4.5.3.1.10 with a 5.5.x code", "500 5.5.2 Line too long", "500", "5.5.2", "DATA", "mesgtoobig"),
    ("smtplib quoting a server", "501 5.6.0 Line too long", "501", "5.6.0", "DATA", "mesgtoobig"),
    ("Courier submit", "552 A message header line is too long", "552", None, "DATA", "mesgtoobig"),
    ("SparkPost Momentum", "550 5.6.0 Body line too long (see RFC2822 section 3.5)", "550", "5.6.0", "DATA",
     "mesgtoobig"),
    ("Sendmail srvrsmtp.c", "552 Message exceeds maximum fixed size (10485760)", "552", None, "MAIL", "mesgtoobig"),
    # mailererror
    ("Exim pipe transport", "local delivery failed", None, None, None, "mailererror"),
    ("maildrop", "maildrop: Unable to create a dot-lock.", None, None, None, "mailererror"),
    ("maildrop", "maildrop: error writing to mailbox.", None, None, None, "mailererror"),
    ("maildrop", "Unable to deliver to mailbox.", None, None, None, "mailererror"),
    # expired
    ("Exchange QUEUE.Expired NDR", "Delivery has failed to these recipients or groups:\n\nbob@example.net\nThe server has "
     "tried to deliver this message, without success, and has stopped trying. Please try sending this message again.",
     None, "4.4.0", None, "expired"),
    # userunknown
    ("Gmail Address not found", "Address not found\nYour message wasn't delivered to bob@example.net because the address "
     "couldn't be found, or is unable to receive mail.", None, "5.1.1", None, "userunknown"),
    # rejected
    ("Google Groups", GROUPS, None, None, None, "rejected"),
    ("Google Groups, the list alone", " * You may need to join the group before receiving permission to post.\n * This "
     "group may not be open to posting.", None, None, None, "rejected"),
    ("Google Workspace KB 000004604", "Delivery to the following recipient failed permanently:\n\n     sales@example.net\n\n"
     "Technical details of permanent failure:\nThe account alice@example.org is disabled.", None, None, None, "rejected"),
    ("Google Groups subscription", "Hello alice@example.org,\n\nThe group you attempted to subscribe to is invite only.  "
     "You must be invited by the group owner.", None, None, None, "rejected"),
    ("ezmlm", "Sorry, only subscribers may post. If you are a subscriber, please forward this message to "
     "list-owner@example.org to get your new address included.", None, None, None, "rejected"),
]


@pytest.mark.parametrize(("source", "text", "smtp", "enhanced", "command", "reason"), ROWS,
                         ids=[f"{row[-1]}-{row[0]}" for row in ROWS])
def test_a_sourced_wording_gives_its_reason(source: str, text: str, smtp: str | None, enhanced: str | None,
                                            command: str | None, reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


@pytest.mark.parametrize(("text", "smtp", "enhanced", "command", "reason"), [
    # Exim's callout refusal keeps the sender's reason (its own phrase, tried before notaccept)
    ("550-Postmaster verification failed while checking <alice@example.org>\n550-Several RFCs state that you are required "
     "to have a postmaster\n550-mailbox for each mail domain. This host does not accept mail\n550 from domains whose "
     "servers reject the postmaster address.", "550", None, "RCPT", "rejected"),
    # Gmail's disabled recipient stays suspend
    ("550 5.2.1 The email account that you tried to reach is disabled.", "550", "5.2.1", "RCPT", "suspend"),
    # a command line that is too long is a syntax error, not the message's
    ("500 Command line too long", "500", None, None, "syntaxerror"),
    # Sendmail's own aliases file is not the message
    ("554 5.3.0 alias line too long", "554", "5.3.0", None, "systemerror"),
    # Postfix's lines too long for the next hop stay notcompliantrfc
    ("message has lines too long for transport", None, None, None, "notcompliantrfc"),
    # a system-wide size limit stays mesgtoobig whatever the code beside it
    ("552 5.2.3 Message size exceeds maximum value", "552", "5.2.3", "DATA", "mesgtoobig"),
    ("523 Message length (12345678 bytes) exceeds administrative limit(10485760 bytes).", "523", None, "DATA",
     "mesgtoobig"),
    # "Host not found, try again" is temporary; the sender's domain not found at MAIL FROM is the sender's
    ("Name service error for name=example.net type=MX: Host not found, try again", None, None, None, "networkerror"),
    ("553 5.1.8 <alice@example.org>: Sender address rejected: Domain not found", "553", "5.1.8", "MAIL", "rejected"),
    # "authentication required" keeps securityerror; TLS wording decides failedstarttls only where it names TLS
    ("530 5.7.0 Authentication required", "530", "5.7.0", "MAIL", "securityerror"),
])
def test_neighbouring_wordings_keep_their_reason(text: str, smtp: str | None, enhanced: str | None,
                                                 command: str | None, reason: str) -> None:
    for classifier in (sourced_classifier(), default_classifier()):
        assert classifier.classify(record(text, smtp, enhanced, command)).reason == reason


def test_a_refusal_of_one_client_is_not_a_null_mx() -> None:
    """RFC 7504's "does not accept mail" is the domain's; "does not accept mail from <ip>" refuses one client (the
    sources-only phrases leave it to other rules; general.toml, written from samples, still reads it as notaccept)."""
    decided = sourced_classifier().classify(record("550 mx.example.net does not accept mail from 192.0.2.1", "550", None,
                                                   "RCPT"))
    assert decided.rule != "phrase:notaccept"
    relay = sourced_classifier().classify(record("550 This server does not accept mail for example.net", "550", None,
                                                 "RCPT"))
    assert relay.rule != "phrase:notaccept"


def test_a_500_reply_with_a_cause_in_words_is_read_by_the_words() -> None:
    """Tier 8 reads a bare 500 as syntaxerror; a cause stated in words (tier 5) comes first."""
    bare = sourced_classifier().classify(record("500 mx.example.net unrecognized", "500", None, None))
    worded = sourced_classifier().classify(record("500 Line too long.", "500", None, None))
    assert (bare.reason, bare.rule) == ("syntaxerror", "reply:500")
    assert (worded.reason, worded.rule) == ("mesgtoobig", "phrase:mesgtoobig")
