"""Every spec the tool prints pastes back into every command.

The specs printed by widest, table, space, check and net (human output and --json, and table's
--csv) are collected and fed back to `count` and `check`, which must take them (exit 0, or 1
for check's verdict) and count the same block. A chain whose gaps came from `check
--perm-file` is printed with its permutations inline, and that spec checks and counts the same
as the original spec with the file.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re

import pytest
from hypothesis import given, settings, strategies as st

from igcdesign.families import parse_block
from igcdesign.families.chain import MAX_INLINE_SPEC, chain_spec, parse_perm, perm_token

BLOCK_SPEC = re.compile(r"(?<![\w-])(?:regular|dwsep|igcv1|igcv2|igcv3|mobilenetv2|chain):[A-Za-z0-9=,./x-]+")
NET_SPEC = re.compile(r"(?<![\w-])[a-z0-9]+-(?:cifar|imagenet)(?::[A-Za-z0-9=,./]+)?")


def specs_in(text: str) -> set[str]:
    return {m.rstrip(",.") for m in BLOCK_SPEC.findall(text)}


def json_specs(doc) -> set[str]:
    """Every string value of a JSON document that is a block spec."""
    found: set[str] = set()
    if isinstance(doc, dict):
        for value in doc.values():
            found |= json_specs(value)
    elif isinstance(doc, list):
        for value in doc:
            found |= json_specs(value)
    elif isinstance(doc, str) and BLOCK_SPEC.fullmatch(doc):
        found.add(doc)
    return found


PRINTERS = [
    ["widest", "-p", "1e6"],
    ["widest", "-p", "17536", "-k", "5"],
    ["widest", "-p", "1e9"],
    ["table", "-p", "4672"],
    ["table", "-p", "1e6", "-f", "igcv3"],
    ["table", "-p", "17536", "-f", "igcv2"],
    ["space", "-f", "igcv1", "-p", "1e4", "--top", "5"],
    ["space", "-f", "igcv2", "-p", "1e5", "--top", "5"],
    ["space", "-f", "igcv3", "-p", "1e5", "--top", "5"],
    ["check", "igcv2:C=64,K=1x4x4"],
    ["check", "chain:W=8/8/8,G=2/4,k=1/1,P=i"],
    ["check", "igcv3:C=24,t=6,G1=2,G2=2"],
    ["check", "igcv3:C=24,t=6,G1=2,G2=2,s=2"],  # strided: the spec and its fixes keep s=
    ["check", "chain:W=8/16/16/8,G=2/16/4,k=1/3/1,s=1/2/1,P=i"],
]


def printed_specs(cli, args) -> set[str]:
    human = cli(*args)
    assert human.exit_code in (0, 1), human.stderr
    doc = cli(*args, "--json")
    assert doc.exit_code in (0, 1), doc.stderr
    found = specs_in(human.stdout) | json_specs(doc.json())
    if args[0] == "table":
        rows = list(csv.DictReader(io.StringIO(cli(*args, "--csv").stdout)))
        assert rows and all(r["spec"] for r in rows)
        found |= {r["spec"] for r in rows}
    return found


def paste_back(cli, spec: str) -> dict:
    counted = cli("count", spec, "--json")
    assert counted.exit_code == 0, (spec, counted.stderr)
    assert counted.json()["spec"] == parse_block(spec).spec
    checked = cli("check", spec, "--json")
    if checked.exit_code == 2 and "limit of check" in checked.stderr:
        return counted.json()  # parsed, but wider than check's stated bound (blocks of 1e9 params)
    assert checked.exit_code in (0, 1), (spec, checked.stderr)
    assert checked.json()["spec"] == counted.json()["spec"]
    return counted.json()


@pytest.mark.parametrize("args", PRINTERS, ids=[" ".join(a) for a in PRINTERS])
def test_every_printed_spec_pastes_back(cli, args):
    found = printed_specs(cli, args)
    assert found, "no spec printed"
    for spec in found:
        paste_back(cli, spec)


def test_widest_specs_count_what_widest_says(cli):
    doc = cli("widest", "-p", "1e6", "--json").json()
    human = cli("widest", "-p", "1e6").stdout
    for r in doc["results"]:
        assert r["spec"] in specs_in(human)
        counted = paste_back(cli, r["spec"])
        assert counted["params"] == r["params"] and counted["width"] == r["width"]


def test_table_rows_count_what_the_row_says(cli):
    for args in (["-p", "4672"], ["-p", "1e6", "-f", "igcv3"], ["-p", "17536", "-f", "igcv2"]):
        for row in cli("table", *args, "--json").json()["rows"]:
            assert paste_back(cli, row["spec"])["params"] == row["params"]


def test_space_rows_count_what_the_row_says(cli):
    for family in ("igcv1", "igcv2", "igcv3"):
        doc = cli("space", "-f", family, "-p", "2e4", "--top", "8", "--json").json()
        for row in doc["rows"]:
            counted = paste_back(cli, row["config"])
            assert (counted["params"], counted["mult_adds"], counted["mem_access"]) == \
                (row["params"], row["mult_adds"], row["mem_access"])


def test_net_specs_paste_back(cli):
    args = ["igcv1-cifar:L=24,M=2,D=20", "regular-cifar:C=16,D=20"]
    human = cli("net", *args).stdout
    doc = cli("net", *args, "--json").json()
    printed = set(NET_SPEC.findall(human)) | {n["net"] for n in doc["nets"]}
    assert set(args) <= printed
    for spec in printed:
        again = cli("net", spec, "--json")
        assert again.exit_code == 0, (spec, again.stderr)
        assert again.json()["params"] == next(n["params"] for n in doc["nets"] if n["net"] == spec)


def _perm_case(tmp_path, spec: str, seed: int):
    block = parse_block(spec)
    from igcdesign.connectivity.perms import gap_widths

    rng = random.Random(seed)
    perms = []
    for width in gap_widths(block.chain):
        p = list(range(width))
        rng.shuffle(p)
        perms.append(p)
    path = tmp_path / f"perm{seed}.json"
    path.write_text(json.dumps(perms))
    return path


@pytest.mark.parametrize("spec", ["chain:W=8/8/8,G=2/2,k=1/1", "igcv1:L=4,M=8", "igcv3:C=24,t=6,G1=2,G2=2",
                                  "igcv2:K=1x4x4x4,k=3", "chain:W=12/24/24/12,G=3/24/4,k=1/3/1,P=s/2"])
def test_perm_file_chain_prints_a_spec_that_checks_and_counts_the_same(cli, tmp_path, spec):
    path = _perm_case(tmp_path, spec, 7)
    original = cli("check", spec, "--perm-file", str(path), "--json")
    assert original.exit_code in (0, 1), original.stderr
    doc = original.json()
    assert "perm_file" not in doc  # short enough to write inline
    human = cli("check", spec, "--perm-file", str(path)).stdout
    assert doc["spec"] in specs_in(human)
    again = cli("check", doc["spec"], "--json")
    assert again.exit_code == original.exit_code
    same = ("verdict", "paths_min", "paths_max", "disconnected_pairs", "super_channels")
    assert {k: again.json()[k] for k in same} == {k: doc[k] for k in same}
    # the same convs and the same counts as the original block: the file only moves channels
    counted = cli("count", doc["spec"], "--json").json()
    base = cli("count", spec, "--json").json()
    assert counted["params"] == base["params"] and counted["mult_adds"] == base["mult_adds"]
    assert [r.get("params") for r in again.json()["layers"]] == [r.get("params") for r in doc["layers"]]


def test_a_perm_file_too_long_to_inline_prints_the_spec_and_the_file_it_needs(cli, tmp_path):
    spec = "chain:W=4096/4096/4096,G=64/64,k=1/1"
    path = _perm_case(tmp_path, spec, 3)
    doc = cli("check", spec, "--perm-file", str(path), "--json").json()
    assert doc["perm_file"] == str(path) and doc["spec"] == parse_block(spec).spec
    human = cli("check", spec, "--perm-file", str(path)).stdout
    assert human.splitlines()[0].startswith(f"{doc['spec']} --perm-file {path}")
    again = cli("check", doc["spec"], "--perm-file", doc["perm_file"], "--json").json()
    assert again["verdict"] == doc["verdict"] and again["paths_max"] == doc["paths_max"]


def test_inline_limit_is_within_what_the_parser_takes():
    from igcdesign import spec as grammar

    assert MAX_INLINE_SPEC <= getattr(grammar, "MAX_SPEC_CHARS", MAX_INLINE_SPEC)


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(12))))
def test_perm_token_round_trips(perm):
    token = perm_token(perm)
    assert ("." in token or "-" in token) and parse_perm(token, "P") == tuple(perm)


def test_perm_token_writes_runs():
    assert perm_token(tuple(range(4, 8)) + tuple(range(4))) == "4-7.0-3"
    assert perm_token((1, 0, 2)) == "1.0.2" and perm_token((0,)) == "0-0"


def test_chain_spec_of_a_composed_gap_is_the_composition():
    # two permutations in one gap compose: output j of the pair is input a[b[j]]
    from igcdesign.layers import GroupConv, Permute

    a, b = (1, 2, 3, 0), (3, 2, 1, 0)
    chain = (GroupConv(4, 4, 2, 1), Permute(4, perm=a), Permute(4, perm=b), GroupConv(4, 4, 2, 1))
    spec = chain_spec(chain)
    gap = parse_block(spec).config["P"][0]
    assert gap == tuple(a[b[j]] for j in range(4))


@pytest.mark.parametrize("spec,needle", [
    ("chain:W=8/8/8,G=2/2,k=1/1,P=0-4194304", "more than 4,194,304"),  # refused before expanding
    ("chain:W=8/8/8,G=2/2,k=1/1,P=7-0", "backwards"),
    ("chain:W=8/8/8,G=2/2,k=1/1,P=0.1.2.x", "not a channel index"),
    ("chain:W=8/8/8,G=2/2,k=1/1,P=0-6", "not a permutation of 8"),
    ("chain:W=8/8/8,G=2/2,k=1/1,P=0-6.6", "not a permutation of 8"),
    ("chain:W=8/8/8,G=2/2,k=1/1,tail=1.0", "not a permutation of 8"),
])
def test_bad_inline_permutations_are_one_line_errors(cli, spec, needle):
    for command in ("count", "check"):
        result = cli(command, spec)
        assert result.exit_code == 2 and result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1 and needle in result.stderr
