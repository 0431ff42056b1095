"""Devices and dtypes: which ones the user may ask for, and whether this machine can run them.

The decisions are plain functions of what torch reports (CUDA present, bf16 support, a tiny
grouped conv that runs or raises), so the CUDA paths are testable on a machine without a GPU.
"""

from __future__ import annotations

from functools import lru_cache

from igcdesign.errors import IGCError, shown
from igcdesign.profile import cpu_model  # noqa: F401  (re-exported: probe callers name it here)

DEVICES = ("cpu", "cuda", "auto")
DTYPES = ("float32", "bfloat16", "float16")
DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}

# What each device type can run at all; whether this build and chip can is checked at run time.
SUPPORTED_DTYPES = {
    "cpu": ("float32", "bfloat16", "float16"),
    "cuda": ("float32", "bfloat16", "float16"),
}


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(name: str, *, has_cuda: bool | None = None) -> str:
    """'cpu', 'cuda' or 'auto' → the device to use; IGCError for unknown names or a missing GPU."""
    name = str(name).strip().lower()
    if name not in DEVICES:
        raise IGCError(f"--device must be one of {', '.join(DEVICES)}, got '{shown(name)}'")
    if has_cuda is None:
        has_cuda = cuda_available()
    if name == "auto":
        return "cuda" if has_cuda else "cpu"
    if name == "cuda" and not has_cuda:
        raise IGCError("--device cuda: no CUDA GPU is available to this torch build (try --device cpu)")
    return name


def device_name(device: str) -> str:
    """A human name for the device: the GPU's name, or the CPU model from /proc/cpuinfo."""
    if device == "cuda":
        import torch

        return f"cuda: {torch.cuda.get_device_name(0)}"
    return f"cpu: {cpu_model()}"


def torch_dtype(name: str):
    """The torch dtype called `name` (one of DTYPES), or IGCError."""
    import torch

    name = str(name).strip().lower()
    if name not in DTYPES:
        raise IGCError(f"--dtype must be one of {', '.join(DTYPES)}, got '{shown(name)}'")
    return getattr(torch, name)


def check_dtype(device: str, name: str):
    """The torch dtype, once this device has run a tiny grouped conv in it; IGCError otherwise."""
    dtype = torch_dtype(name)
    if name not in SUPPORTED_DTYPES.get(device, ()):
        raise IGCError(f"--dtype {name} is not supported on {device}")
    if device == "cuda" and name == "bfloat16":
        import torch

        if not torch.cuda.is_bf16_supported():
            raise IGCError("--dtype bfloat16: this GPU does not support bfloat16")
    if not _runs(device, name):
        raise IGCError(f"--dtype {name}: this torch build cannot run a grouped conv in {name} on {device}")
    return dtype


@lru_cache(maxsize=None)
def _runs(device: str, name: str) -> bool:
    import torch

    try:
        with torch.inference_mode():
            conv = torch.nn.Conv2d(4, 4, 3, padding=1, groups=2, bias=False).to(device=device, dtype=getattr(torch, name))
            conv(torch.ones(1, 4, 3, 3, device=device, dtype=getattr(torch, name)))
        return True
    except (RuntimeError, NotImplementedError, TypeError):
        return False


def synchronize(device: str) -> None:
    """Wait for queued device work (CUDA); nothing to do on the CPU."""
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def memory_headroom(device: str) -> tuple[int, str]:
    """(bytes free for new tensors, what sets that figure): free GPU memory on CUDA; on the CPU
    the smallest of MemAvailable and what RLIMIT_AS and the memory cgroup still allow."""
    if device == "cuda":
        import torch

        free, _total = torch.cuda.mem_get_info()
        return int(free), "free GPU memory"
    from igcdesign.probe.memory_limits import headroom

    return headroom()


def available_memory(device: str) -> int:
    """Bytes free for new tensors (see :func:`memory_headroom`)."""
    return memory_headroom(device)[0]
