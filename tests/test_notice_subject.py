"""Tier 8b: old Sendmail's "Returned mail: <cause>" Subject decides where the notice's text decides only weakly.

The notices are made up in the shape of Sendmail V5 / early 8.x (savemail.c errbody(): "The original message was
received at ...", "----- Transcript of session follows -----", "----- Unsent message follows -----"), with
made-up hosts and addresses.
"""

from __future__ import annotations

from email import message_from_string

import pytest

from analyzer.classify import Classifier, default_classifier, load_rules
from analyzer.formats.bounce import records_of
from analyzer.records import Record

NOTICE = """From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>
To: <alice@example.com>
Subject: {subject}
Date: Mon, 1 Jun 1998 10:00:00 +0900
Message-Id: <199806010100.KAA01234@mx.example.net>

The original message was received at Mon, 1 Jun 1998 09:59:58 +0900
from alice@localhost

   ----- Transcript of session follows -----
{transcript}

   ----- Unsent message follows -----
Received: by mx.example.net (5.67/1.0) id AA01233; Mon, 1 Jun 1998 09:59:58 +0900
Date: Mon, 1 Jun 1998 09:59:58 +0900
From: alice@example.com
To: bob@example.org
Subject: hello

hi
"""

#: a transcript line that names the recipient and a reply code but no cause
SILENT = "550 bob@example.org... "


def notice(subject: str, transcript: str = SILENT, classifier: Classifier | None = None) -> list[Record]:
    message = message_from_string(NOTICE.format(subject=subject, transcript=transcript))
    classify = (classifier or default_classifier()).classify
    return [classify(r) for r in records_of(message, "test")]


def reason_rule(subject: str, transcript: str = SILENT) -> tuple[str | None, str | None]:
    (record,) = notice(subject, transcript)
    assert record.recipient == "bob@example.org"
    return record.reason, record.rule


def test_the_silent_transcript_alone_decides_nothing() -> None:
    assert reason_rule("Returned mail: see transcript for details") == ("onhold", "fallback:text")


@pytest.mark.parametrize(("subject", "reason"), [
    # sysexits.c's SysExMsg texts, which V5 and early 8.x put in the subject
    ("Returned mail: User unknown", "userunknown"),
    ("Returned mail: Host unknown", "hostunknown"),
    # the queue timeout (V5 deliver.c markfailure(), 8.x dropenvelope()): a vague sentence, allowed here
    ("Returned mail: Cannot send message for 5 days", "expired"),
    # "Deferred: " + the errno text of err.c's sm_errstring() ("Connection timed out with HOST during PHASE")
    ("Returned mail: Deferred: Connection timed out with mx.example.org during user open", "networkerror"),
    # the postmaster's copy and a forwarded notice state the same cause
    ("Postmaster notify: User unknown", "userunknown"),
    ("Fwd: Returned mail: Host unknown", "hostunknown"),
])
def test_the_subject_decides_when_the_body_says_nothing(subject: str, reason: str) -> None:
    assert reason_rule(subject) == (reason, f"subject:{reason}")
    assert notice(subject)[0].notice_subject == subject


@pytest.mark.parametrize("subject", [
    "Returned mail: see transcript for details",  # Sendmail 8.13 and later: names no cause
    "Returned mail: Unable to deliver mail",  # returntosender()'s text when there is no message
    "Returned mail: Service unavailable",  # EX_UNAVAILABLE: vague, V5 gave it to 552/554 replies too
    "Returned mail: Nothing we know",  # no phrase knows the words
    "Warning: could not send message for past 4 hours",  # a delay warning, not a "Returned mail" subject
])
def test_subjects_that_say_nothing_do_not_decide(subject: str) -> None:
    assert reason_rule(subject)[1] == "fallback:text"


@pytest.mark.parametrize(("subject", "transcript", "reason"), [
    # the body's own cause wins over the subject's
    ("Returned mail: User unknown", "... while talking to mx.example.org.:\n>>> RCPT To:<bob@example.org>\n"
     "<<< 552 <bob@example.org>... Mailbox full\n552 bob@example.org... Mailbox full", "mailboxfull"),
    ("Returned mail: Host unknown", "550 bob@example.org... User unknown", "userunknown"),
    # a specific enhanced code in the body beats the subject too
    ("Returned mail: User unknown", "552 5.2.2 bob@example.org... ", "mailboxfull"),
])
def test_the_bodys_own_cause_still_wins(subject: str, transcript: str, reason: str) -> None:
    found, rule = reason_rule(subject, transcript)
    assert found == reason and not (rule or "").startswith("subject:")


def test_a_rule_set_without_the_table_ignores_the_subject() -> None:
    rules = load_rules()
    rules.pop("notice_subject")
    (record,) = notice("Returned mail: User unknown", classifier=Classifier(rules))
    assert record.rule == "fallback:text"


def test_a_notice_about_two_recipients_does_not_read_its_subject() -> None:
    """The Subject states one cause, and a notice about two recipients does not say whose: neither
    recipient takes it (each keeps what its own transcript line says)."""
    two = "\n".join(f">>> RCPT To:<{a}>\n<<< 550 <{a}>... \n550 {a}... "
                    for a in ("bob@example.org", "carol@example.org"))
    two = "... while talking to mx.example.org.:\n" + two
    records = notice("Returned mail: User unknown", two)
    assert [r.recipient for r in records] == ["bob@example.org", "carol@example.org"]
    assert [(r.notice_subject, r.rule) for r in records] == [(None, "fallback:text")] * 2
