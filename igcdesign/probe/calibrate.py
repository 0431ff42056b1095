"""Calibration: this machine's memory bandwidth, peak dense throughput and call cost, in torch.

Five figures, sampled in interleaved *rounds* (one short sample of each per round) for
``Sizes.seconds`` (40 s by default) and at least ``Sizes.repeats`` rounds:

- copy bandwidth: ``b.copy_(a)``, 2 × the buffer's bytes per call;
- triad bandwidth: ``a = b + s·c`` (one ``torch.add(..., alpha=s, out=a)``), 3 × the bytes;
- matmul throughput: an n×n by n×n product, n³ multiply-adds;
- dense conv throughput: a 3×3 conv C → C on a batch of hw×hw maps, C²·9·hw²·batch MACs;
- the fixed cost of one call: a 1×1 conv on a single element, where the arithmetic is nothing.

A bandwidth or a peak is an upper bound that other work on the machine, a page fault or a
descheduled thread can only lower, never raise, so a figure is taken from the fast end of its
samples: the nearest-rank ``KEEP_QUANTILE`` (90th percentile) of the rates, and the same rank
from the least time for the call cost; with a few samples that is the best one. Not the best
of many: on a shared machine the rate of the best moment comes and goes with the neighbours'
work. On this project's 2-vCPU box, one-call samples of each kernel, interleaved over 10
minutes at 2 threads and cut into 60-s windows, gave a best copy rate that moved by up to 15 %
from one window to the next (matmul 19 %), where the 90th percentile moved by at most 8 %
(matmul 5 %, dense conv 1 %). Rounds spread every figure over the whole run, so a bad stretch
lowers all a little instead of one a lot, and the bandwidth buffers are renewed every
``RENEW_EVERY`` rounds, because the placement of a buffer's pages moves its rate (``_Buffers``).
The interquartile range over the median stays in the profile as the measure of noise.

Other work that holds a core for a while cannot be seen in the rates alone, so every sample also
records its *core share*: the process's CPU time over the wall time × the threads (1.0 when every
thread had its core throughout; a thread that waits for the memory still counts as running). A
sample whose share is below ``DISTURBED_SHARE`` (of 1.0, or of the best share seen, if higher) was
disturbed and is left out; past the time budget, rounds go on (up to ``EXTEND_FACTOR`` × the
asked repeats, and ``EXTEND_S`` seconds) until every figure has as many undisturbed samples as
repeats were asked for. The best share per figure is stored,
and a share under ``BUSY_SHARE`` means the threads never had their cores: those figures are
the machine's under load, not its own.

A one-thread profile on the CPU is timed by the process's CPU time instead (the clock its layer
table is timed by, :func:`igcdesign.probe.layer_latency.uses_cpu_clock`): time the process was
descheduled is then not in any figure, so such a profile repeats on a loaded machine too, and
the floor and the table are the same kind of time.

Bandwidth buffers default to 8× the last-level cache (at least 64 MiB, at most 512 MiB and an
eighth of free memory), so that the figures are those of main memory, not of a cache.
The timer is a parameter so that the arithmetic is testable without timing anything.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import statistics
import time
from dataclasses import dataclass
from typing import Callable

from igcdesign.errors import IGCError
from igcdesign.profile import BUSY_SHARE, DISTURBED_SHARE, Fingerprint, Profile  # noqa: F401 (BUSY_SHARE: docs)

MiB = 1 << 20
MAX_BUFFER_BYTES = 1 << 32
MAX_MATMUL_N = 1 << 14
MAX_CONV_CHANNELS = 4096
MAX_CONV_HW = 1024
MAX_CONV_BATCH = 1024
MAX_REPEATS = 100
MAX_SECONDS = 600.0

FIGURES = ("copy_bytes_per_s", "triad_bytes_per_s", "matmul_macs_per_s", "conv_macs_per_s", "call_s")  # a round's order
KEEP_QUANTILE = 0.9  # the rank of the sample a figure keeps (module docstring)
RENEW_EVERY = 4  # rounds between fresh bandwidth buffers
EXTEND_FACTOR = 3  # at most this many times the asked repeats in rounds, while samples were disturbed
EXTEND_S = 20.0  # and no extra round this long past the time budget

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Sample:
    """One repeat: seconds per call, and the core share (CPU time / (wall time × threads); None
    where it was not measured)."""

    seconds: float
    share: float | None = None


# (function to call, seconds the repeat lasts at least) → seconds per call (or a Sample)
Clock = Callable[[Callable[[], object], float], "float | Sample"]


@dataclass(frozen=True)
class Sizes:
    """What calibration runs: bytes per bandwidth buffer, the matmul side, the dense conv's
    channels, map side and batch; the rounds (``repeats``) and ``seconds`` it samples for at
    least, and the seconds each sample lasts at least."""

    buffer_bytes: int
    matmul_n: int = 2048
    conv_channels: int = 256
    conv_hw: int = 32
    conv_batch: int = 8
    repeats: int = 7
    min_time: float = 0.05
    seconds: float = 40.0

    def check(self) -> "Sizes":
        """These sizes, or IGCError (one line) for any out of its bounds."""
        bounds = (
            ("--buffer-mib", self.buffer_bytes, 1 << 16, MAX_BUFFER_BYTES),
            ("--matmul-n", self.matmul_n, 1, MAX_MATMUL_N),
            ("--conv-channels", self.conv_channels, 1, MAX_CONV_CHANNELS),
            ("--conv-hw", self.conv_hw, 1, MAX_CONV_HW),
            ("--conv-batch", self.conv_batch, 1, MAX_CONV_BATCH),
            ("--repeats", self.repeats, 1, MAX_REPEATS),
        )
        for name, value, low, high in bounds:
            if not low <= value <= high:
                shown = (value / MiB, low / MiB, high / MiB) if name == "--buffer-mib" else (value, low, high)
                raise IGCError(f"{name} must be between {shown[1]:g} and {shown[2]:g}, got {shown[0]:g}")
        if not 0 < self.min_time <= 10:
            raise IGCError(f"--min-time must be in (0, 10] seconds, got {self.min_time}")
        if not 0 <= self.seconds <= MAX_SECONDS:
            raise IGCError(f"--seconds must be between 0 and {MAX_SECONDS:g}, got {self.seconds}")
        return self


def last_level_cache_bytes() -> int | None:
    """The largest CPU cache in bytes, from sysfs (None where it is not reported)."""
    best = None
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        entries = os.listdir(base)
    except OSError:
        return None
    for entry in entries:
        try:
            with open(os.path.join(base, entry, "size"), encoding="utf-8") as f:
                text = f.read().strip().upper()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            best = max(best or 0, int(digits) * scale)
    return best


def default_buffer_bytes(device: str, free_bytes: int, cache_bytes: int | None) -> int:
    """8× the last-level cache (64 MiB at least), at most 512 MiB and an eighth of free memory."""
    if device == "cuda":
        want = 512 * MiB
    else:
        want = max(64 * MiB, 8 * (cache_bytes or 0))
    return int(max(1 << 16, min(want, 512 * MiB, free_bytes // 8)))


def wall_clock(device: str, cpu_time: bool = False) -> Clock:
    """Seconds per call: call `fn` until `min_time` has passed (at least once), synchronising
    the device around the timed calls. `cpu_time` (one thread on the CPU): the seconds are the
    process's CPU time, the call's time with a core to itself, as one-thread layer tables are
    timed (igcdesign.probe.layer_latency.uses_cpu_clock), so that floors and tables agree."""
    from igcdesign.probe.device import synchronize

    def clock(fn: Callable[[], object], min_time: float) -> Sample:
        synchronize(device)
        calls, start, cpu = 0, time.perf_counter(), time.process_time()
        while True:
            fn()
            calls += 1
            synchronize(device)
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                used = time.process_time() - cpu
                threads = _threads()
                if cpu_time:  # descheduled time is not in the figure: nothing to run again
                    return Sample(used / calls)
                share = used / (elapsed * threads) if device == "cpu" and elapsed > 0 and threads else None
                return Sample(elapsed / calls, share)

    return clock


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def keep_undisturbed(samples: list[Sample]) -> list[Sample]:
    """The repeats that were not disturbed: those whose core share is at least DISTURBED_SHARE of
    a full share (1.0) or of the best share among them, whichever is more (every repeat where
    shares were not measured). A quiet run here has shares of 0.99–1.00 for every figure; one
    with the other core taken throughout had 0.50 in every repeat, which is no reason to keep
    them all."""
    shares = [s.share for s in samples if s.share is not None]
    if not shares:
        return list(samples)
    threshold = DISTURBED_SHARE * max(1.0, max(shares))
    return [s for s in samples if s.share is None or s.share >= threshold]


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def calibrate(
    device: str = "cpu",
    threads: int | None = None,
    dtype: str = "float32",
    sizes: Sizes | None = None,
    *,
    progress: Progress | None = None,
    clock: Clock | None = None,
) -> Profile:
    """Measure this machine under one fingerprint; the :class:`~igcdesign.profile.Profile`.

    IGCError for a bad device, dtype, thread count or size, before anything is allocated.
    """
    from igcdesign.probe import require_torch

    torch = require_torch()
    from igcdesign.probe.device import available_memory, check_dtype, device_name, resolve_device

    device = resolve_device(device)
    torch_dtype = check_dtype(device, dtype)
    threads = torch.get_num_threads() if threads is None else threads
    default_threads = threads == torch.get_num_threads()
    if not 1 <= threads <= 1024:
        raise IGCError(f"--threads must be between 1 and 1024, got {threads}")
    free = available_memory(device)
    if sizes is None:
        sizes = Sizes(buffer_bytes=default_buffer_bytes(device, free, last_level_cache_bytes()))
    sizes.check()
    element = torch.tensor([], dtype=torch_dtype).element_size()
    ch, side, batch, m = sizes.conv_channels, sizes.conv_hw, sizes.conv_batch, sizes.matmul_n
    need = (4 * sizes.buffer_bytes + 3 * m**2 * element  # a fourth buffer while the three are renewed
            + (2 * batch * ch * side**2 + 9 * ch**2) * element)
    if need > free // 2:
        raise IGCError(f"calibration needs about {need / MiB:,.0f} MiB and {free / MiB:,.0f} MiB are free: give smaller sizes")
    from igcdesign.probe.layer_latency import uses_cpu_clock

    cpu_time = device == "cpu" and uses_cpu_clock(threads)
    clock = clock or wall_clock(device, cpu_time)
    n = max(1, sizes.buffer_bytes // element)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    load_before = _load()
    try:
        with torch.inference_mode():
            buffers = _Buffers(torch, n, torch_dtype, device)
            x = torch.randn(m, m, device=device).to(torch_dtype)
            y = torch.randn(m, m, device=device).to(torch_dtype)
            out = torch.empty(m, m, dtype=torch_dtype, device=device)
            layout = torch.channels_last if device == "cpu" else torch.contiguous_format
            maps = torch.randn(batch, ch, side, side, device=device).to(torch_dtype).contiguous(memory_format=layout)
            conv = torch.nn.Conv2d(ch, ch, 3, padding=1, bias=False).to(device=device, dtype=torch_dtype, memory_format=layout)
            tiny = torch.ones(1, 1, 1, 1, dtype=torch_dtype, device=device)
            weight = torch.ones(1, 1, 1, 1, dtype=torch_dtype, device=device)
            kernels = dict(zip(FIGURES, (
                lambda: buffers.b.copy_(buffers.a),
                lambda: torch.add(buffers.b, buffers.c, alpha=3, out=buffers.a),
                lambda: torch.matmul(x, y, out=out),
                lambda: conv(maps),
                lambda: torch.nn.functional.conv2d(tiny, weight),
            )))
            samples = sample_rounds(kernels, sizes, clock, buffers.renew, progress)
            del buffers, x, y, out, maps, conv
    finally:
        torch.set_num_threads(previous)
    work = work_per_call(n * element, sizes)
    kept = {key: keep_undisturbed(values) or values for key, values in samples.items()}  # all disturbed: said by the share
    figures = {key: [work[key] / s.seconds for s in values] if key in work else [s.seconds for s in values]
               for key, values in kept.items()}
    shares = {key: max(known) for key, values in samples.items()
              if (known := [s.share for s in values if s.share is not None])}
    return Profile(
        fingerprint=Fingerprint(device_name(device), str(torch.__version__), threads, dtype),
        **{name: keep(name, values) for name, values in figures.items()},
        spread={name: spread(values) for name, values in figures.items()},
        load_average=[load_before, _load()],
        cpu_count=os.cpu_count(),
        sizes={"buffer_bytes": n * element, "matmul_n": m, "conv_channels": ch, "conv_hw": side,
               "conv_batch": batch, "repeats": sizes.repeats, "rounds": len(samples["call_s"])},
        core_share=shares,
        disturbed_repeats={key: len(samples[key]) - len(kept[key]) for key in samples},
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        default_threads=default_threads,
        clock="cpu" if cpu_time else "wall",
    )


def work_per_call(buffer_bytes: int, sizes: Sizes) -> dict[str, int]:
    """What one call of each rate's kernel does: bytes moved (copy reads and writes the buffer,
    triad reads two and writes one) or multiply-adds; a rate is this over the call's seconds."""
    return {
        "copy_bytes_per_s": 2 * buffer_bytes,
        "triad_bytes_per_s": 3 * buffer_bytes,
        "matmul_macs_per_s": sizes.matmul_n**3,
        "conv_macs_per_s": sizes.conv_channels**2 * 9 * sizes.conv_hw**2 * sizes.conv_batch,
    }


