"""igcify: a model with every dense k×k conv replaced by an IGC block of the same widths and stride.

Each replaced conv is an ``nn.Conv2d`` (groups 1, square kernel, no dilation, zero padding of the
grammar's k//2, so the block maps the same input to an output of the same shape). Its
replacement is the first of :func:`igcdesign.replacement.candidates` for its input and output
widths, stride and kernel within its own weights (or a share of them): the widest block, or
with a machine profile and ``by='latency'`` the fastest one the latency model predicts. The
block is built from its chain by :func:`igcdesign.probe.modules.chain_module` (plain
``nn.Conv2d`` layers and channel shuffles, freshly initialised; the conv's bias, if it had one,
goes on the block's last conv), so that `inspect` reads it back as the same chain. Nothing
else of the model changes: BN and activations after the conv stay where they were.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from torch import nn

from igcdesign.errors import IGCError
from igcdesign.layers import GroupConv, conv_padding
from igcdesign.probe.igcify_options import parse_by, parse_family, parse_max_params

@dataclass
class Replacement:
    """One conv of the model and what igcify did with it (`after` None: kept, for `reason`)."""

    name: str
    before: str
    after: str | None
    reason: str | None
    family: str | None
    hw: int
    params_before: int
    params_after: int
    mult_adds_before: int
    mult_adds_after: int
    mem_access_before: int
    mem_access_after: int
    predicted_ms: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IGCified:
    """The new model, what was replaced, and `inspect`'s documents of the model before and after."""

    model: nn.Module
    replacements: list[Replacement]
    before: dict[str, Any]
    after: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    traced_after: Any = None  # the new model's trace (for its stage file)

    def as_dict(self) -> dict[str, Any]:
        def totals(doc):
            return {key: doc["totals"][key] for key in ("params", "mult_adds", "mem_access")}

        return {
            "model": self.before["model"],
            "input": self.before["input"],
            "options": self.options,
            "replacements": [r.as_dict() for r in self.replacements],
            "replaced": sum(1 for r in self.replacements if r.after),
            "before": totals(self.before),
            "after": totals(self.after),
            "after_blocks": [row["spec"] for row in self.after["items"] if row["kind"] == "block"],
        }


def _why_not(module: nn.Module, info, pointwise: bool) -> str | None:
    """Why a traced conv is not replaced (None: it is)."""
    if not isinstance(module, nn.Conv2d) or type(module) is not nn.Conv2d:
        return "not an nn.Conv2d module"
    if info.not_expressible():
        return info.not_expressible()
    if info.groups != 1:
        return f"already grouped ({info.groups} groups)"
    k, s = info.kernel[0], info.stride[0]
    if k == 1 and not pointwise:
        return "1×1 (--1x1, or pointwise=True, replaces it too)"
    if module.padding_mode != "zeros":
        return f"padding mode {module.padding_mode}"
    want = conv_padding(k, s)
    padding = module.padding if isinstance(module.padding, str) else tuple(module.padding)
    if padding != want and padding != (want, want):
        return f"padding {padding}, not the grammar's {want} (the output map would change)"
    return None


def _costs(layers_with_maps) -> tuple[int, int, int]:
    params = mult_adds = mem = 0
    for layer, in_pos, out_pos in layers_with_maps:
        params += layer.params()
        mult_adds += layer.mult_adds(out_pos)
        mem += layer.mem_access(out_pos, in_pos) if isinstance(layer, GroupConv) else layer.mem_access(out_pos)
    return params, mult_adds, mem


def _block_costs(block, side_in: int) -> tuple[int, int, int]:
    from igcdesign.layers import layer_sides

    return _costs((layer, i * i, o * o) for layer, i, o in layer_sides(block.chain, side_in))


def build_block(block, conv: nn.Conv2d) -> nn.Module:
    """The block's module, on the conv's device and dtype, with the conv's bias on its last conv."""
    from igcdesign.probe.modules import chain_module

    module = chain_module(block.chain)
    if conv.bias is not None:
        last = [m for m in module.modules() if isinstance(m, nn.Conv2d)][-1]
        last.bias = nn.Parameter(torch.zeros(last.out_channels))
    return module.to(device=conv.weight.device, dtype=conv.weight.dtype)


