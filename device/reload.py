"""SIGHUP: read the config file again and put what can change without a restart in force.

The signal handler only sets a flag; the reload runs on the main loop, after the session's step (every
SESSION_TICK_S, 1 s), so it adds no wake-up of its own. A config that does not load (bad TOML, a value out of range,
an unreadable file) is refused: every problem is logged and the running config stays. A good one is
split three ways, by where each value is used:

- now: `device.log_level`, `metrics.*` (the publish period), `night.*` (the schedule) and
  `assessment.*` (the next assessment's plan);
- from the next session: `pacer.*`, `session.*` and the sound's `audio.volume`, `audio.hum_*`,
  `audio.cue_enabled` (a running session keeps the settings it started with: it is not dropped);
- at the next restart: everything else (the hardware, the broker, the store), named in the log; the
  running values stay, so the device never runs half on hardware it has not opened.

With a household, the new file is the household's base config and the active person's own
settings go on applying over it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from device.config import Config, as_dict
from device.errors import ConfigError

log = logging.getLogger(__name__)

ALL = frozenset({"*"})
# Keys a reload applies, by section (anything not here needs a restart).
APPLIED_NOW: dict[str, frozenset[str]] = {
    "device": frozenset({"log_level"}), "metrics": ALL, "night": ALL, "assessment": ALL,
}
APPLIED_NEXT_SESSION: dict[str, frozenset[str]] = {
    "pacer": ALL, "session": ALL,
    "audio": frozenset({"volume", "hum_enabled", "hum_pitch_hz", "cue_enabled"}),
}


def _applies(table: dict[str, frozenset[str]], section: str, key: str) -> bool:
    keys = table.get(section, frozenset())
    return keys is ALL or key in keys


@dataclasses.dataclass(frozen=True)
class ReloadPlan:
    """What a reload changes: the config to run with, and the changed keys by when they apply."""

    config: Config
    now: tuple[str, ...]
    next_session: tuple[str, ...]
    at_restart: tuple[str, ...]


def plan_reload(running: Config, loaded: Config) -> ReloadPlan:
    """`running` with every value of `loaded` that a reload applies; the keys sorted by when."""
    old, new = as_dict(running), as_dict(loaded)
    merged = {section: dict(values) for section, values in old.items()}
    now: list[str] = []
    later: list[str] = []
    restart: list[str] = []
    for section, values in new.items():
        for key, value in values.items():
            if old[section].get(key) == value:
                continue
            name = f"{section}.{key}"
            if _applies(APPLIED_NOW, section, key):
                now.append(name)
            elif _applies(APPLIED_NEXT_SESSION, section, key):
                later.append(name)
            else:
                restart.append(name)
                continue
            merged[section][key] = value
    config = running
    for section, values in merged.items():
        if values != old[section]:
            config = config.replace(section, **values)
    return ReloadPlan(config, tuple(now), tuple(later), tuple(restart))


class ConfigReloader:
    """Reloads `load()` on request (SIGHUP) into `device` (a GlimmerDevice), keeping the session.

    `household`: a Household whose base config is replaced (its active person's settings apply over
    it). `set_log_level(config)`: puts `device.log_level` in force (the CLI's -v/-q on top)."""

    def __init__(self, device: Any, load: Callable[[], Config], household: Any = None,
                 set_log_level: Callable[[Config], None] = lambda _c: None) -> None:
        self.device = device
        self.load = load
        self.household = household
        self.set_log_level = set_log_level
        self.base: Config = household.config if household is not None else device.config
        self.requested = False
        self.reloads = 0
        self.refused = 0
        self.on_reloading: list[Callable[[], None]] = []
        self.on_reloaded: list[Callable[[], None]] = []
        self._pending: Config | None = None  # the session's settings, once the running session ends
        device.on_session_tick.append(self._tick)  # the session's 1 s step: no wake-up of its own

    def request(self) -> None:
        """Ask for a reload at the loop's next turn (safe in a signal handler)."""
        self.requested = True

    def _tick(self, now_s: float) -> None:
        if self._pending is not None and self.device.use_config(self._pending):
            self._pending = None
            log.info("the reloaded session settings are in force from this session on")
        if self.requested:
            self.requested = False
            self.reload()

    def reload(self) -> bool:
        """Load and apply the config now. False (nothing changed, problems logged) when it is bad."""
        for hook in self.on_reloading:
            hook()
        try:
            ok = self._reload()
        finally:
            for hook in self.on_reloaded:
                hook()
        return ok

    def _reload(self) -> bool:
        log.info("reloading the config (SIGHUP)")
        try:
            loaded = self.load()
        except ConfigError as exc:
            self.refused += 1
            log.error("config reload refused, the running config is kept: %s", exc)
            return False
        plan = plan_reload(self.base, loaded)
        self.base = plan.config
        person_config = plan.config
        if self.household is not None:
            self.household.config = plan.config
            person_config = self.household.config_for(self.household.active)
        device = self.device
        if not device.use_config(person_config):  # a session runs: it keeps its settings
            self._pending = person_config if plan.next_session or self._pending is not None else None
            device.config = person_config  # the schedule, the next assessment, the publish period
        for task in device.tasks:
            if task.name == "publish":
                task.period_s = person_config.metrics.period_s
        self.set_log_level(person_config)
        self.reloads += 1
        if plan.at_restart:
            log.warning("config reloaded; these take effect at the next restart: %s", ", ".join(plan.at_restart))
        now = plan.now if self._pending is not None else plan.now + plan.next_session
        later = plan.next_session if self._pending is not None else ()
        said = [f"{', '.join(now)} in force now" if now else "",
                f"{', '.join(later)} from the next session (this one keeps its settings)" if later else ""]
        log.info("config reloaded: %s", "; ".join(s for s in said if s) or "no change in force")
        return True
