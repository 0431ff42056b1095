"""Timing one module on one input: warm-up, then torch.utils.benchmark's blocked_autorange."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

from igcdesign.errors import IGCError
from igcdesign.probe.device import synchronize


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median and interquartile range over blocks of calls, and the least
    (the block least disturbed by other work on the machine, which only ever adds time)."""

    median_s: float
    iqr_s: float
    blocks: int
    calls_per_block: int
    min_s: float = float("nan")

    @property
    def latency_ms(self) -> float:
        return self.median_s * 1e3

    @property
    def iqr_ms(self) -> float:
        return self.iqr_s * 1e3


def warm_up(module, x, device: str, *, min_calls: int = 2, min_time: float = 0.05) -> None:
    """Call the module until at least `min_calls` calls and `min_time` seconds have passed."""
    start = time.perf_counter()
    calls = 0
    while calls < min_calls or time.perf_counter() - start < min_time:
        module(x)
        calls += 1
        if calls >= 1000:
            break
    synchronize(device)


CLOCKS = ("wall", "cpu")


def check_clock(clock: str, device: str, threads: int) -> str:
    """`clock`, or IGCError (one line): 'cpu' times by the process's CPU time, which is the call's
    time with a core to itself only for one thread on the CPU."""
    if clock not in CLOCKS:
        raise IGCError(f"--clock must be one of {', '.join(CLOCKS)}, got '{str(clock)[:100]}'")
    if clock == "cpu" and (device != "cpu" or threads != 1):
        raise IGCError("--clock cpu times one thread on the CPU: give --threads 1 (and --device cpu)")
    return clock


def time_module(module, x, *, device: str, threads: int, min_time: float = 0.2, clock: str = "wall") -> Timing:
    """Median and IQR of `module(x)` under inference_mode with `threads` intra-op threads.

    blocked_autorange runs the call in blocks and synchronises the accelerator around its
    timer, so CUDA kernels are waited for; num_threads is passed explicitly (it defaults to 1).
    `clock='cpu'` (one thread on the CPU, :func:`check_clock`) times by the process's CPU time:
    the time the call takes with a core to itself, which other work on a shared machine does
    not stretch as it stretches the wall clock.
    """
    import torch
    from torch.utils.benchmark import Timer

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            # even kernels use padding='same', which warns about an extra padded copy: that is measured
            warnings.filterwarnings("ignore", message="Using padding='same'")
            warm_up(module, x, device)
            extra = {"timer": time.process_time} if check_clock(clock, device, threads) == "cpu" else {}
            timer = Timer(stmt="module(x)", globals={"module": module, "x": x}, num_threads=threads, **extra)
            measurement = timer.blocked_autorange(min_run_time=min_time)
            synchronize(device)
    finally:
        torch.set_num_threads(previous)
    return Timing(
        median_s=float(measurement.median),
        iqr_s=float(measurement.iqr),
        blocks=len(measurement.times),
        calls_per_block=int(measurement.number_per_run),
        min_s=float(min(measurement.times)),
    )
