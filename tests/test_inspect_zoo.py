"""`inspect` on pytorchcv's zoo (pure PyTorch builds, pretrained=False): totals equal each model's
own parameter count, mult-adds the closed form of its convs and FC, every block spec pastes into
count and check, and every verdict is what brute force on the real modules gives."""

from __future__ import annotations

import importlib

import pytest

pytest.importorskip("torch")
pytest.importorskip("pytorchcv")

from inspect_brute import bn_params  # noqa: E402
from test_inspect import blocks, check_against_peers  # noqa: E402

# pytorchcv.model_provider imports every model, some needing torchvision: take each from its module
ZOO = {
    "resnet18": "pytorchcv.models.resnet",
    "resnext50_32x4d": "pytorchcv.models.resnext",
    "shufflenet_g3_w1": "pytorchcv.models.shufflenet",
    "shufflenetv2_w1": "pytorchcv.models.shufflenetv2",
    "mobilenetv2_w1": "pytorchcv.models.mobilenetv2",
    "igcv3_w1": "pytorchcv.models.igcv3",
}


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model(cli, name):
    result = cli("inspect", f"{ZOO[name]}:{name}", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    model = getattr(importlib.import_module(ZOO[name]), name)(pretrained=False).eval()
    assert doc["tracer"] == "torch.fx" and doc["not_followed"] == [] and doc["problems"] == []
    assert doc["totals"]["params"] == sum(p.numel() for p in model.parameters()) - bn_params(model)
    check_against_peers(cli, doc, model, (1, 3, 224, 224), brute_shape=(1, 3, 32, 32))


def test_zoo_structure(cli):
    """What the papers' units look like once traced."""
    doc = cli("inspect", "pytorchcv.models.igcv3:igcv3_w1", "--json").json()
    assert "chain:W=32/192/192/32,G=2/192/2,k=1/3/1,P=s/i" in [row["spec"] for row in blocks(doc)]
    doc = cli("inspect", "pytorchcv.models.shufflenetv2:shufflenetv2_w1", "--json").json()
    lone = [row for row in doc["items"] if row["kind"] == "permutation"]
    assert {row["groups"] for row in lone} == {2} and len(lone) == 16  # after the concat of each of the 16 units
