"""The `glimmer` command: `glimmer run` on the Raspberry Pi, `glimmer sim` on a laptop.

Exit status: 2 for a command line argparse refuses (one line naming the option, the value and what is
accepted), 0 on a clean stop (including SIGINT/SIGTERM, and a reader closing our stdout pipe),
78 (EX_CONFIG) for a bad config (or a store that cannot be written),
65 (EX_DATAERR) for bad data (unknown person, duplicate name, a setting out of range, a store locked or
from a newer Glimmer), 69 (EX_UNAVAILABLE) when required hardware is missing,
70 (EX_SOFTWARE) for an unexpected failure, 75 (EX_TEMPFAIL) when another glimmer device process
records to the same store (one per store), 130 for Ctrl-C while starting (before the device runs; once
it runs, Ctrl-C is a clean stop, 0).

Global options (`-c/--config`, `-v`, `-q`) work on either side of the subcommand: every subcommand's
parser is a `CommandParser`, which adds them again after the subcommand's name. To add a subcommand,
register it in `build_parser` with `add_command(commands, "name", handler, summary=...)` (a plain
`commands.add_parser(...)` gets the global options too); the handler takes the parsed arguments and
returns an exit status, and reads the config with `load_for(args)`.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from datetime import time as time_of_day
from pathlib import Path
from typing import Any, NoReturn

import device
from device import cli_home
from device.config import DEFAULT_CONFIG_PATH, Config, load_config
from device.config_text import render_toml
from device.entry import StoppedWhileStarting, early_signals, ended_while_starting
from device.errors import ConfigError, DataError, HardwareError, StoreError, StoreInUse, StoreNotWritable
from device.paths import writable_file

log = logging.getLogger("glimmer")

EX_OK = 0
EX_DATAERR = 65
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_TEMPFAIL = 75  # another glimmer device process holds the store (one per store)
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
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a number above 0 (times real time) or 'max' (also 'inf'), got {text!r}") from None


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"expected 0 to {2**31 - 1}, got {value}")
    return value


def _people(text: str) -> int:
    if text.strip() not in ("1", "2"):
        raise argparse.ArgumentTypeError(f"expected 1 or 2 (2: together mode, a partner on sensor B), got {text!r}")
    return int(text)


def _time_of_day(text: str) -> datetime:
    try:
        at = time_of_day.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time of day HH:MM from 00:00 to 23:59, got {text!r}") from None
    return datetime.combine(date.today(), at)


LOG_LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
Handler = Callable[[argparse.Namespace], int]


def _add_global_options(parser: argparse.ArgumentParser, after_command: bool) -> None:
    """-c/--config, -v and -q. After a subcommand their defaults are suppressed (so they only
    override what was given before it) and the counts land in separate fields that `main` adds up."""
    suffix = "_after" if after_command else ""
    parser.add_argument("-c", "--config", type=Path, dest="config",
                        default=argparse.SUPPRESS if after_command else None,
                        help=f"TOML config file (run, config: default {DEFAULT_CONFIG_PATH} if it exists; "
                             "sim: shipped defaults)")
    parser.add_argument("-v", "--verbose", action="count", dest="verbose" + suffix,
                        default=argparse.SUPPRESS if after_command else 0,
                        help="more logging: each -v one level lower (WARNING -> INFO -> DEBUG; `run` starts "
                             "from device.log_level)")
    parser.add_argument("-q", "--quiet", action="count", dest="quiet" + suffix,
                        default=argparse.SUPPRESS if after_command else 0,
                        help="less logging: each -q one level higher (WARNING -> ERROR)")


class GlimmerParser(argparse.ArgumentParser):
    """argparse with one-line errors: `glimmer sim: argument --speed: expected ..., got '0'` and where
    to look, exit status 2 (argparse's usage error, as every command line mistake here)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class CommandParser(GlimmerParser):
    """The parser of one subcommand: it accepts the global options after the subcommand's name too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_global_options(self, after_command=True)


def add_command(commands: Any, name: str, handler: Handler, summary: str,
                description: str | None = None) -> argparse.ArgumentParser:
    """Register subcommand `name` with its one-line `summary` for --help (its parser gets the global
    options); returns its parser for the command's own arguments."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=summary,
                                                          description=description or summary)
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = GlimmerParser(
        prog="glimmer",
        description="Glimmer: paces your breathing toward a coherent heart rhythm with light and sound.",
    )
    parser.add_argument("--version", action="version", version=f"glimmer {device.__version__}")
    _add_global_options(parser, after_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=CommandParser)

    add_command(commands, "run", _cmd_run, summary="run the device on a Raspberry Pi's hardware",
                description="Run the daemon on real hardware: MAX30102 on I2C, LED ring on SPI "
                            "(or a PWM LED), speaker through PortAudio.")

    sim = add_command(commands, "sim", _cmd_sim, summary="run the whole device against the simulator",
                      description="Run the daemon against simulated hardware and a simulated person "
                                  "whose heart answers the breathing it is paced to.")
    sim.add_argument("--speed", type=_speed, default=1.0,
                     help="times faster than real time; 'max' runs as fast as the CPU allows (default 1)")
    sim.add_argument("--minutes", type=_positive_float, default=None,
                     help="stop after this many simulated minutes (default: until Ctrl-C)")
    sim.add_argument("--seed", type=_seed, default=None,
                     help="seed of the simulated person (default: config); with --people 2 the partner's is "
                          "this + 1 (this - 1 at the largest seed) unless sim.partner_seed sets it")
    sim.add_argument("--people", type=_people, default=None, metavar="{1,2}",
                     help="simulated people (default: sim.people, 1); 2: together mode, a partner ([sim] "
                          "partner_* settings) with a fingertip on sensor B, both seeing the ring")
    sim.add_argument("--unpaced", action="store_true", default=None,
                     help="hide the light from the simulated people, who breathe at their own rates (the "
                          "unpaced control; default: sim.unpaced)")
    sim.add_argument("--json", action="store_true",
                     help="print one JSON object per metrics period instead of the live view (no sound "
                          "unless --wav)")
    sim.add_argument("--wav", type=writable_file, default=None,
                     help="write the sound to this WAV file (default: the speakers when the live view runs "
                          "in real time and they exist, otherwise a WAV file in the state directory, "
                          "named on screen; --json: no sound)")
    sim.add_argument("--at", type=_time_of_day, default=None, metavar="HH:MM",
                     help="simulated local time of day at the start (night mode follows it; default: now)")
    cli_home.add_sim_options(sim)

    add_command(commands, "config", _cmd_config, summary="check a config and print the effective values as TOML",
                description="Validate the config (shipped defaults plus --config) and print every value "
                            "in the shipped file's layout, ready to be saved as a config file.")
    cli_home.register(commands, load_for)
    return parser


