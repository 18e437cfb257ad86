#!/usr/bin/env python3
"""What each remaining speed trick saves: whole `analyze LOG --html` runs with one trick switched off.

Each variant runs the command in a fresh process whose driver switches one trick off before calling
the command's entry point; the variants (and pflogsumm, as the peer) alternate round by round, and the
medians are printed as ratios to the unchanged command.  A trick that saves under 5 % has no place
in the code (bench/README.md keeps each figure).

    python bench/tricks.py --log FILE [--rounds 5]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: variant -> Python run before the command: each switches one trick off.
VARIANTS = {
    "as shipped": "",
    "no forked summary helpers": (
        "import analyzer.processes as p\n"
        "def here(f):\n    value = f()\n    return lambda: value\n"
        "p.forked = here\n"),
    "pandas imported first": "import pandas, pyarrow.compute\n",
}
VARIANTS["none of them"] = "".join(VARIANTS.values())


def run(prelude: str, log: Path, html: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the process and its workers) of one run."""
    code = prelude + f"from analyzer.cli import main\nmain([{str(log)!r}, '--html', {str(html)!r}, '-q'])\n"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"a run failed: {prelude!r}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, required=True, help="a Postfix log (e.g. 1M generated lines)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="run only these variants (and 'as shipped')")
    args = parser.parse_args()
    pflogsumm = shutil.which("pflogsumm")
    chosen = {name: prelude for name, prelude in VARIANTS.items()
              if not args.only or name in args.only or name == "as shipped"}
    times: dict[str, list[float]] = {name: [] for name in chosen}
    cpu: dict[str, list[float]] = {name: [] for name in chosen}
    peer: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        for _ in range(args.rounds):
            for name, prelude in chosen.items():
                wall, used = run(prelude, args.log, html)
                times[name].append(wall)
                cpu[name].append(used)
            if pflogsumm:
                start = time.perf_counter()
                subprocess.run([pflogsumm, str(args.log)], stdout=subprocess.DEVNULL, check=True)
                peer.append(time.perf_counter() - start)
    shipped = statistics.median(times["as shipped"])
    shipped_cpu = statistics.median(cpu["as shipped"])
    print(f"{'variant':28} {'wall s':>7} {'vs shipped':>10} {'CPU s':>7} {'vs shipped':>10}  wall runs")
    for name, runs in times.items():
        median, used = statistics.median(runs), statistics.median(cpu[name])
        print(f"{name:28} {median:7.2f} {median / shipped:9.3f}x {used:7.2f} {used / shipped_cpu:9.3f}x  "
              f"{', '.join(f'{t:.2f}' for t in runs)}")
    if peer:
        print(f"{'pflogsumm':28} {statistics.median(peer):9.2f}  ratio pflogsumm/shipped "
              f"{statistics.median(peer) / shipped:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
