"""Configuration: TOML files validated against a typed schema with bounds.

Defaults live in one shipped file, `default_config.toml`; a user file only overrides keys. Every value
is checked against the schema below (type, bounds, choices); all problems are collected and raised
together as one `ConfigError`, each naming its key and what was expected, before anything starts.

Units are in key names, and breaths per minute are `_per_min` (`_bpm` is the heart's beats per minute
alone). The keys that said `_bpm` for breaths until Glimmer 0.1 (`RENAMED_KEYS`) are still read, each
with a warning naming its new name, for one release (until 0.3); `glimmer config` prints the new names,
so `glimmer config --config old.toml > new.toml` updates a file. Giving both names is an error.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import time as time_of_day
from importlib import resources
from pathlib import Path
from typing import Any, get_type_hints

from device.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = Path("/etc/glimmer/config.toml")
# A read period left out of every file is this many samples' worth at the rate in force (20 of the FIFO's 32).
READ_SAMPLES = 20
# (section, old key) -> new key: breaths per minute were `_bpm` until Glimmer 0.1; read until 0.3.
RENAMED_KEYS: dict[tuple[str, str], str] = {
    ("pacer", "resonance_rate_bpm"): "resonance_rate_per_min",
    ("pacer", "default_start_rate_bpm"): "default_start_rate_per_min",
    ("pacer", "max_glide_bpm_per_min"): "max_glide_per_min_per_min",
    ("pacer", "follow_tolerance_bpm"): "follow_tolerance_per_min",
    ("sim", "natural_breath_rate_bpm"): "natural_breath_rate_per_min",
    ("sim", "resonance_rate_bpm"): "resonance_rate_per_min",
    ("assessment", "rates_bpm"): "rates_per_min",
    ("assessment", "follow_tolerance_bpm"): "follow_tolerance_per_min",
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _is_hhmm(text: str) -> bool:
    return bool(_HHMM.match(text))


def _is_device_id(text: str) -> bool:
    return bool(_DEVICE_ID.match(text))


# A string check: (predicate, what is expected, in words: it follows "expected " in an error).
TIME_OF_DAY = (_is_hhmm, "a time of day as HH:MM, 00:00 to 23:59")
DEVICE_ID = (_is_device_id, "1 to 32 letters, digits, '_' or '-'")


def _is_rate_list(text: str) -> bool:
    """Two or more positive numbers separated by commas ("6.5, 6.0, 5.5")."""
    parts = text.split(",")
    try:
        return len(parts) >= 2 and all(float(part) > 0 for part in parts)
    except ValueError:
        return False


def _matches(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda text: compiled.fullmatch(text) is not None


HOST_NAME = (_matches(r"[A-Za-z0-9.:_-]{0,253}"), "a host name or address (letters, digits, '.', ':', '_', '-'), "
                                                  "or empty for MQTT off")
CLIENT_ID = (_matches(r"[A-Za-z0-9_-]{0,64}"), "up to 64 letters, digits, '_' or '-' (empty: glimmer-<device_id>)")
TOPIC_WORD = (_matches(r"[A-Za-z0-9_-]{1,64}"), "1 to 64 letters, digits, '_' or '-'")
RATE_LIST = (_is_rate_list, "two or more breathing rates per minute, separated by commas")


def _spec(lo: float | None = None, hi: float | None = None, choices: tuple[Any, ...] | None = None,
          check: tuple[Callable[[str], bool], str] | None = None, hex_form: bool = False) -> Any:
    """Field metadata: inclusive bounds, allowed choices, or a check a string must pass (with the
    words that say what it expects). `hex_form`: errors write the bounds and value in hex (addresses)."""
    return field(metadata={"lo": lo, "hi": hi, "choices": choices, "check": check, "hex": hex_form})


@dataclass(frozen=True)
class DeviceConfig:
    device_id: str = _spec(check=DEVICE_ID)
    log_level: str = _spec(choices=("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True)
class SensorConfig:
    i2c_bus: int = _spec(0, 255)
    i2c_address: int = _spec(0x03, 0x77, hex_form=True)
    sample_rate_hz: int = _spec(choices=(25, 50, 100))
    pulse_width_us: int = _spec(choices=(69, 118, 215, 411))
    adc_range_na: int = _spec(choices=(2048, 4096, 8192, 16384))
    led_current_ma: float = _spec(0.2, 51.0)
    read_period_ms: int = _spec(20, 960)
    # Where the sensors are (drivers/sensor_layout.py): one sensor, or two behind a TCA9548A or on two buses.
    layout: str = _spec(choices=("single", "mux", "two_buses"))
    mux_address: int = _spec(0x70, 0x77, hex_form=True)
    mux_channel_a: int = _spec(0, 7)
    mux_channel_b: int = _spec(0, 7)
    second_i2c_bus: int = _spec(0, 255)


@dataclass(frozen=True)
class PacerConfig:
    resonance_rate_per_min: float = _spec(4.5, 7.0)
    default_start_rate_per_min: float = _spec(4.5, 15.0)
    max_glide_per_min_per_min: float = _spec(0.1, 2.0)
    follow_tolerance_per_min: float = _spec(0.5, 4.0)
    inhale_ratio: float = _spec(1.0, 10.0)
    hold_in_ratio: float = _spec(0.0, 10.0)
    exhale_ratio: float = _spec(1.0, 10.0)
    hold_out_ratio: float = _spec(0.0, 10.0)


@dataclass(frozen=True)
class SessionConfig:
    settle_s: float = _spec(3.0, 120.0)
    pause_after_finger_off_s: float = _spec(1.0, 60.0)
    close_after_pause_s: float = _spec(5.0, 600.0)
    fade_in_s: float = _spec(0.0, 30.0)
    fade_out_s: float = _spec(0.0, 30.0)
    glimmer_coherence_ratio: float = _spec(0.5, 20.0)
    glimmer_after_s: float = _spec(0.0, 600.0)


@dataclass(frozen=True)
class LedConfig:
    kind: str = _spec(choices=("spi", "pwm", "none"))
    count: int = _spec(1, 64)
    color_order: str = _spec(choices=("GRB", "RGB", "GRBW"))
    spi_bus: int = _spec(0, 6)
    spi_device: int = _spec(0, 3)
    pwm_gpio: int = _spec(0, 27)
    max_brightness: float = _spec(0.0, 1.0)
    gamma: float = _spec(1.0, 3.0)
    frame_rate_hz: float = _spec(10.0, 100.0)
    paced_writes: bool = _spec()


@dataclass(frozen=True)
class AudioConfig:
    enabled: bool = _spec()
    device_name: str = _spec()
    sample_rate_hz: int = _spec(choices=(16000, 22050, 44100, 48000))
    frames_per_buffer: int = _spec(256, 8192)
    volume: float = _spec(0.0, 1.0)
    hum_enabled: bool = _spec()
    hum_pitch_hz: float = _spec(60.0, 400.0)
    cue_enabled: bool = _spec()


@dataclass(frozen=True)
class NightConfig:
    enabled: bool = _spec()
    start: str = _spec(check=TIME_OF_DAY)
    end: str = _spec(check=TIME_OF_DAY)
    brightness_cap: float = _spec(0.0, 1.0)
    volume_cap: float = _spec(0.0, 1.0)

    def start_time(self) -> time_of_day:
        return time_of_day.fromisoformat(self.start)

    def end_time(self) -> time_of_day:
        return time_of_day.fromisoformat(self.end)


@dataclass(frozen=True)
class MetricsConfig:
    period_s: float = _spec(1.0, 300.0)


@dataclass(frozen=True)
class SimConfig:
    seed: int = _spec(0, 2**31 - 1)
    natural_breath_rate_per_min: float = _spec(4.0, 30.0)
    resonance_rate_per_min: float = _spec(4.0, 8.0)
    compliance: float = _spec(0.0, 1.0)
    finger_on_at_s: float = _spec(0.0, 3600.0)
    wav_path: str = _spec()
    # Together mode (sim/world.py): a second simulated person, the partner, on sensor B.
    people: int = _spec(choices=(1, 2))
    unpaced: bool = _spec()  # the light is hidden from the simulated people (the unpaced control)
    partner_seed: int = _spec(-1, 2**31 - 1)  # -1: seed + 1 (seed - 1 at the largest seed)
    partner_natural_breath_rate_per_min: float = _spec(4.0, 30.0)
    partner_resonance_rate_per_min: float = _spec(4.0, 8.0)
    partner_compliance: float = _spec(0.0, 1.0)
    partner_finger_on_at_s: float = _spec(0.0, 3600.0)


@dataclass(frozen=True)
class StoreConfig:
    path: str = _spec()
    retention_days: int = _spec(1, 36500)


@dataclass(frozen=True)
class ButtonsConfig:
    enabled: bool = _spec()
    main_gpio: int = _spec(0, 27)
    second_gpio: int = _spec(-1, 27)
    second_action: str = _spec(choices=("session", "next_person", "assessment", "next_partner"))
    bounce_ms: float = _spec(0.0, 200.0)
    long_press_s: float = _spec(0.3, 10.0)
    very_long_press_s: float = _spec(1.0, 30.0)


@dataclass(frozen=True)
class AssessmentConfig:
    rates_per_min: str = _spec(check=RATE_LIST)
    step_s: float = _spec(60.0, 600.0)
    settle_s: float = _spec(0.0, 120.0)
    follow_tolerance_per_min: float = _spec(0.1, 2.0)


@dataclass(frozen=True)
class MqttConfig:
    host: str = _spec(check=HOST_NAME)
    port: int = _spec(1, 65535)
    client_id: str = _spec(check=CLIENT_ID)
    protocol: str = _spec(choices=("5", "3.1.1"))
    keepalive_s: int = _spec(5, 3600)
    tls: bool = _spec()
    ca_file: str = _spec()
    cert_file: str = _spec()
    key_file: str = _spec()
    username: str = _spec()
    password_file: str = _spec()
    privacy: str = _spec(choices=("name", "opaque", "none"))
    discovery: bool = _spec()
    discovery_prefix: str = _spec(check=TOPIC_WORD)
    reconnect_min_s: float = _spec(0.05, 60.0)
    reconnect_max_s: float = _spec(0.05, 3600.0)
    outbox_path: str = _spec()
    outbox_max_messages: int = _spec(100, 10_000_000)


@dataclass(frozen=True)
class Config:
    device: DeviceConfig
    sensor: SensorConfig
    pacer: PacerConfig
    session: SessionConfig
    led: LedConfig
    audio: AudioConfig
    night: NightConfig
    metrics: MetricsConfig
    sim: SimConfig
    store: StoreConfig
    buttons: ButtonsConfig
    assessment: AssessmentConfig
    mqtt: MqttConfig

    def replace(self, section: str, **values: Any) -> Config:
        """A copy with some values of one section changed (validated like a file would be)."""
        raw = as_dict(self)
        raw[section].update(values)
        return _build(raw)


def as_dict(config: Config) -> dict[str, dict[str, Any]]:
    return {f.name: dataclasses.asdict(getattr(config, f.name)) for f in fields(Config)}


def _type_name(tp: type) -> str:
    return {int: "a whole number", float: "a number", bool: "true or false", str: "a string in quotes"}[tp]


def _describe(value: Any) -> str:
    """A value as a person reads it in an error: what it is and what was written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return repr(value)
    return f"a {type(value).__name__}"


