"""Counts and complementarity verdicts of units with a second path, a split or a concat.

Path counts are those of :mod:`igcdesign.connectivity.paths` (each layer applied to the rows of
the running matrix), taken through the unit's graph: the body from the channels it reads (all of
them, or the second half after a split), the second path from the unit's input (a pool or the
identity passes each channel on: one path), the two joined by addition (paths add) or stacked
by a concat, then the permutations after the join. The verdict is classify(min, max) of the
unit's p(o, i), docs/conventions.md §2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from igcdesign.connectivity.paths import MAX_DENSE_ENTRIES, apply_layer, classify, path_bound
from igcdesign.connectivity.verdict import PathRange
from igcdesign.counting import BlockCount, layer_row
from igcdesign.errors import IGCError
from igcdesign.nets.counting import unit_sides
from igcdesign.nets.model import Unit


def unit_path_matrix(unit: Unit):
    """p[o, i]: paths from input channel i to output channel o of the whole unit (int64)."""
    import numpy as np

    cin, cout = unit.cin, unit.cout
    if cin * max(cin, cout, *(c.cout for c in unit.convs)) > MAX_DENSE_ENTRIES:
        raise IGCError(f"{unit.name}: a {cout:,}×{cin:,} path matrix is past the dense limit ({MAX_DENSE_ENTRIES:,} entries)")
    if path_bound(unit.layers) >= 1 << 60:
        raise IGCError(f"{unit.name}: path counts may overflow 64-bit integers")
    eye = np.eye(cin, dtype=np.int64)
    half = cin // 2
    rows = eye[half:] if unit.split else eye
    for layer in unit.layers:
        rows = apply_layer(rows, layer)
    other = None
    if unit.split:
        other = eye[:half]
    elif unit.side is not None:
        other = eye
        for layer in unit.side.layers:
            other = apply_layer(other, layer)
    elif unit.shortcut:
        other = eye
    if other is not None:
        if unit.merge == "concat":
            rows = np.vstack((other, rows) if unit.side_first else (rows, other))
        else:
            if other.shape != rows.shape:
                raise IGCError(f"{unit.name}: cannot add {other.shape[0]} channels to {rows.shape[0]}")
            rows = rows + other
    for layer in unit.after:
        rows = apply_layer(rows, layer)
    return rows


@dataclass(frozen=True)
class UnitCheck(PathRange):
    """What `check UNITSPEC` reports: the verdict and path range of the whole unit (both paths,
    the join, the permutations after it). ``as_dict()`` is the --json document; ``.min_paths``,
    ``.max_paths``, ``.fix`` (always None: no fix is suggested for a unit) and ``.exit_code``
    read as a block's :class:`~igcdesign.connectivity.verdict.CheckResult` does."""

    spec: str
    verdict: str
    paths_min: int
    paths_max: int
    disconnected_pairs: int
    layers: list[dict[str, Any]]
    cin: int
    cout: int
    join: str
    histogram: list[list[int]] = field(default_factory=list)  # [paths, pairs], ascending
    fix: None = None
    super_channels: None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec, "verdict": self.verdict, "paths_min": self.paths_min, "paths_max": self.paths_max,
            "disconnected_pairs": self.disconnected_pairs, "super_channels": self.super_channels,
            "layers": self.layers, "fix": self.fix, "cin": self.cin, "cout": self.cout, "join": self.join,
            "histogram": self.histogram,
        }


