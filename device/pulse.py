"""The batch entry points, where they have always been importable: `detect_beats(ppg, fs_hz)` -> beat
times (s), the device's own streaming pulse pipeline run over a whole recording (device/signal/pulse.py),
and `hrv_metrics(beat_times_s)`, the figures the streaming HRV tracker gives for those beats
(device/signal/hrv.py). Benchmarks and tests use them; the daemon uses the streaming classes."""

from device.signal.hrv import hrv_metrics
from device.signal.pulse import detect_beats

__all__ = ["detect_beats", "hrv_metrics"]
