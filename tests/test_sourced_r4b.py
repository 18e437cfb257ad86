"""Round 4b wordings (analyzer/data/phrases/sources-r4b.toml): expiry and delay notices, the precedence of a queue-lifetime
sentence over the cause it quotes, full mailboxes in Japanese ISPs' words, Google Groups and Microsoft refusals.

Each row is built from the source's text (named in the data file) with made-up hosts, addresses and numbers; like
tests/test_sourced_phrases.py, the classifier of the source-derived phrase files must give the reason, and so must the
bundled classifier.
"""

from __future__ import annotations

import email

import pytest

from analyzer.classify import default_classifier
from analyzer.formats.bounce import records_of
from tests.test_sourced_phrases import assert_sourced, record, sourced_classifier

QMAIL_LIFETIME = "I'm not going to try again; this message has been in the queue too long."

ROWS = [
    # expired: the lifetime and delay sentences, alone
    ("qmail-send.c lifetime", f"Remote host said: 451 Try again later\n{QMAIL_LIFETIME}", "451", None, None, "expired"),
    ("Sendmail envelope.c return notice", "Cannot send message for 5 days", None, None, None, "expired"),
    ("Sendmail envelope.c, pintvl with two units", "Cannot send message for 4 days, 12 hours", None, None, None,
     "expired"),
    ("Sendmail envelope.c delay warning", "Warning: could not send message for past 4 hours", None, None, None,
     "expired"),
    ("Sendmail envelope.c DELIVERBY warning", "Warning: Delivery time (86400s) exceeded", None, None, None, "expired"),
    ("Exim retry.c", "SMTP error from remote mail server after RCPT TO:<bob@example.net>: 451 Try again later: retry "
     "timeout exceeded", "451", None, "RCPT", "expired"),
    ("hMailServer ExternalDelivery.cpp", "450 Please try again later. Tried 6 time(s)", "450", None, None, "expired"),
    ("Gmail delay DSN", "Delivery to the following recipient has been delayed:\n\n     bob@example.net\n\nMessage will "
     "be retried for 2 more day(s)", None, None, None, "expired"),
    ("Gmail Delivery incomplete", "There was a temporary problem delivering your message to bob@example.net. Gmail will "
     "retry for 46 more hours. You'll be notified if the delivery fails permanently.", None, None, None, "expired"),
    ("Courier dsndelayed.txt", "The delivery of the following E-mail message has been delayed.  This is an advisory "
     "notice only", None, None, None, "expired"),
    ("Courier dsndelayed.txt", "Additional attempts to deliver your message will be made.", None, None, None, "expired"),
    ("Sendmail savemail.c delay banner", "    **********************************************\n    **      THIS IS A WARNING "
     "MESSAGE ONLY      **\n    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **", None, None, None, "expired"),
    ("Windows SMTP delay DSN", "This is an automatically generated Delivery Status Notification.\n\nTHIS IS A WARNING "
     "MESSAGE ONLY.\n\nYOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\nDelivery to the following recipients has been delayed."
     "\n\n       bob@example.net", None, None, None, "expired"),
    ("Exchange delay DSN", "Delivery is delayed to these recipients or groups:\n\nbob@example.net\n\nThis message "
     "hasn't been delivered yet. Delivery will continue to be attempted.\n\nThe server will keep trying to deliver this "
     "message for the next 1 days, 19 hours and 53 minutes. You'll be notified if the message can't be delivered by that "
     "time.", None, None, None, "expired"),
    ("hosting delayed delivery notice", "Your message has been received by mx.example.org but has been undeliverable to "
     "the following recipients for at least 4 hours.\n\nThe mail system will continue to attempt to deliver your message "
     "to these recipients for a total of 2 days.", None, None, None, "expired"),
    ("Exchange time-limit NDR", "did not reach the following recipient(s):\nbob@example.net on 2/1/2024 10:00 AM\n"
     "Could not deliver the message in the time limit specified. Please retry or contact your administrator.", None, None,
     None, "expired"),
    # the cause the notice quotes beats the lifetime or delay sentence
    ("qmail-send.c lifetime after a full mailbox", f"192.0.2.1 does not like recipient.\nRemote host said: 452 4.2.2 "
     f"Mailbox full\n{QMAIL_LIFETIME}", "452", "4.2.2", "RCPT", "mailboxfull"),
    ("qmail-send.c lifetime after a DNSBL refusal", f"192.0.2.1 does not like recipient.\nRemote host said: 451 4.7.1 "
     f"Client host [192.0.2.9] blocked using zen.spamhaus.org\n{QMAIL_LIFETIME}", "451", "4.7.1", "RCPT", "blocked"),
    ("Gmail delay DSN with its cause", "Delivery to the following recipient has been delayed:\n\n     bob@example.net\n\n"
     "Message will be retried for 2 more day(s)\n\nTechnical details of temporary failure:\nGoogle tried to deliver your "
     "message, but it was rejected by the server for the recipient domain example.net by mx.example.net. [192.0.2.1].\n"
     "The error that the other server returned was: 452-4.2.2 The email account that you tried to reach is over quota.",
     "452", "4.2.2", None, "mailboxfull"),
    ("Sendmail delay warning with its cause", "Warning: could not send message for past 4 hours\n<bob@example.net>... "
     "Deferred: Connection refused by mx.example.net.", None, None, None, "networkerror"),
    # networkerror (BSD errno texts after Sendmail's "Deferred:")
    ("Sendmail err.c + BSD ETIMEDOUT", "<bob@example.net>... Deferred: Operation timed out with mx.example.net", None,
     None, None, "networkerror"),
    ("Sendmail err.c + BSD ETIMEDOUT, SMTP phase", "Deferred: Operation timed out during user open with mx.example.net",
     None, None, None, "networkerror"),
    ("BSD errlst.c ENETDOWN", "bob@example.net... Deferred: Network is down", None, None, None, "networkerror"),
    ("BSD errlst.c ECONNABORTED", "Deferred: Software caused connection abort", None, None, None, "networkerror"),
    ("BSD errlst.c ENETRESET", "Deferred: Network dropped connection on reset", None, None, None, "networkerror"),
    ("BSD errlst.c EHOSTDOWN", "Deferred: Host is down", None, None, None, "networkerror"),
    ("Sendmail V5 return notice with a BSD cause", "bob@example.net... Deferred: Operation timed out with mx.example.net\n"
     "bob@example.net... Cannot send message for 5 days", None, None, None, "networkerror"),
    # mailboxfull
    ("Willcom pdx.ne.jp 552", "552 We failed to deliver mail because the volume of recipient's mailbox exceeded the local "
     "limit. bob@example.net", "552", None, "DATA", "mailboxfull"),
    # userunknown (Microsoft)
    ("Outlook.com 550 5.5.0 (note.com/sendmagic)", "550 5.5.0 Requested action not taken: mailbox unavailable "
     "(S2017062302). [DM5PR00MB0001.namprd00.prod.outlook.com]", "550", "5.5.0", None, "userunknown"),
    ("EXO 5.4.1 DBEB", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN0P.prod.outlook.com]",
     "550", "5.4.1", None, "userunknown"),
    # rejected (Google Groups)
    ("Google Groups (Bulk Senders Guidelines)", "550 5.7.1 Message rejected by Google Groups. Please visit "
     "https://support.google.com/mail/answer/188131 to review our Bulk Email Senders Guidelines.", "550", "5.7.1", None,
     "rejected"),
    ("Google Groups (pt-BR)", "Mensagem rejeitada pelo Grupos do Google. Acesse https://support.google.com/mail/answer/"
     "188131 para ler as Diretrizes", None, None, None, "rejected"),
]


