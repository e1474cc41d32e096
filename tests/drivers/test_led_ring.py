"""LED ring driver: WS2812 SPI bit encoding, gamma and limits, the ring's lifecycle, and the PWM LED."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from device.clock import SimClock
from device.errors import OutputError
from drivers.led_ring import (
    LATCH_BYTES,
    SPI_SPEED_HZ,
    PwmLed,
    SpiLedRing,
    encode_ws2812,
    extract_white,
    frame_to_drive,
    gamma_table,
    open_spidev,
)
from sim.spi_ring import SpiRingSink, decode_ws2812


def _reference_encoding(pixels: np.ndarray, order: str) -> bytes:
    """Independent, slow encoder: each data bit as the text '1000' or '1100', MSB first."""
    columns = ["RGBW".index(c) for c in order]
    bits = "".join(
        "1100" if (int(pixel[c]) >> shift) & 1 else "1000"
        for pixel in pixels
        for c in columns
        for shift in range(7, -1, -1)
    )
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


@pytest.mark.parametrize("order", ["GRB", "RGB", "GRBW"])
def test_encoding_matches_the_ws2812_bit_patterns(order: str) -> None:
    pixels = np.random.default_rng(7).integers(0, 256, size=(12, len(order)), dtype=np.uint8)
    data = encode_ws2812(pixels, order)
    body = data[: len(data) - LATCH_BYTES]
    assert body == _reference_encoding(pixels, order)
    assert len(body) == 12 * len(order) * 4


def test_latch_holds_the_line_low_long_enough_for_ws2812b_and_sk6812() -> None:
    data = encode_ws2812(np.full((24, 3), 255, dtype=np.uint8))
    trailing_zero_bytes = len(data) - len(data.rstrip(b"\0"))
    low_s = trailing_zero_bytes * 8 / SPI_SPEED_HZ
    assert low_s >= 280e-6  # WS2812B V5 reset; SK6812 needs only 80 us


def test_encoding_rejects_wrong_shapes_and_orders() -> None:
    with pytest.raises(ValueError):
        encode_ws2812(np.zeros((4, 3), dtype=np.uint8), "GRBW")
    with pytest.raises(ValueError):
        encode_ws2812(np.zeros((4, 3), dtype=float), "GRB")
    with pytest.raises(ValueError):
        encode_ws2812(np.zeros((4, 3), dtype=np.uint8), "BGR")


@pytest.mark.parametrize("gamma", [1.0, 2.2, 2.8])
def test_gamma_table_is_monotone_and_limited(gamma: float) -> None:
    table = gamma_table(gamma, brightness_limit=0.6)
    assert table[0] == 0 and table[-1] == round(255 * 0.6)
    assert np.all(np.diff(table.astype(int)) >= 0)
    half = frame_to_drive(np.array([[0.5, 0.5, 0.5]]), table)
    assert int(half[0, 0]) == pytest.approx(255 * 0.6 * 0.5**gamma, abs=1)
    with pytest.raises(ValueError):
        gamma_table(0.5, 1.0)
    with pytest.raises(ValueError):
        gamma_table(2.2, 1.5)


def test_out_of_range_and_non_finite_levels_are_clamped() -> None:
    table = gamma_table(2.2, 1.0)
    drive = frame_to_drive(np.array([[-0.5, 1.7, np.nan], [np.inf, -np.inf, 1.0]]), table)
    assert drive.tolist() == [[0, 255, 0], [255, 0, 255]]


def test_white_extraction_moves_the_common_part_to_the_white_led() -> None:
    rgbw = extract_white(np.array([[200, 150, 100], [255, 120, 0]], dtype=np.uint8))
    assert rgbw.tolist() == [[100, 50, 0, 100], [255, 120, 0, 0]]  # no blue -> white LED stays dark


@pytest.mark.parametrize("order", ["GRB", "RGB", "GRBW"])
def test_a_frame_round_trips_through_the_decoding_sink(order: str) -> None:
    clock = SimClock(start_s=12.5)
    sink = SpiRingSink(clock, order=order, gamma=2.2)
    ring = SpiLedRing(sink, 16, order=order, gamma=2.2)
    frame = np.random.default_rng(1).random((16, 3))
    ring.show(frame)
    t_s, decoded = sink.frames[-1]
    assert t_s == 12.5
    expected = frame_to_drive(frame, gamma_table(2.2, 1.0))
    if order == "GRBW":  # white is re-added to each channel by the sink: the eye sees the sum
        rgbw = extract_white(expected)
        expected = np.minimum(rgbw[:, :3].astype(int) + rgbw[:, 3:], 255).astype(np.uint8)
    assert np.array_equal(decoded, expected)
    assert np.allclose(sink.perceived(decoded), frame, atol=0.06)


def test_ring_close_turns_off_releases_the_bus_and_can_repeat() -> None:
    sink = SpiRingSink(SimClock())
    with SpiLedRing(sink, 12, brightness_limit=0.5) as ring:
        ring.show(np.full((12, 3), 0.8))
        assert sink.mean_brightness() > 0.5
    assert sink.closed
    latest = sink.latest()
    assert latest is not None and not latest.any()
    ring.close()  # twice is fine
    assert sink.frame_count == 2
    with pytest.raises(OutputError):
        ring.show(np.zeros((12, 3)))


def test_ring_checks_frames_and_reports_write_failures() -> None:
    class BrokenBus:
        closed = False

        def writebytes2(self, data: bytes | list[int]) -> None:
            raise OSError(121, "Remote I/O error")

        def close(self) -> None:
            self.closed = True

    ring = SpiLedRing(SpiRingSink(SimClock()), 8)
    with pytest.raises(ValueError):
        ring.show(np.zeros((9, 3)))
    with pytest.raises(ValueError):
        SpiLedRing(SpiRingSink(SimClock()), 0)
    bus = BrokenBus()
    broken = SpiLedRing(bus, 8)
    with pytest.raises(OutputError, match="SPI write"):
        broken.show(np.zeros((8, 3)))
    with pytest.raises(OutputError):
        broken.close()  # could not turn the LEDs off: said so, and the bus is still released
    assert bus.closed


def test_open_spidev_without_the_library_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spidev", None)
    with pytest.raises(OutputError, match="spidev"):
        open_spidev(0, 0)


def test_pwm_led_shows_gamma_corrected_mean_brightness() -> None:
    factory = MockFactory(pin_class=MockPWMPin)
    with PwmLed(18, pin_factory=factory, gamma=2.2, brightness_limit=0.8) as led:
        pin = factory.pin(18)
        frame = np.zeros((8, 3))
        frame[:4, 2] = 1.0  # half the ring fully lit in blue
        led.show(frame)
        assert pin.state == pytest.approx(0.8 * 0.5**2.2, abs=1 / 255)
        led.show(np.full((8, 3), 1.0))
        assert pin.state == pytest.approx(0.8, abs=1 / 255)
        led.off()
        assert pin.state == 0.0
        led.show(np.full((8, 3), 0.3))
    assert pin.state == 0.0  # closed: off
    history = [state for _, state in pin.states]
    assert history[-2] == pytest.approx(0.8 * 0.3**2.2, abs=1 / 255)
    led.close()
    with pytest.raises(OutputError):
        led.show(np.zeros((8, 3)))


def test_decoded_ring_matches_what_was_sent_for_every_byte_value() -> None:
    values = np.arange(256, dtype=np.uint8)
    pixels = np.stack([values, values[::-1], np.roll(values, 85)], axis=1)
    assert np.array_equal(decode_ws2812(encode_ws2812(pixels, "GRB"), "GRB"), pixels)


def test_a_frame_the_ring_already_shows_is_not_written_again() -> None:
    sink = SpiRingSink(SimClock())
    ring = SpiLedRing(sink, 12, brightness_limit=0.5)
    frame = np.full((12, 3), 0.4)
    ring.show(frame)
    ring.show(frame.copy())
    ring.show(frame + 1e-6)  # below one step of the drive levels: the same bytes on the wire
    assert (sink.frame_count, ring.frames_written, ring.frames_unchanged) == (1, 1, 2)
    ring.show(frame + 0.05)  # a visible change is always written
    ring.off()
    ring.off()  # off always writes (a ring that lost power comes back dark)
    assert sink.frame_count == 4
    ring.show(np.zeros((12, 3)))  # the ring is already dark
    assert sink.frame_count == 4


def test_dithering_frames_ahead_equals_dithering_them_one_by_one() -> None:
    """The running-sum form of the error diffusion (TemporalDither.ahead) gives the frame-by-frame
    modulator's steps and carried error, for dim channels (restarts below one step) and bright ones."""
    from drivers.led_ring import TemporalDither

    rng = np.random.default_rng(5)
    for trial in range(200):
        m = int(rng.integers(1, 15))
        drive = rng.uniform(0, 3, (m, 4, 3)) if trial % 2 else rng.uniform(0, 255, (m, 4, 3))
        one_by_one, ahead = TemporalDither(), TemporalDither()
        start = rng.uniform(0, 255, (4, 3))
        one_by_one(start)
        ahead(start)
        steps, errors = ahead.ahead(drive)
        for k in range(m):
            assert np.array_equal(one_by_one(drive[k]), steps[k])
            assert one_by_one.error is not None
            np.testing.assert_allclose(one_by_one.error, errors[k], atol=1e-9)


