"""Every integer the detector computes stays within +-2**29.

The ESP32's small ints hold 31 bits and the unix port's 63, so an overflow would pass unnoticed
on the PC and allocate (or wrap, in viper code) on the board. This test recompiles the detector
with every arithmetic result checked, then drives it with extreme but legal input.
"""

import ast
import inspect
import math
import random

import pytest

from calfraise_fw import detector

LIMIT = 1 << 29


def _checked(value):
    if isinstance(value, int) and not -LIMIT <= value <= LIMIT:
        raise OverflowError(f"intermediate {value} is beyond +-2**29")
    return value


class _CheckArithmetic(ast.NodeTransformer):
    """Wraps every binary operation, and every augmented assignment's result, in _checked()."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.Call(ast.Name("_checked", ast.Load()), [node], []), node)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        load = ast.parse(ast.unparse(node.target), mode="eval").body
        value = ast.BinOp(load, node.op, node.value)
        call = ast.Call(ast.Name("_checked", ast.Load()), [value], [])
        return ast.copy_location(ast.Assign([node.target], call), node)


@pytest.fixture(scope="module")
def checked_detector():
    tree = _CheckArithmetic().visit(ast.parse(inspect.getsource(detector)))
    ast.fix_missing_locations(tree)
    namespace = {"_checked": _checked, "__name__": "checked_detector"}
    exec(compile(tree, detector.__file__, "exec"), namespace)
    return namespace


def _extreme_samples(rng, n):
    """Raw counts at and around full scale, spins, impacts, stillness and gaps."""
    t = 0
    for i in range(n):
        t += rng.choice((4, 5, 10, 10, 10, 10, 300, 1500))
        phase = (i // 200) % 4
        if phase == 0:  # still, a bit tilted
            yield t, 100, -200, 4000, 30, -20, 10
        elif phase == 1:  # everything at full scale
            yield t, *(rng.choice((-32768, 32767)) for _ in range(6))
        elif phase == 2:  # random
            yield t, *(rng.randint(-32768, 32767) for _ in range(6))
        else:  # a slow, large turn
            yield t, 2000, 3000, 1000, 2000, -1500, 900


@pytest.mark.parametrize(
    ("rate", "accel_lsb", "gyro_lsb"),
    [(50, 2048, 16.4), (104, 4096, 32.8), (208, 16384, 131), (420, 2048, 8), (40, 16384, 262)],
)
def test_no_intermediate_beyond_29_bits(checked_detector, rate, accel_lsb, gyro_lsb):
    det = checked_detector["RepDetector"](rate, accel_lsb, gyro_lsb)
    rng = random.Random(rate)
    for sample in _extreme_samples(rng, 6000):
        det.update(*sample)


def test_the_check_itself_catches_an_overflow(checked_detector):
    with pytest.raises(OverflowError):
        checked_detector["isqrt"](1 << 40)


def test_a_reps_crossings_and_amplitude_stay_within_29_bits(checked_detector):
    """Once per rep, but on the same board: crossing() scales a signal up to the squared chord
    of a 180 degree turn (2^26) to 15 bits before multiplying by a block of up to 200 ms, and
    the amplitude conversion runs up to the 65 degree limit."""
    crossing = checked_detector["crossing"]
    rng = random.Random(11)
    for _ in range(2000):
        t0 = rng.randrange(2**27)
        s0, s1 = rng.randrange(-(2**26), 2**26), rng.randrange(-(2**26), 2**26)
        crossing(t0, t0 + rng.choice((20, 77, 160, 200)), s0, s1, rng.randint(*sorted((s0, s1))))
    chord2_to_cdeg = checked_detector["chord2_to_cdeg"]
    for x in range(0, round(8192 * math.sin(math.radians(65) / 2)) + 1, 7):
        chord2_to_cdeg(x * x)


def test_the_first_bias_window_stays_within_29_bits_when_the_foot_turned_far(checked_detector):
    """Switched on while the foot turns steadily (the gyro reads steadily, as a bias does, and
    the accelerometer ~1 g) for seconds: the first bias's window measures a turn of tens of
    degrees, far past its noise floor, whose square would pass 2**29."""
    from test_rep_timing import pitch_samples

    det = checked_detector["RepDetector"](104, 4096, 32.8)
    for sample in pitch_samples([(0.0, 0.0), (3.0, 60.0), (5.0, 60.0)]):
        det.update(*sample)
