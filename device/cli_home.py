"""The household's commands: `glimmer users ...`, `glimmer history`, `glimmer report`, and the store options
of `glimmer sim` (--user, --store, --assess).

Registered from device/cli.py by `register(subparsers, load_config)`. Errors: DataError and StoreError
exit 65 (EX_DATAERR), StoreNotWritable 78 (EX_CONFIG), mapped in device/cli.py; every command checks
everything before it writes, so a refused command changes nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from device.config import DEFAULT_CONFIG_PATH, Config
from device.errors import CommandRejected, DataError, StoreError, StoreInUse, StoreTooNew
from device.home.devicelock import DeviceLock, device_holding
from device.home.household import Household
from device.home.people import (
    Person,
    add_person,
    edited,
    get_person,
    list_people,
    name_key,
    new_person,
    people_with_history,
    remove_person,
    update_person,
)
from device.home.store import Store, refuse_newer_store, resolve_store_path
from device.paths import writable_file

log = logging.getLogger(__name__)


def _columns(ch: str) -> int:
    """Terminal columns one character takes: 2 for East Asian wide/fullwidth, 0 for combining marks."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit(text: str, width: int, cut: bool = True) -> str:
    """`text` padded with spaces to `width` terminal columns (and, with `cut`, cut to at most that), so
    tables line up for names in any script (a CJK character takes two columns, an accent none)."""
    out: list[str] = []
    used = 0
    for ch in text:
        w = _columns(ch)
        if cut and used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * max(width - used, 0)

Loader = Callable[[argparse.Namespace, Path | None], Config]
OLD_SETTING_NAMES = {"resonance_rate_bpm": "resonance_rate_per_min"}
_SETTING_TYPES = {f.name: f.type for f in fields(Person) if f.name not in ("id",)}


def register(sub: Any, load: Loader) -> None:
    """Add `users`, `history` and `report` to the `glimmer` subcommands."""
    users = sub.add_parser("users", help="the people of the household and their settings",
                           description="Add, list, edit, show and remove the people who use this device. "
                                       f"Settings: {', '.join(k for k in _SETTING_TYPES if k != 'name')}.")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", help="add a person: NAME [SETTING=VALUE ...]")
    add.add_argument("name")
    add.add_argument("settings", nargs="*", metavar="SETTING=VALUE")
    lst = users_sub.add_parser("list", help="list everyone with their settings, and who is active on the device")
    lst.add_argument("--json", action="store_true", help="one JSON array")
    edit = users_sub.add_parser("edit", help="change settings: NAME SETTING=VALUE [...] (name=NEW renames)")
    edit.add_argument("name")
    edit.add_argument("settings", nargs="+", metavar="SETTING=VALUE")
    show = users_sub.add_parser("show", help="a person's settings and resonance assessments")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="one JSON object")
    remove = users_sub.add_parser("remove", help="remove a person, keeping or forgetting their history")
    remove.add_argument("name")
    keep = remove.add_mutually_exclusive_group()
    keep.add_argument("--keep-history", action="store_true", help="keep their sessions (under their name)")
    keep.add_argument("--forget", action="store_true", help="delete their sessions and assessments for good")
    partner = users_sub.add_parser(
        "partner", help="who is on sensor B in together mode: NAME, --guest, or nothing to show who",
        description="The partner is the person on the second pulse sensor (sensor B) in together mode "
                    "(docs/together.md). Kept in the store; a running device takes it at its next start "
                    "(choose on a running one by MQTT cmd/partner or the second button).")
    partner.add_argument("name", nargs="?")
    partner.add_argument("--guest", action="store_true", help="a guest on sensor B (nothing stored for them)")
    users.set_defaults(handler=lambda args: _users(args, load))

    history = sub.add_parser("history", help="past sessions: date, duration, HR, RMSSD, coherence, glimmers",
                             description="Past sessions, oldest first.")
    history.add_argument("--user", help="only the sessions of whoever is called so: the person of that name, and "
                                        "anyone of that name removed with their history kept (marked removed)")
    history.add_argument("--since", type=_date, help="only sessions from this date on (YYYY-MM-DD)")
    history.add_argument("--json", action="store_true", help="one JSON array")
    history.set_defaults(handler=lambda args: _history(args, load))

    report = sub.add_parser("report", help="pictures of a session and the weeks around it (PNG or HTML)",
                            description="Heart rate with the pacer's breathing, coherence with the glimmers, "
                                        "breathing against the pacer, and RMSSD/coherence trends with the "
                                        "latest resonance assessment. Needs the 'report' extra (matplotlib).")
    report.add_argument("--user", required=True,
                        help="whose session (the person of that name, else one removed with history kept)")
    report.add_argument("--session", type=int, default=None, help="session id (glimmer history; default: latest)")
    report.add_argument("--out", type=writable_file, required=True, help="FILE.png or FILE.html (opens offline)")
    report.set_defaults(handler=lambda args: _report(args, load))


