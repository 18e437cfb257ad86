"""The state of nightly runs (``--state FILE``): what each input was read up to, the Postfix senders in
flight, what the traffic figures left open (:data:`CARRIED`), the bounce messages already counted, and
one row per run.

An SQLite database (the standard library's sqlite3).  A run holds one write transaction from start to
end: a second run on the same store waits :data:`LOCK_WAIT` seconds and gives up, and a run killed half
way leaves the store as the last complete run left it.

A file is known by its content, not its name: the hash of its first KB (decompressed), so
``mail.log`` renamed ``mail.log.1`` and later compressed to ``mail.log.2.gz`` is still the file read
up to a known offset, and a new file under an old name (or one truncated by ``copytruncate``) is new.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .records import Tally
from .sources import Input

if TYPE_CHECKING:
    from .suppress import Entry

SCHEMA_VERSION = 1
#: Seconds a run waits for another run that holds the store.
LOCK_WAIT = 5.0
#: Bytes of a file's decompressed beginning that identify it.
HEAD_BYTES = 1024
#: Days a Postfix queue id stays in flight (its sender known, its delivery not yet logged).
IN_FLIGHT_DAYS = 3

#: What the traffic figures leave open at the end of a run, for the next (the ``carry`` of
#: :class:`analyzer.traffic.Traffic`): the messages received whose ``qmgr`` line is still to come, the
#: smtpd connections still open, the TLS connection of each SMTP client process.  An added table, so
#: that stores of schema version 1 made before it are used as they are (it is created when missing).
_CARRIED_TABLE = """CREATE TABLE IF NOT EXISTS carried (kind TEXT NOT NULL, host TEXT NOT NULL,
  key TEXT NOT NULL, value TEXT NOT NULL, since TEXT NOT NULL, PRIMARY KEY (kind, host, key))"""
CARRIED = ("arrived", "connects", "tls_sessions")

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
  id INTEGER PRIMARY KEY, head_hash TEXT NOT NULL, head_len INTEGER NOT NULL, path TEXT NOT NULL,
  device INTEGER, inode INTEGER, compressed INTEGER NOT NULL, size INTEGER NOT NULL,
  offset INTEGER NOT NULL, units INTEGER NOT NULL, first_read TEXT NOT NULL, last_read TEXT NOT NULL);
CREATE INDEX files_by_head ON files (head_len, head_hash);
CREATE TABLE in_flight (host TEXT NOT NULL, queue_id TEXT NOT NULL, sender TEXT, size INTEGER,
  since TEXT NOT NULL, PRIMARY KEY (host, queue_id));
CREATE TABLE messages (key TEXT PRIMARY KEY, seen TEXT NOT NULL);
CREATE TABLE suppression (address TEXT PRIMARY KEY, reason TEXT NOT NULL, first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL, count INTEGER NOT NULL, hard INTEGER NOT NULL, score REAL NOT NULL,
  day TEXT NOT NULL);
CREATE TABLE listings (day TEXT NOT NULL, list TEXT NOT NULL, item TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (day, list, item));
CREATE TABLE daily (day TEXT NOT NULL, host TEXT NOT NULL, provider TEXT NOT NULL, domain TEXT NOT NULL,
  status TEXT NOT NULL, code_class TEXT NOT NULL, reason TEXT NOT NULL, hard INTEGER NOT NULL,
  count INTEGER NOT NULL, first_seen TEXT, last_seen TEXT,
  PRIMARY KEY (day, host, provider, domain, status, code_class, reason, hard));
CREATE TABLE runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT NOT NULL,
  inputs TEXT NOT NULL, lines INTEGER NOT NULL, messages INTEGER NOT NULL, records INTEGER NOT NULL,
  seconds REAL NOT NULL, version TEXT NOT NULL);
"""


class StoreError(Exception):
    """A store that cannot be used (locked by another run, corrupt, of another version)."""


@dataclass
class _Known:
    id: int
    offset: int
    units: int
    head_len: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _head_hash(head: bytes) -> str:
    return hashlib.sha256(head).hexdigest()


