"""A session as a FIT activity file: a strength-training workout of calf-raise sets.

Encoded with fit-tool (BSD-3-Clause; Garmin's own SDK carries a licence that forbids
redistribution). Messages in "summary last" order, the order Garmin's watches write:
file_id, device_info, timer start, record, the sets (active, with rest between), record, timer
stop, lap, session, activity. Each active set names the exercise (calf_raise and the variant's
exercise name) and carries what FIT has no field for as developer fields: the mean rise, hold
and lowering times, the mean range of motion and the partial reps. Field by field: docs/host.md.
"""

from binascii import crc32
from datetime import datetime

from fit_tool.base_type import BaseType
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.messages.set_message import SetMessage
from fit_tool.profile.profile_type import (
    Activity,
    CalfRaiseExerciseName,
    Event,
    EventType,
    ExerciseCategory,
    FileType,
    LapTrigger,
    Manufacturer,
    SessionTrigger,
    SetType,
    Sport,
    SubSport,
)

from calfraise.errors import UserError

PRODUCT_NAME = "calfraise"
FIT_EPOCH_UNIX_S = 631065600  # 1989-12-31T00:00:00Z, the zero of FIT's (local_)date_time
# the plan's variant -> FIT calf_raise_exercise_name (a plank calf raise has none: category only)
EXERCISE_NAMES = {
    "standing": CalfRaiseExerciseName.STANDING_CALF_RAISE.value,
    "seated": CalfRaiseExerciseName.SEATED_CALF_RAISE.value,
    "single_leg": CalfRaiseExerciseName.SINGLE_LEG_STANDING_CALF_RAISE.value,
}
APPLICATION_ID = b"calfraise-tempo\x01"  # 16 bytes naming our developer fields
# developer fields of an active set: (number, name, FIT base type, units, from its reps). No
# scale: not every decoder applies a developer field's scale, so the range is a float.
DEVELOPER_FIELDS = (
    (0, "mean_rise", BaseType.UINT16, "ms", lambda reps: round(_mean(reps, "up_ms"))),
    (1, "mean_hold", BaseType.UINT16, "ms", lambda reps: round(_mean(reps, "hold_ms"))),
    (2, "mean_lowering", BaseType.UINT16, "ms", lambda reps: round(_mean(reps, "down_ms"))),
    (3, "mean_range", BaseType.FLOAT32, "deg", lambda reps: _mean(reps, "amplitude_deg")),
    (4, "partial_reps", BaseType.UINT8, "reps", lambda reps: sum(r["partial"] for r in reps)),
)


def _mean(reps, key):
    return sum(r[key] for r in reps) / len(reps) if reps else 0


def developer_definitions():
    """The developer data id and a field description per DEVELOPER_FIELDS entry."""
    head = DeveloperDataIdMessage()
    head.application_id = APPLICATION_ID
    head.developer_data_index = 0
    out = [head]
    for number, name, base_type, units, _ in DEVELOPER_FIELDS:
        m = FieldDescriptionMessage()
        m.developer_data_index = 0
        m.field_definition_number = number
        m.fit_base_type_id = base_type
        m.field_name = name
        m.units = units
        out.append(m)
    return out


def _tempo_fields(reps):
    fields = []
    for number, _name, base_type, _units, value in DEVELOPER_FIELDS:
        field = DeveloperField(
            developer_data_index=0, field_id=number, base_type=base_type, size=base_type.size
        )
        field.set_value(0, value(reps))
        fields.append(field)
    return fields


def _serial(device_id):
    """A stable uint32z serial number for the device (0 is FIT's "invalid")."""
    return crc32(device_id.encode()) or 1


def _local_timestamp(unix_ms):
    """FIT local_date_time: seconds since the FIT epoch on this computer's wall clock."""
    seconds = unix_ms // 1000
    offset = datetime.fromtimestamp(seconds).astimezone().utcoffset()
    return seconds + int(offset.total_seconds()) - FIT_EPOCH_UNIX_S


def _timer(at_ms, event_type):
    m = EventMessage()
    m.timestamp = at_ms
    m.event = Event.TIMER
    m.event_type = event_type
    m.event_group = 0
    return m


