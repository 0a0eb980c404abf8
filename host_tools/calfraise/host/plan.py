"""The athlete's program: how many sets of how many reps, how often, how slowly down, which
variant of the raise. Kept in the database; the device gets its share (target reps per set,
tempo, tempo cue, idle timeout) at the next `sync` or `live`.

The progression rule (docs/host.md, "The plan"): once every set of the last two sessions in a
row reached the target with controlled lowering, the plan suggests the next step: one rep more
per set up to the top of the range, then a harder variant (seated -> standing -> single-leg),
then load. The athlete takes a step with `calfraise plan --reps N` or `--variant V`.
"""

import json
from dataclasses import asdict, dataclass, fields, replace

from calfraise.errors import UserError
from calfraise.host.db import transaction
from calfraise.host.queries import list_sessions, load_session
from calfraise.host.times import iso_utc, now_ms
from calfraise_fw import protocol as p
from calfraise_fw import settings as device_settings

# variant: the harder one that follows it (None: add load instead)
VARIANTS = {"seated": "standing", "standing": "single_leg", "single_leg": None, "plank": None}
CONTROLLED_SHARE = 0.8  # of a set's reps lowered at least as slowly as the plan asks
STREAK = 2  # sessions in a row that must meet the plan before it suggests a step


def _device_default(name):
    return device_settings.DEFAULTS[name][0]


@dataclass(frozen=True)
class Plan:
    """The program. reps: the current target per set, within reps_min..reps_max. What the
    device also has defaults to the device's own default, so a plan never set changes nothing."""

    variant: str = "standing"
    sets: int = 3
    reps: int = _device_default("reps_per_set")
    reps_min: int = 10
    reps_max: int = 15
    sessions_min: int = 2  # per week
    sessions_max: int = 3
    lower_ms: int = _device_default("tempo_down_ms")  # lowering: at least this long
    up_ms: int = _device_default("tempo_up_ms")
    tempo_cue: bool = _device_default("tempo_cue")  # the device's LED metronome
    idle_end_s: int = _device_default("idle_end_s")  # no rep this long ends a session

    def check(self):
        """The plan itself, or UserError saying what is inconsistent."""
        if self.variant not in VARIANTS:
            raise UserError(f"variant {self.variant!r}: choose one of {', '.join(VARIANTS)}")
        if not 1 <= self.sets <= 20:
            raise UserError(f"sets {self.sets}: give 1 to 20")
        if not 1 <= self.reps_min <= self.reps_max:
            raise UserError(f"rep range {self.reps_min}-{self.reps_max}: give LOW-HIGH, LOW >= 1")
        if not self.reps_min <= self.reps <= self.reps_max:
            raise UserError(
                f"reps {self.reps} is outside the range {self.reps_min}-{self.reps_max}"
            )
        if not 1 <= self.sessions_min <= self.sessions_max <= 14:
            raise UserError(
                f"sessions per week {self.sessions_min}-{self.sessions_max}: give LOW-HIGH "
                "within 1-14"
            )
        for name, value in self.device_settings().items():
            why = device_settings.problem(name, value)
            if why:
                raise UserError(f"the device cannot take it: {why}")
        return self

    def device_settings(self):
        """What the device is told: the settings of calfraise_fw.settings the plan decides."""
        return {
            "reps_per_set": self.reps,
            "tempo_cue": self.tempo_cue,
            "tempo_up_ms": self.up_ms,
            "tempo_down_ms": self.lower_ms,
            "idle_end_s": self.idle_end_s,
        }


def load_plan(db):
    """The stored plan, or the default one when none was ever set."""
    row = db.execute("SELECT plan FROM plan WHERE id = 1").fetchone()
    if row is None:
        return Plan()
    known = {f.name for f in fields(Plan)}
    stored = {k: v for k, v in json.loads(row["plan"]).items() if k in known}
    return Plan(**stored)


def save_plan(db, plan):
    """Store the plan (checked first); the device gets it at the next sync or live."""
    plan.check()
    with transaction(db):
        db.execute(
            "INSERT INTO plan (id, plan, changed_at) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET plan = excluded.plan, changed_at = excluded.changed_at",
            (json.dumps(asdict(plan)), iso_utc(now_ms())),
        )
    return plan


def changed(plan, **values):
    """The plan with `values` (None: unchanged) replaced; the target follows a moved range."""
    new = replace(plan, **{k: v for k, v in values.items() if v is not None})
    if values.get("reps") is None:
        new = replace(new, reps=min(max(new.reps, new.reps_min), new.reps_max))
    return new.check()


def record_variant(db, session_ids, plan):
    """Note the plan's variant on newly stored sessions: what they were recorded as."""
    with transaction(db):
        db.executemany(
            "UPDATE sessions SET variant = ? WHERE id = ? AND variant IS NULL",
            [(plan.variant, sid) for sid in session_ids],
        )


async def send_plan(link, plan):
    """Bring the device's settings in line with the plan; returns {name: value} it changed."""
    wanted = plan.device_settings()
    current = dict(await link.command(p.GET_SETTINGS, *wanted))
    todo = {k: v for k, v in wanted.items() if current.get(k) != v}
    if todo:
        await link.command(p.SET_SETTINGS, *todo.items())
    return todo


# --- the progression rule --------------------------------------------------------------------


def met_plan(session, plan):
    """True if every one of the plan's sets in this session reached the target reps with
    controlled lowering (at least CONTROLLED_SHARE of each set's full reps lowered in
    plan.lower_ms or more); sets and their counts are the session's (queries.set_summary)."""
    good = 0
    for s in session["sets"]:
        members = [r for r in session["reps"] if r["set"] == s["set"]]
        full = [r for r in members if not r["partial"]]
        controlled = sum(r["down_ms"] >= plan.lower_ms for r in full)
        good += s["reps"] - (len(members) - len(full)) >= plan.reps and (
            controlled >= CONTROLLED_SHARE * len(full)
        )
    return good >= plan.sets


def next_step(plan):
    """(the plan one step on, or None when only load is left; what the step is, in words)."""
    if plan.reps < plan.reps_max:
        step = replace(plan, reps=plan.reps + 1)
        return step, f"{step.reps} reps per set (`calfraise plan --reps {step.reps}`)"
    harder = VARIANTS[plan.variant]
    if harder is not None:
        step = replace(plan, variant=harder, reps=plan.reps_min)
        return step, (
            f"the {harder.replace('_', '-')} raise, {step.reps} reps per set "
            f"(`calfraise plan --variant {harder} --reps {step.reps}`)"
        )
    return None, f"add load: the top of the range ({plan.reps_max} reps) is easy now"


def suggestion(sessions, plan):
    """What the progression rule says after these sessions (oldest first, as load_session
    gives them): a sentence, or None when the last STREAK sessions did not all meet the plan."""
    recent = sessions[-STREAK:]
    if len(recent) < STREAK or not all(met_plan(s, plan) for s in recent):
        return None
    ids = " and ".join(str(s["id"]) for s in recent)
    _, step = next_step(plan)
    return (
        f"Every set of sessions {ids} reached {plan.reps} reps with controlled lowering: "
        f"next step: {step}."
    )


def advice(db, plan):
    """suggestion() for the latest dated sessions in the database."""
    latest = [s for s in list_sessions(db) if s["start_ms"] is not None][-STREAK:]
    return suggestion([load_session(db, s["id"]) for s in latest], plan)
