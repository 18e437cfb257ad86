"""The classifier: precedence, rule names, hard/soft, provider tables, linear patterns."""

from __future__ import annotations

import pytest

from analyzer.classify import Classifier, command_of, default_classifier, load_rules, merge_rules
from analyzer.formats.bounce import scan
from analyzer.records import Record
from analyzer.textnorm import rule_text


def record(diagnostic: str | None, status: str = "bounced", enhanced: str | None = None,
           smtp: str | None = None, **extra: object) -> Record:
    """A record with the fields the classifier reads."""
    return Record(time=None, host=None, queue_id=None, sender=None, recipient="a@example.net",
                  domain=extra.pop("domain", "example.net"), status=status, smtp_code=smtp,  # type: ignore[arg-type]
                  enhanced_code=enhanced, code_class=None, diagnostic=diagnostic,
                  remote_mta=extra.pop("remote_mta", None),  # type: ignore[arg-type]
                  reason=None, hard=None, source="t", **extra)  # type: ignore[arg-type]


def decide(*args: object, **kwargs: object) -> tuple[str | None, bool | None, str | None]:
    r = default_classifier().classify(record(*args, **kwargs))  # type: ignore[arg-type]
    return r.reason, r.hard, r.rule


def sisimai(*args: object, **kwargs: object) -> tuple[str | None, str | None]:
    """Our reason and Sisimai's name for it."""
    r = default_classifier().classify(record(*args, **kwargs))  # type: ignore[arg-type]
    return r.reason, r.sisimai_reason


@pytest.mark.parametrize(("status", "reason"), [
    ("sent", "delivered"), ("expired", "expired"), ("complaint", "feedback"), ("autoreply", "vacation")])
def test_status_decides_first(status: str, reason: str) -> None:
    assert decide("550 5.1.1 user unknown", status, "5.1.1") == (reason, False, f"status:{status}")


def test_user_unknown_depends_on_the_command() -> None:
    assert decide("550 5.1.1 <x@example.net>: User unknown (in reply to RCPT TO command)", enhanced="5.1.1",
                  smtp="550")[:2] == ("userunknown", True)
    assert decide("550 User unknown", smtp="550", smtp_command="RCPT")[:2] == ("userunknown", True)
    # after DATA the address is just as unknown (Sisimai calls it "filtered": its own column says so)
    assert decide("SMTP error after end of data: 550 User unknown", smtp="550") == (
        "userunknown", True, "phrase:userunknown")
    assert sisimai("SMTP error after end of data: 550 User unknown", smtp="550") == ("userunknown", "filtered")
    assert sisimai("550 5.2.1 User unknown", enhanced="5.2.1", smtp="550") == ("userunknown", "filtered")


def test_user_unknown_without_a_command_keeps_sisimai_name_in_its_column() -> None:
    # no command known and no x.1.x code: Sisimai's "filtered"; a 5.1.1 code keeps "userunknown" there too
    assert decide("550 Unknown user", smtp="550")[:2] == ("userunknown", True)
    assert sisimai("550 Unknown user", smtp="550") == ("userunknown", "filtered")
    assert sisimai("550 5.1.1 Unknown user", smtp="550", enhanced="5.1.1") == ("userunknown", "userunknown")
    assert decide("550 5.1.0 User unknown", smtp="550", enhanced="5.1.0")[:2] == ("userunknown", True)
    # an answer to MAIL FROM is about the sender
    assert decide("553 5.1.0 <x@example.org> does not exist", smtp="553", enhanced="5.1.0",
                  smtp_command="MAIL")[0] == "rejected"
    # ... also when only words say it: the sender address is unknown there (it was onhold)
    assert decide("550 User unknown", smtp="550", smtp_command="MAIL") == (
        "rejected", False, "phrase:userunknown->MAIL:rejected")
    # a refusal of the greeting or HELO with nothing more specific is "blocked", whatever its 5.7.x code
    assert decide("554 5.7.1 go away", smtp="554", enhanced="5.7.1", smtp_command="EHLO") == (
        "blocked", False, "command:HELO")


