"""One set truth, end to end: over random sessions (reps that straddle the set gap and partial
reps among them), `analyze`, `device run`, `live` over the virtual BLE link and the database
filled by `sync` report the same reps in the same sets, and the plot, the web page and the
exports (the FIT file's set messages decoded) carry those counts.

The detector alone decides sets (docs/detector.md); these runs check that nothing downstream
(the session's set_end, the flash records, the importer, the exports) decides them again.
Every example runs the firmware three times on the unix port, so examples are few and short.
"""

import io
import json
import tempfile
from contextlib import closing, redirect_stdout
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from calfraise.analyze import detect
from calfraise.cli import main
from calfraise.device.runner import run_device
from calfraise.host.db import open_db
from calfraise.host.export import encode
from calfraise.host.plot import render as render_plot
from calfraise.host.queries import list_sessions, load_session
from calfraise.host.radio import SIM_LEAD_IN_S, lead_in_trace
from calfraise.sim import Rep, SensorConfig, Still, plan_reps, render
from calfraise.trace import read_trace, write_trace
from calfraise.web.pages import session_page
from set_readers import fit_set_counts, plot_counts, web_counts

RATE_HZ = 100  # an MPU-6886 at +-8 g, +-1000 dps: analyze's own scale, sample for sample
SENSOR = SensorConfig(
    chip="MPU-6886",
    rate_hz=RATE_HZ,
    gyro_bias_dps=(0.6, -0.4, 0.3),
    accel_noise_g=0.004,
    gyro_noise_dps=0.07,
)
SET_GAP_S = 12.0  # the detector's _SET_GAP_MS
TIME_MS = 40  # times may differ by a few samples (the device's clock counts samples)
SETTINGS = {"idle_end_s": 30}  # `device run`: the session ends soon after the last rep


def tempo(draw):
    """(up, hold, down) seconds of one rep: together at least 3 s (see straddling())."""
    return (
        draw(st.floats(1.2, 1.5)),
        draw(st.floats(0.5, 0.8)),
        draw(st.floats(1.3, 1.6)),
    )


@st.composite
def sessions(draw):
    """A plan of 2-3 sets. The first set's second pause straddles the gap: its next rep starts
    10-11 s after the previous one ended (inside the gap) and ends 13 s or more after it, so it
    still belongs to the set. Sets are 17-20 s apart; later reps may be partial (45 %)."""
    n_sets = draw(st.integers(2, 3))
    plan = plan_reps(1, lead_s=3.0, tail_s=0.0, seed=draw(st.integers(0, 10_000)), sensor=SENSOR)
    segments = [Still(3.0)]
    for s in range(n_sets):
        n = draw(st.integers(3, 4)) if s == 0 else draw(st.integers(2, 4))
        for r in range(n):
            partial = r >= 1 and draw(st.integers(0, 3)) == 0
            if r < n - 1:
                pause = draw(st.floats(10.0, 11.0)) if (s, r) == (0, 1) else draw(st.floats(0.6, 2))
            elif s < n_sets - 1:
                pause = draw(st.floats(17.0, 20.0))
            else:
                pause = 2.0
            up, hold, down = tempo(draw)
            amplitude = 30.0 * (0.45 if partial else 1.0)
            segments.append(
                Rep(amplitude, up, hold, down, pause, set_no=s + 1, rep_no=r + 1, partial=partial)
            )
    plan.segments = segments
    return plan


def per_set(reps):
    """{set: reps} from the reps' own set numbers."""
    counts = {}
    for r in reps:
        counts[r["set"]] = counts.get(r["set"], 0) + 1
    return counts


def assert_same_reps(got, expected, what):
    """The same reps in the same sets, partial ones included; times relative to the first rep
    (the virtual device replays after a still lead-in)."""
    key = [(r["set"], r["rep"], r["partial"]) for r in got]
    assert key == [(r["set"], r["rep"], r["partial"]) for r in expected], what
    t0, e0 = got[0]["start_ms"], expected[0]["start_ms"]
    for g, e in zip(got, expected, strict=True):
        for field in ("start_ms", "top_ms", "lower_ms", "end_ms"):
            assert abs((g[field] - t0) - (e[field] - e0)) <= TIME_MS, (what, field, g, e)
        assert abs(g["amplitude_deg"] - e["amplitude_deg"]) <= 0.3, (what, g, e)


