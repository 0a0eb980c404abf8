"""The IMU between the physics and the trace: chip profiles, per-unit errors, the chip's own clock
and the device's timestamps, lost samples, quantisation and clipping.

Why: the detector must survive what real MPU/LSM parts deliver (bias, scale and cross-axis error,
noise, an ODR that is not what the datasheet says, stamps with jitter, FIFO losses), not clean
physics. The physical clock (skew) is kept separate from the device stamps so the truth can be
mapped into the trace's t_ms clock exactly.
"""

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.signal import butter, sosfilt

G = 9.81  # m/s^2 per g (the simulator's world gravity)

# chip -> (ODRs, {accel range g: g per LSB}, {gyro range dps: dps per LSB}, noise factor)
CHIPS = {
    "MPU-6050": (
        (50, 100, 200),
        {2: 1 / 16384, 4: 1 / 8192, 8: 1 / 4096, 16: 1 / 2048},
        {250: 1 / 131, 500: 1 / 65.5, 1000: 1 / 32.8, 2000: 1 / 16.4},
        1.0,
    ),
    "MPU-6886": (
        (50, 100, 200),
        {2: 1 / 16384, 4: 1 / 8192, 8: 1 / 4096, 16: 1 / 2048},
        {250: 1 / 131, 500: 1 / 65.5, 1000: 1 / 32.8, 2000: 1 / 16.4},
        0.9,
    ),
    # ST datasheet sensitivities: 0.061/0.122/0.244/0.488 mg/LSB, 8.75/17.5/35/70 mdps/LSB
    "LSM6DS3": (
        (52, 104, 208),
        {2: 0.061e-3, 4: 0.122e-3, 8: 0.244e-3, 16: 0.488e-3},
        {250: 8.75e-3, 500: 17.5e-3, 1000: 35e-3, 2000: 70e-3},
        0.8,
    ),
    "LSM6DSOX": (
        (52, 104, 208),
        {2: 0.061e-3, 4: 0.122e-3, 8: 0.244e-3, 16: 0.488e-3},
        {250: 8.75e-3, 500: 17.5e-3, 1000: 35e-3, 2000: 70e-3},
        0.7,
    ),
}


@dataclass(frozen=True)
class SensorConfig:
    """One physical sensor unit and how the device samples it (plain data, JSON-friendly)."""

    chip: str = "MPU-6886"
    rate_hz: float = 100.0  # nominal ODR
    accel_range_g: int = 8
    gyro_range_dps: int = 1000
    accel_bias_g: tuple = (0.0, 0.0, 0.0)
    accel_gain: tuple = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))  # scale + cross-axis
    gyro_bias_dps: tuple = (0.0, 0.0, 0.0)
    gyro_gain: tuple = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    gyro_drift: tuple = ()  # slow bias wander: ((amp dps, freq Hz, phase, axis), ...)
    accel_noise_g: float = 0.0  # white noise RMS at 100 Hz ODR (scales with sqrt(ODR / 100))
    gyro_noise_dps: float = 0.0
    skew: float = 0.0  # real sample period = nominal * (1 + skew)
    jitter_ms: float = 0.0  # stamps: round(k * nominal period + U(-j, j))
    drop_rate: float = 0.0  # probability of losing one sample
    gaps: tuple = ()  # FIFO overflows: ((fraction of session, length ms), ...)
    quantize: bool = True
    lowpass: bool = True  # the chip's digital low-pass before decimation to the ODR

    @staticmethod
    def ideal(rate_hz=100.0):
        """No errors, no noise, no skew, no quantisation: for tests of the physics itself."""
        return SensorConfig(
            chip="ideal", rate_hz=rate_hz, accel_range_g=16, gyro_range_dps=2000, quantize=False
        )

    def with_rate(self, rate_hz):
        return replace(self, rate_hz=float(rate_hz))

    def lsb(self):
        """(g per accel LSB, dps per gyro LSB) of this chip at its ranges."""
        if self.chip not in CHIPS:
            return self.accel_range_g / 32768, self.gyro_range_dps / 32768
        _, acc, gyr, _ = CHIPS[self.chip]
        return acc[self.accel_range_g], gyr[self.gyro_range_dps]

    def to_ms(self, t_phys_s):
        """Physical seconds since the first sample -> the trace's t_ms clock (no jitter)."""
        return np.asarray(t_phys_s) * 1000.0 / (1.0 + self.skew)

    def meta(self):
        a, g = self.lsb()
        return {
            "chip": self.chip,
            "rate_hz": self.rate_hz,
            "accel_range_g": self.accel_range_g,
            "gyro_range_dps": self.gyro_range_dps,
            "accel_lsb_g": a,
            "gyro_lsb_dps": g,
            "accel_bias_g": list(self.accel_bias_g),
            "gyro_bias_dps": list(self.gyro_bias_dps),
            "accel_gain": [list(r) for r in self.accel_gain],
            "gyro_gain": [list(r) for r in self.gyro_gain],
            "accel_noise_g": self.accel_noise_g,
            "gyro_noise_dps": self.gyro_noise_dps,
            "skew": self.skew,
            "jitter_ms": self.jitter_ms,
            "drop_rate": self.drop_rate,
            "gaps": [list(g_) for g_ in self.gaps],
        }


# per tier: (accel bias g, accel scale, gyro bias dps, gyro scale, cross-axis, noise factor,
#            skew, jitter ms, drop rate, gyro drift dps)
_TIER_ERRORS = {
    "clean": (0.02, 0.02, 2.0, 0.02, 0.01, 0.7, 0.005, 0.5, 0.0, 0.0),
    "varied": (0.02, 0.02, 2.0, 0.02, 0.01, 1.0, 0.02, 2.0, 1 / 2000, 0.2),
    "hard": (0.05, 0.03, 5.0, 0.02, 0.01, 1.6, 0.03, 2.0, 1 / 2000, 0.5),
}


