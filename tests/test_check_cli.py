"""`igcdesign check` as a user runs it: exit codes, --json document, --perm-file, bad input."""

from __future__ import annotations

import json

import pytest

KEYS = ["spec", "verdict", "paths_min", "paths_max", "disconnected_pairs", "super_channels", "layers", "fix"]


@pytest.mark.parametrize("spec,verdict,code", [
    ("igcv1:L=4,M=8", "strict", 0),
    ("igcv2:K=1x4x4x4", "strict", 0),
    ("igcv2:C=64,K=1x4x4", "sparse", 1),
    ("igcv3:C=24,t=6,G1=2,G2=2", "relaxed", 0),
    ("chain:W=24/144/24,G=2/2,P=s", "relaxed", 0),
    ("chain:W=6/6/6/6,G=2/3/2,P=i", "redundant", 1),
    ("regular:C=8", "strict", 0),
    ("dwsep:C=8", "strict", 0),
])
def test_verdicts_and_exit_codes(cli, spec, verdict, code):
    r = cli("check", spec, "--json")
    assert r.exit_code == code, r.stderr
    doc = r.json()
    assert list(doc) == KEYS and doc["verdict"] == verdict
    human = cli("check", spec)
    assert human.exit_code == code and verdict in human.stdout


def test_json_document(cli):
    doc = cli("check", "igcv3:C=24,t=6,G1=2,G2=2", "--json").json()
    # Sun et al. 2018: C_s = G1·G2 super-channels, C_int/(G1·G2) = 144/4 paths per pair.
    assert (doc["paths_min"], doc["paths_max"], doc["super_channels"], doc["fix"]) == (36, 36, 4, None)
    assert [row["kind"] for row in doc["layers"]] == ["conv", "permute", "conv", "conv"]
    sparse = cli("check", "igcv2:C=64,K=1x4x4", "--json").json()
    assert sparse["fix"]["exists"] and sparse["fix"]["verdict"] == "strict"
    assert sparse["disconnected_pairs"] == 64 * 48


C = 65536


@pytest.mark.parametrize("spec,block,paths", [
    # two channel-wise convs, identity gap: output o sees input o alone, through one path
    (f"chain:W={C}/{C}/{C},G={C}/{C},k=3/1,P=i", 1, 1),
    # two 4096-group convs, identity gap: 4096 blocks of 16; inside a block, 16 paths per pair
    (f"chain:W={C}/{C}/{C},G=4096/4096,P=i", 16, 16),
    # IGCV2 with ∏K = 16 < C: each output sees the 16 inputs of its branch, once each
    (f"igcv2:C={C},K=1x16", 16, 1),
])
def test_large_disconnected_chains_are_checked(cli, spec, block, paths):
    r = cli("check", spec, "--json")
    assert r.exit_code == 1, r.stderr
    doc = r.json()
    # C/block independent blocks of block×block connected pairs: C² − C·block pairs are cut.
    assert (doc["verdict"], doc["paths_min"], doc["paths_max"]) == ("sparse", 0, paths)
    assert doc["disconnected_pairs"] == C * C - C * block
    assert doc["super_channels"] is None
    convs = [row for row in doc["layers"] if row["kind"] == "conv"]
    assert (convs[-1]["reach_min"], convs[-1]["reach_max"]) == (block, block)
    assert doc["fix"]["exists"] and doc["fix"]["verdict"] == "strict"


def test_large_disconnected_chain_explained(cli):
    r = cli("check", f"chain:W={C}/{C}/{C},G={C}/{C},k=3/1,P=i")
    out = " ".join(r.stdout.split())  # the console may wrap lines
    assert r.exit_code == 1 and "sparse" in out
    # the first examples in input order: input 0 never reaches outputs 1, 2, 3
    for o in (1, 2, 3):
        assert f"input channel 0 (group 0 of conv 1) never reach output channel {o} (group {o} of conv 2)" in out
    assert f"disconnected pairs: {C * C - C:,}" in out


def test_human_explains_igcv2(cli):
    out = cli("check", "igcv2:C=64,K=1x4x4").stdout
    assert "∏K_l = C" in out and "balance condition" in out and "fix" in out


def _perm_file(tmp_path, doc) -> str:
    path = tmp_path / "perms.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_perm_file_replaces_the_gaps(cli, tmp_path):
    # chain 4/4/4 with 2-group convs: the identity gap leaves two blocks, the interleave
    # [0, 2, 1, 3] (view (2,2), transpose) makes it strict.
    spec = "chain:W=4/4/4,G=2/2,P=s"
    same = cli("check", spec, "--json", "--perm-file", _perm_file(tmp_path, [[0, 1, 2, 3]]))
    assert same.exit_code == 1 and same.json()["verdict"] == "sparse"
    good = cli("check", spec, "--json", "--perm-file", _perm_file(tmp_path, [[0, 2, 1, 3]]))
    assert good.exit_code == 0 and good.json()["verdict"] == "strict"


@pytest.mark.parametrize("doc", [
    [[0, 1, 2]],            # wrong length
    [[0, 1, 1, 3]],         # repeated index
    [[0, 1, 2, 4]],         # out of range
    [[0, 1, 2, 3], [0]],    # too many gaps
    [[0.0, 1, 2, 3]],       # not integers
    [[True, 0, 2, 3]],      # booleans are not indices
    {"gap": [0, 1, 2, 3]},  # not a list
])
def test_bad_perm_files(cli, tmp_path, doc):
    r = cli("check", "chain:W=4/4/4,G=2/2", "--perm-file", _perm_file(tmp_path, doc))
    assert r.exit_code == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1


def test_perm_file_missing_or_not_json(cli, tmp_path):
    for path in (str(tmp_path / "nope.json"),):
        r = cli("check", "chain:W=4/4/4,G=2/2", "--perm-file", path)
        assert r.exit_code == 2 and r.stdout == ""
    bad = tmp_path / "bad.json"
    bad.write_text("[[0, 1,")
    r = cli("check", "chain:W=4/4/4,G=2/2", "--perm-file", str(bad))
    assert r.exit_code == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("spec", [
    "chain:W=24/144,G=2/2",            # lengths of W and G don't match
    "chain:W=24/144/24,G=2/2,P=s/s",  # too many gap tokens
    "chain:W=24/144/24,G=5/2",        # groups don't divide
    "chain:W=24/144/24,G=2/2,P=7",    # shuffle groups don't divide the width
    "chain:W=24/144/24,G=2/2,P=x",    # not a gap token
    "igcv2:K=1x100000x100000",        # 10^10 channels
    "chain:W=10000000000/10000000000,G=1",
    "igcv2:C=64,K=1x5x4",
    "nonsense",
])
def test_bad_specs_exit_2_with_one_line(cli, spec):
    r = cli("check", spec, "--json")
    assert r.exit_code == 2, r.stdout
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_check_module_imports_stay_light():
    import subprocess
    import sys

    code = ("import igcdesign.commands.check, sys; "
            "print([m for m in ('torch','pandas','matplotlib','sympy','numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
