"""A read-only view of one parsed message that every bounce decoder reads.

Everything is computed lazily and once: decoded header values, the human-readable text of the
bounce (up to the copy of the original message), the delivery-status blocks and the headers of
the original message.  Decoding never raises: unknown charsets fall back to latin-1 and 8-bit
header bytes are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.header import decode_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses
from email.utils import parseaddr as _parseaddr
from functools import cached_property, lru_cache

_FOLD = re.compile(r"\r?\n[ \t]+")
_TAGS = re.compile(r"<[^<>]{0,2000}>")
_ENTITIES = {"&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'"}
_ENTITY = re.compile(r"&(?:nbsp|lt|gt|amp|quot|#39);")
_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_FIELD = re.compile(r"([A-Za-z][\w-]{0,40})[ \t]*:[ \t]*(.*)")
_HEADER_PARSER = HeaderParser(policy=compat32)
_ADDRESS = re.compile(r"[\w.!#$%&'*+=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")

#: Lines after which a bounce quotes the original message (its text ends there).
_ORIGINAL_MARKERS = re.compile(
    r"^[ \t]*(?:"
    r"-{2,}[ \t]*(?:this is a copy of|below this line|original message|the original message|"
    r"original mail|returned message|message headers follow|headers of (?:the )?original|"
    r"the header of the original|the headers of your message|"
    r"copy of the message|rfc822 headers|forwarded message|"
    r"(?:original|unsent|returned|rejected|undelivered) (?:message|mail|e-?mail)\b)"
    r"|message headers follow"
    r"|(?:original|returned) message (?:header|follow)s?"
    r"|the (?:original message|header of the original message) (?:is following|follows)"
    r"|content-type:[ \t]*(?:message/rfc822|text/rfc822-headers)"
    r")",
    re.IGNORECASE | re.MULTILINE,
)


def clean(text: str) -> str:
    """``text`` with undecodable bytes (surrogate escapes) replaced."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def decode_value(value: object) -> str:
    """A header value as text: RFC 2047 words decoded, folding removed, bad bytes replaced."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = clean(_FOLD.sub(" ", text))
    if "=?" not in text:
        return text.strip()
    try:
        out = []
        for chunk, charset in decode_header(text):
            if isinstance(chunk, bytes):
                out.append(_decode_bytes(chunk, charset))
            else:
                out.append(chunk)
        return "".join(out).strip()
    except Exception:
        return text.strip()


@lru_cache(maxsize=4096)
def parseaddr(value: str) -> tuple[str, str]:
    """:func:`email.utils.parseaddr`, once per distinct value: a mailbox's bounces repeat their senders
    (the daemon's From, the original's From and Return-Path), and the address parser is slow."""
    return _parseaddr(value)


@lru_cache(maxsize=4096)
def _addresses(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(getaddresses(values))


def addresses_in(values: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """:func:`email.utils.getaddresses` of header values, once per distinct list of values."""
    return _addresses(tuple(values))


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """``data`` decoded by its declared charset, else as UTF-8, else with replacements."""
    for name in (charset or "utf-8", "utf-8"):
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return data.decode(charset or "utf-8", "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def payload_text(part: Message) -> str:
    """The decoded text of a leaf part (transfer encoding and charset undone)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        raw = part.get_payload()
        return clean(raw) if isinstance(raw, str) else ""
    if not isinstance(data, bytes):
        return clean(str(data))
    charset = part.get_content_charset() or "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"
    text = _decode_bytes(data, charset)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def html_to_text(html: str) -> str:
    """Rough text of an HTML body: tags dropped, common entities decoded."""
    html = re.sub(r"(?i)<br[^>]{0,20}>|</(?:p|div|tr|li|h\d)>", "\n", html)
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], _TAGS.sub("", html))


def field_blocks(text: str) -> list[dict[str, str]]:
    """``Name: value`` blocks separated by blank lines (continuation lines unfolded)."""
    blocks = []
    for chunk in _BLOCK_SPLIT.split(_FOLD.sub(" ", text.replace("\r\n", "\n"))):
        pairs = []
        for line in chunk.split("\n"):
            match = _FIELD.match(line.strip())
            if match:
                pairs.append((match.group(1).lower(), match.group(2).strip()))
        blocks.extend(_split_fields(pairs))
    return blocks


_RECIPIENT_FIELDS = ("final-recipient", "original-recipient")


def _field_value(name: str, value: object) -> str:
    """A DSN field's value; recipient addresses are kept as written (no RFC 2047 decoding)."""
    if name.lower() in _RECIPIENT_FIELDS:
        return clean(_FOLD.sub(" ", str(value))).strip()
    return decode_value(value)


