"""Mailbox providers from recipient domains and remote MTAs."""

from __future__ import annotations

import re
import signal
import tomllib
from datetime import datetime, timedelta
from importlib import resources

import pandas as pd
import pytest

import analyzer
from analyzer import frame, providers
from analyzer.records import Record

# (recipient domain, remote MTA as the record carries it, provider)
CASES = [
    ("gmail.com", "gmail-smtp-in.l.google.com", "google"),
    ("googlemail.com", None, "google"),
    ("example.com", "aspmx.l.google.com", "google"),
    ("example.com", "alt2.aspmx.l.google.com", "google"),
    ("example.org", "alt1.gmail-smtp-in.l.google.com", "google"),
    ("example.com", "example-com.mail.protection.outlook.com", "microsoft"),
    ("hotmail.com", "hotmail-com.olc.protection.outlook.com", "microsoft"),
    ("outlook.de", None, "microsoft"),
    ("hotmail.co.uk", None, "microsoft"),
    ("live.com", "none", "microsoft"),
    ("msn.com", None, "microsoft"),
    ("yahoo.com", "mta7.am0.yahoodns.net", "yahoo"),
    ("yahoo.co.jp", None, "yahoo"),
    ("yahoo.de", None, "yahoo"),
    ("aol.com", None, "yahoo"),
    ("example.net", "mx-aol.mail.gm0.yahoodns.net", "yahoo"),
    ("icloud.com", "mx01.mail.icloud.com", "apple"),
    ("me.com", None, "apple"),
    ("mac.com", None, "apple"),
    ("example.de", "mx02.mail.icloud.com", "apple"),
    ("gmx.de", "mx00.emig.gmx.net", "gmx"),
    ("gmx.net", None, "gmx"),
    ("gmx.at", None, "gmx"),
    ("web.de", "mx-ha02.web.de", "gmx"),
    ("example.de", "mx00.kundenserver.de", "ionos"),
    ("example.de", "mx01.ionos.de", "ionos"),
    ("t-online.de", "mx03.t-online.de", "t-online"),
    ("proton.me", "mail.protonmail.ch", "proton"),
    ("example.ch", "mailsec.protonmail.ch", "proton"),
    ("protonmail.com", None, "proton"),
    ("zoho.com", "mx.zoho.com", "zoho"),
    ("example.in", "mx2.zoho.in", "zoho"),
    ("yandex.ru", "mx.yandex.ru", "yandex"),
    ("example.ru", "mx.yandex.net", "yandex"),
    ("mail.ru", "mxs.mail.ru", "mailru"),
    ("bk.ru", None, "mailru"),
    ("fastmail.com", "in1-smtp.messagingengine.com", "fastmail"),
    ("comcast.net", "mx1a1.comcast.net", "comcast"),
    ("orange.fr", "smtp-in.orange.fr", "orange"),
    ("wanadoo.fr", None, "orange"),
    ("free.fr", "mx1.free.fr", "free"),
    ("qq.com", "mx3.qq.com", "tencent"),
    ("example.com", "inbound-smtp.eu-west-1.amazonaws.com", "amazon-ses"),
    ("example.com", "us-smtp-inbound-1.mimecast.com", "mimecast"),
    ("example.com", "mx0a-00123456.pphosted.com", "proofpoint"),
    ("example.com", "d123456a.ess.barracudanetworks.com", "barracuda"),
    ("example.com", "example-com.mail.eo.outlook.com", "microsoft"),
    ("example.com", "mx1.example.com", "other"),
]

MESSY = [
    # remote MTA fields as formats write them: trailing dots, comments, brackets, Postfix placeholders
    ("example.jp", "gmr-smtp-in.l.google.com. (2001:db8::e, the server for the domain example.jp.)", "google"),
    ("example.jp", "MX01.MAIL.ICLOUD.COM.", "apple"),
    ("gmail.com", "[192.0.2.222]", "google"),
    ("gmail.com", "unknown", "google"),
    ("example.com", "192.0.2.9", "other"),
    ("example.com", "dovecot", "other"),
    (None, None, "other"),
    ("", "", "other"),
    ("GMAIL.COM.", None, "google"),
]

NOT_PROVIDERS = [
    # suffixes match whole labels only
    ("notgmail.com", None), ("gmx.de.example.org", None), ("mygmx.net", None), ("example.com", "notgoogle.com"),
    ("example.com", "google.com.example.net"), ("yahoo.example", None), ("xoutlook.com", None),
]


@pytest.mark.parametrize(("domain", "mta", "expected"), CASES + MESSY)
def test_provider_of(domain: str | None, mta: str | None, expected: str) -> None:
    assert providers.provider_of(domain, mta) == expected


@pytest.mark.parametrize(("domain", "mta"), NOT_PROVIDERS)
def test_only_whole_label_suffixes(domain: str, mta: str | None) -> None:
    assert providers.provider_of(domain, mta) == "other"


def test_remote_mta_wins_over_domain() -> None:
    # a gmail.com address forwarded through a Microsoft-hosted relay is attributed to the MX that answered
    assert providers.provider_of("gmail.com", "example-com.mail.protection.outlook.com") == "microsoft"


