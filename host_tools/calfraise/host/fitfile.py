"""A session as a FIT activity file: a strength-training workout of calf-raise sets.

Encoded with fit-tool (BSD-3-Clause; Garmin's own SDK carries a licence that forbids
redistribution). Messages in "summary last" order, the order Garmin's watches write:
file_id, device_info, timer start, record, the sets (active, with rest between), record, timer
stop, lap, session, activity. FIT has no tempo fields, so up/hold/down stay in CSV and JSON.
Field by field: docs/host.md.
"""

from binascii import crc32
from datetime import datetime

from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.activity_message import ActivityMessage
from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.messages.set_message import SetMessage
from fit_tool.profile.profile_type import (
    Activity,
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


def _set(index, start_ms, end_ms, set_type, reps=None):
    m = SetMessage()
    m.message_index = index
    m.timestamp = end_ms
    m.start_time = start_ms
    m.duration = (end_ms - start_ms) / 1000
    m.set_type = set_type.value
    if reps is not None:
        m.repetitions = reps
        m.category = [ExerciseCategory.CALF_RAISE.value]
    return m


def set_messages(start_ms, sets):
    """An active set per set, and a rest set between consecutive ones."""
    out = []
    previous_end = None
    for s in sets:
        begin, end = start_ms + s["start_ms"], start_ms + s["end_ms"]
        if previous_end is not None and begin > previous_end:
            out.append(_set(len(out), previous_end, begin, SetType.REST))
        out.append(_set(len(out), begin, end, SetType.ACTIVE, s["reps"]))
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


def fit_bytes(session):
    """The session (as load_session gives it) as a FIT activity file.

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
        + [_timer(start_ms, EventType.START), _record(start_ms)]
        + set_messages(start_ms, session["sets"])
        + [_record(end_ms), _timer(end_ms, EventType.STOP_ALL)]
        + _summaries(start_ms, end_ms)
    )
    return builder.build().to_bytes()
