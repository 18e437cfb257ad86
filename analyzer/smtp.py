"""SMTP reply codes (RFC 5321) and enhanced status codes (RFC 3463) found in reply text."""

from __future__ import annotations

import re

# A basic reply code, optionally followed by an enhanced code: "550 5.1.1", "550-5.1.1", "421 4.7.0".
_REPLY = re.compile(r"(?<![\w.])([245]\d\d)(?:[ -]+([245])\.(\d{1,3})\.(\d{1,3}))?(?![\w.])")
#: An RFC 3463 code standing on its own in text ("5.1.1", not "15.1.1" or "5.1.1.2").
ENHANCED = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\w.])")
# The usual case, a text that starts with both codes ("250 2.0.0 Ok"): what _REPLY finds there.
_LEADING = re.compile(r"([245]\d\d)[ -]+([245]\.\d{1,3}\.\d{1,3})(?![\w.])")


def find_reply(text: str) -> tuple[str | None, str | None]:
    """The first SMTP reply code and enhanced status code quoted in ``text``.

    >>> find_reply("said: 550-5.1.1 The email account ... 550 5.1.1 more")
    ('550', '5.1.1')
    """
    leading = _LEADING.match(text)
    if leading is not None:
        return leading.group(1), leading.group(2)
    reply = _REPLY.search(text)
    if reply is not None:
        code = reply.group(1)
        if reply.group(2):
            return code, f"{reply.group(2)}.{reply.group(3)}.{reply.group(4)}"
        enhanced = ENHANCED.search(text, reply.end())
        if enhanced is not None and enhanced.group(1) == code[0]:
            return code, enhanced.group(0)
        return code, None
    enhanced = ENHANCED.search(text)
    return None, enhanced.group(0) if enhanced else None


def is_enhanced(code: str | None) -> bool:
    """True for a syntactically valid RFC 3463 code ``class.subject.detail``."""
    return code is not None and ENHANCED.fullmatch(code) is not None


def code_class(enhanced: str | None, reply: str | None) -> str | None:
    """``'2'``, ``'4'`` or ``'5'``: the enhanced code's class, else the reply code's first digit."""
    for code in (enhanced, reply):
        if code and code[0] in "245":
            return code[0]
    return None
