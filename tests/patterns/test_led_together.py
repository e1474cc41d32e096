"""Together mode on the ring, checked on the frames decoded from the SPI stream: two halves in the two
people's colours under one breath, warming with each one's coherence, drawing into one colour with their
synchrony; the pilot light, the night cap and the fades as for one person."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from device.clock import SimClock
from device.errors import InputError
from drivers.led_ring import SpiLedRing
from patterns.breath import breath_level
from patterns.led import led_frame, led_frames
from patterns.palette import oklab_to_srgb, palette_colour, srgb_to_oklab
from patterns.state import Fade, PacerSnapshot, PatternState, TogetherLook
from patterns.together import SYNC_CHANCE, half_colours, own_colour, togetherness
from sim.spi_ring import SpiRingSink

N_LEDS = 16
FRAME_S = 0.02
ON = Fade(0.0, 1.0, 1.0, 0.0)
SIDE_A = np.arange(1, N_LEDS // 2)  # LEDs 1..7
SIDE_B = np.arange(N_LEDS // 2 + 1, N_LEDS)  # LEDs 9..15
# two of the household palette's colours (device/home/people.py): orange and green
ORANGE = (1.0, 159 / 255, 64 / 255)
GREEN = (64 / 255, 192 / 255, 128 / 255)


def _state(pacer: PacerSnapshot | None = None, **look: object) -> PatternState:
    pacer = pacer or PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=6.0, target_bpm=6.0)
    together = TogetherLook(**{"colour_a": ORANGE, "colour_b": GREEN, **look})  # type: ignore[arg-type]
    return PatternState(pacer=pacer, fade=ON, together=together)


def _run_ring(state: PatternState, duration_s: float, gamma: float = 2.2, limit: float = 1.0,
              start_s: float = 0.0) -> SpiRingSink:
    """Render frames at 50/s through the real driver into the decoding sink, on the sim clock."""
    clock = SimClock()
    sink = SpiRingSink(clock, gamma=gamma, keep_frames=int(duration_s / FRAME_S) + 1)
    ring = SpiLedRing(sink, N_LEDS, gamma=gamma, brightness_limit=limit)
    for k in range(int(duration_s / FRAME_S)):
        clock.advance_to(start_s + k * FRAME_S)
        ring.show(led_frame(clock.now_s(), state, N_LEDS))
    return sink


def _chromaticity(sink: SpiRingSink, leds: np.ndarray, window_s: float = 2.0) -> np.ndarray:
    """Each LED's mean decoded colour over the last `window_s` (dithering averaged out) as shares of R, G, B
    of its light: the hue and saturation without the brightness."""
    drive = sink.mean_drive(window_s)
    assert drive is not None
    light = drive[leds].astype(float)
    return light / light.sum(axis=1, keepdims=True)


def test_halves_keep_their_own_colours_out_of_sync_and_share_one_in_sync() -> None:
    # read over the 2 s round the top of a 6/min breath (4 s in), when both halves are lit all round
    apart = _run_ring(_state(synchrony=0.0), 5.0)
    a, b = _chromaticity(apart, SIDE_A), _chromaticity(apart, SIDE_B)
    assert np.abs(a - a.mean(axis=0)).max() < 0.02  # each half one colour
    assert np.abs(b - b.mean(axis=0)).max() < 0.02
    assert np.abs(a.mean(axis=0) - b.mean(axis=0)).max() > 0.15  # and the two clearly apart
    assert a.mean(axis=0)[0] > b.mean(axis=0)[0]  # A's half the orange one, B's the green one
    unknown = _run_ring(_state(synchrony=None), 5.0)
    np.testing.assert_allclose(_chromaticity(unknown, SIDE_A).mean(axis=0), a.mean(axis=0), atol=0.01)
    one = _run_ring(_state(synchrony=1.0), 5.0)
    a1, b1 = _chromaticity(one, SIDE_A), _chromaticity(one, SIDE_B)
    np.testing.assert_allclose(a1.mean(axis=0), b1.mean(axis=0), atol=0.01)  # one colour round the ring
    # the shared colour lies between the two own colours
    assert b.mean(axis=0)[0] < a1.mean(axis=0)[0] < a.mean(axis=0)[0]


def test_the_halves_draw_together_steadily_as_synchrony_rises() -> None:
    gaps = []
    for synchrony in np.linspace(0.0, 1.0, 11):
        colours = half_colours(TogetherLook(ORANGE, GREEN, synchrony=float(synchrony)), False, N_LEDS)
        gaps.append(float(np.linalg.norm(srgb_to_oklab(colours[1]) - srgb_to_oklab(colours[-1]))))
    assert gaps[0] > 0.1
    assert gaps[-1] < 1e-6
    assert np.all(np.diff(gaps) <= 1e-9)  # never apart again as synchrony rises
    assert gaps[2] == pytest.approx(gaps[0], abs=1e-9)  # chance-level synchrony (0.2) does not draw them
    assert togetherness(SYNC_CHANCE) == 0.0 and togetherness(1.0) == 1.0 and togetherness(None) == 0.0


def test_the_leds_between_the_halves_show_the_shared_colour() -> None:
    colours = half_colours(TogetherLook(ORANGE, GREEN, synchrony=0.0), False, N_LEDS)
    shared = half_colours(TogetherLook(ORANGE, GREEN, synchrony=1.0), False, N_LEDS)[1]
    np.testing.assert_allclose(colours[0], shared, atol=1e-9)
    np.testing.assert_allclose(colours[N_LEDS // 2], shared, atol=1e-9)


def test_brightness_follows_the_one_breath_while_the_pacer_glides() -> None:
    gliding = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=13.5, target_bpm=6.0, slope_bpm_per_s=1 / 60)
    state = _state(gliding, coherence_a=2.0, coherence_b=0.4, synchrony=0.5)
    sink = _run_ring(state, 60.0)
    times_s, brightness = sink.brightness_series()
    lungs = breath_level(gliding.phase_cycles(times_s), gliding.shape)
    assert np.corrcoef(brightness, lungs)[0, 1] > 0.95
    assert brightness.max() > 3 * brightness.min()
    # each half breathes too, not only the ring as a whole
    for side in (SIDE_A, SIDE_B):
        half = np.array([float(np.mean(rgb[side].astype(float))) for _, rgb in sink.frames])
        assert np.corrcoef(half, lungs)[0, 1] > 0.9


def test_each_half_warms_with_its_own_persons_coherence() -> None:
    gold = srgb_to_oklab(palette_colour(1.0))
    cool = half_colours(TogetherLook(ORANGE, GREEN, coherence_a=0.2, coherence_b=0.2), False, N_LEDS)
    a_warm = half_colours(TogetherLook(ORANGE, GREEN, coherence_a=5.0, coherence_b=0.2), False, N_LEDS)

    def to_gold(colour: np.ndarray) -> float:
        return float(np.linalg.norm(srgb_to_oklab(colour) - gold))

    assert to_gold(a_warm[SIDE_A[0]]) < to_gold(cool[SIDE_A[0]]) - 0.02  # A's half warmed toward gold
    np.testing.assert_allclose(a_warm[SIDE_B], cool[SIDE_B], atol=1e-12)  # B's unchanged
    # warmth rises with coherence, and a fully coherent person's own colour still shows
    steps = [to_gold(oklab_to_srgb(own_colour(GREEN, c, False))) for c in (0.3, 0.6, 1.2, 3.0)]
    assert np.all(np.diff(steps) < 0)
    assert steps[-1] > 0.05


def test_the_shared_glimmer_sparkles_and_one_persons_glimmer_flag_does_not() -> None:
    times_s = np.arange(0.0, 20.0, FRAME_S)
    calm = _state(synchrony=0.9)
    calm_but_flagged = dataclasses.replace(calm, glimmer=True)  # the one-person flag: not the shared glimmer
    sparkling = _state(synchrony=0.9, glimmer=True)
    calm_frames = led_frames(times_s, calm, N_LEDS)
    assert np.array_equal(led_frames(times_s, calm_but_flagged, N_LEDS), calm_frames)
    changed = np.abs(led_frames(times_s, sparkling, N_LEDS) - calm_frames).max(axis=(1, 2))
    assert changed.max() > 0.1
    # the sparkle changes colour at the same luminance (as for one person): the breath's brightness stays
    calm_sink, sparkling_sink = _run_ring(calm, 20.0), _run_ring(sparkling, 20.0)
    _, calm_b = calm_sink.brightness_series()
    _, sparkling_b = sparkling_sink.brightness_series()
    assert np.abs(np.convolve(calm_b - sparkling_b, np.ones(25) / 25, mode="valid")).max() < 0.03


@pytest.mark.parametrize("cap", [0.25, 0.1])
def test_night_is_warm_capped_and_the_halves_still_told_apart(cap: float) -> None:
    blue = (0.0, 0.0, 1.0)  # a person whose colour has no red or green at all
    night = dataclasses.replace(_state(colour_b=blue, synchrony=0.0, glimmer=True, coherence_a=5.0),
                                night=True, brightness_cap=cap)
    frames = led_frames(np.arange(0.0, 20.0, FRAME_S, dtype=np.float64), night, N_LEDS)
    assert np.all(frames[..., 2] == 0.0)
    assert frames.max() <= cap ** (1 / 2.2) + 1e-12
    sink = _run_ring(night, 20.0, limit=0.6)
    assert all(np.all(rgb[:, 2] == 0) for _, rgb in sink.frames)
    assert max(int(rgb.max()) for _, rgb in sink.frames) <= np.ceil(255 * 0.6 * cap)
    assert night.together is not None
    colours = half_colours(night.together, True, N_LEDS)
    assert colours[SIDE_B].max() > 0.2  # the blue person's half is not dark at night
    assert np.abs(colours[SIDE_A[0]] - colours[SIDE_B[0]]).max() > 0.05


@pytest.mark.parametrize("night", [False, True])
def test_the_pilot_light_is_never_dark_while_on(night: bool) -> None:
    """Through a fade-in, a session and a fade-out to idle, LED 0 always shows (decoded), as for one person."""
    fade_in = dataclasses.replace(_state(synchrony=0.6), fade=Fade(1.0, 0.0, 1.0, 4.0), night=night)
    fade_out = dataclasses.replace(fade_in, fade=Fade(1.0, 1.0, 0.0, 4.0))
    for state in (fade_in, fade_out):
        sink = _run_ring(state, 8.0, limit=0.6)
        assert all(int(rgb[0].max()) > 0 for _, rgb in sink.frames)
    # idle (before the fade-in, after the fade-out): exactly the one-person pilot light
    for state, t_s in ((fade_in, 0.5), (fade_out, 7.0)):
        one_person = dataclasses.replace(state, together=None)
        assert np.array_equal(led_frame(t_s, state, N_LEDS), led_frame(t_s, one_person, N_LEDS))
        assert np.count_nonzero(led_frame(t_s, state, N_LEDS).max(axis=1)) == 1
    dark = dataclasses.replace(fade_in, brightness_cap=0.0)
    assert np.all(led_frame(3.0, dark, N_LEDS) == 0.0)  # brightness 0: dark, as for one person


@pytest.mark.parametrize("seed", range(3))
def test_batch_equals_one_by_one_for_two_people(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(20):
        look = TogetherLook((rng.random(), rng.random(), rng.random()), (rng.random(), rng.random(), rng.random()),
                            float(rng.uniform(0, 6)), float(rng.uniform(0, 6)),
                            None if rng.random() < 0.3 else float(rng.random()), bool(rng.random() < 0.5))
        pacer = PacerSnapshot(t0_s=0.0, phase0_cycles=float(rng.random()), rate0_bpm=12.0, target_bpm=6.0,
                              slope_bpm_per_s=0.02)
        state = PatternState(pacer=pacer, fade=Fade(float(rng.uniform(0, 5)), 0.0, 1.0, 3.0), together=look,
                             night=bool(rng.random() < 0.3), brightness_cap=float(rng.choice([0.25, 1.0])))
        n_leds = int(rng.choice([1, 12, 15, 16]))
        times = float(rng.uniform(0, 30)) + FRAME_S * np.arange(6, dtype=np.float64)
        batch = led_frames(times, state, n_leds)
        for t_s, frame in zip(times.tolist(), batch, strict=True):
            np.testing.assert_allclose(frame, led_frame(t_s, state, n_leds), rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad", [{"colour_a": (1.2, 0.0, 0.0)}, {"colour_b": (0.5, 0.5)},
                                 {"synchrony": 1.5}, {"synchrony": float("nan")}, {"synchrony": -0.1},
                                 {"coherence_a": float("nan")}, {"coherence_b": -1.0}])
def test_a_bad_look_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InputError):
        TogetherLook(**{"colour_a": ORANGE, "colour_b": GREEN, **bad})  # type: ignore[arg-type]


def test_a_look_given_lists_is_the_same_look() -> None:
    listed = TogetherLook([1.0, 0.5, 0.25], [0.0, 0.5, 1.0])  # type: ignore[arg-type]
    assert listed == TogetherLook((1.0, 0.5, 0.25), (0.0, 0.5, 1.0))
    assert hash(listed) == hash(TogetherLook((1.0, 0.5, 0.25), (0.0, 0.5, 1.0)))