class _Buffers:
    """The three bandwidth buffers, renewed now and then: where a buffer's pages land in the
    machine's memory changes its rate (fresh pairs of 512 MiB buffers in one process copied at
    15–24 GB/s on 2 threads here), so the samples span several placements, not one."""

    def __init__(self, torch, n: int, dtype, device: str) -> None:
        self._make = lambda fill: torch.full((n,), fill, dtype=dtype, device=device)
        self.a = self.b = self.c = None
        self.renew()

    def renew(self) -> None:
        self.a = self.b = self.c = None  # free the old pages first: at most one buffer more than three
        self.a, self.b, self.c = self._make(1.0), self._make(0.0), self._make(2.0)


def sample_rounds(kernels: dict[str, Callable[[], object]], sizes: Sizes, clock: Clock,
                  renew: Callable[[], None] = lambda: None, progress: Progress | None = None) -> dict[str, list[Sample]]:
    """Samples of every kernel, taken in rounds of one each (so that every figure sees the
    whole run, not a stretch of it), renewing the bandwidth buffers every ``RENEW_EVERY`` rounds.

    At least ``sizes.repeats`` rounds and at least ``sizes.seconds`` of them. Past that, while
    some figure has fewer than ``sizes.repeats`` undisturbed samples (:func:`keep_undisturbed`),
    rounds go on up to ``EXTEND_FACTOR`` × the repeats or ``EXTEND_S`` seconds past the budget.
    The call cost runs on one thread whatever the profile's threads: its samples carry no share.
    """
    for fn in kernels.values():
        fn()  # warm-up: first-touch pages, kernel selection
    samples: dict[str, list[Sample]] = {key: [] for key in kernels}
    started = time.perf_counter()
    rounds, expected = 0, sizes.repeats
    while True:
        if rounds and rounds % RENEW_EVERY == 0:
            renew()
        for key, fn in kernels.items():
            sample = clock(fn, sizes.min_time)
            seconds = sample.seconds if isinstance(sample, Sample) else sample
            share = sample.share if isinstance(sample, Sample) and key != "call_s" else None
            samples[key].append(Sample(float(seconds), share))
        rounds += 1
        elapsed = time.perf_counter() - started
        if elapsed < sizes.seconds:
            expected = max(expected, rounds + 1, round(sizes.seconds * rounds / elapsed) if elapsed > 0 else 0)
        if progress:
            progress(rounds, max(expected, rounds), "rounds")
        if rounds < sizes.repeats or elapsed < sizes.seconds:
            continue
        short = any(len(keep_undisturbed(values)) < sizes.repeats for values in samples.values())
        if not short or rounds >= EXTEND_FACTOR * sizes.repeats or elapsed >= sizes.seconds + EXTEND_S:
            break
    if progress:
        progress(rounds, rounds, "done")
    return samples


def keep(name: str, values: list[float]) -> float:
    """The figure a profile keeps from its samples: the nearest-rank ``KEEP_QUANTILE`` of the rates
    (the highest of a few; the 90th percentile of ~100), and for the call cost the same rank from
    the least time (noise moves a rate down and a time up, never the other way)."""
    ordered = sorted(values, reverse=name == "call_s")  # the best last
    return ordered[max(0, math.ceil(KEEP_QUANTILE * len(ordered)) - 1)]


def spread(values: list[float]) -> float:
    """Interquartile range / median of the samples: 0 for one sample, 0.1 = a 10 % spread."""
    middle = statistics.median(values)
    if len(values) < 2 or not middle:
        return 0.0
    low, _, high = statistics.quantiles(values, n=4, method="inclusive")
    return (high - low) / middle