def _hex(value: int) -> str:
    return f"0x{value:02x}" if value >= 0 else f"-0x{-value:02x}"


def _check_value(key: str, value: Any, tp: type, meta: dict[str, Any]) -> tuple[Any, str | None]:
    """Return (converted value, None) or (None, one problem naming the key and what was expected)."""
    ok_type = (isinstance(value, bool) if tp is bool
               else (isinstance(value, int | float) and not isinstance(value, bool)) if tp is float
               else (isinstance(value, int) and not isinstance(value, bool)) if tp is int
               else isinstance(value, str))
    if not ok_type:
        return None, f"{key}: expected {_type_name(tp)}, got {_describe(value)}"
    if tp is float:
        value = float(value)
    lo, hi, choices, check = meta["lo"], meta["hi"], meta["choices"], meta["check"]
    if choices is not None and isinstance(value, str):  # "debug" is DEBUG, "SPI" is spi: in the choice's case
        value = next((c for c in choices if isinstance(c, str) and c.casefold() == value.casefold()), value)
    if choices is not None and value not in choices:
        return None, f"{key}: expected one of {', '.join(map(str, choices))}, got {_describe(value)}"
    if lo is not None and hi is not None and not lo <= value <= hi:
        if meta.get("hex"):
            return None, f"{key}: expected {_hex(lo)} to {_hex(hi)}, got {_hex(value)}"
        return None, f"{key}: expected {lo} to {hi}, got {_describe(value)}"
    if check is not None and not check[0](value):
        return None, f"{key}: expected {check[1]}, got {_describe(value)}"
    return value, None


