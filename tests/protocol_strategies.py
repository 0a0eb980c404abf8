"""Hypothesis strategies for the BLE protocol's messages, built from its own tables (formats,
kinds, states, VERSION), so a new field or version is fuzzed without editing them.

Messages are valid by construction; `spoiled()` then cuts, extends or changes some and replaces
some with random bytes, so a property sees both and can assert a minimum share of valid ones.
"""

from hypothesis import strategies as st

from calfraise_fw import protocol as P

FIELD = {
    "B": st.integers(0, 0xFF),
    "H": st.integers(0, 0xFFFF),
    "I": st.integers(0, 0xFFFFFFFF),
    "i": st.integers(-(2**31), 2**31 - 1),
    "f": st.floats(width=32, allow_nan=False),
}
u16, u32 = FIELD["H"], FIELD["I"]


def fields(fmt):
    """A tuple strategy for the values of a struct format such as "<IB"."""
    return st.tuples(*(FIELD[c] for c in fmt.lstrip("<")))


# the app's "rep" event, as encode_rep() takes it
rep_events = st.fixed_dictionaries(
    {
        "start_ms": u32,
        **{k: u16 for k in ("up_ms", "hold_ms", "down_ms", "set", "rep")},
        "amplitude_deg": u16.map(lambda cdeg: cdeg / 100),
        "partial": st.booleans(),
    }
)
# the app's events that travel as event notifications
device_events = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("state"),
            "t_ms": u32,
            "state": st.just("idle"),
            "reason": st.sampled_from(P.REASONS),
            "sets": u16,
            "reps": u16,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("state"),
            "t_ms": u32,
            "state": st.just("in_session"),
            "reason": st.sampled_from(P.REASONS),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("set_end"),
            "t_ms": u32,
            "set": u16,
            "reps": u16,
            "start_ms": u32,
            "end_ms": u32,
            "target": u16,
        }
    ),
    st.fixed_dictionaries({"type": st.just("target"), "t_ms": u32, "set": u16, "reps": u16}),
)
# encode_status()'s arguments
status_args = st.tuples(
    st.sampled_from(P.STATES),
    u16,
    u16,
    u16,
    st.one_of(st.none(), st.integers(0, 100)),
    u32,
    u16.map(lambda tenths: tenths / 10),
    st.integers(0, 255),
)
good_reps = st.tuples(u16, rep_events).map(lambda seq_rep: P.encode_rep(*seq_rep))
good_events = device_events.map(P.encode_event)
good_statuses = status_args.map(lambda args: P.encode_status(*args))


@st.composite
def spoiled(draw, good):
    """A good message (about half the time), or one cut short, extended, with a byte changed,
    or random bytes."""
    data = draw(good)
    how = draw(st.sampled_from(["good", "good", "good", "cut", "longer", "byte", "random"]))
    if how == "cut":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "longer":
        return data + draw(st.binary(min_size=1, max_size=8))
    if how == "byte":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes((draw(st.integers(0, 255)),)) + data[at + 1 :]
    if how == "random":
        return draw(st.binary(max_size=300))
    return data
