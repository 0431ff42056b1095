"""`analyze()`: the complementarity verdict of a block (docs/conventions.md §2) with the facts behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from igcdesign.connectivity.paths import classify
from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, Permute, chain_params

MAX_EXAMPLES = 3


class PathRange:
    """The reading of a verdict with ``verdict``, ``paths_min`` and ``paths_max`` fields, shared by
    a block's :class:`CheckResult` and a unit's check (igcdesign.nets.unitcheck.UnitCheck)."""

    verdict: str
    paths_min: int
    paths_max: int

    @property
    def min_paths(self) -> int:
        """The fewest paths between any (output, input) pair (0: some pair is disconnected)."""
        return self.paths_min

    @property
    def max_paths(self) -> int:
        """The most paths between any (output, input) pair."""
        return self.paths_max

    @property
    def exit_code(self) -> int:
        """0 for the verdicts `check` accepts (strict, relaxed), 1 otherwise."""
        return 0 if self.verdict in ("strict", "relaxed") else 1


@dataclass
class CheckResult(PathRange):
    """What `igcdesign check` reports. `as_dict()` is the --json document."""

    spec: str
    verdict: str
    paths_min: int
    paths_max: int
    disconnected_pairs: int
    super_channels: int | None
    layers: list[dict[str, Any]]
    fix: dict[str, Any] | None
    pairs: int = 0
    over_connected_pairs: int = 0  # pairs joined by more than one path
    histogram: list[tuple[int, int]] = field(default_factory=list)  # (paths, pairs), ascending
    examples: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    fan_in: int = 0  # ∏ cin/groups: paths into each output channel, summed over inputs
    fan_out: int = 0  # ∏ cout/groups: paths out of each input channel, summed over outputs
    cin: int = 0
    cout: int = 0
    params: int = 0
    interfaces: list[dict[str, Any]] = field(default_factory=list)  # super-channels per layer
    igcv2: dict[str, Any] | None = None
    matrix: Any = None  # numpy p[o, i] when asked for
    perm_file: str | None = None  # set when `spec` describes the chain only with this --perm-file

    def as_dict(self) -> dict[str, Any]:
        doc = {
            "spec": self.spec,
            "verdict": self.verdict,
            "paths_min": self.paths_min,
            "paths_max": self.paths_max,
            "disconnected_pairs": self.disconnected_pairs,
            "super_channels": self.super_channels,
            "layers": self.layers,
            "fix": self.fix,
        }
        if self.perm_file is not None:
            doc["perm_file"] = self.perm_file
        return doc


def _resolve(target) -> tuple[str, tuple, Any]:
    """(spec text, chain, Block or None) from a spec string, a Block or a chain."""
    from igcdesign.families import Block, parse_block

    if isinstance(target, str):
        block = parse_block(target)
        return block.spec, tuple(block.chain), block
    if isinstance(target, Block):
        return target.spec, tuple(target.chain), target
    chain = tuple(target)
    if not chain or not all(isinstance(layer, (GroupConv, Permute)) for layer in chain):
        raise IGCError("analyze() takes a spec, a Block or a non-empty chain of GroupConv/Permute")
    return "chain", chain, None


def _explicit_spec(spec: str, chain: tuple, perm_file: str | None) -> tuple[str, str | None]:
    """The spec of a chain whose gaps were replaced: the chain spec with the permutations
    inline, which every command takes back; when that is longer than a spec may be, the
    original spec and the perm file it needs (`check SPEC --perm-file FILE`)."""
    from igcdesign.families.chain import MAX_INLINE_SPEC, chain_spec

    inline = chain_spec(chain)
    if len(inline) <= MAX_INLINE_SPEC or perm_file is None:
        return inline, None
    return spec, perm_file


def analyze(target, *, perms: Sequence[Sequence[int]] | None = None, perm_file: str | None = None,
            matrix: bool = False, fix: bool = True) -> CheckResult:
    """Exact path statistics, verdict, explanation and (if not complementary) a suggested fix.

    `target`: a spec string, a Block or a chain. `perms` / `perm_file`: explicit permutations, one
    per gap between convs, replacing the chain's own. `matrix=True` also returns the dense p[o, i]
    (small chains only). `fix=False` skips the search for a fix.
    """
    from igcdesign.connectivity.perms import gap_widths, load_perms, validate_perms, with_perms
    from igcdesign.connectivity.quotient import quotient

    spec, chain, block = _resolve(target)
    if perms is not None and perm_file is not None:
        raise IGCError("give explicit permutations either as perms or as a perm file, not both")
    if perms is not None:
        chain = with_perms(chain, validate_perms([list(p) for p in perms], gap_widths(chain)))
    elif perm_file is not None:
        chain = load_perms(perm_file, chain)
    explicit = perms is not None or perm_file is not None
    needs_file = None
    if explicit:  # the spec's own gap tokens no longer describe the chain being checked
        spec, needs_file = _explicit_spec(spec, chain, perm_file)
    quot = quotient(chain)
    result = summarize(spec, chain, quot)
    result.perm_file = needs_file
    if result.verdict == "relaxed":
        from igcdesign.connectivity.supers import interface_super_channels

        result.interfaces = interface_super_channels(chain, quot)
        counts = {row["super_channels"] for row in result.interfaces}
        result.super_channels = counts.pop() if len(counts) == 1 else None
        by_name = {row["after"]: row for row in result.interfaces}
        for row in result.layers:
            if row["kind"] == "conv" and row["name"] in by_name:
                row["super_channels"] = by_name[row["name"]]["super_channels"]
                row["channels_per_super_channel"] = by_name[row["name"]]["size_max"]
    if block is not None and block.family == "igcv2" and not explicit:
        from igcdesign.connectivity.fixes import igcv2_facts

        result.igcv2 = igcv2_facts(block)
    if fix and result.verdict in ("sparse", "redundant"):
        from igcdesign.connectivity.fixes import suggest_fix

        result.fix = suggest_fix(chain, block if not explicit else None, result)
    if matrix:
        from igcdesign.connectivity.paths import MAX_DENSE_ENTRIES
        from igcdesign.connectivity.quotient import expand

        if result.pairs > MAX_DENSE_ENTRIES:
            raise IGCError(f"the path matrix has {result.pairs:,} entries (limit {MAX_DENSE_ENTRIES:,})")
        result.matrix = expand(quot)
    return result


def summarize(spec: str, chain: tuple, quot) -> CheckResult:
    """Verdict, counts, per-layer rows and worded examples from a chain's quotient."""
    import numpy as np

    q = quot.q
    cin, cout = len(quot.in_class), len(quot.out_class)
    # Pairs per non-zero class cell; cells without an entry hold 0 paths. At most cin·cout ≤ 2^44.
    weight = quot.row_size[q.row].astype(np.int64) * quot.col_size[q.col].astype(np.int64)
    values, inverse = np.unique(q.val, return_inverse=True)
    pairs_by_value = np.zeros(len(values), dtype=np.int64)
    np.add.at(pairs_by_value, inverse.reshape(-1), weight)
    disconnected = cin * cout - int(pairs_by_value.sum())
    histogram = [(0, disconnected)] if disconnected else []
    histogram += [(int(v), int(n)) for v, n in zip(values.tolist(), pairs_by_value.tolist())]
    pmin, pmax = histogram[0][0], histogram[-1][0]
    convs = [layer for layer in chain if isinstance(layer, GroupConv)]
    fan_in = fan_out = 1
    for c in convs:
        fan_in *= int(c.cin) // int(c.groups)
        fan_out *= int(c.cout) // int(c.groups)
    result = CheckResult(
        spec=spec,
        verdict=classify(pmin, pmax),
        paths_min=pmin,
        paths_max=pmax,
        disconnected_pairs=disconnected,
        super_channels=None,
        layers=layer_rows(chain, quot),
        fix=None,
        pairs=cin * cout,
        over_connected_pairs=sum(n for v, n in histogram if v > 1),
        histogram=histogram,
        fan_in=fan_in,
        fan_out=fan_out,
        cin=cin,
        cout=cout,
        params=int(chain_params(chain)),
    )
    result.examples = examples(quot, chain, result)
    result.causes = causes(result)
    return result


