"""Two simulated people on two virtual MAX30102, each on its own sim/i2c_bus.VirtualI2CBus (the
"two_buses" layout), in one simulated world on the fast clock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from device.app import GlimmerDevice, build_device
from device.config import Config
from device.publish import RecordingPublisher
from sim.i2c_bus import VirtualI2CBus
from sim.max30102 import VirtualMax30102
from sim.person import PersonParams, SimulatedPerson
from sim.world import SimWorld, build_sim_world

SECOND_BUS = 3


@dataclass
class TwoPeople:
    world: SimWorld  # person A, chip A, the ring, the clock
    person_b: SimulatedPerson
    chip_b: VirtualMax30102
    bus_b: VirtualI2CBus
    device: GlimmerDevice
    recorded: RecordingPublisher


def two_people(tmp_path: Path, config: Config, seed_b: int = 7, finger_b_at_s: float | None = None,
               resonance_b: float | None = None, publishers: tuple[object, ...] = ()) -> TwoPeople:
    """Person A from config.sim, person B from `seed_b` (finger on at `finger_b_at_s`, default 10 s after A's,
    so A's is the first finger: the active person's); both see the ring."""
    if finger_b_at_s is None:
        finger_b_at_s = config.sim.finger_on_at_s + 10.0
    world = build_sim_world(config, silent=True)
    fixed = {"finger_on_at_s": finger_b_at_s}
    if resonance_b is not None:
        fixed["resonance_rate_per_min"] = resonance_b
    params = PersonParams.from_seed(seed_b, **fixed)
    person_b = SimulatedPerson(params, seed=seed_b)
    chip_b = VirtualMax30102(person_b, world.clock, seed=seed_b)
    bus_b = VirtualI2CBus(SECOND_BUS)
    bus_b.attach(config.sensor.i2c_address, chip_b)
    world.hardware.second_i2c_bus_factory = bus_b.open
    world.hardware.on_frame.append(lambda t_s: person_b.see_light(t_s, world.seen_level()))
    recorded = RecordingPublisher()
    device = build_device(config, world.hardware, [recorded, *publishers])  # type: ignore[list-item]
    return TwoPeople(world, person_b, chip_b, bus_b, device, recorded)
