"""The design space of a family: every configuration within a budget that the rule accepts, counted at once.

Each family enumerates its own axes as numpy arrays (`Family.space_axes`, with the family); the
configurations are counted by calling the family's chain on those arrays (igcdesign.families,
igcdesign.layers): the same lines that count one block with `igcdesign count` count a quarter of
a million of them in one pass. Verdicts, paths and super-channels come from the same chains
(igcdesign.verdicts, elementwise), and only the rows the rule in force accepts are kept
(igcdesign.rules: by default those `check` calls strict or relaxed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from igcdesign.errors import IGCError, shown
from igcdesign.progress import Progress

# Objective columns and their sense: widths are maximised, costs minimised.
OBJECTIVES = {"width": "max", "params": "min", "mult_adds": "min", "mem_access": "min", "C_int": "max", "latency": "min"}
LATENCY_COLUMN = "predicted_ms"  # the objective 'latency': igcdesign.latency's prediction on this machine
OBJECTIVE_COLUMNS = {"latency": LATENCY_COLUMN}
MAX_PREDICTED_ROWS = 20_000  # rows whose latency one space predicts (a few ms each)
BASE_COLUMNS = ["config", "width", "params", "mult_adds", "mem_access", "verdict"]
VERDICT_COLUMNS = ("paths", "C_s")  # filled from the chain's verdict where a family lists them


def space_families() -> list[str]:
    from igcdesign.families import families_supporting

    return families_supporting("space")


@dataclass
class Filters:
    """Which configurations to keep: lower/upper bounds on columns, and a hardware multiple."""

    minimum: dict[str, int] = field(default_factory=dict)
    maximum: dict[str, int] = field(default_factory=dict)
    multiple_of: int | None = None
    channelwise: bool = False  # IGCV2: only K₁ = 1

    def as_dict(self) -> dict[str, Any]:
        return {"min": self.minimum, "max": self.maximum, "multiple_of": self.multiple_of,
                "channelwise": self.channelwise}


@dataclass
class Space:
    """An enumerated design space: a pandas DataFrame with BASE_COLUMNS + the family's columns."""

    family: str
    budget: int
    kernel: int
    hw: int
    expansion: int | None
    frame: Any
    total: int  # configurations within budget before filters
    filters: Filters
    pareto: tuple[str, str] | None = None
    rule: str = "checked"

    def meta(self) -> dict[str, Any]:
        from igcdesign.families import FAMILIES
        from igcdesign.rules import rule_text

        return {
            "family": self.family, "budget": self.budget, "kernel": self.kernel, "hw": self.hw,
            "expansion": self.expansion, "rule": self.rule, "rule_meaning": rule_text(FAMILIES[self.family], self.rule),
            "total": self.total, "count": len(self.frame),
            "filters": self.filters.as_dict(), "pareto": list(self.pareto) if self.pareto else None,
            "columns": list(self.frame.columns),
        }


# --- enumeration ------------------------------------------------------------------------------


# --- counting ---------------------------------------------------------------------------------


def _count(fam, config: dict[str, Any], k: int, hw: int, n: int) -> dict[str, Any]:
    """params, mult_adds, mem_access of array configs, from the family's chain."""
    import numpy as np

    from igcdesign.layers import chain_mem_access, chain_mult_adds, chain_params

    chain = fam.chain(**config)
    positions = hw * hw
    out = {}
    for name, value in (("params", chain_params(chain)), ("mult_adds", chain_mult_adds(chain, positions)),
                        ("mem_access", chain_mem_access(chain, positions))):
        out[name] = np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy()
    out["_chain"] = chain
    return out


def _hardware_ok(chain: tuple, width: Any, m: int) -> Any:
    """Width and every conv's channels per group (in and out) multiples of m; channel-wise convs
    (one channel per group) are exempt: they run on depthwise kernels (igcdesign.constraints)."""
    from igcdesign.constraints import Constraints

    return Constraints(multiple_of=m).admits(chain, width)


def check_space_args(family: str, budget: int, k: int, hw: int, expansion: int) -> None:
    from igcdesign.families import FAMILIES

    known = space_families()
    if family not in known:
        raise IGCError(f"unknown family '{shown(family)}' for a design space (known: {', '.join(known)})")
    if not isinstance(budget, int) or budget <= 0:
        raise IGCError(f"--max-params must be positive, got {budget}")
    limit = FAMILIES[family].space_max_budget
    if budget > limit:
        raise IGCError(f"--max-params {budget:,} is over the {family} enumeration limit {limit:.0e}; "
                       "use `igcdesign widest` for the optimum")
    if expansion < 1:
        raise IGCError(f"--expansion must be positive, got {expansion}")
    # every count is at most a few times budget·hw² (convs) plus the permutations' 2·hw²·width
    if budget * hw * hw * 16 >= 1 << 63:
        raise IGCError(f"--hw {hw} with --max-params {budget:,}: counts would overflow 64-bit integers")