def unit_check(spec: str, unit: Unit) -> UnitCheck:
    """The verdict of a unit from its path matrix: path range, disconnected pairs, the histogram
    of path counts, and its layers (body, second path, after the join)."""
    import numpy as np

    p = unit_path_matrix(unit)
    values, counts = np.unique(p, return_counts=True)
    pmin, pmax = int(values[0]), int(values[-1])
    layers = [{"path": "body", "kind": layer.kind, "name": layer.name} for layer in unit.layers]
    if unit.side is not None:
        layers += [{"path": "second", "kind": layer.kind, "name": layer.name} for layer in unit.side.layers]
        if unit.side.pool is not None:
            layers.append({"path": "second", "kind": "pool", "name": unit.side.pool.text()})
    layers += [{"path": "after join", "kind": layer.kind, "name": layer.name} for layer in unit.after]
    return UnitCheck(
        spec=spec, verdict=classify(pmin, pmax), paths_min=pmin, paths_max=pmax,
        disconnected_pairs=int(counts[0]) if pmin == 0 else 0, layers=layers, cin=unit.cin, cout=unit.cout,
        join=_join_text(unit), histogram=[[int(v), int(n)] for v, n in zip(values.tolist(), counts.tolist())],
    )


def check_unit(spec: str, unit: Unit) -> dict[str, Any]:
    """`check --json`'s document of a unit (:func:`unit_check` as a dict)."""
    return unit_check(spec, unit).as_dict()


def check_unit_spec(text: str, perms: Any = None) -> UnitCheck:
    """The verdict of a unit spec (igcdesign.nets.unitspecs), what `check` and the library's
    ``check`` answer; SpecError for a bad spec, IGCError when permutations are given (a unit has
    no gaps of a chain for them to replace)."""
    from igcdesign.nets.unitspecs import parse_unit

    if perms is not None:
        raise IGCError("explicit permutations (--perm-file, perms=) replace the gaps of a block's chain; "
                       "a unit spec has none to replace")
    return unit_check(*parse_unit(text))


def _join_text(unit: Unit) -> str:
    if unit.split:
        first = "channel split (first half identity)"
    elif unit.side is not None:
        first = "pool" if unit.side.pool is not None and not unit.side.segments else "second path of convs"
    else:
        first = "identity" if unit.shortcut else "none"
    return f"{first}, {unit.merge}" + (", then " + ", ".join(layer.name for layer in unit.after) if unit.after else "")


def count_unit_spec(spec: str, unit: Unit, hw: int) -> BlockCount:
    """`count`'s result of a unit entered at hw×hw: every layer of both paths at its own map."""
    from igcdesign.validate import check_hw

    check_hw(hw)
    rows_sides, out = unit_sides(unit, hw)
    rows = [layer_row(layer, o * o, i * i, o) for layer, i, o in rows_sides]
    return BlockCount(
        spec=spec, family=spec.partition(":")[0], width=unit.cin, hw=hw,
        params=sum(row["params"] for row in rows), mult_adds=sum(row["mult_adds"] for row in rows),
        mem_access=sum(row["mem_access"] for row in rows), layers=rows, width_out=unit.cout, hw_out=out,
    )


def render_unit_check(doc: dict[str, Any]) -> None:
    """The verdict of a unit for people (plain text, user text never read as markup)."""
    from igcdesign.output import console

    out = console()
    say = lambda text: out.print(text, markup=False, highlight=False)  # noqa: E731
    say(f"{doc['spec']}  ({doc['cin']:,} → {doc['cout']:,} channels; join: {doc['join']})")
    meaning = {
        "strict": "complementary: exactly one path between every input and output channel.",
        "relaxed": "complementary over super-channels: every pair joined by the same number of paths.",
        "redundant": "every pair is joined, by unequal numbers of paths.",
        "sparse": "some input–output pairs are joined by no path: the unit's channels do not all meet.",
    }[doc["verdict"]]
    say(f"{doc['verdict']}: {meaning}")
    pairs = doc["cin"] * doc["cout"]
    say(f"paths per (output, input) pair: min {doc['paths_min']:,}, max {doc['paths_max']:,} over {pairs:,} pairs"
        + (f"; {doc['disconnected_pairs']:,} pairs disconnected" if doc["disconnected_pairs"] else ""))
    say("pairs by paths: " + ", ".join(f"{v:,} paths × {n:,}" for v, n in doc["histogram"]))


