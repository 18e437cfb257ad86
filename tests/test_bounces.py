"""Bounce decoders against the shared corpus (../shared/corpus/bounces): figures, not/ samples, twins.

Scoring (the same as bench/corpus_score.py): per expected recipient entry, the address is found
(where ``recipients`` is given), the enhanced code matches and the reason matches.  Sisimai's
private ``x.0.9xx`` codes are inferred by Sisimai, not stated by the bounce: they count as a match
when our code is equal, or when we report no specific code (empty or ``x.0.0``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "bounces"
sys.path.insert(0, str(ROOT / "bench"))

#: Acceptance targets of the issue.
ADDRESS_MIN, CODE_MIN, REASON_MIN = 97.0, 97.0, 95.0


def rows() -> list[dict]:
    """The rows of expected.jsonl, or none when the corpus is absent."""
    path = CORPUS / "expected.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not (CORPUS / "expected.jsonl").exists():
        pytest.skip(f"{CORPUS} is not available")
    return CORPUS


@lru_cache(maxsize=1)
def figures() -> dict:
    import corpus_score

    return corpus_score.score(CORPUS)


def _ids(row: dict) -> str:
    return row["file"]


@pytest.mark.parametrize("row", [r for r in rows() if r["expect"]], ids=_ids)
def test_sample_decodes(corpus: Path, row: dict) -> None:
    """Every bounce sample decodes without error; each record has a reason, a rule and its source.

    (Whether the right recipients are found is scored in aggregate below.)
    """
    import corpus_score

    records = corpus_score.records_of_file(corpus / row["file"])
    assert all(r.reason and r.rule and r.source.startswith(str(corpus / row["file"])) for r in records)


@pytest.mark.parametrize("row", [r for r in rows() if not r["expect"] and not r.get("disputed")], ids=_ids)
def test_not_bounces_give_no_record(corpus: Path, row: dict) -> None:
    import corpus_score

    assert corpus_score.records_of_file(corpus / row["file"]) == []


def test_twins_read_like_their_bsd_original(corpus: Path) -> None:
    assert figures()["twins_bad"] == []


def test_address_figure(corpus: Path) -> None:
    assert figures()["address_pct"] >= 98.0  # reached 98.3; target ADDRESS_MIN


def test_code_and_reason_figures(corpus: Path) -> None:
    result = figures()
    assert result["code_pct"] >= 97.0  # reached 97.2; target CODE_MIN
    assert result["reason_pct"] >= 96.9  # reached 97.0 (Sisimai's names: sisimai_reason); target REASON_MIN


def test_acceptance_targets(corpus: Path) -> None:
    result = figures()
    assert result["address_pct"] >= ADDRESS_MIN
    assert result["code_pct"] >= CODE_MIN
    assert result["reason_pct"] >= REASON_MIN


def test_cross_family_figure(corpus: Path) -> None:
    """Each half of the corpus read by the phrases written without looking at it (corpus_score.SEEN)."""
    import corpus_score

    unseen = [corpus_score.score(CORPUS, half, corpus_score.unseen_classifier(half)) for half in "AB"]
    entries = sum(u["entries"] for u in unseen)
    cross = sum(u["reason_pct"] * u["entries"] for u in unseen) / entries
    assert cross >= 86.0  # reached 87.3 (dev 97.0): the gap issue 8 asks to shrink


def test_crisp_figures() -> None:
    """The other project's texts and labels (../shared/corpus/bounces-crisp), in its own categories."""
    import corpus_score

    if not (corpus_score.CRISP / "expected.jsonl").exists():
        pytest.skip(f"{corpus_score.CRISP} is not available")
    result = corpus_score.score_crisp()
    assert result["address_pct"] >= 99.0  # reached 100.0
    assert result["code_pct"] >= 99.0  # reached 100.0
    assert result["reason_pct"] >= 73.0  # reached 74.1
    assert result["not_ok"].split("/")[0] == result["not_ok"].split("/")[1]


def test_crisp_at_least_sisimai() -> None:
    """Issue 8: on bounces labelled by another project, every figure at least Sisimai's on the same texts
    (Debian's libsisimai-perl reads the same minimal messages; measured 100 / 95.8 / 58.8 % against our
    100 / 100 / 74.1 %)."""
    import corpus_score

    if not (corpus_score.CRISP / "expected.jsonl").exists():
        pytest.skip(f"{corpus_score.CRISP} is not available")
    if subprocess.run(["perl", "-MSisimai", "-e", "1"], capture_output=True).returncode != 0:
        pytest.skip("Sisimai (Debian package libsisimai-perl) is not installed")
    ours = corpus_score.score_crisp()
    peer = corpus_score.score_crisp(reader=corpus_score.read_sisimai)
    assert peer["reason_n"] == ours["reason_n"] > 0
    for figure in ("address_pct", "code_pct", "reason_pct"):
        assert ours[figure] >= peer[figure], figure
