"""`igcify --by latency` at work: on a machine profile whose layer table this test fills in, each
conv's replacement is the candidate of least predicted latency, and it differs from widest-first.

The table prices every step a candidate's fast module runs (igcdesign.latency.steps_of, all
plans) at a closed form chosen here: a conv step costs CALL + its weights (cin/g·cout·k²) in
μs, a permutation nearly nothing; the profile's peak and bandwidth are so high that no floor
reaches those figures. A block's predicted latency is then Σ over its convs (CALL + weights) μs,
whatever plan wins, so the fastest candidate is the one this sum, computed from the chain here,
puts first.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import igcdesign  # noqa: E402
from igcdesign.latency import steps_of  # noqa: E402
from igcdesign.layers import GroupConv  # noqa: E402
from igcdesign.profile import Fingerprint, Profile, cpu_model, installed_torch_version, save_profile  # noqa: E402
from igcdesign.replacement import candidates  # noqa: E402

CALL = 1000  # μs-units per conv call: a block of fewer convs wins, then the one of fewer weights
MODEL = """from torch import nn


def tiny():
    return nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2, padding=1))
"""
CONVS = {"0": (8, 8, 1), "2": (8, 8, 2)}  # name: (cin, cout, stride), both on a 15×15 input map
HW, FAMILIES = 15, ["igcv1", "igcv2", "igcv3"]


def step_ms(step) -> float:
    if step.op in ("shuffle", "permute"):
        return 1e-9
    return (CALL + step.cin // step.groups * step.cout * step.k * step.k) * 1e-3


def cost(block) -> int:
    """The predicted latency in μs this table gives a block, from its chain."""
    return sum(CALL + c.cin // c.groups * c.cout * c.k * c.k for c in block.chain if isinstance(c, GroupConv))


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "tinymodel.py"
    path.write_text(MODEL, encoding="utf-8")
    return path


@pytest.fixture
def profile():
    found = {name: candidates(cin, cout, stride=s, k=3, max_params=cin * cout * 9, hw=HW, families=FAMILIES)
             for name, (cin, cout, s) in CONVS.items()}
    table = {step.key: step_ms(step) for found_for in found.values() for c in found_for
             for step in steps_of(c.block, hw=HW, batch=1)}
    fp = Fingerprint(f"cpu: {cpu_model()}", installed_torch_version(), torch.get_num_threads(), "float32")
    save_profile(Profile(fp, copy_bytes_per_s=1e30, triad_bytes_per_s=1e30, matmul_macs_per_s=1e30,
                         conv_macs_per_s=1e30, call_s=1e-15, default_threads=True, layer_latency_ms=table))
    return found


def test_by_latency_picks_the_least_predicted_candidate_not_the_widest(cli, model_file, profile):
    args = ("igcify", f"{model_file}:tiny", "--input", f"1x8x{HW}x{HW}", "--family", "auto", "--json")
    fastest = {r["name"]: r for r in cli(*args, "--by", "latency").json()["replacements"]}
    widest = {r["name"]: r for r in cli(*args).json()["replacements"]}
    for name, found in profile.items():
        least = min(cost(c.block) for c in found)
        best = [c.spec for c in found if cost(c.block) == least]
        assert len(best) == 1  # the table has one fastest candidate per conv
        assert fastest[name]["after"] == best[0]
        assert fastest[name]["predicted_ms"] == pytest.approx(least * 1e-3, abs=1e-7)
        width = {c.spec: c.width for c in found}
        top = max(width.values())
        assert width[widest[name]["after"]] == top > width[best[0]] and widest[name]["predicted_ms"] is None


def test_the_library_igcify_by_latency_builds_the_fastest_blocks(cli, model_file, profile):
    import importlib.util

    from igcdesign.families import parse_block

    spec = importlib.util.spec_from_file_location("tinymodel", model_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.tiny().eval()
    new = igcdesign.igcify(model, by="latency", input=(1, 8, HW, HW))
    for name, found in profile.items():
        fastest = min(found, key=lambda c: cost(c.block))
        assert new.get_submodule(name).chain == parse_block(fastest.spec).chain
    x = torch.randn(1, 8, HW, HW)
    assert new(x).shape == model(x).shape == (1, 8, 8, 8)  # ⌊(15 + 2 − 3)/2⌋ + 1 = 8