@pytest.mark.parametrize(("source", "text", "smtp", "enhanced", "command", "reason"), ROWS,
                         ids=[f"{row[-1]}-{row[0]}" for row in ROWS])
def test_a_sourced_wording_gives_its_reason(source: str, text: str, smtp: str | None, enhanced: str | None,
                                            command: str | None, reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


@pytest.mark.parametrize(("text", "smtp", "enhanced", "reason"), [
    # a specific code the notice quotes states the cause (tier 6 beats the vague sentence)
    (f"Remote host said: 452 4.2.2 try again later\n{QMAIL_LIFETIME}", "452", "4.2.2", "mailboxfull"),
    (f"Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n{QMAIL_LIFETIME}", None, "4.4.1", "networkerror"),
    # a generic code says nothing: the lifetime sentence decides
    (f"Remote host said: 451 4.3.0 try again later\n{QMAIL_LIFETIME}", "451", "4.3.0", "expired"),
    (f"Remote host said: 421 4.7.1 try again later\n{QMAIL_LIFETIME}", "421", "4.7.1", "expired"),
])
def test_the_lifetime_sentence_decides_only_when_nothing_else_does(text: str, smtp: str | None, enhanced: str | None,
                                                                   reason: str) -> None:
    for classifier in (sourced_classifier(), default_classifier()):
        assert classifier.classify(record(text, smtp, enhanced, None)).reason == reason


def test_a_lifetime_sentence_beats_the_reply_code_alone() -> None:
    """With no words and no code the reply class would say systemerror (451): the sentence says why the mail came back."""
    decided = sourced_classifier().classify(record(f"Remote host said: 451 \n{QMAIL_LIFETIME}", "451", None, None))
    assert (decided.reason, decided.rule) == ("expired", "phrase:expired")


@pytest.mark.parametrize("text", [
    "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [DM5PR00MB0001.namprd00.prod.outlook.com]",
    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN0P.prod.outlook.com]",
])
def test_microsoft_recipient_refusals_keep_the_recipient_reading_when_the_command_is_unknown(text: str) -> None:
    """Microsoft answers these at RCPT; quoted without the command they stay Sisimai's userunknown too, while a reply known
    to answer DATA goes the default way (Sisimai's "filtered")."""
    for classifier in (sourced_classifier(), default_classifier()):
        unknown = classifier.classify(record(text, "550", text[4:9], None))
        assert (unknown.reason, unknown.sisimai_reason) == ("userunknown", "userunknown")
        after_data = classifier.classify(record(text, "550", text[4:9], "DATA"))
        assert (after_data.reason, after_data.sisimai_reason) == ("userunknown", "filtered")


