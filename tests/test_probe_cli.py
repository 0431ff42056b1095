"""`igcdesign probe`: output, options, refusals, and the device/dtype logic (CUDA paths mocked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from igcdesign.errors import IGCError  # noqa: E402
from igcdesign.probe import device as dev  # noqa: E402
from igcdesign.probe.measure import measure_specs  # noqa: E402
from igcdesign.probe.memory import check_fits, estimate_bytes  # noqa: E402
from igcdesign.probe.targets import regular_baseline_spec, resolve_target  # noqa: E402
from igcdesign.probe.timing import time_module  # noqa: E402

QUICK = ("--min-time", "0.01", "--hw", "4", "--threads", "1")


def one_line_error(result, *needles):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_json_document(cli):
    result = cli("probe", "igcv1:L=2,M=4", "dwsep:C=8", "-b", "1,2", "--json", *QUICK)
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert set(doc) >= {"device", "torch", "threads", "results", "dtype", "hw", "baseline"}
    assert doc["torch"] == torch.__version__ and doc["threads"] == 1 and doc["device"].startswith("cpu")
    # IGCV1 L=2, M=4: T = L·M²·9 + M·L² = 304 (docs/conventions.md §1); widest regular 3×3 conv with
    # 9·C² ≤ 304 is C = 5.
    assert doc["baseline"] == "regular:C=5,k=3"
    rows = doc["results"]
    assert [(r["spec"], r["batch"]) for r in rows] == [
        (s, b) for b in (1, 2) for s in ("regular:C=5,k=3", "igcv1:L=2,M=4,k=3", "dwsep:C=8,k=3")
    ]
    for row in rows:
        assert row["params"] == row["params_torch"]
        assert row["latency_ms"] > 0 and row["iqr_ms"] >= 0 and row["gmacs"] > 0
        assert row["ratio_to_baseline"] == pytest.approx(
            row["latency_ms"] / next(r["latency_ms"] for r in rows if r["is_baseline"] and r["batch"] == row["batch"])
        )
    igc = rows[1]
    assert igc["params"] == 2 * 4 * 4 * 9 + 4 * 2 * 2
    assert igc["mult_adds"] == igc["params"] * 4 * 4  # every conv at 4×4 positions


def test_rich_table(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich does not fold the spec
    result = cli("probe", "igcv1:L=2,M=4", "--baseline", "none", *QUICK)
    assert result.exit_code == 0, result.stderr
    assert "igcv1:L=2,M=4,k=3" in result.stdout and " thread" in result.stdout  # "1 thread" or "2 threads" in the header


def test_explicit_baseline_and_options(cli):
    result = cli(
        "probe", "igcv3:C=8,t=2", "--baseline", "mobilenetv2:C=8,t=2", "--channels-last",
        "--dtype", "bfloat16", "--bn-relu", "--json", *QUICK,
    )
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["baseline"] == "mobilenetv2:C=8,t=2,k=3" and doc["channels_last"] and doc["dtype"] == "bfloat16"
    row = doc["results"][1]
    assert row["params_torch"] == row["params"] + 2 * 8  # BN γ, β per output channel


@pytest.mark.parametrize(
    "args,needle",
    [
        (("--hw", "0"), "--hw"),
        (("-b", "-1"), "--batch"),
        (("-b", "0"), "--batch"),
        (("-b", "x"), "--batch"),
        (("--device", "tpu"), "--device"),
        (("--dtype", "float64"), "--dtype"),
        (("--threads", "0"), "--threads"),
        (("--min-time", "0"), "--min-time"),
        (("--rounds", "0"), "--rounds"),
        (("--baseline", "regular:C=0"), "positive"),
    ],
)
def test_bad_options(cli, args, needle):
    one_line_error(cli("probe", "regular:C=4", *args), needle)


def test_bad_spec(cli):
    one_line_error(cli("probe", "igcv1:L=2", "--min-time", "0.01"), "igcv1")


def test_cuda_without_gpu(cli, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    one_line_error(cli("probe", "regular:C=4", "--device", "cuda"), "cuda")


def test_memory_refusal(cli):
    # 9 · 512² weights and 2·512·65536² activations per sample, times 1024: far beyond any RAM.
    one_line_error(cli("probe", "regular:C=512", "--hw", "65536", "-b", "1024"), "needs about")


def test_without_torch(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    one_line_error(cli("probe", "regular:C=4"), "pip install 'igcdesign[probe]'", "torch==2.13.0")


def test_help_does_not_import_torch():
    code = (
        "import sys; from igcdesign.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['probe', '--help']); assert r.exit_code == 0, r.output; "
        "print([m for m in ('torch', 'pandas', 'matplotlib', 'sympy', 'numpy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- library ------------------------------------------------------------------------------------
def test_measure_specs_and_progress():
    calls = []
    rows = measure_specs(["regular:C=4"], hw=4, batch=[1, 3], threads=1, min_time=0.01,
                         baseline=None, progress=lambda *a: calls.append(a))
    assert [(r["batch"], r["ratio_to_baseline"]) for r in rows] == [(1, None), (3, None)]
    assert [c[0] for c in calls] == [0, 1, 2] and all(c[1] == 2 for c in calls)


def test_rounds_keep_the_least_disturbed():
    calls = []
    rows = measure_specs(["dwsep:C=4"], hw=4, batch=2, threads=1, min_time=0.01, rounds=3,
                         baseline="regular:C=2", progress=lambda *a: calls.append(a))
    assert len(rows) == 2 and [c[0] for c in calls] == list(range(7))
    for row in rows:
        assert len(row["round_medians_ms"]) == 3 and row["latency_ms"] == min(row["round_medians_ms"])
    assert rows[0]["ratio_to_baseline"] == 1.0


def test_baseline_is_widest_regular_by_brute_force():
    for budget, k in [(9, 3), (10, 3), (304, 3), (37376, 3), (10**4, 5), (3, 1)]:
        widest = max(c for c in range(1, 200) if k * k * c * c <= budget)  # regular: S·C² params
        assert regular_baseline_spec(budget, k) == f"regular:C={widest},k={k}"
    assert regular_baseline_spec(5, 3) == "regular:C=1,k=3"


def test_target_counts():
    t = resolve_target("igcv2:K=1x4x4", 8)
    assert t.input_shape == (16, 8, 8) and t.kernel == 3 and t.kind == "block"
    assert t.params == 16 * (9 * 1 + 4 + 4)  # IGCV2: Q = C·(S·K1 + K2 + K3), docs/conventions.md §1
    assert t.mult_adds == t.params * 64
    # maps: input + 3 convs + 1 interleave, all 16 channels at 8×8 (the interleave after the
    # channel-wise conv has 16 groups on 16 channels: the identity, left out of the chain)
    assert t.activations == 5 * 16 * 64


def test_memory_estimate_and_refusal():
    t = resolve_target("regular:C=8,k=3", 10)
    per_sample = 2 * 8 * 100 + 8 * 9 * 100  # input + output map, unfolded 3×3 input
    assert estimate_bytes(t, 4, "float32") == (9 * 64 + 4 * per_sample) * 4
    assert estimate_bytes(t, 4, "bfloat16") == (9 * 64 + 4 * per_sample) * 2
    need = estimate_bytes(t, 4, "float32")
    assert check_fits(t, 4, "float32", available=need * 2) == need
    with pytest.raises(IGCError, match="needs about"):
        check_fits(t, 4, "float32", available=need)


# --- device logic, CUDA mocked -------------------------------------------------------------------
def test_resolve_device():
    assert dev.resolve_device("auto", has_cuda=True) == "cuda"
    assert dev.resolve_device("auto", has_cuda=False) == "cpu"
    assert dev.resolve_device("CPU", has_cuda=True) == "cpu"
    assert dev.resolve_device("cuda", has_cuda=True) == "cuda"
    with pytest.raises(IGCError, match="no CUDA"):
        dev.resolve_device("cuda", has_cuda=False)
    with pytest.raises(IGCError, match="--device"):
        dev.resolve_device("mps", has_cuda=True)


def test_dtype_table(monkeypatch):
    assert dev.check_dtype("cpu", "float32") is torch.float32
    with pytest.raises(IGCError, match="--dtype"):
        dev.check_dtype("cpu", "int8")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(IGCError, match="bfloat16"):
        dev.check_dtype("cuda", "bfloat16")
    monkeypatch.setattr(dev, "_runs", lambda device, name: False)
    with pytest.raises(IGCError, match="cannot run"):
        dev.check_dtype("cpu", "float16")


def test_cuda_timing_synchronises(monkeypatch):
    syncs = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: syncs.append(1))
    monkeypatch.setattr(torch.accelerator, "synchronize", lambda *a: syncs.append(2), raising=False)
    module = torch.nn.Conv2d(2, 2, 1)
    timing = time_module(module, torch.randn(1, 2, 2, 2), device="cuda", threads=1, min_time=0.01)
    assert timing.median_s > 0 and syncs.count(1) >= 2  # after warm-up and after timing
    syncs.clear()
    time_module(module, torch.randn(1, 2, 2, 2), device="cpu", threads=1, min_time=0.01)
    assert 1 not in syncs


def test_cuda_memory_and_name(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a: (123, 456))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Fake GPU")
    assert dev.available_memory("cuda") == 123
    assert dev.device_name("cuda") == "cuda: Fake GPU"
    assert dev.available_memory("cpu") > 0
