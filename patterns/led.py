"""LED ring frames: the ring breathes with the pacer, its colour tells coherence, it sparkles when calm.

At empty lungs a small dim glow sits around LED 0; on the in-breath it brightens and spreads both
ways round the ring until the whole ring is lit at full lungs; the out-breath gathers it back. The
mean brightness of the ring therefore follows `breath_level` almost linearly, so a person can follow
it with soft eyes, and tests can check it from the decoded SPI stream.

Frame values are perceived (sRGB-like) levels 0..1 per channel, whose light is level**PERCEPTUAL_GAMMA;
the LED driver applies its gamma, its hardware brightness limit, a visible floor and temporal
dithering. Everything here is a pure function of (t_s, state): no clock, no RNG.

Under every frame lies the pilot light: LED 0, warm, at a level below one drive step, which the
driver's visible floor shows as exactly one step. When the pattern's light has faded to nothing (idle:
no finger, no session; the end of a closing session) it is all the ring shows, steady, and it bridges
the tails of every fade, where the breath's own levels round to nothing. A bedside device in a dark room must neither
look dead nor light the room: one dim, unmoving dot says "on, waiting" and nothing more. A brightness
of 0 (the person's setting, or a cap of 0) turns it off with everything else.

Two people (together mode, `state.together`): the same one breath, the ring in two halves, each in its
person's colour warmed by their own coherence, the halves drawing into one colour as their heart-rate
synchrony rises (patterns/together.py), and the sparkle only on their shared glimmer.

The sparkle (sustained coherence) changes colour only: each twinkling LED turns toward the sparkle
tint at its own luminance, so the brightness that carries the breathing cue, LED by LED and for the
whole ring, stays what the breath makes it (exactly at the driver's default gamma 2.2).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from patterns.breath import breath_level
from patterns.palette import coherence_unit, palette_colour
from patterns.state import PatternState
from patterns.together import half_colours

FLOOR_LEVEL: Final = 0.25  # brightness of the glow at empty lungs, 0..1 of the breath's peak
MIN_SPREAD: Final = 0.4  # lit arc at empty lungs, as a fraction of the half ring
EDGE_WIDTH: Final = 0.4  # soft edge of the lit arc, fraction of the half ring

SPARKLE_SLOT_S: Final = 1.6  # each LED may twinkle once per slot of this length
SPARKLE_PROBABILITY: Final = 0.18  # chance that an LED twinkles in a given slot
SPARKLE_AMOUNT: Final = 0.7  # how far a twinkling LED's colour moves toward the sparkle tint, at its peak
DAY_SPARKLE_TINT: Final = np.array([1.0, 0.95, 0.85])  # warm white
NIGHT_SPARKLE_TINT: Final = np.array([1.0, 0.62, 0.0])  # pale amber, no blue
PILOT_LEVEL: Final = 0.02  # perceived level of the idle pilot light: under one drive step at any limit
DAY_PILOT_COLOUR: Final = np.array([1.0, 0.75, 0.5])  # warm white
NIGHT_PILOT_COLOUR: Final = np.array([1.0, 0.4, 0.0])  # amber, no blue
PERCEPTUAL_GAMMA: Final = 2.2  # light = perceived level ** 2.2 (sRGB-like; the driver's default gamma)
LUMA: Final = np.array([0.2126, 0.7152, 0.0722])  # Rec. 709 luminance weights of linear R, G, B

_U64_MASK: Final = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix64(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser: a fast, well-spread integer hash (uint64 arithmetic wraps by design)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _unit_hash(x: NDArray[np.uint64]) -> NDArray[np.float64]:
    """Hash to a float in [0, 1)."""
    return (_mix64(x) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@lru_cache(maxsize=8)
def _ring_geometry(n_leds: int) -> tuple[NDArray[np.float64], NDArray[np.uint64], NDArray[np.float64]]:
    """Per LED: distance round the ring from LED 0 (0..1 of the half ring), hash key, slot offset."""
    index = np.arange(n_leds)
    distance = np.minimum(index, n_leds - index) / max(n_leds / 2.0, 1.0)
    key = index.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    offset = _unit_hash(key + np.uint64(1))
    for array in (distance, key, offset):
        array.setflags(write=False)
    return distance, key, offset


def _ease(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def breath_glow(level: float, n_leds: int) -> NDArray[np.float64]:
    """Per-LED brightness 0..1 for a lung fullness `level` 0..1 (the breathing arc, no colour)."""
    distance, _, _ = _ring_geometry(n_leds)
    spread = MIN_SPREAD + (1.0 + EDGE_WIDTH - MIN_SPREAD) * level
    edge = _ease((spread - distance) / EDGE_WIDTH)
    return (FLOOR_LEVEL + (1.0 - FLOOR_LEVEL) * level) * edge


def sparkle_levels(t_s: float, n_leds: int) -> NDArray[np.float64]:
    """Per-LED twinkle 0..1 at time t_s: a few LEDs at a time swell and fade over about a second.

    Each LED's time is cut into slots (staggered per LED); a hash of (slot, LED) decides whether it
    twinkles in that slot, with a sin^2 swell that is zero at the slot's edges, so it never pops.
    Deterministic in t_s: the same time always gives the same sparkle.
    """
    _, key, offset = _ring_geometry(n_leds)
    position = t_s / SPARKLE_SLOT_S + offset
    slot = np.floor(position)
    chosen = _unit_hash(key ^ slot.astype(np.int64).astype(np.uint64)) < SPARKLE_PROBABILITY
    swell = np.sin(np.pi * (position - slot)) ** 2
    return np.where(chosen, swell, 0.0)


def frame_level(t_s: float, state: PatternState) -> float:
    """Overall perceived level 0..1 at t_s: fade level x the cap's perceived level.

    `state.brightness_cap` is a fraction of light (as led.max_brightness is), so it scales perceived
    levels by cap ** (1 / PERCEPTUAL_GAMMA): a night cap of 0.25 gives a quarter of the light. The
    cap in force is the session's to set (the night cap at night); no other cap is applied here.
    """
    cap = min(max(state.brightness_cap, 0.0), 1.0)
    return float(state.fade.level(t_s)) * cap ** (1.0 / PERCEPTUAL_GAMMA)


def pilot_frame(state: PatternState, n_leds: int) -> NDArray[np.float64]:
    """The idle pilot light (n_leds, 3): LED 0 at PILOT_LEVEL in a warm colour (night: no blue), dark
    when the brightness cap is 0. Steady: the same frame at any time."""
    frame = np.zeros((n_leds, 3))
    if state.brightness_cap > 0.0:
        frame[0] = (NIGHT_PILOT_COLOUR if state.night else DAY_PILOT_COLOUR) * PILOT_LEVEL
    return frame


def tint_at_same_luminance(frame: NDArray[np.float64], tint: NDArray[np.float64],
                           amount: NDArray[np.float64]) -> NDArray[np.float64]:
    """Move each LED's colour (n, 3) perceived levels toward `tint` by `amount` (n, 1) 0..1, keeping
    its luminance: the mix is made in linear light between the LED's colour and the tint scaled to
    the LED's own luminance (Rec. 709 weights), so luminance is unchanged whatever the amount."""
    light = frame**PERCEPTUAL_GAMMA
    luminance = light @ LUMA
    tint_light = tint**PERCEPTUAL_GAMMA
    target = tint_light[None, :] * (luminance / float(tint_light @ LUMA))[:, None]
    mixed = light + amount * (target - light)
    return np.asarray(np.clip(mixed, 0.0, 1.0) ** (1.0 / PERCEPTUAL_GAMMA))


