"""Immutable pattern state: everything the LED and audio renderers need to draw time t.

The session builds a new `PatternState` whenever guidance changes and swaps the reference; the
render functions (LED frames on the main loop, hum blocks in PortAudio's thread) only read it.
The pacer is a function of time, not of how often it is evaluated: the breath phase is the closed-form
integral of a rate that glides linearly from `rate0_bpm` toward `target_bpm`, then holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError


@dataclass(frozen=True)
class BreathShape:
    """Proportions of one breath. Default 4:6 inhale:exhale, no holds."""

    inhale: float = 4.0
    hold_in: float = 0.0
    exhale: float = 6.0
    hold_out: float = 0.0

    def __post_init__(self) -> None:
        parts = (self.inhale, self.hold_in, self.exhale, self.hold_out)
        if min(parts) < 0 or self.inhale <= 0 or self.exhale <= 0:
            raise ValueError(f"breath proportions must be >= 0 with inhale, exhale > 0: {parts}")

    @property
    def total(self) -> float:
        return self.inhale + self.hold_in + self.exhale + self.hold_out


@dataclass(frozen=True)
class PacerSnapshot:
    """Breath phase as a function of clock time.

    phase (cycles) at t >= t0_s: phase0_cycles + integral of rate(t)/60, where rate(t) moves from
    rate0_bpm toward target_bpm at |slope_bpm_per_s| and then holds at target_bpm. The fractional part
    of the phase is the position within a breath: 0 = start of the in-breath.
    """

    t0_s: float
    phase0_cycles: float
    rate0_bpm: float
    target_bpm: float
    slope_bpm_per_s: float = 0.0
    shape: BreathShape = field(default_factory=BreathShape)

    def _glide_end_s(self) -> float:
        """Seconds after t0_s at which the rate reaches target_bpm (0 if it never moves)."""
        gap = self.target_bpm - self.rate0_bpm
        if gap == 0.0 or self.slope_bpm_per_s == 0.0:
            return 0.0
        return abs(gap) / abs(self.slope_bpm_per_s)

    def rate_bpm(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Pacer rate in breaths per minute at clock time(s) t_s."""
        dt = np.maximum(np.asarray(t_s, dtype=float) - self.t0_s, 0.0)
        t_end = self._glide_end_s()
        if t_end == 0.0:
            return np.full_like(dt, self.target_bpm if self.slope_bpm_per_s else self.rate0_bpm)
        direction = np.sign(self.target_bpm - self.rate0_bpm)
        return self.rate0_bpm + direction * abs(self.slope_bpm_per_s) * np.minimum(dt, t_end)

    def phase_cycles(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Unwrapped breath phase in cycles at clock time(s) t_s (continuous, closed form)."""
        dt = np.maximum(np.asarray(t_s, dtype=float) - self.t0_s, 0.0)
        t_end = self._glide_end_s()
        if t_end == 0.0:
            rate = self.target_bpm if self.slope_bpm_per_s else self.rate0_bpm
            return self.phase0_cycles + rate * dt / 60.0
        slope = np.sign(self.target_bpm - self.rate0_bpm) * abs(self.slope_bpm_per_s)
        ramp_t = np.minimum(dt, t_end)
        ramp = self.rate0_bpm * ramp_t + 0.5 * slope * ramp_t**2
        hold = self.target_bpm * np.maximum(dt - t_end, 0.0)
        return self.phase0_cycles + (ramp + hold) / 60.0

    def rate_at(self, t_s: float) -> float:
        """`rate_bpm` at one time, in plain floats (a few times cheaper than the array form)."""
        dt = max(t_s - self.t0_s, 0.0)
        t_end = self._glide_end_s()
        if t_end == 0.0:
            return self.target_bpm if self.slope_bpm_per_s else self.rate0_bpm
        direction = math.copysign(1.0, self.target_bpm - self.rate0_bpm)
        return self.rate0_bpm + direction * abs(self.slope_bpm_per_s) * min(dt, t_end)

    def phase_at(self, t_s: float) -> float:
        """`phase_cycles` at one time, in plain floats (same formula, same rounding)."""
        dt = max(t_s - self.t0_s, 0.0)
        t_end = self._glide_end_s()
        if t_end == 0.0:
            rate = self.target_bpm if self.slope_bpm_per_s else self.rate0_bpm
            return self.phase0_cycles + rate * dt / 60.0
        slope = math.copysign(1.0, self.target_bpm - self.rate0_bpm) * abs(self.slope_bpm_per_s)
        ramp_t = min(dt, t_end)
        ramp = self.rate0_bpm * ramp_t + 0.5 * slope * ramp_t**2
        hold = self.target_bpm * max(dt - t_end, 0.0)
        return self.phase0_cycles + (ramp + hold) / 60.0

    def rebased(self, t_s: float, target_bpm: float, slope_bpm_per_s: float) -> PacerSnapshot:
        """A new snapshot continuing this one's phase and rate from t_s, gliding toward target_bpm."""
        return PacerSnapshot(
            t0_s=t_s,
            phase0_cycles=float(self.phase_cycles(t_s)),
            rate0_bpm=float(self.rate_bpm(t_s)),
            target_bpm=target_bpm,
            slope_bpm_per_s=abs(slope_bpm_per_s),
            shape=self.shape,
        )


@dataclass(frozen=True)
class Fade:
    """A linear level ramp from `from_level` to `to_level` over [t0_s, t0_s + duration_s]."""

    t0_s: float
    from_level: float
    to_level: float
    duration_s: float

    def level(self, t_s: ArrayLike) -> NDArray[np.float64]:
        t = np.asarray(t_s, dtype=float)
        if self.duration_s <= 0:
            return np.where(t >= self.t0_s, self.to_level, self.from_level).astype(float)
        x = np.clip((t - self.t0_s) / self.duration_s, 0.0, 1.0)
        # Smoothstep so the fade has no corner at either end.
        x = x * x * (3.0 - 2.0 * x)
        return self.from_level + (self.to_level - self.from_level) * x

    def level_at(self, t_s: float) -> float:
        """`level` at one time, in plain floats."""
        if self.duration_s <= 0:
            return float(self.to_level if t_s >= self.t0_s else self.from_level)
        x = min(max((t_s - self.t0_s) / self.duration_s, 0.0), 1.0)
        x = x * x * (3.0 - 2.0 * x)
        return self.from_level + (self.to_level - self.from_level) * x


Rgb = tuple[float, float, float]


@dataclass(frozen=True)
class TogetherLook:
    """What the ring shows of two people in a together session (patterns/led.py draws it in two halves).

    colour_a, colour_b: each person's colour (the household's, RGB 0..1; person A on LEDs 1..n/2-1, B on
    the others). coherence_a, coherence_b: each one's HeartMath coherence ratio (warms their half).
    synchrony: their heart-rate synchrony 0..1 (device/signal/synchrony.py), None while withheld (the
    halves keep their own colours). glimmer: the shared sparkle (both coherent and in sync). Raises
    InputError on a colour that is not three values in 0..1, a negative or NaN coherence ratio, or a
    synchrony outside 0..1.
    """

    colour_a: Rgb
    colour_b: Rgb
    coherence_a: float = 0.0
    coherence_b: float = 0.0
    synchrony: float | None = None
    glimmer: bool = False

    def __post_init__(self) -> None:
        for name in ("colour_a", "colour_b"):
            colour = tuple(float(c) for c in getattr(self, name))
            if len(colour) != 3 or not all(0.0 <= c <= 1.0 for c in colour):
                raise InputError(f"TogetherLook.{name} must be three values in 0..1, got {getattr(self, name)!r}")
            object.__setattr__(self, name, colour)  # a tuple, whatever sequence was given: the look is hashable
        for name in ("coherence_a", "coherence_b"):
            if not getattr(self, name) >= 0.0:  # also refuses NaN (inf: a spectrum all in its peak, allowed)
                raise InputError(f"TogetherLook.{name} must be a coherence ratio >= 0, got {getattr(self, name)!r}")
        if self.synchrony is not None and not 0.0 <= self.synchrony <= 1.0:  # also refuses NaN
            raise InputError(f"TogetherLook.synchrony must be in 0..1 or None, got {self.synchrony!r}")


@dataclass(frozen=True)
class PatternState:
    """What the outputs show and play. Built by the session, read by renderers; never mutated."""

    pacer: PacerSnapshot
    fade: Fade = Fade(0.0, 0.0, 0.0, 0.0)  # overall level of light and sound, 0..1
    coherence: float = 0.0  # HeartMath coherence ratio; drives colour
    glimmer: bool = False  # sustained coherence: add the gentle sparkle
    night: bool = False  # warm colours only, brightness and volume capped
    brightness_cap: float = 1.0  # 0..1 fraction of light (like led.max_brightness), on top of the fade
    volume_cap: float = 1.0  # 0..1 of full scale
    hum_enabled: bool = True
    hum_pitch_hz: float = 130.0
    cue_enabled: bool = True
    together: TogetherLook | None = None  # two people: the ring in two halves (coherence, glimmer: theirs)
