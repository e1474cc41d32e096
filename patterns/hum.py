"""Hum synthesis: a low voiced tone on the out-breath and a soft chime at each turn of the breath.

The hum is a harmonic series (a voice-like source whose harmonics fall off about 1/k^1.2, with a soft
nasal formant near 270 Hz, as in a closed-mouth "mmm"), summed from its harmonics with a cached basis
(one matrix-vector product a block; `hum_wavetable` keeps the one-period table it equals). It
sounds only during the exhale, under `exhale_envelope`, which starts and ends with zero slope.
The cue is a small bell: a partial harmonic to the hum (6x pitch at the start of the in-breath, 4x at
the start of the out-breath) plus a quieter inharmonic partial (x2.76) that dies away faster, with a
smooth attack and a decay that is tapered to exactly zero well before the next turn.

Every oscillator's phase is a function of absolute time t = t0_s + i / sample_rate_hz, and every
envelope is a function of the pacer's closed-form phase at t, so consecutive blocks join seamlessly
whatever their size: `hum_block(t0, 2n)` equals `hum_block(t0, n)` followed by `hum_block(t0 + n/fs, n)`.
The envelopes are held for a window of control points while the state holds (`_Controls`); as each
value depends only on the state and the point's absolute time, what is held changes no sample.
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache
from typing import Final

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from patterns.breath import Segment, breath_segment, exhale_envelope_of, segment_bounds
from patterns.state import PatternState

HUM_HARMONICS: Final = 8
HUM_SLOPE: Final = 1.2  # harmonic k has amplitude ~ k**-HUM_SLOPE (voice source with lip radiation)
FORMANT_HZ: Final = 270.0  # nasal murmur of a closed-mouth hum
FORMANT_WIDTH_HZ: Final = 200.0
WAVETABLE_SIZE: Final = 4096
HUM_LEVEL: Final = 0.5  # hum peak amplitude at full volume (full scale = 1)

CUE_LEVEL: Final = 0.16  # peak amplitude of the chime's main partial at full volume
CUE_INHALE_MULTIPLE: Final = 6.0  # chime at the start of the in-breath: 6 x hum pitch
CUE_EXHALE_MULTIPLE: Final = 4.0  # ...and of the out-breath: 4 x hum pitch (a settling, lower tone)
CUE_BELL_RATIO: Final = 2.76  # inharmonic upper partial of a small bell
CUE_BELL_LEVEL: Final = 0.35  # ...at this much of the main partial's level (and dying away faster)
CUE_ATTACK_S: Final = 0.03
CUE_DECAY_S: Final = 0.35  # exponential decay time constant of the main partial
CUE_MAX_S: Final = 1.5  # the chime is tapered to zero by this time after the turn...
CUE_MAX_SEGMENT_FRACTION: Final = 0.8  # ...or by this fraction of its segment, if shorter
CONTROL_FRAMES: Final = 32  # envelopes are computed every 32 samples (1.45 ms at 22050 Hz) and interpolated
CONTROL_WINDOW: Final = 1024  # control points computed at once (1.5 s at 22050 Hz) while the state holds
HUM_PIECE: Final = 4096  # the hum's harmonic sum is made from a cached basis this many samples long at most
OFFSETS_CACHED_MAX: Final = 8192  # the longest PortAudio buffer the config allows (audio.frames_per_buffer)
# The loudest a sample can be: the hum (peak 1 on its wavetable grid, 1 % allowed between grid points) at
# HUM_LEVEL under gains and envelopes of at most 1, plus both chime partials at their peaks. Under full scale,
# so no sample needs clipping; the clip comes back by itself if the levels are ever raised past it.
PEAK_BOUND: Final = 1.01 * HUM_LEVEL + (1.0 + CUE_BELL_LEVEL) * CUE_LEVEL


@lru_cache(maxsize=16)
def hum_amplitudes(pitch_hz: float, sample_rate_hz: int) -> NDArray[np.float64]:
    """Amplitude of each of the hum's HUM_HARMONICS harmonics (sine phase), scaled so the waveform
    (their sum) peaks at 1, measured on a WAVETABLE_SIZE grid over one period.

    Harmonics at or above 0.45 x sample rate are left out, so nothing aliases.
    """
    k = np.arange(1, HUM_HARMONICS + 1, dtype=float)
    freqs_hz = k * pitch_hz
    formant = np.exp(-0.5 * ((freqs_hz - FORMANT_HZ) / FORMANT_WIDTH_HZ) ** 2)
    amplitude = k**-HUM_SLOPE * (0.4 + 0.6 * formant)
    amplitude[freqs_hz >= 0.45 * sample_rate_hz] = 0.0
    theta = 2.0 * np.pi * np.arange(WAVETABLE_SIZE + 1) / WAVETABLE_SIZE
    amplitude /= np.max(np.abs(np.sin(np.outer(theta, k)) @ amplitude))
    amplitude.setflags(write=False)
    return amplitude


@lru_cache(maxsize=16)
def hum_wavetable(pitch_hz: float, sample_rate_hz: int) -> NDArray[np.float64]:
    """One period of the hum waveform, peak 1, WAVETABLE_SIZE + 1 samples (last = first, for lookup)."""
    k = np.arange(1, HUM_HARMONICS + 1, dtype=float)
    theta = 2.0 * np.pi * np.arange(WAVETABLE_SIZE + 1) / WAVETABLE_SIZE
    wave = np.sin(np.outer(theta, k)) @ hum_amplitudes(pitch_hz, sample_rate_hz)
    wave.setflags(write=False)
    return wave


@lru_cache(maxsize=4)
def _hum_basis(pitch_hz: float, n: int, sample_rate_hz: int) -> NDArray[np.float64]:
    """(n, 2 HUM_HARMONICS): a_k cos(k w i) then a_k sin(k w i), w = 2 pi pitch / rate, i = 0..n-1.

    The hum at i samples after a start whose phase is theta0 is sum_k a_k sin(k theta0 + k w i)
    = this basis @ [sin(k theta0)..., cos(k theta0)...]: one matrix-vector product per block."""
    k = np.arange(1, HUM_HARMONICS + 1, dtype=float)
    angle = np.outer(np.arange(n) * (2.0 * np.pi * pitch_hz / sample_rate_hz), k)
    amplitude = hum_amplitudes(pitch_hz, sample_rate_hz)
    basis = np.concatenate([np.cos(angle) * amplitude, np.sin(angle) * amplitude], axis=1)
    basis.setflags(write=False)
    return basis


def _cycles(freq_hz: float, t0_s: float, n: int, sample_rate_hz: int) -> NDArray[np.float64]:
    """Oscillator phase in cycles (fractional part) at t0_s + i / sample_rate_hz, i = 0..n-1."""
    cycles = (freq_hz * t0_s) % 1.0 + (freq_hz / sample_rate_hz) * np.arange(n)
    return cycles - np.floor(cycles)


def _hum_wave(pitch_hz: float, t0_s: float, n: int, sample_rate_hz: int) -> NDArray[np.float64]:
    """The hum's steady waveform (peak 1) at t0_s + i / sample_rate_hz, i = 0..n-1: the harmonic sum
    itself (within 4e-6 of the wavetable's linear interpolation, which it replaced at a quarter of
    the cost), in pieces of HUM_PIECE samples, each from the phase at its own start."""
    k = np.arange(1, HUM_HARMONICS + 1, dtype=float)
    out = np.empty(n)
    for start in range(0, n, HUM_PIECE):
        m = min(HUM_PIECE, n - start)
        theta0 = 2.0 * np.pi * ((pitch_hz * (t0_s + start / sample_rate_hz)) % 1.0) * k
        out[start:start + m] = _hum_basis(pitch_hz, m, sample_rate_hz) @ np.concatenate(
            (np.sin(theta0), np.cos(theta0)))
    return out


@lru_cache(maxsize=8)
def _rotation(freq_hz: float, sample_rate_hz: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(cos(w i), sin(w i)) for i = 0..HUM_PIECE-1, w = 2 pi freq / rate: a sine at any start phase theta0 is
    sin(theta0) cos(w i) + cos(theta0) sin(w i), two multiply-adds a sample instead of a sine."""
    angle = np.arange(HUM_PIECE) * (2.0 * np.pi * freq_hz / sample_rate_hz)
    cos, sin = np.cos(angle), np.sin(angle)
    cos.setflags(write=False)
    sin.setflags(write=False)
    return cos, sin


