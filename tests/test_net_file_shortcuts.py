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
