"""Shared fixtures: the read-only ../shared corpus and the synthetic log generator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GENERATOR = SHARED / "tools" / "gen-postfix-log"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test cleanly when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def generate(tmp_path_factory: pytest.TempPathFactory):
    """Run gen-postfix-log and return (log path, truth path)."""
    if not GENERATOR.exists():
        pytest.skip("../shared/tools/gen-postfix-log is not available")
    cache: dict[tuple, tuple[Path, Path]] = {}

    def run(*args: str) -> tuple[Path, Path]:
        if args not in cache:
            directory = tmp_path_factory.mktemp("gen")
            log, truth = directory / "mail.log", directory / "truth.json"
            subprocess.run([sys.executable, str(GENERATOR), *args, "-o", str(log), "--truth", str(truth)],
                           check=True)
            cache[args] = (log, truth)
        return cache[args]

    return run
