"""The verdict, path count and super-channels of a family's configurations, from its chain.

One configuration (ints; plain Python when the chain's structure decides, as `widest` needs)
or a whole design space (numpy arrays) at once. The chain of the family's representative
configuration (`Family.verdict_representative`, the configuration itself unless the family
states an equivalence) says whether the pairs are all joined equally (balanced), unequally
(redundant) or not all (sparse): through `connectivity.structure` where that decides, else by
exact path counts (`connectivity.analyze`). A balanced chain joins every pair by
∏(cin/groups) / cin paths, counted on the configuration's own chain: 1 is strict, more relaxed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from igcdesign.connectivity.structure import (
    BALANCED,
    UNDECIDED,
    VERDICT_OF_CODE,
    chain_inputs,
    fan_in,
    small_paths_range,
    two_stage,
)
from igcdesign.families.base import Family

ACCEPTED = ("strict", "relaxed")  # the verdicts `check` exits 0 for


@dataclass(frozen=True)
class Verdict:
    verdict: str
    paths: int | None  # paths between every pair (balanced chains), else None
    super_channels: int | None  # per layer, where the chain's structure says (balanced chains)


def _exact_code(chain) -> tuple[int, int | None]:
    """(code, super-channels or None) of a concrete chain by exact path counts."""
    from igcdesign.connectivity.verdict import classify

    small = small_paths_range(chain)
    if small is not None:
        verdict, supers = classify(*small), None
    else:
        from igcdesign.connectivity import analyze

        result = analyze(chain, fix=False)
        verdict, supers = result.verdict, result.super_channels
    code = BALANCED if verdict in ACCEPTED else {"sparse": 1, "redundant": 2}[verdict]
    return code, supers


def block_verdict(family: Family, config: dict[str, Any]) -> Verdict:
    """The verdict of one valid configuration (ints)."""
    rep = family.verdict_representative(config)
    same = rep is config
    rep_chain = family.chain(**rep)
    found = two_stage(rep_chain)
    code, supers = found["code"], found["super_channels"] if same else None
    if code == UNDECIDED:
        code, supers = _exact_code(rep_chain)
        supers = supers if same else None
    if code != BALANCED:
        return Verdict(VERDICT_OF_CODE[code], None, None)
    chain = rep_chain if same else family.chain(**config)
    paths = fan_in(chain) // chain_inputs(chain)
    return Verdict("strict" if paths == 1 else "relaxed", paths, supers)


def space_verdicts(family: Family, config: dict[str, Any], n: int) -> dict[str, Any]:
    """Verdict (strings), paths and super-channels (int64, 0 where not balanced) of n
    configurations given as arrays."""
    import numpy as np

    rep = family.verdict_representative(config)
    same = rep is config
    rep_chain = family.chain(**rep)
    found = two_stage(rep_chain)
    code = np.broadcast_to(np.asarray(found["code"]), (n,)).copy()
    supers = np.broadcast_to(np.asarray(found["super_channels"], dtype=np.int64), (n,)).copy()
    undecided = np.flatnonzero(code == UNDECIDED)
    if len(undecided):
        keys = _row_keys(rep, undecided, n)
        memo: dict = {}
        for row, key in zip(undecided.tolist(), keys):
            if key not in memo:
                memo[key] = _exact_code(family.chain(**_row(rep, row, n)))
            code[row], s = memo[key]
            supers[row] = s or 0
    chain = rep_chain if same else family.chain(**config)
    paths = np.broadcast_to(np.asarray(fan_in(chain) // chain_inputs(chain), dtype=np.int64), (n,)).copy()
    balanced = code == BALANCED
    verdict = np.where(balanced, np.where(paths == 1, "strict", "relaxed"),
                       np.where(code == 1, "sparse", "redundant")).astype(object)
    if not same:
        supers[:] = 0
    return {"verdict": verdict, "paths": np.where(balanced, paths, 0),
            "super_channels": np.where(balanced, supers, 0), "accepted": balanced}


def _row(config: dict, i: int, n: int) -> dict:
    """Row i of an array configuration, as plain ints (tuples of them for list keys)."""
    out = {}
    for key, value in config.items():
        if key.startswith("_"):
            continue
        if isinstance(value, tuple):
            out[key] = tuple(int(v[i]) if hasattr(v, "dtype") else int(v) for v in value)
        else:
            out[key] = int(value[i]) if hasattr(value, "dtype") and value.ndim else int(value)
    return out


def _row_keys(config: dict, rows, n: int) -> list:
    return [tuple(sorted(_row(config, i, n).items())) for i in rows.tolist()]
