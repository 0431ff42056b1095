"""Several networks side by side: counts, ratios to the first, and optional measured latency.

JSON documents (what ``igcdesign net --json`` prints):

- one spec: ``NetCount.as_dict()`` — ``{"net", "params", "mult_adds", "mem_access", "classes",
  "resolution", "bn", "fc", "stages": [{"name", "blocks", "params", "mult_adds", "mem_access",
  "width", "resolution", "bn_params"}, ...]}``, plus ``"latency": [...]`` and ``"device"`` with
  ``--measure``;
- several specs: ``{"baseline": <first net>, "nets": [doc, ...]}`` where each doc is the one-spec
  document plus ``"ratios": {"params", "mult_adds", "mem_access"[, "latency_batch_<b>"]}``, each
  the net's value divided by the first net's (1.0 for the first).
"""

from __future__ import annotations

from typing import Any, Sequence

from igcdesign.nets.counting import NetCount

RATIO_KEYS = ("params", "mult_adds", "mem_access")


def ratio(value: float, base: float) -> float | None:
    return value / base if base else None


def compare_documents(counts: Sequence[NetCount], latencies: Sequence[list[dict]] | None = None) -> dict[str, Any]:
    """The several-spec JSON document (see the module docstring)."""
    docs = [c.as_dict() for c in counts]
    if latencies is not None:
        for doc, rows in zip(docs, latencies):
            doc["latency"] = rows
    first = docs[0]
    for doc in docs:
        doc["ratios"] = {key: ratio(doc[key], first[key]) for key in RATIO_KEYS}
        if latencies is not None:
            base = {row["batch"]: row["latency_ms"] for row in first["latency"]}
            for row in doc["latency"]:
                doc["ratios"][f"latency_batch_{row['batch']}"] = ratio(row["latency_ms"], base[row["batch"]])
    return {"baseline": first["net"], "nets": docs}
