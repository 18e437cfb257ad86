"""pflogsumm's figures (against Debian's pflogsumm itself), the deferral lifecycle (against the generator's
truth) and Postfix's own messages (from real lines of the shared corpus)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import shared_path

from analyzer.pipeline import read_frame
from analyzer.records import Accounting, traffic_of
from analyzer.report import render_html, render_text, summarize
from analyzer.traffic import client_domain, sender_key

PFLOGSUMM = Path("/usr/sbin/pflogsumm")
# pflogsumm's lines of "Grand Totals", and our names for them
PFLOGSUMM_NAMES = {
    "received": "received", "delivered": "delivered", "forwarded": "forwarded", "deferred": "deferred",
    "bounced": "bounced", "rejected": "rejected", "reject warnings": "reject_warnings", "held": "held",
    "discarded": "discarded", "bytes received": "bytes_received", "bytes delivered": "bytes_delivered",
    "senders": "senders", "sending hosts/domains": "sending_domains", "recipients": "recipients",
    "recipient hosts/domains": "recipient_domains",
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture(scope="session")
def pflogsumm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Debian's pflogsumm with its unit scaling turned off (it prints 36855k for 37739825 bytes), so
    that every figure can be compared exactly; nothing else of it is changed."""
    if not PFLOGSUMM.exists() or shutil.which("perl") is None:
        pytest.skip("Debian's pflogsumm is not installed")
    source = PFLOGSUMM.read_text()
    exact = re.sub(r"\$divByOne(K|Meg)At\s*=\s*\d+;", r"$divByOne\1At = 1e18;", source)
    assert exact.count("1e18") == 2, "pflogsumm's unit thresholds were not found"
    script = tmp_path_factory.mktemp("pflogsumm") / "pflogsumm"
    script.write_text(exact)
    return script


def run_pflogsumm(script: Path, log: Path) -> str:
    return subprocess.run(["perl", str(script), str(log)], check=True, capture_output=True, text=True).stdout


def grand_totals(output: str) -> dict[str, int]:
    """pflogsumm's grand totals (and deferrals) as {our name: value}."""
    figures = {}
    for line in output.split("Per-")[0].splitlines():
        m = re.match(r"\s+(\d+)\s+(\D.*?)(?: \(\d+%\))?(?:  \((\d+)\s+deferrals\))?$", line)
        if m and m.group(2) in PFLOGSUMM_NAMES:
            figures[PFLOGSUMM_NAMES[m.group(2)]] = int(m.group(1))
            if m.group(3):
                figures["deferrals"] = int(m.group(3))
    figures.setdefault("deferrals", 0)
    assert len(figures) == 16, figures
    return figures


def table(output: str, title: str) -> list[list[str]]:
    """The rows of one of pflogsumm's per-day or per-hour tables, split into words."""
    if title not in output:
        return []
    body = output.split(title, 1)[1].split("\n\n", 1)[0]
    return [line.split() for line in body.splitlines() if re.match(r"\s+\w{3} |\s+\d{4}-\d{4}", line)]


def pflogsumm_columns(row: dict) -> list[int]:
    """Our per-day or per-hour row in pflogsumm's columns: its "rejected" counts reject warnings,
    holds and discards too."""
    refused = sum(row[k] for k in ("rejected", "reject_warnings", "held", "discarded"))
    return [row["received"], row["delivered"], row["deferred"], row["bounced"], refused]


def ours(log: Path, jobs: int = 1) -> dict:
    accounting = Accounting()
    return summarize(read_frame([str(log)], accounting, jobs=jobs), accounting, top=10)["traffic"]


CASES = [
    ("--seed", "4", "--format", "syslog"),
    ("--seed", "5", "--format", "rfc3339"),
    ("--seed", "6", "--format", "maillog"),
    ("--seed", "7", "--format", "syslog", "--rate", "0.005"),  # several days: pflogsumm's per-day table
]


