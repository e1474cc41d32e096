"""How the simulated person breathes: their own rhythm, and following a breathing light they see.

Perception: the person watches the ring's brightness. They smooth it (the eye and attention are not
instant), find its turning points with a hysteresis proportional to how much it swings (brightest =
time to breathe out, darkest = time to breathe in), and from those estimate the light's period,
its in-breath share and its current phase. A light counts as a breathing light once it has turned
at least three times at a plausible breathing period with a visible swing; it stops counting when it
has not turned for a period and a bit.

Breathing: a phase oscillator. On their own, its rate relaxes toward the natural rate (which wanders
slowly). Once they have noticed a breathing light (a couple of seconds after it became clear), the
rate adapts to the light's period and the phase is pulled toward the light's phase as seen
`reaction_lag_s` ago: the phase- and period-correction model of sensorimotor synchronisation
(Repp 2005, doi:10.3758/BF03206433). Compliance scales both corrections and sets how often they lapse
back toward their own rhythm for a few seconds (never at 1, always at 0).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

log = logging.getLogger(__name__)

SMOOTHING_TAU_S = 0.2  # the eye's low-pass on brightness
ENVELOPE_TAU_S = 20.0  # how fast the remembered brightest/darkest levels relax
HYSTERESIS_FRACTION = 0.2  # a turn is seen once the light has come back this share of its swing
MIN_HYSTERESIS = 0.003  # ...and at least this much (levels are 0..1), so flicker is ignored
MIN_SWING_FRACTION = 0.15  # a swing smaller than this share of the brightest level is not noticed
MIN_SWING = 0.01
PLAUSIBLE_PERIOD_S = (2.4, 25.0)  # 2.4..25 breaths/min
TURNS_TO_NOTICE = 3
NOTICE_DELAY_MEAN_S = 2.0  # after the light is clear, a moment more before they start to follow
STOP_GRACE_S = 3.0  # no turn for a period plus this: the light has stopped breathing
OWN_INHALE_FRACTION = 0.42
RATE_WANDER_TAU_S = 30.0
PHASE_NOISE_CYCLES_PER_SQRT_S = 0.02  # breath-to-breath irregularity
PHASE_COUPLING_PER_S = 0.25  # at compliance 1: phase error corrected with a ~4 s time constant
RATE_ADAPT_TAU_S = 6.0  # at compliance 1: rate follows the light's period with this time constant
RETURN_TAU_S = 15.0  # unpaced or lapsing: rate returns to their own with this time constant
LAPSE_GAP_AT_ZERO_COMPLIANCE_S = 60.0  # mean time between lapses is this / (1 - compliance)
LAPSE_MEAN_S = 6.0
LAPSE_MIN_S = 3.0


def tidal_depth(rate_bpm: ArrayLike) -> NDArray[np.float64]:
    """Breath depth 0..1 of lung volume at a breathing rate: slower breaths are deeper."""
    rate = np.maximum(np.asarray(rate_bpm, dtype=float), 1.0)
    return np.clip(0.55 * (12.0 / rate) ** 0.6, 0.2, 1.0)


def breath_shape(
    phase_cycles: NDArray[np.float64], inhale_fraction: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Lung fill 0..1 through a breath: raised-cosine in-breath then out-breath (0 = start of in)."""
    frac = np.mod(phase_cycles, 1.0)
    inhaling = frac < inhale_fraction
    x_in = frac / inhale_fraction
    x_out = (frac - inhale_fraction) / (1.0 - inhale_fraction)
    return np.where(inhaling, 0.5 - 0.5 * np.cos(np.pi * x_in), 0.5 + 0.5 * np.cos(np.pi * x_out))