def igcify_model(model: nn.Module, shape: Sequence[int], *, family: str = "auto", max_params: str | float = "same",
                 by: str = "width", pointwise: bool = False, profile: Any = None, source: str = "") -> IGCified:
    """A copy of `model` (untouched) with its dense k×k convs (and 1×1 ones with `pointwise`)
    replaced, traced on an input of `shape`; see the module docstring."""
    from igcdesign.families.chain import chain_spec
    from igcdesign.probe.inspect.report import traced_report
    from igcdesign.probe.inspect.segment import Segmenter
    from igcdesign.replacement import candidates

    families = parse_family(family)
    share = parse_max_params(max_params)
    by = parse_by(by)
    if by == "latency" and profile is None:
        raise IGCError("--by latency needs a machine profile with layer timings: run igcdesign calibrate "
                       "(and igcdesign latency) first, or rank --by width")
    shape = tuple(int(s) for s in shape)
    before, traced = traced_report(model, shape, source=source)
    seen = Segmenter(traced.gm)
    replacements: list[Replacement] = []
    new = copy.deepcopy(model)
    done: set[str] = set()
    found_for: dict[tuple, list] = {}  # convs of the same shape share their candidates
    for node in seen.nodes:
        info = seen.conv.get(node)
        if info is None or info.name in done:
            continue
        done.add(info.name)
        try:
            module = model.get_submodule(info.name)
        except AttributeError:
            module = None
        map_in = seen._spatial(node.all_input_nodes[0])
        map_out = seen._spatial(node)
        reason = _why_not(module, info, pointwise)
        if reason and reason.startswith("already grouped"):
            continue  # the model's own group convs are not listed: nothing to replace
        k, s = info.kernel[0], info.stride[0] if info.stride else 1
        conv_layer = GroupConv(info.cin, info.cout, info.groups, k, stride=s, name=info.name)
        in_pos, out_pos = _prod(map_in), _prod(map_out)
        p0, m0, a0 = _costs([(conv_layer, in_pos, out_pos)])
        side = map_in[0] if len(map_in) == 2 and map_in[0] == map_in[1] else None
        if reason is None and side is None:
            reason = f"a {'×'.join(map(str, map_in))} map (not square)"
        spec_before = chain_spec((conv_layer,))
        row = Replacement(info.name, spec_before, None, reason, None, side or 0, p0, p0, m0, m0, a0, a0)
        replacements.append(row)
        if reason is not None:
            continue
        budget = max(1, int(p0 * share))
        key = (info.cin, info.cout, s, k, budget, side)
        try:
            if key not in found_for:
                found_for[key] = candidates(info.cin, info.cout, stride=s, k=k, max_params=budget, hw=side,
                                            families=list(families), profile=profile if by == "latency" else None)
            found = found_for[key]
        except IGCError as e:
            row.reason = str(e)
            continue
        found = [c for c in found if c.family != "regular" and c.params <= budget]
        if not found:
            row.reason = f"no {'/'.join(families)} block maps {info.cin} → {info.cout} channels within {budget:,} params"
            continue
        best = found[0]
        p1, m1, a1 = _block_costs(best.block, side)
        row.after, row.family, row.predicted_ms = best.spec, best.family, best.predicted_ms
        row.params_after, row.mult_adds_after, row.mem_access_after = p1, m1, a1
        parent_name, _, child = info.name.rpartition(".")
        parent = new.get_submodule(parent_name) if parent_name else new
        setattr(parent, child, build_block(best.block, module))
    after, traced_after = traced_report(new, shape, source=f"igcify({source})" if source else "igcify")
    options = {"family": family, "max_params": max_params, "by": by, "pointwise": pointwise}
    return IGCified(new, replacements, before, after, options, traced_after)


def stage_file_text(result: IGCified, shape: Sequence[int], suffix: str, name: str) -> str:
    """The new model as a stage file (YAML, or JSON for .json) that `igcdesign net` counts as
    `inspect` counts the model; NotExpressible (an IGCError, one line naming the op) when the
    model is not a stem, units and a classifier (igcdesign.probe.inspect.stagefile)."""
    from igcdesign.probe.inspect.stagefile import stage_document, stage_text

    doc, _ = stage_document(result.model, shape, name, traced=result.traced_after, report=result.after)
    return stage_text(doc, suffix)


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def export_model(model: nn.Module, shape: Sequence[int], path) -> None:
    """Write `model` with torch.export (traced on an input of `shape`) to `path`, atomically."""
    from igcdesign.files import atomic_save
    from igcdesign.probe.inspect.source import user_code

    with user_code("torch.export of the new model", quiet=True):
        program = torch.export.export(model.eval(), (torch.zeros(tuple(shape)),), strict=False)
    atomic_save(path, lambda tmp: torch.export.save(program, str(tmp)))


def _footprint(doc: dict[str, Any], shape: Sequence[int]) -> tuple[int, int]:
    """(elements of the maps of one sample, the largest unfolded k×k input) from a report's
    blocks: enough for the probe's memory estimate."""
    activations = _prod(shape[1:])
    workspace = 0
    for row in doc["items"]:
        if row["kind"] != "block":
            continue
        for layer in row["layers"]:
            activations += layer["mem_access"]  # input + output + weights: a generous bound
    return activations, workspace


def measure(result: IGCified, original: nn.Module, shape: Sequence[int], settings) -> dict[str, Any]:
    """Both models timed in one probe run (interleaved, same settings): the probe's document."""
    from dataclasses import replace

    from igcdesign.probe.measure import probe
    from igcdesign.probe.targets import Target

    shape = tuple(int(s) for s in shape)
    if len(shape) != 4:
        raise IGCError("--measure times 4-d inputs (NxCxHxW)")

    def target(label: str, model: nn.Module, doc: dict[str, Any]) -> Target:
        activations, workspace = _footprint(doc, shape)
        return Target(spec=label, kind="model", family="model", width=shape[1], params=doc["totals"]["params"],
                      mult_adds=doc["totals"]["mult_adds"], mem_access=doc["totals"]["mem_access"],
                      input_shape=shape[1:], activations=activations, workspace=workspace,
                      factory=lambda bn=False, relu=False, impl="plain": copy.deepcopy(model))

    targets = [target("original", original, result.before), target("igcified", result.model, result.after)]
    return probe(targets, replace(settings, hw=shape[2], impls=("plain",)), baseline=None)
