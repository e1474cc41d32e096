"""Pacer guidance: start near the person's breathing rate, glide toward their resonance rate.

Pure logic on the times it is given (no clock reads). The session calls `start` when pacing begins
and `update` every few seconds with the breathing rate the HRV pipeline estimates from the heart's
respiratory rhythm. The pacer glides no faster than a person can follow (about 1 breath/min per
minute; Lehrer, Vaschillo & Vaschillo 2000, doi:10.1023/A:1009554825745 pace people down in steps
of this order), and the glide waits while the person is not following: their measured rate has been
further than `follow_tolerance_per_min` from the pacer for longer than `follow_grace_s`.

The breathing estimate trails the breathing by `estimate_lag_s` (it is computed over a window of
past beats), so it is compared with every rate the pacer showed over that lag, not only the current
one: during a glide the estimate is expected to lag behind, and that is not a failure to follow.

Every change goes through `PacerSnapshot.rebased`, so the pacer's phase and rate never jump.

Together mode (issue 13): one pacer serves two people. `join_partner` gives the partner their own judge of
following (same tolerance, grace and lag), `update` takes their breathing estimate too, and the glide goes
on only while both follow (device/pacing/together.py `together_following`), or, while one of them is away
(finger off, sensor lost), while the one there follows; the session chooses the shared start and target
rates (`together_start_rate`, `together_target_rate`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields, replace

from device.errors import InputError
from patterns.state import BreathShape, PacerSnapshot

log = logging.getLogger(__name__)

MIN_RATE_BPM = 4.5  # the pacer never starts below or above these rates, whatever is measured
MAX_START_RATE_BPM = 20.0  # resting adults breathe 12-20/min: a start near their own rate
MAX_DEFAULT_START_BPM = 15.0  # the start without an estimate stays in the calmer half of that
# A measured rate outside this range is not taken as the person's breathing (a rhythm of something
# else, or noise); the pacer then starts at the default. Breaths per minute.
PLAUSIBLE_BREATH_BPM = (4.0, 24.0)
REACHED_TOLERANCE_BPM = 1e-6

_BOUNDS: dict[str, tuple[float, float]] = {
    "resonance_rate_per_min": (4.5, 7.0),
    "default_start_rate_per_min": (MIN_RATE_BPM, MAX_DEFAULT_START_BPM),
    "max_glide_per_min_per_min": (0.01, 3.0),
    "follow_tolerance_per_min": (0.1, 5.0),
    "follow_grace_s": (0.0, 600.0),
    "estimate_lag_s": (0.0, 120.0),
    "settle_s": (0.0, 120.0),
}


@dataclass(frozen=True)
class GuideSettings:
    """How the pacer is guided. Rates in breaths per minute."""

    resonance_rate_per_min: float = 6.0  # where the glide ends (the person's resonance rate)
    default_start_rate_per_min: float = 10.0  # start rate when there is no breathing estimate yet
    max_glide_per_min_per_min: float = 1.0  # fastest change of the pacer's rate
    follow_tolerance_per_min: float = 1.5  # measured breathing this close to the pacer = following
    follow_grace_s: float = 20.0  # off by more than the tolerance this long = not following
    estimate_lag_s: float = 30.0  # how far the breathing estimate trails the breathing
    settle_s: float = 15.0  # hold the start rate this long so the person can find the rhythm
    shape: BreathShape = field(default_factory=BreathShape)

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "shape":
                continue
            value = getattr(self, f.name)
            lo, hi = _BOUNDS[f.name]
            if not isinstance(value, int | float) or math.isnan(value) or not lo <= value <= hi:
                raise InputError(f"GuideSettings.{f.name} must be in {lo}..{hi}, got {value!r}")


@dataclass
class _Follower:
    """One person's following of the pacer, as judged from their breathing estimates."""

    who: str
    following: bool = True  # the glide goes on until estimates show otherwise
    mismatch_since_s: float | None = None
    judged: bool = False  # has any estimate been judged yet (shown as unknown until then)?

    @property
    def shown(self) -> bool | None:
        """Following as shown to people: None until a breathing estimate has been judged."""
        return self.following if self.judged else None