class Store:
    """One run's view of the store; use :func:`open_store`."""

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self.db, self.path = db, path
        self.started = datetime.now(UTC)
        self.dropped_in_flight = 0

    # -- files ------------------------------------------------------------------------------
    def _known(self, head: bytes) -> _Known | None:
        """The stored file whose first bytes are ``head``'s, the most recently read first."""
        lengths = [n for (n,) in self.db.execute("SELECT DISTINCT head_len FROM files") if 0 < n <= len(head)]
        for length in sorted(lengths, reverse=True):
            row = self.db.execute(
                "SELECT id, offset, units, head_len FROM files WHERE head_len = ? AND head_hash = ? "
                "ORDER BY last_read DESC LIMIT 1", (length, _head_hash(head[:length]))).fetchone()
            if row is not None:
                return _Known(*row)
        return None

    def unread_part(self, source: Input, tally: Tally) -> Input | None:
        """``source`` limited to what earlier runs have not read, or None when that is nothing.

        The units read earlier are counted in ``tally.earlier``. Only files are resumed: stdin, pipes
        and directories are read whole.
        """
        if source.path is None or not source.path.is_file() or not source.head:
            return source
        known = self._known(source.head[:HEAD_BYTES])
        start, first = (known.offset, known.units + 1) if known is not None else (0, 1)
        end = None
        if source.splittable:
            size = source.path.stat().st_size
            if size < start:  # shorter than what was read: not that file after all
                start, first, known = 0, 1, None
            end = _after_last_newline(source.path, start, size)
            if end <= start:
                tally.earlier = first - 1
                return None
        tally.earlier = first - 1
        return dataclasses.replace(source, start=start, end=end, first_unit=first, _window=None)

    def read_up_to(self, source: Input, tally: Tally) -> None:
        """Remember that ``source`` was read up to where its part ended."""
        assert source.path is not None
        offset = source.read_to
        if offset is None:
            return
        head = source.head[:HEAD_BYTES]
        stat = source.path.stat()
        units = source.first_unit - 1 + tally.read
        known = self._known(head)
        values = (_head_hash(head), len(head), str(source.path), stat.st_dev, stat.st_ino,
                  int(not source.splittable), stat.st_size, offset, units, _now())
        if known is None:
            self.db.execute(
                "INSERT INTO files (head_hash, head_len, path, device, inode, compressed, size, offset,"
                " units, last_read, first_read) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, _now()))
        elif offset >= known.offset:
            self.db.execute(
                "UPDATE files SET head_hash = ?, head_len = ?, path = ?, device = ?, inode = ?,"
                " compressed = ?, size = ?, offset = ?, units = ?, last_read = ? WHERE id = ?",
                (*values, known.id))

    # -- queue ids in flight and bounce messages ----------------------------------------------
    def in_flight(self) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], int]]:
        """The Postfix senders and message sizes of queue ids whose delivery an earlier run had not
        yet seen (the ``carry`` of :mod:`analyzer.formats.postfix_log`)."""
        senders, sizes = {}, {}
        for host, qid, sender, size in self.db.execute("SELECT host, queue_id, sender, size FROM in_flight"):
            if sender is not None:
                senders[(host, qid)] = sender
            if size is not None:
                sizes[(host, qid)] = size
        return senders, sizes

    def keep_in_flight(self, senders: dict[tuple[str, str], str], sizes: dict[tuple[str, str], int]) -> None:
        """Keep the queue ids still in flight after this run; those older than :data:`IN_FLIGHT_DAYS`
        are dropped and counted in ``dropped_in_flight``."""
        rows = self.db.execute("SELECT host, queue_id, since FROM in_flight")
        since = {(host, qid): first for host, qid, first in rows}
        oldest = (self.started - timedelta(days=IN_FLIGHT_DAYS)).isoformat(timespec="seconds")
        now = _now()
        kept = []
        for key in senders.keys() | sizes.keys():
            first = since.get(key, now)
            if first < oldest:
                self.dropped_in_flight += 1
            else:
                kept.append((*key, senders.get(key), sizes.get(key), first))
        self.db.execute("DELETE FROM in_flight")
        self.db.executemany("INSERT INTO in_flight VALUES (?, ?, ?, ?, ?)", kept)

    def dropped_warning(self) -> str:
        """What :meth:`keep_in_flight` dropped, in one line."""
        return (f"{self.dropped_in_flight} Postfix queue ids in flight for over {IN_FLIGHT_DAYS} days were "
                "dropped from the state store (a later delivery of theirs will have no sender)")

    def carried(self) -> dict[str, dict]:
        """What earlier runs left open for the traffic figures (:data:`CARRIED`), as the parser's carry."""
        from .traffic import TlsSession

        carry: dict[str, dict] = {kind: {} for kind in CARRIED}
        for kind, host, key, value in self.db.execute("SELECT kind, host, key, value FROM carried"):
            if kind == "arrived":
                carry[kind][(host, key)] = value
            elif kind == "connects":
                carry[kind][(host, key)] = datetime.fromisoformat(value) if value else None
            elif kind == "tls_sessions":
                carry[kind][(host, key)] = TlsSession(*json.loads(value))
        return carry

    def keep_carried(self, carry: dict) -> None:
        """Keep what this run left open (:data:`CARRIED` in ``carry``); what has been open for over
        :data:`IN_FLIGHT_DAYS` days is dropped (an arrival whose message cleanup rejected never gets its
        qmgr line; a process that died never logs its disconnect)."""
        since = {(kind, host, key): (value, first) for kind, host, key, value, first
                 in self.db.execute("SELECT kind, host, key, value, since FROM carried")}
        oldest = (self.started - timedelta(days=IN_FLIGHT_DAYS)).isoformat(timespec="seconds")
        now = _now()
        kept = []
        for kind in CARRIED:
            for (host, key), item in carry.get(kind, {}).items():
                if kind == "connects":
                    value = item.isoformat() if item is not None else ""
                elif kind == "tls_sessions":
                    value = json.dumps([item.relay, item.trust, item.qid])
                else:
                    value = item
                known, first = since.get((kind, host, key), (None, now))
                first = first if known == value else now
                if first >= oldest:
                    kept.append((kind, host, key, value, first))
        self.db.execute("DELETE FROM carried")
        self.db.executemany("INSERT INTO carried VALUES (?, ?, ?, ?, ?)", kept)

    def first_sight(self, key: str) -> bool:
        """True the first time a bounce message's key (Message-ID, else a hash) is seen."""
        try:
            self.db.execute("INSERT INTO messages VALUES (?, ?)", (key, _now()))
        except sqlite3.IntegrityError:
            return False
        return True

    # -- history ------------------------------------------------------------------------------
    def add_daily(self, rows: list[tuple]) -> None:
        """Add this run's daily aggregates (see :func:`analyzer.trends.daily_rows`) to the history."""
        self.db.executemany(
            "INSERT INTO daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "count = count + excluded.count, first_seen = min(coalesce(first_seen, excluded.first_seen), "
            "coalesce(excluded.first_seen, first_seen)), "
            "last_seen = max(coalesce(last_seen, excluded.last_seen), "
            "coalesce(excluded.last_seen, last_seen))",
            rows)

    def daily_rows(self, since_day: str = "") -> list[tuple]:
        """The daily aggregates from ``since_day`` on: (day, host, provider, domain, status,
        code_class, reason, hard, count), the columns :mod:`analyzer.trends` reads."""
        return [(*row[:7], bool(row[7]), row[8]) for row in self.db.execute(
            "SELECT day, host, provider, domain, status, code_class, reason, hard, count FROM daily "
            "WHERE day >= ? ORDER BY day", (since_day,))]

    def suppression(self) -> dict[str, Entry]:
        """The addresses scored by earlier runs (``--suppress``)."""
        from .suppress import Entry

        return {row[0]: Entry(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7])
                for row in self.db.execute("SELECT * FROM suppression")}

    def keep_suppression(self, entries: dict[str, Entry]) -> None:
        """Replace the scored addresses with ``entries``."""
        self.db.execute("DELETE FROM suppression")
        self.db.executemany("INSERT INTO suppression VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [(*e.row()[:5], int(e.hard), e.score, e.day) for e in entries.values()])

    def add_listings(self, day: str, listings: list[tuple[str, str, int]]) -> None:
        """This run's blocklistings of our side: (list, listed item, count) on ``day``."""
        self.db.executemany("INSERT INTO listings VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                            "count = count + excluded.count", [(day, *row) for row in listings])

    def new_listings(self, day: str) -> list[str]:
        """The listings of ``day`` that no earlier day had, as ``list: item``."""
        return [f"{name}: {item}" if item else name for name, item in self.db.execute(
            "SELECT list, item FROM listings WHERE day = ? EXCEPT "
            "SELECT list, item FROM listings WHERE day < ? ORDER BY 1, 2", (day, day))]

    def last_day(self) -> str | None:
        """The latest day the history has mail for."""
        return self.db.execute("SELECT max(day) FROM daily").fetchone()[0]

    # -- runs --------------------------------------------------------------------------------
    def finish(self, inputs: list[str], lines: int, messages: int, records: int) -> None:
        """Add this run's row and commit everything it changed."""
        finished = datetime.now(UTC)
        self.db.execute(
            "INSERT INTO runs (started, finished, inputs, lines, messages, records, seconds, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.started.isoformat(timespec="seconds"), finished.isoformat(timespec="seconds"),
             json.dumps(inputs), lines, messages, records, (finished - self.started).total_seconds(),
             __version__))
        self.db.execute("COMMIT")

    def describe(self) -> dict:
        """What the store holds: its files with their offsets, the last runs, counts."""
        names = ("path", "compressed", "size", "offset", "units", "first_read", "last_read")
        files = [dict(zip(names, row, strict=True)) for row in self.db.execute(
            f"SELECT {', '.join(names)} FROM files ORDER BY last_read")]
        runs = [dict(zip(("started", "seconds", "lines", "messages", "records", "version"), row, strict=True))
                for row in self.db.execute("SELECT started, seconds, lines, messages, records, version "
                                           "FROM runs ORDER BY id DESC LIMIT 10")]
        count = self.db.execute
        return {"store": self.path, "schema_version": SCHEMA_VERSION, "files": files, "last_runs": runs,
                "runs": count("SELECT count(*) FROM runs").fetchone()[0],
                "in_flight": count("SELECT count(*) FROM in_flight").fetchone()[0],
                "carried": count("SELECT count(*) FROM carried").fetchone()[0],
                "messages_seen": count("SELECT count(*) FROM messages").fetchone()[0]}


def _after_last_newline(path: Path, start: int, size: int) -> int:
    """The offset just after the last newline between ``start`` and ``size`` (``start`` if none):
    a line still being written is left for the next run."""
    with open(path, "rb") as raw:
        end = size
        while end > start:
            block = max(start, end - 65536)
            raw.seek(block)
            data = raw.read(end - block)
            newline = data.rfind(b"\n")
            if newline >= 0:
                return block + newline + 1
            end = block
    return start


def _connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        db.close()
        if "locked" in str(error) or "busy" in str(error):
            raise StoreError(f"{path}: another run is using this state store (waited {LOCK_WAIT:g} s)"
                             ) from None
        raise StoreError(f"{path}: not a usable state store: {error}") from None
    except sqlite3.DatabaseError as error:
        db.close()
        raise StoreError(f"{path}: not a state store (corrupt, or another kind of file): {error}") from None
    return db


def _check_schema(db: sqlite3.Connection, path: str) -> None:
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            for statement in _TABLES.strip().split(";\n"):
                db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('schema_version', ?), ('created', ?)",
                       (str(SCHEMA_VERSION), _now()))
            db.execute(_CARRIED_TABLE)
            return
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() \
            if "meta" in tables else None
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path}: not a state store (corrupt, or another kind of file): {error}") from None
    if row is None:
        raise StoreError(f"{path}: an SQLite database, but not an analyze state store")
    if int(row[0]) != SCHEMA_VERSION:
        raise StoreError(f"{path}: a state store of schema version {row[0]}; this analyze reads version "
                         f"{SCHEMA_VERSION} (rebuild it: see the README)")
    db.execute(_CARRIED_TABLE)  # added to version 1: made in the stores that predate it


@contextmanager
def open_store(path: str | os.PathLike[str]) -> Iterator[Store]:
    """The store at ``path`` (created when missing), for one run: everything the run changes is
    committed by :meth:`Store.finish` and rolled back on any other way out."""
    name = os.fspath(path)
    if os.path.exists(name) and not os.path.isfile(name):
        raise StoreError(f"{name}: not a regular file")
    db = _connect(name)
    try:
        _check_schema(db, name)
        yield Store(db, name)
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")
        db.close()


def describe(path: str | os.PathLike[str]) -> dict:
    """What the store at ``path`` holds (:meth:`Store.describe`), read in a transaction of its own."""
    if not os.path.isfile(path):
        raise StoreError(f"{os.fspath(path)}: no such state store")
    with open_store(path) as store:
        return store.describe()
