"""Tier 5b: a reply that names a block list of blocklists.toml gets [listed]'s reason for that list."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analyzer.blocklists import list_name
from analyzer.classify import Classifier, default_classifier, load_rules, merge_rules
from analyzer.records import Record


def record(diagnostic: str, enhanced: str | None = None, smtp: str | None = None) -> Record:
    return Record(time=None, host=None, queue_id=None, sender=None, recipient="a@example.net",
                  domain="example.net", status="bounced", smtp_code=smtp, enhanced_code=enhanced,
                  code_class=None, diagnostic=diagnostic, remote_mta=None, reason=None, hard=None, source="t")


def decide(text: str, classifier: Classifier | None = None, **kwargs: str) -> tuple[str | None, str | None]:
    r = (classifier or default_classifier()).classify(record(text, **kwargs))
    return r.reason, r.rule


#: no phrase file at all: only codes, the command and the block-list tier can decide
BARE = Classifier(load_rules(phrase_files=[]))


@pytest.mark.parametrize(("text", "reason", "rule"), [
    # IP lists (the sending host is listed): blocked
    ("554 5.7.1 Client host [192.0.2.7] blocked using zen.spamhaus.org", "blocked", "listed:Spamhaus ZEN"),
    ("550 5.7.1 see https://www.spamhaus.org/query/ip/192.0.2.7", "blocked", "listed:Spamhaus ZEN"),
    ("554 5.7.1 192.0.2.7 is in sbl.spamhaus.org", "blocked", "listed:Spamhaus SBL"),
    ("550 5.7.1 http://www.barracudacentral.org/lookups?ip=192.0.2.7", "blocked", "listed:Barracuda"),
    ("550 5.7.1 https://www.spamcop.net/bl.shtml?192.0.2.7", "blocked", "listed:SpamCop"),
    ("554 5.7.1 http://www.uceprotect.net/rblcheck.php?ipr=192.0.2.7", "blocked", "listed:UCEPROTECT"),
    ("550 5.7.1 rbl restriction: dnsbl.example.org", "blocked", "listed:dnsbl.example.org"),
    ("550 5.7.606 Access denied, banned sending IP [192.0.2.7]", "blocked", "listed:Microsoft 365"),
    # URI / domain lists judge the message's content
    ("554 5.7.1 message refused, see multi.surbl.org", "spamdetected", "listed:SURBL"),
    ("554 5.7.1 refused by black.uribl.com", "spamdetected", "listed:URIBL"),
    ("554 5.7.1 URL in message refused, dbl.spamhaus.org", "spamdetected", "listed:Spamhaus DBL"),
    # the DBL naming a sender domain, not a link: the sender's IP-like block
    ("554 5.7.1 sender domain example.com refused by dbl.spamhaus.org", "blocked", "listed:Spamhaus DBL"),
    # a provider's reputation verdict
    ("550 5.7.1 very low reputation of the sending IP address", "badreputation", "listed:Gmail reputation"),
])
def test_each_list_kind_gets_its_reason(text: str, reason: str, rule: str) -> None:
    assert decide(text, BARE) == (reason, rule)


def test_a_url_only_reply_is_blocked() -> None:
    # the normaliser turns the link into "<url>": no phrase can read it, the raw text names Spamhaus
    assert decide("554 5.7.1 https://www.spamhaus.org/query/ip/192.0.2.1") == ("blocked", "listed:Spamhaus ZEN")
    assert decide("554 5.7.1 https://www.spamhaus.org/query/ip/192.0.2.1", BARE)[0] == "blocked"


def test_the_listed_tier_beats_specific_codes() -> None:
    # 5.7.1 alone would be securityerror (code table); the same reply without the list keeps it
    assert decide("554 5.7.1 https://www.spamhaus.org/query/ip/192.0.2.1", BARE, enhanced="5.7.1")[0] == "blocked"
    assert decide("554 5.7.1 https://www.example.org/query/ip/192.0.2.1", BARE, enhanced="5.7.1") == (
        "securityerror", "code:5.7.1")


def test_a_phrase_that_decides_still_decides() -> None:
    # tier 5 comes first: a stated cause wins over the list the same text names
    text = "550 5.1.1 <a@example.net>: Recipient address rejected: User unknown; see https://www.spamhaus.org/"
    assert decide(text) == ("userunknown", "phrase:userunknown")
    text = "552 5.2.2 mailbox full (listed at dnsbl.example.org)"
    assert decide(text)[0] == "mailboxfull"


@pytest.mark.parametrize("text", [
    "550 5.1.1 <a@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
    "554 5.7.1 Message refused, queue 4Q7kF2 at mx.example.org",
    "421 4.7.0 Try again later, closing connection",
    "550 5.7.1 not listed in dnsbl.example.org",  # "not listed" names no listing
])
def test_a_text_naming_no_list_is_unchanged(text: str) -> None:
    plain = Classifier(load_rules())
    plain._listed_default = None  # the tier switched off: every other tier as before
    assert list_name(text) is None
    assert decide(text) == decide(text, plain)


def test_listed_reasons_are_data() -> None:
    extra = {"listed": {"reason": "policyviolation", "list": [{"name": "SpamCop", "reason": "spamdetected"}]}}
    custom = Classifier(merge_rules(load_rules(phrase_files=[]), extra))
    assert decide("550 5.7.1 https://www.spamcop.net/bl.shtml?192.0.2.7", custom) == (
        "spamdetected", "listed:SpamCop")
    assert decide("550 5.7.1 see https://www.spamhaus.org/query/ip/192.0.2.7", custom) == (
        "policyviolation", "listed:Spamhaus ZEN")
    assert custom.classify(record("554 5.7.1 see multi.surbl.org")).reason == "spamdetected"  # base's list kept


def test_blocklists_imports_without_pandas() -> None:
    code = "import sys, analyzer.blocklists, analyzer.classify; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _unscreened(text: str) -> str | None:
    """The first list whose patterns match, tried without the literal screen (the slow way)."""
    from analyzer import blocklists

    low = blocklists._WRAPPER.sub("", text.lower(), count=1)
    for entry in blocklists._table()[0]:
        for pattern in entry.patterns:
            match = pattern.search(low)
            if match is not None:
                zone = (match.groupdict().get("zone") or "").rstrip(".;,:")
                return entry.name.format(zone=zone) if "{zone}" in entry.name else entry.name
    return None


def test_the_literal_screen_never_hides_a_listing() -> None:
    from tests.test_blocklists import CASES, NOT_LISTINGS

    texts = [c[0] for c in CASES] + [t for t in NOT_LISTINGS if t] + [
        "host mx.example.net[192.0.2.1] said: 554 5.7.1 see https://www.spamhaus.org/query/ip/192.0.2.1",
        "550 5.7.1 NiX Spam listed", "550 5.7.1 [TS01] deferred", "550 5.7.1 reason: pbl1234567",
    ]
    for text in texts:
        assert list_name(text) == _unscreened(text), text


@pytest.mark.parametrize(("pattern", "literal"), [
    (r"spamcop\.net", "spamcop.net"),
    (r"(?<![\w-])dbl\.spamhaus\.org", "dbl.spamhaus.org"),
    (r"\bpbl\d{4,10}\b", "pbl"),  # the bounds of a counted repeat are no literal
    (r"mailspike\.(?:net|org|io)", "mailspike."),  # a group ends the run
    (r"\bnix ?spam\b", "spam"),  # an optional character ends a run ("nixspam" matches): the longer one
    (r"ab+c", "ab"),  # one b at least
    (r"[\]a]bc", "bc"),  # a class, even one that holds a bracket
    (r"spamhaus|spamcop", ""),  # alternatives at the top level: no literal every match holds
])
def test_the_literal_every_match_contains(pattern: str, literal: str) -> None:
    from analyzer.blocklists import _required_literal

    assert _required_literal(pattern) == literal
