"""Open inputs (files, directories, globs, stdin; gzip/bzip2/xz by content) and sniff their kind."""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import lzma
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

_MAGIC: tuple[tuple[bytes, Callable[[io.BufferedReader], io.BufferedIOBase]], ...] = (
    (b"\x1f\x8b", lambda f: gzip.GzipFile(fileobj=f)),
    (b"BZh", lambda f: bz2.BZ2File(f)),
    (b"\xfd7zXZ\x00", lambda f: lzma.LZMAFile(f)),  # noqa: SIM115
)
SNIFF_BYTES = 65536


class InputError(Exception):
    """An input that cannot be found or read; the CLI turns it into one line and exit status 2."""


@dataclass
class Input:
    """One input: a name for ``source`` columns, a way to open it, and what it holds."""

    name: str
    path: Path | None
    kind: str
    head: bytes
    mtime: datetime | None
    _stream: BinaryIO | None = None
    #: why the input cannot be read (kind "unreadable": a file found in a directory or glob)
    error: str | None = None
    #: the part to read, in decompressed bytes (``--state``: what an earlier run has not read yet);
    #: ``end`` None is to the end, and ``first_unit`` is the number of the part's first line
    start: int = 0
    end: int | None = None
    first_unit: int = 1
    _window: _Window | None = None

    @property
    def splittable(self) -> bool:
        """True for a plain (uncompressed) regular file, which can be read in byte ranges."""
        if self.path is None or not self.path.is_file():
            return False
        with open(self.path, "rb") as raw:
            magic = raw.read(6)
        return not any(magic.startswith(prefix) for prefix, _ in _MAGIC)

    @property
    def length(self) -> int:
        """Bytes of the part to read of a plain file (its size when read whole)."""
        assert self.path is not None
        end = self.path.stat().st_size if self.end is None else self.end
        return max(0, end - self.start)

    def open(self) -> BinaryIO:
        """The decompressed byte stream of the part to read (stdin can be opened once)."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            return stream
        assert self.path is not None
        raw = open(self.path, "rb")  # noqa: SIM115 (closed with the stream returned)
        self._window = _Window(decompressed(raw), self.start, self.end)
        return io.BufferedReader(self._window, 1 << 17)

    @property
    def read_to(self) -> int | None:
        """Where the part read ended, in decompressed bytes (after :meth:`open` was read to its end)."""
        if self.end is not None:
            return self.end
        return None if self._window is None else self._window.position


class _Window(io.RawIOBase):
    """The bytes of a stream from ``start`` (skipped by reading: a compressed stream cannot seek)
    to ``end`` (None: to its end); ``position`` is where reading has got to."""

    def __init__(self, inner: BinaryIO, start: int, end: int | None) -> None:
        self.inner, self.end, self.position = inner, end, 0
        if start and inner.seekable():  # a plain file; a compressed one is read up to ``start``
            self.position = inner.seek(start)
        while self.position < start and (skipped := len(inner.read(min(1 << 20, start - self.position)))):
            self.position += skipped

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        room = len(buffer) if self.end is None else min(len(buffer), self.end - self.position)
        data = self.inner.read(room) if room > 0 else b""
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


#: Most a compressed input may expand, as a multiple of its compressed bytes (``--max-expand``; 0: no
#: limit).  Logs compress 10 to 50 times; a file of zeros over a thousand times (a decompression bomb).
MAX_EXPAND = 200
#: Bytes any compressed input may give before the ratio applies (a small file of a few kilobytes).
EXPAND_ALLOWANCE = 16 * 1024 * 1024


class ExpansionError(OSError):
    """A compressed input that expands past :data:`MAX_EXPAND` times its size."""


class _Counted(io.RawIOBase):
    """The compressed bytes, counted as the decompressor reads them."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class _Bounded(io.RawIOBase):
    """Decompressed bytes that stop with :class:`ExpansionError` past the ratio."""

    def __init__(self, inner: io.BufferedIOBase, counted: _Counted, ratio: int) -> None:
        self.inner, self.counted, self.ratio, self.count = inner, counted, ratio, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.inner.readinto(buffer)
        self.count += n
        if self.ratio and self.count > EXPAND_ALLOWANCE and self.count > self.ratio * self.counted.count:
            raise ExpansionError(f"expands more than {self.ratio} times its compressed size "
                                 f"(a decompression bomb? see --max-expand)")
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


def decompressed(raw: BinaryIO) -> io.BufferedReader[Any]:
    """``raw`` itself, or a gzip/bzip2/xz reader over it when its first bytes say it is compressed
    (which stops past :data:`MAX_EXPAND` times the compressed size)."""
    # typing.BinaryIO declares no readinto, which a BufferedReader reads through; every stream given
    # here has it (a file, stdin's buffer, click's BytesIO in tests)
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
    magic = buffered.peek(6)[:6]
    for prefix, wrap in _MAGIC:
        if magic.startswith(prefix):
            counted = _Counted(buffered)
            inner = wrap(io.BufferedReader(counted))
            return io.BufferedReader(_Bounded(inner, counted, MAX_EXPAND), 1 << 17)
    return buffered


_ROTATED = re.compile(r"(?P<stem>.*?)(?:\.(?P<number>\d{1,4})|-(?P<date>\d{8,10}))?(?:\.(?:gz|bz2|xz))?")


