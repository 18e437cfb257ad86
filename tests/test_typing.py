"""py.typed is true: mypy checks every module of the `analyzer` package (pyproject.toml's [tool.mypy]).

pandas, pyarrow and mail-parser ship no type information; their names are Any to mypy.
The two runs share one cache (the second rechecks only what changed): about 7 s in all.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mypy")
    return tmp_path_factory.mktemp("mypy_cache")


def _mypy(root: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache),
         str(root / "analyzer")],
        capture_output=True, text=True, cwd=root)


def test_every_module_of_the_package_type_checks(cache: Path) -> None:
    found = _mypy(ROOT, cache)
    assert found.returncode == 0, found.stdout + found.stderr
    checked = re.search(r"no issues found in (\d+) source files", found.stdout)
    assert checked is not None, found.stdout
    assert int(checked.group(1)) == len(list((ROOT / "analyzer").rglob("*.py")))


@pytest.mark.parametrize("module", ["formats/bounce/arf.py", "store.py"])
def test_a_type_error_in_a_module_fails_the_check(module: str, cache: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "analyzer", tmp_path / "analyzer", ignore=shutil.ignore_patterns("__pycache__"))
    with open(tmp_path / "analyzer" / module, "a", encoding="utf-8") as out:
        out.write('\n_PROBE: int = "not a number"\n')
    found = _mypy(tmp_path, cache)
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"analyzer/{module}:" in found.stdout and "[assignment]" in found.stdout, found.stdout
