"""Plan choice by measurement: the fastest plan wins, the choice is cached in the profile under
the chain, batch, side and layout, and a cached choice is used without measuring (fake timers)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from igcdesign.families import parse_block  # noqa: E402
from igcdesign.probe.fast import PLANS  # noqa: E402
from igcdesign.probe.tune import chain_key, choose_plan, time_plans, tuned_module  # noqa: E402
from igcdesign.profile import Fingerprint, Profile  # noqa: E402

CHAIN = parse_block("igcv1:L=2,M=4").chain
PROFILE = Profile(Fingerprint("cpu: T", "t", 1, "float32"), 1e10, 1e10, 1e10, 1e10, 1e-5)


def fake_timer(favourite):
    calls = []

    def timer(modules, x, budget_s):
        calls.append(sorted(modules))
        return {name: (1.0 if name == favourite else 2.0) for name in modules}

    return timer, calls


@pytest.mark.parametrize("favourite", PLANS)
def test_the_fastest_plan_is_chosen_and_stored(favourite):
    timer, calls = fake_timer(favourite)
    saved = []
    x = torch.randn(2, 8, 4, 4)
    plan, timings = choose_plan(CHAIN, x, profile=PROFILE, save=saved.append, timer=timer)
    assert plan == favourite and calls == [sorted(PLANS)] and timings[favourite] == 1.0
    (updated,) = saved
    assert updated.choices == {chain_key(CHAIN, 2, 4, False): favourite}
    # the stored choice is used as it is: no measurement the second time
    again, timings = choose_plan(CHAIN, x, profile=updated, save=saved.append, timer=timer)
    assert again == favourite and timings is None and len(calls) == 1


def test_keys_tell_batch_side_layout_and_chain_apart():
    keys = {chain_key(CHAIN, 1, 32, False), chain_key(CHAIN, 32, 32, False), chain_key(CHAIN, 1, 16, False),
            chain_key(CHAIN, 1, 32, True), chain_key(parse_block("igcv1:L=4,M=2").chain, 1, 32, False)}
    assert len(keys) == 5


def test_channels_last_input_has_its_own_choice():
    timer, _ = fake_timer("cl")
    saved = []
    x = torch.randn(1, 8, 4, 4).contiguous(memory_format=torch.channels_last)
    choose_plan(CHAIN, x, profile=PROFILE, save=saved.append, timer=timer)
    assert list(saved[0].choices) == [chain_key(CHAIN, 1, 4, True)]


def test_time_plans_times_every_module_within_the_budget():
    ticks = iter(range(1000))
    modules = {name: torch.nn.Identity() for name in ("a", "b")}
    timings = time_plans(modules, torch.zeros(1), budget_s=100, rounds=3, clock=lambda: next(ticks))
    assert timings == {"a": 1, "b": 1}


def test_a_warm_up_beyond_the_budget_is_the_measurement():
    ticks = iter(range(0, 1000, 10))
    modules = {name: torch.nn.Identity() for name in ("a", "b")}
    assert time_plans(modules, torch.zeros(1), budget_s=5, clock=lambda: next(ticks)) == {"a": 10, "b": 10}


def test_tuned_module_without_profile_measures_and_builds_the_choice():
    module = tuned_module(CHAIN, torch.randn(1, 8, 4, 4))
    assert module.rules in PLANS
