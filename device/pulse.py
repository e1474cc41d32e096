"""The batch entry points, where they have always been importable: `detect_beats(ppg, fs_hz)` -> beat
times (s), the device's own streaming pulse pipeline run over a whole recording (device/signal/pulse.py),
and `hrv_metrics(beat_times_s)`, the figures the streaming HRV tracker gives for those beats
(device/signal/hrv.py). `recording_metrics(ppg, fs_hz)` joins the two the way the daemon does, passing on
what bare beat times lose (each beat's quality, amplitude, timing error and sampling phase, and the motion
spans), so its HRV is withheld, and its sampling-phase error taken out, where the device's would be.
Benchmarks and tests use them; the daemon uses the streaming classes."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from device.signal.hrv import HrvMetrics, hrv_metrics
from device.signal.pulse import Beat, PulsePipeline, detect_beats

__all__ = ["detect_beats", "hrv_metrics", "recording_metrics"]


def recording_metrics(ppg: NDArray[np.float64], fs_hz: float, window_s: float | None = None,
                      chunk_s: float = 0.1) -> HrvMetrics:
    """HRV metrics of a whole recording (1-D PPG samples at `fs_hz` samples/s) as the device would give them
    at its end: the streaming pipeline in `chunk_s` pieces, then `hrv_metrics` over the last `window_s`
    seconds (default: the whole recording) with every beat's quality, amplitude and timing error and the
    pipeline's motion spans. `hrv_metrics(detect_beats(ppg, fs_hz))` sees bare times only, so it cannot
    withhold HRV for timing noise, weak beats or motion; use this where those matter. Raises InputError on
    a sample rate outside the pipeline's range (25-400); a recording with no beats gives every figure None
    with its reason."""
    x = np.asarray(ppg, dtype=float)
    pipeline = PulsePipeline(fs_hz)
    step = max(1, round(chunk_s * fs_hz))
    beats: list[Beat] = []
    motion: list[tuple[float, float]] = []
    updates = [pipeline.push(x[first:first + step], first) for first in range(0, len(x), step)]
    updates.append(pipeline.flush())
    for update in updates:
        beats.extend(update.beats)
        motion.extend(update.motion)
    return hrv_metrics(np.array([b.t_s for b in beats]), window_s=window_s,
                       amplitudes=np.array([b.amplitude for b in beats]),
                       qualities=np.array([b.quality for b in beats]),
                       timing_sds=np.array([b.timing_sd_s for b in beats]),
                       phases=np.array([b.phase for b in beats]), motion=motion,
                       before_template=np.array([b.before_template for b in beats], dtype=bool),
                       hidden_gaps_s=np.array([b.hidden_gap_s for b in beats]),
                       repeats_s=np.array([b.repeat_s for b in beats]))
