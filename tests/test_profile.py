"""Machine profiles: stored by fingerprint, found only for that fingerprint, never written to the
real user cache in tests (IGCDESIGN_CACHE_DIR points at a temporary folder)."""

from __future__ import annotations

import json

import pytest

from igcdesign.errors import IGCError
from igcdesign.profile import (
    CACHE_ENV, Fingerprint, Profile, cache_dir, find_default_profile, find_profile, installed_torch_version,
    profile_path, read_profile, save_profile, stored_profiles,
)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def make_profile(fp: Fingerprint, **extra) -> Profile:
    return Profile(fingerprint=fp, copy_bytes_per_s=1e10, triad_bytes_per_s=1.2e10, matmul_macs_per_s=5e10,
                   conv_macs_per_s=4e10, call_s=1e-5, **extra)


FP = Fingerprint("cpu: Test CPU", "2.13.0+cpu", 2, "float32")


def test_cache_dir_follows_the_environment(isolated_cache):
    assert cache_dir() == isolated_cache


def test_cache_dir_default_is_the_platform_user_cache(monkeypatch):
    import platformdirs

    monkeypatch.delenv(CACHE_ENV)
    assert str(cache_dir()) == platformdirs.user_cache_dir("igcdesign", appauthor=False)


def test_round_trip_and_lookup_by_fingerprint(isolated_cache):
    profile = make_profile(FP, spread={"copy_bytes_per_s": 0.05}, load_average=[0.5, 0.7], cpu_count=2)
    path = save_profile(profile)
    assert path == profile_path(FP) and path.is_relative_to(isolated_cache)
    assert read_profile(path) == profile
    assert find_profile(FP).profile == profile
    # the floor's figures: the better of the two measurements of each kind
    assert profile.bandwidth == 1.2e10 and profile.peak == 5e10


@pytest.mark.parametrize("other", [
    Fingerprint("cpu: Other CPU", "2.13.0+cpu", 2, "float32"),
    Fingerprint("cpu: Test CPU", "2.12.0+cpu", 2, "float32"),
    Fingerprint("cpu: Test CPU", "2.13.0+cpu", 1, "float32"),
    Fingerprint("cpu: Test CPU", "2.13.0+cpu", 2, "bfloat16"),
])
def test_a_profile_for_another_fingerprint_is_never_used_and_is_named(other):
    save_profile(make_profile(FP))
    lookup = find_profile(other)
    assert lookup.profile is None
    assert "igcdesign calibrate" in lookup.message and FP.describe() in lookup.message


def test_a_file_whose_content_names_another_fingerprint_is_not_used():
    save_profile(make_profile(FP), profile_path(Fingerprint("cpu: X", "1", 1, "float32")))
    assert find_profile(Fingerprint("cpu: X", "1", 1, "float32")).profile is None


def test_no_profile_at_all_says_how_to_make_one():
    lookup = find_profile(FP)
    assert lookup.profile is None and "no machine profile" in lookup.message and "calibrate" in lookup.message


@pytest.mark.parametrize("content", ["", "not json", "[]", json.dumps({"version": 99}),
                                     json.dumps({"version": 1, "fingerprint": {"device": "x"}})])
def test_malformed_profiles_are_one_line_errors(tmp_path, content):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(IGCError) as e:
        read_profile(path)
    assert "\n" not in str(e.value)


def test_non_positive_figures_are_refused(tmp_path):
    data = make_profile(FP).as_dict()
    data["copy_bytes_per_s"] = -1
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(IGCError, match="positive"):
        read_profile(path)


def test_stored_profiles_skip_foreign_files(isolated_cache):
    save_profile(make_profile(FP))
    (isolated_cache / "profiles" / "junk.json").write_text("{")
    assert [p.fingerprint for p in stored_profiles()] == [FP]


def test_default_lookup_needs_the_default_threads_profile(monkeypatch):
    from igcdesign import profile as module

    monkeypatch.setattr(module, "cpu_model", lambda: "Test CPU")
    monkeypatch.setattr(module, "installed_torch_version", lambda: "2.13.0+cpu")
    save_profile(make_profile(FP, default_threads=False))
    lookup = find_default_profile()
    assert lookup.profile is None and "--threads" in lookup.message
    assert find_default_profile(threads=2).profile is not None
    save_profile(make_profile(FP, default_threads=True))
    assert find_default_profile().profile.fingerprint == FP
    assert find_default_profile(dtype="bfloat16").profile is None


def test_without_torch_there_is_no_floor(monkeypatch):
    from igcdesign import profile as module

    monkeypatch.setattr(module, "installed_torch_version", lambda: None)
    assert "torch is not installed" in find_default_profile().message


def test_installed_torch_version_matches_torch():
    torch = pytest.importorskip("torch")
    assert installed_torch_version() == str(torch.__version__)
