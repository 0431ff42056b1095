"""Network specs: 'name:key=value,...' (parsed with igcdesign.spec.split_spec, no eval) or a file.

| spec | network |
|---|---|
| ``igcv1-cifar:L=4,M=8,D=20`` | IGCV1 paper's IGC-L4M8 CIFAR network, depth D (default 20) |
| ``regular-cifar:C=16,D=20`` | IGCV1 paper's RegConv-W16 baseline |
| ``dwsep-cifar:C=35,D=20`` | IGCV2 paper's Xception CIFAR network |
| ``igcv2-cifar:C=64,K=8/16/32,D=20`` | IGCV2 paper's IGC-V2 CIFAR network |
| ``igcv3-imagenet:G1=2,G2=2`` | official IGCV3-D (alpha=, t= optional) |
| ``mobilenetv2`` | torchvision's MobileNetV2 1.0 (alpha=, t= optional) |
| ``resnet18``, ``resnet50``, ``resnext50_32x4d`` | pytorchcv's ResNet-18, ResNet-50, ResNeXt-50 32×4d |
| ``shufflenet_v1:g=3`` | pytorchcv's ShuffleNet V1 1× (g = 1, 2, 3, 4, 8) |
| ``shufflenet_v2:w=1.0`` | pytorchcv's ShuffleNet V2 (w = 0.5, 1.0, 1.5, 2.0) |
| ``path/to/net.yaml`` (or .yml, .json) | a user's stage file (see :mod:`igcdesign.nets.userfile`) |
"""

from __future__ import annotations

from typing import Callable

from igcdesign.errors import SpecError, shown
import igcdesign.nets.cifar as cifar
import igcdesign.nets.imagenet as imagenet
import igcdesign.nets.residual as residual
import igcdesign.nets.shufflenets as shufflenets
from igcdesign.nets.model import Network
from igcdesign.spec import split_spec

PRESETS: dict[str, tuple[Callable[[dict[str, str]], Network], str]] = {
    **cifar.PRESETS, **imagenet.PRESETS, **residual.PRESETS, **shufflenets.PRESETS}
PRESET_KEYS: dict[str, tuple[str, ...]] = {  # the keys each network takes
    **cifar.PRESET_KEYS, **imagenet.PRESET_KEYS, **residual.PRESET_KEYS, **shufflenets.PRESET_KEYS}


def parse_net(text: str | Network) -> Network:
    """The network a NETSPEC names; SpecError (one line) for anything malformed or invalid."""
    if isinstance(text, Network):
        return text
    if not isinstance(text, str) or not text.strip():
        raise SpecError("empty network spec (expected e.g. igcv1-cifar:L=4,M=8,D=20 or a .yaml file)")
    from igcdesign.nets.userfile import load_network, looks_like_file

    head = text.strip().partition(":")[0].strip().lower()
    if head not in PRESETS and looks_like_file(text):
        return load_network(text)
    name, items = split_spec(text)
    if name not in PRESETS:
        raise SpecError(f"unknown network '{shown(name)}' (known: {', '.join(PRESETS)}, or a .yaml/.json stage file)")
    build, _ = PRESETS[name]
    return build(items)
