"""Calibration: the arithmetic of each figure checked with a fake clock (no timing asserted), the
size bounds, and the command on tiny sizes, writing only to a temporary cache."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igcdesign.errors import IGCError
from igcdesign.profile import CACHE_ENV, find_profile, read_profile

torch = pytest.importorskip("torch")

from igcdesign.probe.calibrate import MiB, Sizes, calibrate, default_buffer_bytes, spread  # noqa: E402

TINY = Sizes(buffer_bytes=1 << 16, matmul_n=8, conv_channels=4, conv_hw=4, conv_batch=2, repeats=3, min_time=0.001,
             seconds=0)
TINY_ARGS = ["--buffer-mib", "0.0625", "--matmul-n", "8", "--conv-channels", "4", "--conv-hw", "4",
             "--conv-batch", "2", "--repeats", "2", "--min-time", "0.001", "--seconds", "0"]
FIGURES = ("copy_bytes_per_s", "triad_bytes_per_s", "matmul_macs_per_s", "conv_macs_per_s", "call_s")


def by_round(per_round):
    """A fake clock whose k-th round returns per_round[k] for every figure (rounds of one sample
    each of the five figures, in order)."""
    calls = []

    def clock(fn, min_time):
        calls.append(min_time)
        return per_round[(len(calls) - 1) // len(FIGURES)]

    clock.calls = calls
    return clock


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_figures_follow_from_the_clock():
    """With three samples each figure is the best one: the least time (highest rate), in any order;
    the spread is the interquartile range over the median (inclusive quartiles of 1, 2, 4 ms:
    1.5 and 3 ms around 2)."""
    clock = by_round([2e-3, 1e-3, 4e-3])
    calls = clock.calls
    profile = calibrate("cpu", 1, "float32", TINY, clock=clock)
    n_bytes = 1 << 16
    assert profile.copy_bytes_per_s == pytest.approx(2 * n_bytes / 1e-3)
    assert profile.triad_bytes_per_s == pytest.approx(3 * n_bytes / 1e-3)
    assert profile.matmul_macs_per_s == pytest.approx(8**3 / 1e-3)
    assert profile.conv_macs_per_s == pytest.approx(4 * 4 * 9 * 4 * 4 * 2 / 1e-3)
    assert profile.call_s == pytest.approx(1e-3)
    assert profile.spread["call_s"] == pytest.approx((3 - 1.5) / 2)
    # throughput figures are 1/time: rates 1/4, 1/2, 1 with quartiles 3/8 and 3/4 around 1/2
    assert profile.spread["copy_bytes_per_s"] == pytest.approx((3 / 4 - 3 / 8) / (1 / 2))
    assert len(calls) == 15 and set(calls) == {0.001}
    assert profile.sizes["rounds"] == 3
    assert profile.fingerprint.threads == 1 and profile.fingerprint.dtype == "float32"
    assert profile.fingerprint.torch == str(torch.__version__)


def test_one_disturbed_repeat_does_not_move_the_figures():
    """Two runs of the same machine under different load: two of three repeats slowed by other
    work in the first, one in the second. The best repeat is the same undisturbed 1 ms in both,
    so the figures agree, where the medians (2 ms against 1.05 ms) would differ by 2×."""
    def run(times):
        return calibrate("cpu", 1, "float32", TINY, clock=by_round(times))

    first, second = run([2e-3, 1e-3, 2.5e-3]), run([1.05e-3, 3e-3, 1e-3])
    for name in ("copy_bytes_per_s", "triad_bytes_per_s", "matmul_macs_per_s", "conv_macs_per_s", "call_s"):
        assert getattr(first, name) == pytest.approx(getattr(second, name))
    assert first.peak == pytest.approx(second.peak) and first.bandwidth == pytest.approx(second.bandwidth)
    assert first.call_s == pytest.approx(1e-3) and first.spread["call_s"] == pytest.approx((2.25 - 1.5) / 2)


def test_disturbed_repeats_are_run_again_and_left_out():
    """The first round held its cores (share 1.0) and the next two ran at half share, at twice the
    time; then the cores came back. Calibration runs more rounds until every figure has three
    undisturbed samples, leaves the two out of the figure and the spread, and says how many."""
    from igcdesign.probe.calibrate import Sample

    clock = by_round([Sample(1e-3, 1.0), Sample(2e-3, 0.5), Sample(2e-3, 0.5), Sample(1.2e-3, 0.95), Sample(1e-3, 0.97)])
    calls = clock.calls
    profile = calibrate("cpu", 1, "float32", TINY, clock=clock)
    # five rounds, not the three asked for; the call cost (one thread) has no share and keeps all
    assert len(calls) == 5 * 5
    assert profile.disturbed_repeats == {**dict.fromkeys(("copy_bytes_per_s", "triad_bytes_per_s", "matmul_macs_per_s",
                                                          "conv_macs_per_s"), 2), "call_s": 0}
    assert "call_s" not in profile.core_share
    assert profile.core_share["matmul_macs_per_s"] == pytest.approx(1.0)
    assert profile.call_s == pytest.approx(1e-3)
    # the kept samples are 1, 1.2 and 1 ms: rates 1/1.2, 1, 1 with quartiles (1/1.2 + 1)/2 and 1 around 1
    assert profile.spread["copy_bytes_per_s"] == pytest.approx((1 - 1 / 1.2) / 2)
    assert read_profile_roundtrip(profile).disturbed_repeats == profile.disturbed_repeats


def read_profile_roundtrip(profile):
    from igcdesign.profile import Profile

    return Profile.from_dict(profile.as_dict())


def test_repeats_are_extended_only_so_far():
    """Disturbed throughout: at most EXTEND_FACTOR × the asked repeats, then the figure is the
    best there was, and the low share is kept for the warning."""
    from igcdesign.probe.calibrate import EXTEND_FACTOR, Sample

    shares = iter([1.0, 0.5] * 100)
    calls = []

    def clock(fn, min_time):
        calls.append(1)
        return Sample(1e-3, next(shares))

    calibrate("cpu", 1, "float32", TINY, clock=clock)
    assert len(calls) <= 5 * EXTEND_FACTOR * TINY.repeats


@pytest.mark.parametrize("share, warned", [(0.97, False), (0.6, True)])
def test_a_low_core_share_is_said(capsys, share, warned):
    from igcdesign.machine_render import render_profile
    from igcdesign.probe.calibrate import Sample

    profile = calibrate("cpu", 1, "float32", TINY, clock=lambda fn, min_time: Sample(1e-3, share))
    render_profile({**profile.as_dict(), "load_average": [0.1, 0.1], "cpu_count": 2, "path": "p.json"})
    out = capsys.readouterr().out
    assert ("never had their cores" in out) == warned and "core share" in out


@pytest.mark.parametrize("threads, clock", [(1, "cpu"), (2, "wall")])
def test_one_thread_profiles_are_timed_by_cpu_time(threads, clock):
    """The clock a profile was timed by is the one its layer table uses, and it is recorded."""
    from igcdesign.probe.layer_latency import uses_cpu_clock

    profile = calibrate("cpu", threads, "float32", TINY)
    assert profile.clock == clock == ("cpu" if uses_cpu_clock(threads) else "wall")
    assert read_profile_roundtrip(profile).clock == clock
    if clock == "cpu":
        assert profile.core_share == {} and sum(profile.disturbed_repeats.values()) == 0


def test_cpu_time_clock_leaves_out_waiting():
    """A call that sleeps 2 ms costs wall time and almost no CPU time."""
    import time as clock_module

    from igcdesign.probe.calibrate import wall_clock

    wall = wall_clock("cpu")(lambda: clock_module.sleep(0.002), 0.01)
    cpu = wall_clock("cpu", cpu_time=True)(lambda: clock_module.sleep(0.002), 0.01)
    assert wall.seconds >= 0.002 and cpu.seconds < wall.seconds / 2 and cpu.share is None


def test_threads_are_restored_and_used():
    seen = []
    before = torch.get_num_threads()

    def clock(fn, min_time):
        seen.append(torch.get_num_threads())
        return 1e-3

    calibrate("cpu", 1, "float32", TINY, clock=clock)
    assert set(seen) == {1} and torch.get_num_threads() == before


def test_the_copy_and_triad_kernels_compute_what_they_claim():
    """Run for real on tiny sizes: the profile's figures are positive and finite."""
    profile = calibrate("cpu", 1, "float32", TINY)
    for value in (profile.copy_bytes_per_s, profile.triad_bytes_per_s, profile.matmul_macs_per_s,
                  profile.conv_macs_per_s, profile.call_s):
        assert 0 < value < float("inf")


