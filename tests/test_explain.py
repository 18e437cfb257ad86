"""analyzer.explain and `analyze explain`: one reply, decided as a run decides it, with its hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import analyzer
from analyzer.cli import main
from analyzer.explainer import Explanation, explain
from analyzer.hints import Hints

ROOT = Path(__file__).resolve().parents[1]
SPAMHAUS = "550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org"
HOSTILE = "550 5.1.1 <script>alert(1)</script> \"><img src=x onerror=alert(1)> evil\u202etxt\x1b[31m\x07"


def test_the_issue_example_names_reason_rule_blocklist_and_hint() -> None:
    found = analyzer.explain(SPAMHAUS)
    assert isinstance(found, Explanation)
    assert (found.reason, found.rule, found.status, found.smtp_code, found.enhanced_code) == (
        "blocked", "phrase:blocked", "bounced", "550", "5.7.1")
    assert found.blocklist is not None and found.blocklist.name == "Spamhaus ZEN"
    assert found.blocklist.item == "192.0.2.1"
    assert (found.hint, found.side) == ("reasons:blocked", "sender")
    assert found.title and found.steps
    text = str(found)
    assert "Spamhaus ZEN" in text and "phrase:blocked" in text and found.steps[0][:30] in " ".join(text.split())


def test_every_failure_text_of_the_sample_log_is_explained_as_the_run_decided() -> None:
    df = analyzer.load(str(ROOT / "samples" / "maillog"))
    failed = df.loc[df["status"].isin(["bounced", "deferred", "expired", "rejected"]) & df["diagnostic"].notna()]
    failed = failed.drop_duplicates("diagnostic")
    assert len(failed) > 50
    for row in failed.itertuples():
        found = explain(row.diagnostic, status=row.status, domain=row.domain)
        # (the log's dsn= code is not in the text: only what the text decides is compared)
        assert (found.reason, found.rule, found.hard, found.sisimai_reason) == (
            row.reason, row.rule, bool(row.hard), row.sisimai_reason), row.diagnostic


def test_a_provider_rule_needs_the_recipient_domain_as_in_a_run() -> None:
    text = ("host hotmail-com.olc.protection.outlook.com[192.0.2.3] said: 550 5.5.0 Requested action not taken: "
            "mailbox unavailable (in reply to RCPT TO command)")
    found = explain(text, domain="someone@Hotmail.com")
    assert (found.rule, found.domain, found.smtp_command) == ("provider:outlook:userunknown", "hotmail.com", "RCPT TO")
    assert explain(text).rule != found.rule


@pytest.mark.parametrize("group", ["enhanced", "codes"])
def test_every_code_of_the_hints_data_gets_its_own_hint(group: str) -> None:
    hints = Hints.load()
    for code in hints.data[group]:
        reply = code if group == "codes" else f"{code[0]}{'50' if code[0] == '5' else '21' if code[0] == '4' else '50'}"
        text = f"{reply} {code}" if group == "enhanced" else f"{code} see the log"
        found = explain(text, hints=hints)
        if found.rule.startswith("phrase:"):  # words (or a code) a phrase names: the reason explains it
            assert found.hint == f"reasons:{found.reason}", (text, found.rule)
        else:
            assert found.hint == f"{group}:{code}", (text, found.hint, found.rule)
            assert found.title == hints.get(group, code)["title"]


def test_a_connection_failure_is_explained_by_its_category() -> None:
    found = explain("connect to mx.example.org[192.0.2.9]:25: Connection timed out", status="deferred")
    assert (found.category, found.hint, found.remote_mta, found.hard) == ("101", "categories:101", "mx.example.org", False)


def test_hostile_text_is_escaped_in_html_and_shown_as_escapes_in_text() -> None:
    found = explain(HOSTILE)
    html = found._repr_html_()
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    for shown in (html, str(found)):
        assert "\u202e" not in shown and "\x1b" not in shown and "\x07" not in shown
        assert "\\u202e" in shown


def test_german_hint_and_labels() -> None:
    found = explain("550 5.1.1 user unknown", lang="de")
    assert found.title == Hints.load("de").get("reasons", "userunknown")["title"]
    assert "Grund: userunknown (hart" in str(found)


def test_empty_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        explain(" \n ")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_the_command_takes_unquoted_words_and_prints_the_explanation() -> None:
    result = run("explain", *SPAMHAUS.split())
    assert result.exit_code == 0, result.output
    assert result.output == str(explain(SPAMHAUS))


def test_the_command_as_json_and_from_stdin() -> None:
    data = json.loads(run("explain", "--json", "--status", "deferred", "452 4.2.2 mailbox full").output)
    assert (data["reason"], data["status"], data["hard"], data["blocklist"]) == ("mailboxfull", "deferred", False, None)
    many = json.loads(run("explain", "--json", "-", input=f"{SPAMHAUS}\n\n550 5.1.1 no such user\n").output)
    assert [d["reason"] for d in many] == ["blocked", "userunknown"]
    assert many[0]["blocklist"]["name"] == "Spamhaus ZEN"


def test_the_command_with_nothing_to_explain_exits_2_with_one_line() -> None:
    result = run("explain", "  ")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["Error: nothing to explain: the text is empty"]


def test_the_command_uses_a_users_hints_file(tmp_path: Path) -> None:
    own = tmp_path / "mine.toml"
    own.write_text('[[phrase]]\nreason = "spamdetected"\npatterns = ["blocked using"]\n')
    data = json.loads(run("explain", "--json", "--hints", str(own), SPAMHAUS).output)
    assert (data["reason"], data["rule"]) == ("spamdetected", "user:spamdetected")
