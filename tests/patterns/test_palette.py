"""Palettes: calm day colours move one way from low to high coherence; night has no blue at all."""

from __future__ import annotations

import math

import numpy as np
import pytest

from patterns.palette import (
    HIGH_COHERENCE_RATIO,
    LOW_COHERENCE_RATIO,
    coherence_unit,
    oklab_to_srgb,
    palette_colour,
    palette_table,
    srgb_to_oklab,
)


def _lightness_and_hue(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = srgb_to_oklab(rgb)
    return lab[:, 0], np.unwrap(np.arctan2(lab[:, 2], lab[:, 1]))


@pytest.mark.parametrize("night", [False, True])
def test_palette_is_monotone_from_low_to_high_coherence(night: bool) -> None:
    lightness, hue = _lightness_and_hue(palette_table(night))
    assert np.all(np.diff(lightness) > 0), "higher coherence is always a little lighter"
    turns = np.diff(hue)
    assert np.all(turns < 0) or np.all(turns > 0), "hue turns one way only"


def test_day_palette_runs_from_blue_violet_to_gold() -> None:
    low, high = palette_colour(0.0), palette_colour(1.0)
    assert low[2] > low[0] and low[2] > low[1]  # blue dominates at low coherence
    assert high[0] > high[2] and high[1] > high[2]  # red + green (gold) at high coherence
    middle = palette_colour(0.4)
    assert middle[1] > middle[0] and middle[2] > middle[0]  # teal on the way


def test_night_palette_has_zero_blue_and_stays_warm() -> None:
    table = palette_table(night=True)
    assert np.all(table[:, 2] == 0.0)
    assert np.all(table[:, 0] >= table[:, 1])  # red to amber: red always leads
    for unit in np.linspace(0.0, 1.0, 37):
        assert palette_colour(float(unit), night=True)[2] == 0.0


def test_colour_lookup_interpolates_between_table_entries() -> None:
    table = palette_table()
    step = 1.0 / (len(table) - 1)
    assert palette_colour(0.0) == pytest.approx(table[0])
    assert palette_colour(1.0) == pytest.approx(table[-1])
    assert palette_colour(2.5 * step) == pytest.approx((table[2] + table[3]) / 2)
    assert palette_colour(-3.0) == pytest.approx(table[0])  # clamped, never out of range
    assert palette_colour(7.0) == pytest.approx(table[-1])


def test_coherence_maps_log_linearly_onto_the_palette() -> None:
    assert coherence_unit(0.0) == 0.0
    assert coherence_unit(LOW_COHERENCE_RATIO) == 0.0
    assert coherence_unit(HIGH_COHERENCE_RATIO) == pytest.approx(1.0)
    assert coherence_unit(100.0) == 1.0
    assert coherence_unit(math.nan) == 0.0
    geometric_middle = math.sqrt(LOW_COHERENCE_RATIO * HIGH_COHERENCE_RATIO)
    assert coherence_unit(geometric_middle) == pytest.approx(0.5)
    ratios = np.geomspace(0.01, 30.0, 200)
    assert np.all(np.diff([coherence_unit(r) for r in ratios]) >= 0)
    with pytest.raises(ValueError):
        coherence_unit(1.0, low_ratio=2.0, high_ratio=1.0)


def test_oklab_round_trip_and_reference_white() -> None:
    rgb = np.random.default_rng(3).random((50, 3))
    assert oklab_to_srgb(srgb_to_oklab(rgb)) == pytest.approx(rgb, abs=1e-6)
    white = srgb_to_oklab(np.ones(3))
    assert white == pytest.approx([1.0, 0.0, 0.0], abs=1e-3)  # OKLab defines white as L=1, a=b=0