def test_spread_of_one_repeat_is_zero():
    assert spread([3.0]) == 0


def test_default_buffer_leaves_the_cache_and_fits_memory():
    assert default_buffer_bytes("cpu", 1 << 40, 32 * MiB) == 256 * MiB
    assert default_buffer_bytes("cpu", 1 << 40, None) == 64 * MiB
    assert default_buffer_bytes("cpu", 1 << 40, 1 << 30) == 512 * MiB
    assert default_buffer_bytes("cpu", 80 * MiB, 32 * MiB) == 10 * MiB


@pytest.mark.parametrize("field, value", [("matmul_n", 0), ("matmul_n", 1 << 20), ("repeats", 0), ("repeats", 1000),
                                          ("conv_channels", 10**6), ("buffer_bytes", 10)])
def test_sizes_out_of_bounds_are_refused(field, value):
    from dataclasses import replace

    with pytest.raises(IGCError):
        replace(TINY, **{field: value}).check()


def test_command_writes_the_profile_where_lookups_find_it(cli, isolated_cache):
    result = cli("calibrate", "--threads", "1", *TINY_ARGS, "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["path"].startswith(str(isolated_cache))
    profile = read_profile(doc["path"])
    assert find_profile(profile.fingerprint).profile == profile
    assert "calibrate: " in result.stderr  # progress goes to stderr, JSON alone to stdout


def test_command_out_file_and_table(cli, tmp_path):
    target = tmp_path / "mine.json"
    result = cli("calibrate", "--threads", "1", *TINY_ARGS, "--out", str(target))
    assert result.exit_code == 0, result.stderr
    assert read_profile(target).fingerprint.threads == 1
    assert "copy bandwidth" in result.stdout and "load average" in result.stdout


@pytest.mark.parametrize("args", [["--matmul-n", "0"], ["--repeats", "0"], ["--buffer-mib", "nan"],
                                  ["--buffer-mib", "-1"], ["--threads", "0"], ["--dtype", "int8"], ["--device", "tpu"],
                                  ["--min-time", "0"], ["--seconds", "-1"], ["--seconds", "601"], ["--seconds", "nan"]])
def test_bad_options_are_one_line_errors(cli, args):
    result = cli("calibrate", *TINY_ARGS, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("igcdesign: error:") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["", "missing/p.json", "p.txt"])
def test_out_must_be_a_json_file_in_an_existing_directory(cli, tmp_path, name):
    result = cli("calibrate", *TINY_ARGS, "--out", str(tmp_path / name))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert not (tmp_path / "missing").exists()


def test_cuda_clock_synchronises_the_device(monkeypatch):
    """No GPU here: torch.cuda.synchronize is mocked, and the clock must call it around the calls."""
    from igcdesign.probe.calibrate import wall_clock

    syncs = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: syncs.append(1))
    sample = wall_clock("cuda")(lambda: None, 0.0)
    assert sample.seconds >= 0 and sample.share is None and len(syncs) >= 2  # before the first call and after it


