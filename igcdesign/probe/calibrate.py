"""Calibration: this machine's memory bandwidth, peak dense throughput and call cost, in torch.

Five figures, each the *best* of a few repeats (their relative spread is kept as the noise):

- copy bandwidth: ``b.copy_(a)``, 2 × the buffer's bytes per call;
- triad bandwidth: ``a = b + s·c`` (one ``torch.add(..., alpha=s, out=a)``), 3 × the bytes;
- matmul throughput: an n×n by n×n product, n³ multiply-adds;
- dense conv throughput: a 3×3 conv C → C on a batch of hw×hw maps, C²·9·hw²·batch MACs;
- the fixed cost of one call: a 1×1 conv on a single element, where the arithmetic is nothing.

A bandwidth or a peak is an upper bound that other work on the machine, a page fault or a
descheduled thread can only lower, never raise, so the figure kept is the best repeat (the
highest rate, STREAM's "best rate" convention) and, for the call cost, the least time; a median
moves with the load of the moment (two medians on one quiet box differed by up to 27 % for the
dense conv). The spread over the repeats stays in the profile as the measure of noise. The dense
conv's swings are not oneDNN changing its mind: with ONEDNN_VERBOSE every call runs the same
kernel (brg_conv_fwd:avx2 on an AMD EPYC, after a reorder of the 2.4 MiB weight into its blocked
layout, a fixed 0.4 % of the call); they come from other work stalling one thread of a parallel
region, which makes the whole call wait, so the least disturbed repeat is the machine's figure.

Other work that holds a core for a while cannot be seen in the rates alone, so every repeat also
records its *core share*: the process's CPU time over the wall time × the threads (1.0 when every
thread had its core throughout; a thread that waits for the memory still counts as running). A
repeat whose share is below ``DISTURBED_SHARE`` (of 1.0, or of the best share seen, if higher) was
disturbed; calibration then runs more repeats (up to ``EXTEND_FACTOR`` × the asked ones, and not
past ``EXTEND_S`` seconds of the whole run) until it has as many undisturbed ones as it asked
for, and keeps each figure from the undisturbed repeats. The best share per figure is stored,
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

EXTEND_FACTOR = 3  # at most this many times the asked repeats, while repeats were disturbed
EXTEND_S = 45.0  # no extra repeat once the whole calibration has run this long

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
    channels, map side and batch, repeats per figure and the seconds each repeat lasts at least."""

    buffer_bytes: int
    matmul_n: int = 2048
    conv_channels: int = 256
    conv_hw: int = 32
    conv_batch: int = 8
    repeats: int = 7
    min_time: float = 0.25

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
    """Seconds per call: call `fn` until `min_time` has passed (at least twice), synchronising
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
            if calls >= 2 and elapsed >= min_time:
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
    need = 3 * sizes.buffer_bytes + 3 * sizes.matmul_n**2 * element
    if need > free // 2:
        raise IGCError(f"calibration needs about {need / MiB:,.0f} MiB and {free / MiB:,.0f} MiB are free: give smaller sizes")
    from igcdesign.probe.layer_latency import uses_cpu_clock

    cpu_time = device == "cpu" and uses_cpu_clock(threads)
    clock = clock or wall_clock(device, cpu_time)
    steps = ("copy bandwidth", "triad bandwidth", "matmul throughput", "conv throughput", "call cost")
    total = len(steps) * sizes.repeats
    done = 0
    started = time.perf_counter()
    shares: dict[str, float] = {}
    disturbed: dict[str, int] = {}

    def repeat(label: str, fn: Callable[[], object], key: str) -> list[float]:
        """Seconds per call of each undisturbed repeat (module docstring), at least sizes.repeats
        of them unless the extension ran out."""
        nonlocal done, total
        fn()  # warm-up: first-touch pages, kernel selection
        samples: list[Sample] = []
        while True:
            if progress:
                progress(done, total, label)
            sample = clock(fn, sizes.min_time)
            if not isinstance(sample, Sample) or key == "call_s":  # one tiny call runs on one thread: no share
                sample = Sample(float(sample.seconds if isinstance(sample, Sample) else sample))
            samples.append(sample)
            done += 1
            kept = keep_undisturbed(samples)
            if len(samples) < sizes.repeats:
                continue
            if (len(kept) >= sizes.repeats or len(samples) >= EXTEND_FACTOR * sizes.repeats
                    or time.perf_counter() - started > EXTEND_S):
                break
            total += 1
        known = [s.share for s in samples if s.share is not None]
        if known:
            shares[key] = max(known)
        kept = kept or samples  # every repeat disturbed: the best there was (said by the low share)
        disturbed[key] = len(samples) - len(kept)
        return [s.seconds for s in kept]

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    load_before = _load()
    try:
        with torch.inference_mode():
            n = max(1, sizes.buffer_bytes // element)
            a = torch.ones(n, dtype=torch_dtype, device=device)
            b = torch.empty_like(a)
            copy_t = repeat(steps[0], lambda: b.copy_(a), "copy_bytes_per_s")
            c = torch.full_like(a, 2)
            triad_t = repeat(steps[1], lambda: torch.add(b, c, alpha=3, out=a), "triad_bytes_per_s")
            del a, b, c
            m = sizes.matmul_n
            x = torch.randn(m, m, device=device).to(torch_dtype)
            y = torch.randn(m, m, device=device).to(torch_dtype)
            out = torch.empty(m, m, dtype=torch_dtype, device=device)
            matmul_t = repeat(steps[2], lambda: torch.matmul(x, y, out=out), "matmul_macs_per_s")
            del x, y, out
            ch, side, batch = sizes.conv_channels, sizes.conv_hw, sizes.conv_batch
            layout = torch.channels_last if device == "cpu" else torch.contiguous_format
            maps = torch.randn(batch, ch, side, side, device=device).to(torch_dtype).contiguous(memory_format=layout)
            conv = torch.nn.Conv2d(ch, ch, 3, padding=1, bias=False).to(device=device, dtype=torch_dtype, memory_format=layout)
            conv_t = repeat(steps[3], lambda: conv(maps), "conv_macs_per_s")
            del maps, conv
            tiny = torch.ones(1, 1, 1, 1, dtype=torch_dtype, device=device)
            weight = torch.ones(1, 1, 1, 1, dtype=torch_dtype, device=device)
            call_t = repeat(steps[4], lambda: torch.nn.functional.conv2d(tiny, weight), "call_s")
    finally:
        torch.set_num_threads(previous)
    if progress:
        progress(total, total, "done")
    figures = {
        "copy_bytes_per_s": [2 * n * element / t for t in copy_t],
        "triad_bytes_per_s": [3 * n * element / t for t in triad_t],
        "matmul_macs_per_s": [m**3 / t for t in matmul_t],
        "conv_macs_per_s": [ch * ch * 9 * side * side * batch / t for t in conv_t],
        "call_s": call_t,
    }
    return Profile(
        fingerprint=Fingerprint(device_name(device), str(torch.__version__), threads, dtype),
        **{name: best(name, values) for name, values in figures.items()},
        spread={name: spread(values) for name, values in figures.items()},
        load_average=[load_before, _load()],
        cpu_count=os.cpu_count(),
        sizes={"buffer_bytes": n * element, "matmul_n": m, "conv_channels": ch, "conv_hw": side,
               "conv_batch": batch, "repeats": sizes.repeats},
        core_share=shares,
        disturbed_repeats=disturbed,
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        default_threads=default_threads,
        clock="cpu" if cpu_time else "wall",
    )


def best(name: str, values: list[float]) -> float:
    """The figure a profile keeps from its repeats: the least time for the call cost, the highest
    rate for a bandwidth or a throughput (noise only moves either the other way)."""
    return min(values) if name == "call_s" else max(values)


def spread(values: list[float]) -> float:
    """(max − min) / median of the repeats: 0 for one repeat, 0.1 = a 10 % spread."""
    middle = statistics.median(values)
    return (max(values) - min(values)) / middle if middle else 0.0