def _split_fields(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """Fields of one blank-line-separated block; a recipient field seen twice starts another block.

    (Some MTAs write the per-recipient blocks of a DSN without the blank lines between them.)
    """
    blocks: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields and (name in _RECIPIENT_FIELDS or any(f in fields for f in _RECIPIENT_FIELDS)):
            blocks.append(fields)
            fields = {}
        fields.setdefault(name, value)
    if fields:
        blocks.append(fields)
    return blocks


def address_of(value: str) -> str:
    """The bare lower-cased address of a header or DSN value (``rfc822; <a@b>`` -> ``a@b``)."""
    if ";" in value:
        value = value.split(";", 1)[1]
    value = value.strip().strip("<>").strip()
    if "<" in value or " " in value:
        value = parseaddr(value)[1] or value
    value = value.strip().strip("<>\"'.,;:").lower()
    if " " in value or "|" in value or "/" in value:
        found = _ADDRESS.search(value)
        if found:
            return found.group(0).strip(".")
    return value


class Mail:
    """What decoders read of one message; properties are computed on first use."""

    def __init__(self, message: Message) -> None:
        self.message = message
        #: A decoder that covers several families names the one it recognised here.
        self.decoded_by = ""

    def header(self, name: str) -> str:
        """The decoded value of the first ``name`` header, or ``""``."""
        return decode_value(self.message.get(name))

    @cached_property
    def sender(self) -> str:
        """The bounce's From address, lower-cased."""
        return parseaddr(self.header("From"))[1].lower()

    @cached_property
    def subject(self) -> str:
        """The bounce's Subject."""
        return self.header("Subject")

    @cached_property
    def content_type(self) -> str:
        """The top-level content type."""
        return self.message.get_content_type()

    @cached_property
    def parts(self) -> list[Message]:
        """Every part of the message (the message itself first)."""
        try:
            return list(self.message.walk())
        except Exception:
            return [self.message]

    @cached_property
    def typed_parts(self) -> list[tuple[str, Message]]:
        """(content type, part) of every part."""
        return [(p.get_content_type(), p) for p in self.parts]

    def parts_of(self, *types: str) -> list[Message]:
        """The parts whose content type is one of ``types``."""
        return [p for ctype, p in self.typed_parts if ctype in types]

    @cached_property
    def body_text(self) -> str:
        """Text of the bounce's own readable parts (not of the attached original), in order."""
        message = self.message
        if not message.is_multipart():
            text = payload_text(message)
            return html_to_text(text) if message.get_content_type() == "text/html" else text
        texts: list[str] = []
        htmls: list[str] = []
        self._collect(message, texts, htmls)
        if texts:
            return "\n".join(texts)
        return "\n".join(html_to_text(h) for h in htmls)

    def _collect(self, part: Message, texts: list[str], htmls: list[str]) -> None:
        payload = part.get_payload()
        if not isinstance(payload, list):
            return
        for sub in payload:
            if not isinstance(sub, Message):
                continue
            ctype = sub.get_content_type()
            if sub.is_multipart():
                if ctype != "message/rfc822":
                    self._collect(sub, texts, htmls)
            elif ctype.startswith("multipart/"):
                # a multipart whose boundary parameter was lost (an unfolded header line): its raw text
                texts.append(payload_text(sub))
            elif ctype == "text/plain" or ctype == "text/enriched":
                texts.append(payload_text(sub))
            elif ctype == "text/html":
                htmls.append(payload_text(sub))

    @cached_property
    def text(self) -> str:
        """The readable text up to the first line that introduces the original message."""
        body = self.body_text
        match = _ORIGINAL_MARKERS.search(body)
        return body[: match.start()] if match else body

    @cached_property
    def html_text(self) -> str:
        """The text of the bounce's HTML parts when it also has plain-text ones (else ``""``), up to the
        first line that introduces the original message."""
        message = self.message
        if not message.is_multipart():
            return ""
        texts: list[str] = []
        htmls: list[str] = []
        self._collect(message, texts, htmls)
        if not texts or not htmls:
            return ""
        body = "\n".join(html_to_text(h) for h in htmls)
        match = _ORIGINAL_MARKERS.search(body)
        return body[: match.start()] if match else body

    @cached_property
    def quoted_original(self) -> str:
        """The text after the original-message marker of the body (an inline copy), or ``""``."""
        body = self.body_text
        match = _ORIGINAL_MARKERS.search(body)
        return body[match.end() :] if match else ""

    @cached_property
    def dsn_blocks(self) -> list[dict[str, str]]:
        """Field blocks of the ``message/delivery-status`` parts (per-message block first)."""
        return self._report_blocks("message/delivery-status", "message/global-delivery-status")

    @cached_property
    def mdn_blocks(self) -> list[dict[str, str]]:
        """Field blocks of the ``message/disposition-notification`` parts (RFC 8098 3.1, RFC 6533)."""
        return self._report_blocks("message/disposition-notification",
                                   "message/global-disposition-notification")

    def _report_blocks(self, *types: str) -> list[dict[str, str]]:
        blocks: list[dict[str, str]] = []
        for part in self.parts_of(*types):
            payload = part.get_payload()
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, Message):
                        blocks.extend(_split_fields((k.lower(), _field_value(k, v)) for k, v in sub.items()))
            else:
                blocks.extend(field_blocks(payload_text(part)))
        return blocks

    @cached_property
    def original(self) -> Message | None:
        """The headers (and maybe body) of the original message, when the bounce carries them."""
        for ctype, part in self.typed_parts:
            if ctype in ("message/rfc822", "message/global") and part is not self.message:
                payload = part.get_payload()
                if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                    return payload[0]
            if ctype in ("text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header"):
                return _parse_headers(payload_text(part))
        quoted = self.quoted_original.lstrip("\n")
        if quoted:
            return _parse_headers(quoted)
        return None

    @cached_property
    def original_recipients(self) -> list[str]:
        """To/Cc addresses of the original message, lower-cased."""
        original = self.original
        if original is None:
            return []
        values = [decode_value(v) for v in original.get_all("To", []) + original.get_all("Cc", [])]
        return [a.lower() for _, a in addresses_in(values) if "@" in a]


def _parse_headers(text: str) -> Message | None:
    start = re.search(r"(?m)^[A-Za-z][\w-]{0,40}:[ \t]", text[:4000])
    if start is None:
        return None
    try:
        headers = _HEADER_PARSER.parsestr(text[start.start() :], headersonly=True)
    except Exception:
        return None
    return headers if headers.keys() else None