def _verbosity(args: argparse.Namespace) -> int:
    """Net -v minus -q, counted on both sides of the subcommand."""
    return (getattr(args, "verbose", 0) + getattr(args, "verbose_after", 0)
            - getattr(args, "quiet", 0) - getattr(args, "quiet_after", 0))


def log_level(base: int, verbosity: int) -> int:
    """The level `verbosity` steps below `base` (negative: above), within DEBUG..ERROR."""
    index = LOG_LEVELS.index(base) if base in LOG_LEVELS else LOG_LEVELS.index(logging.INFO)
    return LOG_LEVELS[min(max(index - verbosity, 0), len(LOG_LEVELS) - 1)]


INTERACTIVE_LOG_LEVEL = logging.WARNING  # commands a person types: warnings and errors, unless -v


def _setup_logging(config: Config | None, verbosity: int) -> None:
    """Log to stderr at the daemon's `device.log_level` (`config` given: `glimmer run`), or, for the
    commands a person types, at WARNING; each -v one level lower, each -q one higher. Under systemd each
    line carries journald's level prefix (device/service.py)."""
    from device.service import log_handler  # journald's level prefixes when stderr is the journal

    base = getattr(logging, config.device.log_level) if config else INTERACTIVE_LOG_LEVEL
    logging.basicConfig(handlers=[log_handler(sys.stderr)], level=log_level(base, verbosity), force=True)


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


def load_for(args: argparse.Namespace, default_path: Path | None = DEFAULT_CONFIG_PATH,
             check_files: bool = False, overrides: dict[str, dict[str, Any]] | None = None) -> Config:
    """The config a command runs with: --config, else `default_path` when it exists, else the defaults,
    with the command line's `overrides` on top (checked together, so a value the command line replaces is
    judged as it will run). `check_files`: the files MQTT will use must be readable too (config.load_config)."""
    path = args.config
    if path is None and default_path is not None and default_path.exists():
        path = default_path
    return load_config(path, overrides, check_files=check_files)


