"""Segments of a plan -> 1 kHz pose channels of the foot (and of the clip on it).

Why channels: every movement is a few simple, separately smooth signals (pitch about the ball of
the foot B, pitch about the heel contact H, heel sway, base posture, translation and heading of the
foot, wobble of the clip). kinematics.py composes them into one rigid-body pose, so each motion
stays a short formula and the whole session is vectorised.

Foot frame: origin at B (on the floor), x to the toes, y left, z up; heel contact H = (-L, 0, 0).
Signs: pitch_b > 0 lifts the heel (heel raise); pitch_h > 0 lifts the toes (toe raise).
"""

import numpy as np

from .plan import (
    SWAY_GAIN,
    Bump,
    FootMove,
    Handle,
    Rep,
    Shift,
    Still,
    ToeRaise,
    Transition,
    Walk,
    WeightShift,
)
from .profiles import bell, damped_sine, min_jerk, quintic, rebound_pulse
from .sensor import G


class Timeline:
    """The 1 kHz channels of a whole session plus the running state between segments."""

    def __init__(self, plan, fs=1000.0):
        self.plan, self.fs = plan, fs
        self.starts = np.concatenate([[0.0], np.cumsum([s.duration for s in plan.segments])])
        self.n = int(np.ceil(self.starts[-1] * fs - 1e-9)) + 1
        self.t = np.arange(self.n) / fs
        n = self.n
        self.beta = np.zeros(n)  # posture pitch about B, deg (plank: foot nearly vertical)
        self.tilt = np.zeros((n, 3))  # posture tilt rotation vector, deg
        self.sway_gain = np.zeros(n)
        self.tremble = np.zeros((2, n))  # deg and Hz of a foot held up on its ball (ball_tremor)
        self.pitch_b = np.zeros(n)  # deg, heel up about B
        self.pitch_h = np.zeros(n)  # deg, toes up about H
        self.roll = np.zeros(n)  # deg, heel sway about the foot's long axis through B
        self.yaw = np.zeros(n)  # deg, heel sway about the vertical through B
        self.trans = np.zeros((n, 3))  # m, world position of B when the foot is flat
        self.psi = np.zeros(n)  # deg, heading of the foot
        self.wobble = np.zeros((n, 3))  # deg, clip rotation about its own mount (foot frame)
        self.extra_acc = np.zeros((n, 3))  # m/s^2 at the sensor, world frame (impacts)
        self.shift = np.zeros((n, 3))  # deg, rotation vector: where the foot's rest has moved
        self.mount = np.zeros(n, np.int64)
        # running state
        self.pos = np.zeros(3)
        self.heading = 0.0
        self.mount_now = 0
        self.shift_now = np.zeros(3)
        # what truth needs
        self.reps = []  # (Rep, first sample index, theta array over its window)
        self.events = []  # (kind, start s, end s)
        self.transitions = []  # (from, to, start s, end s)
        self.handles = []  # (Handle, i0, i1, old mount, new mount)
        self.mount_changes = [(0.0, 0)]

    def window(self, j):
        """Sample indices [i0, i1) of segment j and its local time (s since its start)."""
        s0, s1 = self.starts[j], self.starts[j + 1]
        i0 = int(np.ceil(s0 * self.fs - 1e-9))
        i1 = self.n if j == len(self.plan.segments) - 1 else int(np.ceil(s1 * self.fs - 1e-9))
        return i0, i1, self.t[i0:i1] - s0

    def hold_state(self, sl):
        self.trans[sl] = self.pos
        self.psi[sl] = self.heading
        self.mount[sl] = self.mount_now
        self.shift[sl] = self.shift_now

    def move_rest(self, sl, u, rotvec_deg):
        """The rest moves by rotvec_deg along the 0..1 profile u over the slice; it stays there."""
        d = np.asarray(rotvec_deg, float)
        self.shift[sl] = self.shift_now + np.outer(u, d)
        self.shift_now = self.shift_now + d

    def posture(self, sl, name):
        beta, tilt = self.plan.postures[name]
        self.beta[sl] = beta
        self.tilt[sl] = tilt
        self.sway_gain[sl] = SWAY_GAIN[name]
        self.tremble[0, sl], self.tremble[1, sl] = self.ball_tremor(name)

    def ball_tremor(self, name):
        """(deg, Hz) of the plan's ball_tremor in this posture, (0, 0) if none."""
        return next(((d, hz) for p, d, hz in self.plan.ball_tremor if p == name), (0.0, 0.0))


