"""Score the generic text-bounce fallback alone on ../shared/corpus/bounces (and the crisp texts).

Only :func:`analyzer.formats.bounce.fallback.decode` runs: no family decoder (ARF, fml, the family
table of ``textual``), no ``message/delivery-status`` part, no family header (X-Failed-Recipients).
It reads the bounces of ~60 MTAs and providers as if each were an unknown MTA's, so its figures say
how well the generic rules hold on formats they were not written for.  Auto-replies (RFC3834) and
feedback reports (ARF) are not text bounces and are left out; negative samples must give nothing.

Per expected recipient: found (recall), and whether the notice's text names it at all (the ceiling
of a text-only reader).  Per returned address: right or wrong (precision), and what a wrong one is
(the bounce's sender or addressee, a daemon address, a header or the body of the returned original,
other).  Per record: an empty diagnostic although the notice has text (and, for comparison, the
records of the whole pipeline with an empty diagnostic).  ``--shapes`` prints, for each
miss, the skeleton of the line naming the address (words as ``w``, digits as ``9``, the address as
``ADDR``) and of the line above it: the structure of the misses, not their wording.

    python bench/fallback_score.py [--json] [--shapes]
"""

from __future__ import annotations

import argparse
import email
import json
import re
import sys
from collections import Counter
from email.message import Message
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from analyzer.formats.bounce import fallback, records_of
from analyzer.formats.bounce.mail import Mail, clean, decode_value
from analyzer.formats.mailbox import normalise_newlines, parse_message

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS = SHARED / "bounces"
CRISP = SHARED / "bounces-crisp"
#: Not text bounces: a fallback for text bounces is not asked to read them.
SKIPPED_MODULES = {"ARF", "RFC3834"}
_HEADERS = ("From", "Reply-To", "To", "Cc", "Bcc", "Sender", "Return-Path", "Delivered-To", "X-Original-To",
            "Errors-To", "Disposition-Notification-To")


def _original_addresses(mail: Mail) -> tuple[set[str], set[str]]:
    """Addresses of the returned original's headers, and of its quoted body."""
    headers: set[str] = set()
    body = ""
    original = mail.original
    if original is not None:
        for name in _HEADERS:
            values = [decode_value(v) for v in original.get_all(name, [])]
            headers.update(a.lower() for _, a in getaddresses(values) if "@" in a)
        payload = original.get_payload()
        body = payload if isinstance(payload, str) else ""
    body += mail.quoted_original
    found = {m.group(0).lower() for m in re.finditer(r"[\w.+-]{1,64}@[\w.-]{1,200}", body[:200000])}
    return headers, found - headers


def _wrong_kind(address: str, mail: Mail, original: tuple[set[str], set[str]]) -> str:
    """What a wrongly returned address is."""
    if address == mail.sender:
        return "bounce sender"
    if address in {a.lower() for _, a in getaddresses([mail.header("To")])}:
        return "bounce addressee"
    if re.match(r"(?:mailer-?daemon|post-?master|mail-?daemon|no-?reply)@", address):
        return "daemon address"
    if address in original[0]:
        return "original's headers"
    if address in original[1]:
        return "original's body"
    return "other"


def skeleton(line: str, address: str) -> str:
    """The shape of ``line``: the address as ADDR, other addresses as A, words as w, digits as 9."""
    shape = line.lower().replace(address, "\0")
    shape = re.sub(r"[\w.+-]{1,64}@[\w.-]{1,200}", "A", shape)
    shape = re.sub(r"[^\W\d_]{1,100}", "w", shape)
    shape = re.sub(r"\d{1,20}", "9", shape)
    return re.sub(r"(?:w ){3,}", "w.. ", shape.replace("\0", "ADDR"))[:120]


def _shape_of_miss(mail: Mail, address: str) -> str:
    lines = mail.text.split("\n")
    for index, line in enumerate(lines):
        if address in line.lower():
            above = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            gap = "blank above" if index and not lines[index - 1].strip() else "no blank"
            return f"[{skeleton(above.strip(), address)}] / [{skeleton(line, address)}] ({gap})"
    local = address.partition("@")[0]
    for line in lines:
        if local and local in line.lower():
            places = ", ".join(_places(mail, address))
            return f"(local part only: [{skeleton(line.strip(), local)}]; found in: {places})"
    return f"(not in the notice's text; found in: {', '.join(_places(mail, address)) or 'nowhere'})"


def _places(mail: Mail, address: str) -> list[str]:
    """Where else the message names ``address`` (bounce headers, parts by type, the original's headers)."""
    places = [f"bounce {name}" for name, value in mail.message.items() if address in str(value).lower()]
    if address in mail.body_text.lower():
        places.append("readable text after the original's marker")
    for ctype, part in mail.typed_parts:
        if part.is_multipart() or part is mail.message:
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            text = " ".join(str(sub) for sub in payload if isinstance(sub, Message))
        else:
            text = str(part.get_payload(decode=False))
        if address in text.lower():
            places.append(ctype)
    original = mail.original
    if original is not None:
        places += [f"original {name}" for name, value in original.items() if address in str(value).lower()]
    return places


def _has_text(mail: Mail) -> bool:
    return any(c.isalnum() for c in mail.text)


