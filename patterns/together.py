"""The ring's colours for two people (together mode): each half in its person's colour, drawing together.

Each person's own colour is their household colour, warmed by their coherence: by day it moves toward the
palette's coherent end (gold) by up to WARMTH_SHARE as coherence builds (coherence_unit, as the one-person
look reads it), so the person's colour still shows at full coherence; at night it is the night palette at
their coherence (deep red to amber, never dark, no blue) tinted by NIGHT_PERSON_SHARE of their colour, so the
halves stay told apart without blue light. As their heart-rate synchrony rises above SYNC_CHANCE, the
two halves move toward the colour halfway between them, and meet in it at synchrony 1. The LEDs between the
halves (LED 0, where the breath starts, and LED n/2) always show that shared colour. Colours are mixed in
OKLab (patterns/palette.py), where equal steps look equal. Pure and cached per look: a frame costs a lookup.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray

from patterns.palette import coherence_unit, oklab_to_srgb, palette_colour, srgb_to_oklab
from patterns.state import TogetherLook

WARMTH_SHARE: Final = 0.5  # by day, how far a fully coherent person's colour moves toward gold
NIGHT_PERSON_SHARE: Final = 0.4  # at night, how much of the person's colour tints the night palette
# Heart-rate synchrony reached by chance in one 64 s window (noise alone: median 0.24, see
# device/signal/synchrony.py): below it the halves keep their own colours; from it to 1 they draw together.
SYNC_CHANCE: Final = 0.3


def togetherness(synchrony: float | None) -> float:
    """How far the halves have drawn together, 0..1: 0 up to SYNC_CHANCE (or unknown), 1 at synchrony 1."""
    if synchrony is None:
        return 0.0
    return float(np.clip((synchrony - SYNC_CHANCE) / (1.0 - SYNC_CHANCE), 0.0, 1.0))


def own_colour(colour: tuple[float, float, float], coherence: float, night: bool) -> NDArray[np.float64]:
    """One person's colour (sRGB 0..1, (3,) OKLab) warmed by their coherence ratio (see the module's docstring)."""
    unit = coherence_unit(coherence)
    person = srgb_to_oklab(np.asarray(colour, dtype=float))
    if night:
        base = srgb_to_oklab(palette_colour(unit, night=True))
        return np.asarray(base + NIGHT_PERSON_SHARE * (person - base))
    gold = srgb_to_oklab(palette_colour(1.0))
    return np.asarray(person + WARMTH_SHARE * unit * (gold - person))


@lru_cache(maxsize=16)
def half_colours(look: TogetherLook, night: bool, n_leds: int) -> NDArray[np.float64]:
    """Per-LED colour (n_leds, 3) sRGB 0..1 of the two halves: A on LEDs 1..n/2-1, B on n/2+1..n-1, the
    shared colour on LED 0 and (n even) LED n/2. Night: blue exactly 0. Read-only (cached per look)."""
    lab_a = own_colour(look.colour_a, look.coherence_a, night)
    lab_b = own_colour(look.colour_b, look.coherence_b, night)
    shared = 0.5 * (lab_a + lab_b)
    pull = togetherness(look.synchrony)
    index = np.arange(n_leds)
    side_b = np.where(2 * index > n_leds, 1.0, np.where((index == 0) | (2 * index == n_leds), 0.5, 0.0))
    half_a = lab_a + pull * (shared - lab_a)
    half_b = lab_b + pull * (shared - lab_b)
    labs = half_a[None, :] + side_b[:, None] * (half_b - half_a)[None, :]
    colours = np.asarray(oklab_to_srgb(labs), dtype=np.float64)
    if night:
        colours[:, 2] = 0.0
    colours.setflags(write=False)
    return colours
