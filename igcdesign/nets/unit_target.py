"""Unit specs as probe targets: registers the unit kind with :mod:`igcdesign.probe.targets`.

A unit (``shufflenetv2-unit:C=116``, ``resnet-unit:Cin=64,C=128,s=2``; igcdesign.nets.unitspecs)
is measured entered at the probe's hw×hw map, both paths and the join, as
:func:`igcdesign.probe.networks.unit_module` builds it; its counts are ``count``'s. Imported by
:mod:`igcdesign.nets.probe_hook`; nothing here imports torch until the factory is called.
"""

from __future__ import annotations

from igcdesign.layers import GroupConv
from igcdesign.nets.counting import unit_sides
from igcdesign.nets.unitcheck import count_unit_spec
from igcdesign.nets.unitspecs import is_unit_spec, parse_unit
from igcdesign.probe.targets import Target, TargetKind, map_footprint, register_target_kind


def unit_target(text: str, hw: int) -> Target:
    """The probe Target of a unit spec entered at hw×hw; SpecError / IGCError as ``count`` gives."""
    spec, unit = parse_unit(text)
    counted = count_unit_spec(spec, unit, hw)
    rows, _ = unit_sides(unit, hw)
    activations, workspace = map_footprint(unit.cin * hw * hw, ((layer, out * out) for layer, _, out in rows))

    def factory(bn: bool = False, relu: bool = False, impl: str = "plain"):
        """The torch unit; `bn` builds its BNs, `relu` is ignored (a unit has its own activations)."""
        from igcdesign.probe.networks import unit_module

        return unit_module(unit, bn=bn, impl=impl)

    return Target(
        spec=spec,
        kind="unit",
        family=spec.partition(":")[0],
        width=int(unit.cin),
        params=int(counted.params),
        mult_adds=int(counted.mult_adds),
        mem_access=int(counted.mem_access),
        input_shape=(int(unit.cin), hw, hw),
        activations=int(activations),
        factory=factory,
        kernel=max(int(c.k) for c in unit.convs if isinstance(c, GroupConv)),
        workspace=int(workspace),
        floor_layers=tuple((layer, out * out, side * side) for layer, side, out in rows),
    )


UNITS = TargetKind("unit", claims=is_unit_spec, resolve=unit_target)
register_target_kind(UNITS)

__all__ = ["UNITS", "unit_target"]
