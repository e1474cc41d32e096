"""Paced LED writes (SpiLedRing.show_paced): several frames in one SPI write, spaced by the SPI clock.

Checked against the one-frame-a-write path through the simulator's pulse-level decoder: the same frames
at the same times, whatever the ring, frame rate or spidev block size."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from device.clock import SimClock
from device.errors import InputError
from drivers.led_ring import SpiLedRing, frame_slot_bytes, paced_offsets
from drivers.spi_stream import ThreadedSpiWriter, spidev_block_bytes
from sim.spi_ring import SpiRingSink


def _breathing_frames(m: int, n_leds: int, seed: int) -> np.ndarray:
    """(m, n_leds, 3) slowly changing dim levels (dithered), with runs of repeated frames."""
    rng = np.random.default_rng(seed)
    t = np.arange(m)[:, None, None]
    base = 0.05 + 0.3 * (0.5 + 0.5 * np.sin(2 * np.pi * t / 200.0)) * rng.uniform(0.5, 1.0, (1, n_leds, 3))
    frames = np.repeat(base, 1, axis=0)
    frames[m // 3: m // 3 + 12] = 1.0  # held at full drive (no dither): repeated frames are low slots
    return frames


def _shown(sink: SpiRingSink) -> list[tuple[float, bytes]]:
    return [(round(t, 6), rgb.tobytes()) for t, rgb in sink.frames]


@pytest.mark.parametrize("n_leds, rate_hz, per_write, block", [
    (16, 50.0, 5, None), (16, 50.0, 5, 4096), (24, 50.0, 10, 4096), (64, 100.0, 7, 4096),
    (1, 10.0, 3, 4096), (12, 25.0, 25, 65535), (64, 50.0, 5, 1024)])
def test_paced_writes_show_the_frames_one_a_write_shows_at_the_same_times(
        n_leds: int, rate_hz: float, per_write: int, block: int | None) -> None:
    period_s = 1.0 / rate_hz
    frames = _breathing_frames(10 * per_write, n_leds, seed=n_leds)
    clocks = SimClock(), SimClock()
    one, paced = SpiRingSink(clocks[0], keep_frames=10**4), SpiRingSink(clocks[1], keep_frames=10**4)
    ring_one = SpiLedRing(one, n_leds)
    ring_paced = SpiLedRing(paced, n_leds, block_bytes=block)
    stop = threading.Event()
    for k in range(len(frames)):
        clocks[0].wait_until(k * period_s, stop)
        ring_one.show(frames[k])
    for k0 in range(0, len(frames), per_write):
        clocks[1].wait_until(k0 * period_s, stop)
        encoded = ring_paced.encode_ahead(frames[k0:k0 + per_write])
        ring_paced.show_paced(encoded, 0, len(encoded), period_s)
    a, b = _shown(one), _shown(paced)
    assert [rgb for _, rgb in a] == [rgb for _, rgb in b]  # the same frames (dither included), none extra
    packet_s = (12 * n_leds + 121) * 8 / 3_206_000  # a frame moved to a block's start is this late at most
    for (t_one, _), (t_paced, _) in zip(a, b, strict=True):
        assert t_one <= t_paced <= t_one + (packet_s if block else 1e-6)
    assert ring_paced.frames_written == ring_one.frames_written
    assert ring_paced.frames_unchanged == ring_one.frames_unchanged > 0
    assert paced.byte_count < 10 * per_write * frame_slot_bytes(period_s)


@pytest.mark.parametrize("block", [512, 1000, 4096])
@pytest.mark.parametrize("length", [133, 889, 500])
def test_no_frame_straddles_a_spidev_block(block: int, length: int) -> None:
    """spidev sends a long write in blocks with a pause between them; a pause inside a frame's data
    could latch half of it, so every frame lies inside one block (when it fits in one)."""
    slots = list(range(40))
    offsets = paced_offsets([length] * 40, slots, frame_slot_bytes(0.02), block)
    for start in offsets:
        if length <= block:
            assert start // block == (start + length - 1) // block
    assert all(b >= a + length for a, b in itertools.pairwise(offsets))  # in order, no overlap
    assert all(0 <= start - slot * 8015 < length for start, slot in zip(offsets, slots, strict=True))


def test_a_write_with_nothing_new_is_not_made() -> None:
    clock = SimClock()
    sink = SpiRingSink(clock)
    ring = SpiLedRing(sink, 8)
    still = np.full((5, 8, 3), 1.0)  # full drive, a whole step: the same drive every frame (no dither)
    ring.show_paced(ring.encode_ahead(still), 0, 5, 0.02)
    assert sink.frame_count == 1 and sink.byte_count == 8 * 12 + 121  # one frame, then nothing (held low)
    ring.show_paced(ring.encode_ahead(still), 0, 5, 0.02)
    assert sink.frame_count == 1 and ring.frames_unchanged == 9
    with pytest.raises(InputError):
        ring.show_paced(ring.encode_ahead(still), 3, 3, 0.02)


def test_a_write_after_a_paced_one_waits_for_the_line() -> None:
    """The bus sends one write after the other: a frame written while a paced write is still on the
    line (the ring turned off at shutdown) shows after it, and the sink says so."""
    clock = SimClock()
    sink = SpiRingSink(clock)
    ring = SpiLedRing(sink, 8)
    frames = np.linspace(0.2, 0.8, 5)[:, None, None] * np.ones((5, 8, 3))
    ring.show_paced(ring.encode_ahead(frames), 0, 5, 0.02)
    ring.off()
    assert sink.frames[-1][0] >= 0.08 and not sink.frames[-1][1].any()
    latest = sink.latest()
    assert latest is not None and latest.any()  # at the clock's now the first frame is on
    sink.close()
    latest = sink.latest()
    assert latest is not None and not latest.any()  # left dark


class _SlowSpi:
    """An SpiWriter that blocks in each write until the test lets it go; records what it wrote."""

    def __init__(self, fail_on: int = -1) -> None:
        self.written: list[bytes] = []
        self.go = threading.Semaphore(0)
        self.entered = threading.Semaphore(0)
        self.fail_on = fail_on
        self.closed = False

    def writebytes2(self, data: bytes | list[int]) -> None:
        self.entered.release()
        assert self.go.acquire(timeout=5)
        if len(self.written) == self.fail_on:
            self.written.append(b"")
            raise OSError(121, "Remote I/O error")
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closed = True


def test_the_writer_thread_keeps_order_and_the_newest_waiting_write() -> None:
    inner = _SlowSpi()
    writer = ThreadedSpiWriter(inner)
    writer.writebytes2(b"\x01")
    assert inner.entered.acquire(timeout=5)  # the first write is on the line; the caller did not wait
    writer.writebytes2(b"\x02")
    writer.writebytes2(b"\x03")  # replaces the waiting \x02: newer frames for later times
    for _ in range(2):
        inner.go.release()
    assert writer.flush(timeout_s=5)
    assert inner.written == [b"\x01", b"\x03"] and writer.superseded == 1
    writer.close()
    assert inner.closed


def test_a_failed_write_is_raised_at_the_next_one_and_nothing_hangs() -> None:
    inner = _SlowSpi(fail_on=0)
    writer = ThreadedSpiWriter(inner)
    writer.writebytes2(b"\x01")
    inner.go.release()
    assert writer.flush(timeout_s=5)
    with pytest.raises(OSError, match="Remote I/O"):
        writer.writebytes2(b"\x02")
    inner.go.release()
    writer.writebytes2(b"\x03")  # the error was reported once; the writer goes on
    assert writer.flush(timeout_s=5)
    writer.close()
    assert inner.written == [b"", b"\x03"]
    with pytest.raises(OSError):
        writer.writebytes2(b"\x04")


def test_spidev_block_size_is_read_as_py_spidev_reads_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bufsiz"
    assert spidev_block_bytes(path) == 4096  # unreadable: spidev's default
    for text, expected in (("65536\n", 65535), ("8192", 8192), ("0", 4096), ("lots", 4096)):
        path.write_text(text)
        assert spidev_block_bytes(path) == expected


@pytest.mark.parametrize("seed", range(6))
def test_the_decoder_finds_each_frame_of_a_write_wherever_it_lies(seed: int) -> None:
    """Frames at any offsets in one write, with lows of any length that latches (down to the shortest reset
    of a supported part, not aligned to anything): each is read at its own offset, as sent."""
    rng = np.random.default_rng(seed)
    clock = SimClock()
    sink = SpiRingSink(clock)
    ring = SpiLedRing(SpiRingSink(clock), 8)
    packets = [ring.encode(rng.uniform(0.0, 1.0, (8, 3))) for _ in range(6)]
    payload, offsets = b"", []
    for packet in packets:
        payload += bytes(int(rng.integers(0, 3)) * int(rng.integers(0, 40)))  # maybe a low before it
        offsets.append(len(payload))
        payload += packet + bytes(int(rng.integers(0, 2000)))  # its latch, and maybe a longer low
    sink.writebytes2(payload)
    assert [round(t * 3_206_000 / 8) for t, _ in sink.frames] == offsets
    for (_, rgb), packet in zip(sink.frames, packets, strict=True):
        decoded = SpiRingSink(clock)
        decoded.writebytes2(packet)
        assert np.array_equal(rgb, decoded.frames[-1][1])