def family_columns(family: str) -> list[str]:
    from igcdesign.families import FAMILIES

    return list(FAMILIES[family].space_columns)


def enumerate_space(family: str, budget: int, k: int = 3, hw: int = 32, expansion: int = 6,
                    filters: Filters | None = None, pareto: Sequence[str] | None = None,
                    progress: bool | None = None, rule: str = "checked") -> Space:
    """Every configuration of `family` within `budget` params that the rule accepts and that
    passes `filters`, counted; with `pareto` (two objective columns) only its Pareto front."""
    import numpy as np
    import pandas as pd

    from igcdesign.families import FAMILIES
    from igcdesign.families.base import DesignOptions
    from igcdesign.rules import check_rule, space_mask
    from igcdesign.verdicts import space_verdicts

    filters = filters or Filters()
    check_space_args(family, budget, k, hw, expansion)
    rule = check_rule(rule)
    if pareto is not None:
        pareto = check_objectives(pareto)
    fam = FAMILIES[family]
    options = DesignOptions(expansion=expansion)
    columns = family_columns(family)
    with Progress(f"enumerating {family}", enabled=progress) as bar:
        parts = fam.space_axes(budget, k, options, filters.channelwise, bar)
    frames = []
    total = 0
    for config, width in parts:
        n = len(width)
        if n == 0:
            continue
        plain = {**{key: v for key, v in config.items() if not key.startswith("_")}, "k": k}
        counts = _count(fam, plain, k, hw, n)
        keep = counts["params"] <= budget
        verdicts = space_verdicts(fam, plain, n)
        keep = keep & space_mask(fam, rule, plain, verdicts)
        total += int(keep.sum())
        data = {"width": width, "params": counts["params"], "mult_adds": counts["mult_adds"],
                "mem_access": counts["mem_access"], "verdict": verdicts["verdict"]}
        named = {key: np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)) for key, v in fam.named_widths(counts["_chain"]).items()}
        family_data = {**fam.space_family_columns(config, n), **named,
                       "paths": verdicts["paths"], "C_s": verdicts["super_channels"]}
        data.update({key: np.broadcast_to(np.asarray(family_data[key]), (n,)) for key in columns})
        if filters.multiple_of:
            keep = keep & _hardware_ok(counts["_chain"], width, filters.multiple_of)
        frame = pd.DataFrame({key: np.asarray(v)[keep] for key, v in data.items()})
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else _empty(family)
    frame = _apply_bounds(frame, filters)
    frame.insert(0, "config", fam.space_specs(frame, k, options) if len(frame) else pd.Series(dtype=object))
    frame = frame[BASE_COLUMNS + columns]
    if pareto is not None and len(frame):
        frame = frame[pareto_mask(frame, pareto)].reset_index(drop=True)
    return Space(family, budget, k, hw, expansion if "t" in fam.int_keys else None, frame, total, filters,
                 tuple(pareto) if pareto else None, rule)


def _empty(family: str):
    import pandas as pd

    data = {c: pd.Series(dtype="int64") for c in ["width", "params", "mult_adds", "mem_access"] + family_columns(family)}
    data["verdict"] = pd.Series(dtype=object)
    return pd.DataFrame(data)


def _apply_bounds(frame, filters: Filters):
    import numpy as np

    keep = np.ones(len(frame), dtype=bool)
    for bounds, op in ((filters.minimum, np.greater_equal), (filters.maximum, np.less_equal)):
        for column, value in bounds.items():
            if column not in frame.columns or column in ("K", "verdict"):
                known = [c for c in frame.columns if c not in ("K", "verdict")]
                raise IGCError(f"no numeric column '{shown(column)}' to filter on (known: {', '.join(known)})")
            keep &= op(frame[column].to_numpy(), value)
    return frame[keep].reset_index(drop=True)


# --- Pareto front -----------------------------------------------------------------------------


def check_objectives(objectives: Sequence[str]) -> tuple[str, str]:
    objectives = tuple(o.strip() for o in objectives)
    if len(objectives) != 2:
        raise IGCError(f"--objectives needs exactly two columns, got {len(objectives)}")
    for o in objectives:
        if o not in OBJECTIVES:
            raise IGCError(f"unknown objective '{shown(o)}' (known: {', '.join(OBJECTIVES)})")
    if objectives[0] == objectives[1]:
        raise IGCError("--objectives needs two different columns")
    return objectives  # type: ignore[return-value]


