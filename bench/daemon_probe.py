"""One measured run of the daemon, in a fresh process: `python -m bench.daemon_probe --mode session`.

Started by bench/bench_daemon.py (which reads the JSON line it prints); usable alone. Steps:

1. Imports what `glimmer run` imports (device.cli, device.app), then the simulator, timing each.
2. Builds the device on simulated hardware and runs until the first sensor read returns.
   Start-to-first-read = (process start -> device imported) + (device built -> first read), the
   simulator's import, build and call times taken out. Process start is the parent's monotonic clock
   just before it started this process (GLIMMER_PROBE_T0); on its own the probe uses its own start.
3. Fast-forwards on the simulated clock (session: until the pacer has been running 30 s; idle: 10 s
   with no finger), then switches the clock to real time and measures `--seconds`:
   - process CPU: time.process_time() over the window, all threads;
   - simulator CPU: time.thread_time() around every call into the simulator (the virtual I2C bus and
     chip, the SPI decoder, the simulated person looking at the light, the WAV writer); all of them run
     on the main loop's thread, so thread time is exact for them; the metering's own cost per call
     (calibrated on empty calls at start) is counted with the simulator, not the device;
   - device CPU = process CPU - simulator CPU, as a share of one core over the wall window.
   With paced LED writes (led.paced_writes) the device's writer thread runs too, over a stand-in
   line that takes each write's time on the wire (`_WriterThreadToo`), so its cost is the device's.
4. Peak RSS of the process (resource.getrusage ru_maxrss).

`--world lean` runs the device against the virtual chip with a plain pulse train (sim.max30102's
PulseTrainOptics) instead of the simulated person: that process holds the daemon and only a thin
simulator, so its peak RSS is the daemon's own (plus a few MB). `--world together` runs two simulated
people, each on their own sensor (together mode, issue 13): two pipelines, two HRV trackers and synchrony.
"""

from __future__ import annotations

import os
import time

T_START = float(os.environ.get("GLIMMER_PROBE_T0", time.monotonic()))

import argparse  # noqa: E402  (the timing above must come first)
import json  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

t0 = time.monotonic()
import device.app  # noqa: E402
import device.cli  # noqa: E402  (what `glimmer run` imports)

T_DEVICE_IMPORTED = time.monotonic()
DEVICE_IMPORT_S = T_DEVICE_IMPORTED - t0
SCIPY_IMPORTED_BY_DEVICE = "scipy" in sys.modules  # before the simulator is imported


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


RSS_AFTER_DEVICE_IMPORT_MB = _rss_mb()


class SimMeter:
    """Thread CPU time spent inside wrapped simulator calls, and what the metering itself costs."""

    def __init__(self) -> None:
        self.cpu_s = 0.0
        self.wall_s = 0.0
        self.calls = 0
        self.overhead_s = self._calibrate()

    def _calibrate(self, n: int = 3000) -> float:
        """CPU seconds per metered call spent outside the timed interval (the wrapper's own work)."""
        timed = self.wrap(lambda: None)
        best = float("inf")
        for _ in range(3):
            cpu0, inside0 = time.thread_time(), self.cpu_s
            for _ in range(n):
                timed()
            best = min(best, (time.thread_time() - cpu0 - (self.cpu_s - inside0)) / n)
        self.cpu_s = self.wall_s = 0.0
        self.calls = 0
        return max(best, 0.0)

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            c0, w0 = time.thread_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu_s += time.thread_time() - c0
                self.wall_s += time.perf_counter() - w0
                self.calls += 1

        return timed


class _LineTime:
    """An SpiWriter that takes the time a write takes on the line (at the ring's SPI clock) and nothing else."""

    def writebytes2(self, data: bytes | list[int]) -> None:
        from drivers.led_ring import SPI_SPEED_HZ

        time.sleep(len(data) * 8 / SPI_SPEED_HZ)

    def close(self) -> None:
        return None


class _WriterThreadToo:
    """The simulator's SPI decoder (called here, on the main loop's thread, so that the simulated person
    reads it without a race) plus the device's own writer thread (drivers/spi_stream.py) over a line that
    takes the write's time: the hand-over and the thread's wake-up after each write are the device's cost
    on a Pi, so they are in the device's figure."""

    def __init__(self, sink: Any) -> None:
        from drivers.spi_stream import ThreadedSpiWriter

        self._sink = sink
        self._thread = ThreadedSpiWriter(_LineTime(), name="probe-spi-writer")

    def writebytes2(self, data: bytes | list[int]) -> None:
        self._sink.writebytes2(data)
        self._thread.writebytes2(data)

    def close(self) -> None:
        self._thread.close()
        self._sink.close()


