"""The memory budget of hostile input: peak memory grows by a bounded amount per MB read.

Time per MB is a benchmark (``bench/budget.py``), never a test; memory is not noisy, so it is tested.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("budget", ROOT / "bench" / "budget.py")
budget = importlib.util.module_from_spec(spec)
spec.loader.exec_module(budget)

# The peak of the measured process itself (VmHWM; ru_maxrss of a child would include the test runner's)
MEASURED = ("import sys\nfrom analyzer.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as end:\n    code = end.code\n"
            "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print(peak, file=sys.stderr)\nsys.exit(code)\n")
KINDS = ("mutated log", "mangled mbox", "Maildir", "binary noise", "3 MB lines")


def peak_mb(folder: Path, size: int) -> tuple[float, float, dict]:
    """Peak MB of one run over every hostile kind of ``size`` bytes each, the MB read, and its accounting."""
    inputs: list[Path] = []
    for number, kind in enumerate(KINDS):
        place = folder / str(number)
        place.mkdir()
        inputs += budget.KINDS[kind](size, place)
    js = folder / "r.json"
    outputs = ["--html", str(folder / "r.html"), "--csv", str(folder / "r.csv"), "--json", str(js)]
    result = subprocess.run([sys.executable, "-c", MEASURED, *map(str, inputs), "-j", "1", "-q", *outputs],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stderr.split()[-1]) / 1024, budget.input_bytes(inputs) / budget.MB, json.loads(js.read_text())


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_peak_memory_per_mb_of_hostile_input_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small, small_mb, _ = peak_mb(tmp_path / "small", budget.MB)
    large, large_mb, accounting = peak_mb(tmp_path / "large", 4 * budget.MB)
    per_mb = (large - small) / (large_mb - small_mb)
    print(f"peak {small:.0f} MB for {small_mb:.1f} MB, {large:.0f} MB for {large_mb:.1f} MB: {per_mb:.2f} MB/MB")
    assert small < 300, small
    assert per_mb < 8, per_mb
    lines = accounting["accounting"]["lines"]
    assert lines["read"] == lines["noise"] + lines["unparsed"] + lines["used"]
