"""Stage files with projection shortcuts, BN and ReLU between a block's convs, a pooled or grouped
stem: ResNet-18 written as a stage file counts exactly as the resnet18 preset (which tests hold to
pytorchcv's build), and the new keys refuse what they do not take in one line."""

from __future__ import annotations

import pytest

from igcdesign.nets.counting import count_net

RESNET18_FILE = """\
name: r18-file
resolution: 224
classes: 1000
stem: {width: 64, k: 7, stride: 2, pool: max}
stages:
  - {block: "chain:W=64/64/64,G=1/1,k=3/3,P=i", repeats: 2, shortcut: projection, norm: conv}
""" + "".join(
    f'  - {{block: "chain:W={cin}/{c}/{c},G=1/1,k=3/3,P=i", stride: 2, shortcut: projection, norm: conv}}\n'
    f'  - {{block: "chain:W={c}/{c}/{c},G=1/1,k=3/3,P=i", shortcut: projection, norm: conv}}\n'
    for cin, c in ((64, 128), (128, 256), (256, 512)))


@pytest.fixture
def resnet18_file(tmp_path):
    path = tmp_path / "r18.yaml"
    path.write_text(RESNET18_FILE)
    return str(path)


@pytest.mark.parametrize("bn", [False, True])
def test_resnet18_as_a_stage_file_counts_as_the_preset(resnet18_file, bn):
    a, b = count_net(resnet18_file, bn=bn), count_net("resnet18", bn=bn)
    assert (a.params, a.mult_adds, a.mem_access) == (b.params, b.mult_adds, b.mem_access)


def test_resnet18_stage_file_builds_with_its_counted_params(resnet18_file):
    torch = pytest.importorskip("torch")
    from igcdesign.probe.networks import build_torch_net

    model = build_torch_net(resnet18_file, bn=True, resolution=64)
    assert sum(p.numel() for p in model.parameters()) == count_net(resnet18_file, bn=True, resolution=64).params
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 64, 64)).shape == (2, 1000)


def test_grouped_stem(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text('resolution: 32\nstem: {width: 32, k: 3, groups: 1}\n'
                    'stages:\n  - {block: "regular:C=32"}\n')
    grouped = tmp_path / "g2.yaml"
    grouped.write_text('resolution: 32\nin_channels: 4\nstem: {width: 32, k: 3, groups: 4}\n'
                       'stages:\n  - {block: "regular:C=32"}\n')
    dense = count_net(str(path), fc=False).params
    assert dense == 3 * 32 * 9 + 32 * 32 * 9
    assert count_net(str(grouped), fc=False).params == 4 * 32 * 9 // 4 + 32 * 32 * 9


@pytest.mark.parametrize("stage,words", [
    ('{block: "regular:C=8", shortcut: maybe}', "shortcut must be true or false, or projection"),
    ('{block: "regular:C=8", norm: 1}', "norm must be block or conv"),
    ('{block: "regular:C=8", norm: each}', "norm must be block or conv"),
    ('{block: "igcv3:C=8", norm: conv}', "already have a BN after every conv"),
    ('{block: "regular:C=8,s=2"}', "give the stride as the stage's stride"),
])
def test_bad_stage_keys_are_one_line_errors(cli, tmp_path, stage, words):
    path = tmp_path / "bad.yaml"
    path.write_text(f"resolution: 32\nstages:\n  - {stage}\n")
    result = cli("net", str(path), "--json")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines


@pytest.mark.parametrize("stem,words", [
    ("{width: 8, pool: min}", "stem pool must be max or avg"),
    ("{width: 8, groups: 3}", "groups do not divide"),
])
def test_bad_stem_keys_are_one_line_errors(cli, tmp_path, stem, words):
    path = tmp_path / "bad.yaml"
    path.write_text(f'resolution: 32\nstem: {stem}\nstages:\n  - {{block: "regular:C=8"}}\n')
    result = cli("net", str(path), "--json")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines


def _file(tmp_path, stage: str, name: str = "n.yaml") -> str:
    path = tmp_path / name
    path.write_text(f"resolution: 32\nstem: {{width: 8, k: 3}}\nstages:\n  - {stage}\n")
    return str(path)


def test_norm_lists_put_a_bn_after_each_run_of_convs(tmp_path):
    """Four 3×3 convs 8 → 8 with BN after the 2nd and the 4th ([2, 2]) hold 2·(2·8) BN params
    beside the 4·8·8·9 weights; norm: conv (a BN after each) 4·(2·8); the stem's 3·8·9 + 2·8."""
    block = "chain:W=8/8/8/8/8,G=1/1/1/1,k=3/3/3/3,P=i/i/i"
    weights, stem = 4 * 8 * 8 * 9, 3 * 8 * 9 + 2 * 8
    two = count_net(_file(tmp_path, f'{{block: "{block}", norm: [2, 2], shortcut: true}}'), bn=True, fc=False)
    each = count_net(_file(tmp_path, f'{{block: "{block}", norm: conv, shortcut: true}}', "c.yaml"), bn=True, fc=False)
    assert two.params == stem + weights + 2 * 2 * 8
    assert each.params == stem + weights + 4 * 2 * 8


def test_norm_lists_build_bn_where_they_say(tmp_path):
    pytest.importorskip("torch")
    from torch import nn

    from igcdesign.probe.networks import build_torch_net

    path = _file(tmp_path, '{block: "chain:W=8/8/8/8,G=1/1/1,k=3/1/3,P=i/i", norm: [2, 1]}')
    model = build_torch_net(path, bn=True, fc=False)
    kinds = [type(m).__name__ for m in model.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.ReLU))]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "Conv2d", "BatchNorm2d", "ReLU", "Conv2d",
                     "BatchNorm2d", "ReLU"]


def test_a_stage_pool_follows_the_stages_last_block(tmp_path):
    """A 3×3 max pool, stride 2, padding 1 after stage 1 maps 32 to 16: the next stage's
    weights are costed at 16×16 positions (8·8·9 per position)."""
    path = tmp_path / "p.yaml"
    path.write_text('resolution: 32\nstages:\n  - {block: "regular:C=8", repeats: 2, pool: max}\n'
                    '  - {block: "regular:C=8"}\n')
    counted = count_net(str(path), fc=False)
    assert [s.resolution for s in counted.stages] == [16, 16]
    assert counted.stages[1].mult_adds == 8 * 8 * 9 * 16 * 16


@pytest.mark.parametrize("stage,words", [
    ('{block: "regular:C=8", norm: []}', "norm: an empty list"),
    ('{block: "regular:C=8", norm: [0]}', "norm entry must be between 1"),
    ('{block: "regular:C=8", norm: [2]}', "norm [2] covers 2 convs, the block has 1"),
    ('{block: "igcv3:C=8", norm: [1, 1, 1]}', "already have a BN after every conv"),
    ('{block: "regular:C=8", pool: huge}', "stage 1 pool must be max or avg"),
])
def test_bad_norm_lists_and_pools_are_one_line_errors(cli, tmp_path, stage, words):
    result = cli("net", _file(tmp_path, stage), "--json")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines
