"""Two small PyTorch models for the README's `inspect` and `igcify` examples (and a quick try):
``igcdesign inspect igcdesign.probe.examples:shufflenet_v2_tiny --input 1x3x32x32``.

They are written as their papers draw them, in plain PyTorch, untrained: a ShuffleNet V2 (a stem,
two units that split the channels, run one half through 1×1, channel-wise 3×3 and 1×1 convs,
concatenate and shuffle, a 1×1 conv and the classifier) and a ResNet (a stem, a basic block, a
down-sampling block with a projection shortcut, the classifier).
"""

from __future__ import annotations

import torch
from torch import nn


def _conv_bn(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ShuffleV2Unit(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        half = channels // 2
        self.branch = nn.Sequential(_conv_bn(half, half), _conv_bn(half, half, 3, groups=half, relu=False), _conv_bn(half, half))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kept, x = x.chunk(2, dim=1)
        x = torch.cat((kept, self.branch(x)), dim=1)
        n, c, h, w = x.shape
        return x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


def shufflenet_v2_tiny(classes: int = 10) -> nn.Module:
    """ShuffleNet V2, two stride-1 units of 48 channels, for 32×32 inputs."""
    return nn.Sequential(_conv_bn(3, 48, 3, 2), ShuffleV2Unit(48), ShuffleV2Unit(48), _conv_bn(48, 128),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, classes))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(_conv_bn(cin, cout, 3, stride), _conv_bn(cout, cout, 3, relu=False))
        self.shortcut = _conv_bn(cin, cout, 1, stride, relu=False) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet_tiny(classes: int = 10) -> nn.Module:
    """ResNet: a 3×3 stem, a basic block of 32 channels, a down-sampling block to 64, for 32×32 inputs."""
    return nn.Sequential(_conv_bn(3, 32, 3), BasicBlock(32, 32), BasicBlock(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))
