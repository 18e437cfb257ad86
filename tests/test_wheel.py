"""The built wheel (not an editable install) carries its templates and data files."""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_and_renders_a_report(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True)
    (wheel,) = wheels.glob("*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    # dependencies come from this environment, appended after the new venv's own site-packages
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    here = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (Path(purelib) / "_deps_from_test_env.pth").write_text("\n".join(sorted(here)) + "\n")
    where = subprocess.run([str(python), "-c", "import analyzer; print(analyzer.__file__)"], cwd=tmp_path,
                           check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(venv))
    report = tmp_path / "report.html"
    result = subprocess.run([str(venv / "bin" / "analyze"), str(ROOT / "samples" / "maillog"), "--html",
                             str(report)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Delivery attempts" in result.stdout
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>") and "What to do" in html
