"""Small models written for the `inspect` tests, each in the style of a known network (and one per
way of writing a channel permutation). Every factory takes no arguments, as `inspect` calls it.
Their input is 1x3x32x32 unless said otherwise.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_bn(cin, cout, k=1, stride=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


def shuffle_view(x, g):
    n, c, h, w = x.size()
    return x.view(n, g, c // g, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class ShuffleV1Unit(nn.Module):
    """ShuffleNet V1: 1×1 group conv, shuffle (view/transpose), channel-wise 3×3, 1×1 group conv;
    residual add, or at stride 2 an avg-pool shortcut and concat."""

    def __init__(self, cin, cout, g, stride):
        super().__init__()
        mid = cout // 4
        self.stride, self.g = stride, g
        branch = cout - cin if stride == 2 else cout
        self.compress = conv_bn(cin, mid, 1, groups=g)
        self.dw = conv_bn(mid, mid, 3, stride, groups=mid, act=None)
        self.expand = conv_bn(mid, branch, 1, groups=g, act=None)
        self.pool = nn.AvgPool2d(3, 2, 1)

    def forward(self, x):
        y = self.expand(self.dw(shuffle_view(self.compress(x), self.g)))
        if self.stride == 2:
            return torch.relu(torch.cat((y, self.pool(x)), 1))
        return torch.relu(y + x)


def shufflenet_v1_like():
    return nn.Sequential(conv_bn(3, 24, 3, 2), ShuffleV1Unit(24, 48, 3, 2), ShuffleV1Unit(48, 48, 3, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(48, 10))


class ShuffleV2Unit(nn.Module):
    """ShuffleNet V2: split (chunk), one branch (1×1, channel-wise 3×3, 1×1), concat, shuffle
    (reshape/transpose/reshape)."""

    def __init__(self, c):
        super().__init__()
        half = c // 2
        self.branch = nn.Sequential(conv_bn(half, half), conv_bn(half, half, 3, groups=half, act=None), conv_bn(half, half))

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        y = torch.cat((a, self.branch(b)), 1)
        n, c, h, w = y.shape
        return y.reshape(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


def shufflenet_v2_like():
    return nn.Sequential(conv_bn(3, 16, 3), ShuffleV2Unit(16), ShuffleV2Unit(16), conv_bn(16, 32),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


class Bottleneck(nn.Module):
    """ResNeXt: 1×1, grouped 3×3 (cardinality g), 1×1; projection shortcut (1×1 conv with stride, BN)."""

    def __init__(self, cin, cout, g, stride):
        super().__init__()
        mid = cout // 2
        self.body = nn.Sequential(conv_bn(cin, mid), conv_bn(mid, mid, 3, stride, groups=g), conv_bn(mid, cout, act=None))
        self.shortcut = conv_bn(cin, cout, 1, stride, act=None) if (cin != cout or stride != 1) else nn.Identity()

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnext_like():
    return nn.Sequential(conv_bn(3, 16, 3), Bottleneck(16, 32, 4, 2), Bottleneck(32, 32, 4, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


class Inverted(nn.Module):
    """MobileNetV2 (g1 = g2 = 1) or IGCV3 (group 1×1 convs, a shuffle between expansion and the
    channel-wise conv): expand 1×1, channel-wise 3×3, reduce 1×1, ReLU6, residual when shapes match."""

    def __init__(self, cin, cout, t, stride, g1=1, g2=1):
        super().__init__()
        mid = cin * t
        self.g1 = g1
        self.expand = conv_bn(cin, mid, 1, groups=g1, act=nn.ReLU6)
        self.dw = conv_bn(mid, mid, 3, stride, groups=mid, act=nn.ReLU6)
        self.reduce = conv_bn(mid, cout, 1, groups=g2, act=None)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.expand(x)
        if self.g1 > 1:
            y = shuffle_view(y, self.g1)
        y = self.reduce(self.dw(y))
        return y + x if self.residual else y


def mobilenet_v2_like():
    return nn.Sequential(conv_bn(3, 16, 3, 2, act=nn.ReLU6), Inverted(16, 24, 6, 2), Inverted(24, 24, 6, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(24, 10))


def igcv3_like():
    return nn.Sequential(conv_bn(3, 16, 3, 2, act=nn.ReLU6), Inverted(16, 24, 6, 2, 2, 2), Inverted(24, 24, 6, 1, 2, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10))


class IndexSelectNet(nn.Module):
    """A permutation kept as an index buffer (index_select), between two group convs."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1, bias=True)
        self.b = nn.Conv2d(8, 8, 1, groups=2, bias=False)
        self.c = nn.Conv2d(8, 8, 1, groups=2, bias=False)
        self.register_buffer("perm", torch.tensor([7, 0, 1, 2, 3, 4, 5, 6]))
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        x = self.b(self.a(x))
        x = self.c(x.index_select(1, self.perm))
        return self.head(x.mean((2, 3)))


