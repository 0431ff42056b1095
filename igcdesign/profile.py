"""Machine profiles: what `igcdesign calibrate` measured, stored and found again by fingerprint.

A profile holds this machine's memory bandwidth, peak dense throughput and the fixed cost of one
call, measured for one *fingerprint*: device name, torch version, intra-op threads and dtype.
Profiles live as JSON files in the user's cache directory (the platform's convention, through
``platformdirs``; ``IGCDESIGN_CACHE_DIR`` overrides it), one file per fingerprint. A lookup
returns the profile of exactly the fingerprint asked for, or none and a sentence saying which
other profiles exist: a profile measured under other conditions is never used silently.

Nothing here imports torch or typer, so `count` can read a profile instantly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from igcdesign.errors import IGCError, shown

CACHE_ENV = "IGCDESIGN_CACHE_DIR"
PROFILE_VERSION = 1
MAX_PROFILE_BYTES = 16 << 20  # calibration is a few hundred bytes, the layer table up to a few MiB
LAYER_TABLE_VERSION = 1  # the layout of `layer_latency_ms`' keys (igcdesign.latency.steps.Step.key)
MAX_LAYER_ENTRIES = 100_000
CALIBRATE_HINT = "run `igcdesign calibrate` to measure this machine"


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or platform's answer elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "unknown"


def installed_torch_version() -> str | None:
    """The installed torch's version, read from torch/version.py as text (torch is not imported,
    and neither is importlib.metadata, which alone costs more than a whole `count`)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        try:
            text = Path(folder, "version.py").read_text(encoding="utf-8")
        except OSError:
            continue
        found = re.search(r"""^__version__\s*(?::\s*str\s*)?=\s*['"]([^'"]+)['"]""", text, re.M)
        if found:
            return found.group(1)
    return None


