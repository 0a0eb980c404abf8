"""A set after a re-clip that left the rest where it was: the vote (docs/detector.md, "Heel raise
or toe raise: a vote"). Hand-built traces about the ball (test_rep_timing.pitch_samples), so the
answer is known without the simulator.
"""

from test_rep_timing import detect, pitch_samples, ramp_session

FULL = (20, 1.0, 0.5, 1.0, 1.5)  # amplitude deg, up s, hold s, down s, pause s


def test_a_set_after_the_clip_was_turned_about_gravity_is_counted_in_full():
    """Re-clipped so that the clip's frame turned 180 deg about gravity: the rest reads the same,
    so the learned heel-raise direction stays, and every rep of the next set tilts against it.
    They wait in the backlog; ten of them (the vote's cap and the backlog's size) flip the
    direction, and all of them count: the eleventh would have pushed the first one out."""
    knots, _ = ramp_session([FULL] * 10 + [FULL[:4] + (15.0,)] + [FULL] * 12)
    turned_ms = 1000 * (3.0 + 11 * 4.0 + 5.0)  # in the pause between the sets
    samples = [
        (t, -ax, -ay, az, -gx, -gy, gz) if t >= turned_ms else (t, ax, ay, az, gx, gy, gz)
        for t, ax, ay, az, gx, gy, gz in pitch_samples(knots)
    ]
    found = detect(samples)
    assert [sum(1 for r in found if r["set"] == k) for k in (1, 2)] == [11, 12]