def index_select_net():
    return IndexSelectNet()


class EinopsStyleNet(nn.Module):
    """A shuffle written as einops' rearrange('b (g c) h w -> b (c g) h w') expands it: reshape,
    permute, reshape; and a half swap written with slices and a concat."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 12, 1, groups=3, bias=False)
        self.b = nn.Conv2d(12, 12, 3, padding=1, groups=4, bias=False)
        self.c = nn.Conv2d(12, 12, 1, groups=2, bias=False)

    def forward(self, x):
        x = self.a(x)
        b, gc, h, w = x.shape
        x = x.reshape(b, 3, gc // 3, h, w).permute(0, 2, 1, 3, 4).reshape(b, gc, h, w)
        x = self.b(x)
        x = torch.cat([x[:, 6:], x[:, :6]], dim=1)
        return self.c(x)


def einops_style_net():
    return EinopsStyleNet()


class ShapeBranchNet(nn.Module):
    """Python control flow on the input's shape: torch.fx cannot trace it, torch.export can."""

    def __init__(self):
        super().__init__()
        self.a = conv_bn(3, 8, 3)
        self.b = nn.Conv2d(8, 8, 1, groups=2, bias=False)

    def forward(self, x):
        if x.shape[-1] > 16:
            x = self.a(x)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        return self.b(x)


def shape_branch_net():
    return ShapeBranchNet()


class DataBranchNet(nn.Module):
    """Control flow on tensor values: neither fx nor export can follow it."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        if x.sum() > 0:
            return self.a(x)
        return self.a(-x)


def data_branch_net():
    return DataBranchNet()


class DilatedNet(nn.Module):
    """A dilated conv and a 1×3 conv (outside the grammar) and an unused module."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=2, dilation=2)
        self.b = nn.Conv2d(8, 8, (1, 3), padding=(0, 1), bias=False)
        self.ln = nn.GroupNorm(2, 8)
        self.unused = nn.Linear(5, 5)

    def forward(self, x):
        return self.ln(self.b(self.a(x)))


def dilated_net():
    return DilatedNet()


def chatty():
    print("building the model")  # must not reach stdout under --json
    return shufflenet_v2_like()


def raises():
    raise RuntimeError("no weights here")


def not_a_module():
    return [1, 2, 3]


class SmallResNet(nn.Module):
    """Dense 3×3 convs (one with a bias, one strided), a 1×1 projection shortcut and an FC: what
    igcify replaces."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16, 3)
        self.a = conv_bn(16, 16, 3)
        self.b = nn.Conv2d(16, 16, 3, padding=1, bias=True)
        self.down = conv_bn(16, 32, 3, 2)
        self.proj = conv_bn(16, 32, 1, 2, act=None)
        self.c = nn.Conv2d(32, 32, 3, padding=0)  # padding 0: the map shrinks, kept
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(self.b(self.a(x)) + x)
        x = self.down(x) + self.proj(x)
        x = self.c(x)
        return self.fc(x.mean((2, 3)))


def small_resnet():
    return SmallResNet()
