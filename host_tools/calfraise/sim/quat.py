"""Vectorised unit quaternions for long 1 kHz pose arrays, stored component-first.

Layout: a quaternion array is (4, N) with rows x, y, z, w (scipy's order, transposed); vectors
are (3, N). Why not scipy's Rotation: composing 300 000 rotations with it takes ~0.2 s per product
here; contiguous rows of plain numpy take a few ms, and a session must render in well under 1 s.
"""

import numpy as np


def about(axis, rad):
    """Rotations by angles rad (N,) about one fixed unit axis (3,)."""
    h = 0.5 * np.asarray(rad, float)
    s = np.sin(h)
    return np.stack([s * axis[0], s * axis[1], s * axis[2], np.cos(h)])


def turn_z_then(rad, q):
    """Rz(rad) * q: the same as mul(about(z, rad), q) at half the cost."""
    h = 0.5 * np.asarray(rad, float)
    s, c = np.sin(h), np.cos(h)
    qx, qy, qz, qw = q
    out = np.empty_like(q)
    out[0] = c * qx - s * qy
    out[1] = c * qy + s * qx
    out[2] = c * qz + s * qw
    out[3] = c * qw - s * qz
    return out


def then_turn_y(p, rad):
    """p * Ry(rad): the same as mul(p, about(y, rad)) at half the cost."""
    h = 0.5 * np.asarray(rad, float)
    s, c = np.sin(h), np.cos(h)
    px, py, pz, pw = p
    out = np.empty_like(p)
    out[0] = px * c - pz * s
    out[1] = pw * s + py * c
    out[2] = px * s + pz * c
    out[3] = pw * c - py * s
    return out


def from_rotvec(rv):
    """Rotation vectors (3, N), radians -> quaternions (4, N)."""
    rv = np.asarray(rv, float)
    ang = np.sqrt(rv[0] ** 2 + rv[1] ** 2 + rv[2] ** 2)
    small = ang < 1e-8
    k = np.where(small, 0.5 - ang * ang / 48.0, np.sin(0.5 * ang) / np.where(small, 1.0, ang))
    return np.concatenate([rv * k, np.cos(0.5 * ang)[None]])


def mul(p, q):
    """Hamilton product p * q (apply q first, then p); either may be a single (4,) quaternion."""
    px, py, pz, pw = p
    qx, qy, qz, qw = q
    return np.stack(
        [
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw,
            pw * qw - px * qx - py * qy - pz * qz,
        ]
    )


def conj(q):
    """Inverse of unit quaternions."""
    return np.stack([-q[0], -q[1], -q[2], q[3]])


def _cross(a, b):
    return np.stack(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


def apply(q, v):
    """Rotate vectors v (3, N) (or one (3,) vector) by q (4, N)."""
    u, w = q[:3], q[3]
    v = np.asarray(v, float)
    if v.ndim == 1:
        v = v[:, None]
    t = 2.0 * _cross(u, v)
    return v + w * t + _cross(u, t)


def as_rotvec(q):
    """Quaternions (4, N) -> rotation vectors (3, N), radians, the short way round."""
    q = np.where(q[3] < 0, -q, q)
    u, w = q[:3], q[3]
    n = np.sqrt(u[0] ** 2 + u[1] ** 2 + u[2] ** 2)
    small = n < 1e-9
    k = np.where(
        small, 2.0 / np.maximum(w, 1e-12), 2.0 * np.arctan2(n, w) / np.where(small, 1.0, n)
    )
    return u * k