@dataclass(frozen=True)
class Fingerprint:
    """The conditions a profile holds for: device (as probe names it), torch, threads, dtype."""

    device: str
    torch: str
    threads: int
    dtype: str

    def key(self) -> str:
        """A file name for this fingerprint: readable prefix and a hash of all four fields."""
        text = json.dumps(asdict(self), sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        kind = re.sub(r"[^a-z0-9]+", "-", self.device.split(":")[0].lower()).strip("-") or "device"
        return f"{kind}-{self.threads}t-{re.sub(r'[^a-z0-9]+', '', self.dtype.lower())}-{digest}"

    def describe(self) -> str:
        return f"{self.device}, torch {self.torch}, {self.threads} thread{'s' if self.threads != 1 else ''}, {self.dtype}"


DISTURBED_SHARE = 0.9  # a calibration sample below 90 % of the best core share seen was disturbed
BUSY_SHARE = 0.8  # a best core share under this: the threads never had their cores

@dataclass(frozen=True)
class Profile:
    """One calibration. Bandwidths in bytes/s (bytes read + written), throughput in MAC/s,
    call cost in seconds, each from the fast end of its samples (igcdesign.probe.calibrate); `spread` is each
    figure's interquartile range / median over its samples; `choices` caches per-shape implementation choices of fast modules."""

    fingerprint: Fingerprint
    copy_bytes_per_s: float
    triad_bytes_per_s: float
    matmul_macs_per_s: float
    conv_macs_per_s: float
    call_s: float
    spread: dict[str, float] = field(default_factory=dict)
    load_average: list[float | None] = field(default_factory=list)
    cpu_count: int | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    created: str = ""
    default_threads: bool = False
    choices: dict[str, str] = field(default_factory=dict)
    layer_latency_ms: dict[str, float] = field(default_factory=dict)
    latency_accuracy: "LatencyAccuracy | None" = None
    core_share: dict[str, float] = field(default_factory=dict)  # best CPU time / (wall × threads) per figure
    disturbed_repeats: dict[str, int] = field(default_factory=dict)  # samples left out per figure
    clock: str = "wall"  # 'cpu': timed by the process's CPU time (one-thread profiles)
    block_factors: dict[str, list[float]] = field(default_factory=dict)  # family → measured / Σ steps of calibration blocks

    @property
    def bandwidth(self) -> float:
        """Bytes/s the floor uses: the better of copy and triad (a floor must not be beaten)."""
        return max(self.copy_bytes_per_s, self.triad_bytes_per_s)

    @property
    def peak(self) -> float:
        """MAC/s the floor uses: the better of the dense matmul and the dense conv."""
        return max(self.matmul_macs_per_s, self.conv_macs_per_s)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["version"] = PROFILE_VERSION
        out["layer_latency"] = {"version": LAYER_TABLE_VERSION, "entries_ms": out.pop("layer_latency_ms")}
        out["bandwidth_bytes_per_s"] = self.bandwidth
        out["peak_macs_per_s"] = self.peak
        return out

    @classmethod
    def from_dict(cls, data: Any) -> "Profile":
        """A profile from its JSON form; IGCError when it is not one this version wrote."""
        if not isinstance(data, dict) or data.get("version") != PROFILE_VERSION:
            raise IGCError("not a machine profile of this igcdesign version")
        try:
            fp = data["fingerprint"]
            fingerprint = Fingerprint(str(fp["device"]), str(fp["torch"]), _int(fp["threads"]), str(fp["dtype"]))
            figures = {name: _positive(data[name], name) for name in (
                "copy_bytes_per_s", "triad_bytes_per_s", "matmul_macs_per_s", "conv_macs_per_s", "call_s")}
            return cls(
                fingerprint=fingerprint,
                **figures,
                spread={str(k): float(v) for k, v in dict(data.get("spread", {})).items()},
                load_average=[None if x is None else float(x) for x in list(data.get("load_average", []))],
                cpu_count=None if data.get("cpu_count") is None else _int(data["cpu_count"]),
                sizes={str(k): _int(v) for k, v in dict(data.get("sizes", {})).items()},
                created=str(data.get("created", "")),
                default_threads=bool(data.get("default_threads", False)),
                choices={str(k): str(v) for k, v in dict(data.get("choices", {})).items()},
                layer_latency_ms=_layer_table(data.get("layer_latency")),
                latency_accuracy=LatencyAccuracy.from_dict(data.get("latency_accuracy")),
                core_share={str(k): float(v) for k, v in dict(data.get("core_share", {})).items()},
                disturbed_repeats={str(k): _int(v) for k, v in dict(data.get("disturbed_repeats", {})).items()},
                clock=str(data.get("clock", "wall")),
                block_factors={str(k): [_positive(x, "block factor") for x in list(v)]
                               for k, v in dict(data.get("block_factors", {})).items()},
            )
        except (KeyError, TypeError, ValueError) as e:
            raise IGCError(f"malformed machine profile ({type(e).__name__}: {e})") from None


@dataclass(frozen=True)
class LatencyAccuracy:
    """The latency model's error on this machine, from the last accuracy run
    (benchmarks/bench_latency_model.py): mean absolute percentage error, the share of blocks
    within ±10 % and ±20 %, Spearman's ρ between predicted and measured, over `n_blocks` blocks
    none of whose layer shapes were measured; when and under what load."""

    mape: float
    within_10: float
    within_20: float
    spearman: float | None
    n_blocks: int
    created: str = ""
    load_average: list[float | None] = field(default_factory=list)
    repeat_p90: float | None = None  # 90th percentile of |second / first − 1| over blocks measured twice

    def describe(self) -> str:
        """'±7.9 % on this machine, 120 blocks (62 % within ±10 %)'."""
        return (f"±{self.mape * 100:.1f} % on this machine, {self.n_blocks} blocks "
                f"({self.within_10 * 100:.0f} % within ±10 %)")

    @classmethod
    def from_dict(cls, data: Any) -> "LatencyAccuracy | None":
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ValueError("latency_accuracy must be an object")
        shares = {name: float(data[name]) for name in ("mape", "within_10", "within_20")}
        for name, value in shares.items():
            if not 0 <= value < float("inf"):
                raise ValueError(f"latency_accuracy {name} must be a finite share ≥ 0, got {value!r}")
        rho = data.get("spearman")
        if rho is not None and not -1 <= float(rho) <= 1:
            raise ValueError(f"latency_accuracy spearman must be in [-1, 1], got {rho!r}")
        n_blocks = _int(data["n_blocks"])
        if n_blocks < 1:
            raise ValueError("latency_accuracy n_blocks must be positive")
        repeat = data.get("repeat_p90")
        if repeat is not None and not 0 <= float(repeat) < float("inf"):
            raise ValueError(f"latency_accuracy repeat_p90 must be a finite share ≥ 0, got {repeat!r}")
        return cls(**shares, spearman=None if rho is None else float(rho), n_blocks=n_blocks,
                   created=str(data.get("created", "")), repeat_p90=None if repeat is None else float(repeat),
                   load_average=[None if x is None else float(x) for x in list(data.get("load_average", []))])


def _layer_table(data: Any) -> dict[str, float]:
    """The layer table's entries (key → ms); empty when absent or written by another version of
    the table (its keys may mean other shapes: those layers are measured again, nothing is lost
    but time). ValueError for a table of this version that is malformed."""
    from igcdesign.latency.steps import parse_key

    if data is None or (isinstance(data, dict) and data.get("version") != LAYER_TABLE_VERSION):
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("entries_ms"), dict):
        raise ValueError("layer_latency must be an object with entries_ms")
    entries = data["entries_ms"]
    if len(entries) > MAX_LAYER_ENTRIES:
        raise ValueError(f"layer_latency has {len(entries):,} entries, at most {MAX_LAYER_ENTRIES:,}")
    table = {}
    for key, value in entries.items():
        try:
            parse_key(key)
        except IGCError as e:
            raise ValueError(str(e)) from None
        table[key] = _positive(value, f"layer_latency[{key!r}]")
    return table


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def cache_dir() -> Path:
    """Where profiles live: $IGCDESIGN_CACHE_DIR, or the platform's user cache dir for igcdesign."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("igcdesign", appauthor=False))


def profile_path(fingerprint: Fingerprint, directory: Path | None = None) -> Path:
    """The file that holds the profile of this fingerprint."""
    return (directory or cache_dir()) / "profiles" / f"{fingerprint.key()}.json"


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Write the profile (atomically: a temporary file renamed over the target); its path."""
    from igcdesign.files import atomic_write_text

    path = Path(path) if path is not None else profile_path(profile.fingerprint)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(profile.as_dict(), indent=2, sort_keys=True) + "\n")
    except OSError as e:
        raise IGCError(f"cannot write the machine profile to {shown(path)}: {e.strerror or e}") from None
    return path


