"""Streaming pulse pipeline: PPG chunks in, beats with sub-sample times, quality and finger presence out.

Pure processing (no I/O, no clock): time is the sample index divided by the sample rate.

1. Band-pass 0.5-5 Hz twice (Butterworth, filter state kept across chunks): for picking, a first-order
   high-pass (no ringing) and a second-order low-pass; for judging pulsatility, second order at both edges.
2. Pulsatility: every second, the autocorrelation of the last few seconds (device/signal/pulse_quality.py).
   Beats are reported only while the signal is periodic ("locked": two checks in a row find the same
   beat interval, which noise rarely does; about 5.5 s after a finger arrives). Two kinds of evidence
   lock: a strong autocorrelation peak with at least a modest spectral line, or, when broadband noise
   pulls the autocorrelation down (phone cameras), a strong spectral line whose period the
   autocorrelation confirms (one or two beats) with a weaker peak. On a minute of white noise the two
   together lock less often than the autocorrelation alone did (measured over 450 noise minutes).
   Either must come with a periodic first difference (SLOPE_LOCK_ON), which coloured noise and slow drift
   lack (SLOPE_CONFIRM where the evidence is strong at two checks in a row, ACF_STRONG: differencing tilts
   white camera noise up, which hides a slow pulse's first difference). Every check judges the window
   divided by its running RMS envelope (ENVELOPE_S), so that no part of it (a start burst, a fading
   transient) outweighs the rest. When the lock is acquired, the last PERIODICITY_WINDOW_S are replayed
   through the beat picker, seeded with the interval the autocorrelation found (over 1 s, after a harmonic
   decision: one slow beat or two beats, SEED_IBI_MAX_S), so the first beats are not lost, only reported
   late, once: after the next check has confirmed the lock (SLOPE_CONFIRM), which most chance locks on noise
   fail; a lock whose raw spectral peak does not stand above a power-law background needs one check more
   (SPECTRAL_FALSE_ALARM, device/signal/pulse_spectrum.py), and, below 150/min, is reported only if its
   waveform repeats, its harmonics phase-coupled to its fundamental, which no linearly filtered Gaussian
   noise (smooth pressure drift) shows (COUPLING_FALSE_ALARM, device/signal/pulse_coupling.py). A lock
   at 75/min or slower whose line does stand out must show that coupling too, and is withheld (no beats)
   until it does, on a stretch of signal that grows by a second a check, or released when 15 s show none
   (COUPLING_WAIT_MIN_S, COUPLING_VETO_S): band-passed drift is a narrow band whose line stands out. A faster
   one waits too, but is also confirmed once one steady line holds most of its fundamental over 12 s
   (LINE_SHARE_MIN, LINE_STRETCH_S): a resonant sway at the heart's rate is a band as narrow, with a wandering
   phase and size; a noisy camera pulse often has no coupling to show, but keeps its line.
   A pulse whose timing is irregular (frequent premature beats, an atrial-fibrillation-like rhythm) spreads its
   periodicity below both bars; it locks as a beat train instead: two checks in a row whose harmonics couple
   at the period of one of the window's tallest spectral lines far more than noise's ever do (TRAIN_COUPLING),
   seeded there, confirmed by a third, then asked the questions above.
   A lock is re-judged at every check (hysteresis): it is released when two checks in a row find the
   autocorrelation below LOCK_OFF and no beat train's coupling (at COUPLING_FALSE_ALARM), or when the
   signal's level has fallen below 1/LEVEL_FALL of what it was (tracked over LEVEL_MEMORY_S), in which
   case the window is judged afresh from the new level.
   While unlocked no beat is reported and finger_on is False: a heart rate goes null, with the reason
   logged. A picker that has found no beat for STALL_INTERVALS intervals while the signal still meets
   the bar to make a lock is re-seeded the same way (its references no longer fit the pulse).
   Before a lock, a burst in the judged window (a band-passed sample over BURST_RATIO times the window's
   median magnitude: a phone camera's exposure step, a finger settling, a jolt) restarts both band-passes,
   the picker's and the judge's, right after it, as at a stream's start: otherwise it and the band-pass's
   ringing hide the pulse for a whole window (a 10 s phone record gave no rate) and a lock made then
   replays it into the picker. The next lock then needs AFTER_BURST_CHECKS more agreeing checks.
3. Beat picking on the band-passed signal (device/signal/pulse_peaks.py: adaptive amplitude and upstroke
   thresholds, refractory window, search-back, a ceiling against motion, and a learned gate for the
   pulse's own diastolic wave). A beat is confirmed when its refractory window
   (0.45 of the recent interval) has passed and reported once the raw samples around it have arrived:
   about 0.8 s after the peak at 60 beats/min, never more than REFRACTORY_MAX_S + 0.35 s.
4. Each beat's systolic peak is timed on the raw signal by band-limited, noise-adaptive interpolation
   (device/signal/peak_timing.py), so the causal filter's delay never enters the beat times.
5. Quality per beat is timing quality: how uncertain the beat's time is from noise of any colour, judged
   from what differs from the recent beats once their template has formed, from the white floor before it
   (TIMING_SD_REF_S; Beat.timing_sd_s), times its shape
   score (template correlation and amplitude consistency); while the recent beats' median uncertainty from
   the white floor exceeds TIMING_SD_MAX_S, beats are withheld. A rolling
   quality, and finger presence: a pulse is being tracked and the driver's DC verdict, when given, agrees.

Motion: each beat's interval, and the last interval of a periodicity check whose window has lost the
pulse's rhythm, is judged against the pulse's own band-passed RMS (device/signal/pulse_motion.py); where
it is MOTION_RATIO times that, a motion span is reported (`PulseUpdate.motion`, sensor seconds). Beats are
not dropped for it (dropping them cost real recordings true beats); the HRV tracker keeps intervals across
a span out and rests its figures after one on a regular run of beats (device/signal/hrv.py). A lock made on
a hand moving as the finger lands meets every bar a pulse does, and the judge learns the hand as the pulse;
when the hand stops, a level fall releases it and the pulse is locked next. A lock released by a level fall
is therefore judged when the next one is confirmed: its beats are reported as a motion span if they had
another rhythm and a larger level than the pulse now locked (`_confirm_lock`).

Lost samples: a gap of up to MAX_BRIDGE_S in the sample indices (a stalled loop, a sensor restarted
after a few I2C errors) is bridged, so a glitch costs no re-lock: the fill repeats the last beat
interval's raw samples (linear when no interval is known), so the filters and the periodicity check run
on undisturbed, and no beat is reported whose peak search touches the fill. A longer gap, or indices
going back, resets the pipeline. Either way no beat is ever mis-timed, and every gap is reported
(`PulseUpdate.gaps`, sensor seconds) so that no beat interval is formed across it downstream.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from device.errors import InputError
from device.signal.biquad import SideBySide, butter
from device.signal.exact import median_nan
from device.signal.local_peaks import parabolic_top
from device.signal.peak_timing import PeakTimer
from device.signal.pulse_coupling import coupling_tails, fundamental_line_share, pulse_coupling
from device.signal.pulse_motion import MotionJudge
from device.signal.pulse_peaks import (
    ALTERNATION_RATIO,
    AMP_FRACTION,
    N_RECENT,
    REFRACTORY_MIN_S,
    BeatPicker,
    PeakCandidate,
    SampleRing,
    steady_delay,
)
from device.signal.pulse_quality import MAX_LAG_S, MIN_LAG_S, BeatTemplate, periodicity, spectral_line, spectral_lines
from device.signal.pulse_spectrum import fisher, peak_false_alarm

log = logging.getLogger(__name__)

MIN_FS_HZ = 25.0
MAX_FS_HZ = 400.0
BAND_LOW_HZ = 0.5
BAND_HIGH_HZ = 5.0
# Beats are picked on a band-pass whose high-pass is of first order: a second-order one rings at its
# corner, and a 30/min pulse (0.5 Hz) came out of it with a rebound half a beat later that was counted
# as a beat. Pulsatility is judged on the steeper second-order band-pass (less baseline wander, which
# the autocorrelation would otherwise take for a rhythm in short phone records).
HIGH_PASS_ORDER = 1
LOW_PASS_ORDER = 2
JUDGE_ORDER = 2  # per band edge
SETTLE_S = 0.5  # filter start-up transient excluded from the pulsatility analysis
PERIODICITY_WINDOW_S = 6.0  # signal judged for pulsatility, and replayed when a pulse is found
PERIODICITY_MIN_S = 4.0  # pulsatility is first judged once this much signal has arrived
PERIODICITY_EVERY_S = 1.0  # pulsatility re-judged this often
LOCK_ON = 0.5  # autocorrelation peak needed to start reporting beats
INTERVAL_AGREEMENT = 0.15  # two checks in a row must agree on the interval this well to lock
LOCK_RHYTHM_BEATS = 8  # a released lock's rhythm is its last beats' median interval (_reported_interval_s)
LINE_MIN = 8.0  # spectral line (height over the noise floor) that must back an autocorrelation lock
LINE_STRONG = 35.0  # a line this strong locks with a weaker autocorrelation peak ...
LOCK_ON_LINE = 0.3  # ... of at least this, at the line's period or twice it
LINE_PERIOD_AGREEMENT = 0.12  # autocorrelation interval / line period within this of 1 (or 2)
# Every check judges the window divided by its own running RMS envelope (ENVELOPE_S), so that each
# second of it counts alike: otherwise the largest part decides, and a large transient that fades into
# noise (a settling finger, an exposure control hunting) keeps looking periodic for a whole window after
# it has gone.
ENVELOPE_S = 2.0  # running RMS window: two beats at 60/min, one at 30/min
# A new lock reports its beats (the replayed window) only once the next check upholds it: its
# autocorrelation or spectral line still meets the bar to make a lock, and its first difference the
# looser SLOPE_CONFIRM. Chance locks on 1/f^alpha noise mostly fail this; it delays the first beat by
# PERIODICITY_EVERY_S. At the end of a recording (flush) the last window is judged instead.
# Real records gave 0.33-0.89 at that check (all BUT PPG and Welltory records, both halves, so this is not
# a held-out choice; generated phone records 0.39-0.65), chance locks on 1/f^1.5-2 noise (seeds 0-29)
# 0.13-0.53. 0.3 is the round value below all of them; 0.4 (the bar to make a lock) cut a BUT record.
SLOPE_CONFIRM = 0.3
# A new lock whose raw window shows no spectral peak at its interval (or half it) and twice that frequency
# standing above the power-law background fitted to the rest of the periodogram, at a nominal false-alarm
# probability of SPECTRAL_FALSE_ALARM (device/signal/pulse_spectrum.py, a red-noise test after Mann & Lees
# 1996), must be upheld by SPECTRAL_EXTRA_CHECKS more checks before its beats are reported. Chance
# periodicity in 1/f^alpha noise and drift is short-lived, a pulse's lasts. It is not a veto: the test
# misses slow hearts (30-45/min: a narrow pulse's spectrum is no power law, and the fit over its
# in-between bins lies above its fundamental) and fast noisy camera pulses, and as a veto it cost a
# 30/min heart breathing at 15/min its beats (docs/measurements.md, "A spectral peak above the coloured
# background"). The window holds at least SPECTRAL_PERIODS periods (what there is since the stream began,
# at most the buffer), so that between two harmonics a bin lies outside both of the taper's main lobes.
# 1e-3 is a round nominal rate; on unselected noise windows it is met in 0.25-0.4 % of windows for a
# rhythm above 1.2 Hz, but in 1-5 % at 0.5-1.2 Hz, where the fit is poorest and chance locks are.
SPECTRAL_FALSE_ALARM = 1e-3
SPECTRAL_PERIODS = 4.0
SPECTRAL_EXTRA_CHECKS = 1
# A new lock whose spectral peak does not stand out (SPECTRAL_FALSE_ALARM) is reported only if its waveform
# repeats: its harmonics' phases coupled to its fundamental's from beat to beat (device/signal/pulse_coupling.py)
# at a nominal false-alarm probability of at most COUPLING_FALSE_ALARM (a round value, as the spectral test's).
# Linearly filtered Gaussian noise has no such coupling however smooth or narrow it is (smooth pressure drift,
# band-passed, is a quasi-sinusoid at 30-48/min; issue 7, fault 4). A veto only where both tests say noise:
# required of every lock, it stopped the tester's drift (0 of 180 runs with a rate on unseen seeds, 38 of 120
# before on seeds 0-19) but noisy phone-camera pulses often fail it (BUT PPG coverage 0.93 -> 0.61), and the
# spectral test alone is fooled by drift whose raw spectrum is no power law (4th-order low-passed noise passes
# it at p down to 1e-60), so the two together leave most such drift locks standing (docs/measurements.md,
# "Harmonic phase coupling"). Asked only of rhythms whose second harmonic lies in the judged band (at most
# COUPLING_MAX_HZ, BAND_HIGH_HZ / 2: 150/min), on the judged signal since the stream (re)started (at most
# BUFFER_S). A lock that fails it is asked once more a check later before it is released: released at once, a
# pulse re-locks two checks later, and slow pulses' first windows hold only 4-6 beats.
COUPLING_FALSE_ALARM = 1e-3
COUPLING_MAX_HZ = BAND_HIGH_HZ / 2.0
# Smooth drift (issue 7, fault 4), band-passed, is a narrow band at the judged band's low edge whose line stands out
# (at its rate, and where the drift's spectrum is no power law at twice it: the lock passed the spectral test in 93
# of 405 locks on drift, seeds 0-11), so the coupling test was never asked of it. Required at once, coupling costs
# noisy camera pulses their rate: a 10 s window holds too few beats for it (at 40-60/min it was met in 38 of 103
# such locks, drift's in 0 of 309). But a pulse's coupling grows with the beats it is judged on (the Rayleigh
# statistic K R^2 grows as K for a fixed R) and narrow-band noise's does not. So a new lock at an interval of at
# least COUPLING_WAIT_MIN_S whose line stands out, but which shows no coupling at its first check, is withheld
# (no beats reported, kept as a confirmed lock is) while coupling is asked again at every check on a growing
# stretch of the judged signal: from BUFFER_S before the lock's first check (what that check saw), since the
# stream (re)started, at most COUPLING_MEMORY_S back. Coupled, it is confirmed and its beats the raw buffer still
# holds are reported; not coupled once that stretch is COUPLING_VETO_S long, it is released (docs/measurements.md,
# "Coupling that accumulates"). A recording that ends shorter than COUPLING_VETO_S (a 10 s phone record) is judged
# by the line, as before; a longer one's last withheld lock is not confirmed (the device would still withhold it).
# COUPLING_WAIT_MIN_S: the drift locks' intervals were 0.84-2.2 s (seeds 0-11, lowpass and steep families; 1 s let
# a 66/min lock on 2nd-order drift through). Faster locks whose line stands out wait too, but are also confirmed by
# a steady line (below): asked to wait for coupling alone, noisy 90-120/min camera pulses in 40 s streams lost their
# rate (89 -> 58 of 90 right).
# COUPLING_VETO_S: 15 s, the stretch a 40/min pulse fills with 10 beats (a lock's first check sees 7-9 s);
# COUPLING_MEMORY_S bounds the stretch (and the work: a few dozen small least-squares fits per check while a lock
# waits) to 30 s.
# COUPLING_LONG_FALSE_ALARM: the asks after a lock's first two (its first ask and once more a second later, at
# COUPLING_FALSE_ALARM as before) are many, on overlapping stretches whose segments narrow-band noise correlates,
# so each is at a tenth of the level: at 1e-3, drift's smallest p over them was under 1e-3 in 5 of 660 runs (seeds
# 10-49), under 1e-4 in 1. But a pulse's coupling persists as its stretch grows and noise's chance coupling comes
# and goes (every ask cuts the stretch into segments afresh), so two asks in a row both at COUPLING_FALSE_ALARM
# confirm too: drift did so in none of 1950 runs (seeds 10-59), a weak pulse (3x the noise, 66/min, 25 samples/s)
# that waited until 11.5 s at 1e-4 alone is rated at 9.5 s; a single level of 3e-4 rated it but also a drift.
# A rise, not a level: drift's chance coupling confirmed locks at 30-38/min by a single ask (p 3e-4 to 9e-4 at the
# first asks, 4e-5 to 8e-5 at the later ones), on stretches of 5-10 beat-long segments; a real pulse's single ask can
# be no stronger (Welltory subject_01, 54/min, confirms at one ask of 8.8e-4 among asks of 1e-3 to 2e-2: a stricter
# level or two asks in a row cost it its rate). But a pulse's coupling has a direction: it rises faster than it
# falls, so its biphases point toward +pi / 2 (pulse_coupling's rise_p), and noise whose law time reversal leaves as
# it is has no such direction: Gaussian noise of any spectrum and any memoryless transform of it (log-normal,
# squared, rectified noise: a tester's skewed noise, whose coupling is real, by its law, and points near 0, the
# way a narrow upward peak's does). A single ask (at either level) of a lock at COUPLING_WAIT_MIN_S or slower
# (drift's band) confirms it only if its coupling also leans that way beyond chance at the same level: rise_p <= the
# ask's level. No new level; one direction, the one time reversal turns over (an earlier rule asked only for a lean
# toward pi / 4, between a peak's 0 and a sawtooth's pi / 2, of any size: sign-symmetric noise met it half the
# time, skewed noise nearly always; docs/measurements.md, "No pulse: skewed noise"). Real pulses (a windkessel
# decay through diastole) point at 1.1-2.0 rad and pass at their coupling's own strength; the generators' Gaussian
# waves are time-symmetric at their first harmonics when slow (a narrow wave at 30/min), and wait for two asks. Two
# asks in a row confirm as before, either way, and faster locks are not asked to rise: at 120-150/min a diastolic
# wave past the beat's middle makes a Gaussian-wave pulse look time-reversed, and it would wait a check.
COUPLING_MEMORY_S = 30.0
COUPLING_VETO_S = 15.0
COUPLING_LONG_FALSE_ALARM = 1e-4
COUPLING_WAIT_MIN_S = 0.8
# A resonant sway (white noise through a resonant 2nd-order low-pass, quality factor 1-4, centre near the heart's
# rate; issue 7, fault 4, an eighth fresh-clone tester's) is a narrow band with no harmonics whose line stands out
# at 75-95/min, and a lock faster than COUPLING_WAIT_MIN_S was confirmed by that line: 6 of 15 of the tester's device
# runs showed a heart rate (up to 95 s of 120). Such a lock is now withheld until it couples (as a slower one is), or
# until one steady line holds at least LINE_SHARE_MIN of its fundamental's power over the stretch coupling is judged
# on (device/signal/pulse_coupling.py, fundamental_line_share: Fisher's g of the beat-by-beat fundamental, the line
# searched within INTERVAL_AGREEMENT of the lock's rate). A pulse keeps its fundamental's amplitude and phase from
# beat to beat (its share is lowered by white noise and by a rate that swings); narrow-band noise of quality factor
# Q forgets its phase within about Q / pi periods and its amplitude wanders, so its share falls as the stretch grows.
# Noise of a far narrower band cannot be told from a sinusoidal pulse this way: coupling remains the test of a pulse;
# this is the test of a resonance as wide as a sway's. Fast noisy camera pulses that do not couple at once are
# confirmed by it; coupling alone would cost them their rate (above).
# LINE_STRETCH_S: asked only once the stretch is twice PERIODICITY_WINDOW_S, so that at least half of it is signal
# the lock was not made on: a chance lock is the window in which the noise looked periodic, and its line share over
# that window is selected (resonant locks reached 0.93 at the first ask; asked from the second check on, 9 of 36
# minutes of resonant sway at 25 samples/s still gave beats, 3 of 36 asked from 12 s).
# LINE_SHARE_MIN: chosen on locks made on resonant sway (the tester's two families re-made with seed 0 of this
# work: 60 two-minute records, 217 fast locks) against phone-camera pulses in 40 s streams (75-150/min, noise
# 0.1-0.4, 25/30 frames/s, seed 0: 66 fast locks), each asked at every check from 12 s to the release at 15 s:
# noise confirmed 17 / 8 / 1 / 0 locks at 0.6 / 0.65 / 0.7 / 0.75, pulses 54 / 52 / 48 / 39 of 66. The pulses left
# unconfirmed are at 106-150/min with noise 0.3-0.4 (their share 0.4-0.69 from white noise alone).
LINE_SHARE_MIN = 0.7
LINE_STRETCH_S = 2.0 * PERIODICITY_WINDOW_S
# Keeping a lock (hysteresis): every check re-asks whether the window is still periodic, at a looser bar
# than the one that made the lock (the same envelope-normalised autocorrelation). The first difference is
# not re-asked: an irregular (atrial-fibrillation-like) rhythm or frequent ectopy often fails it while
# the beats are plain, and loses its lock far more often if it is.
LOCK_OFF = 0.3  # autocorrelation peak needed to keep a lock (LOCK_ON to make one)
LOCK_OFF_COUNT = 2  # consecutive checks below LOCK_OFF before reporting stops
# A beat train: a pulse whose timing is irregular (premature beats 1 in 3-4, an atrial-fibrillation-like rhythm)
# spreads its periodicity, so neither the autocorrelation (0.15-0.3 at a premature beat in every third, 30 %
# early) nor the spectral line (5-14, what white noise shows) makes or keeps a lock, and such a person got no
# heart rate at all (bench_lock_hold: 62 % of the time unlocked at ectopy 1 in 3-4, 29 % irregular). Its beats
# are still one waveform repeated, and the harmonic phase coupling (device/signal/pulse_coupling.py) does not
# care where in its segment a beat falls. Asked at the period of each of the judged window's TRAIN_LINES tallest
# spectral lines (an irregular rhythm spreads its power over several: premature beats every third beat put it
# at the pattern's period and its harmonics, one of which is the mean rate) on the last TRAIN_SEGMENTS periods of
# the judged signal (at least BUFFER_S, at most COUPLING_MEMORY_S: a slow heart's 9 s hold six beats, too few
# for the statistic), such pulses give nominal probabilities down to 1e-10-1e-20. A lock is made on two checks in
# a row whose best such periods agree (INTERVAL_AGREEMENT) at a probability of at most TRAIN_COUPLING, seeded at
# that period, and confirmed by a third such check; then it is asked every question a lock on the autocorrelation
# is (the spectral peak, and coupling at COUPLING_FALSE_ALARM, which it meets by far). Chosen on no-pulse noise
# of every bench_no_pulse family (seeds 0-3, 60 s at 25/50/100 samples/s: 108 records, 6044 checks) and the
# generated irregular family (tests/device/signal/test_pulse_irregular_lock.py, seed 0: 132 records): noise
# met 1e-3 at 9 single checks, 1e-5 at 2 (the lowest 3.7e-7), never two checks in a row, even at 1e-3; the
# family was locked this way (three checks) in 127 of 132 at 1e-5 (median 5 checks), 125 at 1e-6 and 116 at 1e-8.
# A lock is kept while the autocorrelation meets LOCK_OFF or this coupling is still at most COUPLING_FALSE_ALARM
# (the looser bar keeps, as LOCK_OFF does). TRAIN_LINES: the mean rate was among the three tallest lines in
# the family's slowest locks; TRAIN_SEGMENTS: twelve beats, the stretch at which an irregular slow pulse's
# coupling reached 1e-6 (40/min: 18 s).
TRAIN_COUPLING = 1e-5
TRAIN_LINES = 3
TRAIN_SEGMENTS = 12
# A lock is also released when the RMS of the last ENVELOPE_S of the band-passed signal has fallen to
# below 1/LEVEL_FALL of what it was when the lock was made (a reference that follows the signal slowly):
# the evidence described a signal that is gone (a transient, a finger lifting). The window is then judged
# afresh from the new level only, so that the larger signal before cannot make the lock again.
# 10 let a wobble sinking into 25 samples/s white noise (whose in-band part is large) keep its lock
# (tests/device/signal/test_pulse_faults.py, seeds 0-3); 5 does not, and was checked on the wobble family
# at seeds 50-53 and on all CapnoBase records (both halves): it releases a real pulse only where it
# collapses (a flat-line dropout and an artefact; docs/measurements.md, "No pulse, no beats").
LEVEL_FALL = 5.0
LEVEL_MEMORY_S = 30.0  # the reference level follows the signal with this time constant
# Before a lock, a band-passed sample this many times the judged window's median magnitude is a burst
# (see PulsePipeline._restart_after_burst): both band-passes then start afresh after it. A pulse peaks at
# 1.4-3 times its median magnitude, Gaussian noise of any colour at 10x (about 7 sigma) almost never.
# Chosen on half A (BUT PPG even records, generated phone records and noise seeds 0-99): 5 cut three
# BUT PPG half-A records' heart rate (12 -> 9 of 14) and the generated ramp starts (0.79 -> 0.38 given);
# 10 and 20 gave the same figures; 10 keeps bursts down to 10 pulse heights caught.
BURST_RATIO = 10.0
RECUR_MULTIPLE = 4  # bursts at most this many of the autocorrelation's intervals apart can be one rhythm's beats
# ... and the next lock needs this many more agreeing checks: the restart is a stream's start (a short
# window on fresh filters, where chance locks on coloured noise are likeliest), and without it noise with a
# burst locked more often than before (the burst had hidden those first seconds; bench/bench_burst.py).
AFTER_BURST_CHECKS = 1
LOCK_CHECKS = 2  # consecutive checks that must agree on the interval to lock
# A pulse's periodicity survives differentiation (its upstroke repeats; its harmonics are phase-locked),
# the periodicity of band-passed 1/f^alpha noise or pressure drift does not (it comes from the noise's
# spectral slope, which differentiation tilts away). To lock, the autocorrelation of the first
# difference must also peak at least this high. Chosen on the half-A records and on generated noise:
# 0.3 left 1/f^1.5-2 noise locking, 0.4 stopped it without costing a record.
SLOPE_LOCK_ON = 0.4
# ... except where the pulse's own evidence is strong at two checks in a row: an autocorrelation peak of at
# least ACF_STRONG with a strong spectral line (LINE_STRONG) at its period, here and at the check before,
# needs only SLOPE_CONFIRM of the first difference (and a lock made so is confirmed only by evidence that
# would make one). Differencing tilts white camera noise up by f^2, so at 5 Hz it outweighs a 40-50/min
# fundamental (0.67-0.83 Hz): such pulses showed first differences of 0.3-0.4 at autocorrelations of
# 0.7-0.89 and no rate in 10 s (docs/measurements.md, "Short noisy camera records: slow pulses").
# ACF_STRONG is the lowest value in steps of 0.05 that left bench_no_pulse's noise seeds 0-9 with no more
# runs with beats (0.7: 4 -> 7 of 180); of their checks whose first difference fell in 0.3-0.4, 3 of 587
# reached 0.75 (the highest 0.80). Camera records seeds 0-2 were looked at; measured on camera seeds 100-102
# and 300-303 and noise seeds 200-209. One strong check (not two) let brown noise at 100 samples/s lock (2 of
# 200 one-minute runs of bench_burst's). Smoothing the difference near the candidate rate's harmonics instead
# (so that white noise is not tilted up) made band-passed brown noise narrow-band, hence periodic: 77 of 180
# noise runs gave beats.
ACF_STRONG = 0.75
AMP_PRIOR_PER_STD = 2.5  # seed beat amplitude = this x standard deviation of the band-passed signal
# The harmonic decision. The autocorrelation can lock onto two beats when alternate beats differ (seen in
# phone PPG: BUT PPG 102004, 108003, 109003 lock at 1.6-1.8 s for a true 0.8-0.9 s), and a slow heart (30/min)
# locks at its own 2 s. An interval over SEED_IBI_MAX_S is judged by a trial picker seeded with SEED_IBI_MAX_S
# (short enough refractory windows to see every beat at >= 60 beats/min) replaying the window: two beats when
# its picks come two per interval (median pick interval within INTERVAL_AGREEMENT of half of it) and split it
# evenly (median |pick interval / interval - 1/2| at most HARMONIC_EVEN), and the picker is seeded with
# SEED_IBI_MAX_S as before; otherwise one beat, and the picker is seeded with the interval itself, so that a
# slow heart's wave (inside its refractory window) and the noise of its long diastole (a short seed's
# search-back took it) are not beats. HARMONIC_EVEN: a beat of a heart at half the interval sits at 1/2 of
# it, a diastolic wave a quarter of a slow heart's interval on at 1/4 (3/4 for the rest); 0.15 lets a wave up
# to 0.35 of the interval on count as a wave. Chosen on the slow-wave family seeds 0 and 2 and every BUT PPG
# record (0.1 and 0.125 read 102004 at half its rate: its trial splits 0.45/0.6/0.34/0.68; with evenness alone,
# before the two-per-interval test was added, 0.2 left 21 of 144 family records wrong against 4 at 0.15);
# measured on seeds 1 and 3 (docs/measurements.md, "Slow hearts").
SEED_IBI_MAX_S = 1.0
HARMONIC_EVEN = 0.15
# A pattern of premature beats (every third or fourth beat early, with or without a pause) repeats exactly, so the
# autocorrelation peaks at the pattern's period (1.2-2.4 s at 100-150/min), and a picker seeded there took one beat
# in three or four (issue 7, fault 8: read at a half to a third). Before seeding, the interval is asked whether it
# holds this many beats (PulsePipeline._pattern_beats_in); two are the harmonic decision's above (a beat and its
# wave at half the interval are two beats' picture too, so two is decided by evenness, not by counting).
PATTERN_BEATS = (3, 4)
# ... and only if no interval between the trial's picks is longer than this many of its beat intervals (and a sample:
# pick times are whole samples). A pattern's longest interval is the pause after a premature beat, (1 + e) beat
# intervals for a beat e of an interval early, and e stays under a half: a beat earlier than that falls inside the
# refractory window (REFRACTORY_FRACTION, 0.45) of any picker and is never picked. A slow noisy heart (camera pulses
# at 30-40/min, noise 0.2, bench_rate_guards) split three ways by a trial picker at a third of its interval (beat,
# wave, noise) has a gap of 1.5-1.8 of those: it was read at 3-4x (121/min for 33). Chosen on bench_rate_guards' slow
# records seeds 0-1 at noise 0.2 (576: within 5/min 486 -> 494 of them, read over 2.5x 22 -> 17; main's 491 and 16),
# reported on seeds 2-3 (main 483 and 23, without this bound 485 and 28, with it 500 and 12). It sits on an edge of
# that family: 1.55 kept only 487 and 21 on seeds 0-1.
PATTERN_PAUSE_MAX = 1.5
# ... and only if the pattern repeats: a premature beat comes a fixed time after the beat before it (fixed coupling),
# so each of a pattern's intervals recurs one pattern on (interval i + k against interval i), changed only by the
# heart's own slow swing over one pattern period. The median of |interval i + k - interval i| over the trial's picks
# must be at most INTERVAL_AGREEMENT of the beat interval and one sample (four whole-sample pick times). Noise and a
# slow heart's later waves picked by a trial picker seeded at a third of its interval come at no fixed place in it:
# a fresh-clone tester's 30/min pulses with a diastolic and a third, later wave (bench/bench_slow_waves.py) were
# taken for a trigeminy and read at 3-4x, with every reason but low quality null. Reasoned, not tuned.
# A picker that has confirmed no beat for this many of the autocorrelation's intervals (at least
# STALL_MIN_S) while the signal stays periodic has references the pulse no longer meets (a pulse
# that grew or shrank several-fold): it is re-seeded exactly as at lock-on.
STALL_INTERVALS = 3.0
STALL_MIN_S = 2.0
# A picker whose picks come faster than the lock's rhythm allows, at no steady place in it, has taken noise or a
# pulse's later waves for beats, and its references (a median of its own intervals) follow them down: the lock's
# autocorrelation stayed at a 38/min heart's 1.6 s while a picker seeded at half of it (two beats) drifted to
# 0.4 s, 148/min shown with every reason but low quality null (bench/bench_slow_waves.py). At a periodicity check
# that sees the rhythm, a picker whose median recent interval is under 1/DRIFT of the interval it was seeded to
# take (the check's interval over the beats its seed gave it per interval), and whose recent picks do not repeat
# one check's interval on (_repeat_every), on two checks in a row, is seeded again from the check, if the check's
# interval is the lock's (an irregular pattern's autocorrelation moves between one, two and four beats). sqrt 2:
# halfway, on a log scale, between the seeded rhythm and twice it. The repeat: a picker that rightly found a fast
# pattern's beats faster than a lock on the pattern's period (bench_fast_pattern) repeats with the pattern, and
# re-seeding it on rhythm alone cost 15 of 144 fast patterns.
DRIFT = math.sqrt(2.0)
MAX_BRIDGE_S = 2.5  # longer runs of lost samples restart the pipeline
BUFFER_S = 9.0  # ring buffers: replay window + one check + look-back, bounded
# A lock withheld for want of coupling or a steady line (_judge_withheld) keeps picking beats while it waits, and
# reports them once it is confirmed: they are timed then (device/signal/peak_timing.py, PeakTimer, which learns its
# template from the beats in the order they are timed) on the raw samples, and scored on the band-passed ones, so
# both rings hold as long as a lock may wait: its coupling is judged on at most COUPLING_MEMORY_S. Held for BUFFER_S
# only, a lock confirmed more than that after its first beat lost the beats before, and the timer, which then
# learned its template from later, noisier ones, timed the rest worse: BUT PPG 110002 (10 s, 98/min, confirmed at
# the record's end) lost 8 of 12 beats to TIMING_SD_MAX_S (the median timing SD at its beat at 4.2 s 0.031 s, over the
# bar; 0.010 with its first two beats timed first, as when the lock is not withheld) and read 50.4/min from the 4
# left; its picker had picked every beat. A lock confirmed at its first checks reports beats within BUFFER_S (its
# replay window and a check or two), so only a withheld one reaches further back.
TIMABLE_S = max(BUFFER_S, COUPLING_MEMORY_S)
QUALITY_BEATS = 5  # beats averaged into the rolling quality
# Beat quality is timing quality: 1 / (1 + (sigma_t / TIMING_SD_REF_S)^2), sigma_t the beat's timing
# uncertainty from noise of any colour (device/signal/peak_timing.py, Timing.sd_s), times its shape
# score. Independent timing errors of 10 ms add sqrt(2) x 10 ms (in quadrature) to each interval and
# sqrt(6) x 10 = 24 ms to RMSSD (a successive difference holds three beats' errors; the timing_noise rule in
# device/signal/hrv.py uses the same 6 sigma^2), about a calm heart's own beat-to-beat variation, so quality
# is 0.5 there.
TIMING_SD_REF_S = 0.010
# Beats that come among beats whose median uncertainty from the white floor (Timing.white_sd_s) is this
# large are not reported at all: at that level noise peaks are as tall as the pulse (measured on synthetic
# pulses sinking into white noise, tests/device/signal/test_pulse_faults.py). The in-band estimate does not
# drop beats (the heart rate, a median, does not need fine timing, and every beat time stays as it was); it
# lowers the quality and withholds HRV instead (device/signal/hrv.py, TIMING_NOISE_MAX_SHARE).
TIMING_SD_MAX_S = 0.03
# No change is no pulse. A stuck or saturated sensor sends the same code over and over, or flickers by a code
# or two; band-passed, that is rounding dust or a train of one-code steps, which the checks, judging shape and
# not size, can take for a rhythm (a constant read 375/min; a level stepping by one code every 0.8 s, 37.5).
# Raw samples count as flat when they span no more than FLAT_RELATIVE of their size: two codes of the
# MAX30102's 18-bit ADC at a typical level of 1e5 codes, under a fifth of the shallowest pulse anyone could
# time (issue 7's weak-pulse family: at a depth of 1e-4 of the level the rate could no longer be read). It
# only bites on a signal far from zero; one centred on zero (a recording's band-passed or normalised PPG)
# spans many times its size. A window that is flat gives no lock; a beat whose raw samples are flat within
# FLAT_SPAN_S of it is not one (a systolic upstroke takes 0.1-0.15 s, so even a pulse whose top is clipped
# changes within it).
# Flat between jumps is flat too. A level that jumps and then sits still (a square wave of any size: an ADC
# swinging between its rails, a lamp or an indicator LED switching, a sensor stepping by a code) is periodic
# and, band-passed, pulse-shaped, so it read as a rate (a rail-to-rail square wave at 2 Hz: 120/min). No
# pulse changes that way: its upstroke takes 0.1-0.15 s, several samples even at 25 samples/s, and its
# downslope longer. A jump is a run of at most JUMP_SAMPLES large differences (the sample in which the level
# changed averages conversions from both sides of it, so a step shows as up to two, each over JUMP_SHARE of
# the largest difference); the samples are flat between jumps when, between them, they hold nothing but
# sample-to-sample noise (see _flat). A window flat between jumps gives no lock (a beat's own half second is
# judged flat without them).
FLAT_RELATIVE = 2e-5
FLAT_SPAN_S = 0.25
JUMP_SAMPLES = 2
JUMP_SHARE = 0.25


@dataclass(frozen=True)
class Beat:
    """One heartbeat: the time of its systolic peak on the sensor clock, and how trustworthy it is."""

    t_s: float  # sub-sample time of the systolic peak, seconds = sample index / fs (sensor time)
    quality: float  # timing quality 0..1: 0.5 where noise makes its time uncertain by 10 ms
    amplitude: float  # pulse amplitude in input units
    timing_sd_s: float = 0.0  # estimated standard deviation of t_s from noise, s (0: not known)
    # where between two samples the beat fell: its sample index modulo 1, 0..1 (NaN: not known); the timing and
    # height errors of a pulse sharper than the samples follow it (device/signal/sampling_phase.py)
    phase: float = math.nan
    # timed before the peak timer had a template of the recent beats to set it against (the first TEMPLATE_BEATS
    # beats of a stream, device/signal/peak_timing.py): its timing_sd_s is the white floor alone, and a hand's
    # picks as the finger lands look as certain as the pulse's (HrvTracker keeps them out of HRV)
    before_template: bool = False
    # seconds from a beat-sized maximum the picker passed over inside this beat's refractory window to this beat
    # (0: none): two beats in one window (pulse_peaks.BeatPicker._hides_a_beat). Where many of a window's beats
    # carry one at a steady gap, the picker is taking one beat of two or more (HrvTracker: HIDDEN_BEATS)
    hidden_gap_s: float = 0.0
    # the interval the pulse repeats at when this beat was reported, s (0: not known): the lock's autocorrelation
    # interval (at the checks that agree with the lock), over the beats a pattern of premature beats holds in it
    # (PulsePipeline._pattern_beats_in). Where a window's beats come faster than that and are not one heart's beats
    # at the faster rate, the rate shown may be a multiple of the heart's (HrvTracker: MULTIPLE_OF_RHYTHM)
    repeat_s: float = 0.0


@dataclass(frozen=True)
class PulseUpdate:
    """What one chunk of samples told the pipeline."""

    beats: tuple[Beat, ...]  # beats confirmed by this chunk, in time order, each reported once
    finger_on: bool  # a pulse is being tracked (and the driver's DC verdict, when given, agrees)
    quality: float  # rolling signal quality 0..1
    gaps: tuple[tuple[float, float], ...] = ()  # (start_s, end_s) of samples found lost in this chunk
    # (start_s, end_s) judged moving (device/signal/pulse_motion.py); its beats are reported, flagged by it
    motion: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class _Released:
    """A lock a level fall released, with beats reported: from its first beat to the release, sensor
    seconds; its level (the judged signal's RMS it tracked) and interval."""

    first_s: float
    end_s: float
    level: float
    interval_s: float


class PulsePipeline:
    """Streaming beat detector for one PPG channel at a fixed sample rate (25..400 Hz)."""

    def __init__(self, fs_hz: float) -> None:
        if not MIN_FS_HZ <= fs_hz <= MAX_FS_HZ:
            raise InputError(f"sample rate {fs_hz} Hz outside {MIN_FS_HZ}..{MAX_FS_HZ} Hz")
        self.fs_hz = float(fs_hz)
        self._sos = np.vstack([butter(HIGH_PASS_ORDER, BAND_LOW_HZ, "highpass", fs=fs_hz, output="sos"),
                               butter(LOW_PASS_ORDER, BAND_HIGH_HZ, "lowpass", fs=fs_hz, output="sos")])
        self._judge_sos = butter(JUDGE_ORDER, [BAND_LOW_HZ, BAND_HIGH_HZ], "bandpass", fs=fs_hz, output="sos")
        # both cascades in one loop over the samples, bit for bit the chained lfilter calls
        self._band_passes = SideBySide([self._sos, self._judge_sos])
        # the raw and band-passed rings hold what a withheld lock's beats are timed and scored on (TIMABLE_S)
        capacity = round(TIMABLE_S * fs_hz)
        self._raw = SampleRing(capacity)
        self._filtered = SampleRing(capacity)
        self._judged = SampleRing(capacity)  # coupling is judged on it: TIMABLE_S >= COUPLING_MEMORY_S
        self._settle = round(SETTLE_S * fs_hz)
        self._window = round(PERIODICITY_WINDOW_S * fs_hz)
        self._min_window = round(PERIODICITY_MIN_S * fs_hz)
        self._every = round(PERIODICITY_EVERY_S * fs_hz)
        self._template = BeatTemplate(fs_hz)
        self._timer = PeakTimer(fs_hz)
        self._gaps: list[tuple[float, float]] = []  # found lost, not yet reported (survives reset)
        self._motion = MotionJudge(fs_hz, INTERVAL_AGREEMENT)  # its spans not yet reported survive reset
        self.reset()

    def reset(self) -> None:
        """Forget everything (finger lifted, sensor restarted); the next push starts a new stream."""
        self._zi: tuple[float, ...] | None = None  # both band-passes' states (SideBySide layout)
        self._expected: int | None = None
        self._origin = 0
        self._raw.clear(0)
        self._filtered.clear(0)
        self._judged.clear(0)
        self._next_check = 0
        self._picker: BeatPicker | None = None
        self._confirmed = False  # the lock's first check after it was made upheld it: beats are reported
        self._lock_interval_s = 0.0  # the interval the lock was made on, s
        self._pending = 0  # extra checks a new lock has been asked for
        self._stands_out = False  # the new lock's spectral peak stood out at its first check
        self._withheld = False  # the new lock was upheld by its checks but is not coupled yet (_judge_withheld)
        self._lock_from = 0  # sample index coupling is judged from (_memory_first)
        self._coupling_p = 1.0  # the current lock's last coupling false-alarm probability (_repeats)
        self._relaxed_lock = False  # the lock was made through ACF_STRONG's first difference (_evidence)
        self._train_lock = False  # the lock was made on a beat train's coupling (TRAIN_COUPLING, _beat_train_s)
        self._pattern_beats = 1  # beats the lock's interval holds (_pattern_beats_in): 3 or 4 for a pattern
        self._seed_beats = 1.0  # beats the picker was seeded to take per lock interval (seed over prior)
        self._drifted = 0  # periodicity checks in a row that found the picker drifting (_drifting)
        self._repeat_s = 0.0  # the interval the pulse repeats at, s (Beat.repeat_s), 0 while not locked
        self._train_s = 0.0  # the last check's beat-train period (_beat_train_s), s, 0 if none
        self._train_run = 0  # consecutive checks whose beat-train period agreed with the one before
        self._strong_before = False  # the last check's evidence was strong (ACF_STRONG, _evidence)
        self._lock_rms = 0.0  # RMS of the judged signal's last ENVELOPE_S when the lock was made, tracked
        self._low_count = 0
        self._last_emitted = -1
        self._last_time = -math.inf  # sub-sample index of the last beat reported: beat times only increase
        self._lock_first = math.inf  # sub-sample index of the current lock's first reported beat (inf: none yet)
        # sub-sample indices of the current lock's last reported beats: the rhythm it reported (_Released)
        self._lock_beats: deque[float] = deque(maxlen=LOCK_RHYTHM_BEATS)
        self._released: _Released | None = None  # the last lock a level fall released, until the next is confirmed
        self._periodicity = 0.0
        self._interval_s = 0.0  # interval seen by the last periodicity check, 0 if not periodic
        self._line_period_s = 0.0  # period of the last check's confirmed strong spectral line, else 0
        self._after_burst = False  # the band-passes were restarted after a burst since the last lock was made
        self._bursts: deque[tuple[int, float]] = deque(maxlen=3)  # the last bursts' peaks (index, magnitude)
        self._bursts_are_beats = False  # they recurred as beats: no more restarts in this stream
        self._acf_run = 0  # consecutive checks whose autocorrelation evidence agreed with the one before
        self._line_run = 0  # the same for the spectral-line evidence
        self._bridged: deque[tuple[int, int]] = deque(maxlen=16)
        self._qualities: deque[float] = deque(maxlen=QUALITY_BEATS)
        self._timing_sds: deque[float] = deque(maxlen=N_RECENT)  # of the recent beats, s
        # confirmed, waiting for their raw window (or for a withheld lock's verdict): at most TIMABLE_S of beats
        self._queue: deque[PeakCandidate] = deque(maxlen=math.ceil(TIMABLE_S / MIN_LAG_S))
        self._delays: deque[float] = deque(maxlen=N_RECENT)  # band-passed peak minus raw peak, samples
        self._template.reset()
        self._timer.reset()
        self._motion.reset()

    @property
    def locked(self) -> bool:
        """True while the signal is judged pulsatile and beats are being reported."""
        return self._picker is not None and self._confirmed

    def push(self, ppg: NDArray[np.float64], first_index: int, dc_ok: bool | None = None) -> PulseUpdate:
        """Feed consecutive samples (systolic peak up) starting at sample index `first_index`.

        dc_ok is the driver's DC-level finger verdict, if known; False forces finger_on False.
        """
        x = np.asarray(ppg, dtype=float)
        if x.ndim != 1:
            raise InputError(f"ppg must be one-dimensional, got shape {x.shape}")
        if len(x) == 0:
            return self._update((), dc_ok)
        if not np.isfinite(x).all():
            raise InputError("ppg contains non-finite samples")
        if self._expected is not None and first_index != self._expected:
            x = self._handle_gap(x, first_index)
        if self._expected is None:
            self._start(first_index, x[0])
        if dc_ok is False and self._picker is not None:
            self._unlock("sensor reports no finger")
        beats: list[Beat] = []
        pos = 0
        while pos < len(x):
            # pieces end on the periodicity schedule, so the outcome does not depend on chunk sizes
            take = min(len(x) - pos, self._next_check - self._raw.end)
            self._ingest(x[pos:pos + take])
            pos += take
            if self._raw.end == self._next_check:
                self._check_periodicity(dc_ok)
                self._next_check += self._every
            if self._picker is not None:
                self._queue.extend(self._picker.process(self._filtered))
                self._drop_waves()
            self._emit_ready(beats, final=False)
        return self._update(tuple(beats), dc_ok)

    def flush(self) -> PulseUpdate:
        """The stream has ended (end of a recording): confirm and report the beats still waiting."""
        beats: list[Beat] = []
        if self._picker is not None and not self._confirmed:
            window = self._judged_window()  # the stream ended before the next check: judge what there is
            upheld = False
            # a lock not coupled (yet) is confirmed by its spectral line only in a recording too short to have
            # waited for coupling (COUPLING_VETO_S since the stream (re)started); in a longer one, as on the device
            # where it would still be withheld, it is not
            short = self._raw.end - (self._origin + self._settle) < COUPLING_VETO_S * self.fs_hz
            if self._withheld:
                upheld = self._repeats() or self._steady_line() or short
                self._withheld = False
                self._drop_untimable()
            elif window is not None:
                _, _, _, acf_ok, line_ok, periodic, _, _ = self._evidence(window)
                train_s = self._beat_train_s(window) if self._train_lock else 0.0
                upheld = ((_agree(train_s, self._lock_interval_s) if self._train_lock
                           else self._upholds(acf_ok, line_ok, periodic)) and self._peak_stands_out(len(window))
                          and (short or self._repeats()))
            self._confirm_lock(upheld)
        if self._picker is not None:
            self._queue.extend(self._picker.flush())
            self._drop_waves()
            self._emit_ready(beats, final=True)
        return self._update(tuple(beats), None)

    def _drop_waves(self) -> None:
        """Forget queued beats the picker has since recognised as the previous beat's later wave."""
        assert self._picker is not None
        waves = set(self._picker.take_waves())
        if waves:
            self._queue = deque((p for p in self._queue if p.index not in waves), maxlen=self._queue.maxlen)

    def _ingest(self, x: NDArray[np.float64]) -> None:
        y, z = self._band_pass(x)
        self._raw.extend(x)
        self._filtered.extend(y)
        self._judged.extend(z)
        self._expected = self._raw.end

    def _band_pass(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """`x` through the picking and the judging band-pass, their states carried on."""
        assert self._zi is not None
        out, self._zi = self._band_passes.run(x, self._zi)
        return out[0], out[1]

    def _start(self, first_index: int, first_value: float) -> None:
        self._zi = self._band_passes.steady_state(first_value)  # for a constant input: no start-up step
        self._raw.clear(first_index)
        self._filtered.clear(first_index)
        self._judged.clear(first_index)
        self._origin = first_index
        self._next_check = first_index + self._settle + self._min_window

    def _handle_gap(self, x: NDArray[np.float64], first_index: int) -> NDArray[np.float64]:
        assert self._expected is not None
        gap = first_index - self._expected
        self._gaps.append((self._expected / self.fs_hz, max(first_index, self._expected) / self.fs_hz))
        if 0 < gap <= MAX_BRIDGE_S * self.fs_hz:
            fill = self._fill(gap, x[0])
            self._bridged.append((self._expected, first_index))
            log.debug("bridged %d lost samples at index %d", gap, self._expected)
            return np.concatenate([fill, x])
        log.info("sample index jumped from %d to %d: pulse pipeline restarts", self._expected, first_index)
        self.reset()
        return x

    def _fill(self, n: int, next_value: float) -> NDArray[np.float64]:
        """`n` samples to stand in for lost ones: the last beat interval's raw samples repeated, bent
        linearly to meet `next_value`; a straight line when no interval is known."""
        end = self._raw.end
        period = round(self._interval_s * self.fs_hz)
        last = self._raw.view(end - 1, end)[0]
        if period < 2 or end - period < self._raw.start:
            return np.linspace(last, next_value, n + 2)[1:-1]
        cycle = self._raw.view(end - period, end)
        tiled = np.resize(cycle, n + 1)  # tiled[n] is where the repetition would go on
        return np.asarray(tiled[:n] + np.linspace(0.0, next_value - tiled[n], n + 1)[1:], dtype=np.float64)

    def _evidence(self, window: NDArray[np.float64], slope: bool = True,
                  relax: bool = False) -> tuple[float, float, float, bool, bool, bool, bool, bool]:
        """What a judged window says, envelope-normalised: (autocorrelation strength, its interval s,
        confirmed line period s or 0, acf_ok, line_ok, periodic, relaxed, strong).

        acf_ok / line_ok: the evidence a lock is made on (LOCK_ON with LINE_MIN, or LINE_STRONG with
        LOCK_ON_LINE, either with SLOPE_LOCK_ON); periodic: the same with SLOPE_CONFIRM instead, what
        confirms a new lock. Without `slope` the first difference is not judged: all three are then the
        autocorrelation's and the line's verdicts alone (what a kept lock's checks need). Strong evidence
        (`strong`: ACF_STRONG with a LINE_STRONG line at its period) in this window and, when `relax` says
        so, in the check before makes a lock with SLOPE_CONFIRM; relaxed: it did so with a first difference
        below SLOPE_LOCK_ON (such a lock is confirmed only by evidence that would make one: acf_ok or
        line_ok, not periodic).
        """
        window = _envelope_normalised(window, round(ENVELOPE_S * self.fs_hz))
        strength, interval_s = periodicity(window, self.fs_hz)
        line, line_hz = spectral_line(window, self.fs_hz)
        acf_ok = strength >= LOCK_ON and line >= LINE_MIN
        line_ok = line >= LINE_STRONG and strength >= LOCK_ON_LINE and _confirms(interval_s, line_hz)
        periodic = acf_ok or line_ok
        strong = strength >= ACF_STRONG and line >= LINE_STRONG and _confirms(interval_s, line_hz)
        relaxed = False
        if periodic and slope:
            slope_strength, _ = periodicity(np.diff(window), self.fs_hz)
            periodic = slope_strength >= SLOPE_CONFIRM
            if slope_strength < (SLOPE_CONFIRM if strong and relax else SLOPE_LOCK_ON):
                acf_ok = line_ok = False
            relaxed = (acf_ok or line_ok) and slope_strength < SLOPE_LOCK_ON
        line_period_s = 1.0 / line_hz if line_ok else 0.0
        return strength, interval_s, line_period_s, acf_ok, line_ok, periodic, relaxed, strong

    def _judged_window(self) -> NDArray[np.float64] | None:
        end = self._raw.end
        first = max(self._origin + self._settle, end - self._window, self._filtered.start)
        return None if end - first < self._min_window else self._judged.view(first, end)

    def _check_periodicity(self, dc_ok: bool | None) -> None:
        if self._picker is None:
            self._restart_after_burst()
        window = self._judged_window()
        if window is None:
            return
        end = self._raw.end
        # the first difference is judged only where it is needed: to make or confirm a lock, or to re-seed
        needs_slope = not self.locked or self._stalled()
        if _flat(self._raw.view(end - len(window), end)):  # a stuck or saturated sensor: no evidence at all
            strength, interval_s, line_period_s, acf_ok, line_ok, periodic, relaxed, strong = (
                0.0, 0.0, 0.0, False, False, False, False, False)
        else:
            strength, interval_s, line_period_s, acf_ok, line_ok, periodic, relaxed, strong = self._evidence(
                window, needs_slope, self._strong_before)
        self._strong_before = strong
        self._periodicity = strength
        if strength < LOCK_ON:  # a window that still shows the pulse's rhythm is the pulse
            self._motion.judge_window(self._filtered, end - self._interval_samples(), end)
        previous_s, self._interval_s = self._interval_s, interval_s if acf_ok else 0.0
        previous_line_s, self._line_period_s = self._line_period_s, line_period_s
        self._acf_run = self._acf_run + 1 if acf_ok and _agree(interval_s, previous_s) else 0
        self._line_run = self._line_run + 1 if line_ok and _agree(line_period_s, previous_line_s) else 0
        needed = LOCK_CHECKS - 1 + (AFTER_BURST_CHECKS if self._after_burst else 0)
        # the beat train is asked only where the autocorrelation and the line would not make or keep the lock
        asked = (self._acf_run < needed and self._line_run < needed if self._picker is None
                 else (self._train_lock and not self._confirmed) or strength < LOCK_OFF)
        train_s = self._beat_train_s(window) if asked and strength > 0.0 else 0.0
        previous_train_s, self._train_s = self._train_s, train_s
        self._train_run = self._train_run + 1 if train_s > 0.0 and _agree(train_s, previous_train_s) else 0
        if self._picker is None:
            seed_s = 0.0
            if self._acf_run >= needed:
                seed_s = interval_s
            elif self._line_run >= needed:
                seed_s = self._line_period_s
            elif self._train_run >= needed:
                seed_s = train_s
            if seed_s > 0.0 and dc_ok is not False:
                self._seed_picker(seed_s, window, None)
                self._relaxed_lock = relaxed
                self._train_lock = seed_s == train_s and self._acf_run < needed and self._line_run < needed
                self._after_burst = False
                self._lock_rms = self._recent_rms(len(window))
                self._lock_on_rhythm(seed_s)
                self._pending = 0
                self._confirmed = False
                log.debug("pulse found: periodicity %.2f, interval %.3f s", strength, seed_s)
            return
        level = self._recent_rms(len(window))
        if level * LEVEL_FALL < self._lock_rms:
            if self._lock_first <= self._last_time:  # judged when the next lock is confirmed (_confirm_lock)
                self._released = _Released(self._lock_first / self.fs_hz, end / self.fs_hz, self._lock_rms,
                                           self._reported_interval_s())
            self._unlock(f"signal fell below 1/{LEVEL_FALL:g} of its level when the lock was made")
            # judged afresh from the new level only: the larger signal before would still dominate the window
            self._origin = end - self._settle
            self._interval_s = self._line_period_s = 0.0
            self._acf_run = self._line_run = self._train_run = 0
            self._train_s = 0.0
            self._strong_before = False
            return
        # the reference level follows the signal slowly (LEVEL_MEMORY_S), so that a pulse whose size drifts
        # over minutes is not taken for one that collapsed
        self._lock_rms += (level - self._lock_rms) * (1.0 - np.exp(-PERIODICITY_EVERY_S / LEVEL_MEMORY_S))
        if not self._confirmed and not self._withheld:
            upheld = (train_s > 0.0 and _agree(train_s, self._lock_interval_s) if self._train_lock
                      else self._upholds(acf_ok, line_ok, periodic))
            if upheld and self._pending == 0:
                self._stands_out = self._peak_stands_out(len(window))
            if upheld and self._pending < SPECTRAL_EXTRA_CHECKS and not self._stands_out:
                self._pending += 1  # upheld, but its peak does not stand out: the next check must uphold it too
                return
            # a lock whose line stands out is asked for coupling if it is slow (drift's band), and for coupling or
            # a steady line (_steady_line, from the next check on) if it is faster
            if upheld and not self._repeats():
                if self._stands_out:  # its line stands out, but it is not coupled yet: see _judge_withheld
                    self._withheld = True
                    self._pending = SPECTRAL_EXTRA_CHECKS + 1
                    return
                if self._pending <= SPECTRAL_EXTRA_CHECKS:
                    self._pending = SPECTRAL_EXTRA_CHECKS + 1  # not coupled yet: once more, a second later
                    return
                upheld = False
            self._confirm_lock(upheld)
            return
        if strength < LOCK_OFF and train_s <= 0.0:
            self._low_count += 1
            if self._low_count >= LOCK_OFF_COUNT:
                self._unlock("periodicity below the bar to keep a lock")
            return
        self._low_count = 0
        if acf_ok:
            self._picker.expect_interval(interval_s / self._pattern_beats)
            if _agree(interval_s, self._lock_interval_s):
                self._repeat_s = interval_s / self._pattern_beats
        last = self._picker.last_beat
        if acf_ok and last is not None and self._stalled(interval_s):
            log.debug("no beat for %.1f s in a periodic signal: beat picker re-seeded", (end - last) / self.fs_hz)
            self._seed_picker(interval_s, window, last)
        elif acf_ok and last is not None and _agree(interval_s, self._lock_interval_s) and self._drifting(interval_s):
            log.debug("picks at %.3f s against a rhythm of %.3f s: beat picker re-seeded",
                      self._picker.ibi_ref_samples / self.fs_hz, interval_s / self._seed_beats)
            self._seed_picker(interval_s, window, last)
        if self._withheld:
            self._judge_withheld()

    def _restart_after_burst(self) -> None:
        """Before a lock: if the judged window holds a burst, both band-passes start afresh after it.

        A burst is a band-passed sample more than BURST_RATIO times the window's median magnitude (an
        exposure step, a settling finger, a jolt; in Gaussian noise of any colour about a 7 sigma event).
        The stream is then taken to start again right after the burst: at the sample after the first one
        over the bar, moved on past the next one over it as long as the band-passes re-run from there (from
        a steady state at the raw value, so without the ringing a step leaves) still show one. Both
        filters' outputs are replaced by the re-run, what they held before is set to 0 (their output
        before a steady start), and the window is judged from there on (after SETTLE_S, at least
        PERIODICITY_MIN_S), so the picker a lock seeds replays no part of the burst.
        """
        end = self._raw.end
        first = max(self._origin + self._settle, end - self._window, self._filtered.start)
        if end - first < round(ENVELOPE_S * self.fs_hz):
            return
        w = np.abs(self._judged.view(first, end))
        bar = BURST_RATIO * median_nan(w)  # np.median's number, without loading numpy.ma for its NaN check
        over = np.flatnonzero(w > bar)
        if bar <= 0.0 or len(over) == 0 or self._bursts_are_beats:
            return
        breaks = np.flatnonzero(np.diff(over) > MIN_LAG_S * self.fs_hz)  # the first excursion ends there
        group = over[: breaks[0] + 1] if len(breaks) else over
        peak = int(group[np.argmax(w[group])])
        self._bursts.append((first + peak, float(w[peak])))
        if _recurring(list(self._bursts), self.fs_hz, self._interval_s):
            self._bursts_are_beats = True  # each "burst" is a slow heart's narrow pulse: judged as one from now
            log.debug("bursts recur as beats do: no more restarts")
            return
        cut = first + int(over[0]) + 1
        while True:
            cut = min(cut, end - 1)  # at least one raw sample to start the filters from
            raw = self._raw.view(cut, end)
            self._zi = self._band_passes.steady_state(raw[0])
            y, z = self._band_pass(raw)
            again = np.flatnonzero(np.abs(z) > bar)
            if len(again) == 0 or cut == end - 1:
                break
            cut += int(again[0]) + 1
        start = self._filtered.start
        self._filtered.view(start, cut)[:] = 0.0
        self._judged.view(start, cut)[:] = 0.0
        self._filtered.view(cut, end)[:] = y
        self._judged.view(cut, end)[:] = z
        self._origin = cut
        self._interval_s = self._line_period_s = 0.0
        self._acf_run = self._line_run = self._train_run = 0
        self._train_s = 0.0
        self._strong_before = False
        self._after_burst = True
        log.debug("burst before a lock: band-passes restarted at %.2f s", cut / self.fs_hz)

    def _stalled(self, interval_s: float = 0.0) -> bool:
        """The picker has confirmed no beat for STALL_INTERVALS x `interval_s` (at least STALL_MIN_S)."""
        last = self._picker.last_beat if self._picker is not None else None
        stall = max(STALL_MIN_S, STALL_INTERVALS * interval_s) * self.fs_hz
        return last is not None and self._raw.end - last > stall

    def _drifting(self, interval_s: float) -> bool:
        """The picker's median recent interval has been under 1/DRIFT of the rhythm it was seeded to take
        (`interval_s`, the check's, over the beats per interval its seed gave it) and its recent picks have not
        repeated one `interval_s` on, on this check and the one before (DRIFT's comment)."""
        assert self._picker is not None
        ref = self._picker.ibi_ref_samples
        fast = ref * DRIFT < interval_s / self._seed_beats * self.fs_hz
        if fast:
            gaps = np.diff(np.asarray(self._picker.recent_picks, dtype=np.int_)).astype(np.int_)
            per = round(interval_s * self.fs_hz / float(np.mean(gaps))) if len(gaps) else 1  # picks per interval
            fast = not _repeat_every(gaps, max(1, per), ref)
        self._drifted = self._drifted + 1 if fast else 0
        return self._drifted >= 2

    def _recent_rms(self, at_most: int) -> float:
        """RMS of the last ENVELOPE_S (at most `at_most` samples) of the judged signal."""
        end = self._raw.end
        recent = self._judged.view(end - min(at_most, round(ENVELOPE_S * self.fs_hz)), end)
        return math.sqrt(np.add.reduce(recent * recent) / len(recent))  # np.mean's own steps

    def _beat_train_s(self, window: NDArray[np.float64]) -> float:
        """The period (s) of a beat train in the judged `window`: of its TRAIN_LINES tallest spectral lines
        (envelope-normalised, as _evidence judges it), the one at whose period the judged signal couples its
        harmonics most, at a nominal false-alarm probability of at most TRAIN_COUPLING (COUPLING_FALSE_ALARM for
        a confirmed lock: what keeps it); 0 if none: a train of beats of one waveform, however irregular their
        timing (TRAIN_COUPLING). The judged signal is what has arrived since the stream (re)started: the last
        TRAIN_SEGMENTS periods, at least BUFFER_S, at most COUPLING_MEMORY_S."""
        lines = spectral_lines(_envelope_normalised(window, round(ENVELOPE_S * self.fs_hz)), self.fs_hz, TRAIN_LINES)
        end = self._raw.end
        best_p, best_s = 1.0, 0.0
        for _, line_hz in lines:
            stretch = min(max(BUFFER_S, TRAIN_SEGMENTS / line_hz), COUPLING_MEMORY_S)
            judged = self._judged.view(max(self._origin + self._settle, self._judged.start,
                                           end - round(stretch * self.fs_hz)), end)
            p = fisher([q for _, q in coupling_tails(judged, self.fs_hz, 1.0 / line_hz)])
            best_p, best_s = min((best_p, best_s), (p, 1.0 / line_hz))
        return best_s if best_p <= (COUPLING_FALSE_ALARM if self._confirmed else TRAIN_COUPLING) else 0.0

    def _upholds(self, acf_ok: bool, line_ok: bool, periodic: bool) -> bool:
        """Whether a check's verdicts (_evidence's) uphold a new lock: evidence that would make a lock where it
        was made through the relaxed first difference (ACF_STRONG), else `periodic` (SLOPE_CONFIRM)."""
        return (acf_ok or line_ok) if self._relaxed_lock else periodic

    def _peak_stands_out(self, n: int) -> bool:
        """The raw window's spectral peak at the lock's interval stands above its power-law background
        (device/signal/pulse_spectrum.py) with a false-alarm probability of at most SPECTRAL_FALSE_ALARM.
        The window is the last `n` samples, or SPECTRAL_PERIODS of the lock's intervals if longer, within
        what has arrived since the stream (re)started."""
        end = self._raw.end
        periods = round(SPECTRAL_PERIODS * self._lock_interval_s * self.fs_hz)
        n = min(end - max(self._origin, self._raw.start), max(n, periods))
        p = peak_false_alarm(self._raw.view(end - n, end), self.fs_hz, self._lock_interval_s)
        if p > SPECTRAL_FALSE_ALARM:
            log.debug("spectral peak at %.3f s not above the coloured background (p %.2g)", self._lock_interval_s, p)
        return p <= SPECTRAL_FALSE_ALARM

    def _memory_first(self) -> int:
        """First sample of the judged signal coupling is judged on: since the stream (re)started (after SETTLE_S)
        and since BUFFER_S before the current lock's first check (what the buffer then held), at most
        COUPLING_MEMORY_S back. Not the whole stream: a pulse that comes after a minute of drift would have its
        coupling diluted by it."""
        return max(self._origin + self._settle, self._judged.start, self._lock_from)

    def _memory_s(self) -> float:
        """Seconds of judged signal coupling is judged on (_memory_first)."""
        return (self._raw.end - self._memory_first()) / self.fs_hz

    def _repeats(self) -> bool:
        """The lock's rhythm is a repeated waveform: its harmonics are phase-coupled to its fundamental
        (device/signal/pulse_coupling.py) in the judged signal since the stream (re)started (at most
        COUPLING_MEMORY_S), at a nominal false-alarm probability of at most COUPLING_FALSE_ALARM where the lock
        is asked as it was before the longer memory (its first asks, within COUPLING_VETO_S of the stream's
        start), else COUPLING_LONG_FALSE_ALARM, or COUPLING_FALSE_ALARM at this ask and the one before it (a
        pulse's coupling persists as its stretch grows; narrow-band noise's chance coupling, which every ask
        cuts afresh into segments, comes and goes). Rhythms over COUPLING_MAX_HZ are not asked."""
        level = (COUPLING_FALSE_ALARM if self._memory_s() < COUPLING_VETO_S
                 and self._pending <= SPECTRAL_EXTRA_CHECKS + 1 else COUPLING_LONG_FALSE_ALARM)
        rhythm_s = self._lock_interval_s
        if rhythm_s * COUPLING_MAX_HZ < 1.0:
            return True
        end = self._raw.end
        first = self._memory_first()
        p, rise_p = pulse_coupling(self._judged.view(first, end), self.fs_hz, rhythm_s, self._judge_sos)
        previous_p, self._coupling_p = self._coupling_p, p
        # one ask alone confirms a lock in drift's band only if its coupling also rises as a pulse's does, at the
        # same level (the comment above COUPLING_MEMORY_S); two in a row need not
        rises = rise_p <= level or rhythm_s < COUPLING_WAIT_MIN_S
        coupled = (p <= level and rises) or max(p, previous_p) <= COUPLING_FALSE_ALARM
        if not coupled:
            log.debug("no harmonic phase coupling at %.3f s (p %.2g)", rhythm_s, p)
        return coupled

    def _steady_line(self) -> bool:
        """A lock faster than COUPLING_WAIT_MIN_S has a steady line: one line holds at least LINE_SHARE_MIN of its
        fundamental's power (device/signal/pulse_coupling.py, fundamental_line_share, within INTERVAL_AGREEMENT
        of its rate) on the judged signal coupling is judged on (_memory_first). Slower locks: False (they must
        couple: band-passed drift at the judged band's low edge is narrower there)."""
        rhythm_s = self._lock_interval_s
        if rhythm_s >= COUPLING_WAIT_MIN_S or self._memory_s() < LINE_STRETCH_S:
            return False
        share = fundamental_line_share(self._judged.view(self._memory_first(), self._raw.end), self.fs_hz, rhythm_s,
                                       INTERVAL_AGREEMENT)
        if share < LINE_SHARE_MIN:
            log.debug("the line at %.3f s holds %.2f of its fundamental: not steady", rhythm_s, share)
        return share >= LINE_SHARE_MIN

    def _reported_interval_s(self) -> float:
        """The rhythm the current lock reported: the median interval of its last LOCK_RHYTHM_BEATS beats, s; the
        interval it was made on while it has reported fewer than three. A lock made while a hand moved is made
        on a blend of hand and pulse (a fresh-clone tester's 80/min pulse under a 3 Hz hand: 0.68 s) and then
        follows the larger, the hand (0.33 s): what it reported is what a later lock must be compared with."""
        if len(self._lock_beats) < 3:
            return self._lock_interval_s
        return float(np.median(np.diff(np.asarray(self._lock_beats)))) / self.fs_hz

    def _confirm_lock(self, evidence: bool) -> None:
        """A new lock's first check after it was made: its beats are reported if the evidence holds.

        If a level fall released the lock before it (in this stream), that lock's beats are reported as a
        motion span when they were another signal than the pulse now confirmed: a different rhythm (its
        interval not within INTERVAL_AGREEMENT of the new lock's; a hand at 3 Hz is twice a 90/min pulse's
        rhythm, so a harmonic is another rhythm too: a fresh-clone tester's 80-100/min pulses kept the hand's
        180/min shown for up to 40 s when 1/2 and 2 times counted as the same) and a larger one (its
        level over sqrt(LEVEL_FALL) times the new lock's: halfway, on a log scale, to the fall that released
        it). A hand moving as the finger lands is locked on, then falls to the pulse when it stops; a pulse
        that drops out (a flat line, an artefact) comes back at its own rhythm and level, and keeps its beats.
        """
        if evidence:
            self._confirmed = True
            released, self._released = self._released, None
            if (released is not None and released.level > LEVEL_FALL ** 0.5 * self._lock_rms
                    and not _agree(released.interval_s, self._lock_interval_s)):
                log.debug("the lock released at %.1f s was not this pulse: its beats reported as motion",
                          released.end_s)
                self._motion.add_span(released.first_s, released.end_s)
        else:
            self._unlock("a new lock not confirmed by the next check")

    def _judge_withheld(self) -> None:
        """A check of a lock withheld for want of coupling: the checks that upheld it have been passed, so it is
        kept as a confirmed lock is (_check_periodicity: hysteresis, the picker's interval and re-seeding), and
        its coupling is asked again on the signal since the stream (re)started, which has grown by a check. Coupled,
        it is confirmed, and its beats the raw buffer (TIMABLE_S) still holds are reported (late, once). Still not
        coupled once COUPLING_VETO_S of signal has arrived (and at least a check after it was withheld), it is
        released: not a pulse. A lock whose checks' interval no longer agrees with the one it was made on follows
        another rhythm (the picker's hints moved it, as after motion): it is judged as a lock made on that rhythm,
        its coupling on a stretch from this check's window on (the one it was made on held another signal)."""
        self._drop_untimable()
        if self._interval_s > 0.0 and not _agree(self._interval_s, self._lock_interval_s):
            self._lock_on_rhythm(self._interval_s)  # it follows another rhythm now: judged as a lock made on it
        coupled = self._repeats() or self._steady_line()
        self._pending += 1
        if coupled:
            self._withheld = False
            self._confirm_lock(True)
        elif self._memory_s() >= COUPLING_VETO_S:
            self._unlock(f"no harmonic phase coupling in {self._memory_s():.0f} s: not a pulse")

    def _lock_on_rhythm(self, interval_s: float) -> None:
        """The lock's rhythm is `interval_s` (s) from this check on: its coupling is judged from what a BUFFER_S
        buffer will hold at the next check (the lock's first), with no earlier ask behind it (_repeats)."""
        self._lock_interval_s = interval_s
        self._lock_from = self._raw.end + self._every - round(BUFFER_S * self.fs_hz)
        self._coupling_p = 1.0

    def _drop_untimable(self) -> None:
        """Forget queued beats whose raw samples (the peak timer's reach before them) have left the raw buffer. A beat
        within that reach of the stream's start keeps it: the samples it lacks never arrived, and it is timed on what
        there is, as a lock confirmed at once times it (a camera pulse at 75/min withheld while it waited lost its
        first beat at 0.3 s here, and the timer, starting on a worse one, then dropped all but one of the rest)."""
        lost = len(self._raw) >= self._raw.capacity  # the ring is full: samples have left it
        while lost and self._queue and self._queue[0].index - self._timer.reach_before < self._raw.start:
            self._queue.popleft()

    def _seed_picker(self, seed_s: float, window: NDArray[np.float64], last_beat: int | None) -> None:
        """A new beat picker seeded from the autocorrelation; it replays the judged window (after
        `last_beat`, the last beat already confirmed, if any)."""
        end = self._raw.end
        amp_prior = AMP_PRIOR_PER_STD * float(self._filtered.view(end - len(window), end).std())
        replay_from = max(self._origin, end - self._window - self._settle, self._filtered.start) + 1
        if last_beat is not None:
            replay_from = max(replay_from, last_beat + 1)
        self._pattern_beats = self._pattern_beats_in(seed_s, amp_prior, replay_from, last_beat)
        if self._pattern_beats > 1:
            prior_s = seed_s / self._pattern_beats  # a pattern of premature beats: seeded at its mean interval
        elif seed_s > SEED_IBI_MAX_S and not self._two_beats(seed_s, amp_prior, replay_from, last_beat):
            prior_s = seed_s  # one beat per interval: a slow heart, seeded at its own interval
        else:
            prior_s = min(seed_s, SEED_IBI_MAX_S)
        self._picker = BeatPicker(self.fs_hz, prior_s, amp_prior, scan_from=replay_from, last_beat=last_beat,
                                  pattern=self._pattern_beats > 1)
        self._seed_beats = seed_s / prior_s
        self._repeat_s = seed_s / self._pattern_beats
        self._drifted = 0
        if self._pattern_beats > 1:
            self._picker.expect_interval(prior_s)

    def _pattern_beats_in(self, seed_s: float, amp_prior: float, replay_from: int, last_beat: int | None) -> int:
        """How many beats the lock's interval `seed_s` (s) holds when it is the period of a pattern of premature
        beats (every third or fourth beat early: PATTERN_BEATS), else 1.

        An autocorrelation lock on a pattern takes its period, one pattern, for the beat interval, and a picker
        seeded there takes one beat in three or four. For each k of PATTERN_BEATS whose interval seed_s / k a
        beat can have (at least REFRACTORY_MIN_S), a trial picker seeded at seed_s / k replays the window; the
        interval holds k beats when its picks (at least two patterns' worth) come k per interval (their mean
        interval within INTERVAL_AGREEMENT of seed_s / k) and are beats of one size: all but one in k (less one
        pick: a start transient) within ALTERNATION_RATIO of the median of the taller k - 1 in k, either way (the
        sinus beats; the premature one, with less time to fill, may be smaller: measured against the median of all
        picks, a slow heart whose two later waves split its interval in three, its beat twice as tall as either
        wave, passed as a trigeminy of two waves and a tall beat and was read at 3x, bench/bench_slow_waves.py),
        every one taken by the trial picker's own bars when it came (at least AMP_FRACTION of its amplitude
        reference, or rising as fast as a beat, BeatPicker._rises_like_a_beat: a premature beat on its
        predecessor's shoulder), none found by search-back (measured instead against AMP_FRACTION of the picks'
        median, a premature beat half as tall as the others, taken at its time, refused its own pattern; a slow
        noisy heart's noise is what search-back takes), no interval between them longer than PATTERN_PAUSE_MAX of
        seed_s / k (the pause after a premature beat), and the intervals repeating one pattern on (PATTERN_BEATS'
        comments). A slow heart with a tall wave (bench_wave_half) gives beat, wave and a small rebound of the
        band-pass per interval, which fails the second; a regular pulse locked at its own interval gives one pick
        per interval."""
        for k in PATTERN_BEATS:
            beat_s = seed_s / k
            if beat_s < REFRACTORY_MIN_S:
                continue
            trial = BeatPicker(self.fs_hz, beat_s, amp_prior, scan_from=replay_from, last_beat=last_beat,
                               pattern=True)
            trial.expect_interval(beat_s)
            candidates = trial.process(self._filtered)
            if len(candidates) < 2 * k + 1:
                continue
            picks = [p.index for p in candidates]
            mean_s = (picks[-1] - picks[0]) / (len(picks) - 1) / self.fs_hz
            amps = [p.amp for p in candidates]
            # a sinus beat's: they are the taller k - 1 in k (a premature beat, with less time to fill, is smaller)
            typical = statistics.median(sorted(amps, reverse=True)[:max(1, round((k - 1) / k * len(amps)))])
            alike = sum(ALTERNATION_RATIO * typical <= a <= typical / ALTERNATION_RATIO for a in amps)
            gaps = np.diff(picks)  # samples
            if (abs(mean_s / beat_s - 1.0) <= INTERVAL_AGREEMENT and alike >= (k - 1) / k * len(amps) - 1
                    and not any(p.recovered for p in candidates)
                    and int(gaps.max()) <= PATTERN_PAUSE_MAX * beat_s * self.fs_hz + 1.0
                    and _repeat_every(gaps, k, beat_s * self.fs_hz)):
                return k
        return 1

    def _two_beats(self, seed_s: float, amp_prior: float, replay_from: int, last_beat: int | None) -> bool:
        """The harmonic decision for an autocorrelation interval `seed_s` longer than SEED_IBI_MAX_S: does it
        hold two beats (alternating beats, whose autocorrelation peaks at the pair) or one (a slow heart)?

        A trial picker seeded as for two beats (SEED_IBI_MAX_S) replays the window; it holds two beats when
        its picks come two per interval (their median interval within INTERVAL_AGREEMENT of seed_s / 2) and
        split it evenly (the median of |pick interval / seed_s - 1/2| at most HARMONIC_EVEN). A slow heart's
        own later wave, and the noise a short seed lets in, split it unevenly (a wave a quarter of the
        interval on: 1/4 and 3/4) or into three. And they are two beats only if alike in size: the median
        amplitude of every other pick at least ALTERNATION_RATIO of the others' (the picker's own bar for a wave,
        BeatPicker._check_alternation): a slow heart's third wave near half its interval, 0.4 as tall, splits it
        evenly too (bench/bench_slow_waves.py). Fewer than three picks: two beats (the shorter seed)."""
        trial = BeatPicker(self.fs_hz, SEED_IBI_MAX_S, amp_prior, scan_from=replay_from, last_beat=last_beat)
        trial.expect_interval(seed_s)
        candidates = trial.process(self._filtered)
        picks = [p.index for p in candidates]
        if len(picks) < 3:
            return True  # too few picks to judge: as before, the shorter seed
        parts = np.diff(picks) / (seed_s * self.fs_hz)
        amps = [p.amp for p in candidates]
        even, odd = statistics.median(amps[0::2]), statistics.median(amps[1::2])
        first = 0 if even > odd else 1  # the larger picks' parity
        wave = min(even, odd) < ALTERNATION_RATIO * max(even, odd) and steady_delay(picks, first, self.fs_hz)
        return (abs(float(np.median(parts)) / 0.5 - 1.0) <= INTERVAL_AGREEMENT
                and float(np.median(np.abs(parts - 0.5))) <= HARMONIC_EVEN and not wave)

    def _unlock(self, why: str) -> None:
        log.debug("pulse lost: %s", why)
        self._lock_first = math.inf  # set again at the next lock's first reported beat
        self._lock_beats.clear()
        self._picker = None
        self._confirmed = False
        self._withheld = False
        self._low_count = 0
        self._repeat_s = 0.0
        self._qualities.clear()
        self._queue.clear()

    def _emit_ready(self, beats: list[Beat], final: bool) -> None:
        """Time and report the confirmed beats whose raw window has fully arrived (all of them if final)."""
        while self._confirmed and self._queue and (final or self._queue[0].index + self._timer.reach_after
                                                   <= self._raw.end):
            peak = self._queue.popleft()
            if peak.index <= self._last_emitted:
                continue
            if self._touches_bridge(peak.index) or self._on_flat(peak.index):
                continue
            # a beat inside a motion span is reported with the span (PulseUpdate.motion), which keeps the
            # intervals to and from it out of the figures; dropping it here cost real recordings true beats
            self._motion.judge_beat(self._filtered, self._template, peak.index, self._interval_samples(),
                                    self._timer.reach_after, peak.amp, peak.slope)
            before_template = not self._timer.has_template
            timing = self._timer.time_peak(self._raw, peak)
            if timing is None:
                if peak.recovered:  # a weak maximum with no raw peak to show for it: not a beat
                    continue
                # no clear raw maximum: timed by the recent filter delay, as uncertain as TIMING_SD_REF_S
                index = peak.index - (statistics.median(self._delays) if self._delays else 0.0)
                sd_s = TIMING_SD_REF_S
            else:
                index, sd_s = timing.index, timing.sd_s
                self._delays.append(peak.index - index)
                self._timing_sds.append(timing.white_sd_s)
            if self._timing_sds and statistics.median(self._timing_sds) > TIMING_SD_MAX_S:
                continue  # nobody could time this beat: it is not reported (and no rate rests on it)
            if index <= self._last_time:
                continue  # timed to the raw maximum of the beat already reported (two picks, one pulse)
            t = self._template
            first = max(peak.index - t.before, self._filtered.start)
            stop = min(peak.index + t.after + 1, self._filtered.end)
            waveform = self._filtered.view(first, stop)
            assert self._picker is not None
            shape = t.score(waveform, first - (peak.index - t.before), peak.amp, self._picker.amp_ref)
            quality = shape / (1.0 + (sd_s / TIMING_SD_REF_S) ** 2)
            self._qualities.append(quality)
            self._last_emitted = peak.index
            self._last_time = index
            self._lock_first = min(self._lock_first, index)
            self._lock_beats.append(index)
            beats.append(Beat(index / self.fs_hz, quality, self._vertex_amplitude(peak), sd_s, float(index % 1.0),
                              before_template, peak.hidden_gap / self.fs_hz, self._repeat_s))

    def _vertex_amplitude(self, peak: PeakCandidate) -> float:
        """The pick's amplitude (band-passed peak less its foot, input units) with both read at the vertex of
        the parabola through their sample and its neighbours (local_peaks.parabolic_top) rather than at the
        sample: a sampled peak or foot moves with where between samples it fell, and on a regular pulse that
        phase repeats every few beats, a pattern the amplitude view of breathing read as a breathing rate
        (issue 7, item 10: 72/min at 50 samples/s read 24/min at full confidence). `peak.amp` where a
        neighbour is not held; the picker's own thresholds keep the sampled amplitude."""
        y = self._filtered
        if peak.foot_index - 1 < y.start or peak.index + 1 >= y.end:
            return peak.amp
        top = y.view(peak.index - 1, peak.index + 2)
        foot = y.view(peak.foot_index - 1, peak.foot_index + 2)
        return (parabolic_top(float(top[0]), float(top[1]), float(top[2]))
                + parabolic_top(-float(foot[0]), -float(foot[1]), -float(foot[2])))

    def _on_flat(self, index: int) -> bool:
        """The raw samples within FLAT_SPAN_S of `index` (those kept) do not change: no beat can be there."""
        half = max(1, round(FLAT_SPAN_S * self.fs_hz))
        lo, hi = max(index - half, self._raw.start), min(index + half + 1, self._raw.end)
        return hi > lo and _flat(self._raw.view(lo, hi), jumps=False)

    def _interval_samples(self) -> float:
        """The recent beat interval (the picker's, else the last periodicity check's, else 1 s), samples."""
        if self._picker is not None:
            return self._picker.ibi_ref_samples
        return (self._interval_s or 1.0) * self.fs_hz

    def _touches_bridge(self, index: int) -> bool:
        lo, hi = index - self._timer.reach_before, index + self._timer.reach_after
        return any(a < hi and lo < b for a, b in self._bridged)

    def _update(self, beats: tuple[Beat, ...], dc_ok: bool | None) -> PulseUpdate:
        locked = self.locked and dc_ok is not False
        quality = 0.0
        if locked and self._qualities:
            quality = min(self._periodicity, sum(self._qualities) / len(self._qualities))
        gaps, self._gaps = tuple(self._gaps), []
        return PulseUpdate(beats, locked, quality, gaps, self._motion.take_spans())


def _flat(raw: NDArray[np.float64], jumps: bool = True) -> bool:
    """The samples are flat: they span no more than FLAT_RELATIVE of their size (all equal, up to rounding),
    or (`jumps`) they are flat between jumps. A jump is a run of at most JUMP_SAMPLES differences over
    JUMP_SHARE of the largest (and over the flat bar). Flat between jumps: within the stretches between
    jumps the samples vary about their stretch's mean no more than from one sample to the next, i.e. they
    hold nothing but sample-to-sample noise (a square wave of any size, with or without a code or two of
    noise); a pulse, or a drift, varies far more slowly than that. A beat's half second is judged without
    jumps: a clipped pulse at 25 samples/s can show its upstroke in two samples and little else there."""
    if raw.size == 0:
        return True
    tol = FLAT_RELATIVE * float(np.abs(raw).max())
    if float(raw.max() - raw.min()) <= tol:  # max - min: np.ptp's own steps
        return True
    if not jumps:
        return False
    change = raw[1:] - raw[:-1]
    size = np.abs(change)
    big = size > max(tol, JUMP_SHARE * float(size.max()))
    run = big[: big.size - JUMP_SAMPLES].copy()
    for shift in range(1, JUMP_SAMPLES + 1):
        run &= big[shift: big.size - JUMP_SAMPLES + shift]
    if run.any():  # a change over more samples than a jump takes
        return False
    small = change[~big]
    if small.size == 0:
        return True
    stretch = np.concatenate(([0], np.cumsum(big)))  # which stretch between jumps each sample is in
    centred = raw - raw[0]
    means = np.bincount(stretch, centred) / np.bincount(stretch)
    within = centred - means[stretch]
    return float(np.dot(within, within)) / raw.size <= float(np.dot(small, small)) / small.size


def _recurring(bursts: list[tuple[int, float]], fs_hz: float, interval_s: float = 0.0) -> bool:
    """The last three bursts (sample index of each one's peak, its band-passed magnitude) recur as a heart's
    beats do: each at least AMP_FRACTION as tall as the tallest (the picker's own bar for a beat), and either
    at intervals of MIN_LAG_S..MAX_LAG_S that agree within INTERVAL_AGREEMENT, or (a burst is seen only at
    the checks that follow a restart, so not at every beat) whole multiples, up to RECUR_MULTIPLE, of the
    interval the last check's autocorrelation found (`interval_s`; 0: none), within INTERVAL_AGREEMENT of it.
    A slow heart's narrow pulse (30/min with a 40-60 ms upstroke, a long flat diastole) stands more than
    BURST_RATIO times the window's median magnitude on every beat: it was restarted after on every beat and
    never locked. A burst (a step, a jolt, a settling finger) does not recur so."""
    if len(bursts) < 3:
        return False
    (a, ha), (b, hb), (c, hc) = bursts[-3:]
    if min(ha, hb, hc) < AMP_FRACTION * max(ha, hb, hc):
        return False
    first_s, second_s = (b - a) / fs_hz, (c - b) / fs_hz
    if (min(first_s, second_s) >= MIN_LAG_S and max(first_s, second_s) <= MAX_LAG_S
            and abs(first_s - second_s) <= INTERVAL_AGREEMENT * max(first_s, second_s)):
        return True
    if not MIN_LAG_S <= interval_s <= MAX_LAG_S:
        return False
    for spacing_s in (first_s, second_s):
        multiple = round(spacing_s / interval_s)
        if not 1 <= multiple <= RECUR_MULTIPLE or abs(spacing_s - multiple * interval_s) > (
                INTERVAL_AGREEMENT * interval_s):
            return False
    return True


def _envelope_normalised(y: NDArray[np.float64], width: int) -> NDArray[np.float64]:
    """`y` divided by its centred running RMS over `width` samples (at the edges, over what is there)."""
    scale = float(np.abs(y).max(initial=0.0))
    if scale > 0.0:
        y = y / scale  # the result does not depend on y's size; this keeps y * y finite for any size
    n = len(y)
    half = max(1, min(width, n)) // 2
    cumulative = np.empty(n + 1)
    cumulative[0] = 0.0
    np.cumsum(y * y, out=cumulative[1:])
    lo, hi, count = _running_bounds(n, half)
    power = (cumulative[hi] - cumulative[lo]) / count
    floor = 1e-12 + 1e-6 * float(power.max(initial=0.0))
    np.maximum(power, floor, out=power)
    return y / np.sqrt(power, out=power)


@lru_cache(maxsize=16)
def _running_bounds(n: int, half: int) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """For a centred running window of `half` samples either side over n samples: each sample's first
    and one-past-last index, and their difference (kept per (n, half): the same every check)."""
    k = np.arange(n)
    lo, hi = np.maximum(k - half, 0), np.minimum(k + half + 1, n)
    count = hi - lo
    for a in (lo, hi, count):
        a.setflags(write=False)
    return lo, hi, count


def _repeat_every(gaps: NDArray[np.int_], k: int, beat: float) -> bool:
    """The intervals `gaps` (samples) repeat every `k`: the median of |gaps[i + k] - gaps[i]| is at most
    INTERVAL_AGREEMENT of `beat` (samples) and a sample (four whole-sample pick times); a pattern of premature
    beats does, whose premature beat comes a fixed time after its predecessor, and a regular rhythm does; picks on
    noise do not. False with fewer than k + 1 intervals."""
    if k < 1 or len(gaps) <= k:
        return False
    return float(np.median(np.abs(gaps[k:] - gaps[:-k]))) <= INTERVAL_AGREEMENT * beat + 1.0


def _agree(interval_s: float, previous_s: float) -> bool:
    """Two checks in a row saw the same beat interval (previous 0: the last check saw none)."""
    return previous_s > 0.0 and abs(interval_s / previous_s - 1.0) <= INTERVAL_AGREEMENT


def _confirms(interval_s: float, line_hz: float) -> bool:
    """The autocorrelation interval is the spectral line's period, or twice it (alternating beats)."""
    if interval_s <= 0.0 or line_hz <= 0.0:
        return False
    ratio = interval_s * line_hz
    return any(abs(ratio / k - 1.0) <= LINE_PERIOD_AGREEMENT for k in (1, 2))


def stream_beats(ppg: NDArray[np.float64], fs_hz: float, chunk_s: float = 0.1) -> list[Beat]:
    """All beats of a whole recording, fed through the streaming pipeline in `chunk_s` pieces.

    The same code path as on the device (default 0.1 s, a FIFO read's worth); the end of the
    recording flushes the last beat still waiting for its look-ahead.
    """
    x = np.asarray(ppg, dtype=float)
    pipeline = PulsePipeline(fs_hz)
    step = max(1, round(chunk_s * fs_hz))
    beats: list[Beat] = []
    for first in range(0, len(x), step):
        beats.extend(pipeline.push(x[first:first + step], first).beats)
    beats.extend(pipeline.flush().beats)
    return beats


def detect_beats(ppg: NDArray[np.float64], fs_hz: float, chunk_s: float = 0.1) -> NDArray[np.float64]:
    """Beat times (s, from sample 0) of a whole recording, through the same streaming code in chunks."""
    return np.asarray([b.t_s for b in stream_beats(ppg, fs_hz, chunk_s)])
