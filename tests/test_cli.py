"""The analyze command as a user runs it: outputs, exit statuses, compressed inputs, stdin, help."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from analyzer.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "maillog"
LINE = ("Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=a[192.0.2.1]:25, delay=1, "
        "delays=1/0/0/0, dsn=5.1.1, status=bounced (host a[192.0.2.1] said: 550 5.1.1 <g@example.org>: "
        "Recipient address rejected: User unknown (in reply to RCPT TO command))\n")


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_sample_report_end_to_end(tmp_path: Path) -> None:
    html, csv, js = tmp_path / "r.html", tmp_path / "r.csv", tmp_path / "r.json"
    result = run(str(SAMPLE), "--html", str(html), "--csv", str(csv), "--json", str(js))
    assert result.exit_code == 0, result.output
    assert "Delivery attempts" in result.output and "Input lines 4,000" in result.output
    assert html.read_text().startswith("<!DOCTYPE html>")
    header = csv.read_text().splitlines()[0]
    assert header.startswith("time,host,queue_id,sender,recipient,domain,status,smtp_code,enhanced_code,"
                             "code_class,diagnostic,remote_mta,reason,hard,source")
    data = json.loads(js.read_text())
    assert data["accounting"]["lines"]["read"] == 4000
    assert {"status", "domains", "reasons", "timeline", "advice", "actions", "verdict", "diagnostics",
            "providers", "blocklists", "unknowns"} <= set(data)
    names = {"received", "delivered", "forwarded", "deferred", "deferrals", "bounced", "rejected", "reject_warnings",
             "held", "discarded", "bytes_received", "bytes_delivered", "senders", "sending_domains", "recipients",
             "recipient_domains"}
    assert names <= set(data["traffic"]) and all(isinstance(data["traffic"][n], int) for n in names)
    assert data["traffic"]["delivered"] > 0 and data["traffic"]["senders"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.html", "r.json"]  # no temp files left


def test_text_to_file_and_quiet(tmp_path: Path) -> None:
    out = tmp_path / "summary.txt"
    result = run(str(SAMPLE), "--text", str(out))
    assert result.exit_code == 0 and result.output == "" and "Delivery attempts" in out.read_text()
    assert run(str(SAMPLE), "--quiet").output == ""


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_input_by_content_whatever_its_name(tmp_path: Path, compress) -> None:
    log = tmp_path / "maillog.1"
    log.write_bytes(compress(LINE.encode()))
    result = run(str(log), "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text())["headline"]["bounced"] == 1


def test_stdin_directory_and_glob(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    for name in ("a.log", "b.log"):
        (tmp_path / "logs" / name).write_text(LINE)
    js = tmp_path / "r.json"
    assert run("-", "--json", str(js), input=LINE.encode()).exit_code == 0
    assert json.loads(js.read_text())["headline"]["bounced"] == 1
    assert run(str(tmp_path / "logs"), "--json", str(js)).exit_code == 0
    assert json.loads(js.read_text())["headline"]["bounced"] == 2
    assert run(str(tmp_path / "logs" / "*.log"), "--json", str(js)).exit_code == 0
    assert json.loads(js.read_text())["headline"]["bounced"] == 2


@pytest.mark.parametrize("args", [[], ["/nonexistent/maillog"], ["/nonexistent/*.log"], ["--top", "0", "x"]])
def test_usage_errors_exit_2_without_traceback(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unreadable_and_corrupt_inputs(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gz"
    bad.write_bytes(gzip.compress(LINE.encode() * 1000)[:200])
    result = subprocess.run([sys.executable, "-m", "analyzer", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    result = run(str(SAMPLE), "--html", str(tmp_path / "missing-dir" / "r.html"))
    assert result.exit_code == 2 and "cannot write" in result.output


def test_unrecognised_input_warns_on_stderr(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("just some text\nnot a mail log\n")
    result = subprocess.run([sys.executable, "-m", "analyzer", str(other)], capture_output=True, text=True)
    assert result.returncode == 0
    assert "warning" in result.stderr and "none of its 2 lines" in result.stderr


def test_every_option_and_command_has_help() -> None:
    for name, command in main.commands.items():
        assert command.help, f"analyze {name} has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"analyze {name} {param.name} has no help text"


def test_inputs_without_a_command_run_the_analysis(tmp_path: Path) -> None:
    """`analyze INPUT...`, options first or last, is `analyze run INPUT...`; no argument shows the help."""
    for argv in ([str(SAMPLE), "-q"], ["-q", str(SAMPLE)], ["run", "-q", str(SAMPLE)]):
        js = tmp_path / "r.json"
        result = run(*argv, "--json", str(js))
        assert result.exit_code == 0 and js.exists(), argv
        js.unlink()
    shown = CliRunner().invoke(main, [])
    assert "INPUT..." in shown.output and "run" in shown.output


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.output.startswith("analyze ")


def test_redact_masks_local_parts_everywhere(tmp_path: Path) -> None:
    html, csv, js, text = (tmp_path / name for name in ("r.html", "r.csv", "r.json", "r.txt"))
    result = run(str(SAMPLE), "--redact", "--html", str(html), "--csv", str(csv), "--json", str(js),
                 "--text", str(text))
    assert result.exit_code == 0
    import re
    address = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
    for path in (html, csv, js, text):
        content = path.read_text()
        leaked = [a for a in address.findall(content) if not a.startswith("***@")]
        assert leaked == [], (path.name, leaked[:5])
    assert "***@gmail.com" in csv.read_text()
    assert "addresses redacted" in html.read_text() and "redacted" in text.read_text()


def test_parquet_export(tmp_path: Path) -> None:
    import pandas as pd

    out = tmp_path / "records.parquet"
    assert run(str(SAMPLE), "--parquet", str(out), "--quiet").exit_code == 0
    frame = pd.read_parquet(out)
    assert len(frame) > 0 and list(frame.columns[:3]) == ["time", "host", "queue_id"]


def test_german_hints(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    result = run(str(SAMPLE), "--lang", "de", "--html", str(html))
    assert result.exit_code == 0
    assert result.output.startswith("Bericht zur Mail-Zustellung") and "Urteil: " in result.output
    assert "Die wichtigsten Maßnahmen" in result.output
    assert all(len(line) <= 80 for line in result.output.splitlines())
    page = html.read_text()
    assert 'lang="de"' in page and "Was zu tun ist" in page and "Sperrlisten" in page
    assert run(str(SAMPLE), "--lang", "fr").exit_code == 2


def test_user_hints_file_adds_rules_and_hints(tmp_path: Path) -> None:
    log = tmp_path / "maillog"
    # the user's phrase wins over the strong code 5.1.1 of the same reply
    log.write_text(LINE.replace("Recipient address rejected: User unknown", "Frobnicated by the gateway"))
    user = tmp_path / "mine.toml"
    user.write_text(
        '[[phrase]]\nreason = "policyviolation"\npatterns = ["frobnicated by the gateway"]\n\n'
        '[reasons.policyviolation]\nside = "sender"\nretry = "after-fix"\n'
        'en.title = "Our gateway policy"\nen.meaning = "The partner gateway frobnicates."\n'
        'en.steps = ["Call the partner."]\n'
        'de.title = "Gateway-Richtlinie"\nde.meaning = "Das Gateway frobniziert."\nde.steps = ["Partner anrufen."]\n')
    js = tmp_path / "r.json"
    assert run(str(log), "--hints", str(user), "--json", str(js)).exit_code == 0
    data = json.loads(js.read_text())
    assert data["reasons"][0]["reason"] == "policyviolation"
    assert any(item["title"] == "Our gateway policy" for item in data["advice"])
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    result = run(str(log), "--hints", str(bad))
    assert result.exit_code == 2 and "not a usable hints file" in result.output


def test_rotated_logs_come_oldest_first() -> None:
    from analyzer.sources import rotation_order

    names = ["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.10.gz", "mail.log-20261127", "mail.log-20261128",
             "messages", "bounces.mbox"]
    ordered = [p.name for p in sorted((Path("/var/log") / n for n in names), key=rotation_order)]
    assert ordered == ["bounces.mbox", "mail.log.10.gz", "mail.log.2.gz", "mail.log.1", "mail.log-20261127",
                       "mail.log-20261128", "mail.log", "messages"]


def test_rotations_named_newest_first_are_read_oldest_first(tmp_path: Path) -> None:
    """A shell's mail.log* names mail.log before mail.log.1: the rotations are still read oldest first,
    so the sender of a message queued before the rotation reaches its delivery after it."""
    from analyzer.sources import oldest_rotation_first

    for name in ("mail.log", "mail.log.1", "mail.log.2.gz", "other.log"):
        (tmp_path / name).write_text("x\n")
    named = [str(tmp_path / n) for n in ("mail.log", "mail.log.1", "other.log", "mail.log.2.gz")]
    assert [Path(p).name for p in oldest_rotation_first(["-", *named])] == [
        "-", "mail.log.2.gz", "mail.log.1", "other.log", "mail.log"]
    older, newer = tmp_path / "mail.log.1", tmp_path / "mail.log"
    older.write_text("Mar  1 00:00:01 mx postfix/qmgr[2]: 9F9AD90ED8: from=<alice@example.org>, size=10, nrcpt=1 "
                     "(queue active)\n")
    newer.write_text("Mar  1 00:00:02 mx postfix/smtp[3]: 9F9AD90ED8: to=<bob@example.net>, relay=mx.example.net"
                     "[192.0.2.7]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 ok)\n")
    csv_path = tmp_path / "r.csv"
    assert run(str(newer), str(older), "--csv", str(csv_path), "-q").exit_code == 0
    assert "alice@example.org" in csv_path.read_text()


@pytest.mark.parametrize("args", [
    ["--csv", "{d}/same", "--html", "{d}/same"],
    ["--csv", "{log}"],
    ["--html", ""],
])
def test_outputs_that_would_clobber_are_refused(tmp_path: Path, args: list[str]) -> None:
    log = tmp_path / "in.log"
    log.write_text(LINE)
    argv = [str(log)] + [a.format(d=tmp_path, log=log) for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert log.read_text() == LINE  # the input is untouched
    assert not (tmp_path / "same").exists()


def test_stdin_named_twice_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["-", "-"], input=LINE.encode())
    assert result.exit_code == 2 and "only once" in result.output


def test_hints_file_with_a_broken_pattern(tmp_path: Path) -> None:
    hints = tmp_path / "hints.toml"
    hints.write_text('[[phrase]]\nreason = "blocked"\npatterns = ["(unclosed"]\n')
    result = CliRunner().invoke(main, [str(SAMPLE), "--hints", str(hints), "-q"])
    assert result.exit_code == 2 and "not a usable hints file" in result.output


@pytest.mark.parametrize("offset", ["+24:00", "-25:30", "+99:00"])
def test_impossible_rfc3339_offsets_leave_the_record_without_a_time(tmp_path: Path, offset: str) -> None:
    log = tmp_path / "in.log"
    log.write_text(LINE.replace("Mar  1 00:00:01", f"2026-03-01T00:00:01{offset}")
                   + LINE.replace("Mar  1 00:00:01", "2026-03-01T00:00:02+01:00"))
    js = tmp_path / "r.json"
    result = run(str(log), "--json", str(js), "-q")
    assert result.exit_code == 0
    assert json.loads(js.read_text())["accounting"]["lines"]["records"] == 2


def test_outputs_respect_the_umask_and_keep_an_existing_mode(tmp_path: Path) -> None:
    import os
    import stat

    new, old = tmp_path / "new.csv", tmp_path / "old.csv"
    old.write_text("x")
    old.chmod(0o600)
    mask = os.umask(0o077)
    try:
        assert run(str(SAMPLE), "--csv", str(new), "--json", str(old), "-q").exit_code == 0
    finally:
        os.umask(mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert stat.S_IMODE(old.stat().st_mode) == 0o600 and old.read_text().startswith("{")


def test_a_symlinked_output_replaces_its_target_and_a_fifo_is_written_as_a_stream(tmp_path: Path) -> None:
    import os
    import threading

    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run(str(SAMPLE), "--json", str(link), "--csv", str(fifo), "-q")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_text().startswith("{")
    assert fifo.exists() and not fifo.is_file() and got and got[0].startswith(b"time,host,")


def test_a_missing_output_folder_names_the_path_given(tmp_path: Path) -> None:
    wanted = tmp_path / "no" / "such" / "report.html"
    result = CliRunner().invoke(main, [str(SAMPLE), "--html", str(wanted), "-q"])
    assert result.exit_code == 2 and f"cannot write {wanted}:" in result.output and ".tmp" not in result.output


def test_a_dangling_symlink_in_an_input_directory_is_counted_and_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "mail.log").write_text(LINE)
    (folder / "mail.log.1").symlink_to(tmp_path / "gone")
    js = tmp_path / "r.json"
    result = CliRunner().invoke(main, [str(folder), "--json", str(js), "-q"])
    assert result.exit_code == 0, result.output
    assert "skipped, dangling symbolic link" in result.output
    data = json.loads(js.read_text())
    (gone,) = [i for i in data["accounting"]["inputs"] if i["kind"] == "unreadable"]
    assert (gone["read"], gone["unparsed"], gone["records"]) == (1, 1, 0)
    assert data["accounting"]["lines"]["records"] == 1


def test_a_pipe_is_read_completely_and_a_fifo_in_a_directory_is_skipped(tmp_path: Path) -> None:
    import os
    import threading

    lines = "".join(LINE.replace("9F9AD90ED8", f"9F9AD9{n:04X}") for n in range(2000))  # about 400 KB
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(lines), daemon=True)
    writer.start()
    js = tmp_path / "r.json"
    result = run(str(fifo), "--json", str(js), "-q")
    writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    counts = json.loads(js.read_text())["accounting"]["lines"]
    assert counts["read"] == 2000 and counts["records"] == 2000
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "mail.log").write_text(LINE)
    os.mkfifo(folder / "mail.log.1")  # nobody writes it: opening it would block for ever
    result = CliRunner().invoke(main, [str(folder), "--json", str(js), "-q"])
    assert result.exit_code == 0 and "not a regular file" in result.output
    assert json.loads(js.read_text())["accounting"]["lines"]["records"] == 1


def test_csv_cells_that_start_like_formulas_are_neutralised(tmp_path: Path) -> None:
    import csv as csvlib

    log = tmp_path / "in.log"
    log.write_text(LINE.replace("<g@example.org>, relay", "<=HYPERLINK(1)@example.org>, relay") + LINE.replace("550 5.1.1 <g@example.org>", "@SUM(1+1) 5.1.1"))
    safe, raw, parquet = tmp_path / "safe.csv", tmp_path / "raw.csv", tmp_path / "r.parquet"
    assert run(str(log), "--csv", str(safe), "--parquet", str(parquet), "-q").exit_code == 0
    assert run(str(log), "--csv", str(raw), "--csv-raw", "-q").exit_code == 0
    rows = list(csvlib.DictReader(safe.open()))
    assert rows[0]["recipient"] == "'=HYPERLINK(1)@example.org"
    assert not any(v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())
    assert next(csvlib.DictReader(raw.open()))["recipient"] == "=HYPERLINK(1)@example.org"
    import pandas as pd

    assert pd.read_parquet(parquet)["recipient"].iloc[0] == "=HYPERLINK(1)@example.org"  # only the CSV is changed


def test_a_decompression_bomb_stops_with_a_clear_error(tmp_path: Path) -> None:
    bomb = tmp_path / "mail.log.gz"
    bomb.write_bytes(gzip.compress(LINE.encode() + b"\0" * (40 * 1024 * 1024)))  # 40 MB of zeros in 40 KB
    spool = tmp_path / "tmp"
    spool.mkdir()
    result = subprocess.run([sys.executable, "-m", "analyzer", str(bomb), "-q"], capture_output=True, text=True,
                            env={**__import__("os").environ, "TMPDIR": str(spool)})
    assert result.returncode == 2 and "expands more than 200 times" in result.stderr
    assert "Traceback" not in result.stderr and list(spool.iterdir()) == []
    allowed = subprocess.run([sys.executable, "-m", "analyzer", str(bomb), "-q", "--max-expand", "0"],
                             capture_output=True, text=True)
    assert allowed.returncode == 0, allowed.stderr


def test_temporary_outputs_of_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    stale = tmp_path / ".r.html.999999999.abc123.tmp"  # its process is gone
    stale.write_text("half a report")
    assert run(str(SAMPLE), "--html", str(html), "-q").exit_code == 0
    assert html.exists() and not stale.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_an_output_of_dash_is_stdout_and_keeps_the_summary_off_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(str(SAMPLE), "--json", "-")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)  # only the JSON: no plain-text summary before or after it
    assert summary["accounting"]
    result = run(str(SAMPLE), "--csv", "-", "--html", str(tmp_path / "r.html"))
    assert result.exit_code == 0 and result.stdout.startswith("time,host,queue_id,")
    assert (tmp_path / "r.html").is_file()
    assert not (tmp_path / "-").exists()  # no file named "-"


@pytest.mark.parametrize("args", [("--json", "-", "--csv", "-"), ("--state", "-")])
def test_stdout_can_take_one_output_and_never_the_store(args: tuple[str, ...]) -> None:
    result = run(str(SAMPLE), *args)
    assert result.exit_code == 2 and "Error" in result.output
