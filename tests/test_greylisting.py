"""Greylisting replies (analyzer/data/phrases/greylisting.toml): ours ``greylisted``, Sisimai's ``blocked``.

The texts are the greylisting daemons' defaults (sources named in the data file), in the log lines Postfix writes
for them, with made-up hosts and addresses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.classify import default_classifier
from analyzer.pipeline import read_records
from analyzer.records import Record
from tests.test_sourced_phrases import assert_sourced, record

HEAD = "Mar  1 00:00:01 mx postfix"
POSTGREY = ("450 4.2.0 <bob@example.net>: Recipient address rejected: Greylisted, see "
            "http://postgrey.schweikert.ch/help/example.net.html")
MILTER = "451 4.7.1 Greylisting in action, please come back later"

LINES = [
    ("postgrey on a remote Postfix, our smtp client deferred",
     f"{HEAD}/smtp[2]: 9F9AD90ED8: to=<bob@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, "
     f"delays=1/0/0/0, dsn=4.2.0, status=deferred (host mx.example.net[192.0.2.1] said: {POSTGREY} "
     "(in reply to RCPT TO command))"),
    ("postgrey here, our smtpd refusing a client",
     f"{HEAD}/smtpd[3]: NOQUEUE: reject: RCPT from mail.example.org[192.0.2.7]: {POSTGREY}; "
     "from=<alice@example.org> to=<bob@example.net> proto=ESMTP helo=<mail.example.org>"),
    ("milter-greylist here, logged by cleanup",
     f"{HEAD}/cleanup[4]: 3B1C2D4E5F: milter-reject: END-OF-MESSAGE from mail.example.org[192.0.2.7]: 4.7.1 "
     "Greylisting in action, try again later; from=<alice@example.org> to=<bob@example.net> proto=ESMTP "
     "helo=<mail.example.org>"),
    ("milter-greylist on a remote Sendmail",
     f"{HEAD}/smtp[2]: 9F9AD90ED8: to=<bob@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, "
     f"delays=1/0/0/0, dsn=4.7.1, status=deferred (host mx.example.net[192.0.2.1] said: {MILTER} "
     "(in reply to RCPT TO command))"),
]


def records_of(tmp_path: Path, line: str) -> list[Record]:
    log = tmp_path / "maillog"
    log.write_text(line + "\n")
    return [r for r in read_records([str(log)]) if r.status not in ("noise", "unparsed")]


@pytest.mark.parametrize(("name", "line"), LINES, ids=[name for name, _ in LINES])
def test_a_greylisting_refusal_in_a_log_is_greylisted(tmp_path: Path, name: str, line: str) -> None:
    (found,) = records_of(tmp_path, line)
    assert (found.reason, found.rule, found.sisimai_reason, found.hard) == (
        "greylisted", "phrase:greylisted", "blocked", False), name


@pytest.mark.parametrize(("text", "smtp", "enhanced", "command"), [
    (POSTGREY, "450", "4.2.0", "RCPT"),
    (MILTER, "451", "4.7.1", "RCPT"),
    ("450 4.7.1 Greylisted by greyfix 0.4.0, try again in 30 seconds. See http://www.example.org/greyfix/ for "
     "more information.", "450", "4.7.1", "RCPT"),
    ("451 4.7.1 Greylisted for 5 minutes", "451", "4.7.1", "RCPT"),
    ("451 4.7.1 Greylisting in action, please come back in 00:05:00", "451", "4.7.1", "RCPT"),
    ("451 4.7.1 192.0.2.7 is not yet authorized to deliver mail from <alice@example.org> to <bob@example.net>. "
     "Please try later.", "451", "4.7.1", "RCPT"),
])
def test_the_daemons_default_texts(text: str, smtp: str, enhanced: str, command: str) -> None:
    assert_sourced(text, smtp, enhanced, command, "greylisted")


@pytest.mark.parametrize(("text", "reason"), [
    ("554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org", "blocked"),
    ("451 4.7.1 Please try again later", "blocked"),  # no word of greylisting: the code decides, as before
    ("452 4.2.2 Mailbox full", "mailboxfull"),
])
def test_other_deferrals_keep_their_reason(text: str, reason: str) -> None:
    decided = default_classifier().classify(record(text, text[:3], text[4:9], "RCPT"))
    assert decided.reason == reason
