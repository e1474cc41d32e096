"""LED current control (AGC) and finger detection for the MAX30102, as pure functions.

Skin tone, finger pressure and ambient light change how much LED light comes back, so a fixed LED
current leaves some people's signal dim (few ADC counts of pulse) and saturates others'. The driver
measures each channel's DC level over an AGC period and asks `next_led_current` for a new current:
it acts only when the DC level leaves the target window (default 40-80 % of full scale) and then
steps toward the window's middle until the level is back inside a narrower settle band (50-70 %),
by at most `max_step_ratio` per period. That hysteresis keeps current changes rare, because every
change puts a step into the signal that the pulse pipeline has to ride out.

A finger is told from the reflected DC photocurrent per mA of LED current: tissue sends back
hundreds of nA per mA, an empty sensor only ambient leakage, whatever the current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from device.errors import ConfigError
from drivers.max30102_regs import LED_CURRENT_MAX_MA, LED_CURRENT_STEP_MA


@dataclass(frozen=True)
class AgcSettings:
    """How the LED currents follow the signal level. Fractions are of the ADC full scale."""

    enabled: bool = True
    target_low_fraction: float = 0.40  # act when the DC level falls below this ...
    target_high_fraction: float = 0.80  # ... or rises above this
    settle_low_fraction: float = 0.50  # once acting, stop inside this band
    settle_high_fraction: float = 0.70
    saturation_fraction: float = 0.98  # any sample above this counts as saturated
    saturation_step_ratio: float = 0.5  # current multiplier when saturated
    max_step_ratio: float = 1.25  # largest change per AGC period otherwise (x or /)
    period_s: float = 0.5  # DC is measured over this many seconds of samples
    min_current_ma: float = 1.0
    max_current_ma: float = 30.0
    finger_on_na_per_ma: float = 40.0  # reflected IR DC per mA of IR current to call a finger on
    finger_off_na_per_ma: float = 20.0  # ... and to call it off again (hysteresis)

    def problems(self) -> list[str]:
        """Every inconsistency in these settings, each naming its key."""
        found: list[str] = []
        if not 0.0 < self.target_low_fraction < self.settle_low_fraction:
            found.append("agc.target_low_fraction must be in (0, settle_low_fraction)")
        if not self.settle_low_fraction < self.settle_high_fraction:
            found.append("agc.settle_low_fraction must be below agc.settle_high_fraction")
        if not self.settle_high_fraction < self.target_high_fraction < self.saturation_fraction <= 1.0:
            found.append("agc: need settle_high < target_high < saturation_fraction <= 1")
        if not 0.0 < self.saturation_step_ratio < 1.0:
            found.append("agc.saturation_step_ratio must be in (0, 1)")
        if not self.max_step_ratio > 1.0:
            found.append("agc.max_step_ratio must be > 1")
        if not self.period_s > 0.0:
            found.append("agc.period_s must be > 0")
        if not LED_CURRENT_STEP_MA <= self.min_current_ma < self.max_current_ma <= LED_CURRENT_MAX_MA:
            found.append(f"agc: need {LED_CURRENT_STEP_MA} <= min_current_ma < max_current_ma"
                         f" <= {LED_CURRENT_MAX_MA:.1f}")
        if not 0.0 < self.finger_off_na_per_ma < self.finger_on_na_per_ma:
            found.append("agc: need 0 < finger_off_na_per_ma < finger_on_na_per_ma")
        return found

    def __post_init__(self) -> None:
        found = self.problems()
        if found:
            raise ConfigError(found)


@dataclass(frozen=True)
class ChannelLevel:
    """One LED channel's level over an AGC period, as fractions of the ADC full scale."""

    dc_fraction: float  # mean
    peak_fraction: float  # largest sample


@dataclass(frozen=True)
class AgcDecision:
    """The current to use next, and whether the controller is still walking toward the window."""

    current_ma: float
    adjusting: bool


def _quantise_ma(current_ma: float) -> float:
    return round(round(current_ma / LED_CURRENT_STEP_MA) * LED_CURRENT_STEP_MA, 1)


def next_led_current(current_ma: float, level: ChannelLevel, adjusting: bool,
                     settings: AgcSettings) -> AgcDecision:
    """One AGC step for one channel: the next LED current (mA, on the chip's 0.2 mA grid).

    Saturation cuts the current at once by `saturation_step_ratio`. Otherwise nothing happens while
    the DC level stays inside the target window (hysteresis); outside it, or while still adjusting,
    the current moves toward the settle band's middle assuming counts are proportional to current,
    by at most `max_step_ratio` and at least one register step.
    """
    low_ma, high_ma = settings.min_current_ma, settings.max_current_ma
    if level.peak_fraction >= settings.saturation_fraction:
        new_ma = max(low_ma, _quantise_ma(current_ma * settings.saturation_step_ratio))
        return AgcDecision(new_ma, adjusting=new_ma < current_ma)
    dc = level.dc_fraction
    outside = not settings.target_low_fraction <= dc <= settings.target_high_fraction
    if not (outside or adjusting):
        return AgcDecision(current_ma, adjusting=False)
    if settings.settle_low_fraction <= dc <= settings.settle_high_fraction:
        return AgcDecision(current_ma, adjusting=False)
    centre = 0.5 * (settings.settle_low_fraction + settings.settle_high_fraction)
    ratio = centre / dc if dc > 0.0 else settings.max_step_ratio
    ratio = min(settings.max_step_ratio, max(1.0 / settings.max_step_ratio, ratio))
    new_ma = _quantise_ma(current_ma * ratio)
    if math.isclose(new_ma, current_ma):  # always move at least one register step
        new_ma = _quantise_ma(current_ma + (LED_CURRENT_STEP_MA if ratio > 1.0 else -LED_CURRENT_STEP_MA))
    new_ma = min(high_ma, max(low_ma, new_ma))
    stuck = math.isclose(new_ma, current_ma)  # at a limit: nothing more to do
    return AgcDecision(new_ma, adjusting=not stuck)


def finger_on_from_dc(ir_dc_na: float, ir_current_ma: float, was_on: bool | None,
                      settings: AgcSettings) -> bool:
    """Whether a fingertip covers the sensor, from the IR DC photocurrent (nA) at `ir_current_ma`.

    Uses reflected nA per mA so that the answer does not depend on where the AGC has put the
    current; two thresholds give hysteresis so a borderline level does not flicker.
    """
    if ir_current_ma <= 0.0:
        return bool(was_on)
    reflectance_na_per_ma = ir_dc_na / ir_current_ma
    threshold = settings.finger_off_na_per_ma if was_on else settings.finger_on_na_per_ma
    return reflectance_na_per_ma >= threshold