def add_sim_options(sim: argparse.ArgumentParser) -> None:
    """--user, --store and --assess for `glimmer sim`."""
    sim.add_argument("--user", default=None, help="the simulated session belongs to this person (default: a guest; "
                                                   "nothing is stored)")
    sim.add_argument("--store", type=writable_file, default=None,
                     help="the store file (default: store.path, else the state directory; named at start)")
    sim.add_argument("--assess", action="store_true",
                     help="run a resonance assessment on the simulated person ([sim] resonance_rate_per_min sets "
                          "their true rate) and print the result with each step's figures (--user NAME: "
                          "stored for them; a guest's is shown, not stored); " + ASSESS_DURATION_HELP)
    sim.formatter_class = _AssessHelp


ASSESS_DURATION_HELP = "{assess_duration}"  # filled in by _AssessHelp when the help is shown


def assessment_duration_text(config: Config) -> str:
    """How long an assessment paces with `config`'s [assessment] plan, from the plan itself."""
    from device.pacing.assessment import AssessmentPlan

    a = config.assessment
    plan = AssessmentPlan.from_text(a.rates_per_min, a.step_s, a.settle_s, a.follow_tolerance_per_min)
    least, most = plan.paced_s() / 60.0, plan.paced_s(extended=True, repeats=1) / 60.0
    return (f"with the shipped [assessment] settings it paces {least:.0f} simulated minutes when every step is "
            f"followed at once, {most:.0f} with a step past an end of the range and a step repeated (each further "
            f"repeat {plan.step_s / 60.0:.0f} more), so add --speed max to have it in seconds")


class _AssessHelp(argparse.HelpFormatter):
    """`glimmer sim --help`: the assessment's duration computed from the shipped plan, only when shown."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        if text is not None and ASSESS_DURATION_HELP in text:
            from device.config import load_config

            text = text.replace(ASSESS_DURATION_HELP, assessment_duration_text(load_config()))
        return text


def _date(text: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD (e.g. {date.today():%Y-%m-%d}), got {text!r}") \
            from None


def refuse_newer(config: Config) -> None:
    """StoreTooNew when the configured store is from a newer Glimmer; reads it only, creates nothing."""
    refuse_newer_store(resolve_store_path(config.store.path))


def open_store(config: Config, override: Path | None = None) -> Store:
    path = override if override is not None else resolve_store_path(config.store.path)
    return Store(path)


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    """SETTING=VALUE pairs to typed values; DataError naming the first that is wrong."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if key in OLD_SETTING_NAMES:  # breaths per minute were _bpm until Glimmer 0.1; read until 0.3
            log.warning("%s is now %s (breaths per minute are _per_min)", key, OLD_SETTING_NAMES[key])
            key = OLD_SETTING_NAMES[key]
        if not sep or key not in _SETTING_TYPES:
            raise DataError(f"{pair!r}: expected SETTING=VALUE with SETTING one of {', '.join(_SETTING_TYPES)}")
        if key in out:
            raise DataError(f"{key}: given twice; say each setting once")
        kind = str(_SETTING_TYPES[key])
        text = text.strip()
        if "bool" in kind:
            if text.lower() not in ("true", "false", "on", "off", "yes", "no"):
                raise DataError(f"{key}: expected true or false, got {text!r}")
            out[key] = text.lower() in ("true", "on", "yes")
        elif "float" in kind:
            if key == "resonance_rate_per_min" and text.lower() in ("", "none", "auto"):
                out[key] = None
                continue
            try:
                out[key] = float(text)
            except ValueError:
                raise DataError(f"{key}: expected a number, got {text!r}") from None
        else:
            out[key] = text
    return out


