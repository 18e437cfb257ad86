"""analyzer.SCHEMA: the real columns and dtypes of load(), its version, the README's table, df.attrs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analyzer
from analyzer import schema
from analyzer.frame import STRING
from analyzer.records import Accounting

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [str(ROOT / "samples" / "maillog"), str(ROOT / "samples" / "bounces.mbox")]
CLASSIC = ("Mar  1 00:00:01 mx postfix/smtp[1]: 9F9AD90ED8: to=<g@example.org>, relay=a[192.0.2.1]:25, delay=1, "
           "delays=1/0/0/0, dsn=5.1.1, status=bounced (host a[192.0.2.1] said: 550 5.1.1 unknown user "
           "(in reply to RCPT TO command))\n")


@pytest.fixture(scope="module")
def samples() -> pd.DataFrame:
    return analyzer.load(SAMPLES)


def matches(dtype: object, declared: str) -> bool:
    if declared == "category":
        return isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype == STRING
    if declared == "string":
        return dtype == STRING
    if declared == "boolean":
        return isinstance(dtype, pd.BooleanDtype)
    if declared in ("Int64", "Float64"):
        return str(dtype) == declared
    if declared == "datetime64[us]":  # naive, or UTC when every stamp carried an offset
        if isinstance(dtype, pd.DatetimeTZDtype):
            return dtype.unit == "us" and str(dtype.tz) == "UTC"
        return dtype == np.dtype("datetime64[us]")
    raise AssertionError(f"unknown dtype {declared}")


def test_the_columns_and_dtypes_of_load_are_the_schemas(samples: pd.DataFrame, tmp_path: Path) -> None:
    log = tmp_path / "maillog"
    log.write_text(CLASSIC)
    naive = analyzer.load(str(log))
    assert naive["time"].dt.tz is None and samples["time"].dt.tz is not None
    for df in (samples, naive, analyzer.to_frame([])):
        assert list(df.columns) == analyzer.SCHEMA.names
        wrong = {c.name: (str(df[c.name].dtype), c.dtype) for c in analyzer.SCHEMA
                 if not matches(df[c.name].dtype, c.dtype)}
        assert wrong == {}


def test_each_column_is_filled_by_the_inputs_it_names(samples: pd.DataFrame) -> None:
    from_logs = samples["parser"] == "postfix-log"
    filled = {"logs": samples.loc[from_logs], "bounces": samples.loc[~from_logs]}
    assert all(len(part) for part in filled.values())
    for column in analyzer.SCHEMA:
        assert set(column.inputs) <= set(schema.INPUTS), column
        seen = {name for name, part in filled.items() if part[column.name].notna().any()}
        assert seen == set(column.inputs), column.name


def test_the_version_changes_with_the_columns() -> None:
    recorded = schema.recorded_fingerprints()
    current = analyzer.SCHEMA
    assert current.version == max(recorded), "the newest version in [fingerprints] is the schema's version"
    assert recorded[current.version] == current.fingerprint(), (
        f"the columns changed: bump version in analyzer/data/schema.toml to {current.version + 1} and record "
        f"its fingerprint {current.fingerprint()!r} in [fingerprints]")
    assert len(set(recorded.values())) == len(recorded)
    changed = schema.Schema(current.version, (*current.columns, schema.Column("size", "string", "", ("logs",))))
    assert changed.fingerprint() != current.fingerprint()


def test_a_column_without_an_entry_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "ORDER", [*schema.ORDER, "not_a_column"])
    schema.load_schema.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"without an entry \['not_a_column'\]"):
            schema.load_schema()
    finally:
        monkeypatch.undo()
        schema.load_schema.cache_clear()


def test_the_readme_table_is_the_schemas() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- schema:[^\n]*-->\n(.*?)<!-- /schema -->", readme, re.S)
    assert found is not None, "README.md lacks the schema markers"
    assert found.group(1) == analyzer.SCHEMA.markdown(), "run: python -m analyzer.schema"


def test_schema_lookup_and_html() -> None:
    assert analyzer.SCHEMA["hard"].dtype == "boolean" and len(analyzer.SCHEMA) == len(analyzer.SCHEMA.names)
    with pytest.raises(KeyError):
        analyzer.SCHEMA["nope"]
    assert "<td><code>sisimai_reason</code></td>" in analyzer.SCHEMA._repr_html_()


def test_load_keeps_the_accounting_and_version_in_attrs(samples: pd.DataFrame, tmp_path: Path) -> None:
    accounting = Accounting()
    df = analyzer.load(SAMPLES, accounting)
    assert df.attrs["accounting"] == accounting.to_dict() == samples.attrs["accounting"]
    assert df.attrs["accounting"]["lines"]["read"] == 4000
    assert df.attrs["schema_version"] == analyzer.SCHEMA.version
    assert Accounting.from_dict(df.attrs["accounting"]).to_dict() == accounting.to_dict()
    df.head(10).to_parquet(tmp_path / "r.parquet")  # attrs stay plain data, which Parquet keeps
    assert pd.read_parquet(tmp_path / "r.parquet").attrs["schema_version"] == analyzer.SCHEMA.version
