"""The widest block of each family within a time: `widest --latency-budget 0.5ms`.

Time is the latency :mod:`igcdesign.latency` predicts on this machine's profile, at one map side
and batch. For each family the search walks the family's exact parameter optima
(:func:`igcdesign.search.widest_family`, constraints and rule included): it finds by bisection
the largest parameter budget T whose widest block is predicted within the time (with
``params``, T is at most that budget), then weighs every block within a few per cent of the
width just beyond, and keeps the widest whose prediction fits, with the next best ones: the
candidates that measurement decides between (``verify`` per family, the command's job, since
measuring needs torch). The bound that bit is 'params' when the widest within the parameter
budget already fits the time, else 'time'.

Predicted latency need not grow with the budget (a wider IGCV2 optimum may run fewer convs), so
past the boundary every distinct parameter optimum up to SCAN_FACTOR × its budget is weighed
too. The prediction is a model, not a measurement, and the search is exact over the blocks it
weighs (every parameter optimum up to `searched_params`, and the blocks near the boundary), not
over every block of a family.

Measurement then decides (:func:`decide_by_measurement`, with the measuring passed in, since it
needs torch): a candidate fits when its measured latency is at most the budget less a margin
(``DEFAULT_MARGIN``: a second run of the same block on a shared machine differs by a few per
cent). When none of a family's candidates fits, the search steps down: it runs again at the
budget scaled by the largest measured / predicted of the candidates just measured, kept between
``STEP_DOWN_AT_MOST`` and ``STEP_DOWN_AT_LEAST`` × the budget searched before (each step weighs
narrower blocks, and one outlying measurement cannot throw the answer far: at 1 ms one IGCV3
block measured 3.8× its prediction, and an unbounded step ended on C=6 where C=20 fitted),
measures the new candidates, and repeats, at most ``MAX_STEP_DOWNS`` times; the widest measured
one that fits decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from igcdesign.errors import IGCError
from igcdesign.families.base import DesignOptions
from igcdesign.rules import DEFAULT_RULE

MAX_SEARCH_PARAMS = 10**12  # the parameter budget the time search may grow to
NEAR_FRACTION = 0.03  # blocks within 3 % of the width just beyond the boundary are weighed too
NEAR_LIMIT = 40
BISECTION_PRECISION = 1e-3  # relative width of the last parameter interval
DEFAULT_VERIFY = 3
SCAN_FACTOR = 2  # past the boundary, every parameter optimum up to this multiple of its budget is weighed
MAX_STEPS = 400  # distinct optima weighed in that scan
NARROWER_STEP = 0.8  # below the boundary, the optima at 0.8×, 0.64×, … its budget fill the candidates
NARROWER_TRIES = 12
STEP_DOWN_AT_LEAST = 0.7  # each step down searches at most 0.7 × the budget of the one before
STEP_DOWN_AT_MOST = 0.5  # and at least half of it: one outlying measurement must not throw the answer far
DEFAULT_MARGIN = 0.05  # a measured candidate fits within budget × (1 − margin)
MAX_MARGIN = 0.5
MAX_STEP_DOWNS = 4

# specs → {spec: {"measured_ms": ..., "iqr_ms": ...}}, every spec measured in one run
Measure = Callable[[list[str]], dict[str, dict]]


def _optimum_steps(width, start: int, end: int, limit: int):
    """The budgets in (start, end] at which the widest block gets wider (width(T) never falls as T
    grows): each is found by galloping then bisection, at most `limit` of them."""
    T, current = max(start, 1), width(max(start, 1))
    for _ in range(limit):
        step = 1
        while T + step <= end and width(T + step) <= current:
            step *= 2
        if T + step > end and width(end) <= current:
            return
        low, high = T + step // 2, min(T + step, end)  # width(low) ≤ current < width(high)
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (mid, high) if width(mid) <= current else (low, mid)
        T, current = high, width(high)
        yield T


@dataclass
class TimedResult:
    """One family's answer: its candidates that fit the time (widest first), the bound that bit,
    and the chosen one (the first candidate, until a measurement decides otherwise)."""

    family: str
    latency_budget_ms: float
    hw: int
    batch: int
    candidates: list[dict] = field(default_factory=list)
    bound: str | None = None  # 'params' or 'time'
    params_budget: int | None = None
    note: str | None = None
    searched_params: int | None = None  # every parameter optimum up to this budget was weighed
    verified: bool = False  # measured: `decision` is the answer, `candidates` all that was measured
    decision: dict | None = None
    step_downs: list[dict] = field(default_factory=list)  # {"budget_ms", "ratio"} per re-search

    @property
    def chosen(self) -> dict | None:
        if self.verified:
            return self.decision
        return self.candidates[0] if self.candidates else None

    def as_dict(self) -> dict[str, Any]:
        chosen = self.chosen or {}
        return {"family": self.family, "spec": chosen.get("spec"), "width": chosen.get("width"),
                "params": chosen.get("params"), "predicted_ms": chosen.get("predicted_ms"),
                **({"measured_ms": chosen.get("measured_ms")} if self.verified else {}),
                "bound": self.bound, "latency_budget_ms": self.latency_budget_ms, "hw": self.hw, "batch": self.batch,
                "params_budget": self.params_budget, "searched_params": self.searched_params,
                "candidates": self.candidates, "step_downs": self.step_downs, "note": self.note}


def widest_within_time(latency_budget_s: float, *, hw: int, batch: int, profile, k: int = 3,
                       families: Sequence[str] | None = None, params: int | None = None,
                       options: DesignOptions | None = None, rule: str = DEFAULT_RULE,
                       verify: int = DEFAULT_VERIFY, impl: str = "fast") -> list[TimedResult]:
    """Per family, the widest blocks whose predicted latency (on `profile`, hw×hw maps, `batch`)
    is at most `latency_budget_s` seconds (and whose params at most `params`), `verify` of them,
    widest first (ties: faster predicted)."""
    from igcdesign.families import widest_families

    if profile is None:
        raise IGCError("--latency-budget needs a machine profile: run `igcdesign calibrate` to measure this machine")
    if not 1 <= verify <= 10:
        raise IGCError(f"verify must be between 1 and 10, got {verify}")
    options = options or DesignOptions()
    wanted = list(families) if families else widest_families(default=True)
    budget_ms = latency_budget_s * 1e3
    return [_family(name, budget_ms, hw, batch, profile, k, params, options, rule, verify, impl) for name in wanted]


def _family(family, budget_ms, hw, batch, profile, k, params, options, rule, verify, impl) -> TimedResult:
    from igcdesign.latency import predict
    from igcdesign.search import near_widest_options, widest_family

    result = TimedResult(family, budget_ms, hw, batch, params_budget=params)
    found_at: dict[int, Any] = {}
    rows_by_spec: dict[str, dict] = {}

    def width_at(T: int) -> int:
        if T not in found_at:
            found_at[T] = widest_family(family, T, k, options, rule)
        return found_at[T].width or 0

    def row_at(T: int) -> dict | None:
        """The widest block within T params, with its predicted latency (None: no block fits)."""
        width_at(T)
        found = found_at[T]
        if found.spec is None:
            return None
        if found.spec not in rows_by_spec:
            rows_by_spec[found.spec] = {
                "spec": found.spec, "width": found.width, "params": found.params,
                "predicted_ms": predict(found.spec, hw=hw, batch=batch, impl=impl, profile=profile).predicted_ms}
        return rows_by_spec[found.spec]

    def fits(T: int) -> bool:
        row = row_at(T)
        return row is not None and row["predicted_ms"] <= budget_ms

    top = params or MAX_SEARCH_PARAMS
    if params is not None and fits(params):
        result.bound, lo, hi = "params", params, None
    else:
        lo, hi = 0, None
        T = min(1000, top)
        while fits(T):  # grow until a budget's widest is too slow (the floor grows with the width)
            lo = T
            if T >= top:
                break
            T = min(T * 4, top)
        else:
            hi = T
        if hi is not None:
            while hi - lo > max(1, int(lo * BISECTION_PRECISION)):
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        result.bound = "time"
    rows = {}
    if lo and row_at(lo):
        rows[row_at(lo)["spec"]] = row_at(lo)
    if hi is not None:
        # predicted latency need not grow with the budget (a wider IGCV2 optimum may have fewer convs,
        # so fewer calls): every distinct optimum up to SCAN_FACTOR × the boundary is weighed
        end = min(top, hi * SCAN_FACTOR)
        result.searched_params = end
        for T in _optimum_steps(width_at, lo, end, MAX_STEPS):
            if row_at(T)["predicted_ms"] <= budget_ms:
                rows[row_at(T)["spec"]] = row_at(T)
        for near in near_widest_options(hi, k, family, NEAR_FRACTION, options, limit=NEAR_LIMIT, rule=rule):
            if near["spec"] not in rows:
                ms = predict(near["spec"], hw=hw, batch=batch, impl=impl, profile=profile).predicted_ms
                if ms <= budget_ms:
                    rows[near["spec"]] = {"spec": near["spec"], "width": near["width"], "params": near["params"],
                                          "predicted_ms": ms}
    else:
        result.searched_params = lo
    T = lo
    for _ in range(NARROWER_TRIES):  # narrower optima, so that measurement has `verify` to choose from
        if len(rows) >= verify or T <= 1:
            break
        T = int(T * NARROWER_STEP)
        row = row_at(T)
        if row is not None and row["predicted_ms"] <= budget_ms:
            rows.setdefault(row["spec"], row)
    result.candidates = sorted(rows.values(), key=lambda r: (-r["width"], r["predicted_ms"], r["params"]))[:verify]
    if not result.candidates:
        result.bound = None
        smallest = row_at(1) or row_at(min(10**4, top))
        result.note = ("no block is predicted within the time" if smallest else "no block fits the parameter budget")
    return result


def decide_by_measurement(results: list[TimedResult], measure: Measure, research: Callable[[str, float], TimedResult],
                          *, verify: int = DEFAULT_VERIFY, margin: float = DEFAULT_MARGIN,
                          step_downs: int = MAX_STEP_DOWNS) -> int:
    """Measure each family's `verify` best candidates (every family's in one call of `measure` per
    round) and make each result's decision the widest measured candidate within
    budget × (1 − margin); a family with none steps down (the module docstring) by calling
    `research(family, budget_ms)` for its next candidates. The results are updated in place
    (``verified``, ``decision``, ``candidates`` = every measured one, widest first,
    ``step_downs``, ``bound``, ``note``); returns the number of measuring rounds."""
    if not 0 <= margin <= MAX_MARGIN:
        raise IGCError(f"--margin must be between 0 and {MAX_MARGIN:.0%}, got {margin:.1%}")
    measured: dict[str, list[dict]] = {r.family: [] for r in results}
    pending = {r.family: [dict(c) for c in r.candidates[:verify]] for r in results}
    by_family = {r.family: r for r in results}
    first = {r.family: r.candidates[0]["spec"] if r.candidates else None for r in results}
    rounds = 0
    for step in range(step_downs + 1):  # every round but the first follows at least one step down
        wanted = list(dict.fromkeys(c["spec"] for rows in pending.values() for c in rows))
        if not wanted:
            break
        times = measure(wanted)
        rounds += 1
        for family, rows in list(pending.items()):
            result = by_family[family]
            for row in rows:
                row.update(times[row["spec"]])
                row["step"] = step
                measured[family].append(row)
            pending.pop(family)
            limit = result.latency_budget_ms * (1 - margin)
            if any(row["measured_ms"] <= limit for row in measured[family]) or not measured[family]:
                continue
            ratio = max(row["measured_ms"] / row["predicted_ms"] for row in rows)  # this round's, the narrowest yet
            seen = {row["spec"] for row in measured[family]}
            while len(result.step_downs) < step_downs:  # a step that finds nothing new steps again
                searched = result.step_downs[-1]["budget_ms"] if result.step_downs else result.latency_budget_ms
                budget_ms = min(max(limit / ratio, STEP_DOWN_AT_MOST * searched), STEP_DOWN_AT_LEAST * searched)
                result.step_downs.append({"budget_ms": budget_ms, "ratio": ratio})
                fresh = [c for c in research(family, budget_ms).candidates if c["spec"] not in seen]
                if fresh:
                    pending[family] = [dict(c) for c in fresh[:verify]]
                    break
    for result in results:
        rows = sorted(measured[result.family], key=lambda r: (-r["width"], r["measured_ms"]))
        limit = result.latency_budget_ms * (1 - margin)
        fitting = [row for row in rows if row["measured_ms"] <= limit]
        result.verified, result.candidates = True, rows
        result.decision = fitting[0] if fitting else None
        if result.decision is None:
            result.bound = None
            if rows:
                fastest = min(row["measured_ms"] for row in rows)
                result.note = (f"none of the {len(rows)} measured fits {limit:.3g} ms "
                               f"after {len(result.step_downs)} step-downs (fastest {fastest:.3f} ms)")
        elif result.decision["spec"] != first[result.family]:
            result.bound = "time"  # the measured time ruled out a block the prediction allowed
    return rounds
