"""Suggested fixes for chains that are not complementary, each verified with the checker itself.

Three searches, nearest first: (1) for IGCV2, branch sizes K' with ∏K' = C (the paper's
complementary condition), nearest to the proposal; (2) for any chain, the same convs with other
gap permutations (interleave, identity, channel shuffles); (3) other group counts, changing as few
convs as possible, with interleaves between them. Parameter counts always come from the chain.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterator, Sequence

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute, chain_params

MAX_FACTORIZATIONS = 50_000
EVAL_BUDGET_CHANNELS = 1 << 22  # sum of widths over all evaluated candidates


def divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def factorizations(n: int, parts: int, least: int = 2) -> Iterator[tuple[int, ...]]:
    """Non-decreasing tuples of `parts` factors ≥ least whose product is n."""
    if parts == 1:
        if n >= least:
            yield (n,)
        return
    for d in divisors(n):
        if d < least:
            continue
        if d ** parts > n:
            break
        for rest in factorizations(n // d, parts - 1, d):
            yield (d, *rest)


def _igcv2_params(C: int, K: Sequence[int], k: int) -> int:
    from igcdesign.families import FAMILIES

    return int(FAMILIES["igcv2"].params(K=tuple(K), k=k, C=C))


def _igcv2_candidates(C: int, L: int | None) -> Iterator[tuple[int, ...]]:
    """IGCV2 branch sizes with ∏K = C: K_1 any divisor, the 1×1 convs' K ≥ 2 (order immaterial to cost)."""
    lengths = [L] if L else range(2, max(2, int(math.log2(C))) + 2)
    for n in lengths:
        for k1 in divisors(C):
            if n == 1:
                continue
            yield from ((k1, *rest) for rest in factorizations(C // k1, n - 1))


def _verdict(chain) -> str:
    from igcdesign.connectivity.quotient import quotient
    from igcdesign.connectivity.paths import classify

    return classify(*quotient(chain).paths_range())


def igcv2_best(C: int, k: int, L: int | None) -> dict[str, Any] | None:
    """The fewest-params IGCV2 chain of width C with ∏K = C (with L convs, or any L)."""
    best = None
    for n, K in enumerate(_igcv2_candidates(C, L)):
        if n >= MAX_FACTORIZATIONS:
            break
        p = _igcv2_params(C, K, k)
        if best is None or p < best[0]:
            best = (p, K)
    if best is None:
        return None
    return {"K": list(best[1]), "params": best[0], "spec": _igcv2_spec(C, best[1], k)}


def _igcv2_spec(C: int, K: Sequence[int], k: int) -> str:
    from igcdesign.families import FAMILIES

    return FAMILIES["igcv2"].make(K=tuple(K), k=k, C=C).spec


def igcv2_facts(block) -> dict[str, Any]:
    """IGCV2 (Xie et al. 2018): ∏K = C, the balance condition S·K_1 = K_2 = … = K_L, and the
    parameters of the proposal against the fewest-params complementary chain of the same width."""
    C, K, k = block.config["C"], tuple(block.config["K"]), block.config["k"]
    S = k * k
    facts: dict[str, Any] = {
        "C": C, "K": list(K), "S": S, "prod_K": math.prod(K),
        "condition": math.prod(K) == C,
        "balanced": len({S * K[0], *K[1:]}) == 1,
        "params": int(block.params()),
        "optimum_same_L": igcv2_best(C, k, len(K)),
        "optimum": igcv2_best(C, k, None),
    }
    return facts


def _nearest_igcv2(block) -> dict[str, Any] | None:
    """Branch sizes with ∏K' = C nearest (in Σ|log K − log K'|) to the proposal; same L if possible."""
    C, K, k = block.config["C"], tuple(block.config["K"]), block.config["k"]
    for L in (len(K), None):
        best = None
        for n, cand in enumerate(_igcv2_candidates(C, L)):
            if n >= MAX_FACTORIZATIONS:
                break
            rest = sorted(cand[1:], key=lambda v: v)
            # match the 1×1 convs' sizes in the proposal's order (cost does not depend on order)
            order = sorted(range(len(K) - 1), key=lambda i: K[1 + i]) if len(cand) == len(K) else None
            if order is not None:
                placed = [0] * (len(K) - 1)
                for slot, value in zip(order, rest):
                    placed[slot] = value
                cand = (cand[0], *placed)
                dist = sum(abs(math.log(a) - math.log(b)) for a, b in zip(cand, K))
            else:
                dist = abs(len(cand) - len(K)) * 100 + abs(math.log(cand[0]) - math.log(K[0]))
            p = _igcv2_params(C, cand, k)
            key = (round(dist, 9), p)
            if best is None or key < best[0]:
                best = (key, cand, p)
        if best is not None:
            cand, p = best[1], best[2]
            from igcdesign.families import FAMILIES

            fixed = FAMILIES["igcv2"].make(K=tuple(cand), k=k, C=C)
            return {
                "kind": "branch sizes", "exists": True, "spec": fixed.spec, "verdict": _verdict(fixed.chain),
                "params": p, "params_proposal": int(block.params()),
                "note": f"∏K = {math.prod(cand)} = C with K = {'x'.join(map(str, cand))}",
            }
    return None


def chain_layout(chain: Sequence) -> tuple[list[int], list[int], list[int], list]:
    """(widths, groups, kernels, gap tokens) of a chain; a gap token is 's', 'i', an int or 'p' (explicit)."""
    convs = [layer for layer in chain if isinstance(layer, GroupConv)]
    widths = [int(convs[0].cin)] + [int(c.cout) for c in convs]
    groups = [int(c.groups) for c in convs]
    kernels = [int(c.k) for c in convs]
    tokens: list = []
    between: list = []
    seen = 0
    for layer in chain:
        if isinstance(layer, GroupConv):
            if seen:
                tokens.append(_token(between, groups[seen - 1]))
            seen += 1
            between = []
        elif seen:
            between.append(layer)
    return widths, groups, kernels, tokens


def _token(layers: list, prev_groups: int):
    if not layers:
        return "i"
    if len(layers) == 1 and isinstance(layers[0], Permute) and layers[0].perm is None:
        g = int(layers[0].groups)
        return "s" if g == prev_groups else g
    return "p"


def _make(widths, groups, kernels, tokens):
    from igcdesign.families import FAMILIES

    return FAMILIES["chain"].make(W=tuple(widths), G=tuple(groups), k=tuple(kernels), P=tuple(tokens))


def _target_ok(verdict: str, same_width: bool) -> bool:
    return verdict == "strict" or (verdict == "relaxed" and not same_width)


def _counting_possible(widths, groups, strict: bool) -> bool:
    """Necessary condition: row sums ∏(cin/g) and column sums ∏(cout/g) of the path matrix."""
    fan_in = math.prod(w // g for w, g in zip(widths[:-1], groups))
    fan_out = math.prod(w // g for w, g in zip(widths[1:], groups))
    if strict:
        return fan_in == widths[0] and fan_out == widths[-1]
    return fan_in % widths[0] == 0 and fan_out % widths[-1] == 0 and fan_in // widths[0] == fan_out // widths[-1]


def _gap_options(width: int) -> list:
    return ["s", "i"] + [d for d in divisors(width) if 1 < d < width]


def _search(candidates, budget, same_width, params_proposal):
    """First verified candidate block among equally near ones, nearest in params; None if none."""
    spent = 0
    for tier in candidates:
        found = []
        for widths, groups, kernels, tokens in tier:
            spent += sum(widths)
            if spent > budget:
                return found and min(found, key=lambda f: f[0]), True
            block = _make(widths, groups, kernels, tokens)
            verdict = _verdict(block.chain)
            if _target_ok(verdict, same_width):
                found.append((abs(block.params() - params_proposal), block, verdict))
        if found:
            return min(found, key=lambda f: f[0]), False
    return None, False


def _perm_tiers(widths, groups, kernels, tokens):
    options = [_gap_options(widths[i + 1]) for i in range(len(tokens))]
    by_changes: dict[int, list] = {}
    total = math.prod(len(o) for o in options)
    combos = itertools.product(*options) if total <= 4096 else [tuple("s" for _ in tokens)]
    for combo in combos:
        changes = sum(a != b for a, b in zip(combo, tokens))
        if changes:
            by_changes.setdefault(changes, []).append((widths, groups, kernels, list(combo)))
    return [by_changes[c] for c in sorted(by_changes)]


def _group_tiers(widths, groups, kernels, strict, max_changes=3):
    n = len(groups)
    options = [[d for d in divisors(widths[i]) if widths[i + 1] % d == 0] for i in range(n)]
    for changes in range(1, min(n, max_changes) + 1):
        tier = []
        for where in itertools.combinations(range(n), changes):
            pools = [[g for g in options[i] if g != groups[i]] if i in where else [groups[i]] for i in range(n)]
            for combo in itertools.product(*pools):
                if _counting_possible(widths, combo, strict):
                    tier.append((widths, list(combo), kernels, ["s"] * (n - 1)))
                if len(tier) > 2000:
                    break
        yield tier


FIX_KEYS = ("kind", "exists", "spec", "verdict", "params", "params_proposal", "note")


def suggest_fix(chain: Sequence, block, result) -> dict[str, Any]:
    """The nearest strict (or, for chains whose width changes, relaxed) grouping, verified.

    Keys: kind ('branch sizes' | 'permutations' | 'groups' | None), exists, spec, verdict (of the
    fix, from the checker), params, params_proposal, note.
    """
    fix = _suggest(chain, block)
    return {key: fix.get(key) for key in FIX_KEYS}


def _suggest(chain: Sequence, block) -> dict[str, Any]:
    if block is not None and block.family == "igcv2":
        fix = _nearest_igcv2(block)
        if fix is not None:
            return fix
    widths, groups, kernels, tokens = chain_layout(chain)
    same_width = len(set(widths)) == 1
    budget = EVAL_BUDGET_CHANNELS
    params = int(chain_params(chain))
    out: dict[str, Any] = {"params_proposal": params}
    try:
        if tokens and (_counting_possible(widths, groups, True)
                       or (not same_width and _counting_possible(widths, groups, False))):
            hit, capped = _search(_perm_tiers(widths, groups, kernels, tokens), budget, same_width, params)
            if hit:
                _, fixed, verdict = hit
                return {**out, "kind": "permutations", "exists": True, "spec": fixed.spec, "verdict": verdict,
                        "params": int(fixed.params()),
                        "note": "same convs; gap permutations P=" + "/".join(map(str, chain_layout(fixed.chain)[3]))}
        for strict in ((True,) if same_width else (True, False)):
            hit, capped = _search(_group_tiers(widths, groups, kernels, strict), budget, same_width, params)
            if hit:
                _, fixed, verdict = hit
                return {**out, "kind": "groups", "exists": True, "spec": fixed.spec, "verdict": verdict,
                        "params": int(fixed.params()),
                        "note": "groups G=" + "/".join(map(str, chain_layout(fixed.chain)[1])) + " with interleaves"}
    except IGCError:
        pass
    return {**out, "kind": None, "exists": False, "spec": None, "verdict": None, "params": None,
            "note": "no complementary grouping of these widths found by changing permutations or up to 3 convs' groups"}
