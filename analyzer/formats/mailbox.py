"""Bounce messages: mbox files, Maildir folders and single RFC 5322 messages (``.eml``, stdin).

The kind is decided by content: an mbox starts with ``From ``, a single message with header
lines, a Maildir is a directory holding ``cur/`` or ``new/``.  CRLF and bare-CR line endings are
normalised to LF before parsing, so the three read the same.

Parser choice: the standard library's ``email`` parser (``compat32`` policy) reads every message
on the hot path (about four times faster than mail-parser, which builds a dict of every header
and part for each message).  mail-parser is the retry: a message on which the standard parser
raises is parsed again with ``mailparser.parse_from_bytes`` and its ``.message`` decoded.  A
message that neither can read, or whose decoding raises, is counted as unparsed; it never stops
the run.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from email import errors as email_errors
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path
from typing import Any, BinaryIO

from ..records import Record, Tally
from ..sources import Input, decompressed
from . import bounce

NAME = "mailbox"
UNIT = "messages"

_CHUNK = 1 << 22
_BOUNDARY = re.compile(rb"\n\nFrom ")
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}:")
_KNOWN_HEADERS = frozenset(
    b"received return-path from to subject date message-id mime-version delivered-to "
    b"content-type x-original-to reply-to sender dkim-signature authentication-results "
    b"x-failed-recipients auto-submitted arc-seal x-received x-mailer".split()
)
#: Defects after which a message that gave no record counts as malformed, not as ordinary mail.
_SEVERE = (
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
    email_errors.FirstHeaderLineIsContinuationDefect,
    email_errors.MultipartInvariantViolationDefect,
)
_PARSER = BytesParser(policy=compat32)

logging.getLogger("mailparser").setLevel(logging.CRITICAL)
logging.getLogger("mailparser.core").setLevel(logging.CRITICAL)


def sniff(head: bytes, path: Path | None) -> bool:
    """True for a Maildir directory, an mbox (``From ``) or a single message (header lines)."""
    if not head:
        return path is not None and path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir())
    if head.startswith(b"From "):
        return True
    return looks_like_message(head)


def looks_like_message(head: bytes) -> bool:
    """True when ``head`` opens with an RFC 5322 header block naming at least one known field.

    Judged on structure over the whole head: a header block that the head ends inside (one field
    folded over many kilobytes, a ``To:`` of hundreds of addresses) counts with one known field.
    """
    lines = head.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    fields = known = 0
    for line in lines[:-1] if len(lines) > 1 else lines:
        if not line:
            return fields >= 2 and known >= 1
        if line[:1] in (b" ", b"\t"):
            if not fields:
                return False
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return False
        fields += 1
        known += line[: match.end() - 1].lower() in _KNOWN_HEADERS
    return known >= 1  # the head ended inside the header block


def normalise_newlines(data: bytes) -> bytes:
    """CRLF and bare CR line endings as LF."""
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _lf_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream in large chunks with line endings normalised (a CR at a chunk end is carried)."""
    carry = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            if carry:
                yield b"\n"
            return
        chunk = carry + chunk
        carry = b""
        if chunk.endswith(b"\r"):
            chunk, carry = chunk[:-1], b"\r"
        yield normalise_newlines(chunk)


def split_mbox(stream: BinaryIO) -> Iterator[bytes]:
    """Each message of an mbox, its ``From `` separator line included, LF line endings."""
    buffer = b""
    for chunk in _lf_chunks(stream):
        start = max(0, len(buffer) - 7)
        buffer += chunk
        last = 0
        for match in _BOUNDARY.finditer(buffer, start):
            yield buffer[last : match.start() + 1]
            last = match.start() + 2
        buffer = buffer[last:]
    if buffer.strip():
        yield buffer


def _unescape_from(data: bytes) -> bytes:
    """Drop the separator line and undo mboxrd ``>From `` quoting."""
    if data.startswith(b"From "):
        newline = data.find(b"\n")
        data = data[newline + 1 :] if newline >= 0 else b""
    if b"\n>From " in data:
        data = re.sub(rb"\n>(>*From )", rb"\n\1", data)
    return data


