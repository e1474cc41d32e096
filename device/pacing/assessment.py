"""The resonance assessment: find a person's resonance breathing rate with a stepped, paced protocol.

Protocol after Lehrer, Vaschillo & Vaschillo (2000, doi:10.1023/A:1009554825745) as made practical by
Shaffer & Meehan (2020, doi:10.3389/fnins.2020.570400): the pacer holds each rate of a list (default
6.5, 6.0, 5.5, 5.0, 4.5 breaths/min) for about two minutes. Before the first step the pacer runs a
`lead_in_s` lead-in at the first rate that is not judged: from their own rhythm a person has to notice
the light and join it, which takes far longer than the few seconds' glide between two steps (judged
from the start, the first step mixed in the person's own, faster and shallower breathing and its heart
answer, which pulled the answer low when the resonance sat at the first rate). For every step, after
its first `settle_s` (while breathing finds the new rate), the beats give:

- the breathing rate from the heart's rhythm (the RSA peak, device/signal/coherence.py), and from the
  pulse's respiratory-induced amplitude variation (RIAV: the pulse shrinks as the lungs fill; Charlton
  et al. 2016, doi:10.1088/0967-3334/37/4/610). The step was followed when both lie within
  `follow_tolerance_per_min` of the pacer. A step not followed is repeated once, then noted.
- `hr_swing_bpm`: the mean over the step's breaths of heart rate max - min within each breath
  (Lehrer's peak-to-trough heart-rate difference).
- `lf_power_bpm2`: heart-rate power in 0.04..0.15 Hz (Task Force 1996, doi:10.1161/01.CIR.93.5.1043).
- `phase_deg`: the phase of heart rate relative to breathing at the pacing frequency, breathing being
  the (inverted) RIAV, so both come from the same beats and share every delay of the sensor and the
  pipeline. At resonance heart rate rises and falls with the breath: 0 degrees; below it heart rate
  leads (positive), above it lags (negative), the signature of the baroreflex resonator (Vaschillo et
  al. 2002, doi:10.1023/A:1014587304314).
- `hr_amplitude_bpm` and `breath_depth`: the amplitudes of heart rate and RIAV at the pacing frequency.

Motion makes bursts of false "beats" with outlying pulse amplitudes; a few seconds of them at twice the
heart rate outweigh a step's whole RSA at the pacing frequency. So beats whose amplitude lies more than
4 scaled MADs from the step's median (or whose timing is untrusted) are left out of the RIAV, the
intervals touching them or their neighbours are left out of the heart-rate series (bridged by
interpolation), and so are intervals whose length is such an outlier of the step's (a sinusoidal RSA
never is). Isolated ectopic beats are corrected first (Lipponen & Tarvainen 2019).

The choice fits the heart's response per unit breath depth, (hr amplitude / depth) * exp(i phase), with
a second-order band-pass resonator (`fit_resonance`) over the followed rates; its centre is the answer
(resolution FIT_STEP_BPM). When it sits within half a step of an end of the list, one step past that end
is added (once) and the fit is made again. Every step's time, and so its settling, counts from when the
pacer has glided to its rate (STEP_GLIDE_BPM_PER_S): 5 s between neighbours, but 25 s from the last rate
to a step past the far end, which otherwise judged the person still catching up with the glide. Fewer
than MIN_FOLLOWED followed steps, or a centre more than half a step outside the rates tried: "could not
tell", never a guess.

`ResonanceAssessment` drives it from a session: it stands in for the pacer guide (same `start`/`update`
interface), takes the beats as they come and keeps the per-step figures. Pure: no clock reads.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.artifacts import correct_with_lag
from device.signal.coherence import breathing_rate_bpm
from device.signal.pulse import Beat
from patterns.state import BreathShape, PacerSnapshot

log = logging.getLogger(__name__)

SERIES_FS_HZ = 4.0  # heart-rate and RIAV series are resampled at this rate
LF_BAND_HZ = (0.04, 0.15)
BREATH_BAND_HZ = (0.05, 0.5)
MIN_FOLLOWED = 3  # fewer followed steps than this: the assessment cannot tell
MIN_STEP_BEATS = 30
FIT_STEP_BPM = 0.01  # resolution of the fitted resonance rate
Q_RANGE = (0.5, 5.0)  # sharpness of the resonance the fit may find
EXTENSION_BPM = 0.5  # one step past an end of the list, this far beyond it
RATE_LIMITS_BPM = (3.5, 8.0)  # rates an assessment may pace
STEP_GLIDE_BPM_PER_S = 0.1  # the pacer moves to the next step's rate in a few seconds, phase unbroken
LEAD_IN_S = 60.0  # before the first step: time to notice the light and leave one's own rhythm (see above)


@dataclass(frozen=True)
class AssessmentPlan:
    """The protocol: rates in the order tried (breaths/min), seconds per step, seconds not judged."""

    rates_per_min: tuple[float, ...] = (6.5, 6.0, 5.5, 5.0, 4.5)
    step_s: float = 120.0
    settle_s: float = 20.0
    follow_tolerance_per_min: float = 0.6
    lead_in_s: float = LEAD_IN_S  # paced at the first rate, not judged, before the first step

    def __post_init__(self) -> None:
        lo, hi = RATE_LIMITS_BPM
        if len(self.rates_per_min) < MIN_FOLLOWED or any(not lo <= r <= hi for r in self.rates_per_min):
            raise InputError(f"an assessment needs at least {MIN_FOLLOWED} rates in {lo}..{hi}, "
                             f"got {self.rates_per_min}")
        if not 0 <= self.settle_s < self.step_s - 30.0:
            raise InputError(f"settle_s {self.settle_s} must leave at least 30 s of a {self.step_s} s step")
        if self.lead_in_s < 0:
            raise InputError(f"lead_in_s {self.lead_in_s} must not be negative")

    def paced_s(self, extended: bool = False, repeats: int = 0) -> float:
        """Seconds the pacer runs for this plan: the lead-in, every step and the glides between them;
        `extended` adds one step past an end of the range (with the longer of its two glides), `repeats`
        steps repeated once. The session's settling (finger to pacing) comes before it."""
        rates = self.rates_per_min
        glides = sum(abs(a - b) for a, b in itertools.pairwise(rates)) / STEP_GLIDE_BPM_PER_S
        total = self.lead_in_s + len(rates) * self.step_s + glides + repeats * self.step_s
        if extended:
            far = max(abs(rates[-1] - (max(rates) + EXTENSION_BPM)), abs(rates[-1] - (min(rates) - EXTENSION_BPM)))
            total += self.step_s + far / STEP_GLIDE_BPM_PER_S
        return total

    @classmethod
    def from_text(cls, rates: str, step_s: float, settle_s: float, follow_tolerance_per_min: float) -> AssessmentPlan:
        return cls(tuple(float(r) for r in rates.split(",")), step_s, settle_s, follow_tolerance_per_min)


