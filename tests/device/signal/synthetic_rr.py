"""Generated beat-interval series with known truth, for HRV tests and bench/bench_ectopy.py.

A resting sinus rhythm (a breathing swing plus beat-to-beat noise), premature beats with a full
compensatory pause at a fixed beat period, and an irregularly irregular (atrial-fibrillation-like) series.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

# resting rhythms: (heart rate beats/min, breathing swing ms, beat-to-beat noise ms)
FAMILY = [(70.0, 30.0, 8.0), (90.0, 5.0, 3.0), (55.0, 15.0, 15.0), (60.0, 40.0, 10.0), (80.0, 10.0, 20.0)]


def sinus_intervals(n: int, seed: int, hr_bpm: float = 70.0, rsa_ms: float = 30.0, noise_ms: float = 8.0,
                    breath_per_min: float = 15.0) -> NDArray[np.float64]:
    """Intervals (ms) of a sinus rhythm: a breathing swing plus beat-to-beat noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 60.0 / hr_bpm
    swing = rsa_ms * np.sin(2 * np.pi * breath_per_min / 60.0 * t + rng.uniform(0, 2 * np.pi))
    return 60000.0 / hr_bpm + swing + rng.normal(0.0, noise_ms, n)


def with_ectopy(rr: NDArray[np.float64], every: int, prematurity: float, seed: int,
                pause: bool | float = True) -> NDArray[np.float64]:
    """Every `every`-th beat comes `prematurity` of an interval early, with a full compensatory pause (the next
    beat on time), or with `pause` False none (the rhythm resets: the next interval is a sinus one, as after most
    premature atrial beats), or with `pause` a share (0-1) a partial one: the next interval longer by that share of
    the time the premature beat lost."""
    out = rr.copy()
    first = int(np.random.default_rng(seed).integers(2, every + 2))
    for i in range(first, len(rr) - 1, every):
        shift = prematurity * rr[i]
        out[i] -= shift
        out[i + 1] += float(pause) * shift
    return out


def irregular_intervals(n: int, seed: int, spread: float) -> NDArray[np.float64]:
    """Intervals (s) of an irregularly irregular rhythm: independent, coefficient of variation `spread`."""
    rng = np.random.default_rng(seed)
    mean_s = rng.uniform(0.5, 1.0)
    return np.asarray(mean_s * np.clip(1.0 + spread * rng.standard_normal(n), 0.5, None), dtype=np.float64)


def irregular_rr(kind: str, hr_bpm: float, every: int, early: float, pause: bool, spread: float,
                 seed: int, n: int = 300) -> NDArray[np.float64]:
    """Beat intervals (s): a sinus rhythm at `hr_bpm` (2 % beat-to-beat noise) whose every `every`-th beat comes
    `early` of an interval early, the next interval longer by as much when `pause` (a full compensatory pause),
    for kind "ectopy"; for kind "irregular", independent intervals of coefficient of variation `spread`
    (clipped at half the mean)."""
    rng = np.random.default_rng(seed)
    mean_s = 60.0 / hr_bpm
    if kind == "irregular":
        return np.asarray(mean_s * np.clip(1.0 + spread * rng.standard_normal(n), 0.5, None), dtype=np.float64)
    rr = mean_s * (1.0 + 0.02 * rng.standard_normal(n))
    for i in range(int(rng.integers(1, every + 1)), n - 1, every):
        shift = early * rr[i]
        rr[i] -= shift
        if pause:
            rr[i + 1] += shift
    return np.asarray(rr, dtype=np.float64)