def parse_message(data: bytes) -> Message:
    """The message of ``data`` read by the standard parser, or by mail-parser when that raises."""
    try:
        return _PARSER.parsebytes(data)
    except Exception:
        import mailparser

        return mailparser.parse_from_bytes(data).message


def _messages(source: Input) -> Iterator[tuple[str, bytes]]:
    """(source label, raw LF bytes) of every message of one input."""
    path = source.path
    if path is not None and path.is_dir():
        for sub in ("new", "cur"):
            folder = path / sub
            if not folder.is_dir():
                continue
            for item in sorted(folder.iterdir()):
                if item.is_file() and not item.name.startswith("."):
                    with open(item, "rb") as handle:
                        yield str(item), normalise_newlines(decompressed(handle).read())
        return
    with source.open() as stream:
        if source.head.startswith(b"From "):
            for number, data in enumerate(split_mbox(stream), 1):
                yield f"{source.name}#{number}", data
        else:
            yield source.name, normalise_newlines(stream.read())


def parse(source: Input, tally: Tally, carry: dict[str, Any] | None = None) -> Iterator[Record]:
    """One record per failed (or reported) recipient of every bounce message of ``source``.

    ``carry["first_sight"]``, when present (``--state``), is asked about each message's key (its
    Message-ID, else a hash of it): a message seen by an earlier run is counted, not decoded again.
    """
    yield from _decode(_messages(source), tally, (carry or {}).get("first_sight"))


def splittable_mbox(head: bytes) -> bool:
    """True for an mbox with LF line endings, which can be read in byte ranges (see analyzer.engine.plan)."""
    return head.startswith(b"From ") and b"\r" not in head


def parse_range(source: Input, tally: Tally, data: bytes, first: int) -> Iterator[Record]:
    """The messages of one byte range of a plain LF mbox (starting at a ``From `` line), numbered
    from ``first``, exactly as :func:`parse` reads them."""
    messages = split_mbox(io.BytesIO(data))
    yield from _decode(((f"{source.name}#{n}", m) for n, m in enumerate(messages, first)), tally)


def _decode(messages: Iterable[tuple[str, bytes]], tally: Tally,
            first_sight: Callable[[str], bool] | None = None) -> Iterator[Record]:
    """Records of (source label, raw bytes) messages; every message is counted in ``tally``."""
    tally.unit = UNIT
    for where, data in messages:
        tally.read += 1
        try:
            data = _unescape_from(data)
            if not data.strip():
                tally.add_unparsed(where, "empty message")
                continue
            message = parse_message(data)
            if first_sight is not None and not first_sight(message_key(message, data)):
                tally.read -= 1
                tally.earlier += 1
                continue
            records = bounce.records_of(message, where)
        except Exception as error:
            tally.add_unparsed(where, f"{type(error).__name__}: {error}")
            continue
        if records:
            tally.used += 1
            tally.records += len(records)
            if _malformed(message):
                tally.add_malformed(where, _defect_names(message))
            yield from records
        elif _malformed(message):
            tally.add_unparsed(where, "malformed message: " + _defect_names(message))
        else:
            tally.noise += 1
            tally.noise_kinds["not a bounce"] += 1


def message_key(message: Message, data: bytes) -> str:
    """What identifies a message across runs: its Message-ID, else the hash of its bytes."""
    message_id = str(message.get("Message-ID", "") or "").strip()
    return f"id:{message_id}" if message_id else "sha256:" + hashlib.sha256(data).hexdigest()


def _defect_names(message: Message) -> str:
    return ", ".join(sorted({type(d).__name__ for d in _defects(message)})) or "no header"


def _defects(message: Message) -> Iterator[object]:
    for part in message.walk():
        yield from getattr(part, "defects", ())


def _malformed(message: Message) -> bool:
    """True when the message has no header at all or a broken MIME structure."""
    if not message.keys():
        return True
    return any(isinstance(d, _SEVERE) for d in _defects(message))