def _build(raw: dict[str, Any], check_files: bool = False) -> Config:
    """Validate a complete raw dict (defaults merged with the user's) into a Config.

    Every problem is collected, each naming its key once: a key whose value is wrong is not
    reported again by the rules between keys. With `check_files`, the files MQTT will use must also be
    readable (`_file_checks`).
    """
    problems: list[str] = []
    sections: dict[str, Any] = {}
    valid: dict[str, dict[str, Any]] = {}
    section_types = get_type_hints(Config)
    known_sections = ", ".join(section_types)
    for name, values in raw.items():
        if name in section_types:
            continue
        if isinstance(values, dict):
            problems.append(f"[{name}]: unknown section (known sections: {known_sections})")
        else:
            problems.append(f"{name}: a setting outside any section; every setting belongs under a "
                            f"[section] heading (known sections: {known_sections})")
    for name, section_cls in section_types.items():
        values = raw.get(name, {})
        if not isinstance(values, dict):
            problems.append(f"{name}: expected a [{name}] section of settings, got {_describe(values)}")
            continue
        hints = get_type_hints(section_cls)
        known = {f.name: f for f in fields(section_cls)}
        for key in values:
            if key not in known:
                problems.append(f"{name}.{key}: unknown setting (known in [{name}]: {', '.join(known)})")
        kwargs: dict[str, Any] = {}
        for key, f in known.items():
            if key not in values:
                problems.append(f"{name}.{key}: missing")
                continue
            converted, problem = _check_value(f"{name}.{key}", values[key], hints[key], dict(f.metadata))
            if problem:
                problems.append(problem)
            else:
                kwargs[key] = converted
        valid[name] = kwargs
        if len(kwargs) == len(known):
            sections[name] = section_cls(**kwargs)
    problems.extend(_cross_checks(valid))
    if check_files:
        problems.extend(_file_checks(valid))
    if problems:
        raise ConfigError(problems)
    return Config(**sections)