def _partial(freq_hz: float, t0_s: float, n: int, sample_rate_hz: int) -> NDArray[np.float64]:
    """sin(2 pi freq_hz t) at t = t0_s + i / sample_rate_hz, i = 0..n-1, in pieces of HUM_PIECE samples, each
    from the phase at its own start (taken from absolute time, as every oscillator's phase here)."""
    out = np.empty(n)
    cos, sin = _rotation(freq_hz, sample_rate_hz)
    for start in range(0, n, HUM_PIECE):
        m = min(HUM_PIECE, n - start)
        theta0 = 2.0 * math.pi * ((freq_hz * (t0_s + start / sample_rate_hz)) % 1.0)
        np.multiply(cos[:m], math.sin(theta0), out=out[start:start + m])
        out[start:start + m] += math.cos(theta0) * sin[:m]
    return out


def _fraction(cycles: NDArray[np.float64]) -> NDArray[np.float64]:
    return cycles - np.floor(cycles)


def _ease(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Smoothstep 0 -> 1 on x in 0..1 (zero slope at both ends)."""
    u = np.clip(x, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _cue_controls(
    t_s: NDArray[np.float64],
    seg: NDArray[np.int8],
    progress: NDArray[np.float64],
    state: PatternState,
    sample_rate_hz: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The chimes' envelopes at the control points `t_s`: (main partial's amplitude, bell partial's
    amplitude, main partial's frequency in Hz, bell's frequency in Hz); amplitude 0 where no chime rings.

    `seg`, `progress` are `breath_segment` of the pacer phase at `t_s`. Partials at or above
    0.45 x sample rate (a high hum at a low rate) are left out, so nothing aliases.
    """
    main_amp = np.zeros_like(t_s)
    bell_amp = np.zeros_like(t_s)
    main_hz = np.zeros_like(t_s)
    bell_hz = np.zeros_like(t_s)
    rate_bpm = state.pacer.rate_bpm(t_s)
    # A pacer standing still (rate 0, before pacing starts) has no breath turns to mark.
    moving = np.flatnonzero(((seg == Segment.INHALE) | (seg == Segment.EXHALE)) & (rate_bpm > 0))
    if moving.size == 0:
        return main_amp, bell_amp, main_hz, bell_hz
    lengths_cycles = np.diff(segment_bounds(state.pacer.shape))[seg[moving]]
    segment_s = lengths_cycles * 60.0 / rate_bpm[moving]
    since_s = progress[moving] * segment_s
    window_s = np.minimum(CUE_MAX_S, CUE_MAX_SEGMENT_FRACTION * segment_s)
    ringing = since_s < window_s
    if not ringing.any():
        return main_amp, bell_amp, main_hz, bell_hz
    at = moving[ringing]
    since_s, window_s = since_s[ringing], window_s[ringing]
    decay = np.exp(-since_s / CUE_DECAY_S)
    envelope = (
        _ease(since_s / CUE_ATTACK_S) * decay * _ease((window_s - since_s) / (0.4 * window_s))
    )  # the last factor tapers the chime to exactly zero at the end of its window
    multiple = np.where(seg[at] == Segment.INHALE, CUE_INHALE_MULTIPLE, CUE_EXHALE_MULTIPLE)
    freq_hz = multiple * state.hum_pitch_hz
    nyquist_hz = 0.45 * sample_rate_hz
    main_amp[at] = np.where(freq_hz < nyquist_hz, CUE_LEVEL * envelope, 0.0)
    bell_amp[at] = np.where(CUE_BELL_RATIO * freq_hz < nyquist_hz, CUE_LEVEL * CUE_BELL_LEVEL * envelope * decay, 0.0)
    main_hz[at] = freq_hz
    bell_hz[at] = CUE_BELL_RATIO * freq_hz
    return main_amp, bell_amp, main_hz, bell_hz


def _cue(
    t_s: NDArray[np.float64],
    seg: NDArray[np.int8],
    progress: NDArray[np.float64],
    state: PatternState,
    sample_rate_hz: int,
) -> NDArray[np.float64]:
    """The chimes at the start of each in-breath and out-breath (0 elsewhere), amplitude <= ~CUE_LEVEL,
    every sample computed in full (the reference for the control-rate synthesis in `hum_block`)."""
    main_amp, bell_amp, main_hz, bell_hz = _cue_controls(t_s, seg, progress, state, sample_rate_hz)
    # Phase from absolute time per sample: frequency is constant within a chime, so this is exact.
    return (main_amp * np.sin(2.0 * np.pi * _fraction(main_hz * t_s))
            + bell_amp * np.sin(2.0 * np.pi * _fraction(bell_hz * t_s)))


def hum_gain(t_s: NDArray[np.float64], state: PatternState) -> NDArray[np.float64]:
    """Overall gain per sample: fade level x `state.volume_cap` (the session folds night into it)."""
    return state.fade.level(t_s) * min(max(state.volume_cap, 0.0), 1.0)


def block_is_silent(t0_s: float, n: int, sample_rate_hz: int, state: PatternState) -> bool:
    """True when `hum_block(t0_s, n, ...)` is all zeros for certain, judged from the block's two ends.

    Silent: volume or the fade's level is 0 at both ends (a fade is monotonic between them); or the
    whole block lies in one breath segment where no hum sounds (not the out-breath, or the hum is off)
    and the segment's chime, if it has one, has rung out (with one control interval to spare) by the
    block's start. The pacer's phase never goes back, so one segment at both ends (same breath) means
    one segment throughout. The chime's time since the turn grows faster than its window as long as the
    rate changes slowly (60 |slope| (1 + CUE_MAX_SEGMENT_FRACTION) / rate^2 < 1, i.e. any glide under
    5 breaths/min per minute at >= 3 breaths/min); when it does not, the block is not declared silent.
    Plain floats throughout: this runs for every block, and numpy's per-call cost would dominate.
    """
    if n <= 0 or min(max(state.volume_cap, 0.0), 1.0) <= 0.0 or not (state.hum_enabled or state.cue_enabled):
        return True
    t1_s = t0_s + (n - 1) / sample_rate_hz
    if state.fade.level_at(t0_s) == 0.0 and state.fade.level_at(t1_s) == 0.0:
        return True
    pacer = state.pacer
    phase0, phase1 = pacer.phase_at(t0_s), pacer.phase_at(t1_s)
    if math.floor(phase0) != math.floor(phase1):
        return False
    bounds = segment_bounds(pacer.shape).tolist()
    segment = _segment_of(phase0 - math.floor(phase0), bounds)[0]
    if _segment_of(phase1 - math.floor(phase1), bounds)[0] != segment:
        return False
    if segment == Segment.EXHALE and state.hum_enabled:
        return False
    return not state.cue_enabled or _chimes_silent(t0_s, t1_s, state, sample_rate_hz)


def _chimes_silent(t0_s: float, t1_s: float, state: PatternState, sample_rate_hz: int) -> bool:
    """True when no chime sounds from t0_s to t1_s for certain (see `block_is_silent` for the argument)."""
    pacer = state.pacer
    phase0, phase1 = pacer.phase_at(t0_s), pacer.phase_at(t1_s)
    if math.floor(phase0) != math.floor(phase1):
        return False
    bounds = segment_bounds(pacer.shape).tolist()
    segment, start, end = _segment_of(phase0 - math.floor(phase0), bounds)
    if _segment_of(phase1 - math.floor(phase1), bounds)[0] != segment:
        return False
    if segment not in (Segment.INHALE, Segment.EXHALE):
        return True
    rate0, rate1 = pacer.rate_at(t0_s), pacer.rate_at(t1_s)
    if rate0 <= 0.0 or rate1 <= 0.0:  # a pacer standing still has no turns; one starting to move may
        return rate0 <= 0.0 and rate1 <= 0.0
    if 60.0 * abs(pacer.slope_bpm_per_s) * (1.0 + CUE_MAX_SEGMENT_FRACTION) >= min(rate0, rate1) ** 2:
        return False
    segment_s = (end - start) * 60.0 / rate0
    since_s = (phase0 - math.floor(phase0) - start) * 60.0 / rate0
    # One control interval of margin: the chime's envelope is interpolated from control points.
    return since_s - CONTROL_FRAMES / sample_rate_hz >= min(CUE_MAX_S, CUE_MAX_SEGMENT_FRACTION * segment_s)


def _segment_of(frac: float, bounds: list[float]) -> tuple[int, float, float]:
    """(segment, its start, its end) holding the breath position `frac` 0..1, as breath_segment finds it
    (a position on a boundary belongs to the later segment; empty segments are skipped)."""
    segment = min(max(bisect.bisect_right(bounds, frac) - 1, 0), 3)
    return segment, bounds[segment], bounds[segment + 1]


def hum_block(
    t0_s: float,
    n: int,
    sample_rate_hz: int,
    state: PatternState,
) -> NDArray[np.float32]:
    """`n` mono samples (float32, -1..1) of hum and cues starting at clock time `t0_s`.

    Sample i is at t0_s + i / sample_rate_hz. Silent when the fade level or volume is zero. Blocks that
    are certainly silent (`block_is_silent`) are not synthesised.
    """
    if n < 0 or sample_rate_hz <= 0:
        raise InputError(f"need n >= 0 and sample_rate_hz > 0, got {n}, {sample_rate_hz}")
    if block_is_silent(t0_s, n, sample_rate_hz, state):
        return np.zeros(n, dtype=np.float32)
    return _synthesise(t0_s, n, sample_rate_hz, state)


class _Controls:
    """The envelopes at CONTROL_WINDOW consecutive control points for one state, computed at once: a
    block reads its stretch of them (numpy's per-call cost, not the arithmetic, is what 65 control
    points cost, so a window serves the ~8 blocks that follow while the state holds). Every value is
    a function of the state and the control point's absolute time alone, so the window changes no
    sample. Read-only once built; replaced whole (one attribute store), so the audio thread and
    others may share the slot."""

    __slots__ = ("bell", "bell_hz", "control_s", "hum", "k0", "main", "main_hz", "sample_rate_hz", "seg", "state")

    def __init__(self, state: PatternState, sample_rate_hz: int, k0: int, m: int) -> None:
        self.state, self.sample_rate_hz, self.k0 = state, sample_rate_hz, k0
        step_s = CONTROL_FRAMES / sample_rate_hz
        self.control_s: NDArray[np.float64] = np.arange(k0, k0 + m, dtype=np.float64) * step_s
        gain = hum_gain(self.control_s, state)
        self.seg, progress = breath_segment(state.pacer.phase_cycles(self.control_s), state.pacer.shape)
        self.hum: NDArray[np.float64] | None = None
        if state.hum_enabled and (self.seg == Segment.EXHALE).any():
            self.hum = HUM_LEVEL * gain * exhale_envelope_of(self.seg, progress)
        self.main: NDArray[np.float64] | None = None
        self.bell = self.main_hz = self.bell_hz = np.zeros(0)
        if state.cue_enabled:
            main_amp, bell_amp, self.main_hz, self.bell_hz = _cue_controls(self.control_s, self.seg, progress, state,
                                                                          sample_rate_hz)
            if main_amp.any() or bell_amp.any():
                self.main, self.bell = main_amp * gain, bell_amp * gain

    def covers(self, state: PatternState, sample_rate_hz: int, k0: int, k1: int) -> bool:
        return (state is self.state and sample_rate_hz == self.sample_rate_hz and self.k0 <= k0
                and k1 < self.k0 + len(self.control_s))


_CONTROLS: list[_Controls | None] = [None]  # the window last computed (one slot)


def _controls(state: PatternState, sample_rate_hz: int, k0: int, k1: int) -> _Controls:
    """Control points k0..k1 (at least) for `state`, from the window last computed if it covers them."""
    held = _CONTROLS[0]
    if held is not None and held.covers(state, sample_rate_hz, k0, k1):
        return held
    held = _Controls(state, sample_rate_hz, k0, max(k1 - k0 + 1, CONTROL_WINDOW))
    _CONTROLS[0] = held
    return held


def _sample_offsets(n: int, sample_rate_hz: int) -> NDArray[np.float64]:
    """(n,) seconds of each sample from a block's start: cached for blocks up to OFFSETS_CACHED_MAX (the
    device's PortAudio buffers, one size), computed afresh for longer ones (the simulator rendering several
    buffers at once to catch up), so the cache never holds more than 4 x 64 kB."""
    if n > OFFSETS_CACHED_MAX:
        return np.arange(n) / sample_rate_hz
    return _cached_offsets(n, sample_rate_hz)


@lru_cache(maxsize=4)
def _cached_offsets(n: int, sample_rate_hz: int) -> NDArray[np.float64]:
    offsets = np.arange(n) / sample_rate_hz
    offsets.setflags(write=False)
    return offsets


def _synthesise(t0_s: float, n: int, sample_rate_hz: int, state: PatternState) -> NDArray[np.float32]:
    """hum_block's samples (n >= 1): envelopes at control rate, oscillators at every sample.

    The envelopes (fade x volume, the out-breath's, the chimes') change over tens of milliseconds or
    more; they are computed on an absolute grid of control points every CONTROL_FRAMES samples and
    interpolated linearly between them, so a block's samples do not depend on where blocks start.
    The oscillators (the hum's harmonics, the chimes' sines) run at every sample from absolute time.
    """
    t_s: NDArray[np.float64] = t0_s + _sample_offsets(n, sample_rate_hz)
    step_s = CONTROL_FRAMES / sample_rate_hz
    k0, k1 = math.floor(t_s[0] / step_s), math.ceil(t_s[-1] / step_s)
    k1 = max(k1, k0 + 1)
    controls = _controls(state, sample_rate_hz, k0, k1)
    lo, hi = k0 - controls.k0, k1 - controls.k0 + 1
    control_s = controls.control_s[lo:hi]
    out: NDArray[np.float64] | None = None
    if controls.hum is not None:
        envelope = controls.hum[lo:hi]
        if envelope.any():
            out = np.interp(t_s, control_s, envelope) * _hum_wave(state.hum_pitch_hz, t0_s, n, sample_rate_hz)
    if controls.main is not None:
        main, bell = controls.main[lo:hi], controls.bell[lo:hi]
        if main.any() or bell.any():
            chimes = _chimes(t_s, control_s, controls.seg[lo:hi], main, bell, controls.main_hz[lo:hi],
                             controls.bell_hz[lo:hi], state, sample_rate_hz)
            out = chimes if out is None else out + chimes
    if out is None:
        return np.zeros(n, dtype=np.float32)
    if PEAK_BOUND >= 1.0:
        out = np.clip(out, -1.0, 1.0)
    return out.astype(np.float32)


def _chimes(t_s: NDArray[np.float64], control_s: NDArray[np.float64], seg: NDArray[np.int8],
            main: NDArray[np.float64], bell: NDArray[np.float64], main_hz: NDArray[np.float64],
            bell_hz: NDArray[np.float64], state: PatternState, sample_rate_hz: int) -> NDArray[np.float64]:
    """The chimes at every sample from their control-rate amplitudes (`_cue_controls` x gain):
    amplitudes interpolated linearly, each sample at the frequency of its interval's sounding end."""
    out = np.zeros_like(t_s)
    sounding = (main > 0) | (bell > 0)
    at = np.flatnonzero(sounding)
    # Samples in an interval with a sounding end: after control point at[0] - 1, up to at[-1] + 1.
    first = int(np.searchsorted(t_s, control_s[at[0] - 1], side="right")) if at[0] > 0 else 0
    last = int(np.searchsorted(t_s, control_s[at[-1] + 1], side="right")) if at[-1] + 1 < len(control_s) else len(t_s)
    t = t_s[first:last]
    amp_main, amp_bell = np.interp(t, control_s, main), np.interp(t, control_s, bell)
    turns = np.flatnonzero((seg[1:] != seg[:-1]) & sounding[1:]) + 1
    f_main, f_bell = main_hz[at], bell_hz[at]
    if f_main.min() == f_main.max() and f_bell.min() == f_bell.max():  # one chime (always, but at a turn)
        main_part = _partial(float(f_main[0]), float(t[0]), len(t), sample_rate_hz)
        bell_part = _partial(float(f_bell[0]), float(t[0]), len(t), sample_rate_hz)
    else:
        right = np.minimum(np.searchsorted(control_s, t), len(control_s) - 1)  # control point at or after
        own = np.where(sounding[right], right, np.maximum(right - 1, 0))
        main_part = np.sin(2.0 * np.pi * _fraction(main_hz[own] * t))
        bell_part = np.sin(2.0 * np.pi * _fraction(bell_hz[own] * t))
    chimes = amp_main * main_part + amp_bell * bell_part
    for j in turns:
        # In an interval holding a turn of the breath, the new chime starts exactly at the turn: samples
        # before it (still in the old segment) get none of it; the old chime has ended long before.
        inside = np.flatnonzero((t > control_s[j - 1]) & (t <= control_s[j]))
        if inside.size:
            own_seg, _ = breath_segment(state.pacer.phase_cycles(t[inside]), state.pacer.shape)
            chimes[inside[own_seg != seg[j]]] = 0.0
    out[first:last] = chimes
    return out
