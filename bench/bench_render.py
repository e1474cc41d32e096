"""CPU cost of the LED and audio work at real time: `python -m bench.bench_render`.

Renders `--seconds` of simulated time as fast as possible, measuring process CPU time:
- LED: frames at `--fps` frames/s, gamma + WS2812 SPI encoding through SpiLedRing into a writer
  that drops the bytes, two ways: as the main loop does it on the device (FRAME_BATCH frames rendered
  and encoded at once with `led_frames` and `SpiLedRing.encode_ahead`, then written five to a paced write,
  `SpiLedRing.show_paced`, minus the SPI ioctl), and frame by frame (`led_frame` and `SpiLedRing.show`);
- audio: hum_block at `--rate` Hz in blocks of `--block` frames (what the PortAudio callback does).
Prints the share of one core each takes at real time: cpu_s / simulated_s x 100 %.
The pacer glides and the sparkle is on, so every branch of the renderers is exercised. `--two-people`
renders together mode's look instead (two halves in two people's colours, synchrony 0.8, shared glimmer).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from device.app import FRAME_BATCH
from drivers.led_ring import SpiLedRing
from patterns.hum import hum_block
from patterns.led import led_frame, led_frames
from patterns.state import Fade, PacerSnapshot, PatternState, TogetherLook


class DropWriter:
    """An SPI writer that discards the bytes (counts them, so the work cannot be optimised away)."""

    def __init__(self) -> None:
        self.byte_count = 0

    def writebytes2(self, data: bytes | list[int]) -> None:
        self.byte_count += len(data)

    def close(self) -> None:
        return None


def bench_state() -> PatternState:
    """A busy state: gliding pacer, coherent colour, sparkle, hum and cues on, full level."""
    pacer = PacerSnapshot(t0_s=0.0, phase0_cycles=0.0, rate0_bpm=12.0, target_bpm=6.0, slope_bpm_per_s=1 / 60)
    return PatternState(pacer=pacer, fade=Fade(0.0, 1.0, 1.0, 0.0), coherence=2.0, glimmer=True)


def bench_state_two_people() -> PatternState:
    """The busy state with together mode's look: two people's halves drawing together, shared glimmer."""
    look = TogetherLook(colour_a=(1.0, 0.62, 0.25), colour_b=(0.25, 0.75, 0.5), coherence_a=2.0, coherence_b=1.0,
                        synchrony=0.8, glimmer=True)
    return replace(bench_state(), together=look)


def _cpu_s(work: Callable[[], None]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def led_cpu_s(state: PatternState, seconds: float, fps: float, n_leds: int) -> float:
    """CPU seconds to render and encode `seconds` of LED frames at `fps`."""
    ring = SpiLedRing(DropWriter(), n_leds, gamma=2.2, brightness_limit=0.6)
    times_s = np.arange(0.0, seconds, 1.0 / fps).tolist()

    def work() -> None:
        for t_s in times_s:
            ring.show(led_frame(t_s, state, n_leds))

    return _cpu_s(work)


def led_batched_cpu_s(state: PatternState, seconds: float, fps: float, n_leds: int, per_write: int = 5) -> float:
    """CPU seconds for the same frames as the daemon renders them: FRAME_BATCH at a time, sent
    `per_write` frames to a paced write (`SpiLedRing.show_paced`; 1: one write a frame)."""
    ring = SpiLedRing(DropWriter(), n_leds, gamma=2.2, brightness_limit=0.6)
    times_s = np.arange(0.0, seconds, 1.0 / fps)
    batches = [times_s[k:k + FRAME_BATCH] for k in range(0, len(times_s), FRAME_BATCH)]

    def work() -> None:
        for times in batches:
            encoded = ring.encode_ahead(led_frames(times, state, n_leds))
            for k in range(0, len(encoded), per_write):
                if per_write == 1:
                    ring.show_encoded(encoded, k)
                else:
                    ring.show_paced(encoded, k, min(k + per_write, len(encoded)), 1.0 / fps)

    return _cpu_s(work)


def audio_cpu_s(state: PatternState, seconds: float, rate_hz: int, block: int) -> float:
    """CPU seconds to synthesise `seconds` of hum at `rate_hz` in blocks of `block` frames."""
    n_blocks = int(seconds * rate_hz) // block

    def work() -> None:
        for k in range(n_blocks):
            hum_block(k * block / rate_hz, block, rate_hz, state)

    return _cpu_s(work)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="simulated seconds to render")
    parser.add_argument("--fps", type=float, default=50.0, help="LED frames per second")
    parser.add_argument("--leds", type=int, default=24, help="LEDs on the ring")
    parser.add_argument("--rate", type=int, default=22050, help="audio sample rate, Hz")
    parser.add_argument("--block", type=int, default=2048, help="audio frames per block")
    parser.add_argument("--two-people", action="store_true", help="together mode's look (two halves)")
    args = parser.parse_args(argv)
    state = bench_state_two_people() if args.two_people else bench_state()
    led_frame(0.0, state, args.leds)  # warm the caches (geometry, palette, wavetable)
    hum_block(0.0, args.block, args.rate, state)
    led_s = led_batched_cpu_s(state, args.seconds, args.fps, args.leds)
    single_s = led_cpu_s(state, args.seconds, args.fps, args.leds)
    audio_s = audio_cpu_s(state, args.seconds, args.rate, args.block)
    n_frames = int(args.seconds * args.fps)
    print(f"simulated {args.seconds:.0f} s ({'two people' if args.two_people else 'one person'}): "
          f"{args.leds} LEDs at {args.fps:.0f} frames/s, "
          f"hum at {args.rate} Hz in blocks of {args.block}")
    print(f"LED   (frame + SPI encode): {led_s / n_frames * 1e6:7.1f} us/frame  "
          f"{led_s / args.seconds * 100:6.3f} % of one core, in batches of {FRAME_BATCH} as the daemon does")
    print(f"      (frame by frame)    : {single_s / n_frames * 1e6:7.1f} us/frame  "
          f"{single_s / args.seconds * 100:6.3f} % of one core")
    print(f"audio (hum + cues)        : {audio_s / (args.seconds * args.rate) * 1e9:7.1f} ns/sample "
          f"{audio_s / args.seconds * 100:6.3f} % of one core")
    print(f"together                  : {(led_s + audio_s) / args.seconds * 100:6.3f} % of one core "
          "(goal: under 1 %)")


if __name__ == "__main__":
    main()