def score_message(message: Message, expected: list[str] | None, totals: Counter[str],
                  kinds: Counter[str], shapes: list[str] | None, label: str) -> list[str]:
    """Add one bounce's figures to ``totals`` (misses per expected address; wrong ones in ``kinds``)."""
    mail = Mail(message)
    totals["pipeline_empty_diagnostic"] += sum(1 for r in records_of(message, label) if not r.diagnostic)
    hits = fallback.decode(mail)
    found = [clean(hit.recipient).strip().lower() for hit in hits]
    totals["records"] += len(hits)
    has_text = _has_text(mail)
    empty = sum(1 for hit in hits if not clean(hit.diagnostic).strip())
    totals["empty_diagnostic"] += empty if has_text else 0
    missed: list[str] = []
    if expected is None:
        return missed
    notice = mail.text.lower()
    for address in expected:
        totals["expected"] += 1
        named = address in notice
        totals["named"] += named
        if address in found:
            totals["found"] += 1
            totals["found_named"] += named
        else:
            missed.append(address)
            if shapes is not None:
                shapes.append(f"{label}: {_shape_of_miss(mail, address)}")
    original = _original_addresses(mail)
    for address in dict.fromkeys(found):
        totals["returned"] += 1
        if address in expected:
            totals["right"] += 1
        else:
            kind = _wrong_kind(address, mail, original)
            kinds[kind] += 1
            if shapes is not None:
                shapes.append(f"{label}: WRONG {kind}: {_shape_of_miss(mail, address)}")
    return missed


def score(corpus: Path = CORPUS, shapes: list[str] | None = None) -> dict[str, Any]:
    """Fallback-alone figures over ``expected.jsonl`` of the Sisimai-labelled corpus."""
    rows = [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines() if line]
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    by_module: Counter[str] = Counter()
    for row in rows:
        module = row["module"]
        if module in SKIPPED_MODULES:
            continue
        message = parse_message(normalise_newlines((corpus / row["file"]).read_bytes()))
        if not row["expect"]:
            if not row.get("disputed"):
                totals["not"] += 1
                totals["not_ok"] += not fallback.decode(Mail(message))
            continue
        missed = score_message(message, row.get("recipients"), totals, kinds, shapes, module)
        by_module[module] += len(missed)
        totals["bounces"] += 1
    return _figures(totals, kinds) | {"misses_by_module": dict(by_module.most_common())}


def score_crisp(corpus: Path = CRISP, shapes: list[str] | None = None) -> dict[str, Any]:
    """The same figures over the crisp texts, each read as the body of a minimal bounce."""
    rows = [json.loads(line) for line in (corpus / "expected.jsonl").read_text().splitlines() if line]
    head = (b"From: MAILER-DAEMON@mailer.example.net (Mail Delivery System)\n"
            b"To: sender@example.net\nSubject: Undelivered Mail Returned to Sender\n"
            b"Content-Type: text/plain; charset=utf-8\n\n")
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for row in rows:
        if "recipients" not in row.get("asserted", ()):
            continue
        message = email.message_from_bytes(head + (corpus / row["file"]).read_bytes())
        if not row["is_bounce"] or not row["recipients"]:
            totals["not"] += 1
            totals["not_ok"] += not fallback.decode(Mail(message))
            continue
        score_message(message, row["recipients"], totals, kinds, shapes, "crisp")
        totals["bounces"] += 1
    return _figures(totals, kinds)


def _figures(totals: Counter[str], kinds: Counter[str]) -> dict[str, Any]:
    return {
        "bounces": totals["bounces"],
        "expected": totals["expected"],
        "recall_pct": 100 * totals["found"] / max(1, totals["expected"]),
        "named_pct": 100 * totals["named"] / max(1, totals["expected"]),
        "recall_named_pct": 100 * totals["found_named"] / max(1, totals["named"]),
        "returned": totals["returned"],
        "precision_pct": 100 * totals["right"] / max(1, totals["returned"]),
        "wrong": dict(kinds.most_common()),
        "empty_diagnostic": totals["empty_diagnostic"],
        "pipeline_empty_diagnostic": totals["pipeline_empty_diagnostic"],
        "records": totals["records"],
        "not_ok": f"{totals['not_ok']}/{totals['not']}",
    }


def _line(name: str, result: dict[str, Any]) -> str:
    wrong = ", ".join(f"{kind} {n}" for kind, n in result["wrong"].items()) or "none"
    return (f"{name:<6} bounces {result['bounces']}  recipients {result['expected']}  "
            f"recall {result['recall_pct']:.1f}% (named in the text {result['named_pct']:.1f}%, "
            f"of those found {result['recall_named_pct']:.1f}%)  precision {result['precision_pct']:.1f}% of "
            f"{result['returned']} (wrong: {wrong})  empty diagnostics {result['empty_diagnostic']} of "
            f"{result['records']} (whole pipeline: {result['pipeline_empty_diagnostic']})  "
            f"non-bounces without a record {result['not_ok']}")


def main() -> int:
    """Print the figures (and the shapes of the misses with ``--shapes``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--shapes", action="store_true", help="the skeleton of each missed address's line")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    shapes: list[str] | None = [] if args.shapes else None
    result = score(shapes=shapes)
    crisp = score_crisp(shapes=shapes) if CRISP.is_dir() else None
    if args.json:
        print(json.dumps({"sisimai": result, "crisp": crisp}, indent=1))
        return 0
    print(_line("corpus", result))
    print("misses by family:", ", ".join(f"{m} {n}" for m, n in result["misses_by_module"].items() if n))
    if crisp is not None:
        print(_line("crisp", crisp))
    for line in shapes or []:
        print("  ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
