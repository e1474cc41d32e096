"""One fingertip's way in: a pulse sensor, its pipeline and HRV tracker, and when its figures are withheld.

The device has one channel per sensor: sensor A (the active person's) always, sensor B (the partner's,
together mode, docs/together.md) when `Hardware.second_i2c_bus_factory` is set. Each channel is read on
the main loop and never raises for a sensor fault: a lost chip shows in `reading.status` and withholds
that channel's figures (SENSOR_LOST) while the other channel goes on (issue 13).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

import numpy as np

from device.signal.hrv import MOTION, HrvMetrics, HrvTracker
from device.signal.pulse import Beat, PulsePipeline
from drivers.pulse_sensor import PulseSensor, SensorReading

log = logging.getLogger(__name__)

# Figures rest on beats; with no new beat for this long they are withheld as stale, whatever else the
# device believes (the slowest heart we read, 30/min, beats every 2 s; beats are reported up to ~1.5 s
# late; a bridged glitch of up to 2.5 s costs the beats it touches).
STALE_AFTER_S = 5.0
NO_FINGER = "no_finger"
# Something is on the sensor (its DC level says so) but the pipeline finds no pulse in it: a finger whose
# pulse has not been found yet (the first few seconds), a rhythm too irregular to lock on, motion, or no
# finger at all (a knuckle, a sleeve). Not `no_finger`: the sensor is covered, and moving or re-placing
# the finger is what helps.
NO_PULSE = "no_pulse"
SENSOR_LOST = "sensor_lost"
SETTLING = "settling"
NO_RECENT_BEATS = "no_recent_beats"
# Longest the session's steps use HRV figures held from before new beats: the figures are recomputed for
# each publication (metrics.period_s, 5 s by default) and the session's 1 s steps reuse them in between, so
# the whole window's artifact correction runs once per publication instead of twice. Whether the figures
# are still current is judged on the newest beat received, not on the newest beat they rest on.
HRV_REFRESH_S = 5.0


class SensorChannel:
    """A PulseSensor with its PulsePipeline and HrvTracker.

    `read()` polls the sensor and feeds the pipeline (returns the new beats on the monotonic clock);
    `current_metrics(now_s, settling)` gives the tracker's figures or withholds them with a reason."""

    def __init__(self, name: str, sensor: PulseSensor, fs_hz: float) -> None:
        self.name = name
        self.sensor = sensor
        self.pipeline = PulsePipeline(fs_hz)
        self.hrv = HrvTracker()
        self.reading: SensorReading | None = None
        self.finger_on = False
        self.quality = 0.0
        self._pipeline_idle = True
        self._hrv_raw: HrvMetrics = self.hrv.metrics()
        self._hrv_stale = False
        self._hrv_at_s = -math.inf

    @property
    def no_finger(self) -> bool:
        """The sensor's DC level says no finger and the pipeline agrees (the idle read period applies)."""
        reading = self.reading
        return reading is not None and reading.finger_on_dc is False and not self.finger_on

    def read(self) -> list[Beat]:
        """Poll the sensor once and feed the pipeline; returns the new beats (times on the monotonic clock).
        Never raises for a sensor fault (the supervisor says "lost" in `reading`)."""
        reading = self.sensor.poll()
        self.reading = reading
        if reading.discontinuity:  # the pipeline bridges the index jump, or restarts when it is too long
            log.debug("sensor %s restarted; its samples go on at index %s", self.name,
                      None if reading.block is None else reading.block.first_index)
        block = reading.block
        fs_hz = self.pipeline.fs_hz
        stamped: list[Beat] = []
        if block is not None and len(block.ir) and reading.finger_on_dc is False:
            # The sensor sees no finger: the pipeline would say so and report no beat (dc_ok=False);
            # it starts afresh on the finger's first samples instead of filtering an empty sensor.
            if not self._pipeline_idle:
                self.pipeline.reset()
                self._pipeline_idle = True
            self.finger_on = False
            self.quality = 0.0
        elif block is not None and len(block.ir):
            self._pipeline_idle = False
            # Counts per mA of LED current follow the tissue, not the AGC, so a current change leaves
            # no step for the filters to ring on. The counts dip on each pulse; the pipeline wants
            # systolic peaks up, hence the sign.
            ppg = -np.asarray(block.ir, dtype=float) / block.ir_current_ma
            update = self.pipeline.push(ppg, block.first_index, dc_ok=reading.finger_on_dc)
            # The pipeline times beats by sample index / nominal rate; the HRV tracker gets them on
            # the monotonic clock, through the sample rate measured against it.
            clock = self.sensor.sample_clock
            for start_s, end_s in update.gaps:
                self.hrv.add_gap(clock.time_of(start_s * fs_hz), clock.time_of(end_s * fs_hz))
                self._hrv_stale = True
            for start_s, end_s in update.motion:  # a moving hand (device/signal/pulse_motion.py)
                self.hrv.add_motion(clock.time_of(start_s * fs_hz), clock.time_of(end_s * fs_hz))
                self._hrv_stale = True
            if update.beats:
                stamped = [replace(b, t_s=clock.time_of(b.t_s * fs_hz)) for b in update.beats]
                self.hrv.add_beats(stamped)
                self._hrv_stale = True
            self.finger_on = update.finger_on
            self.quality = update.quality
        elif reading.status != "ok":
            self.finger_on = False
            self.quality = 0.0
        return stamped

    @property
    def figures_at_s(self) -> float:
        """When the tracker's figures were last recomputed (-inf: never)."""
        return self._hrv_at_s

    def reset_hrv(self) -> None:
        """Forget the beats (nothing of this finger's carries over into what comes next)."""
        self.hrv.reset()
        self._hrv_stale = True

    def current_metrics(self, now_s: float, settling: bool, publishing: bool = True) -> HrvMetrics:
        """The HRV tracker's figures, withheld (with the reason) when the signal behind them is gone:
        sensor lost, no finger, still settling (`settling`: the session settles), or no beat for
        STALE_AFTER_S."""
        metrics = self._hrv_metrics(now_s, publishing)
        reading = self.reading
        if reading is None or reading.status != "ok":
            return metrics.withheld(SENSOR_LOST if reading is not None and reading.status == "lost" else SETTLING)
        if not self.finger_on:
            # the pulse was lost while the hand moved and the sensor still sees a finger: say so
            if self.hrv.moving and reading.finger_on_dc is not False:
                return metrics.withheld(MOTION)
            return metrics.withheld(NO_PULSE if reading.finger_on_dc else NO_FINGER)
        if metrics.n_beats == 0 or (metrics.hr_reason is not None and settling):
            return metrics.withheld(SETTLING)
        if now_s - max(metrics.t_s, self.hrv.newest_beat_s) > STALE_AFTER_S:
            return metrics.withheld(NO_RECENT_BEATS)
        return metrics

    def _hrv_metrics(self, now_s: float, publishing: bool) -> HrvMetrics:
        """The HRV tracker's figures, recomputed only when beats have arrived (or gone) since the last
        time, and then for every publication but at most every HRV_REFRESH_S for the session's own
        steps: they change only with beats, and the whole window's artifact correction is the costly
        part. Staleness is judged on the newest beat received (`current_metrics`), so a held figure is not
        judged stale while beats go on arriving."""
        if self._hrv_stale and (publishing or now_s - self._hrv_at_s >= HRV_REFRESH_S):
            self._hrv_raw = self.hrv.metrics()
            self._hrv_stale = False
            self._hrv_at_s = now_s
        return self._hrv_raw

    def close(self) -> None:
        self.sensor.close()
