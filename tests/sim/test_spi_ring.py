"""The SPI ring sink decodes what a WS2812 chain would show, stamps it, and refuses garbage."""

from __future__ import annotations

import numpy as np
import pytest

from device.clock import SimClock
from device.errors import InputError
from drivers.led_ring import LATCH_BYTES, SpiLedRing, encode_ws2812
from sim.spi_ring import SpiRingSink, decode_ws2812, pulse_lengths_ns, timing_problems


def test_decoding_tolerates_latch_bytes_on_either_side() -> None:
    pixels = np.array([[10, 200, 30], [0, 0, 255]], dtype=np.uint8)
    data = encode_ws2812(pixels, "GRB")
    assert np.array_equal(decode_ws2812(bytes(LATCH_BYTES) + data, "GRB"), pixels)
    assert decode_ws2812(bytes(50), "GRB").shape == (0, 3)


def test_malformed_bit_cells_raise_when_strict_and_are_counted_otherwise() -> None:
    data = bytearray(encode_ws2812(np.full((4, 3), 99, dtype=np.uint8)))
    data[5] = 0xE8  # a 936 ns high pulse: too long for a 0, too long for an SK6812 1
    with pytest.raises(InputError, match="timing windows"):
        decode_ws2812(bytes(data))
    strict = SpiRingSink(SimClock())
    with pytest.raises(InputError):
        strict.writebytes2(bytes(data))
    lenient = SpiRingSink(SimClock(), strict=False)
    lenient.writebytes2(bytes(data))
    lenient.writebytes2(list(encode_ws2812(np.zeros((4, 3), dtype=np.uint8))))
    assert lenient.malformed_count == 1 and lenient.frame_count == 1 and len(lenient.frames) == 1


def test_truncated_frames_and_data_after_the_latch_are_malformed() -> None:
    data = encode_ws2812(np.full((3, 3), 7, dtype=np.uint8))
    body = data[: len(data) - LATCH_BYTES]
    with pytest.raises(InputError, match="whole number"):
        decode_ws2812(body[:-3])
    with pytest.raises(InputError):
        decode_ws2812(data + body)  # a second frame glued on after the latch


def test_frames_are_stamped_with_the_clock_and_bounded() -> None:
    clock = SimClock()
    sink = SpiRingSink(clock, keep_frames=5)
    ring = SpiLedRing(sink, 6)
    for k in range(12):
        clock.advance_to(k * 0.02)
        ring.show(np.full((6, 3), k / 11))
    assert sink.frame_count == 12 and len(sink.frames) == 5
    assert [t for t, _ in sink.frames] == pytest.approx([0.14, 0.16, 0.18, 0.20, 0.22])
    times_s, levels = sink.brightness_series()
    assert np.all(np.diff(levels) > 0) and times_s[-1] == pytest.approx(0.22)
    assert sink.byte_count == 12 * (6 * 3 * 4 + LATCH_BYTES)


def test_mean_brightness_undoes_gamma_to_give_the_perceived_level() -> None:
    clock = SimClock()
    sink = SpiRingSink(clock, gamma=2.5)
    assert sink.mean_brightness() == 0.0 and sink.latest() is None
    SpiLedRing(sink, 10, gamma=2.5).show(np.full((10, 3), 0.5))
    assert sink.mean_brightness() == pytest.approx(0.5, abs=0.01)
    assert sink.mean_brightness(perceived=False) == pytest.approx(0.5**2.5, abs=0.01)


def test_rgbw_white_is_seen_in_every_channel() -> None:
    rgbw = np.array([[10, 20, 30, 100]], dtype=np.uint8)
    decoded = decode_ws2812(encode_ws2812(rgbw, "GRBW"), "GRBW")
    assert decoded.tolist() == [[110, 120, 130]]


@pytest.mark.parametrize("spi_hz", [250e6 / 78, 500e6 / 158, 200e6 / 64, 3.3e6])
def test_every_pulse_sits_inside_the_ws2812b_v5_and_sk6812_windows_with_margin(spi_hz: float) -> None:
    """At the SPI clocks a Pi really makes (core 250 MHz / 78 on a Pi 3 or Zero 2 W with core_freq=250,
    500 / 158 on a Pi 4 if the divider rounds up, the Pi 5's 200 / 64) and a little beyond, every
    pulse of every byte value stays 3 % inside every part's window, and the latch is long enough."""
    values = np.arange(256, dtype=np.uint8)
    data = encode_ws2812(np.stack([values, values[::-1], np.roll(values, 85)], axis=1))
    highs, lows = pulse_lengths_ns(data, spi_hz)
    assert highs.size == 256 * 24
    assert timing_problems(highs, lows, margin=0.03) == []
    assert lows[-1] >= 280_000


def test_the_old_three_bit_code_is_refused_as_outside_the_v5_windows() -> None:
    """The 2.4 MHz '100'/'110' code gives 417 ns for a 0's high: over the WS2812B-V5's 380 ns."""
    bits = "".join("110" if b else "100" for b in [1, 0, 1, 1, 0, 0, 1, 0] * 3) + "0" * 800
    data = int(bits, 2).to_bytes(len(bits) // 8, "big")
    problems = timing_problems(*pulse_lengths_ns(data, 2.4e6))
    assert any("WS2812B-V5 T0H" in p for p in problems)
    with pytest.raises(InputError, match="timing"):
        decode_ws2812(data, "GRB", spi_hz=2.4e6)


@pytest.mark.parametrize("order", ["GRB", "RGB"])
def test_frames_between_timing_checks_read_as_their_pulses_do(order: str) -> None:
    """Between the timing-checked frames the sink reads a frame by groups of 32 SPI bits learnt from
    checked frames; every frame so read equals its pulse-by-pulse decoding, and a frame with a group
    never seen (or another length) is decoded from its pulses."""
    clock = SimClock()
    sink = SpiRingSink(clock, order=order, keep_frames=10**4)
    ring = SpiLedRing(sink, 16, order=order)
    sent: list[bytes] = []
    write = sink.writebytes2

    def keep(data: bytes | list[int]) -> None:
        sent.append(bytes(data))
        write(data)

    sink.writebytes2 = keep  # type: ignore[method-assign]
    rng = np.random.default_rng(7)
    for _ in range(600):
        ring.show(rng.uniform(0.0, 1.0, (16, 3)))
    assert len(sent) == len(sink.frames) == 600
    for (_, rgb), data in zip(sink.frames, sent, strict=True):
        assert np.array_equal(rgb, decode_ws2812(data, order))
    assert sink._known_groups  # the fast reading was used
    odd = bytes([0b10001000] * 4 * 3 * 15) + bytes(200)  # 15 LEDs: another length, decoded from pulses
    sink.writebytes2(odd)
    assert sink.frames[-1][1].shape == (15, 3)
