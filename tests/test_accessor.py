"""df.bounces: each method is the plain function it wraps; missing columns are named; charts and summary
show themselves, escaped; the public surface of `import analyzer`."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest

import analyzer
from analyzer import advice, blocklists, frame, providers, report, unknowns
from analyzer.accessor import NEEDS
from analyzer.hints import Hints
from analyzer.notebook import Chart, Summary
from analyzer.records import Accounting

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [str(ROOT / "samples" / "maillog"), str(ROOT / "samples" / "bounces.mbox")]
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return analyzer.load(SAMPLES)


@pytest.fixture(scope="module")
def hostile() -> pd.DataFrame:
    """Records whose domain and diagnostic are markup and invisible characters."""
    from tests.test_report import HOSTILE as TEXTS
    from tests.test_report import record

    records = [record("bounced", f"550 5.1.1 {text}", f"x@{text}.example") for text in TEXTS]
    records += [record("bounced", f"550 5.1.1 {text}", f"y@{text}.example") for text in TEXTS]
    return analyzer.to_frame(records)


def same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right)


def test_each_method_is_the_plain_function(df: pd.DataFrame) -> None:
    b = df.bounces
    same(b.by_status(), frame.by_status(df))
    same(b.by_domain(), frame.by_domain(df))
    same(b.by_domain(), df.pipe(frame.by_domain))
    same(b.by_provider(), providers.by_provider(providers.with_provider(df)))
    same(b.by_reason(), frame.by_reason(df))
    same(b.by_code(), frame.by_enhanced_code(df))
    same(b.by_code("reply"), frame.by_reply_code(df))
    same(b.by_code("class"), frame.by_code_class(df))
    same(b.over_time(), frame.over_time(df))
    same(b.over_time(freq="D", by="code_class"), frame.over_time(df, freq="D", by="code_class"))
    same(b.top_diagnostics(per_domain=1, limit=5), frame.top_diagnostics(df, per_domain=1, limit=5))
    same(b.blocklistings(), blocklists.listings(df))
    same(b.unknowns(limit=3), unknowns.unknowns(df, limit=3))
    same(b.failures(), frame.failures(df))
    assert set(b.failures()["status"]) == {"deferred", "bounced", "rejected"}
    assert len(b.blocklistings()) and len(b.top_diagnostics())


def test_hints_are_the_reports_advice_in_the_language_asked(df: pd.DataFrame) -> None:
    table = df.bounces.hints(lang="de")
    items = advice.advice(df, Hints.load("de"))
    assert table["id"].tolist() == [i["id"] for i in items] and len(items) > 2
    assert table["title"].tolist() == [i["title"] for i in items]
    assert table["count"].tolist() == [i["count"] for i in items]
    assert table["title"].tolist() != df.bounces.hints()["title"].tolist()  # English differs


def test_a_frame_that_is_no_records_frame_is_refused_at_once() -> None:
    with pytest.raises(AttributeError, match=r"needs the column status of analyzer.SCHEMA"):
        _ = pd.DataFrame({"x": [1]}).bounces


@pytest.mark.parametrize("method", sorted(NEEDS))
def test_each_method_names_each_column_it_lacks(df: pd.DataFrame, method: str) -> None:
    call = {
        "timeline": lambda b: b.plot.timeline(), "domains": lambda b: b.plot.domains(),
        "reasons": lambda b: b.plot.reasons(),
    }.get(method, lambda b: getattr(b, method)())
    call(df[list(NEEDS[method])].bounces)  # the columns it names are enough
    for column in NEEDS[method]:
        if column == "status":
            continue  # (refused by df.bounces itself, above)
        with pytest.raises(AttributeError, match=rf"needs the column {column} of"):
            call(df.drop(columns=[column]).bounces)


def test_missing_columns_are_all_named(df: pd.DataFrame) -> None:
    with pytest.raises(AttributeError, match=r"needs the columns domain, remote_mta of"):
        df.drop(columns=["domain", "remote_mta"]).bounces.by_provider()


def test_by_code_kind_is_checked(df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="enhanced, reply, class"):
        df.bounces.by_code("smtp")


def test_the_charts_are_the_reports(df: pd.DataFrame, tmp_path: Path) -> None:
    summary = analyzer.summarize(df)
    in_report = {name: base64.b64decode(uri.split(",", 1)[1]).decode() for name, uri in report.charts(summary).items()
                 if uri}
    plots = {"timeline": df.bounces.plot.timeline(), "classes": df.bounces.plot.timeline(by="code_class"),
             "domains": df.bounces.plot.domains(), "reasons": df.bounces.plot.reasons()}
    for name, chart in plots.items():
        assert isinstance(chart, Chart) and chart._repr_svg_() == chart.svg == in_report[name], name
        ElementTree.fromstring(chart.svg)
    plots["domains"].save(tmp_path / "domains.svg")
    assert (tmp_path / "domains.svg").read_text() == in_report["domains"]
    assert "Fehlschläge nach Grund" in df.bounces.plot.reasons(lang="de").svg


def test_an_empty_chart_says_so_and_writes_nothing(df: pd.DataFrame, tmp_path: Path) -> None:
    chart = df.loc[df["status"] == "sent"].bounces.plot.domains()
    assert chart.svg is None and "empty" in repr(chart)
    with pytest.raises(ValueError, match="nothing to draw"):
        chart.save(tmp_path / "x.svg")
    assert not (tmp_path / "x.svg").exists()


def test_hostile_labels_stay_text_in_the_charts(hostile: pd.DataFrame) -> None:
    svg = hostile.bounces.plot.domains().svg
    assert "<script" not in svg and "\u202e" not in svg
    labels = [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert any(label and label.startswith("<script>") for label in labels)


def test_report_written_or_returned(df: pd.DataFrame, tmp_path: Path) -> None:
    html = df.bounces.report()
    assert isinstance(html, str) and html.startswith("<!DOCTYPE html>") and "Input lines" not in html[:100]
    path = df.bounces.report(tmp_path / "r.html", lang="de")
    assert path == tmp_path / "r.html" and 'lang="de"' in path.read_text()
    assert ">4,000<" in html  # the accounting load() kept: 4,000 lines read


def test_the_summary_shows_itself_escaped_and_prints_as_text(df: pd.DataFrame, hostile: pd.DataFrame) -> None:
    summary = analyzer.summarize(df)
    assert isinstance(summary, Summary) and isinstance(summary, dict)
    assert str(summary) == repr(summary) == report.render_text(summary)
    assert "Input lines 4,000" in str(summary)
    html = summary._repr_html_()
    assert "Top actions" in html and "gmail.com" in html and "<script" not in html and "<style" not in html
    shown = analyzer.summarize(hostile)._repr_html_()
    assert "<script" not in shown and "<img" not in shown and "&lt;script&gt;" in shown
    assert "\u202e" not in shown and "\\u202e" in shown


def test_summarize_keeps_the_reports_call(df: pd.DataFrame) -> None:
    accounting = Accounting()
    loaded = analyzer.read_frame(SAMPLES, accounting)
    summary = analyzer.summarize(loaded, accounting, top=5, hints=Hints.load("de"))
    assert summary["top"] == 5 and summary["lang"] == "de" and summary["accounting"]["lines"]["read"] == 4000
    assert analyzer.render_html(summary).startswith("<!DOCTYPE html>")
    assert analyzer.summarize(loaded)["accounting"]["lines"]["read"] == 0  # read_frame keeps no attrs


def test_the_public_surface() -> None:
    assert dir(analyzer) == sorted([*analyzer.__all__, "__version__"])
    for name in analyzer.__all__:
        assert getattr(analyzer, name) is not None
    assert "engine" not in dir(analyzer) and "table" not in dir(analyzer)
    assert analyzer.summarize.__module__ == "analyzer.notebook"


@pytest.mark.parametrize("first", ["analyzer", "pandas"])
def test_the_accessor_is_registered_whichever_comes_first(first: str) -> None:
    probe = (f"import sys, {first}\n"
             "assert ('pandas' in sys.modules) == ('{first}' == 'pandas')\n"
             "import analyzer, pandas as pd\n"
             "try:\n    pd.DataFrame({'x': [1]}).bounces\nexcept AttributeError as error:\n    print(error)\n")
    found = subprocess.run([sys.executable, "-c", probe.replace("{first}", first)], capture_output=True,
                           text=True, check=True)
    assert "needs the column status of analyzer.SCHEMA" in found.stdout
