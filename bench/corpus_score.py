"""Score the bounce decoders and the classifier against the shared corpus (../shared/corpus/bounces).

Per expected recipient entry: the address is found (where ``recipients`` is given), the enhanced
status code matches, the reason matches.  Sisimai's private ``x.0.9xx`` codes (inferred from text,
not stated by the bounce) are scored separately: they count as a match when our code is equal,
or when the bounce states no specific code (ours is empty or ``x.0.0``) and the class agrees.

Three figures (issue 8): the whole dev corpus; each half of it when the corpus is split by family
(the ``module`` field; :func:`halves` puts a family in half ``A`` or ``B``, so that rules can be
written while looking at one half and measured on the other); and ``../shared/corpus/bounces-crisp``,
bounce texts labelled by another project in its own categories (:data:`CRISP_REASONS` says which of
our reasons each category accepts).

    python bench/corpus_score.py [--misses] [--half A|B] [--json] [--sisimai]

``--sisimai`` also reads the crisp texts with Sisimai (Debian's ``libsisimai-perl``), in the same minimal
messages, and scores it the same way: the peer figure for "at least Sisimai's on files labelled by another
project".
"""

from __future__ import annotations

import argparse
import email
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analyzer.classify import Classifier, default_classifier, load_rules
from analyzer.formats import mailbox
from analyzer.records import Record, Tally
from analyzer.sources import Input

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS = SHARED / "bounces"
CRISP = SHARED / "bounces-crisp"

#: The other project's categories and the reasons of ours that say the same thing.  Its
#: ``spam_content`` is a refusal of the content as spam; ``reputation`` a refusal for the sender's
#: reputation, which some receivers word as a block; ``server_timeout`` a connection that timed out.
CRISP_REASONS = {
    "no_such_recipient": {"userunknown"},
    "mailbox_full": {"mailboxfull"},
    "mailbox_over_quota": {"mailboxfull"},
    "spam_content": {"spamdetected"},
    "server_unknown": {"hostunknown"},
    "server_timeout": {"networkerror", "expired"},
    "reputation": {"badreputation", "blocked"},
    "ip_blocked_spam": {"blocked"},
    "authentication_failure": {"authfailure"},
    "recipient_disabled_or_recipient_rate_limited": {"suspend", "speeding"},
    "action_not_taken_mailbox_rate_limited": {"speeding"},
}


