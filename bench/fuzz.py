#!/usr/bin/env python3
"""A longer run of the property-based tests (tests/test_fuzz.py): 1,000 mutated input sets.

    python bench/fuzz.py [more pytest arguments]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", str(ROOT / "tests" / "test_fuzz.py"),
                              "-p", "no:cacheprovider", *sys.argv[1:]],
                             env={**os.environ, "ANALYZER_FUZZ_PROFILE": "long"}))
