"""The bounce half's speed-ups read exactly as the plain forms they replace (issue 11): family patterns
searched in lower-cased text with ``\\bword`` rewritten, the SMTP command found in lower-cased text, and
the address parser's answers kept per distinct header value (made-up addresses)."""

from __future__ import annotations

import re
from email.utils import getaddresses
from email.utils import parseaddr as stdlib_parseaddr

import pytest

from analyzer.classify import _bundled, command_of
from analyzer.formats.bounce import textual
from analyzer.formats.bounce.mail import addresses_in, parseaddr

TEXTS = [
    "Received: by mx.example.net (Exim 4.96)", "maxim exim4 exims", "(EXIM) said", "qmail-send program",
    "Hi. This is the QMAIL program at mx.example.net, invoked", "Lotus Domino Release 9", "dominos", "GMX.net",
    "gmxx", "ZOHO Mail", "IMail Server", "iMailing", "FML list", "fmlserv", "Apache James", "jamesbond",
    "St. James", "brexim relay", "myfml", "sunzoho", "x-failed-recipients: bob@example.net", "Mail Delivery Software", "Google Groups",
    "", "the Postfix program", "(#5.1.1)",
]


@pytest.mark.parametrize("text", TEXTS)
def test_family_patterns_match_as_case_blind_originals(text: str) -> None:
    """Each family pattern, as compiled, finds what its case-blind original finds (in ASCII text: a few
    non-ASCII letters, such as the dotted capital I, lower-case to two characters)."""
    for (name, fast), (_, plain) in zip(textual.FAMILIES, _case_blind_families(), strict=True):
        assert bool(fast.search(text.lower())) == bool(plain.search(text)), (name, text)


def _case_blind_families() -> list[tuple[str, re.Pattern[str]]]:
    """The family patterns as written, compiled case-blind (the form before the speed-ups)."""
    return [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in textual.FAMILY_EVIDENCE]


def test_word_rewrite_keeps_the_boundary_before_the_word() -> None:
    assert textual._word_first(r"\bexim\b|mail delivery") == r"exim(?<=\bexim)\b|mail delivery"
    fast = re.compile(textual._word_first(r"\bjames\b"))
    assert fast.search("apache james server") and not fast.search("jamesbond") and not fast.search("stjames")


@pytest.mark.parametrize("text", [
    "550 5.1.1 <bob@example.net>: Recipient address rejected (in reply to RCPT TO command)",
    "SMTP error from remote mail server after RCPT TO:<bob@example.net>: 550 No such user",
    "host mx.example.net said: 552 Message size exceeds limit (in reply to end of DATA command)",
    "Connection refused at the Initial Connection, said the GREETING", "MAIL FROM:<alice@example.org> 553",
    "after DATA: 554 spam", "no command here at all", "ehlo rejected; later RCPT TO and DATA",
])
def test_command_of_reads_as_the_case_blind_patterns(text: str) -> None:
    table = _bundled("reasons.toml")["command_in_text"]
    plain = [(name, re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))
             for name, patterns in table.items()]
    for variant in (text, text.upper(), text.lower()):
        found = [(m.start(), n, name) for n, (name, pattern) in enumerate(plain)
                 if (m := pattern.search(variant[:3000]))]
        assert command_of(variant) == (min(found)[2] if found else None), variant  # the earliest, then table order


@pytest.mark.parametrize("value", [
    "Mail Delivery System <MAILER-DAEMON@mx.example.net>", "bob@example.net", "<Bob@Example.NET>",
    '"Smith, Bob" <bob@example.net>, alice@example.org', "(comment) bob@example.net", "", "not an address",
    "=?utf-8?q?B=C3=B6b?= <bob@example.net>", "bob@example.net (Bob)",
])
def test_cached_address_parsing_answers_as_email_utils(value: str) -> None:
    for _ in range(2):  # the second answer comes from the cache
        assert parseaddr(value) == stdlib_parseaddr(value)
        assert list(addresses_in([value])) == getaddresses([value])
        assert list(addresses_in([value, "carol@example.com"])) == getaddresses([value, "carol@example.com"])
