"""Biquad cascades run a block of samples at a time, as one exact linear map (numpy only, no scipy).

The pulse pipeline band-passes every chunk through two cascades of second-order sections (picking and
judging). Run sample by sample in Python (device/signal/biquad.py: `lfilter`) that is a few
floating-point operations per sample and section, each paying the interpreter's overhead. A cascade is
a linear time-invariant system, so a block of N samples x (N,) from state s (S,) gives

    y  = H_N x + C_N s           (N,)   H_N lower-triangular Toeplitz: h[n - j], h the impulse response
    s' = A^N s + B_N x           (S,)   B_N[:, j] = the state N - j samples after a unit impulse

(Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., sec. 6.5, the state-space form of a
difference equation, iterated over a block: the block-processing form of Burrus, "Block realization of
digital filters", IEEE Trans. Audio Electroacoust. 20(4), 1972, doi:10.1109/TAU.1972.1162387).
Here H, C, A^k and B are not derived algebraically but measured: the transposed-direct-form-II recurrence
(`lfilter`'s, in its order of operations) is run once, for `max_block` samples, from each unit state and
on a unit impulse; by superposition those responses are the matrices' columns. Every block of up to
`max_block` samples then costs three small matrix-vector products; longer input is taken in blocks.

State layout: (S,) = the cascades' (n_sections, 2) TDF-II states (scipy's `zi` layout) flattened and
concatenated in cascade order, so `steady_state` is `biquad.sosfilt_zi` of each cascade, flattened.
Rounding differs from the per-sample loop (a sum of N products instead of a running recurrence): in
tests/device/signal/test_block_filter.py about 1e-13 of the signal, far below any threshold the pipeline
draws (bench/check_pulse_same.py shows the beats unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError
from device.signal.biquad import sosfilt_zi

MAX_BLOCK = 128  # samples per matrix product: covers a 1 s periodicity piece up to 128 Hz; memory ~ 2 x 128^2 x 8 B


class BlockCascades:
    """Several biquad cascades run side by side on one input, a block of samples at a time.

    `cascades`: a sequence of (n_sections, 6) arrays [b0 b1 b2 1 a1 a2] (as `biquad.butter` makes them).
    InputError if a cascade is not of that shape, has a0 != 1, or `max_block` < 1.
    """

    def __init__(self, cascades: Sequence[ArrayLike], max_block: int = MAX_BLOCK) -> None:
        sos = tuple(np.asarray(c, dtype=float) for c in cascades)
        if not sos or max_block < 1:
            raise InputError(f"need at least one cascade and max_block >= 1, got {len(sos)}, {max_block}")
        for c in sos:
            if c.ndim != 2 or c.shape[1] != 6 or len(c) == 0 or np.any(c[:, 3] != 1.0):
                raise InputError(f"each cascade must be (n, 6) with a0 = 1, got shape {c.shape}")
        key = (tuple(c.tobytes() for c in sos), tuple(len(c) for c in sos), max_block)
        self._map = _block_map(key)
        self.n_outputs = len(sos)
        self.n_states = self._map.n_states
        self.max_block = max_block
        self._unit = np.concatenate([sosfilt_zi(c).ravel() for c in sos])
        gains = np.array([float(np.prod(c[:, :3].sum(axis=1) / c[:, 3:].sum(axis=1))) for c in sos])
        self._dc_gain = gains if np.any(gains != 0.0) else None  # None: all block DC (band-/high-passes)

    def steady_state(self, value: float) -> NDArray[np.float64]:
        """(S,) state in which a constant input `value` gives a constant output (no start-up step)."""
        return np.asarray(self._unit * value, dtype=np.float64)

    def run(self, x: ArrayLike, state: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Filter `x` (N,) from `state` (S,): ((n_outputs, N) outputs, one row per cascade; (S,) new state).

        The input state is not modified. InputError on a wrong shape.
        """
        samples = np.asarray(x, dtype=np.float64)
        s = np.asarray(state, dtype=np.float64)
        m = self._map
        if samples.ndim != 1 or s.shape != (m.n_states,):
            raise InputError(f"x must be (N,) and state ({m.n_states},), got {samples.shape} and {s.shape}")
        n = len(samples)
        if n == 0:
            return np.empty((self.n_outputs, 0)), s.copy()
        # Filtered about the first sample: x - c from s - c u (u the unit steady state) gives y - c g (g the
        # DC gains) and s' - c u, by linearity. The products then carry the signal's swing, not its DC level
        # (a MAX30102 reads ~1e5 codes with a pulse of ~1e3): rounding ~1e-16 of the swing, not of the level.
        c = float(samples[0])
        shifted, s = samples - c, s - c * self._unit
        if n <= m.block:
            out, s = m.apply(shifted, s)
        else:
            out = np.empty((self.n_outputs, n))
            for first in range(0, n, m.block):
                piece, s = m.apply(shifted[first:first + m.block], s)
                out[:, first:first + piece.shape[1]] = piece
        if self._dc_gain is not None:
            out = out + c * self._dc_gain[:, None]
        return out, s + c * self._unit