def test_data_is_consistent() -> None:
    data = tomllib.loads(resources.files("analyzer.data").joinpath("mailbox_providers.toml").read_text("utf-8"))
    ids = [p["id"] for p in data["provider"]]
    assert len(ids) == len(set(ids)) and "other" not in ids
    for entry in data["provider"]:
        assert entry["label"], entry["id"]
        for pattern in entry.get("hosts", []) + entry.get("domain_patterns", []):
            re.compile(pattern)
            assert not re.search(r"[+*]", pattern), (entry["id"], pattern)  # bounded quantifiers only
    assert list(providers.labels())[-1] == "other"


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="hang guard needs SIGALRM")
def test_hostile_megabyte_names() -> None:
    previous = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(AssertionError("hang")))
    signal.alarm(30)
    try:
        for text in ("a" * 1_000_000, "a." * 500_000, "-" * 1_000_000, "x-" * 500_000 + ".com"):
            assert providers.provider_of.__wrapped__(text, text) == "other"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def rec(status: str, domain: str, mta: str | None, minute: int) -> Record:
    return Record(time=datetime(2026, 3, 1) + timedelta(minutes=minute), host="mx", queue_id="Q",
                  sender="s@example.org", recipient=f"u{minute}@{domain}", domain=domain, status=status,
                  smtp_code=None, enhanced_code=None, code_class=None, diagnostic=None, remote_mta=mta,
                  reason=None, hard=None, source=f"log:{minute}")


RECORDS = [
    rec("sent", "gmail.com", "gmail-smtp-in.l.google.com", 1),
    rec("sent", "example.com", "aspmx.l.google.com", 2),
    rec("bounced", "gmail.com", "gmail-smtp-in.l.google.com", 3),
    rec("deferred", "example.com", None, 4),            # relay=none: only the domain is known
    rec("expired", "example.com", None, 5),
    rec("deferred", "hotmail.com", "hotmail-com.olc.protection.outlook.com", 6),
    rec("sent", "hotmail.com", "hotmail-com.olc.protection.outlook.com", 7),
    rec("rejected", "example.org", "mail.example.net", 8),  # inbound: not an attempt
]


def test_with_provider_looks_up_each_host_and_domain_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple] = []
    real_host, real_domain = providers._of_host, providers._of_domain
    monkeypatch.setattr(providers, "_of_host", lambda mta: calls.append(("host", mta)) or real_host(mta))
    monkeypatch.setattr(providers, "_of_domain", lambda d: calls.append(("domain", d)) or real_domain(d))
    df = frame.to_frame(RECORDS + RECORDS).set_axis(range(100, 116))
    out = providers.with_provider(df)
    assert len(calls) == len(set(calls))
    domains = {d if isinstance(d, str) else None for d in df["domain"].tolist()}
    assert {c for c in calls if c[0] == "domain"} == {("domain", d) for d in domains}
    assert isinstance(out["provider"].dtype, pd.CategoricalDtype)
    assert out.index.equals(df.index) and "provider" not in df.columns
    rows = zip(df["domain"].tolist(), df["remote_mta"].tolist(), strict=True)
    expected = [providers.provider_of(*(v if isinstance(v, str) else None for v in row)) for row in rows]
    assert out["provider"].astype(str).tolist() == expected
    assert expected[:8] == ["google", "google", "google", "other", "other", "microsoft", "microsoft", "other"]


def test_by_provider_rates() -> None:
    table = providers.by_provider(frame.to_frame(RECORDS)).set_index("provider")
    assert list(table.index) == ["other", "google", "microsoft"]  # by failures
    google = table.loc["google"]
    assert google[["sent", "deferred", "bounced", "expired", "total", "failures", "domains"]].tolist() == [
        2, 0, 1, 0, 3, 1, 2]
    assert google["bounce_rate"] == pytest.approx(1 / 3)
    assert table.loc["microsoft", "deferral_rate"] == 0.5
    assert table.loc["other", "bounce_rate"] == 1.0
    assert table.loc["google", "label"].startswith("Google")


def test_by_provider_empty() -> None:
    table = providers.by_provider(frame.to_frame([]))
    assert table.empty and {"provider", "label", "bounce_rate", "failures"} <= set(table.columns)


def test_generated_log_providers(generate) -> None:
    log, _ = generate("--lines", "50000", "--seed", "3")
    df = providers.with_provider(analyzer.load(str(log)))
    table = providers.by_provider(df).set_index("provider")
    assert {"google", "microsoft", "yahoo", "apple", "gmx"} <= set(table.index)
    assert table["total"].sum() == int(df["status"].isin(frame.ATTEMPT_STATUSES).sum())
    hosted = df.loc[df["remote_mta"].str.endswith(".protection.outlook.com", na=False)]
    assert len(hosted) and (hosted["provider"] == "microsoft").all()
    google = df.loc[df["remote_mta"].str.endswith(".l.google.com", na=False)]
    assert len(google) and (google["provider"] == "google").all()