def test_words_beat_codes() -> None:
    assert decide("552 sorry, mailbox x is over quota temporarily (#5.1.1)", enhanced="5.1.1")[:2] == (
        "mailboxfull", False)
    # "delivery time expired" after a DNS failure: the DNS failure is the cause
    assert decide("Deferred: Name server: example.jp.: host name lookup failure", enhanced="4.4.7")[0] == (
        "networkerror")
    # a final bounce after a DNS failure is not promoted to "expired" (a timeout is)
    assert decide("Name service error for name=example.com type=A: Host not found, try again")[0] == (
        "networkerror")


def test_provider_error_labels() -> None:
    assert decide("550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416",
                  remote_mta="smtpz4.laposte.net")[0] == "userunknown"
    assert decide("550 5.1.1 <a@example.com> has sent to too many recipients this hour. IB607",
                  enhanced="5.1.1", remote_mta="smtp.secureserver.net")[0] == "speeding"
    assert decide("550 : User unknown", smtp="550", domain="ezweb.ne.jp")[0] == "filtered"
    assert decide("550 <a@ezweb.ne.jp>: User unknown", smtp="550", domain="ezweb.ne.jp")[0] == "userunknown"


def test_specific_codes_beat_vague_words_and_hard_flags() -> None:
    assert decide("552 5.2.2 blocked", enhanced="5.2.2")[:3] == ("mailboxfull", False, "code:5.2.2")
    assert decide("554 5.7.1 blocked", enhanced="5.7.1")[:3] == ("blocked", False, "phrase:blocked")
    # Postfix's own rate limit: the words beat the generic 4.7.1
    assert decide("450 4.7.1 Error: too much mail from 192.0.2.1", "deferred", "4.7.1")[0] == "speeding"
    assert decide("550 5.7.26 unauthenticated", enhanced="5.7.26")[0] == "authfailure"
    assert decide("556 5.1.10 null MX", enhanced="5.1.10")[:2] == ("notaccept", True)
    assert decide("421 4.3.2 not accepting messages", "deferred", "4.3.2")[:2] == ("notaccept", False)
    assert decide("host or domain name not found", enhanced="5.1.2")[:2] == ("hostunknown", True)


def test_codes_categories_replies_and_fallbacks() -> None:
    assert decide("whatever the server said", enhanced="5.3.4") == ("mesgtoobig", False, "code:5.3.4")
    assert decide(None, "deferred", category="512") == ("hostunknown", False, "category:512")
    assert decide("?", smtp="552")[2] == "reply:552"
    assert decide("", "deferred") == ("expired", False, "fallback:deferred")
    assert decide("zzz qqq", smtp="550") == ("onhold", False, "fallback:text")
    assert decide(None) == ("undefined", False, "none")


def test_decoder_hint_and_provider_rules() -> None:
    assert decide("anything", category="rejected") == ("rejected", False, "hint:rejected")
    # Yahoo's TSS04 deferral is a reputation problem, whatever the generic phrases say.
    assert decide("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", "deferred", "4.7.0",
                  remote_mta="mta5.am0.yahoodns.net")[0] == "badreputation"
    # A final bounce after connection timeouts is a network error (Sisimai: "expired"), as in a log.
    assert sisimai("connect to mx.example.net[192.0.2.1]:25: Connection timed out", enhanced="4.4.1") == (
        "networkerror", "expired")
    assert decide("connect to mx.example.net[192.0.2.1]:25: Connection timed out", "deferred", "4.4.1")[0] == (
        "networkerror")


def test_postfix_dns_failures() -> None:
    # "try again": a temporary DNS failure (the domain may well exist), not an unknown domain
    text = "Host or domain name not found. Name service error for name=x.example type=MX: Host not found, try again"
    assert decide(text, "deferred", "4.4.3", category="512")[0] == "networkerror"
    text = "Host or domain name not found. Name service error for name=x.example type=MX: Host not found"
    assert decide(text, "bounced", "5.4.4", category="512")[:2] == ("hostunknown", True)


def test_merge_rules_puts_extra_phrases_first() -> None:
    extra = {"phrase": [{"reason": "policyviolation", "patterns": ["user unknown"]}], "codes": {"5.1.1": "filtered"}}
    classifier = Classifier(merge_rules(load_rules(), extra))
    r = classifier.classify(record("550 user unknown", smtp="550", smtp_command="RCPT"))
    assert (r.reason, r.rule) == ("policyviolation", "user:policyviolation")