def _qmail_notice(error: str) -> bytes:
    """A qmail-send failure notice (qmail-send.c's wording) around ``error``, with made-up hosts and addresses."""
    return (
        "From: MAILER-DAEMON@mx.example.org\nTo: alice@example.org\nSubject: failure notice\n\n"
        "Hi. This is the qmail-send program at mx.example.org.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<bob@example.net>:\n{error}\n\n--- Below this line is a copy of the message.\n\n"
        "From: alice@example.org\nTo: bob@example.net\nSubject: hi\n\nhello\n"
    ).encode()


@pytest.mark.parametrize(("error", "reason"), [
    (f"192.0.2.1 does not like recipient.\nRemote host said: 452 4.2.2 Mailbox full\n{QMAIL_LIFETIME}", "mailboxfull"),
    (f"192.0.2.1 does not like recipient.\nRemote host said: 451 Try again later\n{QMAIL_LIFETIME}", "expired"),
])
def test_a_qmail_lifetime_notice_end_to_end(error: str, reason: str) -> None:
    """The decoder hands the recipient's paragraph (the quoted cause and the lifetime sentence) to the classifier."""
    records = [default_classifier().classify(r)
               for r in records_of(email.message_from_bytes(_qmail_notice(error)), "qmail.eml")]
    assert [(r.recipient, r.reason) for r in records] == [("bob@example.net", reason)]


def test_a_sendmail_v5_return_notice_on_bsd_end_to_end() -> None:
    """Sendmail V5's return notice (subject and transcript from savemail.c / deliver.c, made-up hosts): the BSD errno text
    after "Deferred:" is a connection failure, which Sisimai names "expired" in a final bounce."""
    notice = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\nTo: alice@example.org\n"
        b"Subject: Returned mail: Cannot send message for 5 days\n\n"
        b"   ----- Transcript of session follows -----\n"
        b"bob@example.net... Deferred: Operation timed out with mx.example.net\n"
        b"bob@example.net... Cannot send message for 5 days\n\n"
        b"   ----- Unsent message follows -----\n"
        b"From: alice@example.org\nTo: bob@example.net\nSubject: hi\n\nhello\n"
    )
    records = [default_classifier().classify(r) for r in records_of(email.message_from_bytes(notice), "v5.eml")]
    assert [(r.recipient, r.reason, r.sisimai_reason) for r in records] == [
        ("bob@example.net", "networkerror", "expired")]
