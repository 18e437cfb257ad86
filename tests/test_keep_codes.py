"""`keep_code_pattern` of [phrase_defaults.userunknown]: "no such user" outside RCPT keeps Sisimai's `userunknown`
when its code is an X.1.x code about the recipient's address (RFC 3463 section 3.2, IANA registry, RFC 7505,
Microsoft's 5.1.10), else Sisimai's name is `filtered`."""

from __future__ import annotations

import re

import pytest

from analyzer.classify import default_classifier, load_rules
from analyzer.records import Record

TEXT = "550 {code} <bob@example.org>... No such user here"


def names(code: str, command: str | None) -> tuple[str | None, str | None]:
    record = Record(time=None, host=None, queue_id=None, sender=None, recipient="bob@example.org",
                    domain="example.org", status="bounced", smtp_code="550", enhanced_code=code, code_class="5",
                    diagnostic=TEXT.format(code=code), remote_mta=None, reason=None, hard=None, source="t",
                    smtp_command=command)
    default_classifier().classify(record)
    return record.reason, record.sisimai_reason


@pytest.mark.parametrize("command", [None, "DATA"])
@pytest.mark.parametrize("code", ["5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.6", "5.1.10", "4.1.1", "4.1.10"])
def test_recipient_address_codes_keep_userunknown(code: str, command: str | None) -> None:
    assert names(code, command) == ("userunknown", "userunknown")


@pytest.mark.parametrize("command", [None, "DATA"])
@pytest.mark.parametrize("code", ["5.1.5", "5.1.7", "5.1.8", "5.1.9", "5.1.100", "5.7.1", "5.0.0", "5.2.1"])
def test_other_codes_give_sisimais_filtered(code: str, command: str | None) -> None:
    reason, sisimai = names(code, command)
    assert sisimai == "filtered", (code, reason)


def test_answered_to_rcpt_it_is_userunknown_whatever_the_code() -> None:
    assert names("5.7.1", "RCPT") == ("userunknown", "userunknown")


def test_the_pattern_is_data_and_covers_the_registry_titles() -> None:
    pattern = re.compile(load_rules()["phrase_defaults"]["userunknown"]["keep_code_pattern"])
    kept = [f"5.1.{n}" for n in range(0, 12) if pattern.fullmatch(f"5.1.{n}")]
    assert kept == ["5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.6", "5.1.10"]
