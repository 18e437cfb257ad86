"""The knowledge base: every code, reason and category the report can meet has a hint in English and German."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from analyzer.classify import REASONS, load_rules
from analyzer.hints import LANGUAGES, Hints

BASIC_CODES = ["421", "450", "451", "452", "454", "500", "501", "502", "503", "504", "521", "530", "535",
               "550", "551", "552", "553", "554", "556"]
ENHANCED = ["5.7.1", "5.7.23", "5.7.25", "5.7.26", "4.7.0", "5.7.606", "5.1.1", "5.2.2", "4.4.1", "5.4.4",
            "5.5.1", "5.6.0", "5.3.4", "4.2.2", "4.7.28"]
SUBJECTS = ["1", "2", "3", "4", "5", "6", "7"]
CATEGORIES = ["101", "111", "447", "512"]
FIELDS = ("title", "meaning", "steps")


def hint_data() -> dict:
    return tomllib.loads(resources.files("analyzer.data").joinpath("hints.toml").read_text("utf-8"))


def assert_complete(entry: dict, where: str) -> None:
    assert entry.get("side") in ("sender", "recipient", "transport"), where
    assert entry.get("retry") in ("no", "yes", "after-fix"), where
    for lang in LANGUAGES:
        text = entry.get(lang, {})
        for field in FIELDS:
            assert text.get(field), f"{where}: no {lang}.{field}"


@pytest.mark.parametrize(("group", "keys"), [
    ("codes", BASIC_CODES), ("enhanced", ENHANCED), ("reasons", sorted(REASONS)), ("categories", CATEGORIES),
])
def test_every_required_key_has_a_hint_in_both_languages(group: str, keys: list[str]) -> None:
    data = hint_data()
    for key in keys:
        assert key in data[group], f"{group}.{key} has no hint"
        assert_complete(data[group][key], f"{group}.{key}")


def test_every_enhanced_subject_has_a_generic_hint() -> None:
    data = hint_data()["enhanced"]
    for klass in ("4", "5"):
        for subject in SUBJECTS:
            assert f"{klass}.{subject}.0" in data, f"{klass}.{subject}.0"


def test_every_code_the_classifier_knows_has_a_hint() -> None:
    rules = load_rules()
    data = hint_data()
    for code in rules.get("codes", {}):
        if code.endswith("*"):
            continue
        generic = ".".join([*code.split(".")[:2], "0"])
        assert code in data["enhanced"] or generic in data["enhanced"], code
    for reason in {*rules.get("codes", {}).values(), *rules.get("categories", {}).values()}:
        assert reason in data["reasons"], reason


def test_all_hints_are_complete() -> None:
    for group, entries in hint_data().items():
        for key, entry in entries.items():
            assert_complete(entry, f"{group}.{key}")


def test_german_hints_are_used() -> None:
    hint = Hints.load("de").get("codes", "550")
    assert hint is not None and hint["title"] != Hints.load("en").get("codes", "550")["title"]


def test_every_report_text_has_a_german_translation() -> None:
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "reports" / "templates"
    catalog = tomllib.loads(resources.files("analyzer.data").joinpath("ui.toml").read_text("utf-8"))["de"]
    texts: set[str] = set()
    for template in templates.rglob("*.j2"):
        source = template.read_text()
        texts |= set(re.findall(r'[^n]_\("((?:[^"\\]|\\.)*)"', source))
        for one, many in re.findall(r'ngettext\("((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"', source):
            texts |= {one, many}
    texts |= {f"{side} side" for side in ("sender", "recipient", "transport")}
    texts |= {"yes", "no", "after-fix", "inbound", "outbound", "sent", "deferred", "bounced", "expired", "rejected"}
    assert sorted(texts - set(catalog)) == []


def test_every_phrase_names_where_its_wording_comes_from() -> None:
    """Each pattern of the phrase files carries a comment naming its source (or saying none was found)."""
    import re

    folder = resources.files("analyzer.data").joinpath("phrases")
    rules = load_rules()
    assert rules["phrase_files"], "no phrase files"
    unsourced = []
    for name in rules["phrase_files"]:
        inside = False
        for number, line in enumerate(folder.joinpath(name).read_text("utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("patterns = ["):
                inside = not stripped.split("#", 1)[0].rstrip().endswith("]")
                if not inside and "#" not in stripped:
                    unsourced.append(f"{name}:{number}")
                continue
            if inside and stripped.startswith("]"):
                inside = False
            elif inside and re.match(r'^"', stripped) and not re.search(r'",?\s+#\s*\S', stripped):
                unsourced.append(f"{name}:{number}")
    assert not unsourced, unsourced