def _cmd_config(args: argparse.Namespace) -> int:
    config = load_for(args, check_files=True)
    sys.stdout.write(render_toml(config))
    return EX_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from device.app import build_device
    from device.hardware import build_real_hardware

    if os.environ.get("NOTIFY_SOCKET"):  # under systemd, a reload before the device runs must not end it
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # (SIGHUP's default); supervise() then takes it over
    config = load_for(args, check_files=True)
    _setup_logging(config, _verbosity(args))
    # A store from a newer Glimmer is refused (exit 65) before any hardware is touched.
    cli_home.refuse_newer(config)
    hardware = build_real_hardware(config)
    household = cli_home.run_household(config)
    if household is not None:
        config = household.config_for(household.active)
    glimmer = build_device(config, hardware)
    if household is not None:
        household.attach(glimmer, hardware.stamp_clock())
    # Under systemd: READY/STATUS/WATCHDOG; SIGHUP reloads the config (device/service.py).
    with _supervise(glimmer, args, household) as service, _stop_on_signals(glimmer.stop):
        try:
            glimmer.run()
        finally:
            service.stopping()
            glimmer.close()
    return EX_OK


def _supervise(glimmer: Any, args: argparse.Namespace, household: Any) -> Any:
    from device.service import supervise

    verbosity = _verbosity(args)

    def set_level(config: Config) -> None:
        logging.getLogger().setLevel(log_level(getattr(logging, config.device.log_level), verbosity))

    return supervise(glimmer, lambda: load_for(args), household, set_level)


def _cmd_sim(args: argparse.Namespace) -> int:
    from sim.world import run_sim

    given = {"seed": args.seed, "people": args.people, "unpaced": True if args.unpaced else None}
    sim_options = {key: value for key, value in given.items() if value is not None}
    config = load_for(args, None, check_files=True, overrides={"sim": sim_options} if sim_options else None)
    if args.store is not None:  # the store file, and with it the MQTT outbox that lives in it
        config = config.replace("store", path=str(args.store))
    if args.assess:
        if config.sim.people == 2:  # an assessment finds one person's resonance
            print("glimmer sim: --assess assesses one person; run it without --people 2 (and with sim.people = 1)",
                  file=sys.stderr)
            return 2
        return cli_home.sim_assess(args, config, stop_on_signals=_stop_on_signals)
    household = cli_home.sim_household(args, config)
    try:
        return run_sim(config, speed=args.speed, minutes=args.minutes, json_lines=args.json,
                       wav_path=args.wav, stop_on_signals=_stop_on_signals, start_wall=args.at,
                       household=household)
    finally:
        household.store.close()  # and its device lock


def _quiet_closed_stdout() -> None:
    """After the reader of our stdout went away, point stdout at /dev/null so the interpreter's
    final flush does not complain (the Python docs' recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file descriptor (tests capture stdout)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    # Under systemd a reload (SIGHUP, whose default ends the process) must not end a daemon still
    # starting, and a stop (SIGTERM) while starting is a clean exit, not death by signal (device/entry.py,
    # the `glimmer` script, does this before its imports). The commands' own handlers take over later.
    previous_term = signal.getsignal(signal.SIGTERM)
    early_signals()
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, previous_term)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(None, _verbosity(args))
    try:
        code = int(args.handler(args))
        sys.stdout.flush()
        return code
    except (KeyboardInterrupt, StoppedWhileStarting) as exc:
        # A signal before the command's own handler was in place (while starting): nothing to stop yet.
        return ended_while_starting(exc)
    except BrokenPipeError:
        # The reader closed the pipe (`glimmer sim --json | head -1`): a normal end, as for Unix tools.
        _quiet_closed_stdout()
        return EX_OK
    except (ConfigError, StoreNotWritable) as exc:
        print(f"glimmer: {exc}", file=sys.stderr)
        return EX_CONFIG
    except StoreInUse as exc:
        print(f"glimmer: {exc}", file=sys.stderr)
        return EX_TEMPFAIL
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