@dataclass(frozen=True)
class StepFigures:
    """What one step at `rate_per_min` showed. Figures are None when the beats did not allow them."""

    rate_per_min: float
    attempt: int  # 1, or 2 for a repeat
    followed: bool
    breath_rate_per_min: float | None  # from the heart's rhythm (RSA)
    riav_rate_per_min: float | None  # from the pulse amplitude (RIAV)
    hr_swing_bpm: float | None
    lf_power_bpm2: float | None
    phase_deg: float | None  # heart rate relative to breathing; 0 at resonance
    hr_amplitude_bpm: float | None = None  # amplitude of heart rate at the pacing frequency
    breath_depth: float | None = None  # amplitude of the RIAV at the pacing frequency (pulse units)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


STEP_HEADER = "  rate/min  try  followed  breathing/min  HR swing bpm  LF power bpm2  phase deg"


def step_row(step: dict[str, Any]) -> str:
    """One step of an assessment as a table row under STEP_HEADER, from `StepFigures.as_dict()` or a stored
    step (the same keys): one precision for each figure wherever a step is shown."""
    def fmt(x: float | None, spec: str) -> str:
        return "-" if x is None else format(x, spec)
    return (f"  {step['rate_per_min']:>8.1f}  {step['attempt']:>3}  {'yes' if step['followed'] else 'no':>8}  "
            f"{fmt(step['breath_rate_per_min'], '.2f'):>13}  {fmt(step['hr_swing_bpm'], '.1f'):>12}  "
            f"{fmt(step['lf_power_bpm2'], '.1f'):>13}  {fmt(step['phase_deg'], '+.0f'):>9}")


