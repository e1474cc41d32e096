"""Motion spans for the pulse pipeline: where a moving hand, not the pulse, fills the band-passed signal.

Used by device/signal/pulse.py; pure and streaming (state: a few short deques).

A moving hand moves the tissue under the sensor far more than the pulse does and adds its own power to
the pulse's band (0.5-5 Hz), so the band-passed signal's RMS over one beat interval rises above the
pulse's own. The pulse's own RMS is the median over the last N_RECENT still beats (each over the interval
before its peak and the look-ahead after it). A beat whose interval holds more than MOTION_RATIO times
that lies inside a motion span; a periodicity check whose window has lost the pulse's rhythm judges its
last interval the same way (one interval holds one beat wherever it starts), so a span is known where no
beat was picked. Spans are reported in sensor seconds (PulseUpdate.motion); the HRV tracker forms no
interval across them and rests its figures after one only on a regular run of beats after it
(device/signal/hrv.py).

The reference must follow a pulse that grows (perfusion and finger pressure settling, a phone camera
adjusting its gain) without following motion: a beat's RMS joins it when within sqrt(MOTION_RATIO) of it
either way (halfway, on a log scale, to motion), or above that band and under the bar when the beat has
the pulse's shape and proportions (template correlation, RMS / amplitude and upstroke / amplitude within
the same factor of the still beats'); above the bar only a run of N_RECENT such beats, each interval
agreeing with the still beats', replaces it. The rule and its one threshold were first built on branch
i7d (issue 7, fault 2) and are measured by bench/bench_motion.py and bench/bench_motion_real.py.
"""

from __future__ import annotations

import statistics
from collections import deque

import numpy as np

from device.signal.pulse_peaks import N_RECENT, SampleRing
from device.signal.pulse_quality import BeatTemplate

# A beat interval whose band-passed RMS is this many times the pulse's own is motion. The pulse's RMS
# varies beat to beat with its respiratory modulation (about +-15 %) and over minutes with perfusion.
# Chosen on generated motion, seeds 1-3 only (bench/bench_motion.py; docs/signal_thresholds.md): 2.0 let
# motion of half the pulse's size through at 25 and 50 samples/s, 1.7 too; 1.5 was the best of the three.
MOTION_RATIO = 1.5
MOTION_REF_MIN = 3  # beats the pulse's own RMS must rest on before motion is judged