def pareto_mask(frame, objectives: Sequence[str]):
    """Rows no other row dominates (at least as good in both objectives, better in one).

    Widths are maximised, costs minimised (OBJECTIVES). Rows equal in both objectives are
    all kept. O(n log n): sort by the first objective, best first, and keep a row when it is the
    best of its group in the second and strictly better than every row with a better first.
    """
    import numpy as np

    def values(o: str):
        column = frame[objective_column(o)].to_numpy()
        column = column.astype(np.float64) if o == "latency" else column.astype(np.int64)
        return column * (1 if OBJECTIVES[o] == "max" else -1)

    a, b = values(objectives[0]), values(objectives[1])
    if a.dtype != b.dtype:
        a, b = a.astype(np.float64), b.astype(np.float64)
    return front_mask(a, b)


def objective_column(objective: str) -> str:
    """The frame column an objective reads ('latency' reads the predicted_ms column)."""
    return OBJECTIVE_COLUMNS.get(objective, objective)


def add_predicted(space: Space, profile, batch: int = 1, rows: Any = None) -> Any:
    """A predicted_ms column (igcdesign.latency on `profile`, the space's hw, `batch`) for the
    given rows of the frame (default every row); IGCError past MAX_PREDICTED_ROWS rows."""
    import numpy as np

    from igcdesign.latency import predict

    frame = space.frame if rows is None else rows
    if len(frame) > MAX_PREDICTED_ROWS:
        raise IGCError(f"{len(frame):,} configurations: predicting latency is bounded to {MAX_PREDICTED_ROWS:,}; "
                       "lower --max-params or add filters")
    values = [predict(spec, hw=space.hw, batch=batch, profile=profile).predicted_ms for spec in frame["config"]]
    frame = frame.copy()
    frame[LATENCY_COLUMN] = np.asarray(values, dtype=np.float64)
    return frame


def with_latency(space: Space, profile, max_latency_ms: float | None = None,
                 pareto: Sequence[str] | None = None, batch: int = 1) -> Space:
    """The space with every row's predicted latency, only the rows predicted within
    max_latency_ms, and (pareto) only the front of those two objectives; IGCError without a profile."""
    from dataclasses import replace

    if profile is None:
        from igcdesign.profile import CALIBRATE_HINT

        raise IGCError(f"latency needs this machine's profile: {CALIBRATE_HINT}")
    frame = add_predicted(space, profile, batch)
    if max_latency_ms is not None:
        frame = frame[frame[LATENCY_COLUMN] <= max_latency_ms].reset_index(drop=True)
    chosen = check_objectives(pareto) if pareto else None
    if chosen is not None and len(frame):
        frame = frame[pareto_mask(frame, chosen)].reset_index(drop=True)
    return replace(space, frame=frame, pareto=tuple(chosen) if chosen else space.pareto)


def front_mask(a, b):
    """Pareto mask of points (a, b), both maximised (int64 arrays)."""
    import numpy as np

    n = len(a)
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((-b, -a))
    a_s, b_s = a[order], b[order]
    first = np.r_[True, a_s[1:] != a_s[:-1]]
    group = np.cumsum(first) - 1
    group_best = b_s[first]
    before = np.r_[np.iinfo(np.int64).min, np.maximum.accumulate(group_best)[:-1]]
    keep = (b_s == group_best[group]) & (b_s > before[group])
    mask = np.empty(n, dtype=bool)
    mask[order] = keep
    return mask


# --- output -----------------------------------------------------------------------------------

OUT_SUFFIXES = (".csv", ".json")
CHUNK = 50_000


def write_space(space: Space, path, progress: bool | None = None) -> None:
    """Write the space as CSV or JSON (by suffix), atomically: no partial file on failure."""
    import json
    from pathlib import Path

    from igcdesign.files import atomic_writer

    path = Path(path)
    frame = space.frame
    with atomic_writer(path) as handle, Progress(f"writing {path.name}", total=len(frame), enabled=progress) as bar:
        if path.suffix.lower() == ".csv":
            handle.write(",".join(frame.columns) + "\n")
            for start in range(0, len(frame), CHUNK):
                chunk = frame.iloc[start:start + CHUNK]
                handle.write(chunk.to_csv(index=False, header=False, lineterminator="\n"))
                bar.advance(len(chunk))
        else:
            meta = json.dumps(space.meta(), ensure_ascii=False)
            handle.write(meta[:-1] + ', "rows": [')
            for start in range(0, len(frame), CHUNK):
                chunk = frame.iloc[start:start + CHUNK]
                text = chunk.to_json(orient="records", force_ascii=False)[1:-1]
                if text:
                    handle.write(("," if start else "") + text)
                bar.advance(len(chunk))
            handle.write("]}\n")


def records(frame) -> list[dict[str, Any]]:
    """Rows as plain Python dicts (ints, strs) for JSON."""
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
