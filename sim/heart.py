"""The simulated heart: respiratory sinus arrhythmia through a resonant baroreflex, beats by IPFM.

Instantaneous heart rate = mean + RSA + slow (VLF) drift. RSA is the lung volume passed through a
second-order band-pass peaking at the person's resonance breathing frequency (about 0.1 Hz): the
baroreflex loop's delay makes the heart answer breathing at that rate several times more strongly
than at 12 breaths/min (Vaschillo et al. 2002, doi:10.1023/A:1014587304314; Lehrer & Gevirtz 2014,
doi:10.3389/fpsyg.2014.00756). A little white noise added to the filter's input stands for
spontaneous blood-pressure fluctuations and gives the unpaced heart its small 0.1 Hz (Mayer) wave.

Beats come from integral pulse frequency modulation (Mateo & Laguna 2000, doi:10.1109/10.844228):
integrate rate/60 and emit a beat at each integer crossing. The rate is constant within a grid cell,
so the crossing time is exact. Each beat then gets a small timing jitter (beat-to-beat noise) and,
rarely, comes early (an ectopic beat) and is followed by a compensatory pause. Beats never move
earlier than their IPFM time by more than the jitter, so a beat's time is final once the grid has
passed it, and the PPG can be rendered right up to the simulated time.

Everything runs forward in blocks on a fixed grid with filter state kept, so any split of the same
time span into blocks gives the same numbers (to floating-point rounding).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import iirpeak, lfilter, lfilter_zi
from scipy.special import ndtri

log = logging.getLogger(__name__)

MIN_HR_BPM = 35.0  # the rate is clipped to a survivable range whatever the noise does
MAX_HR_BPM = 180.0
VLF_TAU_S = 60.0  # correlation time of the slow heart-rate drift
JITTER_CLIP_SD = 3.0  # beat jitter is a clipped normal, so beats never change order
MAX_JITTER_MS = 30.0  # jitter SD bound: 3 SD stays well under half the shortest interval
ECTOPIC_PREMATURITY = (0.25, 0.35)  # a premature beat comes this fraction of an interval early
ECTOPIC_AMPLITUDE = 0.6  # less filling time, smaller pulse


@dataclass(frozen=True)
class HeartBlock:
    """What the heart did during one block of grid cells.

    hr_bpm: instantaneous rate per grid cell; vlf_bpm: its slow-drift part (which also drives the
    fingertip's vasomotor baseline). beat_times_s: heart (ejection) times of the beats that fell in
    the block, increasing; beat_cells: the block's grid cell each fired in. ectopic: which of
    those beats were premature.
    """

    hr_bpm: NDArray[np.float64]
    vlf_bpm: NDArray[np.float64]
    beat_times_s: NDArray[np.float64]
    beat_cells: NDArray[np.intp]
    ectopic: NDArray[np.bool_]


class Heart:
    """Heart rate and beat times from a lung-volume trace on a fixed grid of `grid_dt_s` cells."""

    def __init__(
        self,
        *,
        mean_hr_bpm: float,
        rsa_gain_bpm: float,
        resonance_rate_per_min: float,
        resonance_q: float,
        lf_noise_bpm: float,
        vlf_drift_bpm: float,
        hrv_noise_ms: float,
        ectopic_per_hour: float,
        grid_dt_s: float,
        rng_rate: np.random.Generator,
        rng_beats: np.random.Generator,
    ) -> None:
        """rsa_gain_bpm is the HR change per unit of lung volume at the resonance frequency."""
        fs_hz = 1.0 / grid_dt_s
        self._dt_s = grid_dt_s
        self._mean_hr_bpm = mean_hr_bpm
        self._rsa_gain_bpm = rsa_gain_bpm
        self._b, self._a = iirpeak(resonance_rate_per_min / 60.0, resonance_q, fs=fs_hz)
        self._baro_zi: NDArray[np.float64] | None = None  # set from the first input, at rest
        # White input noise of unit variance leaves the unity-peak resonator with variance equal to
        # its noise bandwidth over Nyquist; scale the input so the output HR wave has lf_noise_bpm RMS.
        noise_bw_hz = 0.5 * np.pi * (resonance_rate_per_min / 60.0) / resonance_q
        out_sd = np.sqrt(noise_bw_hz / (fs_hz / 2.0))
        self._baro_noise_bpm = lf_noise_bpm / out_sd
        # VLF drift: an AR(1) (discrete Ornstein-Uhlenbeck) process with stationary SD vlf_drift_bpm.
        self._vlf_a = float(np.exp(-grid_dt_s / VLF_TAU_S))
        self._vlf_in = vlf_drift_bpm * np.sqrt(1.0 - self._vlf_a**2)
        self._vlf_zi = np.zeros(1)
        self._jitter_sd_s = hrv_noise_ms / 1000.0
        self._ectopic_per_beat = ectopic_per_hour / (60.0 * mean_hr_bpm)
        self._rng_rate = rng_rate
        self._rng_beats = rng_beats
        self._integral_beats = float(rng_rate.random())  # phase of the first beat
        # Beats whose random numbers are drawn but which have not fired: their integral levels.
        self._next_beat = int(np.floor(self._integral_beats)) + 1
        self._pending_levels = np.zeros(0)
        self._pending_u = np.zeros((0, 3))

    def step(self, t0_s: float, lung_volume: NDArray[np.float64]) -> HeartBlock:
        """Advance over the grid cells starting at t0_s, one cell per lung-volume value (0..1)."""
        n = len(lung_volume)
        if n == 0:
            return HeartBlock(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.intp),
                              np.zeros(0, dtype=bool))
        noise = self._rng_rate.standard_normal((n, 2))
        drive_bpm = self._rsa_gain_bpm * (lung_volume - 0.5) + self._baro_noise_bpm * noise[:, 0]
        if self._baro_zi is None:
            # Start the resonator in steady state on the first input so it does not ring at t = 0.
            self._baro_zi = lfilter_zi(self._b, self._a) * drive_bpm[0]
        rsa_bpm, self._baro_zi = lfilter(self._b, self._a, drive_bpm, zi=self._baro_zi)
        vlf, self._vlf_zi = lfilter([self._vlf_in], [1.0, -self._vlf_a], noise[:, 1], zi=self._vlf_zi)
        hr = self._mean_hr_bpm + rsa_bpm + vlf
        hr = np.clip(hr, MIN_HR_BPM, MAX_HR_BPM)
        times, cells, ectopic = self._ipfm(t0_s, hr)
        return HeartBlock(hr, vlf, times, cells, ectopic)

    def _ipfm(
        self, t0_s: float, hr_bpm: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.bool_]]:
        """Beat times in the block: where the integral of rate/60 crosses each beat's level.

        Beat m fires at level m, or at m - prematurity if it is ectopic; beat m + 1 still fires at
        m + 1, so a premature beat is followed by a compensatory pause, as in the heart. Each beat's
        random numbers are drawn once, in beat order, whatever the block boundaries.
        """
        per_cell = hr_bpm / 60.0 * self._dt_s
        end = self._integral_beats + np.cumsum(per_cell)
        start = end - per_cell
        self._draw_until(int(np.floor(end[-1])) + 1)
        fire = self._pending_levels <= end[-1]
        levels, u = self._pending_levels[fire], self._pending_u[fire]
        self._pending_levels, self._pending_u = self._pending_levels[~fire], self._pending_u[~fire]
        self._integral_beats = float(end[-1])
        cell = np.searchsorted(end, levels, side="left")
        heart_s = t0_s + self._dt_s * (cell + (levels - start[cell]) / per_cell[cell])
        jitter = np.clip(ndtri(np.clip(u[:, 0], 1e-12, 1 - 1e-12)), -JITTER_CLIP_SD, JITTER_CLIP_SD)
        return heart_s + self._jitter_sd_s * jitter, cell, u[:, 1] < self._ectopic_per_beat

    def _draw_until(self, last_beat: int) -> None:
        """Draw jitter, ectopy and prematurity for every beat number up to last_beat."""
        if last_beat < self._next_beat:
            return
        count = last_beat - self._next_beat + 1
        u = self._rng_beats.random((count, 3))
        lo, hi = ECTOPIC_PREMATURITY
        early = np.where(u[:, 1] < self._ectopic_per_beat, lo + (hi - lo) * u[:, 2], 0.0)
        levels = np.arange(self._next_beat, last_beat + 1, dtype=float) - early
        self._pending_levels = np.concatenate((self._pending_levels, levels))
        self._pending_u = np.concatenate((self._pending_u, u))
        self._next_beat = last_beat + 1