def _cross_checks(valid: dict[str, dict[str, Any]]) -> list[str]:
    """Rules between keys, applied only to values that passed their own checks: the FIFO must be
    drained before its 32 samples overflow."""
    problems = []
    sensor = valid.get("sensor", {})
    rate, period = sensor.get("sample_rate_hz"), sensor.get("read_period_ms")
    if rate is not None and period is not None and rate * period / 1000.0 > 24:
        problems.append(f"sensor.read_period_ms: expected at most {int(24_000 / rate)} ms at "
                        f"{rate} samples/s so the 32-sample FIFO never overflows, got {period}")
    problems.extend(_sensor_layout_checks(sensor))
    led = valid.get("led", {})
    fps = led.get("frame_rate_hz")
    if led.get("paced_writes") and led.get("kind") == "spi" and fps is not None and period is not None:
        frames = fps * period / 1000.0
        if abs(frames - round(frames)) > 1e-6:
            problems.append(f"led.paced_writes: a paced write holds the frames of one sensor read, so "
                            f"led.frame_rate_hz x sensor.read_period_ms / 1000 must be a whole number of frames, got "
                            f"{fps:g} x {period} / 1000 = {frames:g} (change either, or set paced_writes = false)")
    mqtt = valid.get("mqtt", {})
    lo, hi = mqtt.get("reconnect_min_s"), mqtt.get("reconnect_max_s")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and hi < lo:
        problems.append(f"mqtt.reconnect_max_s: expected at least mqtt.reconnect_min_s ({lo}), got {hi}")
    if mqtt.get("tls") is False and any(mqtt.get(k) for k in ("ca_file", "cert_file", "key_file")):
        problems.append("mqtt.tls: expected true when mqtt.ca_file, cert_file or key_file is set, got false")
    if bool(mqtt.get("cert_file")) != bool(mqtt.get("key_file")):
        problems.append("mqtt.key_file: expected a client certificate and its key together (cert_file and key_file)")
    if mqtt.get("password_file") and not mqtt.get("username"):
        problems.append("mqtt.username: expected a user name when mqtt.password_file is set")
    sim = valid.get("sim", {})
    if sim.get("people") == 2 and sim.get("partner_seed") is not None and sim.get("partner_seed") == sim.get("seed"):
        problems.append(f"sim.partner_seed: expected a seed other than sim.seed ({sim['seed']}) so the partner is "
                        f"another person (-1: sim.seed + 1, or - 1 at the largest seed), got {sim['partner_seed']}")
    a_on, b_on = sim.get("finger_on_at_s"), sim.get("partner_finger_on_at_s")
    b_latest = {f.name: f for f in fields(SimConfig)}["partner_finger_on_at_s"].metadata["hi"]
    if sim.get("people") == 2 and a_on is not None and b_latest is not None and a_on + 1.0 > b_latest:
        # No partner_finger_on_at_s could be 1 s later: say what to change, not a value the key refuses.
        problems.append(f"sim.finger_on_at_s: expected at most {b_latest - 1.0} s with sim.people = 2 so the partner's "
                        f"finger (sim.partner_finger_on_at_s, at most {b_latest} s) can land at least 1 s later, "
                        f"got {a_on}")
    elif sim.get("people") == 2 and a_on is not None and b_on is not None and not b_on >= a_on + 1.0:
        problems.append(f"sim.partner_finger_on_at_s: expected at least 1 s after sim.finger_on_at_s ({a_on}) so the "
                        f"device sees the person on sensor A first and the partner join, got {b_on}")
    return problems