def _record(at_ms):
    """A data point with only a time: the file type requires records, the clip has no stream."""
    m = RecordMessage()
    m.timestamp = at_ms
    return m


def _set(index, start_ms, end_ms, set_type, count=None, reps=None, variant=None):
    """A set message; an active one (count: its reps as the device counted them, reps: the rep
    dicts stored for it) names the exercise and carries the tempo developer fields."""
    m = SetMessage(developer_fields=None if reps is None else _tempo_fields(reps))
    m.message_index = index
    m.timestamp = end_ms
    m.start_time = start_ms
    m.duration = (end_ms - start_ms) / 1000
    m.set_type = set_type.value
    if reps is not None:
        m.repetitions = count
        m.category = [ExerciseCategory.CALF_RAISE.value]
        if variant in EXERCISE_NAMES:
            m.category_subtype = [EXERCISE_NAMES[variant]]
    return m


def set_messages(start_ms, sets, reps=(), variant=None):
    """An active set per set, and a rest set between consecutive ones."""
    out = []
    previous_end = None
    for s in sets:
        begin, end = start_ms + s["start_ms"], start_ms + s["end_ms"]
        if previous_end is not None and begin > previous_end:
            out.append(_set(len(out), previous_end, begin, SetType.REST))
        members = [r for r in reps if r["set"] == s["set"]]
        out.append(_set(len(out), begin, end, SetType.ACTIVE, s["reps"], members, variant))
        previous_end = end
    return out


def _identity(session, start_ms):
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = _serial(session["device"])
    file_id.time_created = start_ms
    file_id.product_name = PRODUCT_NAME
    device = DeviceInfoMessage()
    device.timestamp = start_ms
    device.device_index = 0  # the creator
    device.manufacturer = Manufacturer.DEVELOPMENT.value
    device.product = 0
    device.serial_number = file_id.serial_number
    device.product_name = f"{PRODUCT_NAME} {session['board'] or ''}".strip()
    return [file_id, device]


def _span(message, start_ms, end_ms):
    """Fill what lap and session share: the span they sum up (summary last: stamped at its
    end) and the sport."""
    seconds = (end_ms - start_ms) / 1000
    message.message_index = 0
    message.timestamp = end_ms
    message.start_time = start_ms
    message.total_elapsed_time = seconds
    message.total_timer_time = seconds
    message.event_type = EventType.STOP
    message.sport = Sport.TRAINING
    message.sub_sport = SubSport.STRENGTH_TRAINING
    return message


def _summaries(start_ms, end_ms):
    lap = _span(LapMessage(), start_ms, end_ms)
    lap.event = Event.LAP
    lap.lap_trigger = LapTrigger.SESSION_END
    session = _span(SessionMessage(), start_ms, end_ms)
    session.event = Event.SESSION
    session.trigger = SessionTrigger.ACTIVITY_END
    session.first_lap_index = 0
    session.num_laps = 1
    activity = ActivityMessage()
    activity.timestamp = end_ms
    activity.total_timer_time = session.total_timer_time
    activity.num_sessions = 1
    activity.type = Activity.MANUAL
    activity.event = Event.ACTIVITY
    activity.event_type = EventType.STOP
    activity.local_timestamp = _local_timestamp(end_ms)
    return [lap, session, activity]


def fit_bytes(session, variant=None):
    """The session (as load_session gives it) as a FIT activity file; variant: the plan's
    (standing, seated, single_leg, plank) when the session has none recorded.

    UserError if the session has no wall-clock start: FIT dates every message, and a guess
    would put the workout on the wrong day in the athlete's log.
    """
    start_ms = session["start_ms"]
    if start_ms is None:
        raise UserError(
            f"session {session['id']} has no date (the device's clock was never set): "
            "FIT needs one; export it as csv or json"
        )
    end_ms = start_ms + session["duration_ms"]
    builder = FitFileBuilder(auto_define=True)
    builder.add_all(
        _identity(session, start_ms)
        + developer_definitions()
        + [_timer(start_ms, EventType.START), _record(start_ms)]
        + set_messages(start_ms, session["sets"], session["reps"], session["variant"] or variant)
        + [_record(end_ms), _timer(end_ms, EventType.STOP_ALL)]
        + _summaries(start_ms, end_ms)
    )
    return builder.build().to_bytes()
