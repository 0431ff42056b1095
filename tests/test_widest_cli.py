"""`igcdesign widest` as a user runs it: budgets in every accepted spelling, JSON schema, bad input."""

from __future__ import annotations

import math

import pytest


@pytest.mark.parametrize(
    "text, value",
    [("4672", 4672), ("1e6", 10**6), ("1_000_000", 10**6), ("2.5M", 2_500_000), ("17.5k", 17_500), ("1E3", 1000)],
)
def test_budget_spellings(cli, text, value):
    doc = cli("widest", "--params", text, "--kernel", "3", "--json").json()
    assert doc["budget"] == value and doc["kernel"] == 3


def test_json_schema_and_counts_agree_with_count(cli):
    doc = cli("widest", "--params", "1e6", "--kernel", "3", "--json").json()
    families = [r["family"] for r in doc["results"]]
    assert families == ["regular", "dwsep", "igcv1", "igcv2", "igcv3"]
    for r in doc["results"]:
        assert set(r) >= {"family", "width", "params", "config", "bound"}
        assert isinstance(r["bound"]["width"], float)
        assert r["params"] <= 10**6
        counted = cli("count", r["spec"], "--json").json()
        assert counted["params"] == r["params"] and counted["width"] == r["width"]
    by = {r["family"]: r for r in doc["results"]}
    assert set(by["igcv1"]["config"]) == {"L", "M"}
    assert by["igcv2"]["config"]["K"][0] == 1 and math.prod(by["igcv2"]["config"]["K"]) == by["igcv2"]["width"]
    assert set(by["igcv3"]["config"]) == {"C", "t", "G1", "G2"}
    assert doc["rule"] == "checked" and "check" in doc["rule_meaning"]
    assert by["igcv3"]["width"] == 402  # relaxed per check, though 402 is no multiple of G1·G2
    assert cli("check", by["igcv3"]["spec"]).exit_code == 0
    paper = {r["family"]: r for r in cli("widest", "-p", "1e6", "--rule", "paper", "--json").json()["results"]}
    assert paper["igcv3"]["width"] % (paper["igcv3"]["config"]["G1"] * paper["igcv3"]["config"]["G2"]) == 0
    assert set(by["regular"]["config"]) == {"C"}


def test_family_restriction_and_igcv3_options(cli):
    doc = cli("widest", "--params", "1e5", "--family", "igcv3", "--expansion", "4", "--g1", "4", "--g2", "2",
              "--json").json()
    (r,) = doc["results"]
    assert r["config"]["t"] == 4 and r["config"]["G1"] == 4 and r["width"] % 8 == 0
    doc = cli("widest", "--params", "1e5", "-f", "igcv1,igcv2", "--json").json()
    assert [r["family"] for r in doc["results"]] == ["igcv1", "igcv2"]


def test_budget_too_small_is_said(cli):
    doc = cli("widest", "--params", "9", "--kernel", "3", "--json").json()
    by = {r["family"]: r for r in doc["results"]}
    assert by["regular"]["width"] == 1  # 9 = S·1²
    assert by["igcv1"]["width"] is None and "too small" in by["igcv1"]["note"]
    human = cli("widest", "--params", "9")
    assert human.exit_code == 0 and "too small" in human.stdout


def test_rich_output_shows_the_issue_example(cli):
    out = cli("widest", "--params", "1e6", "--kernel", "3").stdout
    assert "3,024" in out and "997,920" in out and "3,028.53" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--params", "0"], ["--params", "-5"], ["--params", "1.5"], ["--params", "nan"], ["--params", "1e400"],
        ["--params", "abc"], ["--params", "1e30"], ["--params", "inf"], ["--params", "2.5.5"],
        ["--params", "1e6", "--kernel", "0"], ["--params", "1e6", "--kernel", "2.5"],
        ["--params", "1e6", "--family", "igcv9"], ["--params", "1e6", "--g1", "0"], [],
    ],
)
def test_bad_input_is_one_line_exit_2(cli, args):
    result = cli("widest", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igcdesign: error:")


def test_largest_supported_budget_answers(cli):
    doc = cli("widest", "--params", "1e18", "--json").json()
    assert all(r["params"] <= 10**18 for r in doc["results"])
