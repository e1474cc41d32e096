"""People of the household and their settings, kept in the store.

A person's settings override the config's for their sessions: resonance rate, inhale:exhale ratio,
hum on/off and pitch, volume, brightness, night caps; their colour shows on the ring when chosen.
Every value is checked against the same bounds as the config (device/config.py); anything wrong is a
DataError naming the setting, and nothing is written.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from device.config import Config
from device.errors import DataError
from device.home.devicelock import device_holding
from device.home.store import Store, stamp

log = logging.getLogger(__name__)

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
NAME_MAX = 32
# Colours handed to new people in turn (distinct on a ring, none of them blue-heavy at night).
PALETTE = ("#ff9f40", "#40c080", "#c060ff", "#ffd040", "#ff6080", "#40c0ff")

# Settings a person may change: (low, high) inclusive, the same bounds as the config keys they override.
BOUNDS: dict[str, tuple[float, float]] = {
    "resonance_rate_per_min": (4.5, 7.0),
    "inhale_ratio": (1.0, 10.0),
    "exhale_ratio": (1.0, 10.0),
    "hum_pitch_hz": (60.0, 400.0),
    "volume": (0.0, 1.0),
    "brightness": (0.0, 1.0),
    "night_brightness_cap": (0.0, 1.0),
    "night_volume_cap": (0.0, 1.0),
}


@dataclass(frozen=True)
class Person:
    """One member of the household. `resonance_rate_per_min` None: not assessed (the config's default applies).
    `colour` None: not chosen, for a person not stored yet only (add_person gives them a free palette colour)."""

    name: str
    colour: str | None
    resonance_rate_per_min: float | None
    inhale_ratio: float
    exhale_ratio: float
    hum_enabled: bool
    hum_pitch_hz: float
    volume: float
    brightness: float
    night_brightness_cap: float
    night_volume_cap: float
    id: int | None = None

    def check(self) -> Person:
        """Self, or DataError naming every setting out of range."""
        problems = []
        if not self.name.strip() or len(self.name) > NAME_MAX or self.name != self.name.strip():
            shown = self.name if len(self.name) <= NAME_MAX else self.name[:NAME_MAX] + "..."
            problems.append(f"name: expected 1 to {NAME_MAX} characters without surrounding spaces, got {shown!r}")
        elif not self.name.isprintable() or not any(ch.isalnum() for ch in self.name):
            problems.append(f"name: expected letters or digits and no control characters, got {self.name!r}")
        if self.colour is None:
            if self.id is not None:
                problems.append("colour: expected #rrggbb, got nothing")
        elif not _COLOUR.match(self.colour):
            problems.append(f"colour: expected #rrggbb, got {self.colour!r}")
        for key, (lo, hi) in BOUNDS.items():
            value = getattr(self, key)
            if value is None and key == "resonance_rate_per_min":
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value) \
                    or not lo <= value <= hi:
                problems.append(f"{key}: expected {lo} to {hi}, got {value!r}")
        if not isinstance(self.hum_enabled, bool):
            problems.append(f"hum_enabled: expected true or false, got {self.hum_enabled!r}")
        if problems:
            raise DataError("; ".join(problems))
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def apply_to(self, config: Config) -> Config:
        """The config for this person's sessions: their settings over the household's."""
        pacer: dict[str, Any] = {"inhale_ratio": self.inhale_ratio, "exhale_ratio": self.exhale_ratio}
        if self.resonance_rate_per_min is not None:
            pacer["resonance_rate_per_min"] = self.resonance_rate_per_min
        config = config.replace("pacer", **pacer)
        config = config.replace("audio", volume=self.volume, hum_enabled=self.hum_enabled,
                                hum_pitch_hz=self.hum_pitch_hz)
        config = config.replace("led", max_brightness=min(self.brightness, 1.0))
        return config.replace("night", brightness_cap=self.night_brightness_cap, volume_cap=self.night_volume_cap)


def new_person(name: str, config: Config, colour: str | None = None, **settings: Any) -> Person:
    """A person with the household's config as their starting settings (any of them overridden).
    `colour` None: chosen when they are added (the first palette colour nobody in the household has)."""
    person = Person(
        name=name, colour=colour, resonance_rate_per_min=None,
        inhale_ratio=config.pacer.inhale_ratio, exhale_ratio=config.pacer.exhale_ratio,
        hum_enabled=config.audio.hum_enabled, hum_pitch_hz=config.audio.hum_pitch_hz,
        volume=config.audio.volume, brightness=config.led.max_brightness,
        night_brightness_cap=config.night.brightness_cap, night_volume_cap=config.night.volume_cap,
    )
    return edited(person, **settings)


def edited(person: Person, **settings: Any) -> Person:
    """A checked copy with some settings changed; DataError for an unknown setting or a bad value."""
    known = {f.name for f in fields(Person)} - {"id"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise DataError(f"unknown setting {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return replace(person, **settings).check()


_COLUMNS = tuple(f.name for f in fields(Person) if f.name != "id")


def _from_row(row: sqlite3.Row) -> Person:
    values = {k: row[k] for k in _COLUMNS}
    values["hum_enabled"] = bool(values["hum_enabled"])
    return Person(id=int(row["id"]), **values)


def list_people(store: Store) -> list[Person]:
    """Everyone in the household (not removed), in the order they were added."""
    rows = store.conn.execute("SELECT * FROM people WHERE removed_at IS NULL ORDER BY id")
    return [_from_row(r) for r in rows]


def get_person(store: Store, name: str) -> Person:
    """The person of that name (any case or Unicode form, as `name_key` compares them); DataError naming
    who exists when there is nobody."""
    people = list_people(store)
    for person in people:
        if name_key(person.name) == name_key(name):
            return person
    known = ", ".join(p.name for p in people) or "nobody yet"
    raise DataError(f"no person called {name!r} (known: {known})")


def people_with_history(store: Store, name: str) -> list[Person]:
    """Everyone whose history goes by `name` (any case or Unicode form): the person of the household
    called so, then people removed with their history kept who were called so, the latest removed
    first. DataError naming who exists (and who was removed) when there is nobody."""
    key = name_key(name)
    rows = store.conn.execute("SELECT * FROM people ORDER BY removed_at IS NOT NULL, removed_at DESC, id DESC")
    found = [_from_row(r) for r in rows if name_key(r["name"]) == key]
    if not found:
        known = ", ".join(p.name for p in list_people(store)) or "nobody yet"
        removed = sorted({r[0] for r in store.conn.execute("SELECT name FROM people WHERE removed_at IS NOT NULL")})
        gone = f"; removed with history kept: {', '.join(removed)}" if removed else ""
        raise DataError(f"no person called {name!r} (known: {known}{gone})")
    return found


def name_key(name: str) -> str:
    """The form two names are compared in: Unicode-normalised (NFKC) and case-folded, so that 'Zoë'
    typed composed or decomposed, 'ZOË' and 'zoë' are one person, and so are 'ﬀ' and 'ff'."""
    return unicodedata.normalize("NFKC", name).casefold()


def _refuse_taken(store: Store, name: str, except_id: int | None = None) -> None:
    key = name_key(name)
    for other in list_people(store):
        if other.id != except_id and name_key(other.name) == key:
            raise DataError(f"there is already a person called {other.name!r}")


def add_person(store: Store, person: Person, at: datetime) -> Person:
    """Store a new person; DataError if the name is taken. Returns them with their id."""
    person = replace(person, name=unicodedata.normalize("NFC", person.name))
    person.check()
    _refuse_taken(store, person.name)
    values = person.as_dict()
    del values["id"]
    if person.colour is None:  # not chosen: a colour nobody has, else the palette again in turn
        values["colour"] = free_colour([p.colour for p in list_people(store)])
    try:
        with store.transaction() as conn:
            cur = conn.execute(f"INSERT INTO people ({', '.join(_COLUMNS)}, created_at) "
                               f"VALUES ({', '.join('?' * len(_COLUMNS))}, ?)",
                               (*(values[k] for k in _COLUMNS), stamp(at)))
    except sqlite3.IntegrityError:
        raise DataError(f"there is already a person called {person.name!r}") from None
    return replace(person, id=int(cur.lastrowid or 0), colour=values["colour"])


def free_colour(taken: list[str | None]) -> str:
    """The first palette colour not in `taken` (any case); when all are taken, the palette again in turn,
    the colour with the fewest people first (the earliest of the palette among equals)."""
    used = [c.lower() for c in taken if c is not None]
    return min(PALETTE, key=lambda c: (used.count(c), PALETTE.index(c)))


def update_person(store: Store, person: Person) -> Person:
    """Write a person's changed settings (found by id); DataError if the new name is taken."""
    person = replace(person, name=unicodedata.normalize("NFC", person.name))
    person.check()
    _refuse_taken(store, person.name, except_id=person.id)
    try:
        with store.transaction() as conn:
            conn.execute(f"UPDATE people SET {', '.join(f'{k} = ?' for k in _COLUMNS)} WHERE id = ?",
                         (*(getattr(person, k) for k in _COLUMNS), person.id))
    except sqlite3.IntegrityError:
        raise DataError(f"there is already a person called {person.name!r}") from None
    return person


def remove_person(store: Store, name: str, forget: bool, at: datetime) -> int:
    """Remove a person. forget=True deletes them and all their history for good (sessions, metrics,
    glimmers, assessments); False keeps their history under their name. Returns sessions forgotten.

    With nobody of that name in the household, forget=True forgets the history kept when people of that
    name (any case or Unicode form) were removed earlier, all of it; keeping it again is refused
    (DataError: they are already removed). DataError naming who exists when there is no one to remove."""
    try:
        targets = [get_person(store, name)]
    except DataError:
        kept = people_with_history(store, name)  # nobody of that name is in the household: all removed
        if not forget:
            raise DataError(f"{kept[0].name} was already removed with their history kept; "
                            "say --forget to delete that history for good") from None
        targets = kept
    for person in targets if forget else ():
        running = store.conn.execute("SELECT id FROM sessions WHERE person_id = ? AND status = 'open'",
                                     (person.id,)).fetchone()
        holder = device_holding(store.path) if running is not None else None
        if holder is not None:  # its recorder would write into rows deleted under it
            raise DataError(f"{person.name}'s session {running[0]} is running on the device (pid {holder}); "
                            "forget them once it has ended, or remove them now with --keep-history")
    n = 0
    with store.transaction() as conn:
        for person in targets:
            if forget:
                n += conn.execute("SELECT count(*) FROM sessions WHERE person_id = ?", (person.id,)).fetchone()[0]
                conn.execute("DELETE FROM people WHERE id = ?", (person.id,))
            else:
                conn.execute("UPDATE people SET removed_at = ? WHERE id = ?", (stamp(at), person.id))
                # Active no more: the device starts next with a guest (as when a forgotten person's row goes).
                conn.execute("UPDATE active_person SET person_id = NULL WHERE person_id = ?", (person.id,))
    if forget:
        # Deleted rows may linger in free pages and the WAL until overwritten: clear them now.
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.conn.execute("VACUUM")
    log.info("removed %s (%s)", targets[0].name, "history forgotten" if forget else "history kept")
    return int(n)