@pytest.mark.parametrize("case", CASES, ids=["-".join(c[1::2]) for c in CASES])
def test_grand_totals_and_days_equal_pflogsumms(case, generate, pflogsumm: Path) -> None:
    log, _ = generate("--lines", "30000", "--syslog-names", "postfix", *case)
    output = run_pflogsumm(pflogsumm, log)
    traffic = ours(log)
    expected = grand_totals(output)
    assert {name: traffic[name] for name in expected} == expected
    assert int(100 * traffic["rejected_share"]) == int(re.search(r"rejected \((\d+)%\)", output).group(1))
    days = table(output, "Per-Day Traffic Summary")
    if "--rate" in case:
        assert len(days) > 3
    if days:
        theirs = [(MONTHS.index(d[0]) + 1, int(d[1]), [int(v) for v in d[3:8]]) for d in days]
        mine = [(int(d["day"][5:7]), int(d["day"][8:10]), pflogsumm_columns(d)) for d in traffic["per_day"]]
        assert mine == theirs
    else:  # one day: pflogsumm's per-hour table holds the counts themselves, not a daily average
        hours = {int(h[0][:2]): [int(v) for v in h[1:6]] for h in table(output, "Per-Hour Traffic Summary")}
        mine = {int(h["hour"][11:13]): pflogsumm_columns(h) for h in traffic["per_hour"]}
        assert mine == {hour: row for hour, row in hours.items() if any(row)}


def test_per_domain_delivery_equals_pflogsumms(generate, pflogsumm: Path) -> None:
    log, _ = generate("--lines", "30000", "--syslog-names", "postfix", "--seed", "4", "--format", "syslog")
    output = run_pflogsumm(pflogsumm, log)
    body = output.split("Host/Domain Summary: Message Delivery", 1)[1].split("\n\n", 1)[0]
    theirs = {}
    for line in body.splitlines():
        m = re.match(r"\s+(\d+)\s+(\d+)\s+(\d+)\s+[\d.]+ \w\s+[\d.]+ \w\s+(\S+)$", line)
        if m:
            theirs[m.group(4)] = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    traffic = ours(log)
    assert len(theirs) > 100 and traffic["domains"]
    for row in traffic["domains"]:
        assert (row["sent"], row["bytes"], row["deferrals"]) == theirs[row["domain"]]
    for title, rows, figure in (("Senders by message count", traffic["top_senders"], "messages"),
                                ("Senders by message size", traffic["top_senders_by_bytes"], "bytes"),
                                ("Recipients by message count", traffic["top_recipients"], "messages"),
                                ("Recipients by message size", traffic["top_recipients_by_bytes"], "bytes")):
        section = output.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0]
        listed = dict(reversed(line.split()) for line in section.splitlines()[1:])
        assert rows and all(int(listed[row["key"]]) == row[figure] for row in rows), title


@pytest.mark.parametrize("names", ["postfix", "postfix,postfix-out"])
def test_deferral_lifecycle_equals_the_generators_truth(names: str, generate) -> None:
    log, truth_path = generate("--lines", "40000", "--seed", "8", "--syslog-names", names)
    truth = json.loads(truth_path.read_text())["recipients"]
    lifecycle = ours(log)["lifecycle"]
    assert (lifecycle["sent"], lifecycle["bounced"], lifecycle["expired"]) == (
        truth["deferred_then_sent"], truth["deferred_then_bounced"], truth["deferred_then_expired"])
    assert lifecycle["sent"] > 0 and lifecycle["median_seconds"] > 0


def test_expired_recipients_end_their_lifecycle(generate) -> None:
    # a short queue lifetime: deferred messages expire inside the log
    log, truth_path = generate("--lines", "20000", "--seed", "3", "--queue-lifetime", "1800")
    truth = json.loads(truth_path.read_text())["recipients"]
    lifecycle = ours(log)["lifecycle"]
    assert truth["deferred_then_expired"] > 0
    assert lifecycle["expired"] == truth["deferred_then_expired"]
    assert lifecycle["sent"] == truth["deferred_then_sent"]


def test_ranges_give_the_sequential_traffic(generate, monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.engine import plan
    from analyzer.formats import postfix_log

    log, _ = generate("--lines", "20000", "--seed", "21")
    one = ours(log)
    monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, 200_000)
    many = ours(log, jobs=2)
    assert many == one and one["senders"] > 100 and one["bytes_delivered"] > 0


def header(program: str, message: str, second: int = 0) -> str:
    return f"Mar  1 10:00:{second:02d} mx {program}[42]: {message}\n"


def traffic_of_lines(tmp_path: Path, lines: list[str]) -> tuple[dict, Accounting]:
    log = tmp_path / "mail.log"
    log.write_text("".join(lines))
    accounting = Accounting()
    df = read_frame([str(log)], accounting, jobs=1)
    return summarize(df, accounting, top=50)["traffic"], accounting