def test_cuda_buffers_are_half_a_gib_at_most():
    assert default_buffer_bytes("cuda", 1 << 40, None) == 512 * MiB
    assert default_buffer_bytes("cuda", 1 << 30, None) == 128 * MiB


def test_home_is_shown_as_a_tilde(monkeypatch, tmp_path):
    from igcdesign.machine_render import home_relative

    monkeypatch.setenv("HOME", str(tmp_path))
    assert home_relative(str(tmp_path / "a" / "b.json")) == "~/a/b.json"
    assert home_relative("/elsewhere/b.json") == "/elsewhere/b.json"


@pytest.mark.parametrize("loads, busy", [([0.4, 0.6], False), ([2.4, 2.5], False), ([8.1, 9.1], True)])
def test_a_busy_machine_is_said_to_be(capsys, loads, busy):
    """Figures cannot repeat on a machine whose cores other work holds throughout: the
    table says so when the load average exceeded the CPUs by more than 0.5."""
    from igcdesign.machine_render import render_profile

    profile = calibrate("cpu", 1, "float32", TINY, clock=lambda fn, min_time: 1e-3)
    render_profile({**profile.as_dict(), "load_average": loads, "cpu_count": 2, "path": "p.json"})
    assert ("the machine was busy" in capsys.readouterr().out) == busy


