"""The documented, versioned columns of the records DataFrame: ``analyzer.SCHEMA``.

Order and dtypes come from :mod:`analyzer.table` (the :class:`~analyzer.records.Record` fields),
meanings and inputs from ``data/schema.toml``; ``python -m analyzer.schema`` prints the README's
column table.  No pandas here: the command line may read it before pandas is loaded.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .table import CATEGORIES, NUMBERS, ORDER

#: What fills a column: Postfix logs, bounce messages (with complaints and auto-replies).
INPUTS = ("logs", "bounces")


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, pandas dtype, meaning and the inputs that fill it."""

    name: str
    dtype: str
    meaning: str
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Schema:
    """The records' columns in DataFrame order, with a version that changes with any column."""

    version: int
    columns: tuple[Column, ...]

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """The column names in order."""
        return [c.name for c in self.columns]

    def fingerprint(self) -> str:
        """A short digest of the names and dtypes, recorded in schema.toml per version."""
        shape = "\n".join(f"{c.name}:{c.dtype}" for c in self.columns)
        return hashlib.sha256(shape.encode()).hexdigest()[:12]

    def markdown(self) -> str:
        """The column table of the README."""
        lines = [f"Schema version {self.version} (`analyzer.SCHEMA`).", "",
                 "| column | dtype | meaning | filled from |", "| --- | --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.dtype} | {c.meaning} | {', '.join(c.inputs)} |" for c in self.columns]
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        from html import escape

        body = "".join(f"<tr><td><code>{escape(c.name)}</code></td><td>{escape(c.dtype)}</td>"
                       f"<td>{escape(c.meaning)}</td><td>{escape(', '.join(c.inputs))}</td></tr>"
                       for c in self.columns)
        return (f"<p>Schema version {self.version}</p><table><thead><tr><th>column</th><th>dtype</th>"
                f"<th>meaning</th><th>filled from</th></tr></thead><tbody>{body}</tbody></table>")


def dtype_of(name: str) -> str:
    """The pandas dtype :func:`analyzer.frame.from_table` gives a column of :mod:`analyzer.table`."""
    if name == "time":
        return "datetime64[us]"  # with tz UTC when every stamp carried an offset
    if name == "hard":
        return "boolean"
    if name in NUMBERS:
        return {"int64": "Int64", "double": "Float64"}[str(NUMBERS[name])]
    return "category" if name in CATEGORIES else "string"


@lru_cache(maxsize=1)
def load_schema() -> Schema:
    """The schema of the bundled ``schema.toml``; a column without an entry there is an error."""
    data = tomllib.loads(resources.files("analyzer.data").joinpath("schema.toml").read_text("utf-8"))
    described = data["columns"]
    missing, extra = set(ORDER) - set(described), set(described) - set(ORDER)
    if missing or extra:
        raise ValueError(f"schema.toml: columns without an entry {sorted(missing)}, "
                         f"entries of no column {sorted(extra)}")
    return Schema(int(data["version"]), tuple(
        Column(name, dtype_of(name), described[name]["meaning"], tuple(described[name]["inputs"]))
        for name in ORDER))


def recorded_fingerprints() -> dict[int, str]:
    """The fingerprint schema.toml records for each version."""
    data = tomllib.loads(resources.files("analyzer.data").joinpath("schema.toml").read_text("utf-8"))
    return {int(version): digest for version, digest in data["fingerprints"].items()}


SCHEMA = load_schema()

if __name__ == "__main__":
    print(SCHEMA.markdown(), end="")