@dataclass(frozen=True)
class AssessmentResult:
    resonance_rate_per_min: float | None  # None: could not tell
    reason: str
    steps: tuple[StepFigures, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"resonance_rate_per_min": self.resonance_rate_per_min, "reason": self.reason,
                "steps": [s.as_dict() for s in self.steps]}


def _series(t_s: NDArray[np.float64], values: NDArray[np.float64], t0: float,
            t1: float) -> NDArray[np.float64]:
    grid = np.arange(t0, t1, 1.0 / SERIES_FS_HZ)
    return np.interp(grid, t_s, values)


def _dominant_bpm(x: NDArray[np.float64]) -> float | None:
    """Breaths/min of the strongest peak of x (4 Hz series) in BREATH_BAND_HZ, zero-padded to 0.001 Hz."""
    if len(x) < 2 * SERIES_FS_HZ / BREATH_BAND_HZ[0]:
        return None
    y = (x - np.polyval(np.polyfit(np.arange(len(x)), x, 1), np.arange(len(x)))) * np.hanning(len(x))
    n = max(len(y), int(SERIES_FS_HZ / 0.001))
    psd = np.abs(np.fft.rfft(y, n)) ** 2
    f = np.fft.rfftfreq(n, 1.0 / SERIES_FS_HZ)
    band = (f >= BREATH_BAND_HZ[0]) & (f <= BREATH_BAND_HZ[1])
    return float(60.0 * f[band][np.argmax(psd[band])])


