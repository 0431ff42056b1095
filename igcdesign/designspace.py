"""The design space of a family: every valid configuration within a budget, counted at once.

Configurations are enumerated as numpy arrays and counted by calling the family's chain on those
arrays (igcdesign.families, igcdesign.layers): the same lines that count one block with
`igcdesign count` count a quarter of a million of them in one pass.

- IGCV1: every (L, M) with L, M ≥ 1.
- IGCV2: every strictly complementary chain (∏K = C) up to the order of its 1×1 convs: a k×k
  conv with K₁ ≥ 1 channels per branch, then n ≥ 1 1×1 convs with K ≥ 2 (listed largest first;
  a 1×1 conv with K = 1 is a per-channel scaling and would make the space infinite).
- IGCV3: every (C, G1, G2) at expansion t with C_out = C and the super-channel rule: each layer
  splits into C_s = G1·G2 super-channels, so G1·G2 divides C.

Verdicts come from theory: IGCV1 and IGCV2 chains are strictly complementary (one path between
every input and output channel); an IGCV3 block has t·C/(G1·G2) paths between every pair, so it
is relaxed (strict when that is 1). tests/test_space.py checks this with igcdesign.connectivity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from igcdesign.errors import IGCError, shown
from igcdesign.progress import Progress

SPACE_FAMILIES = ("igcv1", "igcv2", "igcv3")
# The largest budget each enumeration accepts (about 1.2M, 2.8M and 0.5M configurations).
MAX_BUDGET = {"igcv1": 10**9, "igcv2": 10**7, "igcv3": 10**8}
# Objective columns and their sense: widths are maximised, costs minimised.
OBJECTIVES = {"width": "max", "params": "min", "mult_adds": "min", "mem_access": "min", "C_int": "max"}
BASE_COLUMNS = ["config", "width", "params", "mult_adds", "mem_access", "verdict"]
FAMILY_COLUMNS = {
    "igcv1": ["L", "M"],
    "igcv2": ["K", "n_convs", "K1"],
    "igcv3": ["C", "C_int", "G1", "G2", "C_s", "paths"],
}


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

    def meta(self) -> dict[str, Any]:
        return {
            "family": self.family, "budget": self.budget, "kernel": self.kernel, "hw": self.hw,
            "expansion": self.expansion, "total": self.total, "count": len(self.frame),
            "filters": self.filters.as_dict(), "pareto": list(self.pareto) if self.pareto else None,
            "columns": list(self.frame.columns),
        }


# --- enumeration ------------------------------------------------------------------------------


def _params(family: str, **config: Any) -> Any:
    from igcdesign.families import FAMILIES
    from igcdesign.layers import chain_params

    return chain_params(FAMILIES[family].chain(**config))


def igcv1_configs(budget: int, k: int, progress: Progress | None = None) -> dict[str, Any]:
    """All (L, M) within budget, as arrays: for each M, L = 1 … igcv1_max_L(M)."""
    import numpy as np

    from igcdesign.search import igcv1_max_L

    counts = []
    M = 1
    while True:
        top = igcv1_max_L(M, k, budget)
        if top < 1:
            break
        counts.append(top)
        M += 1
        if progress and M % 256 == 0:
            progress.advance(256)
    counts_a = np.asarray(counts, dtype=np.int64)
    Ms = np.repeat(np.arange(1, len(counts) + 1, dtype=np.int64), counts_a)
    starts = np.repeat(np.cumsum(counts_a) - counts_a, counts_a)
    Ls = np.arange(len(Ms), dtype=np.int64) - starts + 1
    return {"L": Ls, "M": Ms}


def igcv2_sequences(budget: int, k: int, channelwise: bool = False,
                    progress: Progress | None = None) -> dict[int, tuple[list[tuple[int, ...]], list[str]]]:
    """Every (K₁, K₂ ≥ … ≥ K_n+1 ≥ 2) whose block fits the budget, grouped by length, with its
    K text ('1x4x3x3', the 1×1 branch sizes largest first as search.igcv2_branches lists them).

    Depth-first over non-decreasing 1×1 branch sizes: the block's params C·(S·K₁ + ΣK) only
    grow when a factor grows or is appended, so a branch stops at the first factor over budget.
    The chain's own count is checked afterwards (enumerate_space keeps params ≤ budget).
    """
    S = k * k
    found: dict[int, tuple[list, list]] = {}

    def dfs(C: int, s: int, seq: tuple[int, ...], text: str, smallest: int) -> None:
        f = smallest
        while C * f * (s + f) <= budget:  # Q = C·(S·K₁ + ΣK) with f appended
            seq2, text2 = seq + (f,), f"{f}x{text}"
            seqs, texts = found.setdefault(len(seq2), ([], []))
            seqs.append(seq2)
            texts.append(text2)
            dfs(C * f, s + f, seq2, text2, f)
            f += 1

    K1 = 1
    while K1 * 2 * (S * K1 + 2) <= budget:
        dfs(K1, S * K1, (K1,), "", 2)
        if progress:
            progress.advance(1)
        if channelwise:
            break
        K1 += 1
    return {n: (seqs, [f"{seq[0]}x{text[:-1]}" for seq, text in zip(seqs, texts)])
            for n, (seqs, texts) in sorted(found.items())}


def igcv3_configs(budget: int, k: int, t: int) -> dict[str, Any]:
    """All (C, G1, G2) with G1·G2 | C within budget, as arrays.

    Candidates are bounded before they are counted: C ≥ G1·G2 makes each 1×1 conv cost at least
    t·C·G2 (resp. G1), so t·G1·G2·(S + G1 + G2) ≤ budget; the channel-wise conv alone costs t·C·S
    and each 1×1 conv t·C²/G. The exact test is the chain's count.
    """
    import numpy as np

    S = k * k
    c_max = budget // (t * S)
    g1s, g2s, js = [], [], []
    g1 = 1
    while t * g1 * (S + g1 + 1) <= budget:
        g2_top = min(budget // (t * g1 * (S + g1 + 1)), math.isqrt(budget // (t * g1)) + 1)
        g2 = np.arange(1, g2_top + 1, dtype=np.int64)
        g2 = g2[t * g1 * g2 * (S + g1 + g2) <= budget]
        unit = g1 * g2
        c_top = np.minimum(min(c_max, math.isqrt(budget * g1 // t)), np.sqrt(budget * g2 / t).astype(np.int64) + 1)
        n = c_top // unit
        g2, n = g2[n > 0], n[n > 0]
        total = int(n.sum())
        if total:
            g1s.append(np.full(total, g1, dtype=np.int64))
            g2s.append(np.repeat(g2, n))
            js.append(np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n) + 1)
        g1 += 1
    G1, G2, J = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (g1s, g2s, js))
    C = J * G1 * G2
    fits = _params("igcv3", C=C, t=t, G1=G1, G2=G2, k=k, Cout=C) <= budget
    return {"C": C[fits], "G1": G1[fits], "G2": G2[fits]}


# --- counting ---------------------------------------------------------------------------------


def _count(family: str, config: dict[str, Any], k: int, hw: int, n: int) -> dict[str, Any]:
    """params, mult_adds, mem_access of array configs, from the family's chain."""
    import numpy as np

    from igcdesign.families import FAMILIES
    from igcdesign.layers import chain_mem_access, chain_mult_adds, chain_params

    chain = FAMILIES[family].chain(k=k, **config)
    positions = hw * hw
    out = {}
    for name, value in (("params", chain_params(chain)), ("mult_adds", chain_mult_adds(chain, positions)),
                        ("mem_access", chain_mem_access(chain, positions))):
        out[name] = np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy()
    out["_chain"] = chain
    return out