def layer_rows(chain: tuple, quot) -> list[dict[str, Any]]:
    """One row per layer: shape and params; for convs the reach and paths after that conv."""
    steps = iter(quot.steps)
    rows = []
    for layer in chain:
        if isinstance(layer, GroupConv):
            step = next(steps)
            rows.append({
                "kind": "conv", "name": layer.name, "cin": int(layer.cin), "cout": int(layer.cout),
                "groups": int(layer.groups), "k": int(layer.k), "params": int(layer.params()),
                "reach_min": step.reach_min, "reach_max": step.reach_max,
                "paths_max": step.paths_max, "merges_reached_groups": step.lost_spread,
                "super_channels": None, "channels_per_super_channel": None,
            })
        else:
            rows.append({
                "kind": "permute", "name": layer.name, "width": int(layer.width),
                "groups": None if layer.perm is not None else int(layer.groups),
                "explicit": layer.perm is not None,
            })
    return rows


def channel_set(indices) -> str:
    """'12–15', '3' or '0, 4, 8, … (16 channels)' for a sorted array of channel indices."""
    idx = [int(v) for v in indices[:4]]
    n = len(indices)
    if n == 1:
        return f"channel {idx[0]}"
    if int(indices[-1]) - int(indices[0]) == n - 1:
        return f"channels {int(indices[0])}–{int(indices[-1])}"
    head = ", ".join(str(v) for v in idx[:3])
    return f"channels {head}, … ({n} channels)"


