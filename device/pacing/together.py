"""Together mode: the choices of one pacer serving two people breathing side by side.

Pure functions of rates (breaths per minute), no clock and no state: the session hands their answers to
one device.pacing.guide.PacerGuide, which starts, glides and waits as it does for one person:

- start: `together_start_rate` gives the rate passed to PacerGuide.start in place of one person's measured
  rate: halfway between the two people's own breathing rates (a rate not read counts as the default start
  rate), so neither is asked to change by more than half of the difference between them (the smallest
  largest step for the two), and never below the slower breather's rate;
- target: `together_target_rate` is the resonance rate the glide heads for (GuideSettings.resonance_rate_per_min):
  the mean of the two people's resonance rates, each their stored one or the default;
- the shared glimmer (patterns.state.TogetherLook.glimmer): `together_glimmer`, when each person has their
  own glimmer (their sustained coherence, as the session decides it for one person) and they are in sync;
- waiting: `together_following` is what gates the glide: it goes on only while both people follow it, and it
  holds (as PacerGuide holds for one person who stops following) while either does not.
"""

from __future__ import annotations

import math

from device.errors import InputError
from device.pacing.guide import MAX_START_RATE_BPM, MIN_RATE_BPM, PLAUSIBLE_BREATH_BPM

__all__ = ["DEFAULT_RESONANCE_BPM", "IN_SYNC", "together_following", "together_glimmer", "together_start_rate",
           "together_target_rate"]

DEFAULT_RESONANCE_BPM = 6.0  # a person with no resonance assessment (GuideSettings' default)
RESONANCE_RANGE_BPM = (4.5, 7.0)  # GuideSettings.resonance_rate_per_min's bounds
# Heart-rate synchrony (device/signal/synchrony.py) at which two people count as in sync: the level issue 13
# asks paced pairs to reach; beat-to-beat noise alone reaches 0.40 in 1 window of 20 by chance.
IN_SYNC = 0.7


def _plausible(rate_bpm: float | None) -> float | None:
    """The rate when it can be a person's breathing (PLAUSIBLE_BREATH_BPM, as the guide judges), else None."""
    if rate_bpm is None or not math.isfinite(rate_bpm):
        return None
    lo, hi = PLAUSIBLE_BREATH_BPM
    return rate_bpm if lo <= rate_bpm <= hi else None


def together_start_rate(rate_a_bpm: float | None, rate_b_bpm: float | None, default_bpm: float) -> float:
    """The shared pacer's start rate (breaths/min) for two people breathing at their own rates.

    Both known: their midpoint, which lies between the two rates (so never slower than the slower breather)
    and asks each person to change by half their difference at most. One unknown (no confident estimate):
    it counts as `default_bpm`, where the one-person guide would start that person, so neither is asked for
    more than half the way to the other's start (an 18/min breather beside an 8/min one whose rate was not
    read starts at 14, not 8). Neither: `default_bpm`. A rate
    outside PLAUSIBLE_BREATH_BPM (or non-finite) counts as unknown, as PacerGuide.start judges it. The answer
    is kept within MIN_RATE_BPM..MAX_START_RATE_BPM, the guide's start limits. Raises InputError when
    `default_bpm` is not a finite rate within those limits.
    """
    if not math.isfinite(default_bpm) or not MIN_RATE_BPM <= default_bpm <= MAX_START_RATE_BPM:
        raise InputError(f"default start rate must be within {MIN_RATE_BPM}..{MAX_START_RATE_BPM} breaths/min, "
                         f"not {default_bpm!r}")
    rates = [default_bpm if r is None else r for r in (_plausible(rate_a_bpm), _plausible(rate_b_bpm))]
    rate = 0.5 * (rates[0] + rates[1])
    return min(max(rate, MIN_RATE_BPM), MAX_START_RATE_BPM)


def together_target_rate(resonance_a_bpm: float | None, resonance_b_bpm: float | None,
                         default_bpm: float = DEFAULT_RESONANCE_BPM) -> float:
    """The shared pacer's target (breaths/min): the mean of the two people's resonance rates.

    A person with no stored resonance rate (None) counts as `default_bpm`, the rate a one-person session would
    pace them toward. Raises InputError on a rate (or default) outside RESONANCE_RANGE_BPM or not finite.
    """
    lo, hi = RESONANCE_RANGE_BPM
    rates = [default_bpm if r is None else r for r in (resonance_a_bpm, resonance_b_bpm)]
    for rate in (*rates, default_bpm):
        if not math.isfinite(rate) or not lo <= rate <= hi:
            raise InputError(f"resonance rate must be within {lo}..{hi} breaths/min, not {rate!r}")
    return 0.5 * (rates[0] + rates[1])


def together_following(following_a: bool, following_b: bool) -> bool:
    """Does the shared pacer's glide go on? Only while both people follow it: it waits for either one."""
    return following_a and following_b


def together_glimmer(glimmer_a: bool, glimmer_b: bool, synchrony: float | None) -> bool:
    """The shared glimmer: both people coherent (each one's own glimmer, sustained coherence) and their
    heart-rate synchrony at least IN_SYNC. Withheld synchrony (None) is not in sync."""
    return glimmer_a and glimmer_b and synchrony is not None and synchrony >= IN_SYNC