def analyse_step(beats: Sequence[Beat], rate_bpm: float, t0_s: float, t1_s: float, attempt: int = 1,
                 follow_tolerance_per_min: float = 0.6) -> StepFigures:
    """Figures of one step from its beats in [t0_s, t1_s] (sensor seconds) paced at rate_bpm."""
    none = StepFigures(rate_bpm, attempt, False, None, None, None, None, None)
    sel = [b for b in beats if t0_s <= b.t_s <= t1_s]
    if len(sel) < MIN_STEP_BEATS or t1_s - t0_s < 2 * 60.0 / rate_bpm:
        return none
    t = np.array([b.t_s for b in sel])
    # Motion: beats of outlying amplitude (or untrusted timing) are not heartbeats to time or to measure.
    amp = np.array([b.amplitude for b in sel])
    good = np.array([b.quality >= 0.5 for b in sel])
    good &= _inliers(amp, good)
    # Intervals (isolated ectopy corrected) that touch a motion beat or one next to it, or whose length is
    # an outlier of the step's, are dropped: a burst of false beats must not become a burst of heart rate.
    # (each interval's end on the beats' own clock: a premature beat's short interval replaced alone adds time)
    ibi_ms, _, lag_ms = correct_with_lag(np.diff(t) * 1000.0)
    ends = t[0] + (np.cumsum(ibi_ms) - lag_ms) / 1000.0
    starts = ends - ibi_ms / 1000.0
    edge = np.concatenate(([True], good, [True]))
    suspect = t[~(edge[:-2] & good & edge[2:])]
    touched = np.searchsorted(suspect, ends + 1e-3, "right") > np.searchsorted(suspect, starts - 1e-3, "left")
    keep = ~touched & _inliers(ibi_ms, np.ones(len(ibi_ms), dtype=bool))
    if keep.sum() < MIN_STEP_BEATS or good.sum() < MIN_STEP_BEATS:
        return none
    ibi_ms, ends = ibi_ms[keep], ends[keep]
    hr = 60000.0 / ibi_ms
    mids = ends - ibi_ms / 2000.0  # an interval's rate belongs to its middle, not its end
    # RIAV: amplitudes of the trusted beats, inverted so it rises as the lungs fill.
    lo, hi = max(t0_s, mids[0]), min(t1_s, mids[-1])
    if hi - lo < 2 * 60.0 / rate_bpm:
        return none
    hr_x = _series(mids, hr, lo, hi)
    breath_x = -_series(t[good], amp[good], lo, hi)
    rsa = breathing_rate_bpm(ends, hr)
    rsa_bpm = rsa[0] if rsa is not None else None  # the rate; paced breathing leaves no doubt of its line
    riav_bpm = _dominant_bpm(breath_x)
    followed = (rsa_bpm is not None and riav_bpm is not None
                and abs(rsa_bpm - rate_bpm) <= follow_tolerance_per_min
                and abs(riav_bpm - rate_bpm) <= follow_tolerance_per_min)
    # Peak-to-trough heart rate per breath, breaths cut at the pacer's period.
    per = round(SERIES_FS_HZ * 60.0 / rate_bpm)
    swings = [float(np.ptp(hr_x[i:i + per])) for i in range(0, len(hr_x) - per + 1, per)]
    # LF power (bpm^2) of the detrended heart-rate series.
    n = len(hr_x)
    idx = np.arange(n)
    y = hr_x - np.polyval(np.polyfit(idx, hr_x, 1), idx)
    w = np.hanning(n)
    spec = np.fft.rfft(y * w)
    psd = 2.0 * np.abs(spec) ** 2 / (SERIES_FS_HZ * float(np.sum(w**2)))
    f = np.fft.rfftfreq(n, 1.0 / SERIES_FS_HZ)
    band = (f >= LF_BAND_HZ[0]) & (f <= LF_BAND_HZ[1])
    lf = float(psd[band].sum() * (f[1] - f[0]))
    # Phase of heart rate relative to breathing at the pacing frequency (complex demodulation).
    tt = lo + idx / SERIES_FS_HZ
    carrier = np.exp(-2j * np.pi * rate_bpm / 60.0 * tt) * w
    b_y = breath_x - np.polyval(np.polyfit(idx, breath_x, 1), idx)
    c_hr, c_breath = np.sum(y * carrier), np.sum(b_y * carrier)
    phase = math.degrees(float(np.angle(c_hr / c_breath)))
    scale = 2.0 / float(np.sum(w))  # |coefficient| -> amplitude of the sinusoid
    return StepFigures(rate_bpm, attempt, bool(followed), _r(rsa_bpm), _r(riav_bpm),
                       _r(float(np.mean(swings)) if swings else None), _r(lf), _r(phase, 1),
                       _r(scale * abs(c_hr), 3), float(f"{scale * abs(c_breath):.4g}"))