CONFIG_PATH: list[Path | None] = [None]  # the probe's --config (None: the defaults)
WORLD_BUILD = [0.0, 0.0]  # CPU and wall seconds spent building the simulated world (not the daemon's)


def _build(mode: str, world_kind: str, wav: Path, meter: SimMeter) -> tuple[Any, Any]:
    """(device, clock) on simulated hardware, every simulator entry point metered."""
    from device.config import frames_per_write, load_config

    cpu0, wall0 = time.process_time(), time.monotonic()

    config = load_config(CONFIG_PATH[0])
    start_wall = datetime(2026, 1, 1, 12, 0)  # daytime: no night caps, same in every run
    if world_kind in ("person", "together"):
        from sim.world import build_sim_world

        if world_kind == "together":  # two simulated people, each on their own sensor (issue 13)
            config = config.replace("sim", people=2)
        if mode == "idle":  # the latest fingers allowed (A's 1 s before B's); the window ends before them
            late = ({"finger_on_at_s": 3599.0, "partner_finger_on_at_s": 3600.0} if world_kind == "together"
                    else {"finger_on_at_s": 3600.0})
            config = config.replace("sim", **late)
        world = build_sim_world(config, speed=math.inf, wav_path=wav, prefer_speakers=False, start_wall=start_wall)
        hardware, clock, bus, ring, audio = world.hardware, world.clock, world.bus, world.ring, world.audio
    else:
        from device.app import Hardware
        from device.clock import SimClock
        from sim.audio_sink import WavAudioOutput
        from sim.i2c_bus import VirtualI2CBus
        from sim.max30102 import PulseTrainOptics, VirtualMax30102
        from sim.spi_ring import SpiRingSink

        clock = SimClock(speed=math.inf)
        optics = PulseTrainOptics(rate_bpm=66.0, finger_off_s=((0.0, math.inf),) if mode == "idle" else ())
        bus = VirtualI2CBus(config.sensor.i2c_bus)
        bus.attach(config.sensor.i2c_address, VirtualMax30102(optics, clock, seed=1))
        ring = SpiRingSink(clock, order=config.led.color_order, gamma=config.led.gamma)
        audio = WavAudioOutput(wav, config.audio.sample_rate_hz, clock, block_frames=config.audio.frames_per_buffer)
        hardware = Hardware(clock=clock, i2c_bus_factory=bus.open, spi=ring, audio=audio,
                            wall_clock=lambda: start_wall)
    WORLD_BUILD[:] = [time.process_time() - cpu0, time.monotonic() - wall0]
    buses = [bus]
    if world_kind == "together" and world.sensors is not None:  # sensor B's bus is the simulator's too
        buses = list({id(b): b for b in world.sensors.buses.values()}.values())
    for each in buses:
        each.transfer = meter.wrap(each.transfer)  # type: ignore[method-assign]
    ring.writebytes2 = meter.wrap(ring.writebytes2)  # type: ignore[method-assign]
    if frames_per_write(config) > 1:
        hardware.spi = _WriterThreadToo(ring)
    audio._write = meter.wrap(audio._write)  # type: ignore[attr-defined]
    hardware.on_frame[:] = [meter.wrap(hook) for hook in hardware.on_frame]
    return device.app.build_device(config, hardware), clock


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("idle", "session"), default="session")
    parser.add_argument("--world", choices=("person", "lean", "together"), default="person",
                        help="the simulated person, a thin pulse train, or two people in a together session")
    parser.add_argument("--seconds", type=float, default=20.0, help="real-time window measured (default 20)")
    parser.add_argument("--config", type=Path, default=None,
                        help="a config file (TOML, as `glimmer run -c` takes) instead of the defaults")
    args = parser.parse_args(argv)
    CONFIG_PATH[0] = args.config

    meter = SimMeter()
    t_sim0, cpu_sim0 = time.monotonic(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "probe.wav"
        if args.world in ("person", "together"):
            import sim.world
        else:
            import sim.audio_sink
            import sim.max30102
            import sim.spi_ring  # noqa: F401
        sim_import_s = time.monotonic() - t_sim0
        sim_import_cpu_s = time.process_time() - cpu_sim0
        t_build0 = time.monotonic()
        sim_before, sim_cpu_before = meter.wall_s, meter.cpu_s
        glimmer, clock = _build(args.mode, args.world, wav, meter)
        first_read: list[float] = []
        poll = glimmer.sensor.poll

        def first_poll() -> Any:
            reading = poll()
            if not first_read:
                first_read.extend([time.monotonic(), time.process_time()])
            return reading

        glimmer.sensor.poll = first_poll  # type: ignore[method-assign]
        glimmer.run(until_s=0.0)  # the sensor task is due at once
        glimmer.sensor.poll = poll  # type: ignore[method-assign]
        if not first_read:
            raise RuntimeError("no sensor read at t = 0")
        # Building the simulated world is the simulator's: time from the device's own build on.
        build_to_read_s = first_read[0] - t_build0 - (meter.wall_s - sim_before) - WORLD_BUILD[1]
        start_to_first_read_s = (T_DEVICE_IMPORTED - T_START) + build_to_read_s
        # The same in CPU seconds of this process (its share of a busy machine does not enter), less
        # the simulator's import and the CPU of building the simulated world (build_sim_world) and its calls.
        start_cpu_s = first_read[1] - sim_import_cpu_s - (meter.cpu_s - sim_cpu_before) - WORLD_BUILD[0]

        # Fast-forward on the simulated clock to the state measured.
        t_s = 0.0
        if args.mode == "session":
            paced_since: float | None = None
            while t_s < 300.0:
                t_s += 1.0
                glimmer.run(until_s=t_s)
                if glimmer.session.phase.value == "pacing":
                    paced_since = t_s if paced_since is None else paced_since
                    if t_s - paced_since >= 30.0:
                        break
            if paced_since is None:
                raise RuntimeError("the simulated session never reached pacing")
        else:
            t_s = 10.0
            glimmer.run(until_s=t_s)

        counts0 = _counts(glimmer, clock)
        clock.speed = 1.0
        sim_cpu0, calls0 = meter.cpu_s, meter.calls
        cpu0, wall0 = time.process_time(), time.monotonic()
        glimmer.run(until_s=t_s + args.seconds)
        cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
        # The simulator's calls, and the metering around them (calibrated on empty calls).
        sim_cpu_s = meter.cpu_s - sim_cpu0 + (meter.calls - calls0) * meter.overhead_s
        counts1 = _counts(glimmer, clock)
        phase = glimmer.session.phase.value
        together = bool(getattr(glimmer.session, "together", False))
        glimmer.close()
    result = {
        "mode": args.mode,
        "world": args.world,
        "phase_at_end": phase,
        "together_at_end": together,
        "window_wall_s": round(wall_s, 3),
        "process_cpu_pct": round(100.0 * cpu_s / wall_s, 3),
        "sim_cpu_pct": round(100.0 * sim_cpu_s / wall_s, 3),
        "meter_overhead_us_per_call": round(1e6 * meter.overhead_s, 2),
        "device_cpu_pct": round(100.0 * (cpu_s - sim_cpu_s) / wall_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "rss_after_device_import_mb": round(RSS_AFTER_DEVICE_IMPORT_MB, 1),
        "device_import_s": round(DEVICE_IMPORT_S, 3),
        "sim_import_s": round(sim_import_s, 3),
        "start_to_first_read_s": round(start_to_first_read_s, 3),
        "start_to_first_read_cpu_s": round(start_cpu_s, 3),
        "scipy_imported_by_device": SCIPY_IMPORTED_BY_DEVICE,
        "per_s": {k: round((counts1[k] - counts0[k]) / wall_s, 2) for k in counts0},
    }
    print(json.dumps(result))
    return result


def _counts(glimmer: Any, clock: Any) -> dict[str, float]:
    frames = getattr(glimmer.led, "frames_written", None)
    out: dict[str, float] = {"sim_s": clock.now_s(), "frames_shown": glimmer.frames_shown}
    if frames is not None:
        out["frames_written"] = frames
    waking = getattr(glimmer, "wakeups", None)
    if waking is not None:
        out["wakeups"] = waking
    return out


if __name__ == "__main__":
    main()