def _users(args: argparse.Namespace, load: Loader) -> int:
    config = load(args, DEFAULT_CONFIG_PATH)
    action = args.users_command
    if action == "add":
        settings = parse_settings(args.settings)  # checked before the store is touched
        if "name" in settings:
            raise DataError("name: a new person's name is the NAME argument, not a setting (rename with edit)")
        person = new_person(args.name, config, **settings)
        with open_store(config) as store:
            person = add_person(store, person, datetime.now())
        print(f"added {person.name} (colour {person.colour})")
        return 0
    if action == "remove" and not (args.keep_history or args.forget):
        if not sys.stdin.isatty():
            raise DataError("say --keep-history or --forget: removing asks what to do with their sessions")
        answer = input(f"Keep {args.name}'s history (k) or forget it for good (f)? ").strip().lower()
        if answer not in ("k", "f"):
            raise DataError(f"expected k or f, got {answer!r}; nothing changed")
        args.forget = answer == "f"
    with open_store(config) as store:
        if action == "partner":
            _partner(store, config, args)
        elif action == "list":
            household = Household.restored(store, config)
            active, partner = household.active, household.partner
            # active: whom the device starts with (the last one chosen; the first person if nobody was);
            # partner: who is on sensor B in together mode
            people = [{**p.as_dict(), "active": active is not None and p.id == active.id,
                       "partner": partner is not None and p.id == partner.id}
                      for p in list_people(store)]
            if args.json:
                print(json.dumps(people, indent=2))
            elif not people:
                print("nobody yet: glimmer users add NAME")
            else:
                for p in people:
                    found = p["resonance_rate_per_min"]
                    rate = "not assessed" if found is None else f"{found}/min"
                    mark = "  (active)" if p["active"] else "  (partner)" if p["partner"] else ""
                    print(f"{fit(p['name'], 16, cut=False)} {p['colour']}  resonance {rate}{mark}")
                if active is None:
                    print("active: a guest (nothing is stored)")
        elif action == "edit":
            person = edited(get_person(store, args.name), **parse_settings(args.settings))
            update_person(store, person)
            print(f"updated {person.name}")
        elif action == "show":
            _show(store, get_person(store, args.name), args.json)
        elif action == "remove":
            removing = any(name_key(p.name) == name_key(args.name) for p in list_people(store))
            n = remove_person(store, args.name, forget=bool(args.forget), at=datetime.now())
            if not removing:
                print(f"forgot the history kept for {args.name}: {n} sessions")
            else:
                print(f"removed {args.name}" + (f"; {n} sessions forgotten" if args.forget else "; history kept"))
    return 0


def _partner(store: Store, config: Config, args: argparse.Namespace) -> None:
    """`glimmer users partner [NAME | --guest]`: choose (or show) who is on sensor B."""
    household = Household.restored(store, config)
    if args.name is not None and args.guest:
        raise DataError("give a NAME or --guest, not both")
    if args.name is None and not args.guest:
        print(f"partner (sensor B): {household.partner.name if household.partner else 'a guest'}")
        return
    try:
        household.choose_partner(None if args.guest else args.name)
    except CommandRejected as exc:
        raise DataError(str(exc)) from None
    print(f"partner (sensor B): {household.partner.name if household.partner else 'a guest'}")