def test_a_share_held_low_throughout_is_not_undisturbed():
    """The other core taken all along: every sample at share 0.5. None counts as undisturbed, so
    the rounds are extended (to the cap), the figure is still taken from them all, and the share
    is kept."""
    from igcdesign.probe.calibrate import EXTEND_FACTOR, Sample, keep_undisturbed

    assert keep_undisturbed([Sample(1e-3, 0.5), Sample(2e-3, 0.5)]) == []
    assert keep_undisturbed([Sample(1e-3, 0.95), Sample(2e-3, 0.5)]) == [Sample(1e-3, 0.95)]
    calls = []

    def clock(fn, min_time):
        calls.append(1)
        return Sample(1e-3, 0.5)

    profile = calibrate("cpu", 1, "float32", TINY, clock=clock)
    assert len(calls) == 5 * EXTEND_FACTOR * TINY.repeats
    assert profile.core_share["copy_bytes_per_s"] == 0.5 and profile.call_s == pytest.approx(1e-3)


def test_rounds_interleave_the_figures():
    """Every round takes one sample of each of the five kernels, in the same order: a stretch of
    other work lowers every figure a little, not one figure a lot."""
    seen = []

    def clock(fn, min_time):
        seen.append(fn)
        return 1e-3

    calibrate("cpu", 1, "float32", TINY, clock=clock)
    assert len(seen) == 5 * TINY.repeats and len(set(seen[:5])) == 5
    assert all(seen[i] is seen[i + 5] for i in range(len(seen) - 5))


def test_rounds_last_the_seconds_asked_and_renew_the_buffers():
    """At least `seconds` of rounds, past the asked repeats; the bandwidth buffers renewed every
    RENEW_EVERY rounds."""
    import time as clock_module

    from igcdesign.probe.calibrate import RENEW_EVERY, sample_rounds

    renewed = []

    def clock(fn, min_time):
        clock_module.sleep(0.002)
        return 1e-3

    started = clock_module.perf_counter()
    samples = sample_rounds({"a": lambda: None, "b": lambda: None}, replace_sizes(repeats=2, seconds=0.06), clock,
                            renew=lambda: renewed.append(1))
    rounds = len(samples["a"])
    assert clock_module.perf_counter() - started >= 0.06 and rounds > 2 and len(samples["b"]) == rounds
    assert len(renewed) == (rounds - 1) // RENEW_EVERY


def replace_sizes(**changes):
    from dataclasses import replace

    return replace(TINY, **changes)


def test_many_samples_keep_the_90th_percentile_not_a_lucky_best():
    """Twenty rounds, one of them twice as fast as the rest (the best moment of a shared machine,
    which comes and goes): the figure is the rate the other nineteen keep, the call cost likewise."""
    clock = by_round([1e-3] + [2e-3] * 19)
    profile = calibrate("cpu", 1, "float32", replace_sizes(repeats=20), clock=clock)
    assert profile.matmul_macs_per_s == pytest.approx(8**3 / 2e-3)
    assert profile.call_s == pytest.approx(2e-3)


@given(st.lists(st.floats(min_value=1e-6, max_value=1.0), min_size=1, max_size=40))
def test_kept_figure_is_the_nearest_rank_percentile(values):
    """Brute force: a rate's figure is the least sample with at least 90 % of the samples at or
    below it; the call cost's, the greatest sample with at least 90 % at or above it."""
    from igcdesign.probe.calibrate import KEEP_QUANTILE, keep

    need = KEEP_QUANTILE * len(values)
    rate = min(v for v in values if sum(x <= v for x in values) >= need - 1e-9)
    time = max(v for v in values if sum(x >= v for x in values) >= need - 1e-9)
    assert keep("copy_bytes_per_s", values) == rate
    assert keep("call_s", values) == time
