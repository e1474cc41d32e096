"""The household at the device: who is active, their settings in force, and their sessions recorded.

`Household.attach(device)` is called once when the daemon (or the simulator) starts: sessions left
`open` by a power cut are marked interrupted, detail older than `store.retention_days` is pruned, and
a SessionRecorder is hooked to the device. `next_person` steps through the people (then a guest, who
is recorded nowhere) and puts that person's settings in force at once (the LED ring's brightness and
night caps included) for the next session. Whoever is chosen stays active across restarts: the choice
is kept in the store (`Store.set_active_person`) and `Household.restored` starts with it.

Together mode (docs/together.md): the partner is whoever is on sensor B, chosen the same ways (`glimmer
users partner NAME`, MQTT `cmd/partner`, Home Assistant's partner select, the second button's
"next_partner") and kept the same way (`Store.set_partner_person`, store migration 5). The partner is never
the active person: choosing them as the partner is refused, and making the partner active makes the partner a
guest. Their resonance rate sets the shared pacer's target; their sessions are stored by a second recorder.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from device.config import Config
from device.errors import CommandRejected, DataError, StoreError
from device.home import messages
from device.home.devicelock import DeviceLock
from device.home.people import Person, get_person, list_people
from device.home.recorder import SessionRecorder
from device.home.store import Store, is_disk_full

log = logging.getLogger(__name__)

GUEST_COLOUR = "#ffffff"  # the ring's colour for "a guest" when stepping through the people


class Household:
    """The store, the people in it and the one who is active (None: a guest)."""

    def __init__(self, store: Store, config: Config, active: Person | None = None,
                 partner: Person | None = None) -> None:
        self.store = store
        self.config = config
        self.active = active
        self.partner = partner if partner is None or active is None or partner.id != active.id else None
        self.recorder: SessionRecorder | None = None
        self.partner_recorder: SessionRecorder | None = None
        self._device: Any = None

    @classmethod
    def restored(cls, store: Store, config: Config) -> Household:
        """The household as it was left: the person active at the last stop (a guest if that was a
        guest, or if they have since been removed); the first person if nobody was ever chosen."""
        chosen, person_id = store.active_person_id()
        people = list_people(store)
        first = people[0] if people else None
        _, partner_id = store.partner_person_id()  # never chosen: a guest
        partner = next((p for p in people if p.id == partner_id), None)
        return cls(store, config, next((p for p in people if p.id == person_id), None) if chosen else first,
                   partner)

    def config_for(self, person: Person | None) -> Config:
        """The config of a person's sessions (the household's for a guest)."""
        return self.config if person is None else person.apply_to(self.config)

    def attach(self, device: Any, now: datetime) -> SessionRecorder:
        """Tidy the store (interrupted sessions, retention) and record the device's sessions. One device
        process per store: StoreInUse when another holds the store's lock (device/home/devicelock.py)."""
        if self.store.device_lock is None:
            self.store.device_lock = DeviceLock(self.store.path)
        interrupted = self.store.mark_interrupted()
        if interrupted:
            log.warning("%d session(s) were interrupted last time and are kept, marked so", len(interrupted))
        pruned = self.store.prune(self.config.store.retention_days, now)
        if pruned:
            log.info("pruned %d per-period rows older than %.0f days", pruned, self.config.store.retention_days)
        self._device = device
        # The device numbers its sessions on from the store's, so its logs name the id history shows.
        device.session.ids = itertools.count(self.store.next_session_id())
        recorder = SessionRecorder(
            self.store, device.hardware.stamp_clock, self.active.id if self.active else None,
            glimmer_now=lambda: bool(device.session.pattern.glimmer),
            kind_now=lambda: "assessment" if device.session.assessment is not None else "session")
        device.publishers.append(recorder)
        device.next_person = lambda: self._next_colour()
        device.choose_person = self.choose
        device.known_people = lambda: [_published(p) for p in list_people(self.store)]
        device.current_person = _published(self.active)
        device.on_session_tick.append(recorder.on_tick)
        recorder.after_assessment = self.refresh
        self.recorder = recorder
        if getattr(device, "channel_b", None) is not None:  # sensor B: the partner's sessions too
            partner_recorder = SessionRecorder(
                self.store, device.hardware.stamp_clock, self.partner.id if self.partner else None,
                glimmer_now=lambda: bool(device.session.partner is not None and device.session.partner.glimmer),
                seat="partner")
            device.publishers.append(partner_recorder)
            device.on_session_tick.append(partner_recorder.on_tick)
            self.partner_recorder = partner_recorder
        device.choose_partner = self.choose_partner
        device.next_partner = lambda: self._next_partner_colour()
        self._show_partner()
        return recorder

    def _named(self, name: str | None) -> Person | None:
        """The person a command names (None: a guest); CommandRejected ("unknown_person") for a name nobody has."""
        if name is None:
            return None
        try:
            return get_person(self.store, name)
        except DataError as exc:
            raise CommandRejected("unknown_person", str(exc)) from exc

    # -- the partner (sensor B) ----------------------------------------------------------------------

    def choose_partner(self, name: str | None) -> messages.Person | None:
        """Make `name` the partner on sensor B (None: a guest), for the next session. Raises CommandRejected:
        "unknown_person", "same_person" (the active person), "busy" (while a session runs)."""
        person = self._named(name)
        if person is not None and self.active is not None and person.id == self.active.id:
            raise CommandRejected("same_person", f"{person.name} is the active person (sensor A); choose another "
                                                 "person, or a guest, as the partner")
        self._partner_settable()
        self._set_partner(person)
        if self._device is not None:
            self._device.flash_colour(_ring_colour(person))
        return _published(self.partner)

    def next_partner(self) -> Person | None:
        """Step the partner to the next person (skipping the active one; after the last: a guest). Raises
        CommandRejected ("busy") while a session runs."""
        people = [p for p in list_people(self.store) if self.active is None or p.id != self.active.id]
        ids = [p.id for p in people]
        current = ids.index(self.partner.id) if self.partner is not None and self.partner.id in ids else -1
        chosen = people[current + 1] if current + 1 < len(people) else None
        self._partner_settable()
        self._set_partner(chosen)
        return self.partner

    def _next_partner_colour(self) -> str | None:
        """The second button's next_partner: the next partner's colour to show, or None during a session."""
        return _stepped_colour(self.next_partner)

    def _partner_settable(self) -> None:
        device = self._device
        if device is not None and device.session.phase.value != "idle":
            raise CommandRejected("busy", "the partner can change between sessions, not during one")

    def _set_partner(self, person: Person | None) -> None:
        self.partner = person
        if self.partner_recorder is not None:
            self.partner_recorder.person_id = person.id if person else None
        self._show_partner()
        log.info("partner (sensor B): %s", person.name if person else "a guest")
        _keep("the partner", lambda: self.store.set_partner_person(person.id if person else None))

    def _show_partner(self) -> None:
        """Tell the device who the partner is and their resonance rate (the shared pacer's target)."""
        device = self._device
        if device is None:
            return
        device.current_partner = _published(self.partner)
        device.session.partner_resonance_rate_per_min = self.config_for(self.partner).pacer.resonance_rate_per_min
        device.session.together_colours = (_rgb(_ring_colour(self.active)), _rgb(_ring_colour(self.partner)))

    def refresh(self) -> None:
        """Re-read the active person (an assessment changed their resonance rate) and put their
        settings in force for the next session."""
        if self.active is None:
            return
        self.active = get_person(self.store, self.active.name)
        if self._device is not None:
            self._device.use_config(self.config_for(self.active))
            self._show_partner()

    def choose(self, name: str | None) -> messages.Person | None:
        """Make `name` the active person (an MQTT command), None a guest; their settings take effect for the
        next session, and no session starts. Raises CommandRejected ("unknown_person") for a name nobody
        has, ("busy") while a session runs."""
        person = self._named(name)
        if self._device is not None and not self._device.use_config(self.config_for(person)):
            raise CommandRejected("busy", "the person can change between sessions, not during one")
        self._activate(person)
        if self._device is not None:
            self._device.flash_colour(_ring_colour(person))
        return _published(self.active)

    def _activate(self, person: Person | None) -> None:
        self.active = person
        if person is not None and self.partner is not None and self.partner.id == person.id:
            log.info("%s is now the active person, so the partner (sensor B) is a guest", person.name)
            self._set_partner(None)
        if self.recorder is not None:
            self.recorder.person_id = person.id if person else None
        if self._device is not None:
            self._device.current_person = _published(person)
            self._show_partner()  # the ring's together colours follow who is who
        log.info("active person: %s", person.name if person else "a guest")
        _keep("the active person", lambda: self.store.set_active_person(person.id if person else None))

    def _next_colour(self) -> str | None:
        """The long press: the next person's colour to show, or None (nothing changed) during a session."""
        return _stepped_colour(self.next_person)

    def next_person(self) -> Person | None:
        """Step to the next person (after the last: a guest) and put their settings in force. Raises
        CommandRejected ("busy"), changing nothing, while a session runs."""
        people = list_people(self.store)
        ids = [p.id for p in people]
        current = ids.index(self.active.id) if self.active is not None and self.active.id in ids else -1
        nxt = current + 1
        chosen = people[nxt] if nxt < len(people) else None
        if self._device is not None and not self._device.use_config(self.config_for(chosen)):
            raise CommandRejected("busy", "the person can change between sessions, not during one")
        self._activate(chosen)
        return self.active


