"""Reply-code extraction and diagnostic normalisation."""

from __future__ import annotations

import random

import pytest
from conftest import SHARED

from analyzer import textnorm
from analyzer.smtp import code_class, find_reply, is_enhanced
from analyzer.textnorm import normalize, rule_text, unfold_reply


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


def _whole_text(text: str, replace) -> str:  # the reference: one pass over the whole text
    return textnorm._SPACES.sub(" ", textnorm._TOKENS.sub(replace, text)).strip()


_FRAGMENTS = [
    "550", "5.1.1", "550-5.1.1", "4.7.0", "250", "2.0.0", "<bob@example.net>", "bob@example.net", "x@y",
    "mx1.example.com", "mx1.example.com[192.0.2.7]:25", "192.0.2.7", "2001:db8::1", "[2001:db8::5]",
    "https://support.example.com/x?p=1", "4Q7kF2SGZLvNz6", "id=AB12CD34", "12345", "1.2.3.4.5", "v1.2",
    "user", "unknown", "(in", "reply", "to", "RCPT", "TO", "command)", "said:", "<", ">", "<<x>>", "-",
    ".", ":", ";", "=", "550 5.1.1x", "5.1.1<a@b.example>", "a.b", "€uro@exämple.de", "\t", "ſ", "K",
]


def test_word_by_word_replacement_equals_one_pass_over_the_text() -> None:
    rng = random.Random(7)
    texts = []
    for _ in range(3000):
        pieces = rng.choices(_FRAGMENTS, k=rng.randint(1, 12))
        texts.append("".join(p + rng.choice(["", " ", "  ", "\t", ", ", "", "."]) for p in pieces))
    texts += [line for line in _real_texts()]
    assert len(texts) >= 3000  # plus the real texts when ../shared is there
    for text in texts:
        assert normalize.__wrapped__(text) == _whole_text(text, textnorm._replace), text
        assert rule_text.__wrapped__(text) == unfold_reply(_whole_text(text, textnorm._replace_hosts_too)), text


def _real_texts() -> list[str]:
    """Status texts and reject replies of the real Postfix logs in ../shared, when present."""
    folder = SHARED / "corpus" / "postfix"
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for line in path.read_text(errors="replace").splitlines():
            for marker in ("status=", "reject: "):
                if marker in line:
                    found.append(line.partition(marker)[2])
    return found


# Gmail's replies as its SMTP error reference (support.google.com/a/answer/3726730) gives them, each line of
# the multi-line reply prefixed as RFC 5321 4.2.1 / RFC 2034 write it, joined as a diagnostic joins them.
_GMAIL_LINES = [
    ["550-5.7.1", "Our system has detected that this message is", "likely unsolicited mail. To reduce the amount of",
     "spam sent to Gmail, this message has been blocked."],
    ["550-5.1.1", "The email account that you tried to reach does not exist. Please try",
     "double-checking the recipient's email address for typos or", "unnecessary spaces."],
    ["452-4.2.2", "The email account that you tried to reach is over quota. Please direct",
     "the recipient to", "https://support.google.com/mail/?p=OverQuotaTemp"],
    ["421-4.7.0", "This message is suspicious due to the very low reputation of the", "sending IP address."],
]


def _multi_line(prefix: str, lines: list[str], sep: str) -> str:
    last = prefix.replace("-", " ", 1)
    return sep.join(f"{prefix if i < len(lines) - 1 else last} {line}" for i, line in enumerate(lines))


@pytest.mark.parametrize("lines", _GMAIL_LINES, ids=[lines[0] for lines in _GMAIL_LINES])
@pytest.mark.parametrize("sep", [" ", "\n"])
def test_a_multi_line_reply_is_read_as_one_sentence(lines: list[str], sep: str) -> None:
    joined = _multi_line(lines[0], lines[1:], sep)
    one_line = f"{lines[0]} " + " ".join(lines[1:])
    assert rule_text(joined) == rule_text(one_line)


@pytest.mark.parametrize(("text", "unfolded"), [
    ("550-Mailbox a 550-b 550 c", "550-Mailbox a b 550 c"),  # no enhanced code: only the "550-" lines
    ("550 5.1.1 no user 550 5.1.1 again", "550 5.1.1 no user 550 5.1.1 again"),  # one line: nothing to unfold
    ("said: 550-5.7.1 x 550-5.7.26 y", "said: 550-5.7.1 x 550-5.7.26 y"),  # another code: another reply
    ("no reply code here", "no reply code here"),
])
def test_only_the_repeated_prefixes_go(text: str, unfolded: str) -> None:
    assert unfold_reply(text) == unfolded
