"""The ImageNet presets built like pytorchcv's models, counted against them.

Params: count_net(--bn) == the pytorchcv model's own parameter count (conv and FC weights, FC
bias, BN γ and β — the --bn convention), and the published totals of the same architectures
(torchvision's model docs list 11,689,512 for ResNet-18, 25,557,032 for ResNet-50, 25,028,904
for ResNeXt-50 32×4d and 2,278,604 for ShuffleNet V2 1.0; ResNet-50's v1 and v1.5 have the same
weights). Mult-adds: the closed form per conv, weights × output positions, read off the pytorchcv
model's own convs and the maps they produce (forward hooks), plus the FC.

pytorchcv's model_provider imports torchvision (one of its models needs it), which does not load
here, so the models are taken from their own modules (pure PyTorch).
"""

from __future__ import annotations

import functools
import importlib

import pytest

from igcdesign.nets.counting import count_net

SIDE = 64  # input side for the mult-adds: every map of these networks is a multiple of 2 there

PRESETS = [
    # preset, pytorchcv module, builder, the published parameter count (None: pytorchcv only)
    ("resnet18", "resnet", "resnet18", 11_689_512),
    ("resnet50", "resnet", "resnet50", 25_557_032),
    ("resnext50_32x4d", "resnext", "resnext50_32x4d", 25_028_904),
    ("shufflenet_v1:g=3", "shufflenet", "shufflenet_g3_w1", None),
    ("shufflenet_v1:g=8", "shufflenet", "shufflenet_g8_w1", None),
    ("shufflenet_v2:w=1.0", "shufflenetv2", "shufflenetv2_w1", 2_278_604),
    ("shufflenet_v2:w=0.5", "shufflenetv2", "shufflenetv2_wd2", None),
    ("shufflenet_v2:w=1.5", "shufflenetv2", "shufflenetv2_w3d2", None),
]


def pytorchcv_model(module: str, builder: str):
    pytest.importorskip("torch")
    try:
        importlib.import_module(f"pytorchcv.models.{module}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("pytorchcv"):
            pytest.skip("pytorchcv is not installed")
        raise
    return _built(module, builder)


@functools.lru_cache(maxsize=None)
def _built(module: str, builder: str):
    """One build per model for the whole session (building ResNet-50 initialises 25M weights)."""
    return getattr(importlib.import_module(f"pytorchcv.models.{module}"), builder)(pretrained=False).eval()


def conv_macs(model, side: int = SIDE) -> int:
    """Σ over the model's convs of weights × output positions, plus the FC's weights. The
    features run without their final 7×7 pool (so a smaller input can be used: the global pool
    costs nothing), the FC counts its weights once."""
    import torch

    total = []

    def on_conv(conv, _inputs, output):
        total.append(conv.weight.numel() * output.shape[2] * output.shape[3])

    hooks = [m.register_forward_hook(on_conv) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model.features[:-1](torch.zeros(1, 3, side, side))
    for hook in hooks:
        hook.remove()
    return sum(total) + model.output.weight.numel()


@pytest.mark.parametrize("preset,module,builder,published", PRESETS, ids=[p[0] for p in PRESETS])
def test_preset_params_equal_pytorchcv_and_the_published_count(preset, module, builder, published):
    counted = count_net(preset, bn=True)
    if published is not None:
        assert counted.params == published
    model = pytorchcv_model(module, builder)
    assert counted.params == sum(p.numel() for p in model.parameters())
    assert count_net(preset, bn=False).params == sum(
        p.numel() for name, p in model.named_parameters() if not _is_bn(model, name))


def _is_bn(model, name: str) -> bool:
    import torch

    owner = model.get_submodule(name.rpartition(".")[0])
    return isinstance(owner, torch.nn.BatchNorm2d)


@pytest.mark.parametrize("preset,module,builder,published", PRESETS, ids=[p[0] for p in PRESETS])
def test_preset_mult_adds_equal_the_closed_form_per_conv(preset, module, builder, published):
    model = pytorchcv_model(module, builder)
    assert count_net(preset, resolution=SIDE).mult_adds == conv_macs(model)


@pytest.mark.parametrize("preset", ["resnet18", "shufflenet_v1:g=3", "shufflenet_v2:w=1.0"])
def test_built_preset_has_the_counted_params_and_output(preset):
    torch = pytest.importorskip("torch")
    from igcdesign.probe.networks import build_torch_net

    model = build_torch_net(preset, bn=True, resolution=64)
    assert sum(p.numel() for p in model.parameters()) == count_net(preset, bn=True, resolution=64).params
    with torch.no_grad():
        assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)
    macs = []
    for conv in (m for m in model.modules() if isinstance(m, torch.nn.Conv2d)):
        conv.register_forward_hook(lambda c, i, o: macs.append(c.weight.numel() * o.shape[2] * o.shape[3]))
    with torch.no_grad():
        model(torch.zeros(1, 3, 64, 64))
    assert sum(macs) + model.classifier.weight.numel() == count_net(preset, resolution=64).mult_adds


def test_resnet18_closed_form():
    """ResNet-18 at 224 written out: stem 7×7 at 112², stages at 56², 28², 14², 7²."""
    macs = 3 * 64 * 49 * 112**2
    side, cin = 56, 64
    for i, c in enumerate((64, 128, 256, 512)):
        if i:
            side //= 2
            macs += cin * c * side**2  # projection
        macs += (cin * c * 9 + c * c * 9) * side**2 + 2 * c * c * 9 * side**2
        cin = c
    macs += 512 * 1000
    assert count_net("resnet18").mult_adds == macs
    conv_weights = 3 * 64 * 49 + sum(
        (cin * c * 9 + c * c * 9 + 2 * c * c * 9 + (cin * c if cin != c else 0))
        for cin, c in ((64, 64), (64, 128), (128, 256), (256, 512)))
    assert count_net("resnet18").params == conv_weights + 512 * 1000 + 1000


@pytest.mark.parametrize("preset", [p[0] for p in PRESETS])
def test_net_prints_a_name_that_pastes_back(cli, preset):
    doc = cli("net", preset, "--bn", "--json")
    assert doc.exit_code == 0, doc.stderr
    again = cli("net", doc.json()["net"], "--bn", "--json")
    assert again.exit_code == 0 and again.json()["params"] == doc.json()["params"]


@pytest.mark.parametrize("spec,words", [
    ("shufflenet_v1:g=5", "one of 1, 2, 3, 4, 8"),
    ("shufflenet_v1:g=x", "not a positive integer"),
    ("shufflenet_v2:w=0.7", "one of 0.5, 1.0, 1.5, 2.0"),
    ("shufflenet_v2:w=1e3", "plain decimal"),
    ("resnet18:D=3", "unknown key"),
    ("resnext50_32x4d:g=2", "unknown key"),
])
def test_bad_preset_values_are_one_line_errors(cli, spec, words):
    result = cli("net", spec, "--json")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_a_resolution_too_small_for_the_pools_is_one_line(cli):
    result = cli("net", "resnet18", "--resolution", "16", "--json")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