def cli(*argv):
    """Run the calfraise CLI; (exit code, stdout)."""
    out = io.StringIO()
    with redirect_stdout(out):
        code = main([str(a) for a in argv])
    return code, out.getvalue()


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),  # shrinking would rerun the firmware for minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plan=sessions())
def test_every_consumer_reports_the_detectors_sets(plan):
    with tempfile.TemporaryDirectory(prefix="set-truth-") as tmp:
        tmp = Path(tmp)
        trace = render(plan)
        t_ms = np.rint(np.arange(len(trace.t_ms)) * 1000 / RATE_HZ).astype(np.int64)
        csv = tmp / "session.csv"
        write_trace(csv, t_ms, trace.accel_g, trace.gyro_dps)

        # analyze: the reference
        expected = detect(read_trace(csv), float(RATE_HZ))
        truth = trace.truth["reps"]
        assert [r["partial"] for r in expected] == [r["partial"] for r in truth]
        assert len(per_set(expected)) == len({r["set"] for r in truth})  # the straddler stays
        first_set = [r for r in expected if r["set"] == 1]
        straddle = first_set[2]["start_ms"] - first_set[1]["end_ms"]
        assert straddle < SET_GAP_S * 1000 < first_set[2]["end_ms"] - first_set[1]["end_ms"]
        counts = per_set(expected)

        # device run: its reps, and the set_end events that close the sets
        run = run_device(csv, files={"settings.json": json.dumps(SETTINGS)}, after_ms=40_000)
        assert run.returncode == 0, run.stderr
        assert_same_reps(run.of_type("rep"), expected, "device run")
        assert {e["set"]: e["reps"] for e in run.of_type("set_end")} == counts
        for e in run.of_type("set_end"):  # the LED's "set ended" never flashes mid-rep
            assert not any(r["start_ms"] <= e["t_ms"] <= r["end_ms"] for r in run.of_type("rep"))
        [end] = [e for e in run.of_type("state") if e["state"] == "idle"]
        assert (end["sets"], end["reps"]) == (len(counts), len(expected))

        # live over the virtual BLE link, recording to a flash image; then sync that flash.
        # The virtual athlete stands still before the trace (radio.lead_in_trace) and the
        # detector starts from that stillness: the reference is analyze over the replayed trace.
        replayed = detect(read_trace(lead_in_trace(csv, tmp / "lead.csv", SIM_LEAD_IN_S)), RATE_HZ)
        assert [(r["set"], r["rep"], r["partial"]) for r in replayed] == [
            (r["set"], r["rep"], r["partial"]) for r in expected
        ]
        flash, db_path = tmp / "flash.img", tmp / "calfraise.db"
        code, out = cli(
            "--sim", csv, "--sim-flash", flash, "live", "--json", "--until-end", "--seconds", 300
        )
        assert code == 0
        events = [json.loads(line) for line in out.splitlines()]
        assert_same_reps([e for e in events if e["type"] == "rep"], replayed, "live")
        assert {e["set"]: e["reps"] for e in events if e["type"] == "set_end"} == counts
        assert cli("--sim-flash", flash, "--db", db_path, "sync")[0] == 0

        with closing(open_db(db_path)) as db:
            [summary] = list_sessions(db)
            session = load_session(db, summary["id"])
        assert_same_reps(session["reps"], replayed, "database")
        assert [(s["set"], s["reps"]) for s in session["sets"]] == sorted(counts.items())
        assert all(s["ended"] for s in session["sets"])
        assert (summary["sets"], summary["reps"]) == (len(counts), len(expected))
        assert sum(s["reps"] for s in session["sets"]) == len(session["reps"])

        # the plot's title and per-set table, the web page's
        svg = render_plot(session, "svg").decode()
        assert plot_counts(svg) == (len(counts), len(expected), counts)
        assert web_counts(session_page(session)) == (len(expected), counts)

        # the exports carry the same sets
        doc = json.loads(encode(session, "json"))
        assert [s["reps"] for s in doc["sets"]] == [counts[n] for n in sorted(counts)]
        rows = encode(session, "csv").decode().splitlines()[1:]
        assert per_set([{"set": int(row.split(",")[0])} for row in rows]) == counts
        assert fit_set_counts(encode(session, "fit")) == [counts[n] for n in sorted(counts)]
