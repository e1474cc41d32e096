"""Together mode's pacer choices: a start both can follow, a shared target, a glide that waits for either."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.errors import InputError
from device.pacing.guide import MAX_START_RATE_BPM, MIN_RATE_BPM, GuideSettings, PacerGuide
from device.pacing.together import (
    IN_SYNC,
    together_following,
    together_glimmer,
    together_start_rate,
    together_target_rate,
)

breathing = st.floats(min_value=4.0, max_value=24.0)  # rates a person can be breathing at (plausible)
resonance = st.floats(min_value=4.5, max_value=7.0)


@given(breathing, breathing)
def test_the_start_lies_between_their_rates_and_never_below_the_slower_breathers(a: float, b: float) -> None:
    start = together_start_rate(a, b, default_bpm=10.0)
    lo, hi = sorted((a, b))
    clamped_lo, clamped_hi = max(lo, MIN_RATE_BPM), min(hi, MAX_START_RATE_BPM)
    if clamped_lo <= clamped_hi:  # both rates within the guide's start limits, or straddling them
        assert clamped_lo - 1e-9 <= start <= clamped_hi + 1e-9
    assert MIN_RATE_BPM <= start <= MAX_START_RATE_BPM
    # neither is asked to change by more than half their difference (within the guide's limits)
    if lo >= MIN_RATE_BPM and hi <= MAX_START_RATE_BPM:
        assert max(abs(start - a), abs(start - b)) <= 0.5 * (hi - lo) + 1e-9
        assert start >= lo


def test_twelve_and_fifteen_start_at_thirteen_and_a_half() -> None:
    assert together_start_rate(12.0, 15.0, 10.0) == pytest.approx(13.5)
    assert together_start_rate(15.0, 12.0, 10.0) == pytest.approx(13.5)


@pytest.mark.parametrize("unknown", [None, float("nan"), float("inf"), 2.0, 40.0])
def test_an_unknown_rate_counts_as_the_default_start(unknown: float | None) -> None:
    """A rate not read counts as where the one-person guide would start that person (the default)."""
    assert together_start_rate(unknown, 14.0, 10.0) == pytest.approx(12.0)
    assert together_start_rate(13.0, unknown, 10.0) == pytest.approx(11.5)
    assert together_start_rate(18.0, unknown, 10.0) == pytest.approx(14.0)  # not 8 for an 18/min breather
    assert together_start_rate(unknown, 8.0, 10.0) == pytest.approx(9.0)
    assert together_start_rate(unknown, unknown, 11.0) == pytest.approx(11.0)


def test_the_start_keeps_to_the_guides_limits() -> None:
    assert together_start_rate(22.0, 24.0, 10.0) == pytest.approx(MAX_START_RATE_BPM)
    assert together_start_rate(4.0, 4.2, 10.0) == pytest.approx(MIN_RATE_BPM)


@pytest.mark.parametrize("bad", [float("nan"), 3.0, 25.0])
def test_a_bad_default_start_is_refused(bad: float) -> None:
    with pytest.raises(InputError):
        together_start_rate(12.0, 15.0, bad)


def test_the_guide_starts_where_together_mode_says() -> None:
    start = together_start_rate(12.0, 15.0, 10.0)
    pacer = PacerGuide().start(0.0, start)
    assert pacer.rate_bpm(0.0) == pytest.approx(13.5)


@given(resonance, resonance)
def test_the_target_is_the_mean_of_their_resonance_rates(a: float, b: float) -> None:
    target = together_target_rate(a, b)
    assert target == pytest.approx(0.5 * (a + b))
    assert min(a, b) - 1e-9 <= target <= max(a, b) + 1e-9
    GuideSettings(resonance_rate_per_min=target)  # a target the guide accepts


def test_a_person_without_a_stored_resonance_rate_counts_as_the_default() -> None:
    assert together_target_rate(5.5, 6.5) == pytest.approx(6.0)
    assert together_target_rate(5.0, None) == pytest.approx(5.5)
    assert together_target_rate(None, 7.0, default_bpm=6.5) == pytest.approx(6.75)
    assert together_target_rate(None, None) == pytest.approx(6.0)


@pytest.mark.parametrize(("a", "b", "default"), [(4.0, 6.0, 6.0), (6.0, 8.0, 6.0), (float("nan"), 6.0, 6.0),
                                                 (None, 6.0, 9.0), (6.0, 6.0, float("inf"))])
def test_a_resonance_rate_out_of_range_is_refused(a: float | None, b: float, default: float) -> None:
    with pytest.raises(InputError):
        together_target_rate(a, b, default_bpm=default)


def test_the_glide_goes_on_only_while_both_follow() -> None:
    table = {(a, b): together_following(a, b) for a, b in itertools.product([True, False], repeat=2)}
    assert table == {(True, True): True, (True, False): False, (False, True): False, (False, False): False}


@pytest.mark.parametrize(("a", "b", "synchrony", "shared"),
                         [(True, True, 0.9, True), (True, True, IN_SYNC, True), (True, True, 0.6, False),
                          (True, True, None, False), (True, False, 0.95, False), (False, True, 0.95, False),
                          (False, False, 1.0, False)])
def test_the_shared_glimmer_needs_both_coherent_and_in_sync(a: bool, b: bool, synchrony: float | None,
                                                            shared: bool) -> None:
    assert together_glimmer(a, b, synchrony) is shared
