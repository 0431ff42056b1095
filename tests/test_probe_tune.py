"""Plan choice by measurement: the fastest plan wins, the choice is cached in the profile under
the chain, batch, side and layout, and a cached choice is used without measuring (fake timers)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from igcdesign.families import parse_block  # noqa: E402
from igcdesign.probe.fast import PLANS  # noqa: E402
from igcdesign.probe.fast import FastChainModule  # noqa: E402
from igcdesign.probe.fast import compile_chain  # noqa: E402
from igcdesign.probe.tune import MARGIN, chain_key, choose_plan, distinct_plans, pick, time_plans, tune_in_place, tuned_module  # noqa: E402
from igcdesign.profile import Fingerprint, Profile, ProfileStore, profile_path, read_profile  # noqa: E402

CHAIN = parse_block("igcv1:L=2,M=4").chain
PROFILE = Profile(Fingerprint("cpu: T", "t", 1, "float32"), 1e10, 1e10, 1e10, 1e10, 1e-5)


def fake_timer(favourite):
    calls = []

    def timer(modules, x, budget_s):
        calls.append(sorted(modules))
        return {name: (1.0 if name == favourite else 2.0) for name in modules}

    return timer, calls


@pytest.mark.parametrize("favourite", distinct_plans(CHAIN))
def test_the_fastest_plan_is_chosen_and_stored(favourite):
    timer, calls = fake_timer(favourite)
    store = ProfileStore(PROFILE)
    x = torch.randn(2, 8, 4, 4)
    plan, timings = choose_plan(CHAIN, x, store=store, timer=timer)
    confirm = [] if favourite == "conv" else [sorted({"conv", favourite})]  # the head-to-head second look
    assert plan == favourite and calls == [sorted(distinct_plans(CHAIN))] + confirm and timings[favourite] == 1.0
    assert store.profile.choices == {chain_key(CHAIN, 2, 4, False): favourite}
    saved = read_profile(profile_path(PROFILE.fingerprint))  # written to the (test) cache
    assert saved.choices == store.profile.choices
    # the stored choice is used as it is: no measurement the second time
    again, timings = choose_plan(CHAIN, x, store=ProfileStore(saved), timer=timer)
    assert again == favourite and timings is None and len(calls) == 1 + len(confirm)


def test_a_plan_that_loses_the_second_look_gives_way_to_the_plain_kernels():
    """The first look says mm is twice as fast; head to head it is slower: conv stays."""
    looks = []

    def timer(modules, x, budget_s):
        looks.append(sorted(modules))
        if len(looks) == 1:
            return {name: (1.0 if name == "mm" else 2.0) for name in modules}
        return {name: (1.0 if name == "conv" else 1.5) for name in modules}

    plan, _ = choose_plan(CHAIN, torch.randn(1, 8, 4, 4), store=ProfileStore(None), timer=timer)
    assert plan == "conv" and looks[1] == ["conv", "mm"]


def test_keys_tell_batch_side_layout_and_chain_apart():
    keys = {chain_key(CHAIN, 1, 32, False), chain_key(CHAIN, 32, 32, False), chain_key(CHAIN, 1, 16, False),
            chain_key(CHAIN, 1, 32, True), chain_key(parse_block("igcv1:L=4,M=2").chain, 1, 32, False)}
    assert len(keys) == 5


def test_channels_last_input_has_its_own_choice():
    timer, _ = fake_timer("cl")
    store = ProfileStore(PROFILE)
    x = torch.randn(1, 8, 4, 4).contiguous(memory_format=torch.channels_last)
    choose_plan(CHAIN, x, store=store, timer=timer)
    assert list(store.profile.choices) == [chain_key(CHAIN, 1, 4, True)]


def test_without_a_profile_choices_last_the_run_and_nothing_is_written(isolated_cache_dir):
    timer, calls = fake_timer("mm")
    store = ProfileStore(None)
    x = torch.randn(1, 8, 4, 4)
    assert choose_plan(CHAIN, x, store=store, timer=timer)[0] == "mm"
    assert choose_plan(CHAIN, x, store=store, timer=timer)[1] is None and len(calls) == 2  # first look, second look
    assert not any(isolated_cache_dir.rglob("*.json"))


@pytest.fixture
def isolated_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IGCDESIGN_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_tune_in_place_replans_the_blocks_of_a_network_with_equal_outputs():
    from igcdesign.probe.networks import build_torch_net

    torch.manual_seed(0)
    net = build_torch_net("igcv1-cifar:L=2,M=2,D=8", impl="fast").eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.inference_mode():
        before = net(x)
    store = ProfileStore(None)

    def timer(modules, x, budget_s):
        return {name: (0.5 if name == "conv" else 1.0) for name in modules}

    import igcdesign.probe.tune as tune

    original = tune.time_plans
    tune.time_plans = timer
    try:
        tuned = tune_in_place(net, x, store=store)
    finally:
        tune.time_plans = original
    assert {m.rules for m in tuned.modules() if isinstance(m, FastChainModule)} == {"conv"}
    with torch.inference_mode():
        assert torch.allclose(tuned(x), before, atol=1e-5)


def test_time_plans_times_every_module_within_the_budget():
    ticks = iter(range(1000))
    modules = {name: torch.nn.Identity() for name in ("a", "b")}
    timings = time_plans(modules, torch.zeros(1), budget_s=100, rounds=3, clock=lambda: next(ticks))
    assert timings == {"a": 1, "b": 1}


def test_a_warm_up_beyond_the_budget_is_followed_by_one_timed_round():
    """Warm-up calls (slow first calls) are never the measurement: one round follows them even
    when they alone spent the budget, and no more."""
    durations = iter([50, 50, 3, 2, 1, 1])
    now = [0]

    class Step(torch.nn.Module):
        def forward(self, x):
            now[0] += next(durations)
            return x

    timings = time_plans({"a": Step(), "b": Step()}, torch.zeros(1), budget_s=5, clock=lambda: now[0])
    assert timings == {"a": 3, "b": 2}


def test_tuned_module_without_profile_measures_and_builds_the_choice():
    module = tuned_module(CHAIN, torch.randn(1, 8, 4, 4))
    assert module.rules in PLANS


def test_replan_keeps_weights_and_function():
    fast = tuned_module(CHAIN, torch.randn(1, 8, 4, 4), bn=True, relu=True).eval()
    x = torch.randn(2, 8, 5, 5)
    with torch.inference_mode():
        want = fast(x)
        for plan in PLANS:
            assert torch.allclose(fast.replan(plan).eval()(x), want, atol=1e-6)


@pytest.mark.parametrize("spec", ["igcv1:L=2,M=4", "igcv2:K=1x4x4x3", "regular:C=8", "dwsep:C=8", "igcv3:C=8,t=2,G1=2,G2=2"])
def test_plans_with_the_same_steps_are_timed_once(spec):
    """Every plan compiles to the steps of exactly one distinct plan, and distinct plans differ;
    a regular conv has nothing to choose (every rule leaves a dense k×k conv as it is)."""
    chain = parse_block(spec).chain
    distinct = distinct_plans(chain)
    words = {plan: tuple(compile_chain(chain, plan)[1]) for plan in PLANS}
    assert distinct[0] == "conv" and len({words[p] for p in distinct}) == len(distinct)
    assert {words[p] for p in PLANS} == {words[p] for p in distinct}
    if spec.startswith("regular"):
        assert distinct == ["conv"]


def test_the_plain_kernels_stay_unless_clearly_beaten():
    assert pick({"conv": 1.0, "mm": 1.0 - MARGIN / 2}) == "conv"
    assert pick({"conv": 1.0, "mm": 1.0 - 2 * MARGIN, "cl": 0.99}) == "mm"
    assert pick({"conv": 1.0, "mm": 1.5}) == "conv"
    assert pick({"mm": 2.0, "cl": 1.0}) == "cl"


def test_time_plans_keeps_the_least_time_of_the_rounds():
    """A round disturbed by other work (the 100-tick call) does not count: the least time does."""
    durations = iter([5, 5, 100, 3, 4, 4, 6, 7, 9, 9, 9, 9])  # warm-ups a, b; then rounds a, b, a, b ...
    now = [0]

    def clock():
        return now[0]

    class Step(torch.nn.Module):
        def forward(self, x):
            now[0] += next(durations)
            return x

    timings = time_plans({"a": Step(), "b": Step()}, torch.zeros(1), budget_s=1000, rounds=3, clock=clock)
    assert timings == {"a": 4, "b": 3}