class LightPerception:
    """The person's running reading of the ring: is it breathing, at what period, at what phase."""

    def __init__(self, dt_s: float) -> None:
        self._alpha = dt_s / (SMOOTHING_TAU_S + dt_s)
        self._env_decay = dt_s / ENVELOPE_TAU_S
        self._y = math.nan
        self._hi = self._lo = math.nan
        self._rising = True
        self._extreme = math.nan
        self._extreme_t_s = 0.0
        self._turned_at = math.nan  # the (smoothed) level of the last turning point, counted or not
        self._troughs: deque[float] = deque(maxlen=4)
        self._peaks: deque[float] = deque(maxlen=4)
        self._turns = 0  # turning points seen since the light last stopped breathing
        self._last_turn_s = -math.inf
        self.period_s = math.nan
        self.inhale_fraction = OWN_INHALE_FRACTION

    def sense(self, t_s: float, level: float) -> None:
        """Take in the brightness at time t_s (one grid step)."""
        if math.isnan(self._y):
            self._y = self._hi = self._lo = self._extreme = level
            self._extreme_t_s = t_s
            return
        y = self._y = self._y + self._alpha * (level - self._y)
        swing = self._hi - self._lo
        self._hi = max(y, self._hi - swing * self._env_decay)
        self._lo = min(y, self._lo + swing * self._env_decay)
        back = max(MIN_HYSTERESIS, HYSTERESIS_FRACTION * swing)
        if self._rising:
            if y > self._extreme:
                self._extreme, self._extreme_t_s = y, t_s
            elif y < self._extreme - back:
                self._turn(self._peaks, swing, t_s)
        elif y < self._extreme:
            self._extreme, self._extreme_t_s = y, t_s
        elif y > self._extreme + back:
            self._turn(self._troughs, swing, t_s)

    def _turn(self, where: deque[float], swing: float, t_s: float) -> None:
        """The light turned at the remembered extreme; start watching for the opposite one."""
        t_turn, level = self._extreme_t_s, self._extreme
        self._rising = not self._rising
        self._extreme, self._extreme_t_s = self._y, t_s
        # A breath of light is a visible swing from one turn to the next: the remembered envelope alone
        # (which a fade-in widens for a while) would let a steady glow's flicker pass for breathing.
        excursion = abs(level - self._turned_at) if math.isfinite(self._turned_at) else swing
        self._turned_at = level
        if min(swing, excursion) < max(MIN_SWING, MIN_SWING_FRACTION * self._hi):
            return
        where.append(t_turn)
        self._turns += 1
        self._last_turn_s = t_turn
        gaps = np.diff(self._troughs).tolist() + np.diff(self._peaks).tolist()
        if gaps:
            self.period_s = float(np.median(gaps[-4:] if len(gaps) > 4 else gaps))
        if self._troughs and self._peaks and math.isfinite(self.period_s):
            in_s = self._peaks[-1] - self._troughs[-1]
            if in_s < 0:
                in_s += self.period_s
            self.inhale_fraction = float(np.clip(in_s / self.period_s, 0.25, 0.75))

    def breathing(self, t_s: float) -> bool:
        """Has the light been clearly breathing, and is it still?"""
        lo, hi = PLAUSIBLE_PERIOD_S
        if self._turns < TURNS_TO_NOTICE or not lo <= self.period_s <= hi:
            return False
        if t_s - self._last_turn_s > self.period_s + STOP_GRACE_S:
            self._turns = 0
            self._troughs.clear()
            self._peaks.clear()
            return False
        return True

    def phase_fraction(self, t_s: float) -> float:
        """Where in its breath the light is at t_s, 0..1 (0 = darkest, start of the in-breath)."""
        last_trough = self._troughs[-1] if self._troughs else -math.inf
        last_peak = self._peaks[-1] if self._peaks else -math.inf
        if last_trough >= last_peak:
            return ((t_s - last_trough) / self.period_s) % 1.0
        return (self.inhale_fraction + (t_s - last_peak) / self.period_s) % 1.0


@dataclass(frozen=True)
class BreathBlock:
    """Breathing over a block of grid cells: unwrapped phase (cycles), rate (bpm), lung fill 0..1."""

    phase_cycles: NDArray[np.float64]
    rate_bpm: NDArray[np.float64]
    shape: NDArray[np.float64]