def test_postfixs_own_messages_from_the_corpus(tmp_path: Path) -> None:
    """warning:, fatal: and master lines of the corpus are grouped, counted as used lines, and hinted."""
    corpus = shared_path("corpus", "postfix", "whyscream", "grok-test-messages.jsonl")
    lines, expected = [], {}
    for second, row in enumerate(map(json.loads, corpus.read_text().splitlines())):
        message = row["message"]
        level = message.partition(": ")[0]
        if level in ("warning", "fatal") and "\n" not in message:
            program = "postfix/" + row["grok_pattern"].removeprefix("POSTFIX_").lower().replace("_", "-")
            lines.append(header(program, message, second % 60))
            expected[level] = expected.get(level, 0) + 1
    traffic, accounting = traffic_of_lines(tmp_path, lines)
    assert expected["fatal"] >= 1 and expected["warning"] >= 10
    assert {k: v for k, v in traffic["health_levels"].items() if v} == expected
    assert accounting.tallies[0].events == expected and accounting.tallies[0].used == len(lines)
    assert traffic["health"][0]["level"] == "fatal"  # fatal and panic come first
    assert traffic["health"][0]["example"] == "root(0): message file too big"
    hinted = {row["example"]: row["hint"] for row in traffic["health"]}
    assert "lookup table" in hinted["virtual_alias_domains lookup failure"]
    assert "crashed" in hinted["process /usr/local/libexec/postfix/smtpd pid 46234 killed by signal 11"]


def test_sasl_failures_by_ip_and_user_from_the_corpus(tmp_path: Path) -> None:
    corpus = shared_path("corpus", "postfix", "fail2ban", "postfix").read_text()
    lines = [line + "\n" for line in corpus.splitlines() if "authentication failed" in line and line[:1] != "#"]
    traffic, _ = traffic_of_lines(tmp_path, lines)
    assert traffic["sasl_failures"] == len(lines) > 5
    assert traffic["sasl_clients"] == len({re.search(r"\[([^\]]+)\](?::\d+)?: SASL", line).group(1) for line in lines})
    by_ip = {row["ip"]: row["count"] for row in traffic["sasl_ips"]}
    assert by_ip["1.1.1.1"] >= 2 and by_ip["192.0.2.152"] == 1
    assert {"user": "admin", "count": 1} in traffic["sasl_users"]


def test_postscreen_results_from_the_corpus(tmp_path: Path) -> None:
    corpus = shared_path("corpus", "postfix", "lightmeter", "mail.log").read_text()
    lines = [line + "\n" for line in corpus.splitlines() if "postfix/postscreen[" in line]
    traffic, accounting = traffic_of_lines(tmp_path, lines)
    results = {row["result"]: row["count"] for row in traffic["postscreen"]}
    assert results["CONNECT"] == sum(" CONNECT from " in line for line in lines) > 0
    assert results.get("PASS OLD", 0) + results.get("PASS NEW", 0) > 0
    lines_total = accounting.to_dict()["lines"]
    assert lines_total["used"] + lines_total["noise"] + lines_total["unparsed"] == lines_total["read"]


def test_reject_warnings_holds_and_discards_are_counted(tmp_path: Path) -> None:
    lines = [
        header("postfix/smtpd", "NOQUEUE: reject_warning: RCPT from example.com[192.0.2.34]: 553 5.7.1 "
                                "<a@example.com>: Sender address rejected: not owned by user u; from=<a@example.com>"
                                " to=<b@example.org> proto=ESMTP helo=<example.com>"),
        header("postfix/cleanup", "D8B07E3DB6: warning: header Subject: hello from example.net[192.0.2.5]; "
                                  "from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<example.net>"),
        header("postfix/cleanup", "D8B07E3DB7: hold: header Subject: x from example.net[192.0.2.5]; "
                                  "from=<a@example.net> to=<b@example.org>"),
        header("postfix/smtpd", "D8B07E3DB8: discard: RCPT from example.net[192.0.2.5]: <b@example.org>: "
                                "Recipient address triggers DISCARD action; from=<a@example.net>"),
        header("postfix/cleanup", "D8B07E3DB9: warning: something that is no header check"),
    ]
    traffic, accounting = traffic_of_lines(tmp_path, lines)
    assert (traffic["reject_warnings"], traffic["held"], traffic["discarded"]) == (2, 1, 1)
    assert accounting.tallies[0].used == 4 and accounting.tallies[0].noise == 1