def _sensor_layout_checks(sensor: dict[str, Any]) -> list[str]:
    """Two sensors answer at one address (0x57), so each needs a place of its own: its own channel of the
    TCA9548A ("mux", which must not share the sensors' address), or its own bus ("two_buses"). Keys that
    the layout does not use are not checked against each other."""
    layout = sensor.get("layout")
    problems = []
    if layout == "mux":
        a, b = sensor.get("mux_channel_a"), sensor.get("mux_channel_b")
        if a is not None and a == b:
            problems.append(f"sensor.mux_channel_b: expected a channel other than sensor.mux_channel_a ({a}): "
                            f"each sensor needs its own channel of the TCA9548A, got {b}")
        mux, chip = sensor.get("mux_address"), sensor.get("i2c_address")
        if mux is not None and mux == chip:
            problems.append(f"sensor.mux_address: expected an address other than sensor.i2c_address "
                            f"({_hex(chip)}): the TCA9548A and the sensors share its upstream bus, got {_hex(mux)}")
    elif layout == "two_buses":
        first, second = sensor.get("i2c_bus"), sensor.get("second_i2c_bus")
        if first is not None and first == second:
            problems.append(f"sensor.second_i2c_bus: expected a bus other than sensor.i2c_bus ({first}): both "
                            f"sensors answer at the same address, so each needs its own bus, got {second}")
    return problems


def read_password_file(path: str) -> str:
    """The first line of `mqtt.password_file`; ConfigError naming the key and the path (never the content)
    when it cannot be read as UTF-8 text or its first line is empty."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"mqtt.password_file: cannot read {path}: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([f"mqtt.password_file: {path} is not UTF-8 text"]) from exc
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise ConfigError([f"mqtt.password_file: {path} is empty (the password is its first line)"])
    return lines[0]


def _file_checks(valid: dict[str, dict[str, Any]]) -> list[str]:
    """The files the [mqtt] section names, when MQTT is on (a host is set), checked with the config
    (`glimmer config`, and every start of `run` and `sim`) rather than when the broker is first reached:
    each must be readable by whoever runs the command, and the password file must hold a password.
    Problems name the key and the path, never a file's content."""
    mqtt = valid.get("mqtt", {})
    problems: list[str] = []
    if not mqtt.get("host"):
        return problems
    for key in ("ca_file", "cert_file", "key_file"):
        path = mqtt.get(key)
        if path:
            try:
                with open(path, "rb") as f:
                    f.read(1)
            except OSError as exc:
                problems.append(f"mqtt.{key}: cannot read {path}: {exc.strerror or exc}")
    if not problems:
        problems.extend(_tls_file_checks(mqtt))
    if mqtt.get("password_file"):
        try:
            read_password_file(mqtt["password_file"])
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def _tls_file_checks(mqtt: dict[str, Any]) -> list[str]:
    """The CA file must hold certificates, and the client certificate and key must load as a pair (the
    ssl module's own loaders, as the MQTT client will use them)."""
    import ssl  # only with MQTT's files named

    problems: list[str] = []
    if mqtt.get("ca_file"):
        try:
            ssl.create_default_context(cafile=mqtt["ca_file"])
        except (ssl.SSLError, ValueError) as exc:
            problems.append(f"mqtt.ca_file: {mqtt['ca_file']} holds no usable CA certificate ({exc})")
    if mqtt.get("cert_file") and mqtt.get("key_file"):
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(mqtt["cert_file"], mqtt["key_file"])
        except (ssl.SSLError, ValueError) as exc:
            problems.append(f"mqtt.cert_file, mqtt.key_file: {mqtt['cert_file']} and {mqtt['key_file']} do not "
                            f"load as a certificate and its private key ({exc})")
    return problems


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{origin}: not valid TOML: {exc}"]) from exc


