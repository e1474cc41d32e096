"""Butterworth band-pass biquads without scipy: design in closed form, filter sample by sample.

scipy.signal costs most of the daemon's import time and memory, for a filter designed once and two
biquads run on ten samples a chunk. These three functions stand in for the scipy calls the pulse
pipeline makes, with scipy's signatures for the cases it uses, and give scipy's numbers (checked in
tests/device/signal/test_biquad.py against scipy.signal, to a few ulp):

- `butter(N, [low, high], "bandpass", fs=fs, output="sos")`: the analog Butterworth prototype's poles
  exp(j pi (2k + N - 1) / 2N), band-pass transformed about the pre-warped edges 2 fs tan(pi f / fs),
  bilinear-transformed, paired into second-order sections as scipy's zpk2sos pairs them (the pair
  farthest from the unit circle first, with the zeros at z = -1 and the overall gain; zeros at z = +1 after).
  Reference: Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., sec. 7.2 (bilinear
  transformation of Butterworth filters).
- `sosfilt_zi(sos)`: each section's steady-state state for a unit step, scaled by the DC gain ahead of it.
- `lfilter(b, a, x, zi)`: one biquad in transposed direct form II, the recurrence scipy's lfilter runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError


def butter(N: int, Wn: Sequence[float], btype: str = "bandpass", *, fs: float,
           output: str = "sos") -> NDArray[np.float64]:
    """Second-order sections (N, 6) [b0 b1 b2 1 a1 a2] of a digital Butterworth band-pass filter of
    order 2N, passing `Wn` = (low_hz, high_hz) at sample rate `fs` Hz. Only band-pass, even N (N = 2 in
    the pulse pipeline; 2 and 4 tested), `output="sos"`; InputError on anything else or on edges outside
    0 < low < high < fs / 2.
    """
    if btype != "bandpass" or output != "sos":
        raise InputError(f"only btype='bandpass', output='sos' are built without scipy, got {btype!r}, {output!r}")
    if not isinstance(N, int) or N not in (2, 4, 6, 8):
        raise InputError(f"filter order must be 2, 4, 6 or 8 without scipy, got {N!r}")
    low_hz, high_hz = (float(w) for w in Wn)
    if not 0.0 < low_hz < high_hz < fs / 2.0:
        raise InputError(f"band edges must satisfy 0 < low < high < fs/2, got {low_hz}, {high_hz} at {fs} Hz")
    fs2 = 4.0  # scipy designs at fs = 2 (Nyquist 1): the bilinear transform's 2 fs
    warped = [fs2 * math.tan(math.pi * (2.0 * w / fs) / 2.0) for w in (low_hz, high_hz)]
    bw = warped[1] - warped[0]
    wo = math.sqrt(warped[0] * warped[1])
    prototype = [-np.exp(1j * math.pi * m / (2 * N)) for m in range(-N + 1, N, 2)]
    # Band-pass transform: each prototype pole p gives p bw/2 +- sqrt((p bw/2)^2 - wo^2).
    analog = []
    for p in prototype:
        half = p * bw / 2.0
        root = np.sqrt(half * half - wo * wo)
        analog += [half + root, half - root]
    poles = np.array([(fs2 + p) / (fs2 - p) for p in analog])
    # Analog zeros: N at s = 0 (-> z = +1) and N at infinity (-> z = -1); gain bw^N.
    # Bilinear gain: k bw^N x prod(fs2 - analog zeros at 0) / prod(fs2 - analog poles).
    gain = float(np.real(bw**N * fs2**N / np.prod(fs2 - np.array(analog))))
    upper = sorted((p for p in poles if p.imag > 0), key=lambda p: 1.0 - abs(p), reverse=True)
    if len(upper) * 2 != len(poles):  # edges so far apart that a pole pair turns real
        raise InputError(f"band {low_hz}-{high_hz} Hz at {fs} Hz has real poles; not supported without scipy")
    sections = np.empty((len(upper), 6))
    n_minus = N  # zeros at z = -1 go with the sections farthest from the unit circle, as scipy pairs them
    for i, p in enumerate(upper):
        if n_minus >= 2:
            b = [1.0, 2.0, 1.0]
            n_minus -= 2
        else:
            b = [1.0, -2.0, 1.0]
        sections[i, :3] = b
        sections[i, 3:] = [1.0, -2.0 * p.real, abs(p) ** 2]
    sections[0, :3] *= gain
    return sections


def _biquad_zi(b: NDArray[np.float64], a: NDArray[np.float64]) -> NDArray[np.float64]:
    """Steady state of one biquad (a0 = 1) for a unit step: zi = A zi + B solved as scipy's lfilter_zi
    solves it (the same 2 x 2 system through numpy.linalg.solve, so the same rounding)."""
    i_minus_a = np.array([[1.0 + a[1], -1.0], [a[2], 1.0]])
    return np.asarray(np.linalg.solve(i_minus_a, b[1:] - a[1:] * b[0]), dtype=float)


def sosfilt_zi(sos: ArrayLike) -> NDArray[np.float64]:
    """(n_sections, 2) initial states for which a constant input of 1 gives a constant output."""
    sections = np.asarray(sos, dtype=float)
    if sections.ndim != 2 or sections.shape[1] != 6 or np.any(sections[:, 3] != 1.0):
        raise InputError(f"sos must be (n, 6) with a0 = 1, got shape {sections.shape}")
    zi = np.empty((len(sections), 2))
    scale = 1.0
    for k, row in enumerate(sections):
        b, a = row[:3], row[3:]
        zi[k] = scale * _biquad_zi(b, a)
        scale *= b.sum() / a.sum()
    return zi


def lfilter(b: ArrayLike, a: ArrayLike, x: ArrayLike,
            zi: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One biquad (b, a of length 3, a[0] = 1) over `x` from state `zi` (2,): (output, final state).

    Transposed direct form II, sample by sample, in scipy's order of operations; a plain loop beats a
    C call's overhead on the ten samples of a 100 ms chunk.
    """
    b0, b1, b2 = (float(v) for v in np.asarray(b, dtype=float))
    a0, a1, a2 = (float(v) for v in np.asarray(a, dtype=float))
    if a0 != 1.0:
        raise InputError(f"a[0] must be 1, got {a0}")
    z0, z1 = (float(v) for v in np.asarray(zi, dtype=float))
    samples = np.asarray(x, dtype=float).tolist()
    out = []
    for xn in samples:
        yn = z0 + b0 * xn
        z0 = z1 + xn * b1 - yn * a1
        z1 = xn * b2 - yn * a2
        out.append(yn)
    return np.array(out, dtype=float), np.array([z0, z1])
