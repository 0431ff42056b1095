"""How much more memory this process may take: the smallest of what the machine has free and
what the limits put on the process (address space, cgroup) still allow.

Each reader returns the bytes left under one limit, or None where that limit is absent,
unlimited or unreadable; :func:`headroom` takes the smallest and names it, so a refusal can say
which limit bit. The roots are module attributes so that tests can point them at fake files.
"""

from __future__ import annotations

import os
import resource

PROC_ROOT = "/proc"
CGROUP_ROOT = "/sys/fs/cgroup"
getrlimit = resource.getrlimit

# cgroup v1 writes "no limit" as a huge page-aligned number rather than a word.
_V1_UNLIMITED = 1 << 60


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read(4096)
    except (OSError, UnicodeDecodeError):
        return None


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 30:
        return None
    return int(text)


def mem_available() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes."""
    text = _read(os.path.join(PROC_ROOT, "meminfo"))
    for line in (text or "").splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            kib = _number(parts[1]) if len(parts) > 1 else None
            return None if kib is None else kib * 1024
    return None


def address_space_left() -> int | None:
    """RLIMIT_AS's soft limit minus this process's VmSize (never below 0), in bytes."""
    soft, _hard = getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    used = 0
    for line in (_read(os.path.join(PROC_ROOT, "self", "status")) or "").splitlines():
        if line.startswith("VmSize:"):
            parts = line.split()
            used = (_number(parts[1]) or 0) * 1024 if len(parts) > 1 else 0
    return max(0, soft - used)


def _cgroup_paths() -> tuple[str | None, str | None]:
    """This process's cgroup v2 path and cgroup v1 memory-controller path, from /proc/self/cgroup."""
    v2 = v1 = None
    for line in (_read(os.path.join(PROC_ROOT, "self", "cgroup")) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            v2 = path
        elif "memory" in controllers.split(","):
            v1 = path
    return v2, v1


def _ancestors(base: str, path: str):
    """The folders of `path` under `base`, from the deepest to `base` itself: a limit on any
    ancestor cgroup binds this process too."""
    parts = [p for p in path.strip("/").split("/") if p not in ("", ".", "..")]
    for depth in range(len(parts), -1, -1):
        yield os.path.join(base, *parts[:depth])


def cgroup_left() -> tuple[int, str] | None:
    """The least of (limit − usage) over this process's memory cgroup and its ancestors, with the
    limit's file name: cgroup v2 memory.max − memory.current, or v1 memory.limit_in_bytes −
    memory.usage_in_bytes."""
    v2, v1 = _cgroup_paths()
    best: tuple[int, str] | None = None
    candidates = []
    if v2 is not None:
        candidates += [(d, "memory.max", "memory.current") for d in _ancestors(CGROUP_ROOT, v2)]
        candidates += [(d, "memory.max", "memory.current")
                       for d in _ancestors(os.path.join(CGROUP_ROOT, "unified"), v2)]
    if v1 is not None:
        candidates += [(d, "memory.limit_in_bytes", "memory.usage_in_bytes")
                       for d in _ancestors(os.path.join(CGROUP_ROOT, "memory"), v1)]
    for folder, limit_name, usage_name in candidates:
        limit = _number(_read(os.path.join(folder, limit_name)))  # "max" (v2) reads as None
        if limit is None or limit >= _V1_UNLIMITED:
            continue
        usage = _number(_read(os.path.join(folder, usage_name))) or 0
        left = max(0, limit - usage)
        if best is None or left < best[0]:
            best = (left, f"cgroup {limit_name} − {usage_name}")
    return best


def headroom() -> tuple[int, str]:
    """(bytes this process may still allocate, the name of the limit that sets it)."""
    options: list[tuple[int, str]] = []
    available = mem_available()
    if available is not None:
        options.append((available, "MemAvailable"))
    else:
        options.append((int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")), "free physical memory"))
    address = address_space_left()
    if address is not None:
        options.append((address, "the process address-space limit (RLIMIT_AS) − VmSize"))
    cgroup = cgroup_left()
    if cgroup is not None:
        options.append(cgroup)
    return min(options, key=lambda option: option[0])
