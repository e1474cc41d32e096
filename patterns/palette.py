"""Colour palettes: coherence -> colour, for day (calm cool-to-warm) and night (warm only, no blue).

Colours are interpolated in OKLab (Björn Ottosson, "A perceptual color space for image processing",
2020, https://bottosson.github.io/posts/oklab/), where equal steps look like equal changes, so the ring
moves evenly from deep blue-violet through teal and soft green to gold as coherence builds.

Values are sRGB-encoded 0..1 ("perceived" levels); the LED driver applies gamma to reach LED drive.
Both palettes are tabulated once at import into lookup tables, so a frame's colour costs one lookup.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError

# Stops from low (0.0) to high (1.0) coherence, sRGB 0..1. Chosen so lightness rises and hue turns
# one way only (blue-violet -> teal -> green -> gold): the palette reads as "warming up".
DAY_STOPS: Final[tuple[tuple[float, tuple[float, float, float]], ...]] = (
    (0.0, (0.22, 0.16, 0.62)),  # deep blue-violet
    (0.4, (0.08, 0.50, 0.58)),  # teal
    (0.7, (0.36, 0.72, 0.38)),  # soft green
    (1.0, (0.96, 0.76, 0.30)),  # gold
)
# Night: red to amber, blue channel held at exactly 0 (blue light keeps people awake).
NIGHT_STOPS: Final[tuple[tuple[float, tuple[float, float, float]], ...]] = (
    (0.0, (0.50, 0.04, 0.0)),  # deep red
    (0.5, (0.80, 0.20, 0.0)),  # ember
    (1.0, (1.00, 0.50, 0.0)),  # amber
)

# Coherence ratio (HeartMath-style peak-power ratio, dimensionless) mapped log-linearly onto 0..1.
LOW_COHERENCE_RATIO: Final = 0.3
HIGH_COHERENCE_RATIO: Final = 3.0

LUT_SIZE: Final = 256

_M1: Final = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_M2: Final = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)


def srgb_to_linear(c: ArrayLike) -> NDArray[np.float64]:
    """sRGB-encoded 0..1 -> linear light 0..1 (IEC 61966-2-1 transfer function)."""
    x = np.clip(np.asarray(c, dtype=float), 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: ArrayLike) -> NDArray[np.float64]:
    """Linear light 0..1 -> sRGB-encoded 0..1."""
    x = np.clip(np.asarray(c, dtype=float), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def srgb_to_oklab(rgb: ArrayLike) -> NDArray[np.float64]:
    """sRGB 0..1, shape (..., 3) -> OKLab (L, a, b), shape (..., 3)."""
    lms = srgb_to_linear(rgb) @ _M1.T
    return np.asarray(np.cbrt(lms) @ _M2.T)


def oklab_to_srgb(lab: ArrayLike) -> NDArray[np.float64]:
    """OKLab (..., 3) -> sRGB 0..1 (..., 3), clipped to the gamut."""
    lms = (np.asarray(lab, dtype=float) @ np.linalg.inv(_M2).T) ** 3
    return linear_to_srgb(lms @ np.linalg.inv(_M1).T)


def _tabulate(stops: tuple[tuple[float, tuple[float, float, float]], ...]) -> NDArray[np.float64]:
    """Piecewise-linear interpolation of the stops in OKLab, sampled at LUT_SIZE points (sRGB out)."""
    positions = np.array([p for p, _ in stops])
    labs = srgb_to_oklab(np.array([c for _, c in stops]))
    u = np.linspace(0.0, 1.0, LUT_SIZE)
    lab = np.stack([np.interp(u, positions, labs[:, k]) for k in range(3)], axis=-1)
    return oklab_to_srgb(lab)


_DAY_LUT: Final = _tabulate(DAY_STOPS)
_NIGHT_LUT: Final = _tabulate(NIGHT_STOPS)
_NIGHT_LUT[:, 2] = 0.0  # OKLab round trips leave ~1e-3 of blue; night means none at all


def coherence_unit(
    coherence_ratio: float, low_ratio: float = LOW_COHERENCE_RATIO, high_ratio: float = HIGH_COHERENCE_RATIO
) -> float:
    """Map a coherence ratio onto 0..1, log-linearly between `low_ratio` and `high_ratio`.

    Log scale because the ratio spans a decade from scattered to coherent rhythm.
    """
    if not 0 < low_ratio < high_ratio:
        raise InputError(f"need 0 < low_ratio < high_ratio, got {low_ratio}, {high_ratio}")
    if not coherence_ratio > low_ratio:  # also catches NaN
        return 0.0
    return min(1.0, math.log(coherence_ratio / low_ratio) / math.log(high_ratio / low_ratio))


def palette_colour(unit: float, night: bool = False) -> NDArray[np.float64]:
    """sRGB colour (3,) at position `unit` 0..1 on the day or night palette (linear lookup)."""
    lut = _NIGHT_LUT if night else _DAY_LUT
    x = min(max(float(unit), 0.0), 1.0) * (LUT_SIZE - 1)
    i = min(int(x), LUT_SIZE - 2)
    w = x - i
    return np.asarray(lut[i] * (1.0 - w) + lut[i + 1] * w)


def palette_table(night: bool = False) -> NDArray[np.float64]:
    """A copy of the whole palette, (LUT_SIZE, 3) sRGB, from low to high coherence."""
    return (_NIGHT_LUT if night else _DAY_LUT).copy()
