"""Reading bounce messages: mbox, Maildir, single messages, line endings, malformed input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analyzer.formats import mailbox, sniff
from analyzer.pipeline import read_records
from analyzer.records import Accounting

DSN = """\
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
Date: Mon, 2 Mar 2026 09:15:02 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain

<{rcpt}>: host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command)

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: 4QWERTY
Arrival-Date: Mon, 2 Mar 2026 09:15:01 +0000

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: User unknown

--BOUND
Content-Type: text/rfc822-headers

From: Sender <sender@example.org>
To: {rcpt}
Subject: Hello there
Message-ID: <orig-1@example.org>

--BOUND--
"""

PLAIN = """\
From: Friend <friend@example.org>
To: me@example.org
Subject: Lunch?
Date: Mon, 2 Mar 2026 12:00:00 +0000

Lunch on Friday?
"""


def dsn(rcpt: str = "Nobody@Example.NET") -> str:
    """A Postfix-style DSN for ``rcpt``."""
    return DSN.format(rcpt=rcpt)


def mbox(*messages: str) -> str:
    """An mbox of ``messages``."""
    return "".join(f"From MAILER-DAEMON Mon Mar  2 09:15:02 2026\n{m.rstrip()}\n\n" for m in messages)


def run(*paths: Path) -> tuple[list, Accounting]:
    """Records and accounting of ``paths``."""
    accounting = Accounting()
    return list(read_records([str(p) for p in paths], accounting)), accounting


def test_single_message(tmp_path: Path) -> None:
    path = tmp_path / "one.eml"
    path.write_text(dsn())
    (r,), acc = run(path)
    assert (r.recipient, r.domain, r.status, r.smtp_code, r.enhanced_code, r.code_class) == (
        "nobody@example.net", "example.net", "bounced", "550", "5.1.1", "5")
    assert (r.reason, r.hard, r.source, r.queue_id, r.remote_mta) == (
        "userunknown", True, str(path), "4QWERTY", "mx.example.net")
    assert (r.sender, r.message_id, r.subject, r.orig_to) == (
        "sender@example.org", "<orig-1@example.org>", "Hello there", "nobody@example.net")
    assert r.time is not None and r.time.tzinfo is not None
    tally = acc.tallies[0]
    assert (tally.unit, tally.read, tally.used, tally.records, tally.noise, tally.unparsed) == (
        "messages", 1, 1, 1, 0, 0)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings_read_the_same(tmp_path: Path, newline: str) -> None:
    lf = tmp_path / "lf.mbox"
    lf.write_text(mbox(dsn("a@example.net"), PLAIN, dsn("b@example.net")))
    other = tmp_path / "other.mbox"
    other.write_bytes(lf.read_bytes().replace(b"\n", newline.encode()))
    strip = lambda rs: [(r.recipient, r.enhanced_code, r.reason, r.diagnostic, r.source[-2:]) for r in rs]  # noqa: E731
    assert strip(run(lf)[0]) == strip(run(other)[0])
    assert [r.source for r in run(other)[0]] == [f"{other}#1", f"{other}#3"]


def test_mbox_counts_noise_and_numbers_messages(tmp_path: Path) -> None:
    path = tmp_path / "box"
    path.write_text(mbox(dsn("a@example.net"), PLAIN, dsn("b@example.net")))
    records, acc = run(path)
    assert [r.source for r in records] == [f"{path}#1", f"{path}#3"]
    tally = acc.tallies[0]
    assert (tally.kind, tally.read, tally.used, tally.noise, tally.unparsed) == ("mailbox", 3, 2, 1, 0)


def test_maildir_and_compressed(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.host").write_text(dsn("new@example.net"))
    (maildir / "cur" / "2.host:2,S").write_bytes(gzip.compress(dsn("cur@example.net").encode()))
    (maildir / "cur" / "3.host:2,S").write_text(PLAIN)
    packed = tmp_path / "box.data"
    packed.write_bytes(gzip.compress(mbox(dsn("gz@example.net")).encode()))
    records, acc = run(maildir, packed)
    assert [(r.recipient, Path(r.source).name) for r in records[:2]] == [
        ("new@example.net", "1.host"), ("cur@example.net", "2.host:2,S")]
    assert records[2].recipient == "gz@example.net" and records[2].source == f"{packed}#1"
    assert [(t.read, t.used, t.noise) for t in acc.tallies] == [(3, 2, 1), (1, 1, 0)]


def test_sniff_by_content() -> None:
    assert sniff(b"From MAILER-DAEMON Mon Mar  2 09:15:02 2026\nFrom: x\n", None) == "mailbox"
    assert sniff(PLAIN.encode(), None) == "mailbox"
    assert sniff(PLAIN.replace("\n", "\r").encode(), None) == "mailbox"
    log = b"Mar  1 00:00:01 mx postfix/smtp[1]: AB12: to=<a@example.org>, status=sent (250 ok)\n"
    assert sniff(log, None) != "mailbox"
    assert sniff(b"2024-03-01T00:00:01+01:00 mx postfix/smtp[1]: AB12: to=<a@example.org>\n", None) != "mailbox"


def test_parser_failure_is_retried_with_mail_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: bytes) -> None:
        raise ValueError("stdlib parser failed")

    monkeypatch.setattr(mailbox._PARSER, "parsebytes", boom)
    path = tmp_path / "one.eml"
    path.write_text(dsn())
    (r,), _ = run(path)
    assert (r.recipient, r.enhanced_code) == ("nobody@example.net", "5.1.1")


def test_decoder_failure_is_counted_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = mailbox.bounce.records_of

    def flaky(message, source):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("decoder bug")
        return original(message, source)

    monkeypatch.setattr(mailbox.bounce, "records_of", flaky)
    path = tmp_path / "box"
    path.write_text(mbox(dsn("a@example.net"), dsn("b@example.net")))
    records, acc = run(path)
    assert [r.recipient for r in records] == ["b@example.net"]
    tally = acc.tallies[0]
    assert (tally.read, tally.used, tally.unparsed) == (2, 1, 1)
    assert tally.examples[0].startswith(f"{path}#1: RuntimeError")


def malformed_messages() -> list[bytes]:
    """Broken messages of many kinds, each followed in the mbox by a good bounce."""
    truncated = dsn().split("Final-Recipient")[0].replace("--BOUND--", "")
    missing_boundary = dsn().replace('boundary="BOUND"', "")
    wrong_boundary = dsn().replace('boundary="BOUND"', 'boundary="NOPE"')
    bad_charset = dsn().replace("Content-Type: text/plain", "Content-Type: text/plain; charset=x-no-such")
    eight_bit_headers = dsn().encode().replace(b"Subject: Undelivered", b"Subject: \xff\xfe Unzustellbar \xe4")
    binary_garbage = b"\x00\x01\x02 not a message at all \xff\n\n\xfe"
    no_headers = b"\n\njust a body without headers\n"
    huge = PLAIN.replace("Lunch on Friday?", "x" * 64).encode()
    return [truncated.encode(), missing_boundary.encode(), wrong_boundary.encode(), bad_charset.encode(),
            eight_bit_headers, binary_garbage, no_headers, huge]


def test_malformed_messages_never_stop_the_run(tmp_path: Path) -> None:
    parts = []
    for data in malformed_messages():
        parts.append(b"From MAILER-DAEMON Mon Mar  2 09:15:02 2026\n" + data + b"\n\n")
        parts.append(mbox(dsn("good@example.net")).encode())
    parts.append(b"From broken-from-line-without-date\n" + PLAIN.encode() + b"\n")
    path = tmp_path / "bad.mbox"
    path.write_bytes(b"".join(parts))
    records, acc = run(path)
    tally = acc.tallies[0]
    good = [r for r in records if r.recipient == "good@example.net"]
    assert len(good) == len(malformed_messages())
    assert tally.read == 2 * len(malformed_messages()) + 1
    assert tally.read == tally.used + tally.noise + tally.unparsed
    # Broken MIME that still names a recipient is decoded from its text (used); what cannot be read at
    # all (no header block, binary garbage) is unparsed, with its source.
    assert tally.unparsed >= 2
    assert tally.malformed >= 2  # missing and wrong boundaries: records read from the text, flagged
    assert all(e.startswith(f"{path}#") for e in tally.malformed_examples)
    assert {e.split(":")[0] for e in tally.examples} >= {f"{path}#11", f"{path}#13"}
    assert all(e.startswith(f"{path}#") for e in tally.examples)
    for record in records:  # 8-bit bytes never leak into text fields as surrogates
        for value in (record.diagnostic, record.subject, record.recipient):
            assert value is None or value.encode("utf-8")


def test_fifty_megabyte_attachment(tmp_path: Path) -> None:
    blob = ("QUJD" * 19) + "\n"
    attachment = blob * (50 * 1024 * 1024 // len(blob))
    big = dsn().replace("--BOUND--", f"--BOUND\nContent-Type: application/octet-stream\n"
                                     f"Content-Transfer-Encoding: base64\n\n{attachment}--BOUND--")
    path = tmp_path / "big.mbox"
    path.write_text(mbox(big, dsn("after@example.net")))
    records, acc = run(path)
    assert [r.recipient for r in records] == ["nobody@example.net", "after@example.net"]
    assert acc.tallies[0].unparsed == 0


def test_samples_mbox_reads() -> None:
    path = Path(__file__).resolve().parents[1] / "samples" / "bounces.mbox"
    records, acc = run(path)
    assert {r.status for r in records} == {"bounced", "complaint", "autoreply"}
    assert acc.tallies[0].noise == 1 and acc.tallies[0].unparsed == 0
    assert {r.parser for r in records} >= {"arf", "rfc3834", "lhost-exim", "lhost-qmail"}


def _one(tmp_path: Path, text: str) -> list:
    path = tmp_path / "one.eml"
    path.write_text(text)
    return run(path)[0]


def test_reporting_mta_is_kept(tmp_path: Path) -> None:
    (r,) = _one(tmp_path, dsn())
    assert r.reporting_mta == "mx.example.org"


FML_NOTICE = """\
From: lunch-admin@example.org
To: someone@example.net
Subject: You someone@example.net are not member (lunch ML)
Message-ID: <202603020915.FMLAAAA0.lunch@example.org>
X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]
Date: Mon, 2 Mar 2026 09:15:02 +0000

