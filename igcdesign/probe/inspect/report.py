"""The inspect report: per block its chain spec (printed by the library's chain printer and parsed
back, so that it pastes into every command), the library's counts of that chain at the traced
maps, and `check`'s verdict; then the totals, reconciled with the model's own parameters.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from igcdesign.layers import GroupConv, Permute
from igcdesign.probe.inspect.segment import FC, LonePermutation, OtherConv, Run, Segmentation, _prod


def _side(spatial: tuple[int, ...]) -> int | None:
    return spatial[0] if len(spatial) == 2 and spatial[0] == spatial[1] else None


def _map_text(spatial: tuple[int, ...]) -> str:
    return "×".join(map(str, spatial))


def block_row(run: Run, bn: bool, params: dict[str, nn.Parameter], bn_names: set[str]) -> dict[str, Any]:
    """A run as `inspect` reports it: spec, counts, verdict and where its parts came from."""
    from igcdesign.connectivity import analyze
    from igcdesign.families import parse_block
    from igcdesign.families.chain import chain_spec

    spec = chain_spec(run.layers)
    block = parse_block(spec)  # the spec as every other command reads it
    convs = [layer for layer in block.chain if isinstance(layer, GroupConv)]
    traced = [m for layer, m in zip(run.layers, run.maps) if isinstance(layer, GroupConv)]
    mult_adds = mem = 0
    layers = []
    conv_index = -1
    for layer in block.chain:
        if isinstance(layer, GroupConv):
            conv_index += 1
            map_in, map_out = traced[conv_index]
            out_pos, in_pos = _prod(map_out), _prod(map_in)
            row = {"kind": "conv", "name": run.convs[conv_index].name, "mult_adds": layer.mult_adds(out_pos),
                   "mem_access": layer.mem_access(out_pos, in_pos)}
        else:
            map_out = traced[conv_index][1]
            row = {"kind": "permute", "name": layer.name, "mult_adds": 0, "mem_access": layer.mem_access(_prod(map_out))}
        mult_adds += row["mult_adds"]
        mem += row["mem_access"]
        layers.append(row)
    check = analyze(block)
    extra = sum(params[name].numel() for name in run.biases if name in params)
    bn_params = sum(params[name].numel() for name in run.transparent_params if name in params and name in bn_names)
    map_in, map_out = traced[0][0], traced[-1][1]
    hw = _side(map_in)
    return {
        "kind": "block",
        "spec": block.spec,
        "hw": hw,
        "map_in": list(map_in),
        "map_out": list(map_out),
        "convs": [c.name for c in run.convs],
        "params": block.params(),
        "bias_params": extra,
        "bn_params": bn_params,
        "mult_adds": mult_adds,
        "mem_access": mem,
        "verdict": check.verdict,
        "paths_min": check.paths_min,
        "paths_max": check.paths_max,
        "maps_as_grammar": _maps_as_grammar(block.chain, convs, traced, hw),
        "layers": layers,
    }


def _maps_as_grammar(chain, convs, traced, hw) -> bool:
    """Whether `count SPEC --hw HW` costs every conv at the map it was traced at (False for
    padding other than the grammar's, or a non-square map)."""
    from igcdesign.layers import layer_sides

    if hw is None:
        return False
    try:
        sides = [(i, o) for layer, i, o in layer_sides(chain, hw) if isinstance(layer, GroupConv)]
    except ValueError:
        return False
    return all((i, i) == tuple(t_in) and (o, o) == tuple(t_out) for (i, o), (t_in, t_out) in zip(sides, traced))


def permutation_row(item: LonePermutation) -> dict[str, Any]:
    layer: Permute = item.layer
    return {
        "kind": "permutation",
        "spec": None,
        "after": item.after,
        "width": int(layer.width),
        "groups": layer.groups,
        "perm": list(layer.perm) if layer.perm is not None else None,
        "map_in": list(item.map),
        "map_out": list(item.map),
        "params": 0,
        "mult_adds": 0,
        "mem_access": layer.mem_access(_prod(item.map)),
    }


def fc_row(item: FC, params: dict[str, nn.Parameter]) -> dict[str, Any]:
    from igcdesign.nets.counting import classifier

    layer = classifier(item.info.cin, item.info.cout)
    bias = params[item.info.bias].numel() if item.info.bias and item.info.bias in params else 0
    return {
        "kind": "fc",
        "name": item.info.name,
        "cin": item.info.cin,
        "cout": item.info.cout,
        "params": layer.params(),
        "bias_params": bias,
        "mult_adds": layer.mult_adds(item.rows),
        "mem_access": layer.mem_access(item.rows) + bias,
    }


def other_conv_row(item: OtherConv) -> dict[str, Any]:
    """A conv outside the grammar, in closed form: weights (cin/g)·cout·∏kernel, mult_adds those
    weights per output position, mem_access input + output maps + weights."""
    info = item.info
    weights = (info.cin // info.groups) * info.cout * _prod(info.kernel)
    out_pos, in_pos = _prod(item.map_out), _prod(item.map_in)
    return {
        "kind": "conv",
        "name": info.name,
        "reason": item.reason,
        "map_in": list(item.map_in),
        "map_out": list(item.map_out),
        "params": weights,
        "bias_params": 0,
        "mult_adds": weights * out_pos,
        "mem_access": info.cin * in_pos + info.cout * out_pos + weights,
    }


def build_report(model: nn.Module, seg: Segmentation, *, bn: bool, source: str, shape: tuple[int, ...],
                 tracer: str, note: str | None) -> dict[str, Any]:
    """The --json document of `inspect`."""
    params = dict(model.named_parameters())
    items = []
    for item in sorted(seg.items, key=lambda i: i.first):
        if isinstance(item, Run):
            items.append(block_row(item, bn, params, seg.bn_params))
        elif isinstance(item, LonePermutation):
            items.append(permutation_row(item))
        elif isinstance(item, FC):
            items.append(fc_row(item, params))
        elif isinstance(item, OtherConv):
            row = other_conv_row(item)
            if item.info.bias and item.info.bias in params:
                row["bias_params"] = params[item.info.bias].numel()
            items.append(row)
    bn_names = set(seg.bn_params)
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            bn_names.update(f"{name}.{p}" if name else p for p, _ in module.named_parameters(recurse=False))
    bn_total = sum(p.numel() for name, p in params.items() if name in bn_names)
    unused = [(name, p.numel()) for name, p in params.items()
              if name not in seg.param_users and name not in bn_names]
    not_followed = list(seg.not_followed)
    if unused:
        not_followed.append({"what": "parameters the traced forward never reads: "
                                     + ", ".join(name for name, _ in unused[:5]) + (" …" if len(unused) > 5 else ""),
                             "params": sum(n for _, n in unused)})
    transparent = sum(p.numel() for name, p in params.items() if seg.param_users.get(name) == "transparent")
    if transparent:
        not_followed.append({"what": "parameters of per-channel ops inside blocks (PReLU, …)", "params": transparent})
    for row in items:
        if row["kind"] == "block":
            row["bn_params"] = row["bn_params"] if bn else 0
    counted = sum(row["params"] + row.get("bias_params", 0) for row in items)
    followed_other = sum(entry["params"] for entry in not_followed)
    total_params = counted + followed_other + (bn_total if bn else 0)
    model_params = sum(p.numel() for p in params.values())
    return {
        "model": source,
        "input": list(shape),
        "tracer": tracer,
        "tracer_note": note,
        "bn": bn,
        "items": items,
        "not_followed": not_followed,
        "not_costed": dict(sorted(seg.not_costed.items())),
        "problems": list(seg.problems),
        "totals": {
            "blocks": sum(1 for row in items if row["kind"] == "block"),
            "params": total_params,
            "mult_adds": sum(row["mult_adds"] for row in items),
            "mem_access": sum(row["mem_access"] for row in items),
            "bn_params": bn_total,
            "model_params": model_params,
            "model_params_by_convention": model_params - (0 if bn else bn_total),
        },
    }


def traced_report(model: nn.Module, shape: tuple[int, ...], *, bn: bool = False, source: str = "",
                  program: Any = None):
    """(the `inspect --json` document of `model` on an input of `shape`, the Traced graph)."""
    from igcdesign.probe.inspect.segment import segment
    from igcdesign.probe.inspect.trace import trace

    traced = trace(model, shape, program)
    seg = segment(traced.gm)
    doc = build_report(model, seg, bn=bn, source=source, shape=shape, tracer=traced.tracer, note=traced.note)
    return doc, traced


def inspect_model(model: nn.Module, shape: tuple[int, ...], *, bn: bool = False, source: str = "",
                  program: Any = None) -> dict[str, Any]:
    """Trace `model` on an input of `shape` and report its blocks (the `inspect --json` document)."""
    return traced_report(model, shape, bn=bn, source=source, program=program)[0]