def _colours(state: PatternState, n_leds: int) -> NDArray[np.float64]:
    """The ring's colour: (1, 3) for one person (the palette at their coherence), (n_leds, 3) for two
    (each half in its person's colour, patterns/together.py)."""
    if state.together is not None:
        return half_colours(state.together, state.night, n_leds)
    return palette_colour(coherence_unit(state.coherence), state.night)[None, :]


def _sparkles(state: PatternState) -> bool:
    """One person: their glimmer; two: the shared glimmer only (both coherent and in sync)."""
    return state.together.glimmer if state.together is not None else state.glimmer


def led_frame(t_s: float, state: PatternState, n_leds: int) -> NDArray[np.float64]:
    """The ring at clock time t_s: (n_leds, 3) perceived RGB levels 0..1.

    Brightness and spread follow the pacer's breath level, colour follows coherence (night: warm
    palette, blue exactly 0), a sparkle of colour at unchanged luminance when `state.glimmer`; with
    `state.together` set, the ring in two halves, one per person (patterns/together.py: their colours,
    their coherence, drawing together with their synchrony) under the one breath, sparkling on the shared
    glimmer. The
    whole frame is scaled by the fade level and the cap in force (`frame_level`); faded to nothing,
    the pilot light (`pilot_frame`).
    """
    if n_leds < 1:
        raise InputError(f"n_leds must be >= 1, got {n_leds}")
    level = frame_level(t_s, state)
    if level <= 0.0:
        return pilot_frame(state, n_leds)
    lungs = float(breath_level(state.pacer.phase_cycles(t_s), state.pacer.shape))
    frame = breath_glow(lungs, n_leds)[:, None] * _colours(state, n_leds)
    if _sparkles(state):
        tint = NIGHT_SPARKLE_TINT if state.night else DAY_SPARKLE_TINT
        twinkle = SPARKLE_AMOUNT * sparkle_levels(t_s, n_leds)[:, None]
        frame = tint_at_same_luminance(frame, tint, twinkle)
    frame *= level
    if state.night:
        frame[:, 2] = 0.0
    np.maximum(frame, pilot_frame(state, n_leds), out=frame)
    return np.clip(frame, 0.0, 1.0, out=frame)


