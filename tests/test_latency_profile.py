"""The profile's layer table and accuracy record: saved and read back equal, validated on read."""

from __future__ import annotations

import json

import pytest

from igcdesign.errors import IGCError
from igcdesign.profile import (
    LAYER_TABLE_VERSION, Fingerprint, LatencyAccuracy, Profile, ProfileStore, read_profile, save_profile,
)

FP = Fingerprint("cpu: Test CPU", "2.13.0+cpu", 2, "float32")
KEY = "matmul ci64 co64 g8 k1 s1 hw28 b8 nhwc>nchw sh4"


def make(**extra) -> Profile:
    return Profile(FP, 1e10, 1.2e10, 5e10, 4e10, 1e-5, **extra)


def test_round_trip(tmp_path):
    accuracy = LatencyAccuracy(0.081, 0.62, 0.9, 0.96, 120, "2026-12-01T12:00:00+00:00", [2.5, 2.7])
    profile = make(layer_latency_ms={KEY: 0.125}, latency_accuracy=accuracy)
    path = save_profile(profile, tmp_path / "p.json")
    data = json.loads(path.read_text())
    assert data["layer_latency"] == {"version": LAYER_TABLE_VERSION, "entries_ms": {KEY: 0.125}}
    assert read_profile(path) == profile


def test_a_profile_without_the_table_reads_as_an_empty_table(tmp_path):
    data = make().as_dict()
    del data["layer_latency"], data["latency_accuracy"]
    (tmp_path / "p.json").write_text(json.dumps(data))
    profile = read_profile(tmp_path / "p.json")
    assert profile.layer_latency_ms == {} and profile.latency_accuracy is None


def test_a_table_of_another_version_is_dropped_not_misread(tmp_path):
    data = make(layer_latency_ms={KEY: 1.0}).as_dict()
    data["layer_latency"]["version"] = LAYER_TABLE_VERSION + 1
    (tmp_path / "p.json").write_text(json.dumps(data))
    assert read_profile(tmp_path / "p.json").layer_latency_ms == {}


@pytest.mark.parametrize("table", [
    {"version": LAYER_TABLE_VERSION, "entries_ms": {KEY: -1.0}},
    {"version": LAYER_TABLE_VERSION, "entries_ms": {KEY: float("nan")}},
    {"version": LAYER_TABLE_VERSION, "entries_ms": {KEY: "1"}},
    {"version": LAYER_TABLE_VERSION, "entries_ms": {"conv 3x3": 1.0}},
    {"version": LAYER_TABLE_VERSION, "entries_ms": {KEY.replace("g8", "g7"): 1.0}},
    {"version": LAYER_TABLE_VERSION, "entries_ms": [KEY]},
    {"version": LAYER_TABLE_VERSION},
    [1, 2],
])
def test_a_malformed_table_is_refused_in_one_line(tmp_path, table):
    data = make().as_dict()
    data["layer_latency"] = table
    (tmp_path / "p.json").write_text(json.dumps(data))
    with pytest.raises(IGCError, match="malformed machine profile") as e:
        read_profile(tmp_path / "p.json")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("accuracy", [
    {"mape": -0.1, "within_10": 0.5, "within_20": 0.5, "spearman": 0.9, "n_blocks": 3},
    {"mape": 0.1, "within_10": 0.5, "within_20": 0.5, "spearman": 1.5, "n_blocks": 3},
    {"mape": 0.1, "within_10": 0.5, "within_20": 0.5, "spearman": 0.9, "n_blocks": 0},
    {"mape": 0.1, "within_10": 0.5, "within_20": 0.5, "spearman": 0.9, "n_blocks": 2.5},
    {"mape": 0.1, "within_10": 0.5, "spearman": 0.9, "n_blocks": 3},
    "good",
])
def test_a_malformed_accuracy_record_is_refused(tmp_path, accuracy):
    data = make().as_dict()
    data["latency_accuracy"] = accuracy
    (tmp_path / "p.json").write_text(json.dumps(data))
    with pytest.raises(IGCError, match="malformed machine profile"):
        read_profile(tmp_path / "p.json")


def test_the_store_keeps_the_table_when_choices_are_added(tmp_path):
    from dataclasses import replace

    store = ProfileStore(make(layer_latency_ms={KEY: 0.5}), tmp_path / "p.json")
    store.save(replace(store.profile, choices={"x": "mm"}))
    assert read_profile(tmp_path / "p.json").layer_latency_ms == {KEY: 0.5}