def read_profile(path: Path) -> Profile:
    """The profile stored in a file; IGCError (one line) when it is missing, too big or malformed."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise IGCError(f"{shown(path)}: too large to be a machine profile")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise IGCError(f"cannot read the machine profile {shown(path)}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IGCError(f"{shown(path)}: not a JSON machine profile") from None
    try:
        return Profile.from_dict(data)
    except IGCError as e:
        raise IGCError(f"{shown(path)}: {shown(e)}") from None


def stored_profiles(directory: Path | None = None) -> list[Profile]:
    """Every readable profile in the cache (unreadable files are skipped: they are not ours)."""
    folder = (directory or cache_dir()) / "profiles"
    try:
        files = sorted(folder.glob("*.json"))
    except OSError:
        return []
    found = []
    for file in files:
        try:
            found.append(read_profile(file))
        except IGCError:
            continue
    return found


@dataclass(frozen=True)
class Lookup:
    """The profile found for a fingerprint (or None) and, when none, a sentence saying why."""

    profile: Profile | None
    message: str = ""


def find_profile(fingerprint: Fingerprint, directory: Path | None = None) -> Lookup:
    """The stored profile of exactly this fingerprint; otherwise None and which others exist."""
    path = profile_path(fingerprint, directory)
    if path.is_file():
        try:
            profile = read_profile(path)
        except IGCError as e:
            return Lookup(None, f"no usable machine profile ({e}); {CALIBRATE_HINT}")
        if profile.fingerprint == fingerprint:
            return Lookup(profile)
    return Lookup(None, missing_message(fingerprint, stored_profiles(directory)))


def missing_message(fingerprint: Fingerprint, others: list[Profile]) -> str:
    """'no machine profile for …' and, when there are, the fingerprints that were not used."""
    command = "igcdesign calibrate"
    if fingerprint.threads:
        command += f" --threads {fingerprint.threads} --dtype {fingerprint.dtype}"
    text = f"no machine profile for {fingerprint.describe()}; run `{command}` to measure this machine"
    if others:
        names = "; ".join(p.fingerprint.describe() for p in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        text += f" (not used: profiles for {names}{more})"
    return text


def find_default_profile(device: str = "cpu", threads: int | None = None, dtype: str = "float32",
                         directory: Path | None = None) -> Lookup:
    """For commands that do not import torch (count): this CPU and installed torch, the given
    threads or else the profile calibrated with torch's default thread count."""
    if device != "cpu":
        return Lookup(None, f"no floor for {device} without running torch: use probe --device {device}")
    torch_version = installed_torch_version()
    if torch_version is None:
        return Lookup(None, "no floor: torch is not installed, so there is no machine profile to use")
    name = f"cpu: {cpu_model()}"
    if threads is not None:
        return find_profile(Fingerprint(name, torch_version, threads, dtype), directory)
    stored = stored_profiles(directory)
    for profile in stored:
        fp = profile.fingerprint
        if profile.default_threads and (fp.device, fp.torch, fp.dtype) == (name, torch_version, dtype):
            return Lookup(profile)
    text = (f"no machine profile for {name}, torch {torch_version}, {dtype} at torch's default threads; "
            f"{CALIBRATE_HINT}")
    if stored:
        names = "; ".join(p.fingerprint.describe() for p in stored[:3])
        text += f" (not used: profiles for {names}; pick one with --threads)"
    return Lookup(None, text)


class ProfileStore:
    """A profile being used and updated (fast-module plan choices): `save` writes the new
    version to the file it came from and keeps it as the current one."""

    def __init__(self, profile: Profile | None, path: Path | None = None):
        self.profile = profile
        self.path = path if path is not None or profile is None else profile_path(profile.fingerprint)

    def save(self, updated: Profile) -> None:
        self.profile = updated
        if self.path is not None:
            try:
                save_profile(updated, self.path)
            except IGCError:
                pass  # a read-only cache costs the next run a re-measurement, nothing more
