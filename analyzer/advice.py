"""What to do: failures grouped by the hint that explains them, who must act, and the verdict."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from .frame import as_string
from .hints import Hints

OUTBOUND_FAILURES = ("bounced", "deferred", "expired")
KEYS = ["enhanced_code", "smtp_code", "category", "reason", "rule"]


@lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    """Thresholds and labels of ``data/verdict.toml``."""
    return tomllib.loads(resources.files("analyzer.data").joinpath("verdict.toml").read_text("utf-8"))


def hint_for(hints: Hints, enhanced: str | None, reply: str | None, category: str | None,
             reason: str | None, rule: str | None) -> dict[str, Any] | None:
    """The hint that best explains one failure.

    A connection-level failure (no SMTP reply) is explained by its category; a reason that a text
    rule found (``phrase:``/``provider:``) says more than a generic code, so its hint comes next;
    otherwise the most specific code wins.
    """
    if category and (hint := hints.get("categories", category)) is not None:
        return hint
    by_text = bool(rule) and str(rule).split(":", 1)[0] in ("phrase", "provider", "hint", "user")
    if by_text and (hint := hints.get("reasons", reason)) is not None:
        return hint
    return hints.best(enhanced, reply, category, reason) or hints.get(
        "enhanced", generic_code(enhanced)) or hints.get("reasons", reason)


def generic_code(code: str | None) -> str | None:
    """``5.7.999`` -> ``5.7.0``."""
    parts = (code or "").split(".")
    return f"{parts[0]}.{parts[1]}.0" if len(parts) == 3 else None


def advice(df: pd.DataFrame, hints: Hints, examples: int = 3) -> list[dict[str, Any]]:
    """One item per hint that explains outbound failures: the hint, how many, example texts, domains."""
    failed = df.loc[df["status"].isin(OUTBOUND_FAILURES), [*KEYS, "domain", "diagnostic", "pattern"]]
    if failed.empty:
        return []
    keyed = failed.assign(**{k: as_string(failed[k]).fillna("") for k in KEYS})
    combos = keyed.groupby(KEYS).size().rename("count").reset_index()
    items: dict[str, dict[str, Any]] = {}
    ids: list[str | None] = []
    for combo in combos.itertuples(index=False):
        hint = hint_for(hints, *(value or None for value in combo[:5]))
        if hint is None:
            ids.append(None)
            continue
        key = f"{hint['group']}:{hint['key']}"
        ids.append(key)
        item = items.setdefault(key, {**hint, "id": key, "count": 0})
        item["count"] += int(combo.count)
    labelled = keyed.merge(combos.assign(item=ids)[[*KEYS, "item"]], on=KEYS, how="left")
    order = {side: i for i, side in enumerate(settings()["sides"]["order"])}
    result = sorted(items.values(), key=lambda i: (order.get(i["side"], 9), -i["count"]))
    for item, chosen in labelled[["item", "domain", "diagnostic", "pattern"]].groupby("item"):
        entry = items[str(item)]
        entry["domains"] = chosen["domain"].value_counts().head(5).to_dict()
        texts = chosen.loc[chosen["diagnostic"].notna()]
        distinct = texts.drop_duplicates(subset="pattern" if texts["pattern"].notna().all() else "diagnostic")
        entry["examples"] = distinct["diagnostic"].head(examples).tolist()
    return result


def sides(items: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Failures per side (sender, transport, recipient), in the order the report shows them."""
    config = settings()["sides"]
    totals = {side: 0 for side in config["order"]}
    for item in items:
        totals[item["side"]] = totals.get(item["side"], 0) + item["count"]
    return [{"side": side, "label": config["label"].get(side, {}).get(lang, side), "count": count}
            for side, count in totals.items()]


def top_actions(items: list[dict[str, Any]], count: int = 3) -> list[dict[str, Any]]:
    """The first actions to take: sender-side and transport fixes before recipient-side ones."""
    return [{"title": i["title"], "step": (i["steps"] or [i["meaning"]])[0], "count": i["count"],
             "side": i["side"], "id": i["id"], "retry": i["retry"]} for i in items[:count]]


def verdict(headline: dict[str, Any], lang: str) -> dict[str, Any]:
    """Healthy / needs attention / problem, from the bounce and deferral rates."""
    config = settings()
    level = "ok"
    for rate in ("bounce_rate", "deferral_rate"):
        value = headline[rate]
        if value > config[rate]["bad"]:
            level = "bad"
        elif value > config[rate]["warn"] and level == "ok":
            level = "warn"
    if not headline["attempts"]:
        level = "ok"
    return {"level": level, "label": config["levels"][level][lang]}