def test_user_phrases_win_over_everything_but_the_status() -> None:
    extra = {"phrase": [{"reason": "policyviolation", "patterns": ["frobnicated by the gateway"]}]}
    classifier = Classifier(merge_rules(load_rules(), extra))
    text = "550 5.1.1 frobnicated by the gateway"
    # over a strong code (5.1.1 would be "userunknown")
    r = classifier.classify(record(text, smtp="550", enhanced="5.1.1"))
    assert (r.reason, r.hard, r.rule) == ("policyviolation", False, "user:policyviolation")
    # over a decoder's hint, a provider's rules and the command (MAIL would move "userunknown")
    r = classifier.classify(record(text, smtp="550", enhanced="5.1.1", category="rejected"))
    assert r.rule == "user:policyviolation"
    r = classifier.classify(record(text + " no such recipient", smtp="550", enhanced="5.1.1",
                                   remote_mta="mta5.am0.yahoodns.net", smtp_command="MAIL"))
    assert r.rule == "user:policyviolation"
    # not over the status table
    r = classifier.classify(record(text, "sent", "5.1.1", smtp="550"))
    assert r.rule == "status:sent"
    # the bundled rules are unchanged without the user's file
    assert decide(text, smtp="550", enhanced="5.1.1")[2] == "code:5.1.1"


def test_provider_rules_by_reporting_mta_and_command() -> None:
    # a MessageLabs DSN reports the customer server's "No such user": an unknown mailbox
    assert decide("550 kijitora@example.org... No such user", smtp="550", enhanced="5.0.0",
                  reporting_mta="server-7.bemta-3.messagelabs.com")[2] == "provider:messagelabs:userunknown"
    assert sisimai("550 kijitora@example.org... No such user", smtp="550", enhanced="5.0.0") == (
        "userunknown", "filtered")
    # NTT docomo: "550 Unknown user" after DATA is its reception filter, at RCPT an unknown mailbox
    text = "550 Unknown user kijitora@docomo.ne.jp"
    assert decide(text, smtp="550", enhanced="5.0.0", remote_mta="mfsmax.docomo.ne.jp",
                  smtp_command="DATA")[0] == "rejected"
    assert decide(text, smtp="550", enhanced="5.0.0", remote_mta="mfsmax.docomo.ne.jp",
                  smtp_command="RCPT")[:2] == ("userunknown", True)


def test_a_refused_connection_is_blocked() -> None:
    text = "... while talking to mx.example.org.: <<< 554 IP=192.0.2.1 - A problem occurred. (BL)"
    assert command_of(text) == "CONN"
    assert command_of("... while talking to mx.example.org.: >>> RCPT To:<a@example.org> <<< 550 x") == "RCPT"
    assert decide("554 IP=192.0.2.1 - A problem occurred. (BL)", smtp="554", enhanced="5.5.0",
                  smtp_command="CONN") == ("blocked", False, "command:CONN")


def test_command_of() -> None:
    assert command_of("... (in reply to RCPT TO command)") == "RCPT"
    assert command_of("SMTP error from remote mail server after end of data: 550 x") == "DATA"
    assert command_of("after MAIL FROM:<a@b.example> ... then RCPT TO") == "MAIL"
    assert command_of("nothing") is None


@pytest.mark.parametrize("line", [
    "a" * 1_000_000,
    "550 " + "x@" * 500_000,
    "5.5.5." * 200_000,
    ("user " * 200_000) + "!",
    "<" * 1_000_000,
    "1.1.1.1." * 125_000,
    ("-" * 999_999) + "\n",
])
def test_hostile_lines_stay_linear(line: str) -> None:
    """1 MB lines of repeated tokens must not make any pattern backtrack catastrophically."""
    r = default_classifier().classify(record(line, smtp="550"))
    assert r.reason
    assert rule_text(line[:100000]) is not None
    assert isinstance(scan.blocks(line), list)


def test_a_huge_diagnostic_is_cut_before_it_is_read() -> None:
    r = default_classifier().classify(record("550 5.1.1 user unknown " + "x" * 5_000_000, smtp="550"))
    assert r.reason == "userunknown" and len(r.diagnostic or "") == 2000 and r.diagnostic.endswith("…")