@pytest.mark.parametrize("order", ["GRB", "GRBW"])
def test_frames_encoded_ahead_send_what_show_sends(order: str) -> None:
    """encode_ahead + show_encoded write the same bytes as show, frame for frame, when a batch is cut
    short and the next starts where it stopped, and when show is called between (it re-encodes)."""
    class Writer:
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        def writebytes2(self, data: bytes | list[int]) -> None:
            self.writes.append(bytes(data))

        def close(self) -> None:
            pass

    rng = np.random.default_rng(6)
    frames = rng.uniform(0, 0.45, (40, 16, 3))
    plain, batched = Writer(), Writer()
    ring_a = SpiLedRing(plain, 16, order=order, brightness_limit=0.3)
    ring_b = SpiLedRing(batched, 16, order=order, brightness_limit=0.3)
    for frame in frames:
        ring_a.show(frame)
    encoded = ring_b.encode_ahead(frames[:10])
    for k in range(6):
        ring_b.show_encoded(encoded, k)
    encoded = ring_b.encode_ahead(frames[6:16])
    for k in range(10):
        ring_b.show_encoded(encoded, k)
    late = ring_b.encode_ahead(frames[17:27])  # encoded, then overtaken by a plain show
    ring_b.show(frames[16])
    for k in range(10):
        ring_b.show_encoded(late, k)
    for frame in frames[27:]:
        ring_b.show(frame)
    assert batched.writes == plain.writes
    assert ring_b.frames_written == ring_a.frames_written
