#!/usr/bin/env python3
"""Resource budget: every kind of input, ordinary and hostile, finishes within a few seconds and a
bounded peak memory per MB.

Builds inputs of each kind at two sizes (default 4 and 16 MB), runs the whole ``analyze`` process on
each with every output (HTML, JSON, CSV, Parquet), and prints wall seconds per MB and the peak RSS
(the largest process of the run's tree, from ``wait4``).  pflogsumm, when installed, reads the plain
log in the same run as the peer.  Exits 1 when a run exceeds ``--seconds-per-mb`` or when its peak
exceeds ``--base-mb`` plus ``--rss-per-mb`` times its size; a timed assertion has no place in the
tests (these machines are noisy), so the budget lives here.

    python bench/budget.py [--sizes 4 16] [--seconds-per-mb 3] [--rss-per-mb 12] [--base-mb 250]
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import mailbox
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "tools" / "gen-postfix-log"
SAMPLE_LOG = ROOT / "samples" / "maillog"
SAMPLE_MBOX = ROOT / "samples" / "bounces.mbox"
MB = 1 << 20


def plain_log(size: int, folder: Path) -> list[Path]:
    """A realistic Postfix log of about ``size`` bytes (the generator, or the sample repeated)."""
    path = folder / "mail.log"
    if GENERATOR.exists():
        lines = max(1000, size // 160)
        subprocess.run([sys.executable, str(GENERATOR), "-n", str(lines), "-s", "5", "-o", str(path)],
                       check=True)
    else:
        _repeat(SAMPLE_LOG.read_bytes(), size, path)
    return [path]


def mutated_log(size: int, folder: Path) -> list[Path]:
    """The plain log, cut at ``size``, with a tenth of its lines damaged: byte flips, invalid UTF-8, NULs,
    cut lines and a few 200 KB lines."""
    (source,) = plain_log(size, folder)
    rng = random.Random(7)
    path = folder / "mutated.log"
    with open(source, "rb") as lines, open(path, "wb") as out:
        for line in lines:
            if out.tell() >= size:
                break
            roll = rng.random()
            if roll < 0.0002:
                line = line[:-1] + b" " + b"A" * (200 << 10) + b"\n"
            elif roll < 0.03:
                at = rng.randrange(len(line))
                line = line[:at] + bytes([line[at] ^ 0xFF]) + line[at + 1:]
            elif roll < 0.05:
                line = line[:-1] + b"\xff\xfe\xc3(" * 8 + b"\n"
            elif roll < 0.08:
                line = line.replace(b" ", b"\x00", 3)
            elif roll < 0.10:
                line = line[: rng.randrange(len(line))] + b"\n"
            out.write(line)
    source.unlink()
    return [path]


def compressed_logs(size: int, folder: Path) -> list[Path]:
    """The plain log split in three rotated files: gzip, bzip2 and plain."""
    (source,) = plain_log(size, folder)
    data = source.read_bytes()
    source.unlink()
    third = len(data) // 3
    cut1, cut2 = data.index(b"\n", third) + 1, data.index(b"\n", 2 * third) + 1
    paths = [folder / "mail.log.2.gz", folder / "mail.log.1.bz2", folder / "mail.log"]
    paths[0].write_bytes(gzip.compress(data[:cut1], 6))
    paths[1].write_bytes(bz2.compress(data[cut1:cut2], 6))
    paths[2].write_bytes(data[cut2:])
    return paths


def bounce_mbox(size: int, folder: Path) -> list[Path]:
    """The sample mbox of bounces repeated to ``size`` bytes."""
    path = folder / "bounces.mbox"
    _repeat(SAMPLE_MBOX.read_bytes(), size, path)
    return [path]


def mangled_mbox(size: int, folder: Path) -> list[Path]:
    """Bounces with cut MIME boundaries, doubled headers, binary bodies and folded 20 KB headers."""
    messages = [bytes(message) for message in mailbox.mbox(str(SAMPLE_MBOX))]
    rng = random.Random(3)
    path = folder / "mangled.mbox"
    written = 0
    with open(path, "wb") as out:
        while written < size:
            message = rng.choice(messages)
            roll = rng.random()
            if roll < 0.25:
                message = message.replace(b"boundary=", b"boundary=x", 1)
            elif roll < 0.5:
                folded = b",\n ".join(b"u%d@example.org" % n for n in range(1000))
                message = b"To: " + folded + b"\n" + message
            elif roll < 0.75:
                message = message[: len(message) // 2] + rng.randbytes(2048)
            escaped = message.replace(b"\nFrom ", b"\n>From ")
            chunk = b"From MAILER-DAEMON Mon Mar  1 00:00:00 2026\n" + escaped
            out.write(chunk + b"\n")
            written += len(chunk) + 1
    return [path]


def maildir(size: int, folder: Path) -> list[Path]:
    """A Maildir of bounce messages, one file each, to ``size`` bytes."""
    box = mailbox.Maildir(str(folder / "Maildir"), create=True)
    messages = list(mailbox.mbox(str(SAMPLE_MBOX)))
    written = 0
    while written < size:
        for message in messages:
            box.add(message)
            written += len(bytes(message))
    return [folder / "Maildir"]


def binary_noise(size: int, folder: Path) -> list[Path]:
    """Random bytes (not any format): read, counted as unrecognised, reported."""
    path = folder / "noise.bin"
    path.write_bytes(random.Random(1).randbytes(size))
    return [path]


def long_lines(size: int, folder: Path) -> list[Path]:
    """Postfix-looking lines of 3 MB each (cut at 1 MB) with a long diagnostic."""
    path = folder / "long.log"
    with open(path, "wb") as out:
        for n in range(max(1, size // (3 * MB))):
            out.write(b"Mar  1 00:00:%02d mx postfix/smtp[1]: ABC%d: to=<a@example.org>, relay=none, "
                      b"delay=1, dsn=5.0.0, status=bounced (" % (n % 60, n) + b"x" * (3 * MB) + b")\n")
    return [path]


def _repeat(data: bytes, size: int, path: Path) -> None:
    with open(path, "wb") as out:
        for _ in range(max(1, size // len(data))):
            out.write(data)


KINDS: dict[str, Callable[[int, Path], list[Path]]] = {
    "log": plain_log, "mutated log": mutated_log, "rotated .gz/.bz2": compressed_logs,
    "mbox": bounce_mbox, "mangled mbox": mangled_mbox, "Maildir": maildir, "binary noise": binary_noise,
    "3 MB lines": long_lines,
}


def measured(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB of the largest process of the run, and the exit status."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, process.returncode


def input_bytes(paths: list[Path]) -> int:
    return sum(p.stat().st_size if p.is_file() else sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
               for p in paths)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 16], help="input sizes in MB")
    parser.add_argument("--seconds-per-mb", type=float, default=3.0, help="time budget per MB of input")
    parser.add_argument("--rss-per-mb", type=float, default=12.0, help="peak memory budget per MB of input")
    parser.add_argument("--base-mb", type=float, default=250.0, help="peak memory allowed for any input")
    parser.add_argument("--kind", choices=KINDS, action="append", help="only these kinds (repeatable)")
    args = parser.parse_args()
    analyze = [sys.executable, "-m", "analyzer"]
    pflogsumm = shutil.which("pflogsumm")
    over = 0
    print(f"{'input':18} {'MB':>6} {'s':>7} {'s/MB':>6} {'peak MB':>8} {'budget':>7} exit  peer")
    for kind in args.kind or KINDS:
        for size_mb in args.sizes:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                (folder / "in").mkdir()
                inputs = KINDS[kind](size_mb * MB, folder / "in")
                size = input_bytes(inputs) / MB
                outputs = ["--html", str(folder / "r.html"), "--json", str(folder / "r.json"),
                           "--csv", str(folder / "r.csv"), "--parquet", str(folder / "r.parquet")]
                seconds, peak, status = measured([*analyze, *map(str, inputs), "-q", *outputs])
                peer = ""
                if kind == "log" and pflogsumm:
                    peer_seconds, _, _ = measured([pflogsumm, str(inputs[0])])
                    peer = f"pflogsumm {peer_seconds:.2f} s (ratio {peer_seconds / seconds:.2f})"
                budget = args.base_mb + args.rss_per_mb * size
                failed = status not in (0, 1) or seconds > args.seconds_per_mb * max(size, 1) or peak > budget
                over += failed
                print(f"{kind:18} {size:6.1f} {seconds:7.2f} {seconds / max(size, 1):6.2f} {peak:8.0f} "
                      f"{budget:7.0f} {status:4}  {peer}{'  OVER BUDGET' if failed else ''}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
