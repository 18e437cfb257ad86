"""Block lists recognised offline in reply texts, and the listings table."""

from __future__ import annotations

import re
import signal
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

import analyzer
from analyzer import blocklists, frame
from analyzer.records import Record

# (reply text exactly as a log or bounce carries it, list, listed item)
CASES = [
    ("554 5.7.1 Service unavailable; Client host [203.0.113.45] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.45",
     "Spamhaus ZEN", "203.0.113.45"),
    ("host mx.example.net[198.51.100.7] said: 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10 (in reply to RCPT TO command)",
     "Spamhaus ZEN", "192.0.2.10"),
    ("550 5.7.1 Service unavailable; client [192.0.2.55] blocked using zen.spamhaus.org; https://www.spamhaus.org/pbl/query/PBL1234567",
     "Spamhaus PBL", "192.0.2.55"),
    ("554 5.7.1 Service unavailable; Client host [198.51.100.23] blocked using sbl.spamhaus.org; https://www.spamhaus.org/sbl/query/SBL654321",
     "Spamhaus SBL", "198.51.100.23"),
    ("550 5.7.1 Mail from IP 192.0.2.80 was rejected due to listing in Spamhaus SBL. For details please see http://www.spamhaus.org/query/bl?ip=192.0.2.80",
     "Spamhaus SBL", "192.0.2.80"),
    ("550 5.7.1 Service unavailable; Client host [203.0.113.99] blocked using xbl.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.99",
     "Spamhaus XBL", "203.0.113.99"),
    ("554 5.7.1 Service unavailable; Client host [203.0.113.98] blocked using css.spamhaus.org",
     "Spamhaus CSS", "203.0.113.98"),
    ("554 5.7.1 Service unavailable; Sender address [news@bulk.example.com] blocked using dbl.spamhaus.org; https://www.spamhaus.org/query/domain/bulk.example.com",
     "Spamhaus DBL", "bulk.example.com"),
    ("554 5.7.1 Service unavailable; Client host [2001:db8::25] blocked using zen.spamhaus.org",
     "Spamhaus ZEN", "2001:db8::25"),
    ("554 Service unavailable; Client host [192.0.2.31] blocked using Barracuda Reputation, http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.31",
     "Barracuda", "192.0.2.31"),
    ("host mx.example.org[198.51.100.4] refused to talk to me: 554 5.7.1 mx.example.org ESMTP not accepting messages from [192.0.2.32]: listed at b.barracudacentral.org",
     "Barracuda", "192.0.2.32"),
    ("550 5.7.1 Client host rejected: IP 203.0.113.77 is listed on bl.spamcop.net", "SpamCop", "203.0.113.77"),
    ("554 5.7.1 Blocked - see https://www.spamcop.net/bl.shtml?203.0.113.78", "SpamCop", "203.0.113.78"),
    ("550 5.7.1 Service unavailable; client [198.51.100.60] blocked using dnsbl-1.uceprotect.net; IP 198.51.100.60 is UCEPROTECT-Level1 listed. See http://www.uceprotect.net/rblcheck.php?ipr=198.51.100.60",
     "UCEPROTECT", "198.51.100.60"),
    ("554 5.7.1 Service unavailable; Client host [192.0.2.90] blocked using dnsbl.sorbs.net; Currently Sending Spam See: http://www.sorbs.net/lookup.shtml?192.0.2.90",
     "SORBS", "192.0.2.90"),
    ("550 5.7.1 Service unavailable; client [192.0.2.91] blocked using psbl.surriel.com", "PSBL", "192.0.2.91"),
    ("554 5.7.1 Service unavailable; Client host [192.0.2.92] blocked using bl.mailspike.net", "Mailspike", "192.0.2.92"),
    ("550 5.7.1 Service unavailable; client [192.0.2.24] blocked using ix.dnsbl.manitu.net", "NiX Spam", "192.0.2.24"),
    ("554 5.7.1 Service unavailable; Client host [192.0.2.26] blocked using combined.mail.abusix.zone; https://lookup.abusix.com/search?q=192.0.2.26",
     "Abusix", "192.0.2.26"),
    ("550 5.7.606 Access denied, banned sending IP [203.0.113.12]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 (AS16012609) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com 2026-03-01T00:00:00.000Z]",
     "Microsoft 365", "203.0.113.12"),
    ("host hotmail-com.olc.protection.outlook.com[198.51.100.33] said: 550 5.7.1 Unfortunately, messages from [203.0.113.13] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [AM4PEPF00027A5F.eurprd04.prod.outlook.com 2026-03-01T00:00:00.000Z] (in reply to MAIL FROM command)",
     "Outlook.com", "203.0.113.13"),
    ("554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=198.51.100.14", "Proofpoint", "198.51.100.14"),
    ("550 mwinf5c10 ME Adresse IP source bloquee pour incident de spam. Client host blocked for spamming issues. OFR006_102 Ref http://csi.cloudmark.com/reset-request/?ip=192.0.2.16 [102]",
     "Orange", "192.0.2.16"),
    ("421 mwinf5c77 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR_999 [999]",
     "Orange", None),
    ("554 5.7.1 Message rejected because of poor sender reputation (CSI). Reset requests: https://csi.cloudmark.com/en/reset/ - your IP 192.0.2.15",
     "Cloudmark", "192.0.2.15"),
    ("421 4.7.0 [TSS04] Messages from 192.0.2.17 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     "Yahoo / AOL", "192.0.2.17"),
    ("553 5.7.1 [TS03] All messages from 192.0.2.18 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
     "Yahoo / AOL", "192.0.2.18"),
    ("550-5.7.1 [192.0.2.19      12] Our system has detected that this message is 550-5.7.1 likely suspicious due to the very low reputation of the sending IP 550-5.7.1 address. To best protect our users from spam, the message has been 550-5.7.1 blocked. Please visit 550 5.7.1  https://support.google.com/mail/answer/188131 for more information. d2-20020a170906 - gsmtp",
     "Gmail reputation", "192.0.2.19"),
    ("421 4.7.0 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
     "Apple iCloud", None),
    ("host mx00.t-online.de[198.51.100.40] refused to talk to me: 554 IP=192.0.2.20 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)",
     "T-Online", "192.0.2.20"),
    ("554-gmx.net (mxgmx017) Nemesis ESMTP Service not available 554-No SMTP service 554-IP address is block listed. 554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=192.0.2.21&r=1MaxAB-1abcde",
     "GMX / Web.de", "192.0.2.21"),
    ("554 resimta-po-12v.sys.comcast.net resimta-po-12v.sys.comcast.net 192.0.2.22 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001",
     "Comcast", "192.0.2.22"),
    ("554 5.7.1 Service unavailable; Client host [192.0.2.23] blocked using dnsbl.example.net; see https://dnsbl.example.net/lookup",
     "dnsbl.example.net", "192.0.2.23"),
    ("SMTP error from remote mail server after MAIL FROM:<ops@example.com> SIZE=2048: host mx4.example.org [198.51.100.22]: 550 5.7.1 Your IP 203.0.113.2 is listed at rbl.example.org",
     "rbl.example.org", "203.0.113.2"),
]

NOT_LISTINGS = [
    "host mx.spamcop.net[192.0.2.1] said: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
    "450 4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html",
    "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp",
    "connect to mx.example.com[192.0.2.1]:25: Connection timed out",
    "550 5.1.1 Recipient not listed in example.com's directory",
    "",
    None,
]


@pytest.mark.parametrize(("text", "name", "item"), CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_find_listing(text: str, name: str, item: str | None) -> None:
    found = blocklists.find_listing(text)
    assert found is not None
    assert (found.name, found.item) == (name, item)
    assert found.how_en and found.how_de


@pytest.mark.parametrize("text", NOT_LISTINGS)
def test_not_a_listing(text: str | None) -> None:
    assert blocklists.find_listing(text) is None


def test_every_list_has_advice_in_both_languages() -> None:
    entries, generic = blocklists._table()
    assert len({e.name for e in entries}) == len(entries)
    for entry in entries:
        assert entry.how_en.strip() and entry.how_de.strip(), entry.name
        assert entry.url == "" or entry.url.startswith("https://"), entry.name
    assert all("item" in p.groupindex for p in generic)


@contextmanager
def hang_guard(seconds: int = 30):
    """Fail instead of hanging if a regex backtracks catastrophically (not a timing assertion)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def fail(*_: object) -> None:
        raise AssertionError("regex did not finish: catastrophic backtracking?")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


HOSTILE = ["a" * 1_000_000, "1." * 500_000, "[" * 1_000_000, "a:" * 500_000, "host a[" * 140_000,
           "blocked using " + "a" * 1_000_000, "listed at " * 100_000, "client host [" * 75_000,
           "[192.0.2.1 " * 90_000, "messages from " * 70_000, "ip=" * 330_000, "block listed " * 75_000]


@pytest.mark.parametrize("text", HOSTILE, ids=[h[:12] for h in HOSTILE])
def test_hostile_megabyte_line(text: str) -> None:
    with hang_guard():
        blocklists.find_listing.__wrapped__(text)
        found = blocklists.find_listing.__wrapped__("554 spamhaus " + text)
    assert found is not None and found.name == "Spamhaus ZEN"


def rec(status: str, diagnostic: str | None, minute: int, domain: str = "example.com") -> Record:
    return Record(time=datetime(2026, 3, 1, 3) + timedelta(minutes=minute), host="mx", queue_id="Q",
                  sender="s@example.org", recipient=f"u{minute}@{domain}", domain=domain, status=status,
                  smtp_code=None, enhanced_code=None, code_class=None, diagnostic=diagnostic, remote_mta=None,
                  reason=None, hard=None, source=f"log:{minute}")


OURS = "host mx.example.net[198.51.100.7] said: 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10 (in reply to RCPT TO command)"
THEIRS = "554 5.7.1 Service unavailable; Client host [203.0.113.{n}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.{n}"


def test_listings_directions_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        rec("bounced", OURS, 1, "example.com"), rec("deferred", OURS, 5, "example.net"),
        rec("bounced", OURS, 9, "example.com"),
        rec("rejected", THEIRS.format(n=5), 2, "example.org"), rec("rejected", THEIRS.format(n=5), 3, "example.org"),
        rec("rejected", THEIRS.format(n=6), 4, "example.org"),
        rec("sent", OURS, 6),  # never a listing: delivered
        rec("bounced", "550 5.1.1 user unknown", 7), rec("bounced", None, 8),
    ]
    calls: list[str] = []
    real = blocklists.find_listing

    def counting(text: str | None) -> blocklists.Listing | None:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(blocklists, "find_listing", counting)
    table = blocklists.listings(frame.to_frame(records))
    # distinct texts only (each at most once per stage: pattern pre-filter, then per text)
    assert set(calls) == {OURS, THEIRS.format(n=5), THEIRS.format(n=6), "550 5.1.1 user unknown"}
    assert len(calls) <= 2 * len(set(calls))
    assert list(table.columns) == list(blocklists.COLUMNS)
    rows = table[["direction", "list", "item", "count", "domains"]].values.tolist()
    assert rows == [["outbound", "Spamhaus ZEN", "192.0.2.10", 3, 2],
                    ["inbound", "Spamhaus ZEN", "203.0.113.5", 2, 1],
                    ["inbound", "Spamhaus ZEN", "203.0.113.6", 1, 1]]
    first = table.iloc[0]
    assert first["first_seen"] == datetime(2026, 3, 1, 3, 1) and first["last_seen"] == datetime(2026, 3, 1, 3, 9)
    assert first["example"] == OURS and first["url"].startswith("https://")


def test_listings_empty() -> None:
    table = blocklists.listings(frame.to_frame([rec("bounced", "550 5.1.1 user unknown", 1)]))
    assert table.empty and list(table.columns) == list(blocklists.COLUMNS)


def test_generated_log_listings_match_direct_counts(generate) -> None:
    log, _ = generate("--lines", "50000", "--seed", "3")
    table = blocklists.listings(analyzer.load(str(log)))
    lines = log.read_text("utf-8").splitlines()
    outbound = re.compile(r"status=(?:bounced|deferred|expired) ")
    for needle, prefix in (("spamhaus", "Spamhaus"), ("barracuda", "Barracuda")):
        out = sum(1 for line in lines if needle in line.lower() and outbound.search(line))
        inbound = sum(1 for line in lines if needle in line.lower() and "NOQUEUE: reject:" in line)
        found = table.loc[table["list"].str.startswith(prefix)].groupby("direction")["count"].sum()
        assert out and inbound, needle
        assert found.get("outbound", 0) == out, needle
        assert found.get("inbound", 0) == inbound, needle
    ours = table.loc[table["direction"] == "outbound", "item"].dropna().unique().tolist()
    assert len(ours) == 1  # the generator's one sending IP
