"""Suggested fixes for chains that are not complementary, each verified with the checker itself.

Three searches, nearest first: (1) for IGCV2, branch sizes K' with ∏K' = C (the paper's
complementary condition), nearest to the proposal; (2) for any chain, the same convs with other
gap permutations (interleave, identity, channel shuffles); (3) other group counts, changing as few
convs as possible, with interleaves between them. Parameter counts always come from the chain.

Within a tier the candidates are taken nearest in params first (the difference computed from the
changed convs alone; ties in enumeration order) and the first that the checker verifies is the
answer, so a long chain costs one verification when its nearest candidate checks out. Group
changes are enumerated with the counting condition as a multiplicative pruning rule, and two
caps (enumeration steps, conv steps verified) bound the work; a search cut by them says so in
its note ("fix search stopped after N candidates ...") instead of answering "no fix".
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import Any, Iterator, Sequence

from igcdesign.errors import IGCError
from igcdesign.families.integers import divisors
from igcdesign.layers import GroupConv, Permute, chain_params

MAX_FACTORIZATIONS = 50_000


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

            fixed = FAMILIES["igcv2"].make(K=tuple(cand), k=k, C=C, s=block.config.get("s", 1))
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


def _strided(block, strides: tuple[int, ...]):
    """The fix with the proposal's strides (the searches change groups and gaps, never strides)."""
    if all(s == 1 for s in strides):
        return block
    from igcdesign.families import FAMILIES

    config = {key: block.config[key] for key in ("W", "G", "k", "P", "tail")}
    return FAMILIES["chain"].make(**config, s=strides)


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


# Safety nets on the work of one fix search (a search they stop says so in its note):
# candidate choices enumerated, and conv steps spent verifying candidates.
MAX_ENUMERATION_STEPS = 500_000
MAX_VERIFY_CONV_STEPS = 20_000  # about 1 ms per conv step: a 400-conv chain verifies in ~0.4 s


class SearchWork:
    """Work done by one fix search: enumeration steps, candidates verified and their conv steps."""

    def __init__(self) -> None:
        self.enumerated = 0
        self.verified = 0
        self.conv_steps = 0
        self.stopped = False

    def enumerate_step(self) -> None:
        self.enumerated += 1
        if self.enumerated > MAX_ENUMERATION_STEPS:
            self.stopped = True
            raise _Stopped

    def verify(self, block) -> str:
        convs = sum(isinstance(layer, GroupConv) for layer in block.chain)
        if self.conv_steps + convs > MAX_VERIFY_CONV_STEPS:
            self.stopped = True
            raise _Stopped
        self.verified += 1
        self.conv_steps += convs
        return _verdict(block.chain)


class _Stopped(Exception):
    """The work cap of the fix search was reached."""


LAST_WORK: SearchWork | None = None  # the work of the latest suggest_fix() (tests read it)


def _search(tiers, same_width, work: SearchWork):
    """The first verified candidate of the first tier that has one, candidates of a tier taken
    nearest in params first (ties: enumeration order); None if none.

    `tiers` yields lists of (key, widths, groups, kernels, tokens); key sorts a tier (its first
    element is the distance in params from the proposal, computed from the changed convs alone).
    """
    for tier in tiers:
        for _, widths, groups, kernels, tokens in sorted(tier, key=lambda c: c[0]):
            block = _make(widths, groups, kernels, tokens)
            verdict = work.verify(block)
            if _target_ok(verdict, same_width):
                return block, verdict
    return None


def _perm_tiers(widths, groups, kernels, tokens, work: SearchWork):
    """Other gap permutations, fewest changed gaps first (params never change)."""
    options = [_gap_options(widths[i + 1]) for i in range(len(tokens))]
    by_changes: dict[int, list] = {}
    total = math.prod(len(o) for o in options)
    combos = itertools.product(*options) if total <= 4096 else [tuple("s" for _ in tokens)]
    for order, combo in enumerate(combos):
        work.enumerate_step()
        changes = sum(a != b for a, b in zip(combo, tokens))
        if changes:
            by_changes.setdefault(changes, []).append(((0, order), widths, groups, kernels, list(combo)))
    return [by_changes[c] for c in sorted(by_changes)]


def _conv_params(cin: int, cout: int, groups: int, k: int) -> int:
    return int(GroupConv(cin, cout, groups, k).params())


