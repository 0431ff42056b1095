"""Continuous bounds on the widest block of each family: the derivations' formulas, evaluated.

The formulas come from the generated :mod:`igcdesign.formulas`; this module only evaluates
them and solves the one implicit equation (IGCV2's C·(S + e·ln C) = T) numerically.
"""

from __future__ import annotations

import math

from igcdesign import formulas as f


def regular_bound(budget: int, k: int) -> dict:
    return {"width": f.regular_C_root(k, budget)}


def dwsep_bound(budget: int, k: int) -> dict:
    return {"width": f.dwsep_C_root(k, budget)}


def igcv1_bound(budget: int, k: int) -> dict:
    """Width (T/(2√S))^(2/3) and the real L, M of the optimum L = M·S."""
    return {
        "width": f.igcv1_bound_width(budget, k),
        "L": f.igcv1_bound_L(budget, k),
        "M": f.igcv1_bound_M(budget, k),
    }


def igcv2_bound(budget: int, k: int) -> dict:
    """The C solving C·(S + e·ln C) = T, and L = 1 + ln C group convs (channel-wise k×k first)."""
    lo, hi = 1.0, float(budget)
    if f.igcv2_min_params_channelwise(lo, k) > budget:
        return {"width": 0.0, "L": None}
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if f.igcv2_min_params_channelwise(mid, k) <= budget:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9 * hi:
            break
    return {"width": lo, "L": 1 + f.igcv2_best_n(lo)}


def igcv3_bound(budget: int, k: int, t: int, g1: int, g2: int) -> dict:
    return {"width": f.igcv3_C_root(k, t, g1, g2, budget)}
