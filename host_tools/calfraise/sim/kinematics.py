"""Pose channels -> what an ideal IMU on the clip measures, at 1 kHz.

Why: the sensor sees only specific force f = R_ws^T (a - g) and body rate, both in its own axes.
Getting those from the pose (instead of writing down accelerations by hand) keeps gravity tilt,
centripetal and tangential terms, and the lever arm of the clip physically consistent.
Orientations are (4, N) quaternion arrays (see quat.py) rotating sensor/foot axes into world axes.
"""

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import savgol_filter
from scipy.spatial.transform import Rotation, RotationSpline

from . import quat as Q
from .sensor import G

EX, EY, EZ = np.eye(3)


def body_sway(terms, t):
    """Slow postural sway (deg, (3, N)): sines below ~1 Hz, evaluated every 10 ms and
    interpolated (a sine per sample at 1 kHz costs more than the rest of the pose)."""
    coarse = np.arange(0.0, t[-1] + 0.02, 0.01)
    out = np.zeros((3, len(t)))
    for ax in range(3):
        wave = np.zeros(len(coarse))
        for a, amp, f, ph in terms:
            if a == ax:
                wave += amp * np.sin(2 * np.pi * f * coarse + ph)
        if wave.any():
            out[ax] = np.interp(t, coarse, wave)
    return out


def foot_pose(tl):
    """World orientation of the foot (4, N) and world position of B (3, N).

    R = Rz(heading) * tilt * Ry(posture pitch) * heel sway * Ry(pitch_b - pitch_h). Heel sway
    and the pitch about H are zero most of the time, so they are only composed where they act.
    """
    L = tl.plan.foot_length_m
    sway = body_sway(tl.plan.sway, tl.t)
    turned = Q.turn_z_then(
        np.radians(tl.psi), Q.from_rotvec(np.radians(tl.tilt.T + sway * tl.sway_gain + tl.shift.T))
    )
    pitch = np.radians(tl.pitch_b - tl.pitch_h)
    beta = np.radians(tl.beta)
    rot = Q.then_turn_y(turned, beta + pitch)
    swaying = np.flatnonzero((tl.roll != 0) | (tl.yaw != 0))
    heel = Q.from_rotvec(np.radians(np.stack([tl.roll, np.zeros(tl.n), tl.yaw])[:, swaying]))
    base_s = Q.then_turn_y(turned[:, swaying], beta[swaying])
    rot[:, swaying] = Q.then_turn_y(Q.mul(base_s, heel), pitch[swaying])
    # B moves only when the foot pitches toes-up about H = (-L, 0, 0) (then turns about B)
    origin = tl.trans.T.copy()
    on_h = np.flatnonzero(tl.pitch_h != 0)
    ph = np.radians(tl.pitch_h[on_h])
    d_h = np.stack([L * (np.cos(ph) - 1.0), np.zeros(len(on_h)), L * np.sin(ph)])
    roll_yaw = np.radians(np.stack([tl.roll[on_h], np.zeros(len(on_h)), tl.yaw[on_h]]))
    inner = Q.then_turn_y(Q.from_rotvec(roll_yaw), np.radians(tl.pitch_b[on_h]))
    base_h = Q.then_turn_y(turned[:, on_h], beta[on_h])
    origin[:, on_h] += Q.apply(base_h, Q.apply(inner, d_h))
    return rot, origin


def sensor_pose(tl, rot_foot, origin):
    """Sensor orientation (sensor -> world, (4, N)) and position (3, N), with the clip wobble
    and the hand-held spans."""
    mounts = tl.plan.mounts
    clips = np.array([m.quat_xyzw for m in mounts], float).T
    s_foot = np.array([m.s_foot for m in mounts], float).T
    rot = rot_foot.copy()
    ringing = np.flatnonzero(np.any(tl.wobble != 0, axis=1))
    rot[:, ringing] = Q.mul(rot[:, ringing], Q.from_rotvec(np.radians(tl.wobble[ringing].T)))
    rot = Q.mul(rot, clips[:, tl.mount])
    pos = origin + Q.apply(rot_foot, s_foot[:, tl.mount])
    for seg, i0, i1, old, new in tl.handles:
        j = min(i1, tl.n - 1)
        r0 = Rotation.from_quat(Q.mul(rot_foot[:, i0], clips[:, old]))
        r1 = Rotation.from_quat(Q.mul(rot_foot[:, j], clips[:, new]))
        p0 = origin[:, i0] + Q.apply(rot_foot[:, i0 : i0 + 1], s_foot[:, old])[:, 0]
        p1 = origin[:, j] + Q.apply(rot_foot[:, j : j + 1], s_foot[:, new])[:, 0]
        q, p = hand_path(seg, r0, r1, p0, p1, tl.t[i0 : j + 1] - tl.t[i0])
        rot[:, i0 : j + 1] = q.as_quat().T
        pos[:, i0 : j + 1] = p.T
    return rot, pos


def hand_path(seg, r0, r1, p0, p1, t):
    """Smooth path of the sensor in the hand through the plan's key poses, from the old clip
    pose to the new one."""
    T = t[-1] if t[-1] > 0 else seg.seconds
    keys = sorted(seg.keys, key=lambda k: k[0])
    us = [0.0] + [k[0] for k in keys] + [1.0]
    step = (r0.inv() * r1).as_rotvec()
    rots = [r0]
    for u, rv, _ in keys:
        straight = r0 * Rotation.from_rotvec(step * u)
        rots.append(Rotation.from_rotvec(np.radians(rv)) * straight)
    rots.append(r1)
    times = np.array(us) * T
    spline = RotationSpline(times, Rotation.concatenate(rots))
    pts = [p0] + [p0 + (p1 - p0) * u + np.asarray(off, float) for u, _, off in keys] + [p1]
    path = CubicSpline(times, np.array(pts), bc_type="clamped")
    tt = np.clip(t, 0, T)
    return spline(tt), path(tt)


def imu_signals(rot, pos, extra_acc, fs=1000.0):
    """Specific force (g) and body angular rate (deg/s) in the sensor frame, each (N, 3).

    Acceleration: a Savitzky-Golay second derivative over 21 ms, so piecewise-smooth paths give
    no finite-difference noise; rate: central difference of orientations (q_{k-1}^-1 q_{k+1}).
    """
    dt = 1.0 / fs
    acc = savgol_filter(pos, 21, 3, deriv=2, delta=dt, axis=1, mode="interp")
    f_world = acc + extra_acc.T
    f_world[2] += G
    f = Q.apply(Q.conj(rot), f_world) / G
    n = rot.shape[1]
    w = np.empty((3, n))
    w[:, 1:-1] = Q.as_rotvec(Q.mul(Q.conj(rot[:, :-2]), rot[:, 2:])) / (2 * dt)
    w[:, 0], w[:, -1] = w[:, 1], w[:, -2]
    return np.ascontiguousarray(f.T), np.ascontiguousarray(np.degrees(w).T)
