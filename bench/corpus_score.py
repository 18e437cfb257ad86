"""Score the bounce decoders and the classifier against the shared corpus (../shared/corpus/bounces).

Per expected recipient entry: the address is found (where ``recipients`` is given), the enhanced
status code matches, the reason matches.  Sisimai's private ``x.0.9xx`` codes (inferred from text,
not stated by the bounce) are scored separately: they count as a match when our code is equal,
or when the bounce states no specific code (ours is empty or ``x.0.0``) and the class agrees.

    python bench/corpus_score.py [--misses] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from analyzer.classify import default_classifier
from analyzer.formats import mailbox
from analyzer.records import Record, Tally
from analyzer.sources import Input

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "bounces"


def records_of_file(path: Path) -> list[Record]:
    """Classified records of one sample file."""
    head = path.read_bytes()[:65536]
    source = Input(str(path), path, mailbox.NAME, head, None)
    classify = default_classifier().classify
    return [classify(r) for r in mailbox.parse(source, Tally(str(path), mailbox.NAME))]


def private(code: str) -> bool:
    """True for Sisimai's private codes ``x.0.9xx``."""
    return len(code) == 7 and code[1:4] == ".0." and code[4] == "9"


def code_matches(expected: str, ours: str | None) -> bool:
    """Scoring rule for the enhanced code (see the module docstring)."""
    if not expected:
        return True
    if ours == expected:
        return True
    if private(expected):
        return ours in (None, "", f"{expected[0]}.0.0")
    return False


def score(corpus: Path = CORPUS) -> dict[str, Any]:
    """Figures and misses over ``expected.jsonl``."""
    rows = [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines() if line]
    totals: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    results: dict[str, list[tuple]] = {}
    for row in rows:
        path = corpus / row["file"]
        records = records_of_file(path)
        summary = [(r.recipient, r.enhanced_code, r.reason, r.hard) for r in records]
        results[row["file"]] = summary
        module = row["module"]
        if not row["expect"]:
            if row.get("disputed"):
                continue
            totals["not"] += 1
            if records:
                misses[module].append(f"{row['file']}: expected no record, got {summary}")
            else:
                totals["not_ok"] += 1
            continue
        recipients = row.get("recipients")
        by_address = {r.recipient: r for r in records}
        for index, (status, _reply, reason, _hard) in enumerate(row["expect"]):
            totals["entries"] += 1
            record = None
            if recipients:
                totals["addr_n"] += 1
                record = by_address.get(recipients[index])
                if record is not None:
                    totals["addr_ok"] += 1
            elif index < len(records):
                record = records[index]
            if record is None and index < len(records) and not recipients:
                record = records[index]
            ours_code = record.enhanced_code if record else None
            ours_reason = record.reason if record else None
            key = "code_private" if private(status) else "code_plain"
            totals[key + "_n"] += 1
            ok_code = record is not None and code_matches(status, ours_code)
            totals[key + "_ok"] += ok_code
            ok_reason = record is not None and ours_reason == reason
            totals["reason_ok"] += ok_reason
            if not (ok_code and ok_reason and (record is not None)):
                got = None
                if record is not None:
                    got = (record.recipient, ours_code, ours_reason, record.rule, record.parser)
                want = (recipients[index] if recipients else "?", status, reason)
                misses[module].append(f"{row['file']}: want {want} got {got}")
    twins_bad = []
    for row in rows:
        twin = row.get("twin_of")
        if twin and results.get(row["file"]) != results.get(twin):
            twins_bad.append(row["file"])
    n = totals["entries"]
    code_n = totals["code_plain_n"] + totals["code_private_n"]
    return {
        "entries": n,
        "address_pct": 100 * totals["addr_ok"] / max(1, totals["addr_n"]),
        "code_pct": 100 * (totals["code_plain_ok"] + totals["code_private_ok"]) / max(1, code_n),
        "code_plain_pct": 100 * totals["code_plain_ok"] / max(1, totals["code_plain_n"]),
        "code_private_pct": 100 * totals["code_private_ok"] / max(1, totals["code_private_n"]),
        "code_private_n": totals["code_private_n"],
        "reason_pct": 100 * totals["reason_ok"] / max(1, n),
        "not_ok": f"{totals['not_ok']}/{totals['not']}",
        "twins_bad": twins_bad,
        "misses": dict(misses),
    }


def main() -> int:
    """Print the figures (and the misses by module with ``--misses``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the misses by module")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    result = score()
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"entries {result['entries']}  address {result['address_pct']:.1f}%  "
          f"enhanced code {result['code_pct']:.1f}% (stated {result['code_plain_pct']:.1f}%, "
          f"private x.0.9xx {result['code_private_pct']:.1f}% of {result['code_private_n']})  "
          f"reason {result['reason_pct']:.1f}%  not/ {result['not_ok']}  twins differing "
          f"{len(result['twins_bad'])}")
    by_module = Counter({m: len(v) for m, v in result["misses"].items()})
    print("misses by module:", ", ".join(f"{m} {c}" for m, c in by_module.most_common()))
    if args.misses:
        for module, lines in sorted(result["misses"].items()):
            print(f"== {module}")
            for line in lines:
                print("  ", line[:400])
    return 0


if __name__ == "__main__":
    sys.exit(main())