class _BlockMap:
    """The measured matrices of a set of cascades for blocks of up to `block` samples (see module docstring).

    rows (block * n_outputs, S + block): row n * n_outputs + c gives output c at sample n from [s; x];
    powers (block + 1, S, S): A^k; impulse_states_rev (S, block): column block - 1 - k = state k + 1
    samples after a unit impulse.
    """

    def __init__(self, rows: NDArray[np.float64], powers: NDArray[np.float64],
                 impulse_states_rev: NDArray[np.float64], n_outputs: int) -> None:
        self.rows = rows
        self.powers = powers
        self.impulse_states_rev = impulse_states_rev
        self.n_outputs = n_outputs
        self.n_states = powers.shape[1]
        self.block = impulse_states_rev.shape[1]

    def apply(self, x: NDArray[np.float64], s: NDArray[np.float64]) -> tuple[NDArray[np.float64],
                                                                            NDArray[np.float64]]:
        n, S, L = len(x), self.n_states, self.block
        v = np.concatenate((s, x))
        y = np.dot(self.rows[:n * self.n_outputs, :S + n], v).reshape(n, self.n_outputs).T
        new_state = np.dot(self.powers[n], s) + np.dot(self.impulse_states_rev[:, L - n:], x)
        return y, new_state


@lru_cache(maxsize=16)
def _block_map(key: tuple[tuple[bytes, ...], tuple[int, ...], int]) -> _BlockMap:
    """Measure the block matrices by running the TDF-II recurrence on every unit state and a unit impulse.

    Cached: every pipeline at one sample rate shares one map (read-only arrays).
    """
    blobs, lengths, L = key
    cascades = [np.frombuffer(b, dtype=float).reshape(k, 6) for b, k in zip(blobs, lengths, strict=True)]
    S = 2 * sum(lengths)
    width = S + 1  # columns 0..S-1: unit states; column S: unit impulse at sample 0, zero state
    z = np.eye(S, width)  # z[2i], z[2i + 1]: the two states of section i (cascade order)
    n_out = len(cascades)
    outputs = np.empty((L, n_out, width))
    states = np.empty((L, S, width))  # states[n]: after n + 1 samples
    impulse = np.zeros(width)
    impulse[S] = 1.0
    zero = np.zeros(width)
    for n in range(L):
        x = impulse if n == 0 else zero
        row = 0
        for c, sections in enumerate(cascades):
            u = x
            for b0, b1, b2, _, a1, a2 in sections.tolist():
                y = z[row] + b0 * u  # the recurrence of biquad.lfilter, in its order of operations
                z[row] = z[row + 1] + u * b1 - y * a1
                z[row + 1] = u * b2 - y * a2
                u = y
                row += 2
            outputs[n, c] = u
        states[n] = z
    rows = np.zeros((L, n_out, S + L))
    rows[:, :, :S] = outputs[:, :, :S]  # response to each unit state
    h = outputs[:, :, S]  # (L, n_out) impulse responses
    for j in range(L):  # time invariance: an impulse at sample j gives h shifted by j
        rows[j:, :, S + j] = h[:L - j]
    powers = np.empty((L + 1, S, S))
    powers[0] = np.eye(S)
    powers[1:] = states[:, :, :S]
    impulse_states_rev = np.ascontiguousarray(states[::-1, :, S].T)  # (S, L)
    for a in (rows, powers, impulse_states_rev):
        a.setflags(write=False)
    return _BlockMap(rows.reshape(L * n_out, S + L), powers, impulse_states_rev, n_out)