def swinging_beat_times(duration_s: float, hr_bpm: float, breath_bpm: float, swing_bpm: float, jitter: float,
                        seed: int, premature_every: int = 0, prematurity: float = 0.25, pause: bool = True
                        ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(beat times s, true sinus intervals s) of a heart whose rate swings sinusoidally with breathing: rate
    `hr_bpm` + `swing_bpm` / 2 x sin(breath phase), the breath at `breath_bpm` from a random phase, each interval
    then times 1 + `jitter` x a standard normal draw (beat-to-beat noise). A slow heart breathing at about a quarter
    of its rate has a breath every ~4 beats, so its intervals repeat nearly every 4th beat.

    With `premature_every` N > 0, every N-th beat (from a random first one) comes `prematurity` of its interval
    early with a full compensatory pause (the beat after it on time), or with `pause` False none (every later beat
    as much earlier: one short interval). The true intervals are the sinus rhythm's without the premature beats,
    whose RMSSD is the truth a correction should give back."""
    rng = np.random.default_rng(seed)
    phase0 = rng.uniform(0.0, 2.0 * np.pi)
    breath = 2.0 * np.pi * breath_bpm / 60.0
    times = [float(rng.uniform(0.2, 1.0))]
    while times[-1] < duration_s:
        rate = hr_bpm + 0.5 * swing_bpm * np.sin(breath * times[-1] + phase0)
        times.append(times[-1] + 60.0 / rate * (1.0 + jitter * rng.standard_normal()))
    t = np.asarray(times[:-1], dtype=np.float64)
    rr = np.diff(t)
    if premature_every > 0:
        t = t.copy()
        for i in range(int(rng.integers(1, premature_every + 1)), len(t) - 1, premature_every):
            if pause:
                t[i] -= prematurity * rr[i - 1]
            else:
                t[i:] -= prematurity * rr[i - 1]
    return t, np.asarray(rr, dtype=np.float64)


def calm_slow_heart(seed: int, pause: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(beat times s, sinus intervals ms) of a calm slow heart with premature beats: 90 beats at 35-75/min, 2-5 ms of
    white beat-to-beat jitter and a breathing swing of at most 3 ms (its RMSSD a few ms), every 8th-15th beat
    10-40 % early, the next interval longer by `pause` (0-1) of the time lost. At 40/min a pause of 0.1 or 0.9 of the
    time lost leaves tens of ms, many times the heart's own successive differences."""
    rng = np.random.default_rng(seed)
    hr_bpm, jitter_ms, rsa_ms = rng.uniform(35.0, 75.0), rng.uniform(2.0, 5.0), rng.uniform(0.0, 3.0)
    every, prematurity = int(rng.integers(8, 16)), rng.uniform(0.1, 0.4)
    rr = sinus_intervals(90, seed, hr_bpm, rsa_ms, jitter_ms, breath_per_min=rng.uniform(6.0, 15.0))
    return np.cumsum(with_ectopy(rr, every, prematurity, seed, pause)) / 1000.0, rr[:-2]


def jittery_heart(seed: int, premature: bool = False) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(beat times s, sinus intervals ms) of a regular heart with large white beat-to-beat jitter: 90 beats at
    40-140/min, jitter 10-30 ms (SD), a breathing swing of at most 10 ms. With `premature`, every 8th-15th beat
    15-35 % early with a pause of none, half or all the time lost (a third each). The classification now and then
    flags the jitter's own largest differences (2-3 SD)."""
    rng = np.random.default_rng(seed)
    hr_bpm, jitter_ms, rsa_ms = rng.uniform(40.0, 140.0), rng.uniform(10.0, 30.0), rng.uniform(0.0, 10.0)
    every, prematurity, pause = int(rng.integers(8, 16)), rng.uniform(0.15, 0.35), float(rng.integers(3)) / 2.0
    rr = sinus_intervals(90, seed, hr_bpm, rsa_ms, jitter_ms, breath_per_min=rng.uniform(6.0, 15.0))
    observed = with_ectopy(rr, every, prematurity, seed, pause) if premature else rr
    return np.cumsum(observed) / 1000.0, rr[:-2]


def missed_premature_beats(seed: int, pause: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(beat times s, sinus intervals ms) of a resting heart whose premature beats are too weak to be picked: 90 beats
    at 35-110/min, 2-8 ms of white jitter, a breathing swing of 0-15 ms; every 20th-40th beat 10-45 % early, the next
    interval longer by `pause` (0-1) of the time lost, and the premature beat missed, so its two intervals arrive as
    one of (2 - e (1 - pause)) x the interval (e its prematurity). A weak premature beat through the device's path
    (a fresh-clone tester: 63.6/min, 0.37 as tall, no pause) read 43.8 ms for 4.25."""
    rng = np.random.default_rng(seed)
    hr_bpm, jitter_ms, rsa_ms = rng.uniform(35.0, 110.0), rng.uniform(2.0, 8.0), rng.uniform(0.0, 15.0)
    every, prematurity = int(rng.integers(20, 41)), rng.uniform(0.1, 0.45)
    rr = sinus_intervals(90, seed, hr_bpm, rsa_ms, jitter_ms, breath_per_min=rng.uniform(6.0, 15.0))
    observed = with_ectopy(rr, every, prematurity, seed, pause)
    first = int(np.random.default_rng(seed).integers(2, every + 2))  # with_ectopy's first premature beat
    times = np.cumsum(observed) / 1000.0
    missed = np.arange(first, len(rr) - 1, every)  # the beat ending each shortened interval
    return np.delete(times, missed), rr[:-2]


def _jittered_sinus(rng: np.random.Generator, seed: int, rates_bpm: tuple[float, float],
                    jitters_ms: tuple[float, float], swing: bool, seconds: float) -> tuple[int, NDArray[np.float64]]:
    """(interval count, sinus intervals ms) of a resting heart drawn from `rng`: a rate uniform in `rates_bpm`, white
    jitter (SD) log-uniform in `jitters_ms`, with `swing` a breathing swing of 5-40 ms (amplitude) at 6-15 breaths/min,
    `seconds` long (sinus_intervals with `seed`)."""
    hr_bpm = rng.uniform(*rates_bpm)
    jitter_ms = float(np.exp(rng.uniform(np.log(jitters_ms[0]), np.log(jitters_ms[1]))))
    rsa_ms = rng.uniform(5.0, 40.0) if swing else 0.0
    breath_per_min = rng.uniform(6.0, 15.0)
    n = int(seconds * hr_bpm / 60.0)
    return n, sinus_intervals(n, seed, hr_bpm, rsa_ms, jitter_ms, breath_per_min=breath_per_min)


def white_jitter_heart(seed: int, swing: bool = False, premature: bool = False
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(beat times s, sinus intervals ms) of a regular heart with white beat-to-beat jitter, one HRV window long: 58 s
    of beats at 40-140/min, each interval the mean plus 3-30 ms (SD, log-uniform) of independent Gaussian jitter;
    with `swing`, plus a breathing swing of 5-40 ms (amplitude) at 6-15 breaths/min; with `premature`, 1-3 beats (at
    least 8 apart, none among the first or last 5) 15-35 % of an interval early, each with a pause of none, half or
    all the time lost. The truth is the RMSSD of the sinus intervals (the second value, less the newest two, which
    the tracker has not yet checked: hrv.CONFIRM_INTERVALS): every one of them lies in the device's 60 s window as in
    hrv_metrics' whole-series one.

    The paper's correction (device/signal/artifacts.py) took such a heart's own largest differences (about 2.2 SD
    of them: ~3 % cross by chance) for ectopic or long/short beats and moved them, so its RMSSD read low."""
    rng = np.random.default_rng(seed)
    n, rr = _jittered_sinus(rng, seed, (40.0, 140.0), (3.0, 30.0), swing, 58.0)
    observed = rr.copy()
    if premature:
        count = int(rng.integers(1, 4))
        candidates = np.arange(5, n - 5)
        chosen: list[int] = []
        for i in rng.permutation(candidates).tolist():
            if all(abs(i - j) >= 8 for j in chosen):
                chosen.append(i)
            if len(chosen) == count:
                break
        for i in chosen:
            shift = rng.uniform(0.15, 0.35) * rr[i]
            observed[i] -= shift
            observed[i + 1] += float(rng.integers(3)) / 2.0 * shift
    return np.cumsum(observed) / 1000.0, rr[:-2]


def extra_missed_heart(seed: int, kind: str = "pair", swing: bool = False
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(beat times s, sinus intervals ms) of a resting heart whose picker both misses and double-counts beats: 120 s at
    40-120/min, 2-30 ms (SD, log-uniform) of white beat-to-beat jitter, with `swing` a breathing swing of 5-40 ms
    (amplitude) at 6-15 breaths/min; one to three events a minute, none among the first or last 6 beats, at least 12
    beats apart. For `kind` "pair" an event is a missed beat (two intervals merged into one) and an extra beat (one
    interval split at a random point 20-80 % of it) next to each other or with 1-3 sinus intervals between them, the
    missed one before or after; "missed" the missed beat alone, "extra" the extra beat alone (controls). The truth is
    the RMSSD of the sinus intervals (the second value, less the newest two: hrv.CONFIRM_INTERVALS).

    A fresh-clone tester's family of this kind read 16 of 200 series off with every reason null (25.2 ms for a true
    2.45 at 80.5/min)."""
    rng = np.random.default_rng(seed)
    n, rr = _jittered_sinus(rng, seed, (40.0, 120.0), (2.0, 30.0), swing, 120.0)
    times = np.concatenate([[0.0], np.cumsum(rr)]) / 1000.0  # beat j ends interval j - 1
    count = int(rng.integers(1, 4)) * 2  # per minute, over two minutes
    chosen: list[int] = []
    for i in rng.permutation(np.arange(6, n - 6)).tolist():
        if all(abs(i - j) >= 12 for j in chosen):
            chosen.append(i)
        if len(chosen) == count:
            break
    drop: list[int] = []
    add: list[float] = []
    for i in chosen:  # i: an interval index; the event sits around it
        if kind in ("pair", "extra"):
            split = i
            if kind == "pair":
                gap = int(rng.integers(0, 4))  # sinus intervals between the merged and the split one
                # the merged interval spans intervals m and m + 1 (beat m + 1 dropped)
                m = split + 1 + gap if rng.integers(2) else split - 2 - gap
                drop.append(m + 1)
            add.append(float(times[split] + rng.uniform(0.2, 0.8) * (times[split + 1] - times[split])))
        else:
            drop.append(i + 1)
    observed = np.sort(np.concatenate([np.delete(times, drop), add]))
    return observed, rr[:-2]


PATTERN_EVERY = (2, 3, 4)  # bigeminy, trigeminy, quadrigeminy
PATTERN_PAUSES = (0.0, 0.5, 1.0)  # the rhythm resets; half the time lost made up; a full compensatory pause


def patterned_rhythm(seed: int, every: int | None = None, pause: float | None = None, breathing: bool | None = None
                     ) -> tuple[NDArray[np.float64], dict[str, float]]:
    """(beat times s, parameters) of a patterned rhythm: every `every`-th beat premature (2 bigeminy, 3 trigeminy,
    4 quadrigeminy; default drawn from PATTERN_EVERY), 10-45 % of its interval early, the next interval longer by
    `pause` (0-1; default drawn from PATTERN_PAUSES) of the time lost, on a sinus rhythm at 40-180/min with 0-20 ms of
    white beat-to-beat jitter and, with `breathing` (default: drawn, half the series), a breathing swing of 2-8 % of
    the interval (a breath every 4-10 s), 10-60 s of beats from a random place in the pattern. Every beat is a
    heartbeat, so the true heart rate of any span of it is 60000 / the mean of its intervals (ms), which
    beats_per_min_over gives. The parameters drawn are returned by name (hr_bpm the sinus rate, not the truth)."""
    rng = np.random.default_rng(seed)
    every = int(rng.choice(PATTERN_EVERY)) if every is None else every
    pause = float(rng.choice(PATTERN_PAUSES)) if pause is None else pause
    breathing = bool(rng.integers(2)) if breathing is None else breathing
    hr_bpm, prematurity = rng.uniform(40.0, 180.0), rng.uniform(0.10, 0.45)
    jitter_ms, duration_s = rng.uniform(0.0, 20.0), rng.uniform(10.0, 60.0)
    sinus_ms = 60000.0 / hr_bpm
    rsa_ms = rng.uniform(0.02, 0.08) * sinus_ms if breathing else 0.0
    n = int(duration_s * hr_bpm / 60.0) + every + 2
    rr = sinus_intervals(n, seed, hr_bpm, rsa_ms, jitter_ms, breath_per_min=rng.uniform(6.0, 15.0))
    observed = rr.copy()
    for i in range(int(rng.integers(1, every + 1)), n - 1, every):
        lost = prematurity * rr[i]
        observed[i] -= lost
        observed[i + 1] += pause * lost
    times = np.cumsum(observed) / 1000.0
    times = times[times <= times[0] + duration_s]
    return times, {"every": every, "pause": pause, "breathing": float(breathing), "hr_bpm": hr_bpm,
                   "prematurity": prematurity, "jitter_ms": jitter_ms, "duration_s": duration_s}


def beats_per_min_over(times_s: NDArray[np.float64], window_s: float | None = None) -> float:
    """The true heart rate (beats/min) of beat times (s) that are all heartbeats: 60 / the mean interval of the
    intervals ending within `window_s` of the newest beat (default all), as HrvTracker's window takes them."""
    t = np.asarray(times_s, dtype=float)
    ends = np.arange(1, len(t)) if window_s is None else np.flatnonzero(t[1:] > t[-1] - window_s) + 1
    return 60.0 / float(np.mean(t[ends] - t[ends - 1]))



def reported_bigeminy(seed: int) -> NDArray[np.float64]:
    """Beat times (s) of a bigeminy as a fresh-clone tester described it (rebuilt from the description: through
    hrv_metrics "up to 1.35x off with hr_flag null in 30 of 200 series, 146.3 for a true 108.5"): a sinus rhythm at
    60-130/min (1.5 % white jitter, a breathing swing of 0-2 %), every other interval 12-27 % short with a full
    compensatory pause, the series starting on a short or a long one, 40-120 intervals. Where it starts and ends on
    a short interval there is one short interval more than long ones, and their median is a short one: on main, 25-32
    of 200 wrong by 1.30-1.34x (seeds 0-199, 1000-1199, 2000-2199)."""
    rng = np.random.default_rng(seed)
    hr_bpm, prematurity, n = rng.uniform(60.0, 130.0), rng.uniform(0.12, 0.27), int(rng.integers(40, 121))
    sinus_ms = 60000.0 / hr_bpm
    rr = sinus_intervals(n + 2, seed, hr_bpm, rng.uniform(0.0, 0.02) * sinus_ms, 0.015 * sinus_ms,
                         breath_per_min=rng.uniform(6.0, 15.0))
    for i in range(0, n + 1, 2):
        lost = prematurity * rr[i]
        rr[i] -= lost
        rr[i + 1] += lost
    first = int(rng.integers(2))
    return np.concatenate([[0.0], np.cumsum(rr[first:first + n])]) / 1000.0


def control_hearts(seed: int) -> dict[str, NDArray[np.float64]]:
    """Beat times (s) of a minute of hearts that hold no pattern, at one rate of 40-180/min with 0-20 ms of white
    jitter: "regular" (no swing), "breathing" (a swing of 2-8 % of the interval, a breath every 4-10 s) and
    "random premature" (the breathing heart's every 8th-15th beat 10-45 % early, a pause of none, half or all of the
    time lost): the controls of patterned_rhythm."""
    rng = np.random.default_rng(seed)
    hr_bpm, jitter_ms = rng.uniform(40.0, 180.0), rng.uniform(0.0, 20.0)
    n = int(hr_bpm) + 2
    regular = sinus_intervals(n, seed, hr_bpm, 0.0, jitter_ms)
    breathing = sinus_intervals(n, seed, hr_bpm, rng.uniform(0.02, 0.08) * 60000.0 / hr_bpm, jitter_ms,
                                breath_per_min=rng.uniform(6.0, 15.0))
    premature = with_ectopy(breathing, int(rng.integers(8, 16)), rng.uniform(0.1, 0.45), seed,
                            float(rng.integers(3)) / 2.0)
    return {name: np.cumsum(rr) / 1000.0 for name, rr in
            (("regular", regular), ("breathing", breathing), ("random premature", premature))}


def _pink_noise(n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """`n` samples of 1/f (pink) noise of unit standard deviation: white Gaussian noise shaped in frequency by
    1 / sqrt(f) (power 1 / f), the DC bin dropped."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n)
    sd = float(np.std(noise))
    return np.asarray(noise / sd if sd > 0.0 else noise, dtype=np.float64)


def natural_heart(seed: int, rates_bpm: tuple[float, float] = (30.0, 140.0),
                  windows_s: tuple[float, float] = (15.0, 120.0)
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], dict[str, float]]:
    """(beat times s, the true normal-to-normal intervals ms, parameters) of a CLEAN heart whose variability is more
    than one breathing sinusoid and white jitter: every interval is the heart's own and nothing is an artifact, so
    the truth is the RMSSD / SDNN of the intervals themselves (less the newest two, which the tracker has not yet
    checked: hrv.CONFIRM_INTERVALS).

    The heart rate (beats/min) is a sum, sampled at each beat:
    - a mean of 30-140/min (`rates_bpm`; log-uniform);
    - a breathing swing (respiratory sinus arrhythmia) at 6-20 breaths/min whose rate drifts by up to +-20 % and
      whose depth by up to +-60 % over the window (each a slow random walk), 0-12 % of the rate peak to peak;
    - a Mayer (baroreflex, ~0.1 Hz: 0.08-0.12 Hz) wave of 0-4 % of the rate (amplitude), random phase;
    - 1/f (pink) drift of 0-3 % of the rate (SD);
    - a session's settling start, half the series: the rate steps or ramps by -12 to +6 % over the first 0-40 s
      (an exponential approach with that time constant; 0 s: a step at a random time);
    then each interval takes 1-30 ms (SD, log-uniform) of white jitter; `beat_jitter` in the parameters says
    whether it was in the beat times (white noise in the times of the beats, as the simulator's heart makes: the
    intervals' lag-1 autocorrelation -0.5; a third of the series) or in the intervals. The window is 15-120 s
    (`windows_s`; uniform).
    Physiological sources for the parts: Task Force of the ESC and NASPE, Circulation 93:1043 (1996)
    (doi:10.1161/01.CIR.93.5.1043): HF (breathing), LF (~0.1 Hz) and VLF/1/f components of the heart rate;
    Kobayashi & Musha, IEEE TBME 29:456 (1982) (doi:10.1109/TBME.1982.324972): the 1/f spectrum of the heart
    rate's slow fluctuation."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7A7]))
    hr_bpm = float(np.exp(rng.uniform(np.log(rates_bpm[0]), np.log(rates_bpm[1]))))
    duration_s = float(rng.uniform(*windows_s))
    breath_bpm = float(rng.uniform(6.0, 20.0))
    rsa_share = float(rng.uniform(0.0, 0.12))  # peak to peak, of the rate
    mayer_share = float(rng.uniform(0.0, 0.04))
    mayer_hz = float(rng.uniform(0.08, 0.12))
    pink_share = float(rng.uniform(0.0, 0.03))
    jitter_ms = float(np.exp(rng.uniform(np.log(1.0), np.log(30.0))))
    beat_jitter = bool(rng.random() < 1.0 / 3.0)
    settle = bool(rng.integers(2))
    settle_share = float(rng.uniform(-0.12, 0.06)) if settle else 0.0
    settle_tau_s = float(rng.uniform(0.0, 40.0))
    step_at_s = float(rng.uniform(0.0, duration_s))
    # slow random walks of the breathing rate and depth, on a 1 s grid
    grid_s = np.arange(0.0, duration_s + 10.0, 1.0)
    walk_rate = np.cumsum(rng.standard_normal(len(grid_s)))
    walk_depth = np.cumsum(rng.standard_normal(len(grid_s)))
    rate_drift = 0.2 * rng.uniform(0.0, 1.0) * walk_rate / max(float(np.max(np.abs(walk_rate))), 1e-9)
    depth = 1.0 + 0.6 * rng.uniform(0.0, 1.0) * walk_depth / max(float(np.max(np.abs(walk_depth))), 1e-9)
    breath_phase = np.concatenate([[0.0], np.cumsum(breath_bpm / 60.0 * (1.0 + rate_drift[:-1]))]) * 2.0 * np.pi
    breath_phase += rng.uniform(0.0, 2.0 * np.pi)
    pink = _pink_noise(len(grid_s), rng)
    mayer_phase = rng.uniform(0.0, 2.0 * np.pi)

    def rate_at(t_s: float) -> float:
        rsa = 0.5 * rsa_share * float(np.interp(t_s, grid_s, depth)) * math.sin(
            float(np.interp(t_s, grid_s, breath_phase)))
        mayer = mayer_share * math.sin(2.0 * math.pi * mayer_hz * t_s + mayer_phase)
        drift = pink_share * float(np.interp(t_s, grid_s, pink))
        if settle_tau_s > 1.0:
            settling = -settle_share * math.exp(-t_s / settle_tau_s)  # from the start's rate to the mean
        else:
            settling = settle_share if (settle and t_s >= step_at_s) else 0.0
        return hr_bpm * (1.0 + rsa + mayer + drift + settling)

    times = [float(rng.uniform(0.0, 1.0))]
    while times[-1] < duration_s:
        times.append(times[-1] + 60.0 / rate_at(times[-1]))
    t = np.asarray(times, dtype=np.float64)
    if beat_jitter:
        t = t + rng.normal(0.0, jitter_ms / 1000.0, len(t))
    else:
        t = np.concatenate([[t[0]], t[0] + np.cumsum(np.diff(t) + rng.normal(0.0, jitter_ms / 1000.0, len(t) - 1))])
    rr = np.diff(t) * 1000.0
    params = {"hr_bpm": hr_bpm, "duration_s": duration_s, "breath_bpm": breath_bpm, "rsa_share": rsa_share,
              "mayer_share": mayer_share, "pink_share": pink_share, "jitter_ms": jitter_ms,
              "beat_jitter": float(beat_jitter), "settle_share": settle_share, "settle_tau_s": settle_tau_s}
    return t, np.asarray(rr[:-2], dtype=np.float64), params
