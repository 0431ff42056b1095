"""Measured latency of whole networks, with the probe's timer (imports torch when called).

Every network of one call is built and timed in the same process with the same settings, so
ratios between them are meaningful; absolute numbers are only those of this machine.
"""

from __future__ import annotations

from typing import Any, Sequence

from igcdesign.errors import IGCError

MAX_BATCH = 1 << 12


def measure_nets(
    specs: Sequence[Any],
    *,
    classes: int | None = None,
    resolution: int | None = None,
    bn: bool = False,
    fc: bool = True,
    batches: Sequence[int] = (1,),
    device: str = "cpu",
    threads: int | None = None,
    min_time: float = 0.2,
) -> tuple[str, list[list[dict[str, Any]]]]:
    """(device name, per spec a list of {"batch", "latency_ms", "iqr_ms", "params_torch"}).

    Raises IGCError when torch is missing, a batch is out of range, or a built module's
    parameter count differs from the counted one (a bug, never silently reported).
    """
    from igcdesign.probe import require_torch

    torch = require_torch()
    from igcdesign.nets.torch_build import build_torch_net
    from igcdesign.probe.device import device_name, resolve_device
    from igcdesign.probe.timing import time_module

    for b in batches:
        if not 1 <= b <= MAX_BATCH:
            raise IGCError(f"--batch must be between 1 and {MAX_BATCH}, got {b}")
    device = resolve_device(device)
    threads = torch.get_num_threads() if threads is None else threads
    if not 1 <= threads <= 1024:
        raise IGCError(f"--threads must be between 1 and 1024, got {threads}")
    modules = []
    for spec in specs:
        module = build_torch_net(spec, classes=classes, resolution=resolution, bn=bn, fc=fc)
        params_torch = sum(p.numel() for p in module.parameters())
        if params_torch != module.counted.params:
            raise IGCError(f"{module.net.name}: torch has {params_torch} parameters, the count says {module.counted.params}")
        modules.append((module.to(device), params_torch))
    results: list[list[dict[str, Any]]] = [[] for _ in modules]
    for batch in batches:  # every network at one batch size before the next: drift hits all alike
        for rows, (module, params_torch) in zip(results, modules):
            x = torch.randn(batch, *module.input_shape, device=device)
            timing = time_module(module, x, device=device, threads=threads, min_time=min_time)
            rows.append({"batch": batch, "latency_ms": timing.latency_ms, "iqr_ms": timing.iqr_ms, "params_torch": params_torch})
    return device_name(device), results
