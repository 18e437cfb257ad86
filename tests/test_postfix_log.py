"""One test per Postfix line kind; lines in the exact shapes real servers write, with made-up addresses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from analyzer.pipeline import read_records
from analyzer.records import Accounting, Record


def parse(tmp_path: Path, text: str, mtime: datetime | None = None) -> tuple[list[Record], Accounting]:
    log = tmp_path / "maillog"
    log.write_text(text)
    if mtime is not None:
        import os
        os.utime(log, (mtime.timestamp(), mtime.timestamp()))
    accounting = Accounting()
    return list(read_records([str(log)], accounting)), accounting


QMGR = "Mar  1 00:00:00 mx postfix/qmgr[1999]: 9F9AD90ED8: from=<alice@example.org>, size=2260, nrcpt=2 (queue active)\n"


def test_sent_line_with_sender_from_qmgr(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, QMGR + (
        "Mar  1 00:00:01 mx postfix/smtp[38384]: 9F9AD90ED8: to=<Bob@Example.NET>, "
        "relay=mx.example.net[192.0.2.7]:25, delay=0.47, delays=0.45/0/0/0.02, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok: queued as 52B470398E)\n"))
    (r,) = records
    assert (r.sender, r.recipient, r.domain, r.status) == ("alice@example.org", "Bob@Example.NET", "example.net", "sent")
    assert (r.smtp_code, r.enhanced_code, r.code_class) == ("250", "2.0.0", "2")
    assert (r.remote_mta, r.remote_ip, r.reason, r.hard) == ("mx.example.net", "192.0.2.7", "delivered", False)
    assert r.source.endswith("maillog:2") and r.host == "mx" and r.queue_id == "9F9AD90ED8"
    assert acc.to_dict()["lines"] == {"read": 2, "used": 1, "noise": 1, "unparsed": 0, "records": 1, "malformed": 0, "earlier": 0}


def test_multiline_provider_reply(tmp_path: Path) -> None:
    (r,), _ = parse(tmp_path, (
        "Mar  1 00:03:06 mx postfix-out/smtp[43550]: 4cvn0X0jLsZmzf: to=<nobody@gmail.com>, "
        "relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=5.5, delays=4.2/0.02/0.21/1.1, dsn=5.1.1, "
        "status=bounced (host gmail-smtp-in.l.google.com[142.250.1.27] said: 550-5.1.1 The email account that "
        "you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address "
        "for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  "
        "https://support.google.com/mail/?p=NoSuchUser crnlzus80u0n.397 - gsmtp (in reply to RCPT TO command))\n"))
    assert (r.status, r.smtp_code, r.enhanced_code, r.smtp_command) == ("bounced", "550", "5.1.1", "RCPT TO")
    assert (r.remote_mta, r.reason, r.hard, r.sender) == ("gmail-smtp-in.l.google.com", "userunknown", True, None)
    assert r.queue_id == "4cvn0X0jLsZmzf"


@pytest.mark.parametrize(("text", "category", "reason"), [
    ("connect to mx1.example.com[192.0.2.1]:25: Connection refused", "111", "networkerror"),
    ("connect to mx1.example.com[192.0.2.1]:25: Connection timed out", "101", "networkerror"),
    ("connect to mx1.example.com[2001:db8::1]:25: No route to host", "101", "networkerror"),
    # "try again" is Postfix's temporary DNS failure (TRY_AGAIN): the lookup failed, not the domain
    ("Host or domain name not found. Name service error for name=exmaple.com type=MX: Host not found, try again",
     "512", "networkerror"),
    ("Host or domain name not found. Name service error for name=exmaple.com type=MX: Host not found",
     "512", "hostunknown"),
    ("lost connection with mx1.example.com[192.0.2.1] while sending end of data -- message may be sent more "
     "than once", "447", "networkerror"),
    ("conversation with mx1.example.com[192.0.2.1] timed out while receiving the initial server greeting",
     "447", "networkerror"),
    ("delivery temporarily suspended: connect to mx1.example.com[192.0.2.1]:25: Connection refused",
     "111", "networkerror"),
])
def test_failures_without_smtp_reply(tmp_path: Path, text: str, category: str, reason: str) -> None:
    (r,), _ = parse(tmp_path, (
        "Mar  1 00:02:28 mx postfix/smtp[59863]: 69E83AE1A9: to=<carol@example.com>, relay=none, delay=1.2, "
        f"delays=1.2/0/0/0, dsn=4.4.1, status=deferred ({text})\n"))
    assert (r.category, r.smtp_code, r.reason, r.hard, r.status) == (category, None, reason, False, "deferred")


def test_expired_message(tmp_path: Path) -> None:
    (r,), _ = parse(tmp_path, (
        "Sep 30 20:46:08 mx postfix-192.0.2.50/qmgr[31214]: 23EBE3D5C0: from=<alice@example.org>, "
        "status=expired, returned to sender\n"))
    assert (r.status, r.sender, r.reason, r.queue_id) == ("expired", "alice@example.org", "expired", "23EBE3D5C0")


def test_noqueue_reject(tmp_path: Path) -> None:
    (r,), _ = parse(tmp_path, (
        "Mar  1 00:00:20 mx postfix/smtpd[15185]: NOQUEUE: reject: RCPT from unknown[198.51.100.53]: 554 5.7.1 "
        "Service unavailable; Client host [198.51.100.53] blocked using zen.spamhaus.org; "
        "https://www.spamhaus.org/query/ip/198.51.100.53; from=<spammer@example.biz> to=<dave@example.org> "
        "proto=ESMTP helo=<User>\n"))
    assert (r.status, r.smtp_code, r.enhanced_code, r.remote_mta, r.remote_ip) == (
        "rejected", "554", "5.7.1", "unknown", "198.51.100.53")
    assert (r.sender, r.recipient, r.reason, r.smtp_command, r.queue_id) == (
        "spammer@example.biz", "dave@example.org", "blocked", "RCPT", None)
    assert "from=" not in r.diagnostic


def test_postscreen_and_ipv6_reject(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, (
        "Jan 27 07:49:18 mx postfix/postscreen[8291]: NOQUEUE: reject: RCPT from [203.0.113.6]:63966: 550 5.7.1 "
        "Service unavailable; client [203.0.113.6] blocked using bl.example.net; from=<a@example.com>, "
        "to=<b@example.org>, proto=ESMTP, helo=<WIN-QGFOVKPDT6T>\n"
        "Feb  8 21:28:47 mx postfix/smtps/smtpd[1036]: DE81A2E2DAA: reject: RCPT from unknown[2001:db8::15e2]: "
        "550 5.1.1 <c@example.org>: Recipient address rejected: User unknown in virtual mailbox table; "
        "from=<d@example.com> to=<c@example.org> proto=ESMTP helo=<[IPv6:2001:db8::15e2]>\n"))
    assert [(r.remote_ip, r.recipient, r.reason) for r in records] == [
        ("203.0.113.6", "b@example.org", "blocked"), ("2001:db8::15e2", "c@example.org", "userunknown")]
    assert acc.to_dict()["lines"]["unparsed"] == 0


def test_milter_reject(tmp_path: Path) -> None:
    (r,), _ = parse(tmp_path, (
        "Mar  1 00:00:20 mx postfix/cleanup[34043]: F31F2D2153: milter-reject: END-OF-MESSAGE from "
        "mail.example.com[192.0.2.9]: 5.7.1 Rejected by SpamAssassin: score 12.4; from=<e@example.com> "
        "to=<f@example.org> proto=ESMTP helo=<mail.example.com>\n"))
    assert (r.status, r.enhanced_code, r.smtp_code, r.recipient, r.queue_id, r.reason) == (
        "rejected", "5.7.1", None, "f@example.org", "F31F2D2153", "spamdetected")


@pytest.mark.parametrize("line", [
    "2024-03-01T00:00:01.123456+01:00 mx postfix/local[1]: AB12CD34EF: to=<g@example.org>, relay=local, "
    "delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)",
    "Mar 01 00:00:01 mx postfix/virtual[1]: AB12CD34EF: to=<g@example.org>, relay=virtual, delay=0.1, "
    "delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to maildir)",
    "2013 Jun 10 06:27:30.123 mx postfix/pipe[1]: AB12CD34EF: to=<g@example.org>, relay=dovecot, delay=0.1, "
    "delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered via dovecot service)",
    "Mar  1 00:00:01 mx postfix-out/lmtp[1]: AB12CD34EF: to=<g@example.org>, orig_to=<h@example.org>, "
    "relay=mx[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)",
    "Mar  1 00:00:01 mx postfix/submission/smtpd/smtp[1]: AB12CD34EF: to=<g@example.org>, relay=a[192.0.2.1]:25, "
    "delay=0.1, delays=0/0/0/0.1, tls=dane/requiretls?, dsn=2.0.0, status=sent (250 ok)",
    "Mar  1 00:00:01 mx postfix/local[1]: AB12CD34EF: to=g@example.org, orig_to=root@localhost, relay=local, "
    "delay=0.07, delays=0.04/0/0/0.03, dsn=2.0.0, status=sent (delivered to command: procmail -a \"$EXTENSION\")",
])
def test_timestamp_styles_and_agents(tmp_path: Path, line: str) -> None:
    (r,), acc = parse(tmp_path, line + "\n")
    assert (r.recipient, r.status, r.host) == ("g@example.org", "sent", "mx")
    assert r.time is not None and r.time.second in (1, 30)
    assert acc.to_dict()["lines"]["unparsed"] == 0


def test_rfc3339_time_is_timezone_aware(tmp_path: Path) -> None:
    (r,), _ = parse(tmp_path, (
        "2024-03-01T00:00:01.5+01:00 mx postfix/error[1]: AB12CD34EF: to=<g@example.org>, relay=none, delay=1, "
        "delays=1/0/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to "
        "mx.example.org[192.0.2.1]:25: Connection timed out)\n"))
    assert r.time == datetime(2024, 3, 1, 0, 0, 1, 500000, tzinfo=timezone(timedelta(hours=1)))
    assert r.transport == "error" and r.category == "101"


def test_year_inferred_from_file_date_across_new_year(tmp_path: Path) -> None:
    line = ("{} mx postfix/smtp[1]: AB12CD34EF: to=<g@example.org>, relay=a[192.0.2.1]:25, delay=1, "
            "delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)\n")
    records, _ = parse(tmp_path, line.format("Dec 31 23:59:59") + line.format("Jan  1 00:00:01"),
                       mtime=datetime(2025, 1, 1, 1, 0))
    assert [r.time for r in records] == [datetime(2024, 12, 31, 23, 59, 59), datetime(2025, 1, 1, 0, 0, 1)]


def test_recipient_before_its_from_line_still_gives_a_record(tmp_path: Path) -> None:
    records, _ = parse(tmp_path, (
        "Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=a[192.0.2.1]:25, delay=1, "
        "delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)\n" + QMGR))
    assert len(records) == 1 and records[0].sender is None


def test_senders_are_forgotten_when_the_queue_file_is_removed(tmp_path: Path) -> None:
    records, _ = parse(tmp_path, QMGR + "Mar  1 00:00:02 mx postfix/qmgr[1999]: 9F9AD90ED8: removed\n" + (
        "Mar  1 00:00:03 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=a[192.0.2.1]:25, delay=1, "
        "delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)\n"))
    assert records[0].sender is None


def test_hosts_are_kept_apart(tmp_path: Path) -> None:
    records, _ = parse(tmp_path, QMGR + QMGR.replace(" mx ", " mx2 ").replace("alice", "zoe") + "".join(
        f"Mar  1 00:00:01 {host} postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=a[192.0.2.1]:25, "
        "delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)\n" for host in ("mx", "mx2")))
    assert [(r.host, r.sender) for r in records] == [("mx", "alice@example.org"), ("mx2", "zoe@example.org")]


def test_noise_and_unparsed_are_counted(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, (
        "Mar  1 00:00:00 mx postfix/smtpd[1]: connect from unknown[192.0.2.1]\n"
        "Mar  1 00:00:00 mx opendkim[77]: 9F9AD90ED8: DKIM-Signature field added (s=mail, d=example.org)\n"
        "\n"
        "Mar  1 00:00:00 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, status=sent garbled\n"
        "Mar  1 00:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: garbled\n"))
    assert records == []
    lines = acc.to_dict()["lines"]
    assert lines == {"read": 5, "used": 0, "noise": 3, "unparsed": 2, "records": 0, "malformed": 0, "earlier": 0}
    assert len(acc.tallies[0].examples) == 2


def test_address_verification_probe_is_noise(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, (
        "Mar  1 00:00:00 mx postfix/error[1]: 3E29030F8637E: to=<u@example.org>, relay=none, delay=0.01, "
        "delays=0.01/0/0/0, dsn=5.1.1, status=undeliverable-but-not-cached (User unknown in virtual alias table)\n"))
    assert records == [] and acc.to_dict()["lines"]["noise"] == 1


def test_busybox_syslog_lines_with_facility_and_level(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, (
        "Mar 22 07:45:01 backup mail.info postfix/qmgr[595]: 8DB5E171B: from=<ops@example.org>, size=633, "
        "nrcpt=1 (queue active)\n"
        "Mar 22 07:45:01 backup mail.info postfix/smtp[1085]: connect to 192.0.2.1[192.0.2.1]:25: "
        "Connection refused\n"
        "Mar 22 07:45:01 backup mail.info postfix/smtp[1085]: 8DB5E171B: to=<et@example.net>, "
        "relay=none, delay=0.03, delays=0.02/0/0.01/0, dsn=4.4.1, status=deferred (connect to "
        "192.0.2.1[192.0.2.1]:25: Connection refused)\n"))
    [record] = records
    assert (record.host, record.sender, record.status, record.category) == (
        "backup", "ops@example.org", "deferred", "111")
    assert acc.to_dict()["lines"] == {"read": 3, "used": 1, "noise": 2, "unparsed": 0, "records": 1,
                                      "malformed": 0, "earlier": 0}


def test_soft_bounce_is_a_deferral_that_keeps_the_reply(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, (
        "Oct 14 07:34:03 mx postfix/smtp[10837]: 4B6D11E01729: to=<ana@example.net>, "
        "relay=mail.example.net[192.0.2.4]:25, delay=39993, delays=35133/4859/0.58/0.71, dsn=4.1.1, "
        "status=SOFTBOUNCE (host mail.example.net[192.0.2.4] said: 550 5.1.1 <ana@example.net>: Recipient "
        "address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))\n"))
    [record] = records
    assert (record.status, record.enhanced_code, record.smtp_code, record.hard) == ("deferred", "4.1.1", "550", False)
    assert record.remote_mta == "mail.example.net" and record.smtp_command == "RCPT TO"
    assert record.reason == "userunknown"  # soft: the mail stays queued, so it is no hard bounce
    assert acc.to_dict()["lines"]["unparsed"] == 0


def test_log_with_no_postfix_line_warns(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, "hello\nworld\n")
    assert records == [] and len(acc.warnings) == 1
    assert "none of its 2 lines" in acc.warnings[0]


def test_hostile_long_line_is_linear(tmp_path: Path) -> None:
    text = "a" * 200_000 + "@" + "b." * 100_000
    records, _ = parse(tmp_path, (
        "Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=none, delay=1, "
        f"delays=1/0/0/0, dsn=5.0.0, status=bounced (host a[192.0.2.1] said: 550 {text} (in reply to RCPT TO command))\n"))
    assert len(records) == 1 and records[0].status == "bounced"


def test_empty_input_warns(tmp_path: Path) -> None:
    records, acc = parse(tmp_path, "")
    assert records == [] and acc.warnings == [f"{tmp_path / 'maillog'}: the input is empty"]


def test_reply_after_a_prefix_is_found(tmp_path: Path) -> None:
    (r,), _ = parse(tmp_path, (
        "Nov 28 10:00:15 mx postfix/smtp[1]: AAAAB6: to=<o@example.com>, relay=relay.example.com[192.0.2.15]:587, "
        "delay=1, delays=1/0/0/0, dsn=4.7.8, status=deferred (SASL authentication failed; server "
        "relay.example.com[192.0.2.15] said: 535 5.7.8 Error: authentication failed: authentication failure)\n"))
    assert (r.smtp_code, r.remote_mta, r.remote_ip) == ("535", "relay.example.com", "192.0.2.15")


def test_command_of_a_long_reply_is_found(tmp_path: Path) -> None:
    long_reply = "550-5.1.1 " + "padding words " * 60
    (r,), _ = parse(tmp_path, (
        "Nov 28 10:00:15 mx postfix/smtp[1]: AAAAB6: to=<o@example.com>, relay=mx.example.com[192.0.2.15]:25, "
        f"delay=1, delays=1/0/0/0, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.15] said: {long_reply}"
        "550 5.1.1 end (in reply to RCPT TO command))\n"))
    assert (r.smtp_code, r.smtp_command) == ("550", "RCPT TO")


@pytest.mark.parametrize(("line", "expected"), [
    # Postfix before 2.3 wrote no dsn= (and, with some settings, no delays=)
    ("May 24 12:51:53 mx postfix/smtp[7203]: 1746B93F7F: to=<root@example.org>, orig_to=<root@localhost>, "
     "relay=mx.example.org[192.0.2.57], delay=5, status=bounced (host mx.example.org[192.0.2.57] said: "
     "550 5.7.1 <root@example.org>... Relaying denied (in reply to RCPT TO command))",
     ("bounced", "550", "5.7.1", "RCPT TO")),
    ("Oct 10 12:00:01 mx postfix/smtp[123]: AAA111: to=<op@example.com>, relay=none, status=bounced (host not found)",
     ("bounced", None, None, None)),
    ("Feb  2 12:34:56 mail postfix/smtp[12345]: ABC123DEF: to=<user@example.com>, relay=mx.example.com[192.0.2.4]:25, "
     "delay=0.5, dsn=2.0.0, status=sent (250 OK)", ("sent", "250", "2.0.0", None)),
])
def test_older_and_shorter_delivery_lines(tmp_path: Path, line: str, expected: tuple) -> None:
    (r,), acc = parse(tmp_path, line + "\n")
    assert (r.status, r.smtp_code, r.enhanced_code, r.smtp_command) == expected
    assert acc.to_dict()["lines"]["unparsed"] == 0


def test_remote_reply_without_address(tmp_path: Path) -> None:
    (r,), _ = parse(tmp_path, (
        "Aug  6 01:10:00 mx postfix/smtp[1234]: A1B2C3D4E5: to=<list@example.net>, relay=mx.example.net[192.0.2.5]:25, "
        "delay=1, status=deferred (host mx.example.net said: 421 4.7.0 too many connections)\n"))
    assert (r.remote_mta, r.remote_ip, r.smtp_code, r.enhanced_code) == ("mx.example.net", None, "421", "4.7.0")


@pytest.mark.parametrize("prefix", ["<22>", "<22>1 "])
def test_syslog_priority_prefix(tmp_path: Path, prefix: str) -> None:
    stamp = "Mar  1 00:00:01" if prefix == "<22>" else "2026-03-01T00:00:01Z"
    (r,), _ = parse(tmp_path, (
        f"{prefix}{stamp} mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=a[192.0.2.1]:25, delay=1, "
        "delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)\n"))
    assert (r.host, r.status, r.time.second) == ("mx", "sent", 1)


def test_sender_carries_over_from_the_previous_rotated_log(tmp_path: Path) -> None:
    older, newer = tmp_path / "mail.log.1", tmp_path / "mail.log"
    older.write_text(QMGR)
    newer.write_text(
        "Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=a[192.0.2.1]:25, delay=1, "
        "delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)\n")
    (record,) = read_records([str(older), str(newer)])
    assert record.sender == "alice@example.org"
    (alone,) = read_records([str(newer)])
    assert alone.sender is None


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_file_of_one_huge_line_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """100 MB without a newline: read as lines of about 1 MB (noise), never held whole."""
    import subprocess
    import sys

    log = tmp_path / "one.log"
    with open(log, "wb") as out:
        out.write(b"Mar  1 00:00:01 mx postfix/smtp[1]: ")
        for _ in range(100):
            out.write(b"x" * (1 << 20))
    js = tmp_path / "r.json"
    # the peak of this process's own memory (VmHWM; ru_maxrss would include the forked test runner's)
    measured = ("import sys\nfrom analyzer.cli import main\n"
                "try:\n    main(sys.argv[1:])\nexcept SystemExit as end:\n    code = end.code\n"
                "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
                "print(peak, file=sys.stderr)\nsys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", measured, str(log), "-j", "1", "-q", "--json", str(js)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    peak_mb = int(result.stderr.split()[-1]) / 1024
    assert peak_mb < 200, peak_mb  # a 100 MB line held whole took about 260 MB; cut, about 125
    import json

    lines = json.loads(js.read_text())["accounting"]["lines"]
    assert lines["read"] == lines["noise"] + lines["unparsed"] + lines["used"] and lines["read"] >= 100