class Breathing:
    """The person's breathing oscillator, stepped on a fixed grid with the light they perceive."""

    def __init__(
        self, *, natural_rate_bpm: float, rate_wander_fraction: float, compliance: float,
        reaction_lag_s: float, grid_dt_s: float, rng_normal: np.random.Generator,
        rng_uniform: np.random.Generator,
    ) -> None:
        self._natural_bpm = natural_rate_bpm
        self._wander_sd = rate_wander_fraction
        self._compliance = compliance
        self._lag_s = reaction_lag_s
        self._dt_s = grid_dt_s
        self._rng_normal = rng_normal
        self._rng_uniform = rng_uniform
        self._perception = LightPerception(grid_dt_s)
        self._phase = float(rng_uniform.random())
        self._rate_bpm = natural_rate_bpm
        self._inhale = OWN_INHALE_FRACTION
        self._wander = 0.0
        self._notice_at_s: float | None = None
        self._lapse_until_s = -math.inf
        self._following = False

    @property
    def following(self) -> bool:
        """Breathing with a light they have noticed, and not in a lapse."""
        return self._following

    def run(self, t0_s: float, perceived_levels: NDArray[np.float64]) -> BreathBlock:
        """Step one grid cell per perceived level (nan: no light seen yet), starting at t0_s."""
        n = len(perceived_levels)
        normal = self._rng_normal.standard_normal((n, 2))
        uniform = self._rng_uniform.random((n, 3))
        phase, rate, inhale = np.empty(n), np.empty(n), np.empty(n)
        dt, c, seen = self._dt_s, self._compliance, self._perception
        wander_a = math.exp(-dt / RATE_WANDER_TAU_S)
        wander_in = self._wander_sd * math.sqrt(1.0 - wander_a**2)
        phase_noise = PHASE_NOISE_CYCLES_PER_SQRT_S * math.sqrt(dt)
        lapse_p = dt * (1.0 - c) / LAPSE_GAP_AT_ZERO_COMPLIANCE_S
        adapt = min(1.0, dt * c / RATE_ADAPT_TAU_S)
        for i in range(n):
            t = t0_s + i * dt
            phase[i], rate[i], inhale[i] = self._phase, self._rate_bpm, self._inhale
            t_seen = t - self._lag_s
            level = float(perceived_levels[i])
            if not math.isnan(level):
                seen.sense(t_seen, level)
            if c > 0.0 and seen.breathing(t_seen):
                if self._notice_at_s is None:
                    self._notice_at_s = t - NOTICE_DELAY_MEAN_S * math.log1p(-uniform[i, 2])
                noticed = t >= self._notice_at_s
            else:
                self._notice_at_s, noticed = None, False
            if noticed and t >= self._lapse_until_s and uniform[i, 0] < lapse_p:
                lapse_s = LAPSE_MIN_S - (LAPSE_MEAN_S - LAPSE_MIN_S) * math.log1p(-uniform[i, 1])
                self._lapse_until_s = t + lapse_s
                log.debug("person lapses from the light at %.1f s until %.1f s", t, self._lapse_until_s)
            self._following = noticed and t >= self._lapse_until_s
            self._wander = wander_a * self._wander + wander_in * normal[i, 0]
            if self._following:
                error = (seen.phase_fraction(t_seen) - self._phase + 0.5) % 1.0 - 0.5
                self._rate_bpm += (60.0 / seen.period_s - self._rate_bpm) * adapt
                self._inhale += (seen.inhale_fraction - self._inhale) * dt / RATE_ADAPT_TAU_S
                step = self._rate_bpm / 60.0 * dt + PHASE_COUPLING_PER_S * c * error * dt
            else:
                own_bpm = self._natural_bpm * (1.0 + self._wander)
                self._rate_bpm += (own_bpm - self._rate_bpm) * dt / RETURN_TAU_S
                self._inhale += (OWN_INHALE_FRACTION - self._inhale) * dt / RETURN_TAU_S
                step = self._rate_bpm / 60.0 * dt
            self._phase += max(step + phase_noise * normal[i, 1], 0.0)
        return BreathBlock(phase, rate, breath_shape(phase, inhale))