You are not a member of this mailing list <lunch@example.org>.

If you know the general guide of this list, please send mail with
the mail body

	guide

to the address

	lunch-ctl@example.org
"""


def test_fml_notice_names_the_list_not_its_command_address(tmp_path: Path) -> None:
    (r,) = _one(tmp_path, FML_NOTICE)
    assert (r.recipient, r.status, r.reason, r.parser) == ("lunch@example.org", "bounced", "rejected", "lhost-fml")


V5_TRANSCRIPT = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
To: sender@example.org
Subject: Returned mail: Remote protocol error
Date: Mon, 2 Mar 2026 09:15:02 +0000

   ----- Transcript of session follows -----
While talking to mx.example.net:
>>> MAIL From:<sender@example.org>
<<< 550 Insecure Mail Relay
554 <alice@example.net>... Remote protocol error
421 example.com (smtp)... Deferred: Connection timed out during user open with example.com
While talking to mx.example.com:
>>> RCPT To:<bob@example.com>
<<< 550 <bob@example.com>... User unknown
550 <bob@example.com>... User unknown

   ----- Unsent message follows -----
From: sender@example.org
To: alice@example.net, bob@example.com
Subject: Hello
"""


def test_sendmail_transcript_gives_each_recipient_its_session_reply(tmp_path: Path) -> None:
    alice, bob = _one(tmp_path, V5_TRANSCRIPT)
    assert (alice.recipient, alice.smtp_code, alice.smtp_command, alice.reason) == (
        "alice@example.net", "550", "MAIL", "norelaying")
    assert "Connection timed out" not in alice.diagnostic
    assert (bob.recipient, bob.smtp_command, bob.reason) == ("bob@example.com", "RCPT", "userunknown")


