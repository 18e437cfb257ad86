"""Property-based tests: mutated real inputs through the whole pipeline and every output never raise,
and every input is accounted for (hypothesis; a bounded run here, ``bench/fuzz.py`` runs longer)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.cli import main

ROOT = Path(__file__).resolve().parents[1]
LOG_LINES = (ROOT / "samples" / "maillog").read_text().splitlines(keepends=True)[:400]
MBOX = (ROOT / "samples" / "bounces.mbox").read_bytes()


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each (kind, position, bytes) edit: 0 flips a byte, 1 inserts, 2 cuts from there."""
    out = bytearray(data)
    for kind, position, extra in edits:
        if not out:
            out.extend(extra)
            continue
        at = position % len(out)
        if kind == 0:
            out[at] ^= 0xFF
        elif kind == 1:
            out[at:at] = extra
        else:
            del out[at : at + len(extra) * 50 + 1]
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=64)),
                 max_size=8)
STAMPS = st.sampled_from([b"0001-01-01T00:00:00+00:00", b"9999-12-31T23:59:59-23:59", b"2026-13-45T25:61:61Z",
                          b"Feb 30 99:99:99", b"2026-03-01T00:00:00+24:00"])


# The bounded run of the test command; ``bench/fuzz.py`` selects the "long" profile.
settings.register_profile("bounded", max_examples=40)
settings.register_profile("long", max_examples=1000)
settings.load_profile(os.environ.get("ANALYZER_FUZZ_PROFILE", "bounded"))


HEADER_EDITS = st.lists(st.sampled_from([b"Content-Type", b"MIME-Version", b"From", b"Subject", b"boundary"]),
                        max_size=3)


def headers_mangled(message: bytes, names: list[bytes]) -> bytes:
    """``message`` with the first header line of each name dropped, or doubled when it occurs twice."""
    for name in names:
        at = message.find(b"\n" + name)
        if at >= 0:
            end = message.find(b"\n", at + 1)
            line = message[at:end]
            message = message[:at] + (line * 2 if len(names) % 2 else b"") + message[end:]
    return message


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(log_edits=EDITS, mbox_edits=EDITS, eml_edits=EDITS, headers=HEADER_EDITS, stamp=STAMPS,
       compress=st.booleans(), empty=st.booleans(), huge=st.booleans(), stdin=st.booleans())
def test_mutated_inputs_never_crash_and_are_accounted_for(tmp_path: Path, log_edits: list, mbox_edits: list,
                                                           eml_edits: list, headers: list, stamp: bytes,
                                                           compress: bool, empty: bool, huge: bool,
                                                           stdin: bool) -> None:
    log = mutate("".join(LOG_LINES).encode(), log_edits)
    log = log.replace(b"2026-03-02T08:3", stamp + b"\n2026-03-02T08:3", 1)
    if huge:
        log += b"2026-03-02T08:30:00+00:00 mx postfix/smtp[1]: " + b"\xff" * (3 << 20) + b"\n"
    mbox = mutate(MBOX, mbox_edits)
    first = MBOX.split(b"\n\nFrom ")[0].split(b"\n", 1)[1]  # the mbox's first message, without its From line
    eml = mutate(headers_mangled(first, headers), eml_edits)
    folder = tmp_path / "in"
    for sub in ("maildir/cur", "maildir/new", "maildir/tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "mail.log").write_bytes(gzip.compress(log) if compress else log)
    (folder / "bounces.mbox").write_bytes(mbox)
    (folder / "empty.log").write_bytes(b"" if empty else b"\n")
    (folder / "one.eml").write_bytes(eml)
    (folder / "maildir" / "cur" / "1.host:2,S").write_bytes(eml)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    args = [str(folder), "--html", str(out / "r.html"), "--csv", str(out / "r.csv"), "--json", str(out / "r.json"),
            "--parquet", str(out / "r.parquet"), "-j", "1"] + (["-"] if stdin else [])
    result = CliRunner().invoke(main, args, input=log if stdin else None, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        import json

        accounting = json.loads((out / "r.json").read_text())["accounting"]
        assert len(accounting["inputs"]) == 5 + stdin  # a log, an mbox, an empty file, an .eml, a Maildir
        for item in accounting["inputs"]:
            counted = item["used"] + item["noise"] + item["unparsed"]
            assert item["read"] == counted or item["unit"] == "messages", item
