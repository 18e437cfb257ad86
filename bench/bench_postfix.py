#!/usr/bin/env python3
"""Whole-process benchmark: `analyze LOG --html` against pflogsumm on the same generated log.

Generates a 1,000,000-line Postfix log with ../shared/tools/gen-postfix-log (or takes --log), runs each
tool 3 times, alternately (whole process, output to /dev/null or a temp file), and prints the median
wall times and their ratio.  The ratio is the figure to report: both tools run in the same session on
the same file.

With ``--hosts N`` it generates N logs of ``--lines`` lines each, one per host name (``mx1`` ...), and
both tools read all of them in one run: the many-hosts case, parallel across files and within them.

    python bench/bench_postfix.py [--lines 1000000] [--runs 3] [--log FILE] [--hosts N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "tools" / "gen-postfix-log"


def timed(command: list[str]) -> float:
    """Wall-clock seconds of one run of ``command`` (stdout discarded)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def compile_bytecode(python: str) -> None:
    """Compile the installed package's modules, as pip does when it installs a wheel (an editable
    install under PYTHONDONTWRITEBYTECODE would otherwise compile them again on every run)."""
    folder = subprocess.run([python, "-c", "import analyzer, os; print(os.path.dirname(analyzer.__file__))"],
                            check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", folder], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines of the generated log")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tool (median is reported)")
    parser.add_argument("--log", type=Path, help="use this log instead of generating one")
    parser.add_argument("--seed", default="11", help="generator seed")
    parser.add_argument("--hosts", type=int, default=1, help="logs to generate, one per host (each --lines)")
    args = parser.parse_args()
    pflogsumm = shutil.which("pflogsumm")
    analyze = shutil.which("analyze") or str(Path(sys.executable).with_name("analyze"))
    if pflogsumm is None:
        print("pflogsumm is not installed (Debian: apt-get install pflogsumm)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        logs = [args.log] if args.log else []
        for host in range(1, args.hosts + 1) if not args.log else ():
            logs.append(Path(tmp) / f"mx{host}.log")
            subprocess.run([sys.executable, str(GENERATOR), "--lines", str(args.lines), "--hostname",
                            f"mx{host}", "--seed", str(int(args.seed) + host - 1), "-o", str(logs[-1])],
                           check=True)
        names = [str(log) for log in logs]
        html = Path(tmp) / "report.html"
        compile_bytecode(str(Path(analyze).with_name("python")))
        ours, peer = [], []
        for _ in range(args.runs):  # alternated, so that a busier moment of the machine hits both
            ours.append(timed([analyze, *names, "--html", str(html), "--quiet"]))
            peer.append(timed([pflogsumm, *names]))
    ours_median, peer_median = statistics.median(ours), statistics.median(peer)
    generated = f"{args.hosts} x {args.lines:,} generated lines (seeds from {args.seed})"
    print(f"log: {args.log if args.log else generated}")
    print(f"analyze --html : median {ours_median:.2f} s  runs {', '.join(f'{t:.2f}' for t in ours)}")
    print(f"pflogsumm      : median {peer_median:.2f} s  runs {', '.join(f'{t:.2f}' for t in peer)}")
    print(f"ratio pflogsumm/analyze = {peer_median / ours_median:.2f} (above 1: analyze is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
