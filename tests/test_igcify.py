"""`igcdesign igcify` and `igcdesign.igcify`: dense convs replaced by IGC blocks of the same widths
and stride within their weights; the new model has the same output shapes, `inspect` counts it
as igcify reports, it exports and it trains."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import inspect_models as models  # noqa: E402
from inspect_brute import bn_params  # noqa: E402

import igcdesign  # noqa: E402

MODELS = Path(models.__file__)
SMALL = (1, 3, 32, 32)


def igcify_json(cli, *extra):
    result = cli("igcify", f"{MODELS}:small_resnet", "--input", "1x3x32x32", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_dense_convs_are_replaced_within_their_weights(cli):
    doc = igcify_json(cli)
    by_name = {r["name"]: r for r in doc["replacements"]}
    assert by_name["c"]["after"] is None and "padding" in by_name["c"]["reason"]
    assert by_name["proj.0"]["after"] is None and "1×1" in by_name["proj.0"]["reason"]
    replaced = [r for r in doc["replacements"] if r["after"]]
    assert {r["name"] for r in replaced} >= {"a.0", "b"}
    for r in replaced:
        k = 3
        cin, cout = map(int, r["before"].split("W=")[1].split(",")[0].split("/"))
        assert r["params_before"] == cin * cout * k * k  # the dense conv's weights
        assert r["params_after"] <= r["params_before"]
        assert r["family"] in ("igcv1", "igcv2", "igcv3")
        checked = cli("check", r["after"], "--json").json()
        assert checked["verdict"] in ("strict", "relaxed")
        counted = cli("count", r["after"], "--hw", str(r["hw"]), "--json").json()
        assert (counted["params"], counted["mult_adds"], counted["mem_access"]) == (
            r["params_after"], r["mult_adds_after"], r["mem_access_after"])
    saved = sum(r["params_before"] - r["params_after"] for r in replaced)
    assert doc["after"]["params"] == doc["before"]["params"] - saved


def test_one_family(cli):
    doc = igcify_json(cli, "--family", "igcv1", "--1x1")
    replaced = [r for r in doc["replacements"] if r["after"]]
    assert replaced and all(r["after"].startswith("igcv1:") for r in replaced)
    doc = igcify_json(cli, "--family", "igcv3", "--max-params", "50%")
    for r in doc["replacements"]:
        if r["after"]:
            assert r["after"].startswith(("igcv3:",)) and 2 * r["params_after"] <= r["params_before"]


def test_library_model_has_the_same_shapes_counts_and_trains():
    model = models.small_resnet().eval()
    before = [p.clone() for p in model.parameters()]
    new = igcdesign.igcify(model, input=SMALL)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the original is untouched
    x = torch.randn(2, 3, 32, 32)
    assert new(x).shape == model(x).shape
    assert sum(p.numel() for p in new.parameters()) < sum(p.numel() for p in model.parameters())
    new.train()
    optimizer = torch.optim.SGD(new.parameters(), lr=0.1)
    start = [p.detach().clone() for p in new.parameters()]
    loss = torch.nn.functional.cross_entropy(new(x), torch.tensor([1, 2]))
    loss.backward()
    optimizer.step()
    moved = [not torch.equal(a, p.detach()) for a, p in zip(start, new.parameters())]
    assert all(moved)


def test_out_file_is_what_inspect_counts(cli, tmp_path):
    out = tmp_path / "new.pt2"
    doc = igcify_json(cli, "--out", str(out))
    assert doc["out"] == str(out) and out.is_file()
    program = torch.export.load(str(out))
    assert program.module()(torch.zeros(SMALL)).shape == (1, 10)
    inspected = cli("inspect", str(out), "--json")
    assert inspected.exit_code == 0, inspected.stderr
    totals = inspected.json()["totals"]
    assert (totals["params"], totals["mult_adds"], totals["mem_access"]) == (
        doc["after"]["params"], doc["after"]["mult_adds"], doc["after"]["mem_access"])
    module = program.module()
    assert totals["params"] == sum(p.numel() for p in module.parameters()) - totals["bn_params"]
    assert [p.name for p in tmp_path.iterdir()] == ["new.pt2"]  # nothing half-written beside it


def test_measure_times_both_models_in_one_run(cli):
    doc = igcify_json(cli, "--measure", "--min-time", "0.01")
    assert [row["spec"] for row in doc["latency"]] == ["original", "igcified"]
    assert doc["measurement"]["load_average"] is not None
    params = {row["spec"]: row["params_torch"] for row in doc["latency"]}
    model = models.small_resnet()
    assert params["original"] == sum(p.numel() for p in model.parameters())


def test_text_report(cli):
    result = cli("igcify", f"{MODELS}:small_resnet", "--input", "1x3x32x32")
    assert result.exit_code == 0, result.stderr
    assert "params:" in result.stdout and "kept" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("--family", "igcv9"), "--family"),
    (("--max-params", "0%"), "--max-params"),
    (("--max-params", "lots"), "--max-params"),
    (("--by", "speed"), "--by"),
    (("--out", "model.onnx"), "--out"),
    (("--by", "latency"), "needs a machine profile"),
])
def test_bad_options_are_one_line_errors(cli, args, message):
    result = cli("igcify", f"{MODELS}:small_resnet", "--input", "1x3x32x32", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bn_convention_in_totals(cli):
    doc = igcify_json(cli)
    model = models.small_resnet()
    assert doc["before"]["params"] == sum(p.numel() for p in model.parameters()) - bn_params(model)