def lift_profile(t, amplitude, up_s, hold_s, down_s):
    """Up (minimum jerk), hold, down (minimum jerk), then zero: one raise of the foot."""
    out = np.zeros_like(t)
    up = t < up_s
    if up_s > 0:
        out[up] = amplitude * min_jerk(t[up] / up_s)
    top = (t >= up_s) & (t < up_s + hold_s)
    out[top] = amplitude
    dn = (t >= up_s + hold_s) & (t < up_s + hold_s + down_s)
    if down_s > 0:
        out[dn] = amplitude * (1.0 - min_jerk((t[dn] - up_s - hold_s) / down_s))
    return out


def tremor_wave(w1, w2, tau, ph1, ph2):
    """Physiological tremor's shape, peak ~1: two tones (rad/s), the faster one weaker
    (tremor loses power with frequency)."""
    return (np.sin(w1 * tau + ph1) + 0.3 * np.sin(w2 * tau + ph2)) / 1.3


def tremor(t, seg):
    """Small 5-10 Hz shake while holding the top, faded in and out with the hold (the faster
    component is weaker: physiological tremor loses power with frequency)."""
    if seg.hold_s <= 0 or seg.tremor_deg <= 0:
        return np.zeros_like(t)
    tau = t - seg.up_s
    inside = (tau > 0) & (tau < seg.hold_s)
    tau = tau[inside]  # the samples in the hold only: a hold too short for any has none
    f1, f2 = seg.tremor_hz
    ph = 1.7 * seg.rep_no + 0.3 * seg.set_no
    wave = tremor_wave(2 * np.pi * f1, 2 * np.pi * f2, tau, ph, 2 * ph)
    # the fade lasts at most 0.15 s at each end, so a long hold shakes all the way through
    fade = min_jerk(np.minimum(tau, seg.hold_s - tau) / min(0.15, seg.hold_s / 2))
    out = np.zeros_like(t)
    out[inside] = seg.tremor_deg * wave * fade
    return out


def render_rep(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)
    theta = lift_profile(t, seg.amplitude_deg, seg.up_s, seg.hold_s, seg.down_s) + tremor(t, seg)
    tl.pitch_b[sl] = theta
    frac = theta / max(seg.amplitude_deg, 1e-9)
    tl.roll[sl] = seg.roll_deg * frac
    tl.yaw[sl] = seg.yaw_deg * frac
    tl.reps.append((seg, i0, theta))
    if any(seg.land_deg):  # comes down elsewhere: the rest moves during the way down
        down0 = seg.up_s + seg.hold_s
        tl.move_rest(sl, min_jerk((t - down0) / max(seg.down_s, 1e-9)), seg.land_deg)


def render_shift(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)
    tl.move_rest(sl, min_jerk(t / seg.seconds), seg.rotvec_deg)


def balance_shake(t, spans):
    """Pitch and roll (deg) of a foot that is not planted: balanced on its ball (heel up,
    the calf holding the body) or held in the air. Nothing props it, so the muscles that hold
    it tremble (5-10 Hz) and its balance corrections sway it (under 2 Hz); a planted foot
    (the floor holds it) does neither. Faded in and out over 0.2 s."""
    pitch, roll = np.zeros_like(t), np.zeros_like(t)
    for j, (t0, t1, tremor_deg, tremor_hz, sway_deg, sway_hz) in enumerate(spans):
        inside = (t > t0) & (t < t1)
        tau = t[inside] - t0
        fade = min_jerk(np.minimum(tau, t1 - t0 - tau) / min(0.2, (t1 - t0) / 2))
        f, ph = 2 * np.pi * tremor_hz, 1.3 * j
        trem = tremor_deg * tremor_wave(f, 1.4 * f, tau, ph, 2 * ph)
        w = 2 * np.pi * sway_hz
        pitch[inside] = fade * (trem + sway_deg * np.sin(w * tau + ph))
        roll[inside] = fade * (0.5 * trem + 0.7 * sway_deg * np.sin(0.8 * w * tau + 2 * ph))
    return pitch, roll


def add_ball_tremor(tl):
    """The plan's ball_tremor where its posture holds (rests, reps and stills alike): the calf
    holding the body up on the ball of the foot is never still (as balance_shake's tremor)."""
    deg, f = tl.tremble[0], 2 * np.pi * tl.tremble[1]
    shake = deg * tremor_wave(f, 1.4 * f, tl.t, 0.0, 1.0)
    tl.pitch_b += shake
    tl.roll += 0.5 * shake