def rotation_order(path: Path) -> tuple[str, str, int, int, str]:
    """A sort key that puts rotated logs oldest first: ``mail.log.2.gz``, ``mail.log.1``, ``mail.log``;
    dated rotations (``mail.log-20261128``) in date order before the live file."""
    match = _ROTATED.fullmatch(path.name)
    assert match is not None  # every part of the pattern is optional
    if match.group("number"):
        return (str(path.parent), match.group("stem"), 0, -int(match.group("number")), "")
    if match.group("date"):
        return (str(path.parent), match.group("stem"), 1, 0, match.group("date"))
    return (str(path.parent), match.group("stem"), 2, 0, path.name)


def oldest_rotation_first(specs: list[str]) -> list[str]:
    """``specs`` with the named files of one log's rotations oldest first, where the first of them
    stands (a shell's ``mail.log*`` gives ``mail.log mail.log.1 mail.log.2.gz``, newest first)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for spec in specs:
        if spec != "-" and os.path.isfile(spec):
            groups.setdefault(rotation_order(Path(spec))[:2], []).append(spec)
    ordered = {key: iter(sorted(group, key=lambda spec: rotation_order(Path(spec))))
               for key, group in groups.items()}
    return [next(ordered[rotation_order(Path(spec))[:2]]) if spec != "-" and os.path.isfile(spec) else spec
            for spec in specs]


@dataclass(frozen=True)
class Found:
    """A file found inside a directory (not named by the user), and why it cannot be read if it cannot."""

    path: Path
    error: str | None = None


def expand(specs: list[str]) -> Iterator[str | Path | Found]:
    """Paths named by ``specs``: files, directories (their files), globs, ``-`` for stdin.

    The files of a directory or glob come oldest rotation first (:func:`rotation_order`).
    """
    if specs.count("-") > 1:
        raise InputError("-: standard input can be read only once; name it once")
    for spec in oldest_rotation_first(specs):
        if spec == "-":
            yield "-"
            continue
        path = Path(spec)
        if path.is_dir():
            if (path / "cur").is_dir() or (path / "new").is_dir():
                yield path  # a Maildir is one input
                continue
            children = sorted((p for p in path.iterdir() if not p.name.startswith(".")), key=rotation_order)
            if not children:
                raise InputError(f"{spec}: directory is empty")
            for child in children:
                # a dangling symlink in a directory is one unreadable file, not the end of the run; a
                # FIFO or device there is not opened (it could block for ever)
                if not child.exists():
                    yield Found(child, "dangling symbolic link")
                elif not (child.is_file() or child.is_dir()):
                    yield Found(child, "not a regular file (a FIFO, socket or device)")
                else:
                    yield Found(child)
        elif path.exists():
            yield path
        elif glob.has_magic(spec):
            matches = [str(p) for p in sorted(map(Path, glob.glob(spec)), key=rotation_order)]
            if not matches:
                raise InputError(f"{spec}: no file matches this pattern")
            yield from expand(matches)
        else:
            raise InputError(f"{spec}: no such file or directory")


def _found(item: Found, sniff: Callable[[bytes, Path | None], str]) -> Input | None:
    """The input of a file found in a directory; an unreadable one is kind ``unreadable``."""
    if item.error is None:
        try:
            return next(open_inputs([str(item.path)], sniff))
        except InputError as error:
            reason = str(error).removeprefix(f"{item.path}: ")
            return Input(str(item.path), item.path, "unreadable", b"", None, error=reason)
    return Input(str(item.path), item.path, "unreadable", b"", None, error=item.error)


def open_inputs(specs: list[str], sniff: Callable[[bytes, Path | None], str]) -> Iterator[Input]:
    """Each input named by ``specs`` with its kind as decided by ``sniff(head, path)``."""
    for item in expand(specs):
        if isinstance(item, Found):
            if item.error is None and item.path.is_dir():
                yield from open_inputs([str(item.path)], sniff)  # a directory inside a directory
                continue
            found = _found(item, sniff)
            if found is not None:
                yield found
            continue
        if item == "-":
            stream = decompressed(sys.stdin.buffer)
            head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
            yield Input("<stdin>", None, sniff(head, None), head, None, stream)
            continue
        assert isinstance(item, Path)
        try:
            mtime = datetime.fromtimestamp(os.stat(item).st_mtime)
            if item.is_dir():
                yield Input(str(item), item, sniff(b"", item), b"", mtime)
                continue
            if not item.is_file():
                # a pipe, FIFO or device (``<(zcat mail.log.gz)``): it can be read once, so the
                # stream that was sniffed is the one that is parsed, as for stdin
                stream = decompressed(open(item, "rb"))  # noqa: SIM115 (the parser reads it to the end)
                head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
                yield Input(str(item), None, sniff(head, None), head, mtime, stream)
                continue
            with decompressed(open(item, "rb")) as stream:
                head = stream.read(SNIFF_BYTES)
        except (OSError, EOFError, lzma.LZMAError) as error:
            raise InputError(f"{item}: cannot read: {getattr(error, 'strerror', None) or error}") from None
        yield Input(str(item), item, sniff(head, item), head, mtime)
