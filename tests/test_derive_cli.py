"""`igcdesign derive` as a user runs it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("family", ["igcv1", "igcv2", "igcv3"])
def test_derive_json_steps(cli, family):
    result = cli("derive", family, "--json")
    assert result.exit_code == 0
    doc = result.json()
    assert doc["family"] == family
    assert all(set(step) == {"title", "text", "latex", "note"} for step in doc["steps"])


def test_derive_igcv1_reaches_L_equals_MS_and_the_width_bound(cli):
    texts = [s["text"] for s in cli("derive", "igcv1", "--json").json()["steps"]]
    assert "Eq(L, M*S)" in texts
    assert any("L/(L - 1) < M*S" in t for t in texts)


def test_derive_igcv2_reaches_ln_SC(cli):
    texts = [s["text"] for s in cli("derive", "igcv2", "--json").json()["steps"]]
    assert "Eq(L, log(C*S))" in texts and "Eq(Q, E*C*log(C*S))" in texts


def test_derive_pretty_and_latex(cli):
    pretty = cli("derive", "igcv3")
    assert pretty.exit_code == 0
    assert "With C_int = t·C" in pretty.stdout  # the step's title
    assert "Cᵢₙₜ" in pretty.stdout  # sympy's pretty printer writes the symbol with subscripts
    latex = cli("derive", "igcv1", "--latex")
    assert latex.exit_code == 0
    assert "\\frac" in latex.stdout and "Cᵢₙₜ" not in latex.stdout


def test_derive_unknown_family(cli):
    result = cli("derive", "igcv4")
    assert result.exit_code == 2 and result.stderr.startswith("igcdesign: error:")
