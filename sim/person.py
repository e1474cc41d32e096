"""A simulated person at the sensor: breathes, sees the LED ring, and has a heart that answers.

The loop this closes is the product's reason to exist: the person follows the pacer ONLY through the
light they see (`see_light`): a ring that brightens means breathe in, one that dims means breathe out.
With no breathing light they keep their own rhythm. Their heart swings with their breathing, most at
their baroreflex resonance rate (sim/heart.py), and their fingertip turns the beats into the optical
signal the virtual sensor samples (`optics`, the `FingerOptics` interface of sim/optics.py).

Everything is simulated forward lazily on a 10 Hz grid as later times are asked for, deterministically
for a seed (independent generators per noise source, so how requests are chunked changes nothing beyond
rounding, as long as the light has been seen up to the reaction lag). Memory is bounded over hours: a few
seconds of working state plus bounded ground-truth logs are kept.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from device.errors import InputError
from sim.breathing import Breathing, tidal_depth
from sim.heart import ECTOPIC_AMPLITUDE, JITTER_CLIP_SD, MAX_HR_BPM, MAX_JITTER_MS, Heart
from sim.optics import OpticalSamples
from sim.ppg_wave import PULSE_AFTER_S, PULSE_BEFORE_S, MotionArtifacts, placement_transient, render_pulses

log = logging.getLogger(__name__)

GRID_DT_S = 0.1  # physiology (breathing, heart rate) is simulated on this grid
PULSE_DELAY_S = 0.35  # heart ejection -> systolic peak at the fingertip (pulse arrival time)
RETAIN_S = 3.0  # a request may reach back this far behind the newest time asked for
LIGHT_SLACK_S = 0.3  # the LED frames may trail the sensor's requests by this much without effect
MAX_RENDER_AHEAD_S = 0.5  # regular requests are rendered ahead in blocks of up to this much
MATCH_TOL_S = 1e-6  # a request matches rendered-ahead samples whose times are this close
LOG_SPAN_S = 2 * 3600.0  # ground truth kept for the last two hours
MAX_LOG_BEATS = int(LOG_SPAN_S * MAX_HR_BPM / 60.0)
PHASE_LOG_EVERY = 10  # grid cells per ground-truth breath-phase entry (1 s)
MAX_LIGHT_BUFFER = 4096  # unconsumed light frames before the person is advanced to catch up
RESPIRATORY_AMPLITUDE_MOD = 0.25  # pulse amplitude shrinks this much per unit of lung volume
RESPIRATORY_BASELINE = 0.25  # blood-volume baseline rise per unit of lung volume
VASOMOTOR_PER_BPM = 0.03  # baseline follows the slow heart-rate drift (vasomotion)
PLACEMENT_AMPLITUDE = 1.5  # offset when a fingertip lands, decaying over about a second

# Bounds of every parameter (inclusive); the dataclass refuses anything outside.
_BOUNDS: dict[str, tuple[float, float]] = {
    "natural_breath_rate_per_min": (4.0, 30.0),
    "breath_rate_wander_fraction": (0.0, 0.3),
    "resonance_rate_per_min": (3.5, 9.0),
    "resonance_q": (0.5, 5.0),
    "compliance": (0.0, 1.0),
    "reaction_lag_s": (0.0, 3.0),
    "mean_hr_bpm": (40.0, 110.0),
    "rsa_gain_bpm": (0.0, 40.0),
    "lf_noise_bpm": (0.0, 10.0),
    "vlf_drift_bpm": (0.0, 10.0),
    "hrv_noise_ms": (0.0, MAX_JITTER_MS),
    "ectopic_per_hour": (0.0, 600.0),
    "ppg_noise": (0.0, 1.0),
    "motion_artifacts_per_hour": (0.0, 3600.0),
    "perfusion": (0.05, 5.0),
    "finger_on_at_s": (0.0, math.inf),
}


@dataclass(frozen=True)
class PersonParams:
    """Who the simulated person is. Defaults: a calm adult breathing 12/min, resonance at 6/min."""

    natural_breath_rate_per_min: float = 12.0  # own breathing rate when not paced
    breath_rate_wander_fraction: float = 0.05  # SD of the slow wander of the own rate, as a fraction
    resonance_rate_per_min: float = 6.0  # breathing rate at which the baroreflex resonates (~0.1 Hz)
    resonance_q: float = 2.0  # sharpness of that resonance (centre frequency / bandwidth)
    compliance: float = 0.85  # 0..1: how faithfully they follow the light (0: not at all)
    reaction_lag_s: float = 0.8  # how far behind the light they breathe
    mean_hr_bpm: float = 66.0  # resting heart rate
    rsa_gain_bpm: float = 15.0  # peak-to-peak heart-rate swing when breathing at the resonance rate
    lf_noise_bpm: float = 1.0  # RMS of the spontaneous 0.1 Hz (Mayer) heart-rate wave
    vlf_drift_bpm: float = 1.5  # SD of the slow heart-rate drift (correlation time about a minute)
    hrv_noise_ms: float = 8.0  # SD of beat-to-beat timing jitter
    ectopic_per_hour: float = 2.0  # premature beats per hour
    ppg_noise: float = 0.02  # SD of white noise on blood volume (a pulse is about 1)
    motion_artifacts_per_hour: float = 4.0  # hand movements disturbing the signal
    perfusion: float = 1.0  # pulse amplitude scale (perfusion, finger pressure)
    finger_on_at_s: float = 2.0  # when the fingertip first lands on the sensor

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi = _BOUNDS[f.name]
            if not isinstance(value, int | float) or math.isnan(value) or not lo <= value <= hi:
                raise InputError(f"PersonParams.{f.name} must be in {lo}..{hi}, got {value!r}")

    @classmethod
    def from_seed(cls, seed: int, **fixed: float) -> PersonParams:
        """A plausible person drawn from seed; `fixed` pins chosen fields (e.g. from config)."""
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x9E15]))
        drawn = cls(
            natural_breath_rate_per_min=float(rng.uniform(10.0, 16.0)),
            breath_rate_wander_fraction=float(rng.uniform(0.03, 0.08)),
            resonance_rate_per_min=float(np.clip(rng.normal(6.0, 0.4), 4.5, 7.0)),
            resonance_q=float(rng.uniform(1.7, 2.4)),
            compliance=float(rng.uniform(0.7, 0.95)),
            reaction_lag_s=float(rng.uniform(0.5, 1.2)),
            mean_hr_bpm=float(rng.uniform(58.0, 76.0)),
            rsa_gain_bpm=float(rng.uniform(12.0, 18.0)),
            lf_noise_bpm=float(rng.uniform(0.6, 1.4)),
            vlf_drift_bpm=float(rng.uniform(1.0, 2.2)),
            hrv_noise_ms=float(rng.uniform(5.0, 11.0)),
            ectopic_per_hour=float(rng.uniform(0.0, 4.0)),
            ppg_noise=float(rng.uniform(0.01, 0.04)),
            motion_artifacts_per_hour=float(rng.uniform(0.0, 6.0)),
            perfusion=float(rng.uniform(0.5, 1.5)),
        )
        return replace(drawn, **fixed)


class _RingLog:
    """A fixed-size log of rows of floats: the newest `capacity` rows, in order. Memory never grows."""

    def __init__(self, capacity: int, width: int) -> None:
        self._rows = np.zeros((capacity, width))
        self._written = 0

    def extend(self, rows: NDArray[np.float64]) -> None:
        rows = rows[-len(self._rows):]
        where = (self._written + np.arange(len(rows))) % len(self._rows)
        self._rows[where] = rows
        self._written += len(rows)

    def values(self) -> NDArray[np.float64]:
        """A copy of the kept rows, oldest first."""
        capacity = len(self._rows)
        if self._written <= capacity:
            return self._rows[: self._written].copy()
        start = self._written % capacity
        return np.concatenate((self._rows[start:], self._rows[:start]))


class _RenderedAhead:
    """Samples rendered at regularly spaced times beyond the last request, to serve the next ones."""

    def __init__(self, t_s: NDArray[np.float64], samples: OpticalSamples, served: int) -> None:
        self.t_s = t_s
        self.samples = samples
        self._next = served  # index of the first sample not yet handed out

    def take(self, t: NDArray[np.float64]) -> OpticalSamples | None:
        """The rendered samples for the leading times of t, if they are the next ones rendered.

        Hands out as many as were rendered (maybe fewer than asked for), or None if t does not
        continue where the previous request ended.
        """
        i = self._next
        j = min(i + len(t), len(self.t_s))
        if j == i or abs(self.t_s[i] - t[0]) > MATCH_TOL_S:
            return None
        if abs(self.t_s[j - 1] - t[j - i - 1]) > MATCH_TOL_S:
            return None
        if j - i > 2 and np.max(np.abs(self.t_s[i:j] - t[: j - i])) > MATCH_TOL_S:
            return None
        self._next = j
        s = self.samples
        return OpticalSamples(s.blood_volume[i:j], s.finger_on[i:j], s.motion[i:j])


class SimulatedPerson:
    """A person whose fingertip the virtual sensor looks through (implements `FingerOptics`)."""

    def __init__(self, params: PersonParams | None = None, seed: int = 0) -> None:
        self.params = params if params is not None else PersonParams()
        p = self.params
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
        self._breathing = Breathing(
            natural_rate_bpm=p.natural_breath_rate_per_min, rate_wander_fraction=p.breath_rate_wander_fraction,
            compliance=p.compliance, reaction_lag_s=p.reaction_lag_s, grid_dt_s=GRID_DT_S,
            rng_normal=streams[0], rng_uniform=streams[1],
        )
        self._heart = Heart(
            mean_hr_bpm=p.mean_hr_bpm, rsa_gain_bpm=p.rsa_gain_bpm / float(tidal_depth(p.resonance_rate_per_min)),
            resonance_rate_per_min=p.resonance_rate_per_min, resonance_q=p.resonance_q,
            lf_noise_bpm=p.lf_noise_bpm, vlf_drift_bpm=p.vlf_drift_bpm, hrv_noise_ms=p.hrv_noise_ms,
            ectopic_per_hour=p.ectopic_per_hour, grid_dt_s=GRID_DT_S, rng_rate=streams[2],
            rng_beats=streams[3],
        )
        self._rng_noise = streams[4]
        self._motion = MotionArtifacts(p.motion_artifacts_per_hour, p.perfusion * 2.0, streams[5])
        # Beats up to this far past the grid's end cannot reach back to a rendered sample.
        max_jitter_s = JITTER_CLIP_SD * p.hrv_noise_ms / 1000.0
        self._beat_horizon_s = max(0.0, PULSE_BEFORE_S - PULSE_DELAY_S + max_jitter_s)
        self._render_ahead_s = min(max(p.reaction_lag_s - LIGHT_SLACK_S, 0.0), MAX_RENDER_AHEAD_S)
        self._cells_done = 0  # grid cells simulated so far; the next one starts at cells_done * dt
        # Working state for rendering: recent grid cells and beats (pruned to RETAIN_S behind).
        self._grid_t_s = np.zeros(0)
        self._grid_lung = np.zeros(0)
        self._grid_vlf_bpm = np.zeros(0)
        self._peak_s = np.zeros(0)
        self._peak_amp = np.zeros(0)
        self._ahead: _RenderedAhead | None = None
        self._step_s = math.nan  # spacing of the last regular request
        self._last_request_end_s = math.nan  # last time of the last request that was rendered
        self._newest_request_s = -math.inf
        self._light_t_s: list[float] = []
        self._light_level: list[float] = []
        self._held_level = math.nan  # the light as last perceived (nan: never seen)
        self._lifts: list[tuple[float, float]] = []  # (start s, end s) of lifted-finger spans
        # Ground truth, bounded.
        self._beat_log = _RingLog(MAX_LOG_BEATS, 1)
        self._ectopic_log = _RingLog(MAX_LOG_BEATS // 4, 1)
        self._phase_log = _RingLog(int(LOG_SPAN_S / (GRID_DT_S * PHASE_LOG_EVERY)) + 1, 2)  # time, phase

    # -- what the device's world does to the person ----------------------------------------------

    def see_light(self, t_s: float, level: float) -> None:
        """The LED ring's mean perceived brightness 0..1 at clock time t_s (non-decreasing).

        The person reacts to it reaction_lag_s later. Light that arrives after the person has been
        simulated past that point is taken in late, as if seen late.
        """
        if not (math.isfinite(t_s) and math.isfinite(level)) or not -1e-9 <= level <= 1.0 + 1e-9:
            raise InputError(f"see_light needs a finite time and a level in 0..1, got ({t_s}, {level})")
        if self._light_t_s and t_s < self._light_t_s[-1]:
            raise InputError(f"light seen at {t_s} s after {self._light_t_s[-1]} s: time went back")
        self._light_t_s.append(float(t_s))
        self._light_level.append(min(max(float(level), 0.0), 1.0))
        if len(self._light_t_s) > MAX_LIGHT_BUFFER:
            # Nobody is sampling the finger: live on so memory stays bounded. Samples may then be
            # asked for from RETAIN_S before this light on.
            self._advance_to(t_s)
            self._newest_request_s = max(self._newest_request_s, t_s)
            self._prune()

    def lift_finger(self, t_start_s: float, duration_s: float) -> None:
        """Schedule the fingertip off the sensor for [t_start_s, t_start_s + duration_s)."""
        if not (math.isfinite(t_start_s) and math.isfinite(duration_s)) or duration_s <= 0:
            raise InputError(f"lift_finger needs finite start, duration > 0, got {t_start_s}, {duration_s}")
        self._lifts.append((float(t_start_s), float(t_start_s + duration_s)))
        self._lifts.sort()
        self._ahead = None  # what was rendered ahead may not have known about this lift

    # -- what the sensor sees -------------------------------------------------------------------

    def optics(self, t_s: NDArray[np.float64]) -> OpticalSamples:
        """Optical state at increasing times t_s (s); later calls may reach back at most RETAIN_S.

        Regularly spaced requests (a sensor's sample clock) are rendered a little ahead, within
        what the light already seen determines, and later requests for those times are served
        from it, so many small requests cost little more than a few large ones.
        """
        t = np.asarray(t_s, dtype=float)
        if t.ndim != 1:
            raise InputError(f"optics needs a 1-D array of times, got shape {t.shape}")
        if len(t) == 0:
            return OpticalSamples(np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0))
        head = self._ahead.take(t) if self._ahead is not None else None
        if head is not None:
            n_head = len(head.finger_on)
            self._newest_request_s = self._last_request_end_s = float(t[n_head - 1])
            if n_head == len(t):
                return head
        if not np.all(np.isfinite(t)) or (len(t) > 1 and np.any(np.diff(t) < 0)):
            raise InputError("optics needs finite, non-decreasing times")
        if t[0] < self._newest_request_s - RETAIN_S:
            raise InputError(f"optics asked for {t[0]} s, over {RETAIN_S} s before {self._newest_request_s}")
        rest = t if head is None else t[len(head.finger_on):]
        self._newest_request_s = max(self._newest_request_s, float(t[-1]))
        block = np.concatenate((rest, self._ahead_times(rest)))
        samples = self._render(block)
        n = len(rest)
        self._ahead = _RenderedAhead(block, samples, n) if len(block) > n else None
        if head is None:
            return OpticalSamples(samples.blood_volume[:n], samples.finger_on[:n], samples.motion[:n])
        return OpticalSamples(
            np.concatenate((head.blood_volume, samples.blood_volume[:n])),
            np.concatenate((head.finger_on, samples.finger_on[:n])),
            np.concatenate((head.motion, samples.motion[:n])),
        )

    def _ahead_times(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """The next sample times after a regularly spaced request (none if it is not regular)."""
        if len(t) >= 2:
            step = (t[-1] - t[0]) / (len(t) - 1)
            regular = step > 0 and abs(t[1] - t[0] - step) <= MATCH_TOL_S
        else:  # one sample per request: the spacing is the gap since the previous one
            step = float(t[0]) - self._last_request_end_s
            regular = abs(step - self._step_s) <= MATCH_TOL_S or math.isnan(self._step_s)
        self._step_s = step if regular and step > 0 else math.nan
        self._last_request_end_s = float(t[-1])
        if not self._step_s > 0:
            return np.zeros(0)
        count = int(self._render_ahead_s / self._step_s)
        return t[-1] + self._step_s * np.arange(1, count + 1)

    def _render(self, t: NDArray[np.float64]) -> OpticalSamples:
        """Simulate as far as needed and draw the fingertip's optics at times t (increasing)."""
        self._advance_to(float(t[-1]) + self._beat_horizon_s)
        p = self.params
        finger_on = self._finger_on(t)
        lung = np.interp(t, self._grid_t_s, self._grid_lung)
        vlf = np.interp(t, self._grid_t_s, self._grid_vlf_bpm)
        blood = render_pulses(t, self._peak_s, self._peak_amp)
        blood += p.perfusion * (RESPIRATORY_BASELINE * lung + VASOMOTOR_PER_BPM * vlf)
        blood += p.ppg_noise * self._rng_noise.standard_normal(len(t))
        motion = self._motion.render(t) + self._placements(t)
        self._prune()
        return OpticalSamples(
            blood_volume=np.where(finger_on, blood, 0.0),
            finger_on=finger_on,
            motion=np.where(finger_on, motion, 0.0),
        )

    # -- ground truth, for tests and the simulator's display --------------------------------------

    @property
    def following_light(self) -> bool:
        """True while the person is breathing with the light (noticed it and not in a lapse)."""
        return self._breathing.following

    def beat_times_s(self) -> NDArray[np.float64]:
        """Systolic-peak times at the fingertip of every beat simulated so far (last two hours)."""
        return self._recent(self._beat_log.values()[:, 0])

    def ectopic_beat_times_s(self) -> NDArray[np.float64]:
        """The premature beats among `beat_times_s()`."""
        return self._recent(self._ectopic_log.values()[:, 0])

    def breath_rate_bpm_at(self, t_s: ArrayLike, window_s: float = 10.0) -> NDArray[np.float64]:
        """True breathing rate (breaths/min) averaged over window_s centred on each t_s."""
        log_rows = self._phase_log.values()
        times, phase = log_rows[:, 0], log_rows[:, 1]
        if len(times) < 2:
            raise InputError("no breathing simulated yet")
        t = np.asarray(t_s, dtype=float)
        lo = np.clip(t - window_s / 2, times[0], times[-1])
        hi = np.clip(t + window_s / 2, times[0], times[-1])
        span = np.maximum(hi - lo, 1e-9)
        return 60.0 * (np.interp(hi, times, phase) - np.interp(lo, times, phase)) / span

    def _recent(self, times_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """The logged times within LOG_SPAN_S of the simulated present."""
        return times_s[times_s >= self._cells_done * GRID_DT_S - LOG_SPAN_S]

    # -- simulation -------------------------------------------------------------------------------

    def _advance_to(self, t_end_s: float) -> None:
        """Simulate breathing and heart on the grid until the grid covers t_end_s."""
        n = math.ceil(t_end_s / GRID_DT_S) - self._cells_done + 1
        if n <= 0:
            return
        t0 = self._cells_done * GRID_DT_S
        cell_t = t0 + GRID_DT_S * np.arange(n, dtype=float)
        breath = self._breathing.run(t0, self._perceived_levels(cell_t - self.params.reaction_lag_s))
        lung = tidal_depth(breath.rate_bpm) * breath.shape
        beats = self._heart.step(t0, lung)
        first_logged = (-self._cells_done) % PHASE_LOG_EVERY
        every = slice(first_logged, None, PHASE_LOG_EVERY)
        self._phase_log.extend(np.column_stack((cell_t[every], breath.phase_cycles[every])))
        self._cells_done += n
        peak_s = beats.beat_times_s + PULSE_DELAY_S
        amp = self.params.perfusion * (1.0 - RESPIRATORY_AMPLITUDE_MOD * lung[beats.beat_cells])
        amp = np.where(beats.ectopic, ECTOPIC_AMPLITUDE * amp, amp)
        self._beat_log.extend(peak_s[:, None])
        self._ectopic_log.extend(peak_s[beats.ectopic, None])
        self._peak_s = np.concatenate((self._peak_s, peak_s))
        self._peak_amp = np.concatenate((self._peak_amp, amp))
        self._grid_t_s = np.concatenate((self._grid_t_s, cell_t))
        self._grid_lung = np.concatenate((self._grid_lung, lung))
        self._grid_vlf_bpm = np.concatenate((self._grid_vlf_bpm, beats.vlf_bpm))

    def _perceived_levels(self, seen_at_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """The light level the person had seen by each time (sample and hold; nan before any light)."""
        if not self._light_t_s:
            return np.full(len(seen_at_s), self._held_level)
        light_t = np.asarray(self._light_t_s)
        idx = np.searchsorted(light_t, seen_at_s, side="right") - 1
        levels = np.where(idx >= 0, np.asarray(self._light_level)[np.maximum(idx, 0)], self._held_level)
        last = int(idx[-1])
        if last >= 0:
            self._held_level = self._light_level[last]
            del self._light_t_s[: last + 1], self._light_level[: last + 1]
        return levels

    def _prune(self) -> None:
        """Forget working state older than any request may reach back to."""
        oldest = self._newest_request_s - RETAIN_S
        keep_beats = np.searchsorted(self._peak_s, oldest - PULSE_AFTER_S)
        self._peak_s, self._peak_amp = self._peak_s[keep_beats:], self._peak_amp[keep_beats:]
        keep_cells = max(int(np.searchsorted(self._grid_t_s, oldest)) - 1, 0)
        self._grid_t_s = self._grid_t_s[keep_cells:]
        self._grid_lung = self._grid_lung[keep_cells:]
        self._grid_vlf_bpm = self._grid_vlf_bpm[keep_cells:]
        self._lifts = [(a, b) for a, b in self._lifts if b + 10.0 >= oldest]

    def _finger_on(self, t: NDArray[np.float64]) -> NDArray[np.bool_]:
        on = t >= self.params.finger_on_at_s
        for start, end in self._lifts:
            on &= (t < start) | (t >= end)
        return on

    def _placements(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Settling offsets after the finger lands (first placement and after every lift)."""
        amp = PLACEMENT_AMPLITUDE * self.params.perfusion
        out = placement_transient(t, self.params.finger_on_at_s, amp)
        for _, end in self._lifts:
            out += placement_transient(t, end, amp)
        return out