def led_frames(times_s: NDArray[np.float64], state: PatternState, n_leds: int) -> NDArray[np.float64]:
    """`led_frame` at several times at once: (len(times_s), n_leds, 3) perceived RGB levels 0..1.

    The same frames (to rounding) for a fraction of the cost per frame: the main loop renders the next
    few frames in one call while the state stays the same (numpy's per-call cost, not the arithmetic,
    is what a 16-LED frame costs). tests/patterns/test_led_frames.py holds it to `led_frame`.
    """
    if n_leds < 1:
        raise InputError(f"n_leds must be >= 1, got {n_leds}")
    t = np.asarray(times_s, dtype=float).reshape(-1)
    level = state.fade.level(t) * min(max(state.brightness_cap, 0.0), 1.0) ** (1.0 / PERCEPTUAL_GAMMA)
    if not np.any(level > 0.0):
        return np.repeat(pilot_frame(state, n_leds)[None], len(t), axis=0)
    lungs = breath_level(state.pacer.phase_cycles(t), state.pacer.shape)
    colour = _colours(state, n_leds)
    distance, key, offset = _ring_geometry(n_leds)
    spread = MIN_SPREAD + (1.0 + EDGE_WIDTH - MIN_SPREAD) * lungs
    edge = _ease((spread[:, None] - distance[None, :]) / EDGE_WIDTH)
    glow = (FLOOR_LEVEL + (1.0 - FLOOR_LEVEL) * lungs)[:, None] * edge
    frames = glow[:, :, None] * colour[None]
    if _sparkles(state):
        tint = NIGHT_SPARKLE_TINT if state.night else DAY_SPARKLE_TINT
        position = t[:, None] / SPARKLE_SLOT_S + offset[None, :]
        slot = np.floor(position)
        chosen = _unit_hash(key[None, :] ^ slot.astype(np.int64).astype(np.uint64)) < SPARKLE_PROBABILITY
        twinkle = SPARKLE_AMOUNT * np.where(chosen, np.sin(np.pi * (position - slot)) ** 2, 0.0)[:, :, None]
        # tint_at_same_luminance, for every frame at once
        light = frames**PERCEPTUAL_GAMMA
        tint_light = tint**PERCEPTUAL_GAMMA
        target = tint_light * ((light @ LUMA) / float(tint_light @ LUMA))[:, :, None]
        frames = np.clip(light + twinkle * (target - light), 0.0, 1.0) ** (1.0 / PERCEPTUAL_GAMMA)
    frames *= np.where(level > 0.0, level, 0.0)[:, None, None]
    if state.night:
        frames[:, :, 2] = 0.0
    np.maximum(frames, pilot_frame(state, n_leds)[None], out=frames)
    return np.clip(frames, 0.0, 1.0, out=frames)
