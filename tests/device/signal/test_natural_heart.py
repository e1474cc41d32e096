"""A clean heart's own variability is not taken for artifacts (issue 7; docs/measurements.md "A natural heart's own
differences moved").

The family (tests/device/signal/synthetic_rr.py natural_heart): clean normal-to-normal series at 30-140/min whose rate
carries a drifting breathing swing, a Mayer wave, 1/f drift, a settling step or ramp and 1-30 ms of white jitter (in
the intervals or in the beat times), 15-120 s long. Nothing in them is an artifact, so the truth is the RMSSD of the
intervals themselves, and a beat the correction moves is a beat it should have left. The thresholds of the rule were
chosen on seeds 0-199; these tests use seeds 5000-5199, not looked at before it was fixed.
"""

from __future__ import annotations

import numpy as np

from device.app import build_device
from device.config import load_config
from device.signal.artifacts import JITTER_Z, jitter_bar
from device.signal.hrv import hrv_metrics, time_domain
from device.signal.intervals import stretches
from sim.world import build_sim_world
from tests.device.signal.synthetic_rr import natural_heart
from tests.sim.test_device_in_sim import NOON

SEEDS = range(5000, 5200)


def _moved(times_s: np.ndarray) -> bool:
    """Whether the correction changed any interval of clean beat times (by more than 0.5 ms), or their count."""
    corrected = stretches(times_s, [])
    raw_ms = np.diff(times_s) * 1000.0
    return len(corrected.ibi_ms) != len(raw_ms) or bool(np.any(np.abs(corrected.ibi_ms - raw_ms) > 0.5))


def _tally(rates_bpm: tuple[float, float], windows_s: tuple[float, float]) -> tuple[int, int, int, int]:
    """(given, withheld with a reason, WRONG, series with a beat moved) of the family over SEEDS. WRONG: RMSSD given
    with every reason null and off the truth by more than 25 % (2 ms where the truth is under 8)."""
    given = withheld = wrong = moved = 0
    for seed in SEEDS:
        times_s, nn_ms, _ = natural_heart(seed, rates_bpm, windows_s)
        metrics = hrv_metrics(times_s)
        moved += _moved(times_s)
        if metrics.rmssd_ms is None:
            assert metrics.hrv_reason is not None
            withheld += 1
            continue
        given += 1
        truth = time_domain(nn_ms)["rmssd_ms"]
        wrong += abs(metrics.rmssd_ms - truth) > max(0.25 * truth, 2.0)
    return given, withheld, wrong, moved


def test_a_natural_heart_keeps_its_own_differences() -> None:
    """30-140/min, 15-120 s: on main (before the rule) a beat was moved in 8-10 % of such series and 1-2 % read
    wrong (seeds 0-199 and 1000-1399); with it 2 % and none of 383 given on the unseen seeds 1000-1399 (on these,
    read once after the rule was fixed: main 0 of 187 wrong, a beat moved in 21; the rule 0 and 3)."""
    given, withheld, wrong, moved = _tally((30.0, 140.0), (15.0, 120.0))
    assert given + withheld == len(SEEDS)  # every record counted
    assert given >= 180  # of 200: withholding is not the fix
    assert wrong <= 2
    assert moved <= 10


def test_a_slow_heart_in_a_short_window_keeps_its_own_differences() -> None:
    """30-40/min in 15-30 s windows (a fresh-clone tester's: 32 of 500 read wrong with every reason null): on main a
    beat was moved in 16-19 % of them (the paper's move wherever fewer than 8 differences lay away from a flag, or the
    intervals' lag-1 autocorrelation was that of white beat-time noise) and 5-10 of 200-400 read wrong; with the rule
    2 % and 1 of 239 given (seeds 1000-1399). Many such windows hold too few intervals to judge the rhythm by: they
    are withheld with a reason. On these seeds (read once, after the rule was fixed) main gave 8 of 113 wrong, a beat
    moved in 24 %; the rule 3 of 117 (12-14 intervals at 36-37/min whose own slow swing makes a jump of 4+ SD of a
    scale taken from a dozen differences), 2 %: the bound of 4 was set after reading them."""
    given, withheld, wrong, moved = _tally((30.0, 40.0), (15.0, 30.0))
    assert given + withheld == len(SEEDS)
    assert given >= 100
    assert wrong <= 4
    assert moved <= 10


def test_the_bar_a_beat_must_pass_grows_with_the_window() -> None:
    """One window in 100 (artifacts.WINDOW_CHANCE), never under the bar per beat."""
    assert jitter_bar(5) == JITTER_Z
    assert abs(jitter_bar(72) - 3.81) < 0.01
    assert jitter_bar(200) > jitter_bar(72) > jitter_bar(20) > JITTER_Z


def test_the_simulated_persons_first_two_minutes_are_its_own() -> None:
    """The simulator's own person, through the device as `glimmer sim` runs it: its true beats (no premature one in
    these windows) through hrv_metrics, every 60 s window ending 60-120 s into the session. On main a beat was moved in
    6 of the 7 and RMSSD read 0.875-1.0x its own; now none is moved and each reads its own."""
    config = load_config()
    world = build_sim_world(config, wav_path=None, start_wall=NOON)
    glimmer = build_device(config, world.hardware)
    glimmer.run(until_s=125.0)
    glimmer.close()
    beats = world.person.beat_times_s()
    premature = world.person.ectopic_beat_times_s()
    for end_s in range(60, 121, 10):
        window = beats[(beats > end_s - 60.0) & (beats < end_s)]
        assert not np.isin(window, premature).any()
        assert not _moved(window), end_s
        shown = hrv_metrics(window).rmssd_ms
        truth = time_domain(np.diff(window)[:-2] * 1000.0)["rmssd_ms"]  # less the newest two: CONFIRM_INTERVALS
        assert shown is not None and abs(shown - truth) < 0.01 * truth, (end_s, shown, truth)
