"""The `glimmer` command: `glimmer run` on the Raspberry Pi, `glimmer sim` on a laptop.

Exit status: 0 on a clean stop (including SIGINT/SIGTERM), 78 (EX_CONFIG) for a bad config (or a store
that cannot be written), 65 (EX_DATAERR) for bad data (unknown person, duplicate name, a setting out of
range, a store locked or from a newer Glimmer), 69 (EX_UNAVAILABLE) when required hardware is missing,
70 (EX_SOFTWARE) for an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

import device
from device import cli_home
from device.config import DEFAULT_CONFIG_PATH, Config, as_dict, load_config
from device.errors import ConfigError, DataError, HardwareError, StoreError, StoreNotWritable

log = logging.getLogger("glimmer")

EX_OK = 0
EX_DATAERR = 65
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_CONFIG = 78


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
    return value


def _speed(text: str) -> float:
    if text.lower() in ("max", "inf"):
        return math.inf
    return _positive_float(text)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"expected 0 to {2**31 - 1}, got {value}")
    return value


def _time_of_day(text: str) -> datetime:
    try:
        at = time_of_day.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time of day HH:MM, got {text!r}") from None
    return datetime.combine(date.today(), at)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glimmer",
        description="Glimmer: paces your breathing toward a coherent heart rhythm with light and sound.",
    )
    parser.add_argument("--version", action="version", version=f"glimmer {device.__version__}")
    parser.add_argument("-c", "--config", type=Path, help=f"TOML config file (run: default {DEFAULT_CONFIG_PATH} "
                        "if it exists; sim: shipped defaults)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-v: INFO, -vv: DEBUG)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run the device on a Raspberry Pi's hardware",
                         description="Run the daemon on real hardware: MAX30102 on I2C, LED ring on SPI "
                                     "(or a PWM LED), speaker through PortAudio.")
    run.set_defaults(handler=_cmd_run)

    sim = sub.add_parser("sim", help="run the whole device against the simulator",
                         description="Run the daemon against simulated hardware and a simulated person "
                                     "whose heart answers the breathing it is paced to.")
    sim.add_argument("--speed", type=_speed, default=1.0,
                     help="times faster than real time; 'max' runs as fast as the CPU allows (default 1)")
    sim.add_argument("--minutes", type=_positive_float, default=None,
                     help="stop after this many simulated minutes (default: until Ctrl-C)")
    sim.add_argument("--seed", type=_seed, default=None, help="seed of the simulated person (default: config)")
    sim.add_argument("--json", action="store_true",
                     help="print one JSON object per metrics period instead of the live view")
    sim.add_argument("--wav", type=Path, default=None,
                     help="write the sound to this WAV file even if speakers exist (default: config sim.wav_path "
                          "when no audio device can play in real time)")
    sim.add_argument("--at", type=_time_of_day, default=None, metavar="HH:MM",
                     help="simulated local time of day at the start (night mode follows it; default: now)")
    sim.set_defaults(handler=_cmd_sim)
    cli_home.add_sim_options(sim)

    check = sub.add_parser("config", help="check a config and print the effective values",
                           description="Validate the config (shipped defaults plus --config) and print it.")
    check.set_defaults(handler=_cmd_config)
    cli_home.register(sub, _load)
    return parser


def _setup_logging(config: Config | None, verbosity: int) -> None:
    level = getattr(logging, config.device.log_level) if config else logging.WARNING
    if verbosity == 1:
        level = min(level, logging.INFO)
    elif verbosity >= 2:
        level = logging.DEBUG
    logging.basicConfig(stream=sys.stderr, level=level, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@contextmanager
def _stop_on_signals(stop: Any) -> Iterator[None]:
    """SIGINT and SIGTERM ask the loop to stop; the previous handlers come back afterwards."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, _frame: object) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _load(args: argparse.Namespace, default_path: Path | None) -> Config:
    path = args.config
    if path is None and default_path is not None and default_path.exists():
        path = default_path
    return load_config(path)


def _cmd_config(args: argparse.Namespace) -> int:
    config = _load(args, DEFAULT_CONFIG_PATH)
    print(json.dumps(as_dict(config), indent=2))
    return EX_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from device.app import build_device
    from device.hardware import build_real_hardware

    config = _load(args, DEFAULT_CONFIG_PATH)
    _setup_logging(config, args.verbose)
    hardware = build_real_hardware(config)
    household = cli_home.run_household(config)
    if household is not None:
        config = household.config_for(household.active)
    glimmer = build_device(config, hardware)
    if household is not None:
        household.attach(glimmer, hardware.wall_clock())
    with _stop_on_signals(glimmer.stop):
        try:
            glimmer.run()
        finally:
            glimmer.close()
    return EX_OK


def _cmd_sim(args: argparse.Namespace) -> int:
    from sim.world import run_sim

    config = _load(args, None)
    if args.seed is not None:
        config = config.replace("sim", seed=args.seed)
    _setup_logging(config, args.verbose)
    if not args.json and not args.verbose:
        # The live view owns the terminal: only warnings and errors interrupt it (-v shows all).
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    if args.assess:
        return cli_home.sim_assess(args, config)
    return run_sim(config, speed=args.speed, minutes=args.minutes, json_lines=args.json,
                   wav_path=args.wav, stop_on_signals=_stop_on_signals, start_wall=args.at,
                   household=cli_home.sim_household(args, config))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(None, args.verbose)
    try:
        return int(args.handler(args))
    except (ConfigError, StoreNotWritable) as exc:
        print(f"glimmer: {exc}", file=sys.stderr)
        return EX_CONFIG
    except (DataError, StoreError) as exc:
        print(f"glimmer: {exc}", file=sys.stderr)
        return EX_DATAERR
    except HardwareError as exc:
        print(f"glimmer: {exc}", file=sys.stderr)
        return EX_UNAVAILABLE
    except Exception:
        log.exception("glimmer stopped by an unexpected error")
        return EX_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
