"""The statuses records end in, and the rates the report, the alerts and the trends compute from their
counts (one definition for all; no pandas, so that the command line can parse alerts before it loads)."""

from __future__ import annotations

from collections.abc import Mapping

#: Outbound delivery attempts.
ATTEMPT_STATUSES = ("sent", "deferred", "bounced", "expired")
#: Outbound failures (the recipient was not reached this time).
OUTBOUND_FAILURES = ("deferred", "bounced", "expired")
#: Every failure, inbound refusals included.
FAILURE_STATUSES = (*OUTBOUND_FAILURES, "rejected")


def rates(counts: Mapping[str, int]) -> dict[str, float]:
    """Delivery rate sent / (sent + bounced + expired), bounce rate (bounced + expired) / the same,
    deferral rate deferred / attempts, from counts by status."""
    final = counts.get("sent", 0) + counts.get("bounced", 0) + counts.get("expired", 0)
    attempts = sum(counts.get(s, 0) for s in ATTEMPT_STATUSES)
    return {
        "delivery_rate": counts.get("sent", 0) / final if final else 0.0,
        "bounce_rate": (counts.get("bounced", 0) + counts.get("expired", 0)) / final if final else 0.0,
        "deferral_rate": counts.get("deferred", 0) / attempts if attempts else 0.0,
    }
