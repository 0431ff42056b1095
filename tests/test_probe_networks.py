"""`igcdesign probe` takes whole networks: the torch network has exactly `net`'s params."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")


def test_probe_accepts_network_specs(cli):
    result = cli("probe", "igcv1-cifar:L=4,M=8,D=8", "regular-cifar:C=16,D=8", "--batch", "1,2",
                 "--min-time", "0.01", "--threads", "1", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["baseline"] is None  # a single conv is no baseline for a network
    rows = result.json()["results"]
    for spec in ("igcv1-cifar:L=4,M=8,D=8", "regular-cifar:C=16,D=8"):
        counted = cli("net", spec, "--json").json()
        mine = [r for r in rows if r["spec"].startswith(spec.split(":")[0]) and not r["is_baseline"]]
        assert [r["batch"] for r in mine] == [1, 2]
        assert all(r["params_torch"] == r["params"] == counted["params"] for r in mine)
        assert all(r["mult_adds"] == counted["mult_adds"] for r in mine)


def test_probe_rejects_unknown_targets(cli):
    result = cli("probe", "resnet50:D=3")
    assert result.exit_code == 2 and result.stderr.startswith("igcdesign: error:")
