"""I2C load and CPU cost of two pulse sensors, per layout: `python -m bench.bench_i2c_load`.

Two virtual MAX30102s (sim/max30102.py) are read by two supervisors (drivers/pulse_sensor.py) every
100 ms (twice as often as the default `sensor.read_period_ms`, 200 ms: the heavier case) for `--seconds`
of simulated time, behind a virtual TCA9548A ("mux") or on two virtual buses ("two_buses"), at the shipped
100 samples/s. Every transaction is counted on the wire as
the bus would clock it: a START, an address byte (9 clocks) per message, 9 clocks per data byte, a repeated
START between messages and a STOP. Prints, per layout:

- transactions and SCL clock cycles per second on each bus, and the share of time that keeps the bus busy
  at 100 kHz and 400 kHz (the cost of a software "i2c-gpio" bus's busy-waiting is the 100 kHz share of a
  core);
- host CPU seconds per simulated second for both supervisors' polls (min/median/max over `--runs` >= 3),
  which compares the channel wrapper's overhead against plain buses (host CPU, not a Pi's).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Sequence

from device.clock import SimClock
from device.config import load_config
from drivers.max30102 import Max30102Settings
from drivers.pulse_sensor import PulseSensor
from sim.i2c_bus import I2COp, I2CWrite, VirtualI2CBus
from sim.max30102 import PulseTrainOptics, VirtualMax30102
from sim.sensor_layout import build_sim_sensor_buses

POLL_S = 0.1  # sensor.read_period_ms before 200 ms became the default: the heavier case


def clocks_of(ops: Sequence[I2COp]) -> int:
    """SCL cycles of one transaction: START, per message an address byte and its data bytes (9 clocks
    each, ACK included), a repeated START between messages, STOP."""
    data = sum(len(op.data) if isinstance(op, I2CWrite) else op.length for op in ops)
    messages = max(1, len(ops))
    return 1 + 9 * messages + 9 * data + (messages - 1) + 1


def count_on(bus: VirtualI2CBus, transactions: Counter[int], clocks: Counter[int]) -> None:
    real_transfer = bus.transfer

    def transfer(address: int, ops: Sequence[I2COp]) -> list[bytes]:
        transactions[bus.bus_number] += 1
        clocks[bus.bus_number] += clocks_of(ops)
        return real_transfer(address, ops)

    bus.transfer = transfer  # type: ignore[method-assign]


def one_run(layout: str, seconds: float) -> tuple[float, Counter[int], Counter[int]]:
    """(host CPU s per simulated s, transactions per bus, clocks per bus) over `seconds`."""
    clock = SimClock()
    cfg = load_config(overrides={"sensor": {"layout": layout}}).sensor
    chips = [VirtualMax30102(PulseTrainOptics(rate_bpm=rate), clock, seed=n) for n, rate in enumerate((62, 75))]
    built = build_sim_sensor_buses(cfg, chips[0], chips[1], clock)
    transactions: Counter[int] = Counter()
    clocks: Counter[int] = Counter()
    for bus in built.buses.values():
        count_on(bus, transactions, clocks)
    assert built.factory_b is not None
    sensors = [PulseSensor(factory, Max30102Settings(), clock) for factory in (built.factory_a, built.factory_b)]
    spent = 0.0
    t = 0.0
    while t < seconds:
        started = time.process_time()
        for sensor in sensors:
            reading = sensor.poll()
            if t > 1.0 and reading.status != "ok":
                raise RuntimeError(f"{layout}: a sensor is {reading.status} at {t:.1f} s: {reading.detail}")
        spent += time.process_time() - started
        t = round(t + POLL_S, 9)
        clock.advance_to(t)
    if any(chip.samples_dropped for chip in chips):
        raise RuntimeError(f"{layout}: samples dropped")
    return spent / seconds, transactions, clocks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="simulated seconds per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per layout (>= 3)")
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error("--runs must be at least 3")
    for layout in ("mux", "two_buses"):
        cpu = []
        for _ in range(args.runs):
            cpu_per_s, transactions, clocks = one_run(layout, args.seconds)
            cpu.append(cpu_per_s)
        print(f"{layout}: two sensors, 100 samples/s each, polled every {POLL_S * 1000:.0f} ms")
        for number in sorted(transactions):
            per_s = clocks[number] / args.seconds
            print(f"  bus {number}: {transactions[number] / args.seconds:.1f} transactions/s, "
                  f"{per_s:.0f} SCL clocks/s: busy {100 * per_s / 100e3:.1f} % at 100 kHz, "
                  f"{100 * per_s / 400e3:.1f} % at 400 kHz")
        print(f"  host CPU for both polls: min/median/max {1e3 * min(cpu):.2f}/{1e3 * statistics.median(cpu):.2f}/"
              f"{1e3 * max(cpu):.2f} ms per simulated s ({args.runs} runs of {args.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