def halves(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Each family (Sisimai module) -> ``"A"`` or ``"B"``: the largest families first, each to the half
    with fewer entries so far (ties by name), so the halves hold about as many entries each."""
    sizes = Counter(row["module"] for row in rows for _ in row["expect"] or [None])
    entries = {"A": 0, "B": 0}
    half: dict[str, str] = {}
    for module, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        half[module] = min(entries, key=lambda h: (entries[h], h))
        entries[half[module]] += size
    return half


#: The halves of the dev corpus whose samples each phrase file's author looked at while writing it
#: (files not listed were written from the sources of the wording alone).  general.toml predates the
#: split and saw both; corpus-a.toml and corpus-b.toml hold the wordings found while working through
#: one half each (traced to their sources).  A rule learned from looking at half X goes to corpus-x.toml.
SEEN = {"general.toml": "AB", "corpus-a.toml": "A", "corpus-b.toml": "B"}


def unseen_classifier(half: str) -> Classifier:
    """A classifier whose phrases were written without looking at the samples of ``half``."""
    files = [name for name in load_rules()["phrase_files"] if half not in SEEN.get(name, "")]
    return Classifier(load_rules(phrase_files=files))


def records_of_file(path: Path, classifier: Classifier | None = None) -> list[Record]:
    """Classified records of one sample file."""
    head = path.read_bytes()[:65536]
    source = Input(str(path), path, mailbox.NAME, head, None)
    classify = (classifier or default_classifier()).classify
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


def score(corpus: Path = CORPUS, half: str | None = None, classifier: Classifier | None = None
          ) -> dict[str, Any]:
    """Figures and misses over ``expected.jsonl`` (only the families of ``half`` when given)."""
    rows = [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines() if line]
    if half:
        split = halves(rows)
        rows = [row for row in rows if split[row["module"]] == half]
    totals: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    results: dict[str, list[tuple]] = {}
    for row in rows:
        path = corpus / row["file"]
        records = records_of_file(path, classifier)
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
            ours_reason = (record.sisimai_reason or record.reason) if record else None  # Sisimai's labels
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


CRISP_HEAD = (b"From: MAILER-DAEMON@mailer.example.net (Mail Delivery System)\n"
              b"To: sender@example.net\nSubject: Undelivered Mail Returned to Sender\n"
              b"Content-Type: text/plain; charset=utf-8\n\n")
#: A crisp result: (recipient, enhanced code, reason) of each record read from one text.
Found = list[tuple[str, str, str]]


def crisp_records(path: Path) -> list[Record]:
    """Records of one crisp text, read as the body of a minimal bounce message."""
    message = email.message_from_bytes(CRISP_HEAD + path.read_bytes())
    from analyzer.formats.bounce import records_of

    classify = default_classifier().classify
    return [classify(r) for r in records_of(message, str(path))]


def read_ours(paths: list[Path]) -> dict[str, Found]:
    """What this project reads from each crisp text."""
    return {p.name: [(r.recipient, r.enhanced_code, r.reason) for r in crisp_records(p)] for p in paths}


#: Sisimai (Debian's libsisimai-perl) over each file named on its command line: one JSON line per record.
SISIMAI = r"""
use Sisimai; use JSON::PP;
for my $file (@ARGV) {
    my $data = Sisimai->make($file) || [];
    for my $d (@$data) {
        print JSON::PP->new->canonical->encode({file => $file, recipient => lc $d->recipient->address,
            status => $d->deliverystatus // "", reason => $d->reason // ""}), "\n";
    }
}
"""


def read_sisimai(paths: list[Path]) -> dict[str, Found]:
    """What Sisimai reads from the same messages (each text in the same minimal message), for the peer
    column: run once over all files."""
    found: dict[str, Found] = {p.name: [] for p in paths}
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for p in paths:
            (Path(tmp) / p.name).write_bytes(CRISP_HEAD + p.read_bytes())
            names.append(str(Path(tmp) / p.name))
        out = subprocess.run(["perl", "-e", SISIMAI, *names], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines():
        row = json.loads(line)
        found[Path(row["file"]).name].append((row["recipient"], row["status"], row["reason"]))
    return found


def score_crisp(corpus: Path = CRISP, reader: Callable[[list[Path]], dict[str, Found]] = read_ours
                ) -> dict[str, Any]:
    """Recipients, stated codes and reasons on the crisp texts (fields its own tests assert), as
    ``reader`` reads them."""
    rows = [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines() if line]
    rows = [row for row in rows if "recipients" in row.get("asserted", ())]
    found = reader([corpus / row["file"] for row in rows])
    totals: Counter[str] = Counter()
    misses: list[str] = []
    for row in rows:
        records = found[row["file"]]
        if not row["is_bounce"] or not row["recipients"]:
            totals["not_n"] += 1
            totals["not_ok"] += not records
            continue
        by_address = {r[0]: r for r in records}
        for address in row["recipients"]:
            record = by_address.get(address)
            totals["addr_n"] += 1
            totals["addr_ok"] += record is not None
            ok = {"addr": record is not None}
            if row["status"]:
                totals["code_n"] += 1
                ok["code"] = record is not None and record[1] == row["status"]
                totals["code_ok"] += ok["code"]
            accepted = CRISP_REASONS.get(row["reason"])
            if accepted:
                totals["reason_n"] += 1
                ok["reason"] = record is not None and record[2] in accepted
                totals["reason_ok"] += ok["reason"]
            if not all(ok.values()):
                misses.append(f"{row['file']}: want {(address, row['status'], row['reason'])} got {record}")
    return {
        "address_pct": 100 * totals["addr_ok"] / max(1, totals["addr_n"]),
        "code_pct": 100 * totals["code_ok"] / max(1, totals["code_n"]),
        "reason_pct": 100 * totals["reason_ok"] / max(1, totals["reason_n"]),
        "reason_n": totals["reason_n"],
        "not_ok": f"{totals['not_ok']}/{totals['not_n']}",
        "misses": misses,
    }


def _line(name: str, result: dict[str, Any]) -> str:
    return (f"{name:<7} entries {result['entries']}  address {result['address_pct']:.1f}%  "
            f"enhanced code {result['code_pct']:.1f}% (stated {result['code_plain_pct']:.1f}%, "
            f"private x.0.9xx {result['code_private_pct']:.1f}% of {result['code_private_n']})  "
            f"reason {result['reason_pct']:.1f}%  not/ {result['not_ok']}")


def main() -> int:
    """Print the figures (and the misses by module with ``--misses``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the misses by module")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--half", choices=["A", "B"],
                        help="misses of this half, classified by the phrases that never saw it")
    parser.add_argument("--sisimai", action="store_true",
                        help="also score Sisimai (perl, libsisimai-perl) on the crisp texts")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    result = score()
    halves = {half: score(half=half) for half in "AB"}
    unseen = {half: score(half=half, classifier=unseen_classifier(half)) for half in "AB"}
    entries = sum(unseen[h]["entries"] for h in "AB")
    cross = sum(unseen[h]["reason_pct"] * unseen[h]["entries"] for h in "AB") / max(1, entries)
    crisp = score_crisp() if CRISP.is_dir() else None
    peer = score_crisp(reader=read_sisimai) if args.sisimai and CRISP.is_dir() else None
    if args.json:
        print(json.dumps({"dev": result, "halves": halves, "unseen_halves": unseen,
                          "cross_family_reason_pct": cross, "crisp": crisp,
                          "crisp_sisimai": peer}, indent=1))
        return 0
    print(_line("dev", result) + f"  twins differing {len(result['twins_bad'])}")
    for half, figures in halves.items():
        print(_line(f"half {half}", figures))
    for half, figures in unseen.items():
        print(_line(f"unseen {half}", figures) + "  (phrases written without looking at this half)")
    print(f"cross-family reason {cross:.1f}% (each half by the phrases that never saw it) against dev "
          f"{result['reason_pct']:.1f}%: gap {result['reason_pct'] - cross:.1f} points")
    if crisp is not None:
        print(f"crisp   address {crisp['address_pct']:.1f}%  enhanced code {crisp['code_pct']:.1f}%  "
              f"reason {crisp['reason_pct']:.1f}% of {crisp['reason_n']}  not-bounces {crisp['not_ok']}")
    if peer is not None:
        print(f"Sisimai on crisp: address {peer['address_pct']:.1f}%  enhanced code {peer['code_pct']:.1f}%  "
              f"reason {peer['reason_pct']:.1f}% of {peer['reason_n']}  not-bounces {peer['not_ok']}")
    shown = unseen[args.half] if args.half else result
    by_module = Counter({m: len(v) for m, v in shown["misses"].items()})
    print("misses by module:", ", ".join(f"{m} {c}" for m, c in by_module.most_common()))
    if args.misses:
        for module, lines in sorted(shown["misses"].items()):
            print(f"== {module}")
            for line in lines:
                print("  ", line[:400])
        if crisp is not None and not args.half:
            print("== crisp")
            for line in crisp["misses"]:
                print("  ", line[:400])
    return 0


if __name__ == "__main__":
    sys.exit(main())