def default_raw() -> dict[str, Any]:
    text = resources.files("device").joinpath("default_config.toml").read_text(encoding="utf-8")
    return _read_toml(text, "default_config.toml")


def load_config(path: Path | None = None, overrides: dict[str, dict[str, Any]] | None = None,
                check_files: bool = False) -> Config:
    """Shipped defaults, overlaid by the TOML file at `path` (if given) and then by `overrides`. With
    `check_files` (the commands that connect to MQTT, and `glimmer config`), the files MQTT will use
    must be readable too."""
    raw = default_raw()
    layers: list[dict[str, Any]] = []
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                               f"{exc.start}); save the file as UTF-8"]) from exc
        layers.append(_read_toml(text, str(path)))
    if overrides:
        layers.append(overrides)
    problems: list[str] = []
    read_period_given = False
    for layer in layers:
        for section, values in _with_new_names(layer, str(path or "overrides"), problems).items():
            if isinstance(values, dict) and isinstance(raw.get(section), dict):
                raw[section] = {**raw[section], **values}
                read_period_given |= section == "sensor" and "read_period_ms" in values
            else:
                raw[section] = values
    _read_period_follows_rate(raw, read_period_given)
    try:
        config = _build(raw, check_files)
    except ConfigError as exc:
        raise ConfigError([*problems, *exc.problems]) from None
    if problems:
        raise ConfigError(problems)
    return config


def _read_period_follows_rate(raw: dict[str, Any], given: bool) -> None:
    """A read period no file or override gives is READ_SAMPLES samples' worth at the sample rate in force
    (400 ms at the shipped 50 samples/s, 200 at 100, 800 at 25), so a file that only changes the rate keeps a
    valid read period."""
    sensor = raw.get("sensor")
    if given or not isinstance(sensor, dict):
        return
    rate = sensor.get("sample_rate_hz")
    rates = next(f.metadata["choices"] for f in fields(SensorConfig) if f.name == "sample_rate_hz")
    if isinstance(rate, int) and not isinstance(rate, bool) and rate in rates:  # (others: their own check)
        sensor["read_period_ms"] = round(READ_SAMPLES * 1000 / rate)


def _with_new_names(layer: dict[str, Any], origin: str, problems: list[str]) -> dict[str, Any]:
    """`layer` with every old key of RENAMED_KEYS under its new name (a warning for each); a key
    given under both names is a problem (appended to `problems`)."""
    out = dict(layer)
    for (section, old), new in RENAMED_KEYS.items():
        values = out.get(section)
        if not isinstance(values, dict) or old not in values:
            continue
        if new in values:
            problems.append(f"{section}.{old}: the old name of {section}.{new}, which is given too; "
                            f"keep {section}.{new} only")
            out[section] = {key: value for key, value in values.items() if key != old}
            continue
        log.warning("%s: %s.%s is now %s.%s (breaths per minute are _per_min); the old name is read "
                    "until Glimmer 0.3", origin, section, old, section, new)
        out[section] = {(new if key == old else key): value for key, value in values.items()}
    return out


def frames_per_write(config: Config) -> int:
    """LED frames in one SPI write: those of one sensor read period when `led.paced_writes` (5 at 50
    frames/s and 100 ms; the config check makes it whole), else 1."""
    led = config.led
    if not (led.paced_writes and led.kind == "spi"):
        return 1
    return max(1, round(led.frame_rate_hz * config.sensor.read_period_ms / 1000.0))
