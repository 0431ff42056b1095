"""The CPU-time clock: one thread on the CPU only, and what it measures is the call's time with a
core to itself (a sleeping module takes wall time and almost no CPU time)."""

from __future__ import annotations

import time

import pytest

torch = pytest.importorskip("torch")

from igcdesign.errors import IGCError  # noqa: E402
from igcdesign.probe.timing import check_clock, time_module  # noqa: E402


class Sleeper(torch.nn.Module):
    """Waits 2 ms per call: wall time passes, the process's CPU time hardly does."""

    def forward(self, x):
        time.sleep(0.002)
        return x


def test_cpu_clock_leaves_out_time_the_process_did_not_run():
    x = torch.zeros(1)
    wall = time_module(Sleeper(), x, device="cpu", threads=1, min_time=0.02, clock="wall")
    cpu = time_module(Sleeper(), x, device="cpu", threads=1, min_time=0.02, clock="cpu")
    assert wall.median_s >= 0.002
    assert cpu.median_s < wall.median_s / 2


@pytest.mark.parametrize("clock, device, threads", [("cpu", "cpu", 2), ("cpu", "cuda", 1), ("sundial", "cpu", 1)])
def test_bad_clocks_are_one_line(clock, device, threads):
    with pytest.raises(IGCError, match="--clock"):
        check_clock(clock, device, threads)


def test_probe_says_its_clock(cli):
    result = cli("probe", "regular:C=8", "--hw", "8", "--threads", "1", "--clock", "cpu", "--min-time", "0.01",
                 "--baseline", "none", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["clock"] == "cpu"
    text = cli("probe", "regular:C=8", "--hw", "8", "--threads", "1", "--clock", "cpu", "--min-time", "0.01",
               "--baseline", "none")
    assert "CPU-time clock" in " ".join(text.stdout.split())  # the header may wrap at 80 columns


def test_probe_cpu_clock_needs_one_thread(cli):
    result = cli("probe", "regular:C=8", "--hw", "8", "--threads", "2", "--clock", "cpu")
    assert result.exit_code == 2 and result.stdout == "" and "--threads 1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
