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
    "no gc pause while parsing": (
        "import contextlib, analyzer.processes as p, analyzer.engine.work as w, analyzer.cli as c\n"
        "p.gc_paused = w.gc_paused = c.gc_paused = contextlib.nullcontext\n"),
    "no gc.freeze": "import gc\ngc.freeze = lambda: None\n",
    "no forked summary helpers": (
        "import analyzer.processes as p\n"
        "def here(f):\n    value = f()\n    return lambda: value\n"
        "p.forked = here\n"),
    "Arrow's default allocator": "import pyarrow as pa\npa.set_memory_pool = lambda pool: None\n",
    "pandas imported first": "import pandas, pyarrow.compute\n",
}


def run(prelude: str, log: Path, html: Path) -> float:
    code = prelude + f"from analyzer.cli import main\nmain([{str(log)!r}, '--html', {str(html)!r}, '-q'])\n"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise SystemExit(f"a run failed: {prelude!r}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, required=True, help="a Postfix log (e.g. 1M generated lines)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pflogsumm = shutil.which("pflogsumm")
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    peer: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        for _ in range(args.rounds):
            for name, prelude in VARIANTS.items():
                times[name].append(run(prelude, args.log, html))
            if pflogsumm:
                start = time.perf_counter()
                subprocess.run([pflogsumm, str(args.log)], stdout=subprocess.DEVNULL, check=True)
                peer.append(time.perf_counter() - start)
    shipped = statistics.median(times["as shipped"])
    print(f"{'variant':28} {'median s':>9} {'vs shipped':>11}  runs")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"{name:28} {median:9.2f} {median / shipped:10.3f}x  {', '.join(f'{t:.2f}' for t in runs)}")
    if peer:
        print(f"{'pflogsumm':28} {statistics.median(peer):9.2f}  ratio pflogsumm/shipped "
              f"{statistics.median(peer) / shipped:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
