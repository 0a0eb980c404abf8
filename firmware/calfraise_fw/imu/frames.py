"""FIFO bytes to raw counts in the board's frame, without allocating.

A board names its IMU's axes in the board frame as "x,y,z", "-y,x,z", ...: board x is the
first entry, and so on. The same rotation applies to the accelerometer and the gyro, so it must
be proper (no mirror image), or the gyro's sense of rotation would flip.
"""

import micropython

AXES = "xyz"


def axes_map(axes):
    """'x,-y,z' -> ((source axis, negate), ...) for board x, y, z; ValueError if not a rotation."""
    parts = axes.replace(" ", "").split(",")
    out = []
    for p in parts:
        neg = p.startswith("-")
        name = p[1:] if neg or p.startswith("+") else p
        if len(name) != 1 or name not in AXES:
            raise ValueError(f"bad axis {p!r} in {axes!r}: use x, y, z with an optional -")
        out.append((AXES.index(name), neg))
    if len(out) != 3 or sorted(a for a, _ in out) != [0, 1, 2]:
        raise ValueError(f"axes {axes!r} must name x, y and z once each")
    inversions = sum(1 for i in range(3) for j in range(i) if out[j][0] > out[i][0])
    negations = sum(1 for _, n in out if n)
    if (inversions + negations) % 2:
        raise ValueError(f"axes {axes!r} mirror the chip: use a rotation (flip one more sign)")
    return tuple(out)


def frame_layout(axes, frame_bytes, accel_at, gyro_at, big_endian):
    """The layout decode() reads: frame size, byte order, then (offset, negate) for ax..gz.

    accel_at, gyro_at: byte offsets of the chip's x reading of each sensor within a frame.
    """
    layout = bytearray(14)
    layout[0] = frame_bytes
    layout[1] = 1 if big_endian else 0
    for i, (src, neg) in enumerate(axes_map(axes)):
        layout[2 + 2 * i] = accel_at + 2 * src
        layout[3 + 2 * i] = neg
        layout[8 + 2 * i] = gyro_at + 2 * src
        layout[9 + 2 * i] = neg
    return layout


def ptr8(buf):
    """CPython stand-ins for viper's pointer casts (inside @viper code the compiler's own win)."""
    return buf


ptr16 = ptr8


@micropython.viper
def decode(src, n: int, layout, dst, at: int):
    """n frames from src into dst (array('h')) from index `at`: ax, ay, az, gx, gy, gz each."""
    s = ptr8(src)
    lay = ptr8(layout)
    d = ptr16(dst)
    frame = lay[0]
    big = lay[1]
    for k in range(n):
        base = k * frame
        o = at + 6 * k
        for c in range(6):
            p = base + lay[2 + 2 * c]
            if big:
                v = (s[p] << 8) | s[p + 1]
            else:
                v = s[p] | (s[p + 1] << 8)
            if v > 32767:
                v -= 65536
            if lay[3 + 2 * c]:
                v = -v
                if v > 32767:
                    v = 32767
            d[o + c] = v