def render_foot_move(tl, seg, i0, i1, t):
    """Key poses joined by minimum-jerk moves; the foot ends where the last key puts it."""
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)
    keys = sorted(seg.keys, key=lambda k: k[0])
    rz = _rz(tl.heading)
    chans = np.array([[k[1], k[2], k[3], *(rz @ np.asarray(k[4], float))] for k in keys])
    times = np.array([k[0] for k in keys])
    out = np.tile(chans[0], (len(t), 1))
    for a in range(len(keys) - 1):
        m = t >= times[a]
        u = min_jerk((t[m] - times[a]) / max(times[a + 1] - times[a], 1e-9))
        out[m] = chans[a] + np.outer(u, chans[a + 1] - chans[a])
    pitch, roll = balance_shake(t, seg.balance)
    tl.pitch_b[sl] = out[:, 0] + pitch
    tl.pitch_h[sl] = out[:, 1]
    tl.roll[sl] = out[:, 2] + roll
    tl.trans[sl] = tl.pos + out[:, 3:]
    for at, peak_g, width_s, direction in seg.impacts:
        add_pulse(tl, i0, t, at, peak_g, width_s, rz @ np.asarray(direction, float))
    tl.pos = tl.pos + chans[-1, 3:]


def render_still(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)


def render_toe_raise(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)
    tl.pitch_h[sl] = lift_profile(t, seg.amplitude_deg, seg.up_s, seg.hold_s, seg.down_s)


def render_weight_shift(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)
    w = bell(t / seg.seconds)
    if seg.pitch_deg >= 0:
        tl.pitch_b[sl] = seg.pitch_deg * w
    else:
        tl.pitch_h[sl] = -seg.pitch_deg * w
    tl.roll[sl] = seg.roll_deg * w


def render_bump(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)
    axis = np.asarray(seg.axis, float)
    axis /= np.linalg.norm(axis)
    tl.wobble[sl] = np.outer(
        seg.rot_deg * damped_sine(t - seg.at_s, seg.freq_hz, seg.decay_s), axis
    )
    add_pulse(tl, i0, t, seg.at_s, seg.spike_g, seg.spike_s, seg.spike_dir)


def add_pulse(tl, i0, t, at, peak_g, width_s, direction):
    """A zero-net jolt (see profiles.rebound_pulse) at local time `at`, touching only the few
    samples it lasts."""
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)
    j0, j1 = np.searchsorted(t, [at, at + 3 * width_s + 0.002])
    pulse = peak_g * G * rebound_pulse(t[j0:j1] - at, width_s)
    tl.extra_acc[i0 + j0 : i0 + j1] += np.outer(pulse, d)


def _rz(deg):
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def render_walk(tl, seg, i0, i1, t):
    """Each stride: heel-off (pitch about B), swing (free flight of the foot), heel strike (pitch
    about H back to flat), foot flat. Phase boundaries match in pose and velocity, so only the
    deliberate impact spikes are sharp."""
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.sway_gain[sl] = 0.0
    tl.hold_state(sl)
    L = tl.plan.foot_length_m
    tau0 = 0.0
    for st in seg.strides:
        p0, psi0 = tl.pos.copy(), tl.heading
        psi1 = psi0 + st.dyaw_deg
        mid = np.radians(psi0 + st.dyaw_deg / 2)
        p_final = p0 + st.length_m * np.array([np.cos(mid), np.sin(mid), 0.0])
        ths = np.radians(st.strike_deg)
        p_swing_end = p_final + _rz(psi1) @ np.array([L * (np.cos(ths) - 1), 0.0, L * np.sin(ths)])
        w_to = 0.5 * st.toe_off_deg / st.heel_off_s  # still rotating at toe-off (push-off)
        b1 = tau0 + st.heel_off_s
        b2 = b1 + st.swing_s
        b3 = b2 + st.strike_s
        b4 = b3 + st.flat_s
        m = (t >= tau0) & (t < b1)  # heel-off
        tl.pitch_b[i0:i1][m] = quintic(t[m] - tau0, st.heel_off_s, 0.0, 0.0, st.toe_off_deg, w_to)
        tl.trans[i0:i1][m] = p0
        tl.psi[i0:i1][m] = psi0
        m = (t >= b1) & (t < b2)  # swing
        u = t[m] - b1
        tl.pitch_b[i0:i1][m] = quintic(u, st.swing_s, st.toe_off_deg, w_to, -st.strike_deg, 0.0)
        tl.psi[i0:i1][m] = psi0 + st.dyaw_deg * min_jerk(u / st.swing_s)
        path = quintic(u, st.swing_s, p0, np.zeros(3), p_swing_end, np.zeros(3))
        path[:, 2] += st.clearance_m * bell(u / st.swing_s)
        tl.trans[i0:i1][m] = path
        m = (t >= b2) & (t < b4)  # strike, then flat
        tl.pitch_h[i0:i1][m] = st.strike_deg * (1.0 - min_jerk((t[m] - b2) / st.strike_s))
        tl.trans[i0:i1][m] = p_final
        tl.psi[i0:i1][m] = psi1
        # heel-strike jolt (up and backwards) and a smaller forefoot slap at foot flat
        back = -np.array([np.cos(np.radians(psi1)), np.sin(np.radians(psi1)), 0.0])
        d = back * 0.4 + np.array([0.0, 0.0, 1.0])
        add_pulse(tl, i0, t, b2, st.impact_g, st.impact_s, d)
        add_pulse(tl, i0, t, b3, 0.3 * st.impact_g, st.impact_s, np.array([0.0, 0.0, 1.0]))
        tl.pos, tl.heading = p_final, psi1
        tau0 = b4
    m = t >= tau0
    tl.trans[i0:i1][m] = tl.pos
    tl.psi[i0:i1][m] = tl.heading


