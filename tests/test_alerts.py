"""--fail-on: the grammar, exit statuses 0/1/2, scopes, blocklistings, new reasons and baselines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.alerts import AlertError, parse
from analyzer.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_LOG = ROOT / "samples" / "maillog"


def analyze(*args: str):
    return CliRunner().invoke(main, [*args, "-q"])


def delivery(day: int, n: int, status: str, reply: str) -> str:
    dsn = {"sent": "2.0.0", "deferred": "4.7.0", "bounced": "5.7.26"}[status]
    return (f"2026-11-{day:02d}T10:00:{n % 60:02d}+00:00 mx postfix/smtp[9]: Q{day}X{n}: to=<u{n}@example.org>, "
            f"relay=mx.example.org[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn={dsn}, status={status} ({reply})\n")


def night_log(path: Path, day: int, sent: int, bounced: int) -> Path:
    reply = "host mx.example.org[192.0.2.9] said: 550 5.7.26 Unauthenticated email is not accepted (in reply to end of DATA command)"
    lines = [delivery(day, n, "sent", "250 2.0.0 Ok") for n in range(sent)]
    lines += [delivery(day, sent + n, "bounced", reply) for n in range(bounced)]
    path.write_text("".join(lines))
    return path


@pytest.mark.parametrize("text", ["bounce_rate>0.05", "deferral_rate >= 20%", "provider:google.bounce_rate>0.02",
                                  "domain:example.com.deferred>100", "blocklisted", "new_reason:authfailure",
                                  "new_reason", "bounce_rate>2x7d", "hard<1"])
def test_the_grammar_reads_every_documented_form(text: str) -> None:
    assert parse(text).text == text


def test_the_domain_scope_keeps_its_dots() -> None:
    alert = parse("domain:mail.example.co.uk.bounced>=3")
    assert (alert.scope, alert.name, alert.metric, alert.op, alert.value) == ("domain", "mail.example.co.uk",
                                                                             "bounced", ">=", 3.0)
    assert parse("deferral_rate>20%").value == pytest.approx(0.2)
    assert parse("bounce_rate>2x7d").days == 7


@pytest.mark.parametrize(("text", "named"), [("bounce_rate>>1", "'>1'"), ("bogus>1", "bogus"),
                                             ("bounce_rate", "no comparison"), ("sent>lots", "'lots'")])
def test_a_bad_expression_is_a_usage_error_naming_the_bad_part(text: str, named: str) -> None:
    with pytest.raises(AlertError, match=named):
        parse(text)
    result = analyze(str(SAMPLE_LOG), "--fail-on", text)
    assert result.exit_code == 2 and named in result.output and "Traceback" not in result.output


def test_exit_status_0_when_nothing_holds_and_1_with_one_line_per_alert() -> None:
    calm = analyze(str(SAMPLE_LOG), "--fail-on", "bounce_rate>0.99", "--fail-on", "provider:google.sent>100000")
    assert calm.exit_code == 0 and "ALERT" not in calm.stderr
    loud = analyze(str(SAMPLE_LOG), "--fail-on", "bounce_rate>0.01", "--fail-on", "blocklisted",
                   "--fail-on", "domain:gmail.com.sent>1", "--fail-on", "provider:google.deferred>=1")
    assert loud.exit_code == 1
    alerts = [line for line in loud.stderr.splitlines() if "ALERT" in line]
    assert len(alerts) == 4 and "listed on" in loud.stderr and "Spamhaus" in loud.stderr


def test_history_alerts_need_a_store() -> None:
    result = analyze(str(SAMPLE_LOG), "--fail-on", "new_reason")
    assert result.exit_code == 2 and "needs --state" in result.output


def test_new_reasons_and_baselines_compare_with_earlier_nights(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    for day in range(1, 8):  # a week of 2 % bounces for authentication
        first = analyze(str(night_log(tmp_path / f"d{day}.log", day, 98, 2)), "--state", state,
                        "--fail-on", "new_reason", "--fail-on", "bounce_rate>2x7d")
        assert first.exit_code == 0, first.stderr
    same = analyze(str(night_log(tmp_path / "d8.log", 8, 97, 3)), "--state", state,
                   "--fail-on", "new_reason:authfailure", "--fail-on", "bounce_rate>2x7d")
    assert same.exit_code == 0, same.stderr  # 3 % is under twice 2 %; authfailure is not new
    worse = tmp_path / "d9.log"
    night_log(worse, 9, 90, 10)
    with open(worse, "a") as out:
        out.write("2026-11-09T11:00:00+00:00 mx postfix/smtp[9]: Q9X999: to=<z@example.net>, relay=mx.example.net"
                  "[192.0.2.8]:25, delay=1, delays=0/0/0/1, dsn=5.2.2, status=bounced (host mx.example.net"
                  "[192.0.2.8] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command))\n")
    result = analyze(str(worse), "--state", state, "--fail-on", "new_reason", "--fail-on", "bounce_rate>2x7d")
    assert result.exit_code == 1
    assert "new today: mailboxfull" in result.stderr and "over the 7 days before" in result.stderr