def _keep(what: str, write: Callable[[], None]) -> None:
    """Store a choice for the next start (`write`). A full disk or a store error is logged and the choice
    holds for this run anyway (only the next start would not know it); any other database error raises."""
    try:
        write()
    except (StoreError, sqlite3.OperationalError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and not is_disk_full(exc):
            raise
        log.error("cannot keep %s for the next start: %s", what, exc)


def _stepped_colour(step: Callable[[], Person | None]) -> str | None:
    """Take one step through the household (`step`) and return the colour the ring flashes for whom it
    chose; None, logged, when the step is refused (CommandRejected: a session runs)."""
    try:
        person = step()
    except CommandRejected as exc:
        log.info("%s", exc)
        return None
    return _ring_colour(person)


def _ring_colour(person: Person | None) -> str:
    """A stored person's colour (always chosen when they were added); a guest's white."""
    return person.colour if person is not None and person.colour is not None else GUEST_COLOUR


def _rgb(colour: str) -> tuple[float, float, float]:
    """'#rrggbb' as RGB 0..1."""
    return (int(colour[1:3], 16) / 255.0, int(colour[3:5], 16) / 255.0, int(colour[5:7], 16) / 255.0)


def _published(person: Person | None) -> messages.Person | None:
    """How the MQTT link knows a person: a stable key (the store's id) and the name."""
    return None if person is None else messages.Person(key=str(person.id), name=person.name)