def test_received_senders_and_bytes(tmp_path: Path) -> None:
    lines = [
        header("postfix/smtpd", "4F1A2B3C4D: client=mail.example.net[192.0.2.7]"),
        header("postfix/qmgr", "4F1A2B3C4D: from=<Alice@Example.NET>, size=1200, nrcpt=1 (queue active)"),
        header("postfix/smtp", "4F1A2B3C4D: to=<bob@example.org>, relay=mx.example.org[192.0.2.9]:25, "
                               "delay=1.5, delays=0.1/0.2/0.3/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
        header("postfix/qmgr", "4F1A2B3C4D: from=<Alice@Example.NET>, size=1200, nrcpt=1 (queue active)"),
        header("postfix/smtpd", "5F1A2B3C4D: client=unknown[192.0.2.8]"),
        header("postfix/qmgr", "5F1A2B3C4D: from=<>, size=300, nrcpt=1 (queue active)"),
        header("postfix/pickup", "6F1A2B3C4D: uid=0 from=<root>"),
        header("postfix/qmgr", "6F1A2B3C4D: from=<root@mx.example.com>, size=50, nrcpt=1 (queue active)"),
    ]
    traffic, _ = traffic_of_lines(tmp_path, lines)
    assert (traffic["received"], traffic["bytes_received"], traffic["senders"]) == (3, 1550, 3)
    assert {row["key"] for row in traffic["top_sending_domains"]} == {"example.net", "192.0.2.8",
                                                                      "mx.example.com"}
    assert (traffic["delivered"], traffic["bytes_delivered"]) == (1, 1200)
    assert traffic["top_recipients"] == [{"key": "bob@example.org", "messages": 1, "bytes": 1200}]
    (domain,) = traffic["domains"]
    assert (domain["before_queue"], domain["in_queue"], domain["connection"], domain["transmission"]) == (
        0.1, 0.2, 0.3, 0.9)
    assert traffic["delays"] == {"p50": 1.5, "p95": 1.5, "max": 1.5}


def test_content_filter_hops_are_counted_as_pflogsumm_does_and_named(tmp_path: Path) -> None:
    corpus = shared_path("corpus", "postfix", "lightmeter", "individual_files", "5_zimbra_amavisd.log")
    traffic, _ = traffic_of_lines(tmp_path, [corpus.read_text()])
    # one message through two filters (ports 10026 and 10032), then to Gmail: pflogsumm says 3 delivered
    assert (traffic["delivered"], traffic["content_filter_hops"]) == (3, 2)


def test_pflogsumms_names_for_clients_and_senders() -> None:
    assert client_domain("mail.example.net[192.0.2.7]") == "example.net"
    assert client_domain("mx.mail.example.co.uk[192.0.2.7]") == "example.co.uk"
    assert client_domain("unknown[192.0.2.7]") == "192.0.2.7"
    assert sender_key("Alice@Example.NET") == "Alice@example.net" and sender_key("") == "from=<>"


def test_new_sections_render_within_the_limits(generate) -> None:
    log, _ = generate("--lines", "100000", "--seed", "9")
    accounting = Accounting()
    summary = summarize(read_frame([str(log)], accounting, jobs=1), accounting, top=7)
    for key in ("domains", "providers", "top_senders", "top_senders_by_bytes", "sender_failures", "health",
                "top_recipients", "top_recipients_by_bytes", "recipient_failures",
                "sasl_ips", "master", "postscreen_clients", "smtpd_clients"):
        assert len(summary["traffic"][key]) <= 7, key
    assert 0 < len(summary["traffic"]["tls_outbound"]["domains"]) <= 7
    text = render_text(summary)
    assert "Grand totals" in text and "Postfix warnings" in text
    assert "smtpd connections: " in text and "deliveries to remote hosts" in text
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    html = render_html(summary)
    assert 'id="traffic"' in html and 'id="health"' in html
    assert "deliveries to remote hosts" in html and "smtpd connections by client" in html
    assert all("tls_share" in row for row in summary["traffic"]["domains"])
    assert traffic_of(accounting.tallies) is not None


def smtpd_section(output: str) -> tuple[dict[str, str], dict[str, tuple[int, int, int, int]]]:
    """pflogsumm's "smtpd" totals ({label: value}) and its per host/domain connections
    ({domain: (connections, seconds, avg, max)})."""
    totals = {}
    for line in output.split("\nsmtpd\n", 1)[1].split("\n\n\n", 1)[0].splitlines():
        m = re.match(r"\s+(\S+)\s+(\D.*)$", line)
        if m:
            totals[m.group(2)] = m.group(1)
    body = output.split("Host/Domain Summary: SMTPD Connections", 1)[1].split("\n\n", 1)[0]
    clients = {}
    for line in body.splitlines():
        m = re.match(r"\s+(\d+)\s+(\d+):(\d\d):(\d\d)\s+(\d+)s\s+(\d+)s\s+(\S+)$", line)
        if m:
            hours, minutes, seconds = (int(v) for v in m.group(2, 3, 4))
            clients[m.group(7)] = (int(m.group(1)), 3600 * hours + 60 * minutes + seconds, int(m.group(5)),
                                   int(m.group(6)))
    return totals, clients


@pytest.mark.parametrize("case", CASES[:3], ids=["-".join(c[1::2]) for c in CASES[:3]])
def test_smtpd_connections_equal_pflogsumms_smtpd_stats(case, generate, pflogsumm: Path) -> None:
    log, _ = generate("--lines", "30000", "--syslog-names", "postfix", *case)
    output = subprocess.run(["perl", str(pflogsumm), "--smtpd-stats", str(log)], check=True,
                            capture_output=True, text=True).stdout
    totals, clients = smtpd_section(output)
    traffic = ours(log)
    smtpd = traffic["smtpd"]
    assert smtpd["connections"] == int(totals["connections"]) > 1000
    assert smtpd["hosts_domains"] == int(totals["hosts/domains"])
    hours, minutes, seconds = (int(v) for v in totals["total connect time"].split(":"))
    assert len(traffic["smtpd_clients"]) == 10
    if "rfc3339" in case:  # pflogsumm drops the fractions of the stamps, we keep them: < 1 s per connection
        assert abs(smtpd["total_seconds"] - (3600 * hours + 60 * minutes + seconds)) < smtpd["connections"]
        assert all(row["connections"] == clients[row["client"]][0] for row in traffic["smtpd_clients"])
        return
    assert int(smtpd["avg_seconds"] + 0.5) == int(totals["avg. connect time (seconds)"])
    assert smtpd["total_seconds"] == 3600 * hours + 60 * minutes + seconds
    for row in traffic["smtpd_clients"]:
        expected = clients[row["client"]]
        assert (row["connections"], row["total_seconds"], int(row["avg_seconds"] + 0.5),
                row["max_seconds"]) == expected, row["client"]


def test_outbound_tls_pairs_each_delivery_with_its_process_connection(tmp_path: Path) -> None:
    """Real lines: the processes' TLS lines and deliveries are interleaved; deliveries to the content
    filter on 127.0.0.1 and the bounced ones are not counted."""
    corpus = shared_path("corpus", "postfix", "lightmeter", "individual_files",
                         "2_multiple_recipients_some_bounces.log")
    traffic, _ = traffic_of_lines(tmp_path, [corpus.read_text()])
    outbound = traffic["tls_outbound"]
    assert (outbound["deliveries"], outbound["tls"], outbound["share"]) == (2, 2, 1.0)
    assert outbound["by_trust"] == {"Anonymous": 0, "Untrusted": 0, "Trusted": 2, "Verified": 0}
    assert sorted(row["domain"] for row in outbound["domains"]) == ["dst1.example.com", "dst2.example.com"]
    assert {"direction": "outbound", "trust": "Trusted", "count": 3} in traffic["tls"]


def process_line(process: str, message: str, second: int) -> str:
    return f"Mar  1 10:{second // 60:02d}:{second % 60:02d} mx {process}: {message}\n"


def smtp_line(pid: int, message: str, second: int) -> str:
    return process_line(f"postfix/smtp[{pid}]", message, second)


def delivered(qid: str, to: str, relay: str, conn_use: int = 0) -> str:
    reuse = f" conn_use={conn_use}," if conn_use else ""
    return (f"{qid}: to=<{to}>, relay={relay},{reuse} delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, "
            "status=sent (250 2.0.0 Ok)")


def test_tls_pairing_rule_follows_connections_of_one_process(tmp_path: Path) -> None:
    mx_a, mx_b = "mx.example.org[192.0.2.10]:25", "mx.example.net[192.0.2.20]:25"
    lines = [
        smtp_line(7, f"Verified TLS connection established to {mx_a}: TLSv1.3 with cipher X (256/256 bits)", 1),
        smtp_line(8, f"Untrusted TLS connection established to {mx_b}: TLSv1.2 with cipher Y (128/128 bits)", 1),
        smtp_line(7, delivered("1A2B3C4D5E", "a@example.org", mx_a), 2),          # TLS, Verified
        smtp_line(7, delivered("1A2B3C4D5E", "b@example.org", mx_a), 2),          # same transaction
        smtp_line(8, delivered("2A2B3C4D5E", "c@example.net", mx_b), 2),          # TLS, Untrusted (pid 8)
        smtp_line(7, delivered("3A2B3C4D5E", "d@example.org", mx_a, 2), 3),       # reused connection
        smtp_line(7, delivered("4A2B3C4D5E", "e@example.org", mx_a), 4),          # new connection, no TLS
        smtp_line(7, delivered("5A2B3C4D5E", "f@example.org", mx_a, 2), 5),       # reuses that plain one
        smtp_line(8, delivered("6A2B3C4D5E", "g@example.org", mx_a), 5),          # pid 8, another relay
        smtp_line(8, delivered("7A2B3C4D5E", "h@example.net", mx_b, 2), 6),       # session of pid 8 ended
    ]
    traffic, _ = traffic_of_lines(tmp_path, lines)
    outbound = traffic["tls_outbound"]
    assert (outbound["deliveries"], outbound["tls"]) == (8, 4)
    assert outbound["by_trust"] == {"Anonymous": 0, "Untrusted": 1, "Trusted": 0, "Verified": 3}
    rows = {row["domain"]: (row["deliveries"], row["tls"]) for row in outbound["domains"]}
    assert rows == {"example.org": (6, 3), "example.net": (2, 1)}


def test_tls_pairing_and_connections_across_ranges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut into byte ranges anywhere (a TLS line in one range, its deliveries in the next; a connect in
    one, its disconnect in the next), the figures are those of one sequential read."""
    from analyzer.engine import plan
    from analyzer.formats import postfix_log

    mx = "mx.example.org[192.0.2.10]:25"
    lines = []
    for n in range(60):
        pid, qid = 100 + n % 3, f"{n:02d}A2B3C4D5E"
        if n % 4 == 0:
            lines.append(smtp_line(pid, f"Trusted TLS connection established to {mx}: TLSv1.3 with cipher Z", n))
        lines.append(smtp_line(pid, delivered(qid, f"u{n}@example.org", mx, 2 if n % 4 == 2 else 0), n))
        client = f"client{n % 7}.example.com[192.0.2.{n}]"
        lines.append(process_line(f"postfix/smtpd[{200 + n % 5}]", f"connect from {client}", 2 * n))
        lines.append(process_line(f"postfix/smtpd[{200 + (n + 2) % 5}]",
                                  f"disconnect from {client} ehlo=1 quit=1 commands=2", 2 * n + 1))
    one, _ = traffic_of_lines(tmp_path, lines)
    assert one["tls_outbound"]["tls"] > 10 and one["smtpd"]["connections"] > 10
    for size in (700, 1500, 4000):
        monkeypatch.setitem(plan.CHUNK_BYTES, postfix_log.NAME, size)
        log = tmp_path / "mail.log"
        accounting = Accounting()
        many = summarize(read_frame([str(log)], accounting, jobs=2), accounting, top=50)["traffic"]
        assert (many["tls_outbound"], many["smtpd"], many["smtpd_clients"]) == (
            one["tls_outbound"], one["smtpd"], one["smtpd_clients"]), size


def test_inbound_tls_and_connections_by_client_from_the_corpus(tmp_path: Path) -> None:
    corpus = shared_path("corpus", "postfix", "lightmeter", "mail.log").read_text()
    lines = [line + "\n" for line in corpus.splitlines() if "/smtpd[" in line]
    traffic, _ = traffic_of_lines(tmp_path, lines)
    smtpd = traffic["smtpd"]
    assert smtpd["connects"] == sum(": connect from " in line for line in lines) > 0
    assert smtpd["tls"] == sum("TLS connection established from" in line for line in lines) > 0
    assert 0 < smtpd["tls_share"] <= 1 and smtpd["connections"] <= smtpd["connects"]
    assert sum(row["tls"] for row in traffic["smtpd_clients"]) <= smtpd["tls"]