def _show(store: Store, person: Person, as_json: bool) -> None:
    assert person.id is not None
    assessments = store.assessments(person.id)
    if as_json:
        print(json.dumps({**person.as_dict(), "assessments": assessments}, indent=2))
        return
    for key, value in person.as_dict().items():
        if key != "id":
            print(f"{key:<22} {'not assessed' if value is None else value}")
    for a in assessments:
        result = "could not tell" if a["resonance_rate_per_min"] is None else f"{a['resonance_rate_per_min']}/min"
        print(f"\nassessment {a['at']}: {result} ({a['reason']})")
        from device.pacing.assessment import STEP_HEADER, step_row

        print(STEP_HEADER)
        for s in a["steps"]:
            print(step_row(s))


HISTORY_KEYS = ("id", "person", "person_removed", "kind", "started_at", "status", "duration_s", "mean_hr_bpm",
                "mean_rmssd_ms", "mean_coherence_ratio", "peak_coherence_ratio", "coherent_s", "glimmers",
                "pacer_start_rate_per_min", "pacer_end_rate_per_min", "together_with", "together_with_person",
                "mean_synchrony")


def _history(args: argparse.Namespace, load: Loader) -> int:
    config = load(args, DEFAULT_CONFIG_PATH)
    with open_store(config) as store:
        ids = [p.id for p in people_with_history(store, args.user) if p.id is not None] if args.user else None
        rows = []
        for r in store.sessions(ids, args.since, kind=None):
            other = store.session(r["together_with"]) if r["together_with"] is not None else None
            # together mode: who the other person of a together session was (None: alone, or a guest)
            rows.append({**{k: r[k] for k in HISTORY_KEYS if k in r},
                         "together_with_person": other["person"] if other is not None else None})
        running = device_holding(store.path) is not None  # an open session is then the device's own
    for r in rows:
        r["person_removed"] = bool(r["person_removed"])
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(_no_sessions(args))
        return 0
    print(f"{'date':<17} {'who':<10} {'min':>5} {'HR':>5} {'RMSSD':>6} {'coh':>5} {'peak':>5} {'coh min':>7} "
          f"{'glim':>4} {'pacer/min':>11}")
    for r in rows:
        def f(key: str, fmt: str, r: dict[str, Any] = r) -> str:
            return "-" if r[key] is None else format(r[key], fmt)
        minutes = "-" if r["duration_s"] is None else f"{r['duration_s'] / 60:.1f}"
        coherent = "-" if r["coherent_s"] is None else f"{r['coherent_s'] / 60:.1f}"
        rates = f"{f('pacer_start_rate_per_min', '.1f')}->{f('pacer_end_rate_per_min', '.1f')}"
        state = {"interrupted": " (interrupted)", "open": " (running)" if running else " (not closed)"}
        mark = (" (assessment)" if r["kind"] == "assessment" else "") + state.get(r["status"], "") + (
            f" ({r['person']} removed)" if r["person_removed"] else "")
        if r["together_with_person"] is not None or r["mean_synchrony"] is not None:
            who = r["together_with_person"] or "a guest"
            mark += f" (with {who}, synchrony {f('mean_synchrony', '.2f')})"
        print(f"{r['started_at'][:16].replace('T', ' '):<17} {fit(r['person'], 10)} {minutes:>5} "
              f"{f('mean_hr_bpm', '.0f'):>5} {f('mean_rmssd_ms', '.0f'):>6} {f('mean_coherence_ratio', '.1f'):>5} "
              f"{f('peak_coherence_ratio', '.1f'):>5} {coherent:>7} {f('glimmers', 'd'):>4} {rates:>11}{mark}")
    return 0


def _no_sessions(args: argparse.Namespace) -> str:
    """What `history` says when it has no row to show, naming the filters that left none."""
    text = "no sessions"
    if args.user:
        text += f" of {args.user}"
    if args.since is not None:
        text += f" since {args.since:%Y-%m-%d}"
        if args.since > datetime.now():
            text += " (a date still to come)"
    return text if args.user or args.since is not None else "no sessions yet"