def _hardware_ok(chain: tuple, width: Any, m: int) -> Any:
    """Width and every conv's channels per group (in and out) multiples of m; channel-wise convs
    (one channel per group) are exempt: they run on depthwise kernels."""
    from igcdesign.layers import convs

    ok = width % m == 0
    for conv in convs(chain):
        for per in (conv.cin // conv.groups, conv.cout // conv.groups):
            ok = ok & ((per == 1) | (per % m == 0))
    return ok


def check_space_args(family: str, budget: int, k: int, hw: int, expansion: int) -> None:
    if family not in SPACE_FAMILIES:
        raise IGCError(f"unknown family '{shown(family)}' for a design space (known: {', '.join(SPACE_FAMILIES)})")
    if not isinstance(budget, int) or budget <= 0:
        raise IGCError(f"--max-params must be positive, got {budget}")
    if budget > MAX_BUDGET[family]:
        raise IGCError(f"--max-params {budget:,} is over the {family} enumeration limit {MAX_BUDGET[family]:.0e}; "
                       "use `igcdesign widest` for the optimum")
    if expansion < 1:
        raise IGCError(f"--expansion must be positive, got {expansion}")
    # every count is at most a few times budget·hw² (convs) plus the permutations' 2·hw²·width
    if budget * hw * hw * 16 >= 1 << 63:
        raise IGCError(f"--hw {hw} with --max-params {budget:,}: counts would overflow 64-bit integers")


def enumerate_space(family: str, budget: int, k: int = 3, hw: int = 32, expansion: int = 6,
                    filters: Filters | None = None, pareto: Sequence[str] | None = None,
                    progress: bool | None = None) -> Space:
    """Every configuration of `family` within `budget` params that passes `filters`, counted;
    with `pareto` (two objective columns) only its Pareto front."""
    import numpy as np
    import pandas as pd

    filters = filters or Filters()
    check_space_args(family, budget, k, hw, expansion)
    if pareto is not None:
        pareto = check_objectives(pareto)
    columns: dict[str, list] = {}
    parts = []
    with Progress(f"enumerating {family}", enabled=progress) as bar:
        if family == "igcv1":
            cfg = igcv1_configs(budget, k, bar)
            parts.append(({"L": cfg["L"], "M": cfg["M"]}, cfg["L"] * cfg["M"]))
        elif family == "igcv3":
            cfg = igcv3_configs(budget, k, expansion)
            C = cfg["C"]
            parts.append(({"C": C, "t": expansion, "G1": cfg["G1"], "G2": cfg["G2"], "Cout": C}, C))
        else:
            by_len = igcv2_sequences(budget, k, filters.channelwise, bar)
            for length, (seqs, texts) in by_len.items():
                arr = np.asarray(seqs, dtype=np.int64)  # K₁, then the 1×1 sizes (order does not change counts)
                K = tuple(arr[:, i] for i in range(length))
                C = np.prod(arr, axis=1)
                parts.append(({"K": K, "C": C, "_text": np.asarray(texts, dtype=object)}, C))
    frames = []
    total = 0
    for config, width in parts:
        n = len(width)
        if n == 0:
            continue
        counts = _count(family, {key: v for key, v in config.items() if key != "_text"}, k, hw, n)
        keep = counts["params"] <= budget
        total += int(keep.sum())
        data = {"width": width, "params": counts["params"], "mult_adds": counts["mult_adds"],
                "mem_access": counts["mem_access"]}
        data.update(_family_columns(family, config, width, expansion, n))
        if filters.multiple_of:
            keep = keep & _hardware_ok(counts["_chain"], width, filters.multiple_of)
        frame = pd.DataFrame({key: np.asarray(v)[keep] for key, v in data.items()})
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else _empty(family)
    frame = _apply_bounds(frame, filters)
    frame.insert(0, "config", _config_strings(family, frame, k, expansion))
    frame.insert(5, "verdict", _verdicts(family, frame))
    frame = frame[BASE_COLUMNS + FAMILY_COLUMNS[family]]
    if pareto is not None and len(frame):
        frame = frame[pareto_mask(frame, pareto)].reset_index(drop=True)
    return Space(family, budget, k, hw, expansion if family == "igcv3" else None, frame, total, filters,
                 tuple(pareto) if pareto else None)


def _family_columns(family: str, config: dict, width: Any, t: int, n: int) -> dict[str, Any]:
    import numpy as np

    if family == "igcv1":
        return {"L": config["L"], "M": config["M"]}
    if family == "igcv3":
        unit = config["G1"] * config["G2"]
        return {"C": config["C"], "C_int": t * config["C"], "G1": config["G1"], "G2": config["G2"],
                "C_s": unit, "paths": t * config["C"] // unit}
    K = config["K"]
    return {"K": config["_text"], "n_convs": np.full(n, len(K), dtype=np.int64), "K1": K[0]}


def _empty(family: str):
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="int64") for c in ["width", "params", "mult_adds", "mem_access"] + FAMILY_COLUMNS[family]})


