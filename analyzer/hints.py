"""Remediation hints from ``data/hints.toml``: what a code, category or reason means and who must act."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

GROUPS = ("enhanced", "codes", "categories", "reasons")
LANGUAGES = ("en", "de")


@lru_cache(maxsize=4)
def _bundled() -> dict[str, Any]:
    text = resources.files("analyzer.data").joinpath("hints.toml").read_text("utf-8")
    return tomllib.loads(text)


class Hints:
    """Looks up hints by enhanced code, reply code, connection category or reason."""

    def __init__(self, data: dict[str, Any] | None = None, lang: str = "en") -> None:
        self.data = data if data is not None else _bundled()
        self.lang = lang

    @classmethod
    def load(cls, lang: str = "en", extra: Path | None = None) -> Hints:
        """The bundled hints, with the tables of a user's TOML file added or overriding them."""
        data = {group: dict(_bundled().get(group, {})) for group in GROUPS}
        if extra is not None:
            with open(extra, "rb") as handle:
                user = tomllib.load(handle)
            for group in GROUPS:
                data[group].update(user.get(group, {}))
        return cls(data, lang)

    def get(self, group: str, key: str | None) -> dict[str, Any] | None:
        """The hint of one key in one group, flattened to the chosen language, or None."""
        if not key:
            return None
        entry = self.data.get(group, {}).get(key)
        if entry is None:
            return None
        text = entry.get(self.lang) or entry.get("en") or {}
        return {
            "group": group, "key": key, "side": entry.get("side", ""), "retry": entry.get("retry", ""),
            "title": text.get("title", ""), "meaning": text.get("meaning", ""),
            "steps": list(text.get("steps", [])), "label": text.get("label", ""),
        }

    def best(self, enhanced: str | None, reply: str | None, category: str | None, reason: str | None
             ) -> dict[str, Any] | None:
        """The most specific hint: enhanced code, then reply code, then category, then reason."""
        for group, key in (("enhanced", enhanced), ("codes", reply), ("categories", category),
                           ("reasons", reason)):
            hint = self.get(group, key)
            if hint is not None:
                return hint
        return None
