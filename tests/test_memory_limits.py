"""The probe's memory guard honours limits below MemAvailable: RLIMIT_AS and the memory cgroup
(v2 and v1), each read from fake /proc and /sys/fs/cgroup trees; and a real RLIMIT_AS makes
`probe` refuse in one line before it builds anything."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from igcdesign.errors import IGCError
from igcdesign.probe import memory_limits as ml

GiB = 1 << 30
MiB = 1 << 20


def fake_machine(tmp_path, monkeypatch, *, available_kib, cgroup_lines, vmsize_kib=1024, rlimit=None):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text(f"MemTotal: 99999999 kB\nMemAvailable: {available_kib} kB\n")
    (proc / "self" / "status").write_text(f"Name: python\nVmPeak: {vmsize_kib} kB\nVmSize: {vmsize_kib} kB\n")
    (proc / "self" / "cgroup").write_text("".join(line + "\n" for line in cgroup_lines))
    monkeypatch.setattr(ml, "PROC_ROOT", str(proc))
    monkeypatch.setattr(ml, "CGROUP_ROOT", str(tmp_path / "cgroup"))
    limit = resource.RLIM_INFINITY if rlimit is None else rlimit
    monkeypatch.setattr(ml, "getrlimit", lambda which: (limit, resource.RLIM_INFINITY))
    return tmp_path / "cgroup"


def write(folder, **files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".", 1)).write_text(text + "\n")


def test_mem_available_when_nothing_else_binds(tmp_path, monkeypatch):
    fake_machine(tmp_path, monkeypatch, available_kib=8 * 1024 * 1024, cgroup_lines=["0::/"])
    assert ml.headroom() == (8 * GiB, "MemAvailable")


def test_rlimit_as_minus_vmsize(tmp_path, monkeypatch):
    fake_machine(tmp_path, monkeypatch, available_kib=8 * 1024 * 1024, cgroup_lines=["0::/"],
                 vmsize_kib=512 * 1024, rlimit=2 * GiB)
    left, name = ml.headroom()
    assert left == 2 * GiB - 512 * MiB and "RLIMIT_AS" in name


def test_rlimit_as_above_mem_available_does_not_bind(tmp_path, monkeypatch):
    fake_machine(tmp_path, monkeypatch, available_kib=1024 * 1024, cgroup_lines=["0::/"], rlimit=64 * GiB)
    assert ml.headroom() == (GiB, "MemAvailable")


def test_cgroup_v2_max_minus_current_and_ancestors(tmp_path, monkeypatch):
    root = fake_machine(tmp_path, monkeypatch, available_kib=8 * 1024 * 1024, cgroup_lines=["0::/user/job"])
    write(root / "user" / "job", memory_max="max", memory_current=str(GiB))
    write(root / "user", memory_max=str(3 * GiB), memory_current=str(2 * GiB + 256 * MiB))
    left, name = ml.headroom()
    assert left == 768 * MiB and "memory.max" in name
    write(root / "user" / "job", memory_max=str(GiB + 100 * MiB), memory_current=str(GiB))
    assert ml.headroom() == (100 * MiB, "cgroup memory.max − memory.current")


def test_cgroup_v1_limit_minus_usage(tmp_path, monkeypatch):
    root = fake_machine(tmp_path, monkeypatch, available_kib=8 * 1024 * 1024,
                        cgroup_lines=["4:memory:/box/1", "1:cpu:/", "0::/"])
    write(root / "memory" / "box" / "1", memory_limit_in_bytes=str(2 * GiB), memory_usage_in_bytes=str(GiB))
    write(root / "memory", memory_limit_in_bytes="9223372036854771712", memory_usage_in_bytes=str(5 * GiB))
    assert ml.headroom() == (GiB, "cgroup memory.limit_in_bytes − memory.usage_in_bytes")


def test_unreadable_or_odd_files_are_no_limit(tmp_path, monkeypatch):
    root = fake_machine(tmp_path, monkeypatch, available_kib=1024 * 1024, cgroup_lines=["garbage", "0::/../../x"])
    write(root / "x", memory_max="1" * 5000, memory_current="0")
    assert ml.headroom() == (GiB, "MemAvailable")


@pytest.mark.parametrize("limit_kind", ["rlimit", "cgroup"])
def test_probe_refusal_names_the_limit(tmp_path, monkeypatch, limit_kind):
    torch = pytest.importorskip("torch")  # noqa: F841
    from igcdesign.probe.measure import ProbeSettings, probe

    if limit_kind == "rlimit":
        fake_machine(tmp_path, monkeypatch, available_kib=64 * 1024 * 1024, cgroup_lines=["0::/"],
                     vmsize_kib=1024 * 1024, rlimit=1024 * 1024 * 1024 + 64 * MiB)
        needle = "RLIMIT_AS"
    else:
        root = fake_machine(tmp_path, monkeypatch, available_kib=64 * 1024 * 1024, cgroup_lines=["0::/a"])
        write(root / "a", memory_max=str(GiB), memory_current=str(GiB - 64 * MiB))
        needle = "memory.max"
    # regular:C=64 at hw 64, batch 64: ≥ 2·64·64²·64·4 B = 128 MiB of maps alone, over 0.8 × 64 MiB.
    with pytest.raises(IGCError, match=needle) as err:
        probe(["regular:C=64"], ProbeSettings(hw=64, batches=(64,), min_time=0.01, threads=1), baseline=None)
    assert "needs about" in str(err.value) and "\n" not in str(err.value)


def _limit_address_space():
    limit = 3000 * MiB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_real_rlimit_as_refuses_before_building():
    pytest.importorskip("torch")
    # mobilenetv2 at batch 256 needs over 3,000 MiB by any estimate; had it been built first,
    # torch would die of the limit with a traceback instead of this one line.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run(
        [sys.executable, "-m", "igcdesign", "probe", "mobilenetv2", "--batch", "256", "--min-time", "0.05"],
        preexec_fn=_limit_address_space, capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error:"), result.stderr[-2000:]
    assert "RLIMIT_AS" in lines[0] and "needs about" in lines[0]
    assert result.stdout == ""