def _apply_bounds(frame, filters: Filters):
    import numpy as np

    keep = np.ones(len(frame), dtype=bool)
    for bounds, op in ((filters.minimum, np.greater_equal), (filters.maximum, np.less_equal)):
        for column, value in bounds.items():
            if column not in frame.columns or column == "K":
                known = [c for c in frame.columns if c != "K"]
                raise IGCError(f"no numeric column '{column}' to filter on (known: {', '.join(known)})")
            keep &= op(frame[column].to_numpy(), value)
    return frame[keep].reset_index(drop=True)


def _config_strings(family: str, frame, k: int, t: int):
    """The canonical spec of every row (the same text `Family.spec` gives one block)."""
    if family == "igcv1":
        return "igcv1:L=" + frame["L"].astype(str) + ",M=" + frame["M"].astype(str) + f",k={k}"
    if family == "igcv2":
        return "igcv2:K=" + frame["K"].astype(str) + f",k={k}"
    return ("igcv3:C=" + frame["C"].astype(str) + f",t={t},G1=" + frame["G1"].astype(str)
            + ",G2=" + frame["G2"].astype(str) + f",k={k}")


def _verdicts(family: str, frame):
    import numpy as np

    if family == "igcv3":
        return np.where(frame["paths"].to_numpy() == 1, "strict", "relaxed")
    return np.full(len(frame), "strict", dtype=object)


# --- Pareto front -----------------------------------------------------------------------------


def check_objectives(objectives: Sequence[str]) -> tuple[str, str]:
    objectives = tuple(o.strip() for o in objectives)
    if len(objectives) != 2:
        raise IGCError(f"--objectives needs exactly two columns, got {len(objectives)}")
    for o in objectives:
        if o not in OBJECTIVES:
            raise IGCError(f"unknown objective '{o}' (known: {', '.join(OBJECTIVES)})")
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

    a, b = (frame[o].to_numpy().astype(np.int64) * (1 if OBJECTIVES[o] == "max" else -1) for o in objectives)
    return front_mask(a, b)


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