def sim_household(args: argparse.Namespace, config: Config) -> Household:
    """The store `glimmer sim` uses (named on stderr at start) and the person it simulates (or a guest)."""
    store = open_store(config, args.store)
    try:
        person = get_person(store, args.user) if args.user else None
        # One device process per store, taken before the simulated hardware (StoreInUse: exit 75).
        store.device_lock = DeviceLock(store.path)
    except (DataError, StoreError):
        store.close()
        raise
    partner: Person | None = None
    if config.sim.people == 2:  # together mode: the partner chosen on this store (docs/together.md)
        _, partner_id = store.partner_person_id()
        partner = next((p for p in list_people(store) if p.id == partner_id), None)
        if partner is not None and person is not None and partner.id == person.id:
            partner = None  # the partner is never the active person: a guest then
            print(f"glimmer sim: {person.name} is the partner on this store and is simulated on sensor A now; "
                  "the partner is a guest this time (nothing of theirs is stored)", file=sys.stderr)
    who = person.name if person is not None else "a guest (nothing is stored)"
    if partner is not None:
        who += f", partner {partner.name}"
    if person is not None or partner is not None or args.store is not None:  # where sessions are kept
        print(f"glimmer sim: store {store.path}; session for {who}", file=sys.stderr)
    else:
        log.info("store %s; session for %s", store.path, who)
    return Household(store, config, person, partner)


def sim_assess(args: argparse.Namespace, config: Config, stop_on_signals: Any = None) -> int:
    """`glimmer sim --assess`: assess the simulated person; store the result for --user if given.
    `stop_on_signals(stop)`: Ctrl-C or SIGTERM ends it cleanly ("did not finish")."""
    from sim.assess import format_assessment, simulate_assessment

    household = sim_household(args, config)
    try:
        found = simulate_assessment(config, speed=args.speed, household=household, stop_on_signals=stop_on_signals)
    finally:
        household.store.close()
    who = household.active
    if args.json:
        # stored_for: whose result it now is (null: a guest's, shown and not stored)
        print(json.dumps({**found.as_dict(), "stored_for": who.name if who is not None else None}))
        return 0
    print(format_assessment(found))
    if found.result is None:
        print("  no result stored: the assessment did not finish")
    elif who is None:
        print("  not stored: a guest's assessment is shown only (--user NAME stores it for NAME, and their next "
              "sessions pace by it)")
    elif found.result.resonance_rate_per_min is None:
        print(f"  stored for {who.name} (could not tell: their resonance rate is left as it was)")
    else:
        print(f"  stored for {who.name}: their next sessions pace toward it (glimmer users show {who.name})")
    return 0


def _report(args: argparse.Namespace, load: Loader) -> int:
    from device.home.report import ReportUnavailable, write_report

    config = load(args, DEFAULT_CONFIG_PATH)
    if args.out.suffix.lower() not in (".png", ".html", ".htm"):
        raise DataError(f"{args.out}: the report is a .png or an .html file")
    with open_store(config) as store:
        person = people_with_history(store, args.user)[0]  # a removed person's kept history too
        try:
            out = write_report(store, person, args.session, args.out)
        except ReportUnavailable as exc:
            print(f"glimmer: {exc}", file=sys.stderr)
            return 69
        except OSError as exc:
            raise DataError(f"{args.out}: cannot write the report: {exc.strerror or exc}") from exc
    print(f"report written to {out}")
    return 0


def run_household(config: Config) -> Household | None:
    """The daemon's household: the store, and the person active when it last stopped (see
    Household.restored). A store from a newer Glimmer raises StoreTooNew.
    A store that cannot be opened is logged and the device runs on without storing (a device that
    paces but does not record is better than a dark one)."""
    try:
        store = open_store(config)
    except StoreTooNew:
        raise  # a newer Glimmer's store: refused (exit 65), never written, not even by the MQTT outbox
    except StoreError as exc:
        log.error("sessions will not be stored: %s", exc)
        return None
    try:
        store.device_lock = DeviceLock(store.path)  # one device process per store (StoreInUse: exit 75)
    except StoreInUse:
        store.close()
        raise
    except StoreError as exc:
        store.close()
        log.error("sessions will not be stored: %s", exc)
        return None
    household = Household.restored(store, config)
    log.info("store %s; active: %s", store.path, household.active.name if household.active else "a guest")
    return household