class MotionJudge:
    """Judges beat intervals moving or still against the pulse's own band-passed RMS; collects spans.

    `interval_agreement`: how closely a run of grown beats' intervals must agree with the still beats'
    (the pipeline's INTERVAL_AGREEMENT)."""

    def __init__(self, fs_hz: float, interval_agreement: float) -> None:
        self.fs_hz = float(fs_hz)
        self._agreement = interval_agreement
        self._spans: list[tuple[float, float]] = []  # judged moving, not yet taken (survives reset)
        self._pulse_rms: deque[float] = deque(maxlen=N_RECENT)
        self.reset()

    def reset(self) -> None:
        """Forget the pulse's reference (a new stream); spans not yet taken are kept."""
        self._pulse_rms.clear()
        self._still_ibis: deque[int] = deque(maxlen=N_RECENT)  # between consecutive still beats, samples
        self._last_still: int | None = None
        self._moving_run: list[tuple[int, float]] = []  # consecutive moving beats (index, RMS), pulse-like
        self._rms_per_amp: deque[float] = deque(maxlen=N_RECENT)  # still beats' RMS / beat amplitude
        self._slope_per_amp: deque[float] = deque(maxlen=N_RECENT)  # still beats' upstroke / amplitude

    def take_spans(self) -> tuple[tuple[float, float], ...]:
        """The spans (start_s, end_s) judged moving since the last call, merged where they touch."""
        spans, self._spans = tuple(self._spans), []
        return spans

    def add_span(self, start_s: float, end_s: float) -> None:
        """Record start_s..end_s (sensor seconds) as moving, judged so by the caller (a released lock's beats)."""
        if self._spans and self._spans[-1][1] >= start_s:
            self._spans[-1] = (min(self._spans[-1][0], start_s), max(self._spans[-1][1], end_s))
        else:
            self._spans.append((start_s, end_s))

    def judge_window(self, filtered: SampleRing, first: float, stop: int) -> None:
        """A span of band-passed signal with no beat judged (a periodicity check's last interval, in a
        window that has lost the pulse's rhythm): a motion span if its RMS is MOTION_RATIO x the pulse's."""
        rms = _rms(filtered, first, stop)
        if rms is not None and len(self._pulse_rms) >= MOTION_REF_MIN \
                and rms > MOTION_RATIO * statistics.median(self._pulse_rms):
            self._add(filtered, first, stop)

    def judge_beat(self, filtered: SampleRing, template: BeatTemplate, index: int, interval: float,
                   reach_after: int, amp: float, slope: float) -> bool:
        """Is the beat at `index` (amplitude `amp`, steepest upstroke `slope`; `interval` samples since the
        beat before, as the picker expects; `reach_after` samples of look-ahead held) inside a motion span?
        A span is recorded if so. See the module docstring for how the reference learns."""
        first = index - interval
        rms = _rms(filtered, first, index + reach_after)
        if rms is None:
            return False
        if len(self._pulse_rms) < MOTION_REF_MIN:
            self._learn_still(rms, amp, slope)
            return False
        ref = statistics.median(self._pulse_rms)
        if rms <= MOTION_RATIO * ref:
            if rms <= MOTION_RATIO ** 0.5 * ref and rms * MOTION_RATIO ** 0.5 >= ref:
                self._learn_still(rms, amp, slope)
            elif rms > ref and self._pulse_like(filtered, template, index, rms, amp, slope):
                self._pulse_rms.append(rms)
            if self._last_still is not None and not self._moving_run:
                self._still_ibis.append(index - self._last_still)
            self._last_still, self._moving_run = index, []
            return False
        run = self._moving_run
        if run and not (self._still_ibis and self._agree(index - run[-1][0], statistics.median(self._still_ibis))):
            run.clear()
        if self._pulse_like(filtered, template, index, rms, amp, slope):
            run.append((index, rms))
        else:
            run.clear()
        if len(run) >= N_RECENT:  # a regular pulse, grown: it is the reference now
            self._pulse_rms = deque((r for _, r in run), maxlen=N_RECENT)
            self._last_still, self._moving_run = index, []
            return False
        self._add(filtered, first, index + reach_after)
        return True

    def _agree(self, interval: float, previous: float) -> bool:
        return previous > 0.0 and abs(interval / previous - 1.0) <= self._agreement

    def _add(self, filtered: SampleRing, first: float, stop: int) -> None:
        self.add_span(max(first, filtered.start) / self.fs_hz, stop / self.fs_hz)

    def _learn_still(self, rms: float, amp: float, slope: float) -> None:
        self._pulse_rms.append(rms)
        if amp > 0.0:
            self._rms_per_amp.append(rms / amp)
            self._slope_per_amp.append(slope / amp)

    def _pulse_like(self, filtered: SampleRing, template: BeatTemplate, index: int, rms: float, amp: float,
                    slope: float) -> bool:
        """The beat has the pulse's shape (template correlation >= 1/sqrt(MOTION_RATIO)) and proportions
        (RMS / amplitude and upstroke / amplitude within sqrt(MOTION_RATIO) of the still beats')."""
        if not self._rms_per_amp or amp <= 0.0:
            return False
        margin = MOTION_RATIO ** 0.5
        lo, hi = index - template.before, index + template.after + 1
        if lo < filtered.start or hi > filtered.end:
            return False
        corr = template.correlation(filtered.view(lo, hi))
        return (corr is not None and corr >= 1.0 / margin
                and rms / amp <= margin * statistics.median(self._rms_per_amp)
                and slope / amp >= statistics.median(self._slope_per_amp) / margin)


def _rms(filtered: SampleRing, first: float, stop: int) -> float | None:
    """RMS about the mean (standard deviation) of band-passed samples first..stop-1, None if not held."""
    lo, hi = max(round(first), filtered.start), min(stop, filtered.end)
    return float(np.std(filtered.view(lo, hi))) if hi - lo >= 2 else None
