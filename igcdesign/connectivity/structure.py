"""Verdicts read off a chain's structure, for one block (ints) or a whole design space (numpy
arrays, elementwise), without a path matrix. Plain Python on ints: `widest` uses it.

A chain mixes channels only in convs that are not channel-wise (a conv with groups = cin = cout
maps channel j to channel j, as a permutation does). When at most two convs mix, A first and
B last, and the permutations between them amount to the identity or to one interleave of A's
groups (view (a, W/a), transpose: position j takes a channel of A's group j mod a), the path
count p(o, i) is the number T[r, s] of B's block r inputs (β = W/b consecutive positions) that
come from A's group s:

- identity gap: T[r, s] is the overlap of B's block r with A's block s: equal for every pair
  exactly when a = 1 or b = 1, otherwise some pair has none (sparse);
- interleave: T[r, s] counts the j ≡ s (mod a) among β consecutive positions: all equal to β/a
  when a divides β, all ≥ 1 but unequal when β > a does not, some 0 when β < a.

Permutations before A or after B only relabel inputs or outputs. Any other chain is undecided
here (code UNDECIDED) and goes to the exact path counts of `analyze()`; tests pit this module
against analyze() on random chains of every shape it decides.
"""

from __future__ import annotations

from typing import Any, Sequence

from igcdesign.layers import GroupConv, Permute

UNDECIDED, SPARSE, REDUNDANT, BALANCED = 0, 1, 2, 3
VERDICT_OF_CODE = {SPARSE: "sparse", REDUNDANT: "redundant"}


def _is_array(*values: Any) -> bool:
    return any(hasattr(v, "dtype") for v in values)


def where(cond: Any, yes: Any, no: Any) -> Any:
    """cond ? yes : no, elementwise on numpy arrays, plainly on Python values."""
    if _is_array(cond, yes, no):
        import numpy as np

        return np.where(cond, yes, no)
    return yes if cond else no


def fan_in(chain: Sequence) -> Any:
    """∏ cin/groups over the convs: the paths into each output channel, summed over inputs."""
    total = 1
    for layer in chain:
        if isinstance(layer, GroupConv):
            total = total * (layer.cin // layer.groups)
    return total


def chain_inputs(chain: Sequence) -> Any:
    first = chain[0]
    return first.cin if isinstance(first, GroupConv) else first.width


def two_stage(chain: Sequence) -> dict[str, Any]:
    """{"code", "paths", "super_channels"} of a chain (see the module docstring); paths and
    super-channels are meaningful where code is BALANCED."""
    convs = [i for i, layer in enumerate(chain) if isinstance(layer, GroupConv)]
    first, last = chain[convs[0]], chain[convs[-1]]
    decided: Any = True
    for i in convs[1:-1]:  # every conv between A and B must be channel-wise
        c = chain[i]
        decided = decided & (c.groups == c.cin) & (c.cin == c.cout)
    if len(convs) == 1:
        code = where(first.groups == 1, BALANCED, SPARSE)
        ones = first.cin // first.cin
        return {"code": code, "paths": ones, "super_channels": first.groups * ones}
    a, b, width = first.groups, last.groups, first.cout
    alpha, beta = width // a, last.cin // b
    interleaves: Any = 0
    others: Any = 0
    for layer in chain[convs[0] + 1:convs[-1]]:
        if not isinstance(layer, Permute):
            continue
        if layer.perm is not None:
            decided = decided & False
            continue
        g = layer.groups
        identity = (g == 1) | (g == layer.width)
        interleave = (g == a) & ~identity if _is_array(g, a, identity) else (g == a and not identity)
        interleaves = interleaves + where(interleave, 1, 0)
        others = others + where(identity | interleave, 0, 1)
    decided = decided & (others == 0) & (interleaves <= 1)
    mixed = interleaves == 1
    # identity gap
    code_identity = where((a == 1) | (b == 1), BALANCED, SPARSE)
    paths_identity = where(a == 1, beta, alpha)
    # one interleave of A's groups
    code_interleave = where(beta % a == 0, BALANCED, where(beta < a, SPARSE, REDUNDANT))
    paths_interleave = beta // a
    code = where(mixed, code_interleave, code_identity)
    code = where(decided, code, UNDECIDED)
    return {"code": code, "paths": where(mixed, paths_interleave, paths_identity), "super_channels": a * b}


MAX_SMALL_WIDTH = 256  # widest interface a chain may have for `small_paths_range`


def small_paths_range(chain: Sequence) -> tuple[int, int] | None:
    """(min, max) of p(o, i) by exact dense counting in plain Python, for chains of at most
    MAX_SMALL_WIDTH channels at every interface (None for wider ones or explicit numpy values)."""
    widths = []
    for layer in chain:
        widths += [layer.cin, layer.cout] if isinstance(layer, GroupConv) else [layer.width]
    if not all(isinstance(w, int) for w in widths) or max(widths) > MAX_SMALL_WIDTH:
        return None
    cin = chain_inputs(chain)
    rows = [[int(i == j) for i in range(cin)] for j in range(cin)]  # rows: channels at this point
    for layer in chain:
        if isinstance(layer, GroupConv):
            per_in, per_out = layer.cin // layer.groups, layer.cout // layer.groups
            sums = [[sum(col) for col in zip(*rows[g * per_in:(g + 1) * per_in])] for g in range(layer.groups)]
            rows = [sums[j // per_out] for j in range(layer.cout)]
        else:
            rows = [rows[src] for src in layer.index_map()]
    values = [v for row in rows for v in row]
    return min(values), max(values)