def _inliers(x: NDArray[np.float64], among: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Which of x lie within 4 scaled MADs of the median of x[among] (a sinusoid never leaves it)."""
    if not among.any():
        return np.zeros(len(x), dtype=bool)
    med = float(np.median(x[among]))
    mad = float(np.median(np.abs(x[among] - med)))
    return np.asarray(np.abs(x - med) <= 4.0 * 1.4826 * mad + 1e-12, dtype=bool)


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(float(x), digits)


def fit_resonance(rates_per_min: NDArray[np.float64], hr_amplitude_bpm: NDArray[np.float64],
                  breath_depth: NDArray[np.float64], phase_deg: NDArray[np.float64]) -> tuple[float, float, float]:
    """(resonance rate bpm, Q, phase offset deg) of the baroreflex resonator fitted to the steps.

    The response per unit breath depth at each rate, Z = (hr amplitude / depth) * exp(i phase), is fitted
    by G * H(f), H(f) = 1 / (1 + iQ(f/f0 - f0/f)) (a second-order band-pass, the model of Vaschillo et
    al. 2002), least squares over a grid of f0 and Q with the complex gain G solved in closed form. G's
    angle absorbs any constant delay of the breathing proxy. Each step's response is its own heart-rate
    amplitude over its own breath depth (the transfer function at the pacing frequency, both from the
    same beats and window), so a step breathed shallower than the others (the first, often) is not
    mistaken for a weaker heart. (A power law fitted to the depths across steps, as before, let one
    shallow step tilt the law and move the response at the far ends, where the answer is decided.)
    """
    r = np.asarray(rates_per_min, dtype=float)
    z = np.asarray(hr_amplitude_bpm) / np.asarray(breath_depth) * np.exp(1j * np.radians(phase_deg))
    f0 = np.arange(RATE_LIMITS_BPM[0], RATE_LIMITS_BPM[1] + 1e-9, FIT_STEP_BPM)[:, None, None]
    q = np.arange(Q_RANGE[0], Q_RANGE[1] + 1e-9, 0.1)[None, :, None]
    h = 1.0 / (1.0 + 1j * q * (r / f0 - f0 / r))
    g = np.sum(np.conj(h) * z, axis=-1) / np.sum(np.abs(h) ** 2, axis=-1)
    residual = np.sum(np.abs(z - g[..., None] * h) ** 2, axis=-1)
    i, j = np.unravel_index(int(np.argmin(residual)), residual.shape)
    return float(f0[i, 0, 0]), float(q[0, j, 0]), math.degrees(float(np.angle(g[i, j])))


def _usable(steps: Sequence[StepFigures]) -> list[StepFigures]:
    """The last attempt at each rate, where it was followed and gave every figure the fit needs."""
    last = {s.rate_per_min: s for s in steps}
    return [s for s in last.values() if s.followed and s.hr_amplitude_bpm and s.breath_depth
            and s.phase_deg is not None]


def _fit(ok: Sequence[StepFigures]) -> tuple[float, float, float]:
    return fit_resonance(np.array([s.rate_per_min for s in ok]), np.array([s.hr_amplitude_bpm for s in ok]),
                         np.array([s.breath_depth for s in ok]), np.array([s.phase_deg for s in ok]))


def choose(steps: Sequence[StepFigures]) -> tuple[float | None, str]:
    """(resonance rate or None, why) from the steps' figures; see the module docstring.

    The last attempt at each rate counts. Fewer than MIN_FOLLOWED followed rates, or a fitted resonance
    further than half a step outside the rates tried: None (could not tell).
    """
    last = {s.rate_per_min: s for s in steps}
    ok = _usable(steps)
    if len(ok) < MIN_FOLLOWED:
        return None, (f"could not tell: the breathing followed the pacer at {len(ok)} of {len(last)} rates "
                      f"(at least {MIN_FOLLOWED} are needed)")
    f0, q, offset = _fit(ok)
    lo, hi = min(s.rate_per_min for s in ok), max(s.rate_per_min for s in ok)
    if not lo - EXTENSION_BPM / 2 <= f0 <= hi + EXTENSION_BPM / 2:
        return None, f"could not tell: the heart's response peaks near {f0:.2f}/min, outside the rates tried"
    best = max(ok, key=lambda s: s.lf_power_bpm2 or 0.0)
    return round(f0, 2), (f"the heart's response per breath peaks at {f0:.2f}/min (resonator fit, Q {q:.1f}, "
                          f"breathing proxy offset {offset:+.0f} deg); largest LF power at {best.rate_per_min}/min")


class ResonanceAssessment:
    """Runs the protocol inside a session, in place of the pacer guide (`start`, `update`).

    Feed it every beat (`add_beats`); call `update` every few seconds. `done` once every step (with
    repeats and an extension) has run; then `result` holds the answer.
    """

    def __init__(self, plan: AssessmentPlan | None = None, shape: BreathShape | None = None) -> None:
        self.plan = plan if plan is not None else AssessmentPlan()
        self._shape = shape if shape is not None else BreathShape()
        self._queue: list[tuple[float, int]] = [(r, 1) for r in self.plan.rates_per_min]
        self._extended = False
        self._beats: list[Beat] = []
        self.steps: list[StepFigures] = []
        self._snapshot: PacerSnapshot | None = None
        self._step_start_s = 0.0
        self.result: AssessmentResult | None = None
        self.following = True

    # -- the guide's interface --------------------------------------------------------------------

    @property
    def snapshot(self) -> PacerSnapshot:
        if self._snapshot is None:
            raise RuntimeError("ResonanceAssessment.start() has not been called")
        return self._snapshot

    @property
    def reached_target(self) -> bool:
        return self.done

    def start(self, t_s: float, measured_breath_rate_bpm: float | None) -> PacerSnapshot:
        """Pacing begins at the first rate of the plan, phase 0 = start of an in-breath."""
        rate = self._queue[0][0]
        self._snapshot = PacerSnapshot(t0_s=t_s, phase0_cycles=0.0, rate0_bpm=rate, target_bpm=rate,
                                       slope_bpm_per_s=0.0, shape=self._shape)
        self._step_start_s = t_s + self.plan.lead_in_s  # the first step begins after the lead-in
        log.info("resonance assessment starts: %s breaths/min, %.0f s each", self.plan.rates_per_min, self.plan.step_s)
        return self._snapshot

    def update(self, t_s: float, measured_breath_rate_bpm: float | None) -> PacerSnapshot:
        """Move to the next step when the current one has run its time; returns the pacer."""
        snap = self.snapshot
        if self.done or t_s - self._step_start_s < self.plan.step_s:
            return snap
        rate, attempt = self._queue.pop(0)
        fig = analyse_step(self._beats, rate, self._step_start_s + self.plan.settle_s, t_s, attempt,
                           self.plan.follow_tolerance_per_min)
        self.steps.append(fig)
        self.following = fig.followed
        log.info("assessment step %.1f/min (attempt %d): followed=%s swing=%s lf=%s phase=%s", rate, attempt,
                 fig.followed, fig.hr_swing_bpm, fig.lf_power_bpm2, fig.phase_deg)
        if not fig.followed and attempt == 1:
            self._queue.insert(0, (rate, 2))
        if not self._queue and not self._extended:
            self._extend()
        self._beats = [b for b in self._beats if b.t_s >= t_s - 5.0]
        if not self._queue:
            chosen, reason = choose(self.steps)
            self.result = AssessmentResult(chosen, reason, tuple(self.steps))
            log.info("assessment result: %s (%s)", chosen, reason)
            return snap
        # The step's time (and its settling) counts from when the pacer has glided to the new rate: the
        # jump from the last rate to a step past the far end of the list is 2.5/min, a 25 s glide.
        self._step_start_s = t_s + abs(self._queue[0][0] - rate) / STEP_GLIDE_BPM_PER_S
        self._snapshot = snap.rebased(t_s, self._queue[0][0], STEP_GLIDE_BPM_PER_S)
        return self._snapshot

    def _extend(self) -> None:
        """One step past an end of the list when the best rate so far sits at that end."""
        self._extended = True
        ok = _usable(self.steps)
        if len(ok) < MIN_FOLLOWED:
            return
        chosen, _, _ = _fit(ok)
        rates = self.plan.rates_per_min
        lo, hi = min(rates), max(rates)
        if chosen > hi - EXTENSION_BPM / 2 and hi + EXTENSION_BPM <= RATE_LIMITS_BPM[1]:
            self._queue.append((hi + EXTENSION_BPM, 1))
        elif chosen < lo + EXTENSION_BPM / 2 and lo - EXTENSION_BPM >= RATE_LIMITS_BPM[0]:
            self._queue.append((lo - EXTENSION_BPM, 1))

    # -- inputs and progress ----------------------------------------------------------------------

    def add_beats(self, beats: Sequence[Beat]) -> None:
        self._beats.extend(beats)

    @property
    def done(self) -> bool:
        return self.result is not None

    @property
    def progress(self) -> tuple[int, int]:
        """(steps done, steps planned so far): shown on the ring and in the view."""
        return len(self.steps), len(self.steps) + len(self._queue)

    @property
    def current_rate_bpm(self) -> float | None:
        return None if self.done or not self._queue else self._queue[0][0]
