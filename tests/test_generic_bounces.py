"""Recipients and diagnostics of text bounces in shapes no decoder family claims (made-up addresses;
the shapes are those that Gmail, Exchange/Outlook, sendmail and unknown MTAs write)."""

from __future__ import annotations

from email import message_from_string

import pytest

from analyzer.classify import default_classifier
from analyzer.formats.bounce import records_of

HEAD = ("From: Mail Delivery Subsystem <{sender}>\nTo: alice@example.org\nSubject: {subject}\n"
        "Content-Type: text/plain; charset=utf-8\n\n")


def bounce(body: str, sender: str = "MAILER-DAEMON@mx.example.net", subject: str = "Delivery failure") -> list:
    message = message_from_string(HEAD.format(sender=sender, subject=subject) + body)
    classify = default_classifier().classify
    return [classify(r) for r in records_of(message, "test")]


@pytest.mark.parametrize(("body", "recipient", "reason"), [
    ("** Address not found **\n\nYour message wasn't delivered to bob@example.net because the address couldn't be "
     "found, or is unable to receive mail.\n\nThe response from the remote server was:\n550 5.1.1 The email account "
     "that you tried to reach does not exist.\n", "bob@example.net", "userunknown"),
    ("mx.example.net rejected your message to the following email addresses:\n\n"
     "bob@example.net<mailto:bob@example.net> The mailbox is full.\n\nmx.example.net gave this error:\n"
     "552 5.2.2 Mailbox full\n", "bob@example.net", "mailboxfull"),
    ("   ----- Transcript of session follows -----\n550 bob@example.net... User unknown\n", "bob@example.net",
     "userunknown"),
    ("Hello, this is the mail server.\nSorry, mail for bob@example.net cannot be taken: no such user here.\n",
     "bob@example.net", "userunknown"),
    ("Ihre Nachricht an bob@example.net konnte nicht zugestellt werden: Benutzer unbekannt.\n", "bob@example.net",
     "userunknown"),
])
def test_unknown_formats_give_recipient_and_diagnostic(body: str, recipient: str, reason: str) -> None:
    (record,) = bounce(body)
    assert (record.recipient, record.reason) == (recipient, reason), record.rule
    assert record.diagnostic


def test_the_sender_postmaster_and_the_bounces_addressee_are_never_recipients() -> None:
    body = ("Delivery failed for the message from alice@example.org.\n"
            "Please contact postmaster@mx.example.net if the problem persists; delivery to bob@example.net failed: "
            "no such user.\n")
    records = bounce(body)
    assert [r.recipient for r in records] == ["bob@example.net"]


def test_ordinary_mail_mentioning_a_failure_gives_no_record() -> None:
    body = "Hi Bob, my delivery to carol@example.net failed yesterday, can you check?\n"
    assert bounce(body, sender="dave@example.com", subject="question") == []


@pytest.mark.parametrize(("body", "recipient"), [
    ("Your message could not be delivered as addressed.\n\nInvalid receiver address: bob@example.net\n", "bob@example.net"),
    ("This Message was undeliverable due to the following reason:\n\nRecipient address: bob@example.net\n"
     "Reason: Remote SMTP server has rejected address\n", "bob@example.net"),
    ("Delivery failed.\nFinal-Recipient: rfc822; bob@example.net\nStatus: 5.1.1\n", "bob@example.net"),
    ("User mailbox exceeds allowed size: bob@example.net\n", "bob@example.net"),
    ("Your message did not reach some or all of the intended recipients.\n\nThe following recipient(s) could not be "
     "reached:\n\n      bob@example.net on 11/12/2004 3:24 PM\n            The e-mail account does not exist.\n",
     "bob@example.net"),
])
def test_older_notice_shapes_give_their_recipient(body: str, recipient: str) -> None:
    assert [r.recipient for r in bounce(body)] == [recipient]
