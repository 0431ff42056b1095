"""Whole networks: paper tables, closed forms, spec/file validation and the `net` command.

Expected numbers come from the papers (igcdesign/data/igcv1_table3_cifar.csv, docs/networks.md) or from
closed forms written here from the layer tables, never from running the code under test.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igcdesign.errors import IGCError, SpecError
from igcdesign.nets import count_net, parse_net
from igcdesign.nets.imagenet import make_divisible

# --- IGCV1 Table 3 (igcdesign/data/igcv1_table3_cifar.csv) ---------------------------------------


def table3_spec(network: str, depth: int) -> str:
    """'RegConv-W16' / 'IGC-L4M8' as printed in the paper → our network spec."""
    if m := re.fullmatch(r"RegConv-W(\d+)", network):
        return f"regular-cifar:C={m[1]},D={depth}"
    m = re.fullmatch(r"IGC-L(\d+)M(\d+)", network)
    assert m, network
    return f"igcv1-cifar:L={m[1]},M={m[2]},D={depth}"


def at_printed_precision(exact: int, scale: int, printed: str) -> Decimal:
    """exact / scale rounded half-up to as many decimals as the printed value shows."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return (Decimal(exact) / Decimal(scale)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def table3_rows(reference):
    with open(reference / "igcv1_table3_cifar.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_igcv1_table3_reproduces_at_printed_precision(reference):
    rows = table3_rows(reference)
    assert len(rows) == 8
    for row in rows:
        counted = count_net(table3_spec(row["network"], int(row["depth"])))
        assert at_printed_precision(counted.params, 10**6, row["params_M"]) == Decimal(row["params_M"]), row
        assert at_printed_precision(counted.mult_adds, 10**8, row["mult_adds_1e8"]) == Decimal(row["mult_adds_1e8"]), row


# --- closed forms of the CIFAR layouts (networks.md) ----------------------------------------


def igcv1_cifar_closed_form(L: int, M: int, D: int, classes: int = 10) -> tuple[int, int]:
    """params, mult_adds of IGC-LxMy: T(M) = 9·L·M² + M·L² per block, down-sampling block
    9·(G/2)·G/L + G²/M', all at the stage's output map; stem 27·G on 32²; FC with bias."""
    B, G = (D - 2) // 3, L * M
    params = 27 * G
    macs = 27 * G * 32 * 32
    for s in range(3):
        Ms, Gs, side = M << s, G << s, 32 >> s
        block = 9 * L * Ms * Ms + Ms * L * L
        down = 9 * (Gs // 2) * Gs // L + Gs * Gs // Ms if s else block
        stage = down + (B - 1) * block
        params += stage
        macs += stage * side * side
    params += 4 * G * classes + classes
    macs += 4 * G * classes
    return params, macs


def regular_cifar_closed_form(C: int, D: int, classes: int = 10) -> tuple[int, int]:
    B = (D - 2) // 3
    params, macs = 27 * C, 27 * C * 1024
    for s in range(3):
        W, side = C << s, 32 >> s
        stage = 9 * (W // 2 if s else W) * W + (B - 1) * 9 * W * W
        params += stage
        macs += stage * side * side
    return params + 4 * C * classes + classes, macs + 4 * C * classes


@settings(max_examples=40, deadline=None)
@given(L=st.integers(1, 12), M=st.integers(1, 12), B=st.integers(1, 8), classes=st.integers(1, 200))
def test_igcv1_cifar_matches_closed_form(L, M, B, classes):
    D = 3 * B + 2
    counted = count_net(f"igcv1-cifar:L={L},M={M},D={D}", classes=classes)
    assert (counted.params, counted.mult_adds) == igcv1_cifar_closed_form(L, M, D, classes)


@settings(max_examples=30, deadline=None)
@given(C=st.integers(1, 64), B=st.integers(1, 8))
def test_regular_cifar_matches_closed_form(C, B):
    D = 3 * B + 2
    counted = count_net(f"regular-cifar:C={C},D={D}")
    assert (counted.params, counted.mult_adds) == regular_cifar_closed_form(C, D)


def test_dwsep_and_igcv2_cifar_closed_forms():
    # Xception C=35, D=8 (B=2): every block 9·W + W² — the down-sampling block's channel-wise conv
    # maps W/2 → W with W/2 groups (channel multiplier 2), which is still 9·W weights.
    C, B = 35, 2
    params = 27 * C
    for s in range(3):
        W = C << s
        params += B * (9 * W + W * W)
    assert count_net(f"dwsep-cifar:C={C},D=8").params == params + 4 * C * 10 + 10
    # IGCV2 C=64, K=8/16/32, D=8: block 1x(K)x(W/K) → W·(9 + K + W/K).
    params = 27 * 64
    for s, K in enumerate((8, 16, 32)):
        W = 64 << s
        params += B * W * (9 + K + W // K)
    assert count_net("igcv2-cifar:C=64,K=8/16/32,D=8").params == params + 256 * 10 + 10


def test_cifar_stage_rows():
    counted = count_net("igcv1-cifar:L=4,M=8,D=20", bn=True)
    names = [s.name for s in counted.stages]
    assert names == ["stem", "stage 1", "stage 2", "stage 3", "classifier"]
    assert [s.width for s in counted.stages] == [32, 32, 64, 128, 10]
    assert [s.resolution for s in counted.stages] == [32, 32, 16, 8, 1]
    assert [s.blocks for s in counted.stages] == [1, 6, 6, 6, 1]
    # one BN per conv stem and per IGC block (official plain_igc.py): 2·width each
    assert [s.bn_params for s in counted.stages] == [64, 6 * 64, 6 * 128, 6 * 256, 0]
    assert counted.params == sum(s.params for s in counted.stages)
    assert counted.params == count_net("igcv1-cifar:L=4,M=8,D=20").params + 64 + 6 * (64 + 128 + 256)


# --- ImageNet networks (networks.md layer tables) -------------------------------------------

MBV2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
IGCV3D = ((1, 16, 1, 1), (6, 24, 4, 2), (6, 32, 6, 2), (6, 64, 8, 2), (6, 96, 6, 1), (6, 160, 6, 2), (6, 320, 1, 1))


def inverted_closed_form(table, G1: int, G2: int, mobilenet: bool, bn: bool, side: int = 224, classes: int = 1000):
    """params, mult_adds from a (t, c, n, s) table written out by hand."""
    params = 27 * 32 + (64 if bn else 0)
    side //= 2
    macs = 27 * 32 * side * side
    cin = 32
    for t, c, n, s in table:
        for j in range(n):
            stride = s if j == 0 else 1
            hidden = t * cin
            expand = 0 if (mobilenet and t == 1) else cin * hidden // G1
            dw, reduce = 9 * hidden, hidden * c // G2
            out = side // stride
            macs += expand * side * side + (dw + reduce) * out * out
            params += expand + dw + reduce
            if bn:
                params += 2 * (hidden * (0 if (mobilenet and t == 1) else 1) + hidden + c)
            side, cin = out, c
    params += cin * 1280 + (2 * 1280 if bn else 0)
    macs += cin * 1280 * side * side
    return params + 1280 * classes + classes, macs + 1280 * classes


def test_mobilenetv2_matches_layer_table():
    for bn in (False, True):
        counted = count_net("mobilenetv2", bn=bn)
        assert (counted.params, counted.mult_adds) == inverted_closed_form(MBV2, 1, 1, True, bn)


def test_mobilenetv2_with_bn_matches_torchvision():
    # torchvision.models.mobilenet_v2 (MobileNet_V2_Weights.IMAGENET1K_V1 docs): num_params 3,504,872
    # (conv weights + BN γ/β + FC weights and bias).
    assert count_net("mobilenetv2", bn=True).params == 3504872


def test_igcv3_d_matches_layer_table():
    for bn in (False, True):
        counted = count_net("igcv3-imagenet:G1=2,G2=2", bn=bn)
        assert (counted.params, counted.mult_adds) == inverted_closed_form(IGCV3D, 2, 2, False, bn)
    counted = count_net("igcv3-imagenet:G1=1,G2=4")
    assert (counted.params, counted.mult_adds) == inverted_closed_form(IGCV3D, 1, 4, False, False)


def test_imagenet_stage_rows_and_resolution():
    counted = count_net("mobilenetv2", resolution=160, fc=False)
    assert [s.name for s in counted.stages] == ["stem"] + [f"stage {i}" for i in range(1, 8)] + ["head"]
    assert [s.resolution for s in counted.stages] == [80, 80, 40, 20, 10, 10, 5, 5, 5]
    assert [s.width for s in counted.stages] == [32, 16, 24, 32, 64, 96, 160, 320, 1280]
    p, m = inverted_closed_form(MBV2, 1, 1, True, False, side=160, classes=1)
    assert (counted.params, counted.mult_adds) == (p - 1280 - 1, m - 1280)


def brute_make_divisible(v: Fraction, d: int = 8) -> int:
    """Nearest multiple of d to v (ties up), at least d, plus d when more than 10 % below v."""
    candidates = [d * i for i in range(0, floor(v / d) + 3)]
    best = min(candidates, key=lambda m: (abs(m - v), -m))
    best = max(best, d)
    return best + d if best < Fraction(9, 10) * v else best


@settings(max_examples=200, deadline=None)
@given(st.fractions(min_value=Fraction(1, 100), max_value=Fraction(4000), max_denominator=1000))
def test_make_divisible_against_brute_force(v):
    assert make_divisible(v) == brute_make_divisible(v)


def test_alpha_widths():
    net = parse_net("mobilenetv2:alpha=1.0")
    assert net.name == "mobilenetv2"
    assert [s.cout for s in net.stages] == [32, 16, 24, 32, 64, 96, 160, 320, 1280]
    net = parse_net("mobilenetv2:alpha=0.35")
    expected = [brute_make_divisible(Fraction(35, 100) * c) for c in (32, 16, 24, 32, 64, 96, 160, 320)]
    assert [s.cout for s in net.stages] == expected + [1280]
    net = parse_net("igcv3-imagenet:G1=2,G2=2,alpha=1.4")
    assert net.stages[-1].cout == brute_make_divisible(Fraction(1280 * 14, 10))
    assert net.name == "igcv3-imagenet:G1=2,G2=2,alpha=1.4"


def test_t_override_keeps_the_t1_stage():
    net = parse_net("mobilenetv2:t=4")
    first = net.stages[1].units[0]
    assert [c.cout for c in first.convs] == [32, 16]  # no expansion conv (t = 1 stage)
    second = net.stages[2].units[0]
    assert second.convs[0].cout == 4 * 16
    igc = parse_net("igcv3-imagenet:G1=2,G2=2,t=3")
    assert igc.stages[1].units[0].convs[0].cout == 32  # t = 1 block keeps t = 1
    assert igc.stages[2].units[0].convs[0].cout == 3 * 16


def test_shortcuts_and_strides():
    net = parse_net("mobilenetv2")
    units = list(net.units())
    assert sum(u.shortcut for u in units) == 10  # n−1 per stage: 0+1+2+3+2+2+0
    assert net.total_stride == 32
    strided = [c for u in units for c in u.convs if c.stride == 2]
    assert all(c.groups == c.cin for c in strided[1:])  # the channel-wise conv carries the stride


# --- user stage files -----------------------------------------------------------------------

IGC_YAML = """
name: igc-l4m8-d8
resolution: 32
classes: 10
stem: {width: 32}
stages:
  - {block: "igcv1:L=4,M=8", repeats: 2, width: 32}
  - {block: "igcv1:L=4,M=16", repeats: 2, stride: 2, width: 64}
  - {block: "igcv1:L=4", repeats: 2, stride: 2, width: 128}
"""


def test_yaml_file_reproduces_preset(tmp_path):
    path = tmp_path / "igc.yaml"
    path.write_text(IGC_YAML)
    for bn in (False, True):
        mine, preset = count_net(str(path), bn=bn), count_net("igcv1-cifar:L=4,M=8,D=8", bn=bn)
        assert mine.net == "igc-l4m8-d8"
        assert (mine.params, mine.mult_adds, mine.mem_access) == (preset.params, preset.mult_adds, preset.mem_access)


def mobilenetv2_json() -> dict:
    stages = [{"block": "chain:W=32/32/16,G=32/1,k=3/1"}]
    for t, c, n, s in MBV2[1:]:
        stages.append({"block": f"mobilenetv2:t={t}", "repeats": n, "stride": s, "width": c, "shortcut": True})
    return {"resolution": 224, "stem": {"width": 32, "stride": 2}, "stages": stages, "head": {"width": 1280}}


def test_json_file_reproduces_mobilenetv2_counts(tmp_path):
    path = tmp_path / "mbv2.json"
    path.write_text(json.dumps(mobilenetv2_json()))
    mine, preset = count_net(str(path)), count_net("mobilenetv2")
    assert (mine.params, mine.mult_adds, mine.mem_access) == (preset.params, preset.mult_adds, preset.mem_access)
    assert sum(u.shortcut for u in parse_net(str(path)).units()) == 10


@pytest.mark.parametrize(
    "text, message",
    [
        ("- just a list", "must be a mapping"),
        ("stages: []", "non-empty list"),
        ("stages: [{block: 'regular:C=8'}]\nfoo: 1", "unknown key 'foo'"),
        ("stages: [{block: 'regular:C=8', repeats: two}]", "repeats must be an integer"),
        ("stages: [{block: 'regular:C=8', repeats: 0}]", "repeats must be between"),
        ("stages: [{block: 'nosuch:C=8'}]", "unknown family"),
        ("stages: [{repeats: 2}]", "needs block"),
        ("stages: [{block: 'igcv1:L=3,M=8', width: 32}]", "not a multiple of igcv1 L=3"),
        ("stages: [{block: 'chain:W=8/8,G=1'}]", "receives 3"),
        ("stages: [{block: 'regular:C=8', shortcut: 1}]", "true or false"),
        ("stages: [{block: 'regular:C=8,k=2'}]", "odd"),
        ("stem: {width: 8}\nstages: [{block: 'igcv1:L=3,M=4'}]", "groups do not divide"),
        ("stages: [{block: 'regular:C=8'}\n", "invalid YAML"),
    ],
)
def test_bad_files_fail_with_one_line(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        count_net(str(path))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, message",
    [
        ("igcv1-cifar:L=4,M=8,D=21", "D = 3B + 2"),
        ("igcv1-cifar:L=4,M=8,D=2", "D = 3B + 2"),
        ("igcv1-cifar:L=4", "needs M="),
        ("igcv1-cifar:L=4,M=8,X=1", "unknown key 'X'"),
        ("resnet-cifar:C=16", "unknown network 'resnet-cifar'"),
        ("igcv2-cifar:C=64,K=7/16/32", "does not divide the stage width 64"),
        ("igcv2-cifar:C=64,K=8/16", "2 values for 3 stages"),
        ("igcv2-cifar:C=64", "needs K="),
        ("igcv3-imagenet:G1=3,G2=2", "do not divide"),
        ("mobilenetv2:alpha=abc", "not a plain decimal"),
        ("mobilenetv2:alpha=0", "must be in"),
        ("mobilenetv2:t=0", "must be positive"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(SpecError) as err:
        count_net(spec)
    assert message in str(err.value)


def test_bad_options():
    with pytest.raises(IGCError, match="--classes"):
        count_net("mobilenetv2", classes=0)
    with pytest.raises(IGCError, match="too small for its strides"):
        count_net("mobilenetv2", resolution=16)
    with pytest.raises(IGCError, match="multiple of 4"):
        count_net("igcv1-cifar:L=4,M=8,D=8", resolution=30)
    assert count_net("igcv1-cifar:L=4,M=8,D=8", resolution=4).stages[-2].resolution == 1


def test_counting_does_not_import_torch(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(IGC_YAML)
    code = (
        "import sys\n"
        "from igcdesign.nets import count_net, PRESETS\n"
        "from igcdesign.nets.probe_hook import net_target\n"
        "for s in ['igcv1-cifar:L=4,M=8', 'regular-cifar:C=16', 'dwsep-cifar:C=35', 'igcv2-cifar:C=64,K=8/16/32',"
        " 'igcv3-imagenet:G1=2,G2=2', 'mobilenetv2:alpha=0.5', sys.argv[1]]:\n"
        "    count_net(s, bn=True); net_target(s, 32)\n"
        "print(sorted(m for m in ('torch', 'pandas', 'matplotlib', 'sympy', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the command ----------------------------------------------------------------------------


def test_cli_json_one_net(cli, reference):
    result = cli("net", "igcv1-cifar:L=24,M=2,D=8", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert {"net", "params", "mult_adds", "stages"} <= set(doc)
    row = next(r for r in table3_rows(reference) if r["network"] == "IGC-L24M2" and r["depth"] == "8")
    assert at_printed_precision(doc["params"], 10**6, row["params_M"]) == Decimal(row["params_M"])
    assert {"name", "params", "mult_adds", "mem_access", "width", "resolution"} <= set(doc["stages"][0])
    assert doc["params"] == sum(s["params"] for s in doc["stages"])


def test_cli_options_change_counts(cli):
    base = cli("net", "regular-cifar:C=16,D=8", "--json").json()
    no_fc = cli("net", "regular-cifar:C=16,D=8", "--no-fc", "--json").json()
    assert base["params"] - no_fc["params"] == 64 * 10 + 10
    hundred = cli("net", "regular-cifar:C=16,D=8", "--classes", "100", "--json").json()
    assert hundred["params"] - base["params"] == 64 * 90 + 90
    bn = cli("net", "regular-cifar:C=16,D=8", "--bn", "--json").json()
    assert bn["params"] - base["params"] == 2 * (16 + 2 * 16 + 2 * 32 + 2 * 64)
    res = cli("net", "regular-cifar:C=16,D=8", "--resolution", "64", "--no-fc", "--json").json()
    assert res["mult_adds"] == 4 * no_fc["mult_adds"]


def test_cli_compare_json(cli):
    result = cli("net", "regular-cifar:C=16,D=20", "igcv1-cifar:L=24,M=2,D=20", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    assert doc["baseline"] == "regular-cifar:C=16,D=20"
    first, second = doc["nets"]
    assert first["ratios"] == {"params": 1.0, "mult_adds": 1.0, "mem_access": 1.0}
    assert second["ratios"]["params"] == second["params"] / first["params"]
    assert second["ratios"]["mult_adds"] == second["mult_adds"] / first["mult_adds"]


def test_cli_rich_output(cli):
    result = cli("net", "mobilenetv2")
    assert result.exit_code == 0
    assert "stage 7" in result.stdout and "head" in result.stdout and "classifier" in result.stdout
    result = cli("net", "mobilenetv2", "igcv3-imagenet:G1=2,G2=2")
    assert result.exit_code == 0 and "#2" in result.stdout and "igcv3-imagenet:G1=2,G2=2" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("igcv1-cifar:L=4,M=8,D=9",),
        ("igcv1-cifar:L=3,M=8,D=8", "--resolution", "6"),
        ("nosuch:C=1",),
        ("mobilenetv2", "--classes", "0"),
        ("mobilenetv2", "--resolution", "16"),
        ("igcv3-imagenet:G1=16,G2=16",),
        ("missing-file.yaml",),
        ("igcv1-cifar:L=4,M=8", "mobilenetv2:alpha=-1"),
    ],
)
def test_cli_errors_exit_2_with_one_line(cli, args):
    result = cli("net", *args, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("igcdesign: error: ") and result.stderr.count("\n") == 1
