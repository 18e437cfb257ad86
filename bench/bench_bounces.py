"""Throughput of the bounce-message half: an mbox of >= 10,000 corpus bounces, whole process.

Builds the mbox in a temporary directory from ../shared/corpus/bounces/bsd/*.eml (repeated until
there are enough messages), then runs ``python -m analyzer MBOX --quiet`` three times (or, with
``--library``, a process that only consumes :func:`analyzer.pipeline.read_records`) and prints the
median messages per second.  When Debian's Sisimai (``libsisimai-perl``) is installed, it decodes
the same mbox in the same run (``Sisimai->make``, whole process) and the ratio is printed.

    python bench/bench_bounces.py [--messages 10000] [--library]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SISIMAI = ["perl", "-MSisimai", "-e", "my $v = Sisimai->make($ARGV[0]); print scalar(@$v), qq(\n);"]

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "bounces" / "bsd"
LIBRARY = (
    "import sys, analyzer.pipeline as p\n"
    "n = sum(1 for _ in p.read_records([sys.argv[1]]))\n"
    "print(n)\n"
)


def build_mbox(target: Path, messages: int) -> int:
    """Write ``messages`` corpus bounces to ``target`` as an mbox; returns the number written."""
    samples = []
    for path in sorted(CORPUS.glob("*.eml")):
        data = path.read_bytes().replace(b"\r\n", b"\n")
        if data.startswith(b"From "):
            data = data.split(b"\n", 1)[1]
        data = data.replace(b"\nFrom ", b"\n>From ")
        samples.append(data.rstrip(b"\n") + b"\n\n")
    written = 0
    with open(target, "wb") as out:
        while written < messages:
            for data in samples:
                out.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n")
                out.write(data)
                written += 1
                if written >= messages:
                    break
    return written


def have_sisimai() -> bool:
    """True when Perl can load Sisimai."""
    probe = subprocess.run(["perl", "-MSisimai", "-e", "1"], capture_output=True, check=False)
    return probe.returncode == 0


def run_once(mbox: Path, library: bool, command: list[str] | None = None) -> float:
    """Seconds of one whole-process run (ours, or ``command`` + MBOX for a peer)."""
    if command is not None:
        command = [*command, str(mbox)]
    elif library:
        command = [sys.executable, "-c", LIBRARY, str(mbox)]
    else:
        command = [sys.executable, "-m", "analyzer", str(mbox), "--quiet"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    """Build the mbox, time three runs, print the median rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10000, help="messages in the mbox")
    parser.add_argument("--library", action="store_true", help="time read_records only, not the CLI")
    parser.add_argument("--runs", type=int, default=3, help="number of timed runs")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        mbox = Path(tmp) / "bounces.mbox"
        count = build_mbox(mbox, args.messages)
        size = mbox.stat().st_size / 1e6
        times = [run_once(mbox, args.library) for _ in range(args.runs)]
        peer = [run_once(mbox, False, SISIMAI) for _ in range(args.runs)] if have_sisimai() else []
    median = statistics.median(times)
    what = "read_records" if args.library else "python -m analyzer --quiet"
    print(f"{count} messages ({size:.1f} MB), {what}: runs {', '.join(f'{t:.2f}s' for t in times)}; "
          f"median {median:.2f}s = {count / median:,.0f} messages/s (target 1,700)")
    if peer:
        peer_median = statistics.median(peer)
        print(f"Sisimai (perl, libsisimai-perl): runs {', '.join(f'{t:.2f}s' for t in peer)}; "
              f"median {peer_median:.2f}s = {count / peer_median:,.0f} messages/s")
        print(f"ratio Sisimai/analyze = {peer_median / median:.2f} (above 1: analyze is faster)")
    else:
        print("Sisimai is not installed (Debian: apt-get install libsisimai-perl); no peer measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
