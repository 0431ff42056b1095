"""The public library API: what each command answers, as Python values.

A thin facade over the library modules, with the CLI's defaults (k = 3, hw = 32, IGCV3 t = 6,
G1 = G2 = 2) and the CLI's checks (a bad value raises :class:`~igcdesign.errors.IGCError`, a bad
spec its subclass ``SpecError``, with the message the command would print). Every function that
takes a block takes a spec string (``"igcv1:L=4,M=8"``) or a :class:`~igcdesign.families.Block`;
budgets are what ``--params`` takes (``4672``, ``1e6``, ``"17.5k"``, ``"2.5M"``).

Nothing heavy is imported until a function needs it: :func:`table` and :func:`space` build
pandas frames on ``to_frame()``, :func:`derive` imports sympy, :func:`module` torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from igcdesign.errors import IGCError, shown

if TYPE_CHECKING:  # pragma: no cover - names for annotations only
    from igcdesign.connectivity.verdict import CheckResult
    from igcdesign.counting import BlockCount
    from igcdesign.families.block import Block
    from igcdesign.nets.counting import NetCount
    from igcdesign.search import WidestResult
    from igcdesign.timed_search import TimedResult

__all__ = ["parse", "count", "widest", "check", "table", "space", "net", "derive", "module", "predict_latency",
           "inspect", "igcify", "TableResult", "SpaceResult"]


def _budget(budget: int | float | str, what: str = "budget") -> int:
    """A budget as the CLI reads it: an int, a float with an integer value, or text ('17.5k')."""
    from igcdesign.numbers import parse_count

    if isinstance(budget, bool) or not isinstance(budget, (int, float, str)):
        raise IGCError(f"{what} must be a number or text such as '1e6' or '17.5k', got {type(budget).__name__}")
    if isinstance(budget, float):
        if not budget.is_integer():
            raise IGCError(f"{what} {budget!r} is not an integer")
        budget = int(budget)
    return parse_count(str(budget), what)


def parse(spec: "str | Block") -> "Block":
    """The :class:`~igcdesign.families.Block` a spec names (a Block is returned as it is).

    ``parse("igcv1:L=4,M=8").width == 32``; ``.chain`` is the chain every other function reads,
    ``.spec`` the canonical spec (``'igcv1:L=4,M=8,k=3'``).
    """
    from igcdesign.families import as_block

    return as_block(spec)


def count(spec: "str | Block", hw: int = 32) -> "BlockCount":
    """What ``igcdesign count`` reports: ``.params``, ``.mult_adds``, ``.mem_access`` (integers; the
    block entered at an hw×hw input map, each layer at its own output map, ``.hw_out`` the last)
    and ``.layers`` (one dict per layer of the chain). Unit specs (``shufflenetv2-unit:C=116``,
    docs/conventions.md) are counted over both their paths."""
    from igcdesign.counting import count_block
    from igcdesign.nets.unitspecs import is_unit_spec

    if is_unit_spec(spec):
        from igcdesign.nets.unitcheck import count_unit_spec
        from igcdesign.nets.unitspecs import parse_unit

        return count_unit_spec(*parse_unit(spec), hw)
    return count_block(parse(spec), hw)


def _families(family: str | Sequence[str] | None) -> list[str] | None:
    from igcdesign.families import chosen_widest_families

    return chosen_widest_families(family)


def widest(budget: int | float | str | None = None, kernel: int = 3, family: str | Sequence[str] | None = None, *,
           expansion: int | str | Sequence[int] = 6, g1: int | str | Sequence[int] = 2,
           g2: int | str | Sequence[int] = 2, multiple_of: int | None = None, max_convs: int | None = None,
           min_group_size: int | None = None, latency_budget: str | None = None, hw: int = 16, batch: int = 1,
           profile: Any = None, **options: Any) -> "list[WidestResult] | list[TimedResult]":
    """The widest block of each family within `budget` params (``igcdesign widest``), in the CLI's
    order: a list of results with ``.family``, ``.width``, ``.params``, ``.spec`` (None where no
    block fits), ``.config``, ``.bound`` (the continuous bound) and ``.ratio_to_regular``.

    `family`: one name, a list, None for the CLI's default five, or 'all'; `expansion`, `g1`, `g2`
    set IGCV3, each one value or the values its search ranges over (a list, or text such as
    '1-6' or '1,2,4'); `multiple_of`, `max_convs`, `min_group_size` are ``widest``'s constraints
    (igcdesign.constraints; each result's ``.extra["narrowed_by"]`` names those that bit);
    further keyword options (`rule='checked'|'paper'`) go to
    :func:`igcdesign.search.widest_all` unchanged.

    With `latency_budget` ('0.5ms', '500us'; `budget` then optional) the answer is per family the
    widest blocks *predicted* within that time on `profile` (default: this machine's) at hw×hw
    and `batch`, as :class:`igcdesign.timed_search.TimedResult` (``.chosen``, ``.candidates``,
    ``.bound``: 'params' or 'time'); nothing is measured (``widest --latency-budget`` measures).
    """
    from igcdesign.constraints import Constraints
    from igcdesign.search import design_options, widest_all
    from igcdesign.validate import check_hw, check_kernel

    if budget is None and latency_budget is None:
        raise IGCError("give a parameter budget, a latency_budget, or both")
    total = _budget(budget, "--params") if budget is not None else None
    check_kernel(kernel)
    constraints = Constraints(multiple_of=multiple_of, max_convs=max_convs, min_group_size=min_group_size)
    chosen = design_options(expansion, g1, g2, constraints)
    if latency_budget is not None:
        from igcdesign.latency import check_sizes, default_profile
        from igcdesign.numbers import parse_duration
        from igcdesign.timed_search import widest_within_time

        seconds = parse_duration(latency_budget, "latency_budget")
        check_hw(hw)
        check_sizes(hw, batch, "fast")
        return widest_within_time(seconds, hw=hw, batch=batch, profile=profile or default_profile(), k=kernel,
                                  families=_families(family), params=total, options=chosen, **options)
    values = (chosen.expansions or chosen.expansion, chosen.g1s or chosen.g1, chosen.g2s or chosen.g2)
    return widest_all(total, kernel, _families(family), *values, constraints=constraints, **options)


def check(spec: "str | Block", perms: Sequence[Sequence[int]] | None = None) -> "CheckResult":
    """The complementarity verdict of ``igcdesign check``: ``.verdict`` ('strict', 'relaxed',
    'redundant' or 'sparse'), ``.min_paths`` and ``.max_paths`` over every (output, input) pair,
    and ``.fix`` (a dict with the suggested spec, or None). `perms`: explicit permutations, one
    index list per gap between convs (what ``--perm-file`` holds). A unit spec
    (``shufflenetv2-unit:C=116``) gives its :class:`~igcdesign.nets.unitcheck.UnitCheck`, the
    same fields over the whole unit (both paths, the join), ``.as_dict()`` the CLI's document."""
    from igcdesign.nets.unitspecs import is_unit_spec

    if is_unit_spec(spec):
        from igcdesign.nets.unitcheck import check_unit_spec

        return check_unit_spec(spec, perms=perms)
    from igcdesign.connectivity import analyze

    return analyze(parse(spec), perms=perms)


@dataclass
class TableResult:
    """The rows of ``igcdesign table``: ``.rows`` (dicts, the JSON rows), ``.tables`` (one
    :class:`~igcdesign.tables.WidthTable` per family), ``.widest`` (the rows marked widest)."""

    tables: list[Any]

    @property
    def rows(self) -> list[dict[str, Any]]:
        if len(self.tables) == 1:
            return list(self.tables[0].rows)
        return [{"family": t.family, **row} for t in self.tables for row in t.rows]

    @property
    def widest(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if row.get("widest")]

    def to_frame(self):
        """A pandas DataFrame with the columns of ``igcdesign table --csv``."""
        from igcdesign.report.tables_render import tables_frame

        return tables_frame(self.tables)


def table(budget: int | float | str, family: str = "igcv1", kernel: int = 3, *, tolerance: float = 5.0,
          expansion: int = 6, groups: Sequence[int] = (1, 2, 4, 8), rule: str = "checked") -> TableResult:
    """The width table of ``igcdesign table`` for one family ('igcv1', 'igcv2', 'igcv3',
    'shufflenetv1') or 'all'; `rule` as ``--rule``."""
    from igcdesign.tables import check_tolerance, table_families, width_tables
    from igcdesign.validate import check_kernel, check_positive

    total = _budget(budget, "--params")
    check_kernel(kernel)
    check_tolerance(tolerance)
    check_positive(expansion, "--expansion", 1 << 10)
    names = table_families() if family == "all" else [family]
    values = sorted({check_positive(int(g), "--groups") for g in groups})
    return TableResult(width_tables(total, kernel, names, tolerance, expansion, values, rule))


@dataclass
class SpaceResult:
    """An enumerated design space (``igcdesign space``): ``.rows`` (dicts with the columns of its
    CSV), ``.to_frame()`` (the pandas DataFrame), ``.pareto(x, y)`` (the front of two columns),
    and ``.family``, ``.budget``, ``.total`` (configurations within the budget before filters)."""

    space: Any = field(repr=False)

    @property
    def family(self) -> str:
        return self.space.family

    @property
    def budget(self) -> int:
        return self.space.budget

    @property
    def total(self) -> int:
        return self.space.total

    @property
    def columns(self) -> list[str]:
        return list(self.space.frame.columns)

    def __len__(self) -> int:
        return len(self.space.frame)

    @property
    def rows(self) -> list[dict[str, Any]]:
        from igcdesign.designspace import records

        return records(self.space.frame)

    def to_frame(self):
        """A copy of the space as a pandas DataFrame, the columns of ``space --out FILE.csv``."""
        return self.space.frame.copy()

    def pareto(self, x: str = "width", y: str = "params") -> "SpaceResult":
        """The Pareto front of two objective columns (width and C_int maximised; params,
        mult_adds and mem_access minimised), as ``space --pareto --objectives x,y`` gives it."""
        from dataclasses import replace

        from igcdesign.designspace import check_objectives, objective_column, pareto_mask

        chosen = check_objectives([x, y])
        frame = self.space.frame
        missing = [c for c in chosen if objective_column(c) not in frame.columns]
        if missing:
            raise IGCError(f"{self.family} has no column {missing[0]} (columns: {', '.join(frame.columns)})")
        front = frame[pareto_mask(frame, chosen)].reset_index(drop=True) if len(frame) else frame
        return SpaceResult(replace(self.space, frame=front, pareto=chosen))


def space(family: str, max_params: int | float | str, kernel: int = 3, hw: int = 32, *, expansion: int = 6,
          minimum: dict[str, int] | None = None, maximum: dict[str, int] | None = None,
          multiple_of: int | None = None, channelwise: bool = False, rule: str = "checked",
          latency: bool = False, profile: Any = None, max_latency: str | None = None, batch: int = 1) -> SpaceResult:
    """Every configuration of `family` ('igcv1', 'igcv2', 'igcv3') within `max_params`, counted on
    an hw×hw map, with ``igcdesign space``'s filters: `minimum` / `maximum` ({column: value}, like
    ``--min M=4``), `multiple_of` (``--multiple-of``), `channelwise` (IGCV2, K₁ = 1).

    With `latency=True`, a `profile` or `max_latency` ('0.5ms'), every row gets a predicted_ms
    column (igcdesign.latency at hw and `batch` on `profile`, default this machine's; at most
    igcdesign.designspace.MAX_PREDICTED_ROWS rows), kept in ``to_frame()``, and `max_latency`
    keeps the rows predicted within it; ``.pareto("width", "latency")`` then works."""
    from igcdesign.designspace import Filters, enumerate_space
    from igcdesign.validate import check_hw, check_kernel, check_positive

    total = _budget(max_params, "--max-params")
    check_kernel(kernel)
    check_hw(hw)
    filters = Filters(minimum=dict(minimum or {}), maximum=dict(maximum or {}), channelwise=channelwise)
    if multiple_of is not None:
        filters.multiple_of = check_positive(multiple_of, "--multiple-of")
    result = enumerate_space(family, total, kernel, hw, expansion, filters, progress=False, rule=rule)
    if latency or profile is not None or max_latency is not None:
        from igcdesign.designspace import with_latency
        from igcdesign.latency import check_sizes, default_profile
        from igcdesign.numbers import parse_duration

        check_sizes(hw, batch, "fast")
        limit = parse_duration(max_latency, "max_latency") * 1e3 if max_latency is not None else None
        result = with_latency(result, profile or default_profile(), limit, batch=batch)
    return SpaceResult(result)


def net(spec_or_file: Any, bn: bool = False, *, classes: int | None = None, resolution: int | None = None,
        fc: bool = True) -> "NetCount":
    """A whole network counted as ``igcdesign net`` does: a network spec ('igcv1-cifar:L=4,M=8,D=20',
    'mobilenetv2:alpha=0.75', …) or a YAML/JSON stage file → ``.params``, ``.mult_adds``,
    ``.mem_access`` and ``.stages``. `bn` counts BN γ and β; `fc=False` leaves out the classifier."""
    from igcdesign.nets import count_net

    return count_net(spec_or_file, classes=classes, resolution=resolution, bn=bn, fc=fc)


def derive(family: "str | Block"):
    """The derivation of a family (its name, or a spec or Block of it), step by step
    (``igcdesign derive``): ``.steps``, each with
    ``.title``, ``.expr`` (a sympy expression) and ``.note``. Imports sympy."""
    from igcdesign.families import FAMILIES, families_supporting
    from igcdesign.families.block import Block

    name = family.family if isinstance(family, Block) else str(family).partition(":")[0].strip().lower()
    derivable = families_supporting("derive")
    if name not in derivable:
        raise IGCError(f"unknown family '{name[:100]}' (derivations exist for {', '.join(derivable)})")
    return FAMILIES[name].derivation()


def module(spec: "str | Block", bn: bool = False, relu: bool = False, impl: str = "fast"):
    """The block as a torch ``nn.Module`` (what ``igcdesign probe`` times), with BN and ReLU after
    it when asked; it works with ``torch.jit.script``, ``torch.jit.trace`` and ``torch.export``.
    ``impl='fast'`` (default) runs 1×1 group convs as batched matrix products and grouped k×k
    convs channels-last (:mod:`igcdesign.probe.fast`); ``impl='plain'`` is one ``nn.Conv2d``
    per conv, kept for reference. Both compute the same function with the same parameters.
    A unit spec (``resnet-unit:Cin=64,C=128,s=2``) builds the whole unit, both paths and the
    join, with its own activations; `bn` then builds the BNs the unit has between its convs
    (without them its parameters are ``count``'s), and `relu` is refused (the unit has its own).
    Imports torch (IGCError with the install hint when it is missing)."""
    from igcdesign.nets.unitspecs import is_unit_spec
    from igcdesign.probe import parse_impls, require_torch

    if is_unit_spec(spec):
        from igcdesign.nets.unitspecs import parse_unit

        _, unit = parse_unit(spec)
        if relu:
            raise IGCError(f"{shown(spec.strip())}: a unit has its own activations; relu= adds one after a block")
    else:
        block = parse(spec)
    (impl,) = parse_impls(impl)[:1]
    require_torch()
    if is_unit_spec(spec):
        from igcdesign.probe.networks import unit_module

        return unit_module(unit, bn=bn, impl=impl)
    from igcdesign.probe.fast import build

    return build(block.chain, impl, bn=bn, relu=relu)


def predict_latency(spec: "str | Block", hw: int = 32, batch: int = 1, impl: str = "fast", profile: Any = None):
    """The block's predicted latency on this machine (``igcdesign latency``), without torch:
    ``.predicted_ms``, ``.floor_ms``, ``.plan``, ``.layers`` (per step: ``name``, ``key``,
    ``predicted_ms``, ``floor_ms``, ``source`` = 'measured' | 'interpolated' | 'floor') and
    ``.accuracy`` (the model's measured error here, or None). `profile`: a
    :class:`~igcdesign.profile.Profile`, a profile file, or None for this machine's (IGCError
    saying to run ``igcdesign calibrate`` when there is none)."""
    from igcdesign.latency import predict, refuse_units
    from igcdesign.profile import Profile, read_profile

    refuse_units([spec])

    if profile is not None and not isinstance(profile, Profile):
        profile = read_profile(profile)
    return predict(parse(spec), hw=hw, batch=batch, impl=impl, profile=profile)


def inspect(model, input: Sequence[int] = (1, 3, 224, 224), *, bn: bool = False) -> dict:
    """What ``igcdesign inspect`` reports of a torch ``nn.Module``, as its --json document: ``items``
    (blocks with ``spec``, ``params``, ``mult_adds``, ``mem_access``, ``verdict``; lone
    permutations; FC layers; convs outside the grammar), ``totals``, ``not_followed``. Imports torch."""
    from igcdesign.probe import require_torch
    from igcdesign.probe.inspect.options import check_memory, parse_input

    shape = parse_input("x".join(str(int(s)) for s in input))
    check_memory(shape)
    require_torch()
    from igcdesign.probe.inspect.report import inspect_model

    return inspect_model(model, shape, bn=bn, source=type(model).__name__)


def igcify(model, family: str = "auto", *, input: Sequence[int] = (1, 3, 224, 224), max_params: str = "same",
           by: str = "width", pointwise: bool = False):
    """A copy of `model` with every dense k×k conv (and 1×1 with `pointwise`) replaced by the IGC
    block of the same widths and stride with at most its weights (``igcdesign igcify``): `family`
    'igcv1', 'igcv2', 'igcv3' or 'auto'; `by` 'width' or 'latency' (needs a machine profile). The
    model is traced on an input of shape `input`. Imports torch."""
    from igcdesign.probe import require_torch
    from igcdesign.probe.igcify_options import check_options
    from igcdesign.probe.inspect.options import check_memory, parse_input

    check_options(family, max_params, by)
    shape = parse_input("x".join(str(int(s)) for s in input))
    check_memory(shape)
    require_torch()
    from igcdesign.probe.igcify import igcify_model

    profile = None
    if str(by).strip().lower() == "latency":
        from igcdesign.profile import find_default_profile

        profile = find_default_profile("cpu", None, "float32").profile
    return igcify_model(model, shape, family=family, max_params=max_params, by=by, pointwise=pointwise,
                        profile=profile).model
