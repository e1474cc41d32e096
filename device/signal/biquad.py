"""Butterworth band-pass biquads without scipy: design in closed form, filter sample by sample.

scipy.signal costs most of the daemon's import time and memory, for a filter designed once and two
biquads run on ten samples a chunk. These three functions stand in for the scipy calls the pulse
pipeline makes, with scipy's signatures for the cases it uses, and give scipy's numbers (checked in
tests/device/signal/test_biquad.py against scipy.signal, to a few ulp):

- `butter(N, Wn, btype, fs=fs, output="sos")` for low-pass and high-pass (N = 1, 2) and band-pass
  (N = 2, 4): the analog Butterworth prototype's poles exp(j pi (2k + N - 1) / 2N), transformed about
  the pre-warped edges 2 fs tan(pi f / fs), bilinear-transformed, paired into second-order sections as
  scipy's zpk2sos pairs them (band-pass: the pair farthest from the unit circle first, with the zeros
  at z = -1 and the overall gain; zeros at z = +1 after).
  Reference: Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., sec. 7.2 (bilinear
  transformation of Butterworth filters).
- `sosfilt_zi(sos)`: each section's steady-state state for a unit step, scaled by the DC gain ahead of it.
- `lfilter(b, a, x, zi)`: one biquad in transposed direct form II, the recurrence scipy's lfilter runs.
- `SideBySide`: the pulse pipeline's two band-passes (two cascades of two biquads each) on one input in
  a single loop over the samples, bit for bit the chained `lfilter` calls (tests/device/signal/
  test_side_by_side.py). An exact block form (y = H x + C z per chunk, a few matrix products) was tried
  and is twice as fast again on 100-sample chunks, but its rounding differs from the loop's, and on a
  stuck (constant) input the loop's rounding dust is what the pipeline's burst restarts react to: beats
  after a stuck stretch moved. The loop keeps every output as it was.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError


def butter(N: int, Wn: float | Sequence[float], btype: str = "bandpass", *, fs: float,
           output: str = "sos") -> NDArray[np.float64]:
    """Second-order sections (n, 6) [b0 b1 b2 1 a1 a2] of a digital Butterworth filter at sample rate
    `fs` Hz: "lowpass" or "highpass" of order N = 1 or 2 at the edge `Wn` Hz, or "bandpass" of order 2N
    (N = 2 or 4) passing `Wn` = (low_hz, high_hz). Only `output="sos"`; InputError on anything else or on
    edges outside 0 < f < fs / 2. A first-order filter is one section with b2 = a2 = 0, as in scipy.
    """
    if output != "sos":
        raise InputError(f"only output='sos' is built without scipy, got {output!r}")
    fs2 = 4.0  # scipy designs at fs = 2 (Nyquist 1): the bilinear transform's 2 fs

    def warped(f_hz: float) -> float:
        if not 0.0 < f_hz < fs / 2.0:
            raise InputError(f"band edge {f_hz} Hz must lie inside 0 < f < fs/2 = {fs / 2.0} Hz")
        return fs2 * math.tan(math.pi * (2.0 * f_hz / fs) / 2.0)

    if btype == "bandpass":
        if not isinstance(Wn, Sequence) or len(Wn) != 2 or N not in (2, 4):
            raise InputError(f"bandpass needs N = 2 or 4 and two edges, got N={N!r}, Wn={Wn!r}")
        return _bandpass(N, warped(float(Wn[0])), warped(float(Wn[1])), fs2)
    if btype in ("lowpass", "highpass"):
        if isinstance(Wn, Sequence) or N not in (1, 2):
            raise InputError(f"{btype} needs N = 1 or 2 and one edge, got N={N!r}, Wn={Wn!r}")
        return _low_or_high(N, warped(float(Wn)), btype == "highpass", fs2)
    raise InputError(f"btype must be 'lowpass', 'highpass' or 'bandpass', got {btype!r}")


def _prototype(N: int) -> list[complex]:
    """Poles of the analog Butterworth low-pass prototype of order N (cut-off 1 rad/s)."""
    return [complex(-np.exp(1j * math.pi * m / (2 * N))) for m in range(-N + 1, N, 2)]


def _low_or_high(N: int, wc: float, high: bool, fs2: float) -> NDArray[np.float64]:
    prototype = _prototype(N)
    if high:  # s -> wc / s: poles wc / p, N zeros at s = 0 (-> z = +1)
        analog = [wc / p for p in prototype]
        gain = complex(np.real(1.0 / np.prod([-p for p in prototype]))) * fs2**N / np.prod([fs2 - p for p in analog])
        zero = 1.0
    else:  # s -> s / wc: poles p wc, N zeros at infinity (-> z = -1)
        analog = [p * wc for p in prototype]
        gain = wc**N / np.prod([fs2 - p for p in analog])
        zero = -1.0
    k = float(np.real(gain))
    poles = [(fs2 + p) / (fs2 - p) for p in analog]
    if N == 1:
        return np.array([[k, -zero * k, 0.0, 1.0, -poles[0].real, 0.0]])
    p = max(poles, key=lambda q: q.imag)
    return np.array([[k, -2.0 * zero * k, k, 1.0, -2.0 * p.real, abs(p) ** 2]])


def _bandpass(N: int, low: float, high: float, fs2: float) -> NDArray[np.float64]:
    if not low < high:
        raise InputError("band edges must be increasing")
    bw = high - low
    wo = math.sqrt(low * high)
    # Band-pass transform: each prototype pole p gives p bw/2 +- sqrt((p bw/2)^2 - wo^2).
    analog = []
    for p in _prototype(N):
        half = p * bw / 2.0
        root = np.sqrt(half * half - wo * wo)
        analog += [half + root, half - root]
    poles = np.array([(fs2 + p) / (fs2 - p) for p in analog])
    # Bilinear gain: k bw^N x prod(fs2 - analog zeros at 0) / prod(fs2 - analog poles).
    gain = float(np.real(bw**N * fs2**N / np.prod(fs2 - np.array(analog))))
    upper = sorted((p for p in poles if p.imag > 0), key=lambda p: 1.0 - abs(p), reverse=True)
    if len(upper) * 2 != len(poles):  # edges so far apart that a pole pair turns real
        raise InputError("this band has real poles; not supported without scipy")
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
    b0, b1, b2 = np.asarray(b, dtype=float).tolist()  # plain floats (tolist: one call, not three)
    a0, a1, a2 = np.asarray(a, dtype=float).tolist()
    if a0 != 1.0:
        raise InputError(f"a[0] must be 1, got {a0}")
    z0, z1 = np.asarray(zi, dtype=float).tolist()
    samples = np.asarray(x, dtype=float).tolist()
    out = []
    for xn in samples:
        yn = z0 + b0 * xn
        z0 = z1 + xn * b1 - yn * a1
        z1 = xn * b2 - yn * a2
        out.append(yn)
    return np.array(out, dtype=float), np.array([z0, z1])


class SideBySide:
    """Several cascades of biquads run on one input, sample by sample in one loop: bit for bit what
    chaining `lfilter` over each cascade's sections gives (the same operations in the same order), at a
    fraction of its cost.

    The pulse pipeline runs two band-passes of two sections each on every chunk; chained, that is four
    `lfilter` calls, each converting its input, state and output between numpy and Python floats. Here
    the input is converted once, both cascades advance together, and the state stays in Python floats.
    Two cascades of two sections each take a loop written out for them; any other layout runs the
    chained `lfilter` calls (the same numbers, at the old cost).

    `cascades`: (n_sections, 6) arrays [b0 b1 b2 1 a1 a2], as `butter` makes them. State: a tuple of
    2 x (total sections) floats, each cascade's `sosfilt_zi` layout flattened, in cascade order.
    InputError if a cascade is not (n, 6) with a0 = 1.
    """

    def __init__(self, cascades: Sequence[ArrayLike]) -> None:
        self._sos = [np.asarray(c, dtype=float) for c in cascades]
        for c in self._sos:
            if c.ndim != 2 or c.shape[1] != 6 or len(c) == 0 or np.any(c[:, 3] != 1.0):
                raise InputError(f"each cascade must be (n, 6) with a0 = 1, got shape {c.shape}")
        self._unit = np.concatenate([sosfilt_zi(c).ravel() for c in self._sos])
        self._coefficients = tuple(v for c in self._sos for row in c.tolist() for v in row[:3] + row[4:])
        self._fast = [len(c) for c in self._sos] == [2, 2]

    def steady_state(self, value: float) -> tuple[float, ...]:
        """The state in which a constant input `value` gives a constant output (no start-up step)."""
        return tuple((self._unit * value).tolist())

    def run(self, x: NDArray[np.float64],
            state: tuple[float, ...]) -> tuple[list[NDArray[np.float64]], tuple[float, ...]]:
        """`x` (N,) through every cascade from `state`: (one (N,) output per cascade, the new state)."""
        if self._fast:
            return _two_by_two(self._coefficients, x, state)
        outputs, new_state, k = [], [], 0
        for sos in self._sos:
            y = x
            for row in sos:
                y, z = lfilter(row[:3], row[3:], y, zi=state[k:k + 2])
                new_state += z.tolist()
                k += 2
            outputs.append(y)
        return outputs, tuple(new_state)


def _two_by_two(coefficients: tuple[float, ...], x: NDArray[np.float64],
                state: tuple[float, ...]) -> tuple[list[NDArray[np.float64]], tuple[float, ...]]:
    """Two cascades of two biquads each, `lfilter`'s recurrence written out (keep them in step)."""
    (pb0, pb1, pb2, pa1, pa2, qb0, qb1, qb2, qa1, qa2,
     jb0, jb1, jb2, ja1, ja2, kb0, kb1, kb2, ka1, ka2) = coefficients
    p0, p1, q0, q1, j0, j1, k0, k1 = state
    first: list[float] = []
    second: list[float] = []
    for xn in x.tolist():
        yn = p0 + pb0 * xn
        p0 = p1 + xn * pb1 - yn * pa1
        p1 = xn * pb2 - yn * pa2
        un = q0 + qb0 * yn
        q0 = q1 + yn * qb1 - un * qa1
        q1 = yn * qb2 - un * qa2
        first.append(un)
        yn = j0 + jb0 * xn
        j0 = j1 + xn * jb1 - yn * ja1
        j1 = xn * jb2 - yn * ja2
        un = k0 + kb0 * yn
        k0 = k1 + yn * kb1 - un * ka1
        k1 = yn * kb2 - un * ka2
        second.append(un)
    return [np.array(first, dtype=float), np.array(second, dtype=float)], (p0, p1, q0, q1, j0, j1, k0, k1)