class PacerGuide:
    """Guides one session's pacer. Call `start` once, then `update` every ~1-5 s."""

    def __init__(self, settings: GuideSettings | None = None) -> None:
        self.settings = settings if settings is not None else GuideSettings()
        self._snapshot: PacerSnapshot | None = None
        self._history: list[PacerSnapshot] = []  # snapshots shown over the last estimate_lag_s
        self._start_s = 0.0
        self._last_s = -math.inf
        self._person = _Follower("the person")
        self._partner: _Follower | None = None  # together mode: the partner's own judge

    @property
    def _following(self) -> bool:
        """Does the glide go on: the person follows (and, together, the partner too)?"""
        if self._partner is None:
            return self._person.following
        from device.pacing.together import together_following  # together.py builds on this module

        return together_following(self._person.following, self._partner.following)

    @property
    def partner_following(self) -> bool | None:
        """Is the partner following the pacer (None: no partner has joined, or none of their breathing
        estimates has been judged yet)?"""
        return None if self._partner is None else self._partner.shown

    @property
    def person_following(self) -> bool | None:
        """Is the person (sensor A) following, whatever the partner does (None: none of their breathing
        estimates has been judged yet; the glide goes on meanwhile)?"""
        return self._person.shown

    def join_partner(self) -> None:
        """A partner joins (together mode): from now on the glide waits while either does not follow."""
        if self._partner is None:
            self._partner = _Follower("the partner")

    @property
    def snapshot(self) -> PacerSnapshot:
        """The pacer as last returned."""
        if self._snapshot is None:
            raise RuntimeError("PacerGuide.start() has not been called")
        return self._snapshot

    @property
    def following(self) -> bool:
        """Is the person following the pacer (as far as the last estimates tell)? Together: are both?"""
        return self._following

    @property
    def reached_target(self) -> bool:
        """Has the pacer arrived at the resonance rate (as of the last call)?"""
        rate = float(self.snapshot.rate_bpm(self._last_s))
        return abs(rate - self.settings.resonance_rate_per_min) <= REACHED_TOLERANCE_BPM

    def start(self, t_s: float, measured_breath_rate_bpm: float | None) -> PacerSnapshot:
        """Begin pacing at t_s near the measured rate, phase 0 = start of an in-breath.

        `measured_breath_rate_bpm` is a confident estimate or None; None, or a rate outside
        PLAUSIBLE_BREATH_BPM, starts at the default rate instead.
        """
        s = self.settings
        rate = measured_breath_rate_bpm
        lo, hi = PLAUSIBLE_BREATH_BPM
        if rate is None or not math.isfinite(rate) or not lo <= rate <= hi:
            rate = s.default_start_rate_per_min
        rate = min(max(rate, MIN_RATE_BPM), MAX_START_RATE_BPM)
        self._snapshot = PacerSnapshot(t0_s=t_s, phase0_cycles=0.0, rate0_bpm=rate, target_bpm=rate,
                                       slope_bpm_per_s=0.0, shape=s.shape)
        self._history = [self._snapshot]
        self._start_s = self._last_s = t_s
        self._person = _Follower("the person")
        if self._partner is not None:
            self._partner = _Follower("the partner")
        measured = "not measured" if measured_breath_rate_bpm is None else f"measured {measured_breath_rate_bpm:.1f}"
        log.info("pacing starts at %.1f breaths/min (%s), target %.1f", rate, measured, s.resonance_rate_per_min)
        return self._snapshot

    def update(self, t_s: float, measured_breath_rate_bpm: float | None,
               partner_breath_rate_bpm: float | None = None, person_present: bool = True,
               partner_present: bool = True) -> PacerSnapshot:
        """Take in the latest breathing estimate (None: none available), and the partner's once one has
        joined, and return the pacer. Together, a person not present (their finger off, or their sensor
        lost) is not waited for while away: the glide goes on for the one who is there. Their judgement is
        kept, not re-made without estimates, so one who was not following is waited for again once back
        until their estimates show them following."""
        current = self.snapshot
        if t_s < self._last_s:
            raise InputError(f"PacerGuide.update at {t_s} s, before the previous call at {self._last_s} s")
        self._last_s = t_s
        # The people there now, with their estimates (alone, the person is always "there": the session pauses).
        here = [(self._person, measured_breath_rate_bpm)] if person_present or self._partner is None else []
        if self._partner is not None and partner_present:
            here.append((self._partner, partner_breath_rate_bpm))
        for follower, measured in here:
            if measured is not None and math.isfinite(measured):
                self._judge_following(follower, t_s, measured)
        s = self.settings
        rate = float(current.rate_bpm(t_s))
        at_target = abs(rate - s.resonance_rate_per_min) <= REACHED_TOLERANCE_BPM
        glide = all(f.following for f, _ in here) and t_s >= self._start_s + s.settle_s and not at_target
        gliding = current.slope_bpm_per_s != 0.0 and not at_target
        if glide and not gliding:
            self._show(current.rebased(t_s, s.resonance_rate_per_min, s.max_glide_per_min_per_min / 60.0))
            log.info("pacer glides from %.2f toward %.1f breaths/min", rate, s.resonance_rate_per_min)
        elif gliding and not glide:
            self._show(current.rebased(t_s, rate, 0.0))
            log.info("pacer holds at %.2f breaths/min: the person is not following", rate)
        self._prune_history(t_s)
        return self.snapshot

    def retarget(self, t_s: float, resonance_rate_per_min: float) -> PacerSnapshot:
        """Lead toward a new resonance rate from t_s (a user's choice); a glide under way turns to it at once."""
        self.settings = replace(self.settings, resonance_rate_per_min=resonance_rate_per_min)
        current = self.snapshot
        if current.slope_bpm_per_s != 0.0:
            self._show(current.rebased(t_s, resonance_rate_per_min, self.settings.max_glide_per_min_per_min / 60.0))
        return self.update(max(t_s, self._last_s), None)

    def _judge_following(self, follower: _Follower, t_s: float, measured_bpm: float) -> None:
        """Following = the estimate is within tolerance of some rate shown over the estimate's lag."""
        lo, hi = self._rates_shown(t_s - self.settings.estimate_lag_s, t_s)
        off_bpm = max(lo - measured_bpm, measured_bpm - hi, 0.0)
        follower.judged = True
        if off_bpm <= self.settings.follow_tolerance_per_min:
            follower.mismatch_since_s = None
            if not follower.following:
                log.info("%s follows the pacer again (breathing %.1f/min)", follower.who, measured_bpm)
            follower.following = True
            return
        if follower.mismatch_since_s is None:
            follower.mismatch_since_s = t_s
        if follower.following and t_s - follower.mismatch_since_s >= self.settings.follow_grace_s:
            follower.following = False
            log.info("%s is not following: breathing %.1f/min, pacer %.1f-%.1f", follower.who, measured_bpm, lo, hi)

    def _rates_shown(self, from_s: float, to_s: float) -> tuple[float, float]:
        """Lowest and highest pacer rate over [from_s, to_s] (the rate is piecewise linear)."""
        from_s = max(from_s, self._start_s)
        times = [from_s, to_s] + [snap.t0_s for snap in self._history if from_s < snap.t0_s < to_s]
        rates = []
        for t in times:
            active = [snap for snap in self._history if snap.t0_s <= t]
            snap = active[-1] if active else self._history[0]
            rates.append(float(snap.rate_bpm(t)))
        return min(rates), max(rates)

    def _show(self, snapshot: PacerSnapshot) -> None:
        self._snapshot = snapshot
        self._history.append(snapshot)

    def _prune_history(self, t_s: float) -> None:
        """Keep the snapshots that were showing at some time within the estimate lag."""
        horizon = t_s - self.settings.estimate_lag_s
        while len(self._history) > 1 and self._history[1].t0_s <= horizon:
            self._history.pop(0)
