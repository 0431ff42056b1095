"""`igcdesign calibrate`: measure this machine's bandwidth, peak throughput and call cost.

The profile is stored in the user's cache directory under its fingerprint (device, torch,
threads, dtype), where `count`, `probe` and `net --measure` find it to report floors.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from igcdesign.commands._options import JSON_OPTION, THREADS_OPTION, int_option
from igcdesign.probe.calibrate import MAX_CONV_BATCH, MAX_CONV_CHANNELS, MAX_CONV_HW, MAX_MATMUL_N, MAX_REPEATS, MAX_SECONDS


def calibrate(
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or auto."),
    threads: Optional[int] = THREADS_OPTION,
    dtype: str = typer.Option("float32", "--dtype", help="float32, bfloat16 or float16."),
    out: Optional[str] = typer.Option(None, "--out", help="Write the profile to this file instead of the cache directory."),
    buffer_mib: Optional[float] = typer.Option(None, "--buffer-mib", help="MiB per bandwidth buffer (default: 8× the last-level cache, 64-512)."),
    matmul_n: int = int_option(2048, "--matmul-n", help="Side of the square matmul.", high=MAX_MATMUL_N),
    conv_channels: int = int_option(256, "--conv-channels", help="Channels of the dense 3×3 conv.", high=MAX_CONV_CHANNELS),
    conv_hw: int = int_option(32, "--conv-hw", help="Map side of the dense conv.", high=MAX_CONV_HW),
    conv_batch: int = int_option(8, "--conv-batch", help="Batch of the dense conv.", high=MAX_CONV_BATCH),
    repeats: int = int_option(7, "--repeats", help="Rounds at least (one sample of every figure each; the 90th percentile is kept).", high=MAX_REPEATS),
    min_time: float = typer.Option(0.05, "--min-time", help="Seconds each sample lasts at least."),
    seconds: float = typer.Option(40.0, "--seconds", help=f"Seconds of rounds at least (0 to {MAX_SECONDS:g}; 0: just the --repeats rounds)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Measure memory bandwidth, peak dense throughput and call cost; store them as this machine's profile."""
    from igcdesign.errors import IGCError
    from igcdesign.probe import require_torch

    if buffer_mib is not None and not (buffer_mib == buffer_mib and 0 < buffer_mib <= 4096):
        raise IGCError(f"--buffer-mib must be in (0, 4096], got {buffer_mib}")
    require_torch()
    from igcdesign.output import emit_json
    from igcdesign.probe.calibrate import MiB, Sizes, calibrate as run_calibration, default_buffer_bytes, last_level_cache_bytes
    from igcdesign.probe.device import available_memory, resolve_device
    from igcdesign.profile import profile_path, save_profile

    resolved = resolve_device(device)
    buffer_bytes = (int(buffer_mib * MiB) if buffer_mib is not None
                    else default_buffer_bytes(resolved, available_memory(resolved), last_level_cache_bytes()))
    sizes = Sizes(buffer_bytes, matmul_n, conv_channels, conv_hw, conv_batch, repeats, min_time, seconds).check()
    target = None
    if out is not None:  # checked before the measurement, not after it
        from igcdesign.files import check_out

        target = check_out(out, (".json",))

    live = sys.stderr.isatty()

    def progress(done: int, total: int, label: str) -> None:
        if live:
            sys.stderr.write(f"\rcalibrate: {done}/{total} {label:<8}" + ("\n" if label == "done" else ""))
        elif label == "done" or done % 10 == 0:
            sys.stderr.write(f"calibrate: {done}/{total} {label}\n")
        sys.stderr.flush()

    profile = run_calibration(resolved, threads, dtype, sizes, progress=progress)
    path = save_profile(profile, target if target is not None else profile_path(profile.fingerprint))
    document = {**profile.as_dict(), "path": str(path)}
    if json_:
        emit_json(document)
        return
    from igcdesign.machine_render import render_profile

    render_profile(document)


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)
