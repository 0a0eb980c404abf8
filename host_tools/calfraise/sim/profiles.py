"""Smooth one-dimensional shapes shared by the motions.

Every shape here is at least C1 (most are C2) so that the second derivative of position, which is
what the accelerometer sees, has no artificial spikes; real impacts are added on purpose, elsewhere.
"""

import numpy as np


def min_jerk(u):
    """0 -> 1 over u in [0, 1] with zero velocity and acceleration at both ends (human reaching)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


def quintic(t, T, p0, v0, p1, v1, a0=0.0, a1=0.0):
    """Quintic Hermite on [0, T] through position/velocity/acceleration at both ends.

    Works for scalars or vectors: p0, v0, ... may be shape (k,), the result is (len(t), k).
    """
    u = np.clip(np.asarray(t, float) / T, 0.0, 1.0)
    u2, u3 = u * u, u * u * u
    u4, u5 = u3 * u, u3 * u2
    h0 = 1 - 10 * u3 + 15 * u4 - 6 * u5
    h1 = u - 6 * u3 + 8 * u4 - 3 * u5
    h2 = 0.5 * u2 - 1.5 * u3 + 1.5 * u4 - 0.5 * u5
    h3 = 0.5 * u3 - u4 + 0.5 * u5
    h4 = -4 * u3 + 7 * u4 - 3 * u5
    h5 = 10 * u3 - 15 * u4 + 6 * u5
    terms = (
        (h0, p0),
        (h1, np.multiply(v0, T)),
        (h2, np.multiply(a0, T * T)),
        (h3, np.multiply(a1, T * T)),
        (h4, np.multiply(v1, T)),
        (h5, p1),
    )
    if np.ndim(p0) == 0:
        return sum(h * c for h, c in terms)
    return sum(np.outer(h, c) for h, c in terms)


def bell(u):
    """0 -> 1 -> 0 over u in [0, 1] (sin^2), smooth at both ends: a there-and-back movement."""
    u = np.clip(u, 0.0, 1.0)
    return np.sin(np.pi * u) ** 2


def rebound_pulse(t, width):
    """A half-sine push of `width` seconds then a half-amplitude rebound twice as long.

    The two lobes cancel, so an impact spike leaves no net velocity (the foot or clip does not drift
    away); peak 1 at t = width / 2, zero outside [0, 3 * width].
    """
    t = np.asarray(t, float)
    out = np.zeros_like(t)
    a = (t >= 0) & (t < width)
    out[a] = np.sin(np.pi * t[a] / width)
    b = (t >= width) & (t < 3 * width)
    out[b] = -0.5 * np.sin(np.pi * (t[b] - width) / (2 * width))
    return out


def damped_sine(t, freq_hz, decay_s):
    """sin(2 pi f t) * exp(-3 t / decay): starts at zero, down to ~5 % after `decay_s`."""
    t = np.asarray(t, float)
    out = np.zeros_like(t)
    m = t >= 0
    out[m] = np.sin(2 * np.pi * freq_hz * t[m]) * np.exp(-3.0 * t[m] / decay_s)
    return out