def _members(classes, c):
    import numpy as np

    return np.flatnonzero(classes == c)


def _group_of(conv: GroupConv, channels, side: str) -> str:
    width = int(conv.cin if side == "in" else conv.cout)
    per = width // int(conv.groups)
    groups = sorted({int(ch) // per for ch in channels[:64]})
    if int(conv.groups) == 1:
        return ""
    if len(groups) == 1:
        return f" (group {groups[0]} of {conv.name})"
    return f" (groups {', '.join(map(str, groups[:3]))}{', …' if len(groups) > 3 else ''} of {conv.name})"


def examples(quot, chain: tuple, result: CheckResult) -> list[str]:
    """A few worded pairs: disconnected ones first, then over-connected ones."""
    import numpy as np

    convs = [layer for layer in chain if isinstance(layer, GroupConv)]
    lead_perm = not isinstance(chain[0], GroupConv)
    tail_perm = not isinstance(chain[-1], GroupConv)
    out = []

    def describe(r, c):
        ins = _members(quot.in_class, c)
        outs = _members(quot.out_class, r)
        src = channel_set(ins) + ("" if lead_perm else _group_of(convs[0], ins, "in"))
        dst = channel_set(outs) + ("" if tail_perm else _group_of(convs[-1], outs, "out"))
        return src, dst

    q = quot.q
    first_in = np.full(q.ncols, len(quot.in_class))
    np.minimum.at(first_in, quot.in_class, np.arange(len(quot.in_class)))
    first_out = np.full(q.nrows, len(quot.out_class))
    np.minimum.at(first_out, quot.out_class, np.arange(len(quot.out_class)))

    def ordered(rows, cols):
        order = np.lexsort((first_out[rows], first_in[cols]))[:MAX_EXAMPLES]
        return zip(rows[order].tolist(), cols[order].tolist())

    if result.disconnected_pairs:
        for r, c in ordered(*empty_cells(q, first_in, first_out)):
            src, dst = describe(r, c)
            out.append(f"input {src} never reach output {dst}")
    if result.verdict == "redundant":
        top = q.val == result.paths_max
        for r, c in ordered(q.row[top], q.col[top]):
            src, dst = describe(r, c)
            out.append(f"input {src} reach output {dst} through {result.paths_max} paths each")
    return out


def empty_cells(q, first_in, first_out):
    """(rows, cols) of the first MAX_EXAMPLES cells without paths in each of the first MAX_EXAMPLES
    columns (by first_in) that have any: enough for the first MAX_EXAMPLES in (first_in, first_out) order."""
    import numpy as np

    gaps = np.flatnonzero(q.col_counts() < q.nrows)
    rows_out, cols_out = [], []
    by_first_out = np.argsort(first_out)
    for c in gaps[np.argsort(first_in[gaps])][:MAX_EXAMPLES]:
        linked = np.zeros(q.nrows, dtype=bool)
        linked[q.row[q.col == c]] = True
        empty = by_first_out[~linked[by_first_out]][:MAX_EXAMPLES]
        rows_out.append(empty)
        cols_out.append(np.full(len(empty), c))
    return np.concatenate(rows_out), np.concatenate(cols_out)


def causes(result: CheckResult) -> list[str]:
    """Why the verdict is not complementary, in words: counting bounds and the layers that waste paths."""
    out = []
    if result.verdict in ("strict", "relaxed"):
        return out
    if result.fan_in < result.cin:
        out.append(
            f"each output channel gets only ∏(cin/groups) = {result.fan_in:,} paths in all, fewer than the "
            f"{result.cin:,} input channels: no permutation can connect every pair; the groups must change"
        )
    elif result.fan_in % result.cin or result.fan_out % result.cout or result.fan_in // result.cin != result.fan_out // result.cout:
        out.append(
            f"∏(cin/groups) = {result.fan_in:,} and ∏(cout/groups) = {result.fan_out:,} are not the same multiple "
            f"of {result.cin:,} inputs and {result.cout:,} outputs: equal path counts are impossible with these groups"
        )
    for row in result.layers:
        if row["kind"] == "conv" and row["merges_reached_groups"]:
            out.append(
                f"the flow is cut before {row['name']}: the permutation sends channels already reached from "
                "one input into the same groups, while other groups stay unreached"
            )
    return out
