"""Reply-code extraction and diagnostic normalisation."""

from __future__ import annotations

import pytest

from analyzer.smtp import code_class, find_reply, is_enhanced
from analyzer.textnorm import normalize, rule_text


@pytest.mark.parametrize(("text", "expected"), [
    ("550-5.1.1 The email account that you tried 550 5.1.1 more", ("550", "5.1.1")),
    ("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", ("421", "4.7.0")),
    ("554 delivery error: dd This user doesn't have an account", ("554", None)),
    ("5.7.1 Rejected by SpamAssassin", (None, "5.7.1")),
    ("250 2.0.0 Ok: queued as 52B470398E", ("250", "2.0.0")),
    ("550 Requested action not taken: mailbox unavailable 5.1.1", ("550", "5.1.1")),
    ("450 greylisted, 5.7.1 is not the same class", ("450", None)),
    ("no code at all", (None, None)),
])
def test_find_reply(text: str, expected: tuple) -> None:
    assert find_reply(text) == expected


def test_codes() -> None:
    assert is_enhanced("5.7.606") and not is_enhanced("5.7") and not is_enhanced(None)
    assert code_class("4.4.1", "550") == "4" and code_class(None, "250") == "2" and code_class(None, None) is None


def test_normalize_groups_one_error_from_many_recipients() -> None:
    a = normalize("host mx.example.net[192.0.2.7] said: 550 5.1.1 <bob@example.net>: user unknown (id 4Q7kF2SGZLvNz6)")
    b = normalize("host mx.example.net[192.0.2.9] said: 550 5.1.1 <eve@example.net>: user unknown (id 9X1kQ2SGZLvNz0)")
    assert a == b == "host mx.example.net[<ip>] said: 550 5.1.1 <*>: user unknown (id <id>)"
    assert rule_text("connect to mx1.example.com[2001:db8::1]:25: Connection refused") == (
        "connect to <host>[<ip>]:<n>: Connection refused")
    assert normalize("see https://support.example.com/x?p=1 and 421-4.7.28") == "see <url> and 421-4.7.28"


def test_normalize_is_linear_on_hostile_input() -> None:
    text = "a" * 300_000 + "@" + "b." * 100_000 + "<" * 50_000 + "1." * 100_000
    assert len(normalize(text)) > 0