def random_sensor(rng, tier):
    """Draw one sensor unit and its sampling setup for a session of the given tier."""
    ab, asc, gb, gsc, cross, nf, skew, jit, drop, drift = _TIER_ERRORS[tier]
    chip = str(rng.choice(list(CHIPS)))
    odrs, _, _, chip_noise = CHIPS[chip]
    if tier == "clean":
        rate = 100 if chip.startswith("MPU") else 104
    else:
        rate = int(rng.choice(odrs))
    acc_range = int(rng.choice([4, 8] if tier == "clean" else [4, 8, 16]))
    gyr_range = int(rng.choice([500, 1000, 2000]))

    def gain(scale):
        m = np.eye(3) + np.diag(rng.uniform(-scale, scale, 3))
        off = rng.uniform(-cross, cross, (3, 3))
        m += off - np.diag(np.diag(off))
        return tuple(tuple(float(x) for x in row) for row in m)

    gaps = ()
    if tier == "hard":
        gaps = tuple(
            (float(rng.uniform(0.05, 0.95)), float(rng.uniform(50, 200)))
            for _ in range(int(rng.integers(2, 6)))
        )
    drift_terms = ()
    if drift:
        drift_terms = tuple(
            (
                float(rng.uniform(0.3, 1.0) * drift),
                float(rng.uniform(1e-3, 6e-3)),
                float(rng.uniform(0, 2 * np.pi)),
                int(ax),
            )
            for ax in range(3)
        )
    return SensorConfig(
        chip=chip,
        rate_hz=float(rate),
        accel_range_g=acc_range,
        gyro_range_dps=gyr_range,
        accel_bias_g=tuple(float(x) for x in rng.uniform(-ab, ab, 3)),
        accel_gain=gain(asc),
        gyro_bias_dps=tuple(float(x) for x in rng.uniform(-gb, gb, 3)),
        gyro_gain=gain(gsc),
        gyro_drift=drift_terms,
        accel_noise_g=0.004 * nf * chip_noise,
        gyro_noise_dps=0.07 * nf * chip_noise,
        skew=float(rng.uniform(-skew, skew)),
        jitter_ms=jit,
        drop_rate=drop,
        gaps=gaps,
    )


@dataclass
class Samples:
    """What the device would log (stamps, accel g, gyro dps) and when each sample really was."""

    t_ms: np.ndarray
    accel_g: np.ndarray
    gyro_dps: np.ndarray
    t_phys_s: np.ndarray = field(repr=False)


def sample(f_g, w_dps, fs, cfg, rng):
    """Turn 1 kHz physical specific force (g) and body rate (dps) into the device's samples."""
    n = len(f_g)
    if cfg.lowpass:
        fc = min(0.4 * cfg.rate_hz, 0.45 * fs)
        sos = butter(2, fc, fs=fs, output="sos")
        # start from rest so the filter does not ring at t = 0
        f_g = sosfilt(sos, f_g - f_g[0], axis=0) + f_g[0]
        w_dps = sosfilt(sos, w_dps - w_dps[0], axis=0) + w_dps[0]
    period_s = 1.0 / cfg.rate_hz
    t_end = (n - 1) / fs
    k = np.arange(int(np.floor(t_end / (period_s * (1 + cfg.skew)))) + 1)
    t_phys = k * period_s * (1 + cfg.skew)
    grid = np.arange(n) / fs
    acc = np.column_stack([np.interp(t_phys, grid, f_g[:, i]) for i in range(3)])
    gyr = np.column_stack([np.interp(t_phys, grid, w_dps[:, i]) for i in range(3)])

    acc = acc @ np.asarray(cfg.accel_gain).T + np.asarray(cfg.accel_bias_g)
    gyr = gyr @ np.asarray(cfg.gyro_gain).T + np.asarray(cfg.gyro_bias_dps)
    for amp, f, ph, ax in cfg.gyro_drift:
        gyr[:, ax] += amp * np.sin(2 * np.pi * f * t_phys + ph)
    noise_k = np.sqrt(cfg.rate_hz / 100.0)
    acc += rng.normal(0.0, cfg.accel_noise_g * noise_k, acc.shape)
    gyr += rng.normal(0.0, cfg.gyro_noise_dps * noise_k, gyr.shape)

    a_lsb, g_lsb = cfg.lsb()
    if cfg.quantize:
        acc = np.clip(np.round(acc / a_lsb), -32768, 32767) * a_lsb
        gyr = np.clip(np.round(gyr / g_lsb), -32768, 32767) * g_lsb
    else:
        acc = np.clip(acc, -cfg.accel_range_g, cfg.accel_range_g)
        gyr = np.clip(gyr, -cfg.gyro_range_dps, cfg.gyro_range_dps)

    jitter = rng.uniform(-cfg.jitter_ms, cfg.jitter_ms, len(k)) if cfg.jitter_ms else 0.0
    stamps = np.round(k * period_s * 1000.0 + jitter).astype(np.int64)
    stamps = np.maximum(stamps, 0)
    keep = np.ones(len(k), bool)
    if cfg.drop_rate:
        keep &= rng.random(len(k)) >= cfg.drop_rate
    for frac, ms in cfg.gaps:
        start = frac * t_end
        keep &= ~((t_phys >= start) & (t_phys < start + ms / 1000.0))
    keep[0] = True
    stamps, acc, gyr, t_phys = stamps[keep], acc[keep], gyr[keep], t_phys[keep]
    # jitter must never reorder stamps: the device's clock is monotonic
    idx = np.arange(len(stamps))
    stamps = np.maximum.accumulate(stamps - idx) + idx
    return Samples(stamps, acc, gyr, t_phys)