def render_transition(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.hold_state(sl)
    u = min_jerk(t / seg.seconds)
    b0, t0 = tl.plan.postures[seg.from_posture]
    b1, t1 = tl.plan.postures[seg.posture]
    tl.beta[sl] = b0 + (b1 - b0) * u
    tl.tilt[sl] = np.asarray(t0) + np.outer(u, np.asarray(t1) - np.asarray(t0))
    g0, g1 = SWAY_GAIN[seg.from_posture], SWAY_GAIN[seg.posture]
    tl.sway_gain[sl] = g0 + (g1 - g0) * u
    (d0, f0), (d1, f1) = tl.ball_tremor(seg.from_posture), tl.ball_tremor(seg.posture)
    tl.tremble[0, sl] = d0 + (d1 - d0) * u  # as the body's weight comes onto the ball
    tl.tremble[1, sl] = max(f0, f1)
    shift = _rz(tl.heading) @ np.asarray(seg.shift_m, float)
    tl.trans[sl] = tl.pos + np.outer(u, shift)
    tl.trans[sl, 2] += seg.lift_m * bell(t / seg.seconds)
    w = bell(t / seg.seconds)
    if seg.wiggle_deg >= 0:
        tl.pitch_b[sl] = seg.wiggle_deg * w
    else:
        tl.pitch_h[sl] = -seg.wiggle_deg * w
    tl.pos = tl.pos + shift


def render_handle(tl, seg, i0, i1, t):
    sl = slice(i0, i1)
    tl.posture(sl, seg.posture)
    tl.hold_state(sl)
    tl.handles.append((seg, i0, i1, tl.mount_now, seg.mount))
    tl.mount_now = seg.mount
    tl.mount[sl] = seg.mount


RENDERERS = {
    Rep: render_rep,
    Still: render_still,
    ToeRaise: render_toe_raise,
    WeightShift: render_weight_shift,
    Bump: render_bump,
    Walk: render_walk,
    Transition: render_transition,
    Handle: render_handle,
    Shift: render_shift,
    FootMove: render_foot_move,
}


def build_timeline(plan, fs=1000.0):
    """Render every segment of the plan into channels; records rep/event windows for the truth."""
    tl = Timeline(plan, fs)
    for j, seg in enumerate(plan.segments):
        i0, i1, t = tl.window(j)
        if i1 <= i0:
            continue
        RENDERERS[type(seg)](tl, seg, i0, i1, t)
        s0, s1 = tl.starts[j], tl.starts[j + 1]
        if isinstance(seg, Transition):
            tl.transitions.append((seg.from_posture, seg.posture, s0, s1))
        if isinstance(seg, Handle):
            tl.mount_changes.append((s1, seg.mount))
        if seg.kind:
            tl.events.append((seg.kind, s0, s1))
    add_ball_tremor(tl)
    return tl