def _group_tiers(widths, groups, kernels, strict, work: SearchWork, max_changes=3):
    """Tiers of 1, 2, 3 convs with other group counts (shuffles in every gap) that pass the
    counting condition, each candidate keyed (|Δparams|, changed convs, new groups).

    The counting condition is multiplicative: changing conv i from g to v multiplies both
    ∏(cin/groups) and ∏(cout/groups) by g/v, so partial choices whose ratio cannot be completed
    with the changes left are pruned (strict: the ratio must be exactly W_0/∏(cin/groups))."""
    from fractions import Fraction

    n = len(groups)
    options = [[d for d in divisors(widths[i]) if widths[i + 1] % d == 0 and d != groups[i]] for i in range(n)]
    base = [_conv_params(widths[i], widths[i + 1], groups[i], kernels[i]) for i in range(n)]
    delta = [[_conv_params(widths[i], widths[i + 1], v, kernels[i]) - base[i] for v in options[i]]
             for i in range(n)]
    ratio = [[Fraction(groups[i], v) for v in options[i]] for i in range(n)]
    fan_in = math.prod(w // g for w, g in zip(widths[:-1], groups))
    fan_out = math.prod(w // g for w, g in zip(widths[1:], groups))
    reachable = None  # reachable[r]: ratios that r more changes can give (a superset), strict only
    if strict:
        target = Fraction(widths[0], fan_in)
        if Fraction(widths[-1], fan_out) != target:
            for _ in range(min(n, max_changes)):
                yield []
            return
        singles = {r for rs in ratio for r in rs}
        reachable = [{Fraction(1)}]
        for _ in range(max_changes):
            reachable.append({a * b for a in reachable[-1] for b in singles})
    elif fan_in * widths[-1] != fan_out * widths[0]:
        for _ in range(min(n, max_changes)):
            yield []
        return

    by_ratio: dict = {}  # ratio -> [(conv, option)] in enumeration order
    for i in range(n):
        for j, r in enumerate(ratio[i]):
            by_ratio.setdefault(r, []).append((i, j))

    def complete(rho) -> bool:
        if strict:
            return rho == target
        m = fan_in * rho / widths[0]
        return m.denominator == 1 and m >= 1

    for changes in range(1, min(n, max_changes) + 1):
        tier = []

        def walk(start, left, where, picks, rho, dsum):
            if left == 0:
                if complete(rho):
                    combo = list(groups)
                    for i, j in zip(where, picks):
                        combo[i] = options[i][j]
                    vals = tuple(options[i][j] for i, j in zip(where, picks))
                    tier.append(((abs(dsum), tuple(where), vals), widths, combo, kernels, ["s"] * (n - 1)))
                return
            if strict and left == 1:  # the last change must give exactly the missing ratio
                need = target / rho
                for i, j in by_ratio.get(need, ())[bisect.bisect_left(by_ratio.get(need, ()), (start, -1)):]:
                    work.enumerate_step()
                    walk(i + 1, 0, where + [i], picks + [j], need * rho, dsum + delta[i][j])
                return
            for i in range(start, n - left + 1):
                for j, r in enumerate(ratio[i]):
                    work.enumerate_step()
                    nxt = rho * r
                    if reachable is not None and target / nxt not in reachable[left - 1]:
                        continue
                    walk(i + 1, left - 1, where + [i], picks + [j], nxt, dsum + delta[i][j])

        walk(0, changes, [], [], Fraction(1), 0)
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
    global LAST_WORK
    if block is not None and block.family == "igcv2":
        fix = _nearest_igcv2(block)
        if fix is not None:
            return fix
    widths, groups, kernels, tokens = chain_layout(chain)
    same_width = len(set(widths)) == 1
    work = LAST_WORK = SearchWork()
    params = int(chain_params(chain))
    out: dict[str, Any] = {"params_proposal": params}
    strides = tuple(int(layer.stride) for layer in chain if isinstance(layer, GroupConv))
    try:
        if tokens and (_counting_possible(widths, groups, True)
                       or (not same_width and _counting_possible(widths, groups, False))):
            hit = _search(_perm_tiers(widths, groups, kernels, tokens, work), same_width, work)
            if hit:
                fixed, verdict = _strided(hit[0], strides), hit[1]
                return {**out, "kind": "permutations", "exists": True, "spec": fixed.spec, "verdict": verdict,
                        "params": int(fixed.params()),
                        "note": "same convs; gap permutations P=" + "/".join(map(str, chain_layout(fixed.chain)[3]))}
        for strict in ((True,) if same_width else (True, False)):
            hit = _search(_group_tiers(widths, groups, kernels, strict, work), same_width, work)
            if hit:
                fixed, verdict = _strided(hit[0], strides), hit[1]
                return {**out, "kind": "groups", "exists": True, "spec": fixed.spec, "verdict": verdict,
                        "params": int(fixed.params()),
                        "note": "groups G=" + "/".join(map(str, chain_layout(fixed.chain)[1])) + " with interleaves"}
    except _Stopped:
        return {**out, "kind": None, "exists": False, "spec": None, "verdict": None, "params": None,
                "note": f"fix search stopped after {work.verified:,} candidates verified "
                        f"({work.enumerated:,} enumerated; work limit of the search): no fix found before it"}
    except IGCError:
        pass
    return {**out, "kind": None, "exists": False, "spec": None, "verdict": None, "params": None,
            "note": "no complementary grouping of these widths found by changing permutations or up to 3 convs' groups"}