SENDMAIL_PROGRAM = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
To: sender@example.org
Subject: Returned mail: see transcript for details
Date: Mon, 2 Mar 2026 09:15:02 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B

   ----- The following addresses had permanent fatal errors -----
"|/usr/local/bin/catch"
    (reason: 255)
    (expanded from: <carol@example.org>)

   ----- Transcript of session follows -----
catch: cannot open database
554 5.3.0 unknown mailer error 255

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: RFC822; carol@example.org
X-Actual-Recipient: X-Unix; |/usr/local/bin/catch
Action: failed
Status: 5.0.0
Diagnostic-Code: X-Unix; 255

--B--
"""


def test_program_failure_takes_sendmails_summary_code(tmp_path: Path) -> None:
    (r,) = _one(tmp_path, SENDMAIL_PROGRAM)
    assert (r.recipient, r.smtp_code, r.enhanced_code, r.reason) == ("carol@example.org", "554", "5.3.0", "mailererror")


SILENT_NOTICE = """\
From: Mail Delivery System <>
To: sender@example.org
Subject: Delivery status notification
Date: Mon, 2 Mar 2026 09:15:02 +0000

This is an automatically generated Delivery Status Notification.
Delivery to the following recipients failed permanently:
   * dave@example.net
"""


def test_notice_without_error_text_is_undefined(tmp_path: Path) -> None:
    (r,) = _one(tmp_path, SILENT_NOTICE)
    assert (r.recipient, r.reason, r.rule) == ("dave@example.net", "undefined", "category:no-error-text")


def test_a_message_whose_first_header_is_folded_over_many_kilobytes_is_a_message(tmp_path: Path) -> None:
    to = ",\n ".join(f"user{n}@example.net" for n in range(450))  # about 10 KB
    message = (f"To: {to}\nFrom: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n"
               "Content-Type: text/plain\n\n<bob@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 "
               "User unknown (in reply to RCPT TO command)\n")
    path = tmp_path / "one.eml"
    path.write_text(message)
    assert sniff(path.read_bytes()[:65536], path) == mailbox.NAME
    records, _ = run(path)
    assert [r.recipient for r in records] == ["bob@example.net"]
