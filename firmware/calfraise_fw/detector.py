"""Streaming heel-raise detector: raw IMU counts in, completed reps out.

It runs inside the device's sampling loop, so the per-sample path is integer-only, never
allocates, and does real work only once per ~40 ms block. The host imports this very module,
so the analyzer and the board always agree. Design and tuning: docs/detector.md.

Signal: a gravity ("up") vector in the sensor frame, turned by the gyro and pulled towards the
accelerometer while that reads ~1 g. A heel raise tilts it away from its rest direction and back;
the squared chord between the two (`s`, ~ angle squared) does not depend on how the clip sits.
Rep phases are the 5 %/95 % crossings of each rep's own amplitude. A heel raise also turns the
foot about its ball, which stays put: linear acceleration that no such turn explains is the
whole foot moving (a step, a slide), not a rep (_pivots).

Speed: the hot paths are @micropython.viper over one int32 state array. Values are stored plus
_OFF so they are never negative: viper's ptr32 reads zero-extend on 64-bit ports, and this
encoding reads back the same on the ESP32, the unix port and CPython.
Range: every intermediate integer stays within +-2**29 (the ESP32's small ints hold 31 bits;
tests/test_detector_ranges.py checks every arithmetic result), so t_ms must stay below 2**28.
"""

from array import array

import micropython
from micropython import const

_BLOCK_HZ = const(25)  # decimated processing rate
_RING = const(256)  # blocks of history (~10 s) to find where a rep started: no rep is longer
_MASK = const(255)
_RECENT = const(64)  # blocks (~2.5 s) re-measured from a newly learned rest
_OFF = const(1 << 28)  # storage offset, see the module docstring

_DEG = const(71)  # chord units (1 g = 4096) per degree of tilt
_S_TRIGGER = const(4 * 4 * _DEG * _DEG)  # tilting beyond ~4 deg opens a candidate rep
_S_MIN_AMP = const(6 * 6 * _DEG * _DEG)  # smaller peaks are sway or weight shifts, unless
# they are a partial rep of a set under way (_partial_in_set)
_S_POSTURE = const(50 * 50 * _DEG * _DEG)  # a still plateau beyond this is a new posture
_S_MAX_AMP = const(65 * 65 * _DEG * _DEG)  # beyond this it is handling or a posture change
_S_FLOOR = const(_DEG * _DEG * 9 // 25)  # 0.6 deg: the lowest 5 % level we trust
_S_SETTLED = const(2 * 2 * _DEG * _DEG)  # rest may follow slow drift below ~2 deg
_S_DRIFT = const(6 * 6 * _DEG * _DEG)  # rests between reps differ by up to ~5 deg
_S_THROUGH = const(12 * 12 * _DEG * _DEG)  # past rest this far the other way: a heel strike
# (walking lands at 10-25 deg of dorsiflexion; a rest drifts by a few degrees)
_S_NEW_CLIP = const(20 * 20 * _DEG * _DEG)  # a new rest this far off: re-clipped or new posture
_SOLE_UP = const(358613)  # cos 110 deg x 2**20: a rest this far from the stance has the sole up

_STILL_DPS = const(3)  # gyro below this (bias removed) is quiet enough to learn its bias
_BIAS_DPS = const(1)  # ... and below this, dead still: the gyro reads only its bias
_MOVE_DPS = const(30)  # turning faster than this is moving, whatever the tilt does
_S_CONE = const(35 * 35 * _DEG * _DEG // 100)  # the tilt wanders less than 3.5 deg: steady
# (a foot's postural sway stays within about 1.5 deg either side)
_S_NEAR = const(15 * 15 * _DEG * _DEG // 100)  # within 1.5 deg of the steady tilt's mean
_BIAS_MAX_DPS = const(20)  # MEMS gyros stay well within this zero-rate offset
_BLEND_DPS = const(60)  # faster turns carry linear acceleration: trust the gyro alone
_RATE_VETO_DPS = const(450)  # faster turns are handling or a step, not a calf raise
_JOLT_G = const(4)  # a sample whose |ax| + |ay| + |az| passes this is an impact (a calf raise
# reaches under 2 g, whose sum is under 3.5 g; heel strikes and landings 2-6 g)
_M2_1G = const(1 << 20)  # |a|^2 at 1 g, in (1/1024 g)^2
_M2_LO_1G = const(_M2_1G * 8 // 10)  # 0.9 g: an accelerometer error would not go lower
_M2_HI_1G = const(_M2_1G * 12 // 10)  # 1.1 g
_M2_HIGH = const(4 * _M2_1G)  # > 2 g: an impact (heel strike, bump)
_M2_LOW = const(_M2_1G // 10)  # < 0.32 g: free fall or a jolt
_BLEND_GATE = const(_M2_1G // 8)  # accel within ~6 % of 1 g may correct the tilt

_PUSHED_ON = const(572)  # 8 deg in the turn sums' unit, 2**-12 rad
_CONFIRM_MS = const(300)  # a rep waits this long for a veto (walking's heel strike)
_STOOD = const(1)  # _FLOOR: the foot stood calm (on the floor), and has not left its rest since
_LEFT = const(2)  # _FLOOR: it left such a rest, and has not been calm since
_MOVED = const(3)  # _FLOOR: ... and its rest moved 6-20 deg from that one (_left_floor)
_AIR = const(4)  # _FLOOR: ... and it trembled there, not at a rep's top
_FLIPS_AIR = const(4)  # ... to and fro: two periods of a tremor (5-10 Hz: 0.2-0.4 s)
_NEW_REST_MS = const(5000)  # still this long away from rest: a new rest (longer than any hold)
_SETTLE_MS = const(600)  # steadiness needed to learn a rest after handling or a gap
_BOOT_SETTLE_MS = const(400)  # at boot, steady this long and not trembling: the first rest
_CALM_FOR_MS = const(300)  # ... the last this long without a tremor
_STOOD_MS = const(120)  # calm this long (3 blocks): the foot stands (_left_floor)
_TREMBLE_MS = const(2000)  # ... steady this long though trembling (on its ball: a plank, a hold)
_TRUST_MS = const(200)  # steady this long: the accelerometer reads gravity alone
_FOLLOW_LAG = const(16)  # blocks (~0.64 s): the rest follows the tilt of this long ago
_PLATEAU_MS = const(300)  # steady this long on the way up: a new stance if it rises again
_STOPPED_MS = const(120)  # turning this long at under 1/8 of the way down's fastest: landed (a
# smooth way down is then within 1 % of the floor, whatever its speed)
_LAND_MS = const(240)  # steady this long low on the way down: the foot has landed
_RESETTLE_MS = const(1500)  # still this long mid-way down: the foot found a new rest
_GAP_MS = const(1000)  # samples missing for longer than this: orientation lost
_MIN_PHASE_MS = const(150)  # faster is a step or a jolt: a brisk raise takes 0.3 s up, 0.3 s down
_QUICK_DEG = const(45)  # ... at this amplitude and over; a smaller rep may rise quicker (_quickest)
_SET_GAP_MS = const(12000)  # a pause longer than this after a rep, no rep under way: set over
# The ball-pivot test (_pivots): a heel raise turns the foot about its ball, which stays on the
# floor, so the clip's linear acceleration is the turn's own, alpha x r + w x (w x r), r the fixed
# lever from the ball to the clip. What that cannot explain is the foot moving as a whole (a
# step, a slide, a foot in the air). The model's error floor, which a rep may leave unexplained:
_PIVOT_ABS2 = const(102 * 102 >> 8)  # 0.05 g RMS per block (1/2048 g, summed >> 8): the tilt
# estimate 2 deg off (0.035 g) and 3 % accelerometer scale and cross-axis error on the 1 g that
# turns (0.03 g)
_PIVOT_REL2 = const(16)  # plus 16/64 of the rep's own acceleration power (0.5 of its RMS): its
# turn is sampled at 25 Hz and a brisk rep turns 50 deg in 0.3 s, 7 blocks; alpha from block
# differences and the block-mean w^2 leave ~20 % of its RMS, tremor at the top aliases, and the
# tilt estimate lags a brisk turn (brisk plank reps fit a lever up to twice the drawn one). A real
# foot adds what no rigid model has (the sole flexing, a clip on a soft counter, the heel's
# landing), so the floor keeps a 2.5x margin over the 20 %: a lost rep costs more than a slide
# A toe raise turns the foot about its heel, right under a heel clip (at most 7 cm above the heel
# and 3 cm behind it: within 25 deg of straight below); a heel raise turns it about the ball,
# 15-26 cm away from a heel clip (and 30-56 deg off straight below a clip on the laces):
_UNDER_COS20 = const(18)  # a pivot within 25 deg (cos 0.9) of straight below the clip ...
_UNDER_MM = const(120)  # ... and nearer than 12 cm: the heel (brisk reps fit up to 1.7x long)
_LEVER_MM = const(300)  # the longest lever from the ball to a clip on the heel: a big foot's
# ball is ~22 cm in front of its heel, the clip up to 7 cm above and 3 cm behind it (0.26 m;
# heel raises fit at most 0.27 m, a foot sliding back as its heel lifts up to 0.5 m)
_PIVOT_CLAMP = const(4095)  # linear acceleration is clamped at 2 g (alpha at 78 rad/s^2) ...
_PIVOT_BLOCKS = const(400)  # ... and at most this many summed (16 s): the sums stay < 2**28
# The accelerometer reads gravity plus the clip's alpha x r. It may correct the pivot test's
# gravity only while alpha stays under 4.8 rad/s^2 (0.15 g on the longest lever, 0.3 m): a
# block's own alpha (_block), 4.8 x (38.5 ms)^2 rad in 2**-14 rad units: a bounce's turning
# point reverses at 10-30 rad/s^2, a foot trembling 0.3 deg at 8 Hz at 14. (At the model's
# 0.05 g floor, 1.6 rad/s^2, long slow sets with no rest rely on the gyro alone, and a 5 deg/s
# stale bias lost a rep)
_QUIET_ALPHA = const(117)
_BIAS_BLOCKS = const(25)  # the first bias's window (1 s): the gyro's turn over it less gravity's
_TILT_NOISE = const(572)  # ... unless gravity turned less than 0.5 deg (2**-16 rad)
_PARTIAL_PCT = const(62)  # amplitude below this % of recent full reps is a partial rep
_PARTIAL_VOTES = const(2)  # heel raises that confirm the direction before a small rep counts
_SET_PAUSE_MS = const(3000)  # a longer rest between reps pauses the set's rhythm (real sets rest
# 0.5-0.8 s between reps, slow ones up to 1.5 s)
_RHYTHM_MS = const(6000)  # a set's second rep rises within this (or the first's length, if
# longer) of its first's end (real sets rest 0.5-1.5 s between reps; a weight shift or a slow,
# controlled rep between makes it a few s)
_VOTE_MAX = const(10)  # confidence cap: a longer toe-raise bout than this would flip it
_BACKLOG = const(10)  # reps held while the tilt direction is in doubt
_BACK_FIELDS = const(5)  # start, top, lower, end, s_max

# detector states
_REST = const(0)
_RISE = const(1)  # tilting up, or holding near the top
_FALL = const(2)  # below 95 % of the top, waiting to reach rest
_SPOILED = const(3)  # vetoed: wait for the signal to come back to rest
_UNSETTLED = const(4)  # handled, re-clipped or a gap: wait for stillness, learn a new rest

# fields of the state array
_SAX = const(0)  # per-sample sums of the current block: accel x, y, z; gyro x, y, z
_SGX = const(3)
_N = const(6)  # samples in the current block
_BLOCK = const(8)  # configuration: samples per block, nominal block length
_BLOCK_MS = const(9)
_KA = const(10)  # accel block sum -> mean in 1/4096 g (* _KA >> 12)
_KG = const(11)  # gyro block sum -> block rotation in 2**-16 rad (* _KG >> 12)
_STILL2 = const(12)  # squared rotation thresholds for: still, bias learning, blend, veto
_BIAS2 = const(13)
_BLEND2 = const(14)
_VETO2 = const(15)
_BIAS_LIM = const(16)
_T_PREV = const(17)  # t_ms of the previous block's last sample, -1 before the first
_BX = const(18)  # gyro bias, raw block sums << 4
_PGX = const(21)  # previous raw gyro sums (stillness before the bias is known)
_UX = const(24)  # gravity estimate, 1/16384 g
_GX = const(27)  # rest direction, 1/16384 g
_M2REST = const(30)
_CAL = const(31)  # still blocks used for the bias so far (capped)
_STILL_MS = const(32)
_HAVE_U = const(33)
_RI = const(34)  # ring write index
_STATE = const(35)
_PREV_T = const(36)  # previous block's time and s
_PREV_S = const(37)
_EX_START = const(38)  # ring index just before the candidate crossed the trigger
_S_MAX = const(39)
_I_MAX = const(40)
_DX = const(41)  # excursion vector at the top (1/4096 g)
_LOWER = const(44)  # when the signal fell below 95 % of the top
_HX = const(45)  # learned heel-raise direction, 0 while unknown
_PEND = const(48)  # a finished rep waiting for _CONFIRM_MS
_P_START = const(49)
_P_TOP = const(50)
_P_LOWER = const(51)
_P_END = const(52)
_P_SMAX = const(53)
_P_DX = const(54)
_AMP_REF = const(57)  # amplitude of recent full reps, 0.01 deg
_LAST_REP = const(58)  # end of the last counted rep, -1 before the first
_SET_NO = const(59)
_REP_NO = const(60)
_VOTE = const(61)  # reps that agreed with the learned heel-raise direction (capped)
_OPP = const(62)  # reps since then that tilted the other way, kept in the backlog
_NBACK = const(63)  # reps in the backlog
_RELEASE = const(64)  # the backlog won the vote: hand its reps out, one a block
_MOVE2 = const(65)  # configuration: squared rotation of a block turning at _MOVE_DPS
_KI = const(66)  # configuration: bias correction per unit of tilt disagreement, << 12
_ANX = const(67)  # where the tilt was when it last moved (the steadiness anchor), 1/16384 g
_PL = const(73)  # 1 while that plateau is set
_I_PL = const(74)  # its ring index
_VAL = const(75)  # the lowest s on the way down so far, where (1/16384 g) and when (ring index)
_VX = const(76)
_I_VAL = const(79)
_PEAK = const(80)  # the block's largest |ax| + |ay| + |az|, raw counts
_JOLT = const(81)  # configuration: that sum at _JOLT_G, stored plus _OFF like every field
_SET_OPEN = const(82)  # 1 from a set's first rep until the detector closes it
_CLEARED = const(83)  # when the tilt last came back to rest after a vetoed movement
_P_PL = const(84)  # 1 if the pending rep's top was a steady plateau
_PW = const(85)  # the ball-pivot test: the previous block's rotation, the one before it, and
_PPW = const(88)  # the previous block's linear acceleration (1/2048 g)
_PD = const(91)
_KTR = const(94)  # sums over the candidate rep (see _pivots): trace(K^T K), K^T d, d.d, blocks
_KB = const(95)
_KDD = const(98)
_KN = const(99)
_LEVER = const(100)  # configuration: _LEVER_MM in the sums' lever unit, x 64
_SET_END = const(101)  # when the set closed: the block in which the pause grew past _SET_GAP_MS
_W_PEAK = const(102)  # the way down's fastest turn (squared, per block)
_I_LAND = const(103)  # ring index since which it turns slower than an eighth of that, or -1
_LANDED = const(104)  # 1 once it has turned that slowly for _STOPPED_MS: the foot has landed
_S_TOP = const(105)  # the top the rise reached before it first stopped rising, 0 until then
_P_TOE = const(106)  # 1 if the pending rep turned about a point right under the clip (its heel)
_BY_TOE = const(107)  # 1 while the heel-raise direction rests on toe raises alone
_FX = const(108)  # the stance: the rest learned from steadiness, or where counted reps rose from
_PAUSES = const(111)  # the rests before the set's last two reps (ms), 0 if none
_ROSE = const(113)  # _rise_from's answer: start, top (ms) and squared amplitude
_HELD = const(116)  # 1 while a rep that would open a set waits for a second one (_emit)
_H_REP = const(117)  # that rep: start, top, lower, end, s_max
_NEXT = const(122)  # 1 while the rep that opened a set with the held one waits a block
_N_REP = const(123)  # that rep: start, top, lower, end, s_max
_CALM_MS = const(128)  # how long the foot has not trembled (see _block), capped
_JOLTED = const(129)  # the last block with an impact or a turn too fast for a calf raise
_GL = const(130)  # the ball-pivot test: the raw gyro at the previous block's two edges (the sum
_GLL = const(133)  # of the samples either side): their difference is its mean angular acceleration
_PROV = const(136)  # 1 while the first rest, learned trembling, may be a held top (_provisional)
_PU = const(137)  # the ball-pivot test's gravity (see _block)
_P_SLOW = const(140)  # 1 if the previous block was slow and read ~1 g: its d may pull _PU
_LEV = const(141)  # the lever the open set's heel raises turned about (_pivots), 1/128 of
# _LEVER_MM, 0 until measured
_P_LEV = const(142)  # the candidate's own lever, 0 if too little turn measured it
_TREM = const(143)  # whether the last two blocks trembled, bits 0 and 1 (see _block)
_ON_BALL = const(144)  # 1 while the rest in doubt was learned with the foot not calm, and it has
# not been calm there since (_from_sole_up)
_SPOT = const(145)  # 1 while _SPX holds where a spoiled excursion was last steady (_came_back)
_SPX = const(146)
_R_PEAK = const(149)  # the rise's fastest turn (squared, per block)
_WX = const(150)  # the gyro's turn summed since the rise began, 2**-16 rad
_WPX = const(153)  # ... at the last new top reached at over a quarter of its fastest rate
_WTX = const(156)  # ... at the top
_P_ON = const(159)  # 1 if the pending rep turned on past its push (_pushed_on)
_QA = const(160)  # the first bias's window (_bias_window): the accelerometer at its start,
_QG = const(163)  # the raw gyro summed since, and its blocks (0: no window open)
_QN = const(166)
_FLOOR = const(167)  # _STOOD, _LEFT, _MOVED, _AIR (_left_floor), 0 if none of them
_PT = const(168)  # the previous block's turn's second difference, scaled (the tremor, _block)
_FLIPS = const(171)  # how often it reversed since the foot began trembling off a rep's top
_ABOUT_BALL = const(172)  # 1 if the candidate's rise turned about the ball, measurably, judged
# where it stopped (_rose_about_ball)
_FIELDS = const(173)
_CONFIG = (
    _BLOCK,
    _BLOCK_MS,
    _KA,
    _KG,
    _STILL2,
    _BIAS2,
    _BLEND2,
    _VETO2,
    _BIAS_LIM,
    _MOVE2,
    _KI,
    _JOLT,
    _LEVER,
)


def _v(st, field):
    """A field of the state array (stored plus _OFF)."""
    return st[field] - _OFF


def _u(stored):
    """A ring_u entry back in 1/16384 g: it holds (u >> 1) + 32768, 16 bits at 1/8192 g
    (update()'s viper code writes it, and reads it once, inline)."""
    return (stored - 32768) << 1


def _sq(stored, v):
    """The squared difference (1/4096 g) of a ring_u entry and v (1/16384 g), capped at 2 g
    (two 1 g vectors are never further apart; an unwritten entry would be)."""
    d = (_u(stored) - v) >> 2
    d = min(max(d, -8192), 8192)
    return d * d


def _back_by(t, ms):
    """Time t on a clock moved back by ms: 0 if it falls before the new zero, -1 kept."""
    return t if t < 0 else max(t - ms, 0)


def _zeros(typecode, n):
    """An array of n zeros in one allocation (array(typecode, bytes(...)) needs room for a
    copy too, which a full heap may not have at boot)."""
    a = array(typecode, range(n))  # sized by the range's length
    for i in range(n):
        a[i] = 0
    return a


def ptr32(buf):
    """CPython stand-in for viper's pointer cast (inside @viper code the compiler's own wins)."""
    return buf


def ptr16(buf):
    """CPython stand-in for viper's 16-bit pointer cast."""
    return buf


class Rep:
    """One completed heel raise; times in the caller's t_ms clock.

    The detector reuses one instance: copy it (`as_dict()`) before the next update() if you keep it.
    """

    def __init__(self):
        self.start_ms = 0
        self.top_ms = 0
        self.lower_ms = 0
        self.end_ms = 0
        self.amplitude_cdeg = 0
        self.set = 0
        self.rep = 0
        self.partial = False

    @property
    def up_ms(self):
        return self.top_ms - self.start_ms

    @property
    def hold_ms(self):
        return self.lower_ms - self.top_ms

    @property
    def down_ms(self):
        return self.end_ms - self.lower_ms

    @property
    def amplitude_deg(self):
        return self.amplitude_cdeg / 100

    def as_dict(self):
        return {
            "start_ms": self.start_ms,
            "top_ms": self.top_ms,
            "lower_ms": self.lower_ms,
            "end_ms": self.end_ms,
            "up_ms": self.up_ms,
            "hold_ms": self.hold_ms,
            "down_ms": self.down_ms,
            "amplitude_deg": self.amplitude_deg,
            "set": self.set,
            "rep": self.rep,
            "partial": self.partial,
        }


def isqrt(n):
    """Integer square root (Newton); used once per rep, never per sample."""
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


def _quickest(s):
    """The quickest 5-95 % rise (ms) of a calf raise of squared chord s. The calf pushes the
    foot round with a bounded angular acceleration, so a rise takes at least the square root
    of its amplitude: a minimum-jerk turn of 45 deg in 150 ms peaks at 78 rad/s^2 (the pivot
    test's jolt clamp; the fastest real reps, 38 deg at 260 deg/s, 51), 10 deg at it in 71 ms.
    From 45 deg up the 150 ms stay (the turn rate bounds those). (The way down is braked by
    the calf, no quicker than the rise in real sets: under 150 ms the heel was let drop, as
    on rising from a chair, docs/detector.md 5)"""
    c = min(isqrt(s), _QUICK_DEG * _DEG)
    return isqrt(_MIN_PHASE_MS * _MIN_PHASE_MS * c // (_QUICK_DEG * _DEG))


def chord2_to_cdeg(s):
    """Squared chord between two 1 g vectors (units (1/4096 g)^2) to their angle in 0.01 deg."""
    x = isqrt(s)  # the chord in 1/4096 is the half chord, sin(angle / 2), in 1/8192
    if s - x * x > x:
        x += 1  # nearest, not floor
    x2 = (x * x + 4096) >> 13
    x3 = (x2 * x + 4096) >> 13
    x5 = (x3 * x2 + 4096) >> 13
    x7 = (x5 * x2 + 4096) >> 13
    half = x + (x3 + 3) // 6 + (3 * x5 + 20) // 40 + (5 * x7 + 56) // 112  # asin series
    return (half * 36000 + 12868) // 25736  # 8192 * pi = 25736


def crossing(t0, t1, s0, s1, level):
    """When s passed `level` between two blocks (linear interpolation, kept within them)."""
    num = level - s0
    den = s1 - s0
    if den == 0 or (num > 0) != (den > 0):
        return t0
    if (num > den) if den > 0 else (num < den):
        return t1
    while den > 0x7FFF or den < -0x7FFF:
        num >>= 1
        den >>= 1
    return t0 + (t1 - t0) * num // den


class RepDetector:
    """Counts heel raises and times their phases, from raw IMU counts.

    rate_hz: the IMU's output data rate (40-420); accel_lsb_per_g, gyro_lsb_per_dps: its scale.
    update() takes t_ms (monotonic ms since reset, < 2**28) and six raw counts: a Rep or None.
    Session state for the app: set_no, rep_no, set_open, set_end_ms, last_rep_ms.

    Sets are decided here and nowhere else: a rep opens a set if none is open; the set closes
    once _SET_GAP_MS have passed since its last rep ended with no candidate rep under way (so a
    rep that starts inside the pause and ends after it still belongs to the set).
    """

    def __init__(self, rate_hz=104, accel_lsb_per_g=4096, gyro_lsb_per_dps=32.8):
        if not 40 <= rate_hz <= 420:
            raise ValueError("rate_hz must be within 40..420")
        if not 2048 <= accel_lsb_per_g <= 16384 or not 8 <= gyro_lsb_per_dps <= 262:
            raise ValueError("accel/gyro scale outside what 16-bit IMUs report")
        n = int(rate_hz / _BLOCK_HZ + 0.5)
        rad_per_dps = 65536 * 3.14159265 / 180 * n / rate_hz  # block rotation units per dps
        kg = 4096 * 65536 * 3.14159265 / (180 * rate_hz * gyro_lsb_per_dps)
        self._config = (
            n,
            int(1000 * n / rate_hz + 0.5),
            int(4096 * 4096 / (accel_lsb_per_g * n) + 0.5),
            int(4096 * 65536 * 3.14159265 / (180 * rate_hz * gyro_lsb_per_dps) + 0.5),
            int(_STILL_DPS * rad_per_dps / 4) ** 2,
            int(_BIAS_DPS * rad_per_dps / 4) ** 2,
            int(_BLEND_DPS * rad_per_dps / 4) ** 2,
            int(_RATE_VETO_DPS * rad_per_dps / 4) ** 2,
            int(_BIAS_MAX_DPS * gyro_lsb_per_dps * n * 16),
            int(_MOVE_DPS * rad_per_dps / 4) ** 2,
            int((256 << 12) / kg + 0.5),
            int(_JOLT_G * accel_lsb_per_g),
            # d = K r in the sums' units (K: per block^2 x 2**14, d: 1/2048 g): r in metres
            # times 2048 / (2**14 * 9.81 m/s^2 * block^2), 8 per metre at 40 ms blocks
            int(_LEVER_MM / 1000 / (8 * 9.81) / (n / rate_hz) ** 2 * 64 + 0.5),
        )
        self._st = _zeros("i", _FIELDS)
        self._ring_t = _zeros("i", _RING)
        self._ring_s = _zeros("i", _RING)
        self._ring_u = _zeros("H", 3 * _RING)  # u at each block: (u >> 1) + 32768
        self._back = _zeros("i", _BACKLOG * _BACK_FIELDS)
        self.rep_out = Rep()
        self.reset()

    def _get(self, field):
        return _v(self._st, field)

    def _put(self, field, value):
        self._st[field] = value + _OFF

    def reset(self):
        """Forget everything: a new session starts from rest."""
        for i in range(_FIELDS):
            self._st[i] = _OFF
        for field, v in zip(_CONFIG, self._config):
            self._put(field, v)
        self._put(_T_PREV, -1)
        self._put(_LAST_REP, -1)
        self._put(_STATE, _UNSETTLED)

    def new_session(self):
        """A new session numbers its sets and reps from 1; all else carries on (the rest, the
        gyro bias, the heel-raise direction, a rep under way), as one detector over the whole
        trace (`calfraise analyze`) sees it: a reset would start a new block alignment and a
        new rest wherever the session happened to time out."""
        self._put(_SET_NO, 0)
        self._put(_REP_NO, 0)
        self._put(_SET_OPEN, 0)

    def shift_clock(self, ms):
        """The caller's clock goes back by ms (t_ms must stay below 2**28): every time kept moves
        with it, so what follows is timed as before. A time before the new zero reads as 0 (the
        viper code reads ring times unsigned); -1 (none yet) stays."""
        st = self._st
        for field in (_T_PREV, _PREV_T, _LOWER, _P_START, _P_TOP, _P_LOWER, _P_END):
            self._put(field, _back_by(_v(st, field), ms))
        for field in (_LAST_REP, _CLEARED, _SET_END, _JOLTED):
            self._put(field, _back_by(_v(st, field), ms))
        for i in range(4):
            self._put(_H_REP + i, _back_by(_v(st, _H_REP + i), ms))
            self._put(_N_REP + i, _back_by(_v(st, _N_REP + i), ms))
        rt = self._ring_t
        for i in range(_RING):
            rt[i] = _back_by(rt[i], ms)
        back = self._back
        for k in range(0, _BACK_FIELDS * _BACKLOG, _BACK_FIELDS):
            for i in range(4):
                back[k + i] = _back_by(back[k + i], ms)

    @property
    def set_no(self):
        """Current (or last) set number, 0 before the first rep."""
        return self._get(_SET_NO)

    @property
    def rep_no(self):
        """Reps counted in the current set."""
        return self._get(_REP_NO)

    @property
    def last_rep_ms(self):
        """When the last counted rep ended, -1 before the first."""
        return self._get(_LAST_REP)

    @property
    def set_open(self):
        """True from a set's first rep until the detector closes the set; the next rep then
        opens a new one. The app ends the set (LED, records, BLE) when this turns False."""
        return self._get(_SET_OPEN) == 1

    @property
    def set_end_ms(self):
        """When the detector closed the last set (sample clock): the set ends there, however
        late the app looks (a drain after a light sleep hands it many samples at once)."""
        return self._get(_SET_END)

    @property
    def gyro_bias(self):
        """The gyro's zero-rate offset learned at rest, in raw counts x16 per sample per axis,
        or None while still learning it. The app keeps it so the next boot starts calibrated."""
        if self._get(_CAL) < 12:
            return None
        n = self._config[0]
        return [self._get(_BX + i) // n for i in range(3)]

    def restore_gyro_bias(self, bias):
        """Start from a bias learned before (see gyro_bias); learning carries on from it."""
        n = self._config[0]
        for i in range(3):
            self._put(_BX + i, bias[i] * n)
        self._put(_CAL, 12)

    @micropython.viper
    def update(self, t_ms: int, ax: int, ay: int, az: int, gx: int, gy: int, gz: int):
        """Feed one sample of raw counts; returns a completed Rep (a reused object) or None."""
        st = ptr32(self._st)
        st[_SAX] += ax
        st[_SAX + 1] += ay
        st[_SAX + 2] += az
        st[_SGX] += gx
        st[_SGX + 1] += gy
        st[_SGX + 2] += gz
        if ax < 0:  # the block's sharpest jolt: a heel strike is shorter than a block
            ax = -ax
        if ay < 0:
            ay = -ay
        if az < 0:
            az = -az
        if ax + ay + az + _OFF > st[_PEAK]:
            st[_PEAK] = ax + ay + az + _OFF
        n = st[_N] - _OFF + 1
        if n == 1:  # the rate between the blocks: the mean of the samples either side (x 2)
            st[_GL] += gx
            st[_GL + 1] += gy
            st[_GL + 2] += gz
        if n < st[_BLOCK] - _OFF:
            st[_N] = n + _OFF
            return None
        st[_N] = _OFF
        rep = self._block(t_ms)
        st[_GLL] = st[_GL]  # after the block: it judges the previous one (see _block)
        st[_GLL + 1] = st[_GL + 1]
        st[_GLL + 2] = st[_GL + 2]
        st[_GL] = gx + _OFF
        st[_GL + 1] = gy + _OFF
        st[_GL + 2] = gz + _OFF
        return rep

    @micropython.viper
    def _block(self, t_last: int):
        """One block: update the tilt estimate, then step the rep state machine."""
        st = ptr32(self._st)
        rested = 0  # a rest was learned since power-on (its direction is zero till then)
        if st[_GX] != _OFF or st[_GX + 1] != _OFF or st[_GX + 2] != _OFF:
            rested = 1
        t = t_last  # the block's tilt is the one its gyro sum has turned to: at its last sample
        block_ms = st[_BLOCK_MS] - _OFF
        elapsed = block_ms
        if st[_T_PREV] - _OFF >= 0:
            elapsed = t_last - (st[_T_PREV] - _OFF)
        st[_T_PREV] = t_last + _OFF

        # accelerometer: block mean in 1/4096 g; |a|^2 in (1/1024 g)^2
        ka = st[_KA] - _OFF
        ax = ((st[_SAX] - _OFF) * ka) >> 12
        ay = ((st[_SAX + 1] - _OFF) * ka) >> 12
        az = ((st[_SAX + 2] - _OFF) * ka) >> 12
        if ax > 16383 or ax < -16383 or ay > 16383 or ay < -16383 or az > 16383 or az < -16383:
            ax = 16383  # > 4 g: an impact whatever its direction; keeps the squares small
            ay = 0
            az = 0
        m2 = (ax >> 2) * (ax >> 2) + (ay >> 2) * (ay >> 2) + (az >> 2) * (az >> 2)
        jolt = 0  # a blow: over 2 g, or a sample's sharp spike
        if m2 > _M2_HIGH or st[_PEAK] > st[_JOLT]:
            jolt = 1
        impact = jolt  # or the sensor near free fall: a jump, a drop, a throw
        if m2 < _M2_LOW:
            impact = 1
        st[_PEAK] = _OFF

        # gyro: raw block sums, less the bias, as this block's rotation in 2**-16 rad
        rgx = st[_SGX] - _OFF
        rgy = st[_SGX + 1] - _OFF
        rgz = st[_SGX + 2] - _OFF
        i = 0
        while i < 6:
            st[_SAX + i] = _OFF
            i += 1
        kg = st[_KG] - _OFF
        wx = ((rgx * kg) >> 12) - (((st[_BX] - _OFF) * kg) >> 16)
        wy = ((rgy * kg) >> 12) - (((st[_BX + 1] - _OFF) * kg) >> 16)
        wz = ((rgz * kg) >> 12) - (((st[_BX + 2] - _OFF) * kg) >> 16)
        if elapsed > _GAP_MS:
            st[_STATE] = _UNSETTLED + _OFF  # lost track of the orientation
            st[_PEND] = _OFF
            elapsed = block_ms
        rx = wx  # the turn rate the gyro read, per block, for the rate checks below
        ry = wy
        rz = wz
        if elapsed > block_ms + (block_ms >> 1):  # samples were lost: the turn took longer
            wx = wx * elapsed // block_ms
            wy = wy * elapsed // block_ms
            wz = wz * elapsed // block_ms
            # and its angular acceleration is unknown: the ball-pivot test cannot judge this
            # movement (_pivots passes a zero trace), its sums wait for the next rest
            st[_KTR] = _OFF
            st[_KN] = _PIVOT_BLOCKS + _OFF
        if wx > 23170 or wx < -23170 or wy > 23170 or wy < -23170 or wz > 23170 or wz < -23170:
            # > 0.35 rad in one block is handling, never a calf raise: rather than overflow
            # the products below, give up the orientation and learn a new rest later
            st[_STATE] = _UNSETTLED + _OFF
            st[_PEND] = _OFF
            wx = 0
            wy = 0
            wz = 0
            rx = 0
            ry = 0
            rz = 0
        # rates from what the gyro read, not the turn across lost samples: a gap during a
        # brisk rise would otherwise read as a turn too fast for a calf raise
        w2 = (rx >> 2) * (rx >> 2) + (ry >> 2) * (ry >> 2) + (rz >> 2) * (rz >> 2)
        fast = 0
        if w2 > st[_VETO2] - _OFF:
            fast = 1
            st[_FX] = _OFF  # handled, perhaps re-clipped: where the foot stands is unknown
            st[_FX + 1] = _OFF
            st[_FX + 2] = _OFF
        if fast or impact:
            st[_JOLTED] = t + _OFF
            st[_SPOT] = _OFF  # (a foot that came back after a step or a blow stepped back)

        quiet = 0  # the gyro reads (nearly) only its bias: the time to learn it
        if impact == 0:
            if st[_CAL] - _OFF > 8:
                if w2 < st[_STILL2] - _OFF:
                    quiet = 1
            else:  # bias unknown yet: judge quietness by a steady gyro instead
                ddx = rgx - (st[_PGX] - _OFF)
                ddy = rgy - (st[_PGX + 1] - _OFF)
                ddz = rgz - (st[_PGX + 2] - _OFF)
                lim = (st[_BIAS_LIM] - _OFF) >> 4  # above any still change, small enough to square
                if -lim < ddx < lim and -lim < ddy < lim and -lim < ddz < lim:
                    ddx = (ddx * kg) >> 14
                    ddy = (ddy * kg) >> 14
                    ddz = (ddz * kg) >> 14
                    if ddx * ddx + ddy * ddy + ddz * ddz < st[_STILL2] - _OFF:
                        quiet = 1
        st[_PGX] = rgx + _OFF
        st[_PGX + 1] = rgy + _OFF
        st[_PGX + 2] = rgz + _OFF

        # tremor: a foot held on its ball trembles at 5-10 Hz (the calf holds the body up, 3-19
        # deg/s), a foot standing on the floor does not (~0.1 deg/s). The turn's second
        # difference over blocks passes that band and hardly any sway (1.5 deg at 1 Hz: 0.6
        # deg/s); over 1 deg/s trembles
        tx = (wx - 2 * (st[_PW] - _OFF) + st[_PPW] - _OFF) >> 2
        ty = (wy - 2 * (st[_PW + 1] - _OFF) + st[_PPW + 1] - _OFF) >> 2
        tz = (wz - 2 * (st[_PW + 2] - _OFF) + st[_PPW + 2] - _OFF) >> 2
        trembles = 1
        shook = 0  # trembled in this block and the two before (bits 0, 1, 2; see below)
        if -256 < tx < 256 and -256 < ty < 256 and -256 < tz < 256:
            if tx * tx + ty * ty + tz * tz < st[_BIAS2] - _OFF:
                trembles = 0
        # a tremor's second difference reverses every half period (50-100 ms, 1-3 blocks); a
        # turn's keeps its sign through a turning point (a bounce's: the jerk of its stop and
        # start). Halved till within +-255, its direction kept, so the product stays small
        while tx > 255 or tx < -255 or ty > 255 or ty < -255 or tz > 255 or tz < -255:
            tx >>= 1
            ty >>= 1
            tz >>= 1
        flips = 0
        if tx * (st[_PT] - _OFF) + ty * (st[_PT + 1] - _OFF) + tz * (st[_PT + 2] - _OFF) < 0:
            flips = 1
        st[_PT] = tx + _OFF
        st[_PT + 1] = ty + _OFF
        st[_PT + 2] = tz + _OFF

        # gravity estimate u (1/16384 g): turn it by the gyro (_turn), then pull it towards the
        # accelerometer while that reads ~1 g and the foot turns slowly
        # (the pull goes to the accelerometer's block mean, the tilt at the block's middle, so
        # it trails a turn by half a block; turning the mean on to the block's end cost more in
        # counting than it gained in timing, docs/detector.md)
        dm = m2 - (st[_M2REST] - _OFF)
        calm = -_BLEND_GATE < dm < _BLEND_GATE
        if st[_HAVE_U] - _OFF == 0:
            if impact or w2 > st[_BLEND2] - _OFF or m2 < _M2_LO_1G or m2 > _M2_HI_1G:
                return None  # wait for a slow block of plain gravity (0.9-1.1 g) to start from
            ux = ax << 2
            uy = ay << 2
            uz = az << 2
            st[_HAVE_U] = 1 + _OFF
            # 1 g until the foot is still (learned below): this block may be a foot moving
            st[_M2REST] = _M2_1G + _OFF
            st[_ANX] = ux + _OFF
            st[_ANX + 1] = uy + _OFF
            st[_ANX + 2] = uz + _OFF
            self._fill_rings(t, ux, uy, uz)
        else:
            self._turn(_UX, wx, wy, wz)
            self._turn(_PU, wx, wy, wz)
            ux = st[_UX] - _OFF
            uy = st[_UX + 1] - _OFF
            uz = st[_UX + 2] - _OFF
            state0 = st[_STATE] - _OFF
            # how far u moves towards the accelerometer: 1/2**k of the way, none while k is 0
            k = 0
            if calm and w2 < st[_BLEND2] - _OFF:
                k = 4  # time constant 16 blocks, ~0.6 s
            if k and w2 < st[_MOVE2] - _OFF:
                # steady so far and this block not turning: a block the gyro reads turning is
                # the start of a movement, and the accelerometer then reads the heel's own
                # acceleration too (a plank's upright foot accelerates across gravity, |a| still
                # near 1 g)
                steady = st[_STILL_MS] - _OFF >= _TRUST_MS and state0 != _RISE
                if state0 == _UNSETTLED:
                    # handled, or just switched on: the tilt may be far off. Before the first
                    # rest it may be anything (mid-movement): half-way to plain gravity each
                    # slow block till steady; since, it was followed and is off by the gyro's
                    # error over the movement: a quarter, which averages a trembling heel's
                    # acceleration (5-10 Hz, up to 0.3 g) to within the steadiness cone.
                    # (Converging slowly, the tilt itself moved and read as a foot not steady.)
                    k = 2
                    if rested == 0 and not steady:
                        k = 1
                if steady and trembles:
                    # nor trembling: a trembling foot's accelerometer reads the heel's tremor
                    # across gravity (|a| hardly changes), which the fast pull cuts only 5-10x
                    # (up to 4 deg of false tilt at rest); such a block keeps the slow pull,
                    # which cuts 5-10 Hz 20-40x. A block trembles if the turn's second
                    # difference is over 1 deg/s and its rate changed by over 2 deg/s from the
                    # block before (0.87 rad/s^2: ~1 deg of false tilt at a 0.2 m lever)
                    tx = (wx - (st[_PW] - _OFF)) >> 2
                    ty = (wy - (st[_PW + 1] - _OFF)) >> 2
                    tz = (wz - (st[_PW + 2] - _OFF)) >> 2
                    if tx * tx + ty * ty + tz * tz > (st[_BIAS2] - _OFF) << 2:
                        shook = 1
                # a tremor lasts, a stop does not: two of the last three blocks (this one
                # included) trembled. A turn that stops dead flags the one block after it, whose
                # accelerometer reads gravity again, and the fast pull then takes back the
                # false tilt the stop's own jolt left (slowed there, a slow landing's end was
                # timed up to 20 ms later)
                shook |= ((st[_TREM] - _OFF) << 1) & 6
                if shook & (shook - 1):
                    steady = False
                if steady:
                    # the accelerometer's tilt is the truth: what the gyro's turn keeps
                    # getting wrong is its bias (integral feedback; the part about gravity
                    # tilts nothing: it is learned below, at rest)
                    ki = st[_KI] - _OFF
                    lim = st[_BIAS_LIM] - _OFF
                    cx = (uy * az - uz * ay) >> 12
                    cy = (uz * ax - ux * az) >> 12
                    cz = (ux * ay - uy * ax) >> 12
                    b = st[_BX] - _OFF + ((cx * ki) >> 12)
                    if -lim < b < lim:
                        st[_BX] = b + _OFF
                    b = st[_BX + 1] - _OFF + ((cy * ki) >> 12)
                    if -lim < b < lim:
                        st[_BX + 1] = b + _OFF
                    b = st[_BX + 2] - _OFF + ((cz * ki) >> 12)
                    if -lim < b < lim:
                        st[_BX + 2] = b + _OFF
                    k = 2  # time constant 4 blocks, ~0.16 s
            if k:
                ux += ((ax << 2) - ux + (1 << (k - 1))) >> k
                uy += ((ay << 2) - uy + (1 << (k - 1))) >> k
                uz += ((az << 2) - uz + (1 << (k - 1))) >> k
        st[_TREM] = shook + _OFF
        st[_UX] = ux + _OFF
        st[_UX + 1] = uy + _OFF
        st[_UX + 2] = uz + _OFF

        ex = (ux - (st[_GX] - _OFF)) >> 2  # excursion from rest, 1/4096 g
        ey = (uy - (st[_GX + 1] - _OFF)) >> 2
        ez = (uz - (st[_GX + 2] - _OFF)) >> 2
        s = ex * ex + ey * ey + ez * ez
        state = st[_STATE] - _OFF
        flips += st[_FLIPS] - _OFF
        if trembles == 0 or w2 >= st[_MOVE2] - _OFF or state == _RISE:
            flips = 0
        elif flips >= _FLIPS_AIR and st[_FLOOR] - _OFF == _MOVED:
            # trembling to and fro, neither turning fast nor rising or held at a rep's top (on
            # its ball): a foot whose rest moved off the floor it stood calm on and trembles
            # there is in the air (_left_floor)
            st[_FLOOR] = _AIR + _OFF
        if flips > _FLIPS_AIR:
            flips = _FLIPS_AIR
        st[_FLIPS] = flips + _OFF

        # the ball-pivot test's sums (see _pivots), since the foot was last steady at rest, for
        # the previous block, whose angular acceleration needs this block's turn: K (alpha x . +
        # w x (w x .)) and d, the linear acceleration (accelerometer less gravity), 1/2048 g
        dx = ((ax << 2) - ux) >> 3
        dy = ((ay << 2) - uy) >> 3
        dz = ((az << 2) - uz) >> 3
        # the previous block's angular acceleration: its mean, the change of rate from the last
        # sample before it to its own last (the bias cancels), as d is its mean acceleration. (A
        # central difference of block means kept only sin(wT)/wT of a 5-10 Hz tremor's: 0.41 at
        # 8.4 Hz, and none of a 12.5 Hz one, whose period is two blocks.)
        nkg = ((st[_BLOCK] - _OFF) * kg) >> 3  # a 17-bit change of rate times this < 2**29
        alx = ((st[_GL] - st[_GLL]) * nkg) >> 12
        aly = ((st[_GL + 1] - st[_GLL + 1]) * nkg) >> 12
        alz = ((st[_GL + 2] - st[_GLL + 2]) * nkg) >> 12
        anchored = 0
        if state == _UNSETTLED or (
            state != _RISE
            and state != _FALL
            and w2 < st[_MOVE2] - _OFF
            and (
                dx * dx + dy * dy + dz * dz < _PIVOT_ABS2 << 8 or st[_STILL_MS] - _OFF >= _TRUST_MS
            )
        ):  # at rest, neither turning nor accelerating, or steady there (_TRUST_MS): what came
            # before is over. A foot held up on its ball trembles (5-10 Hz, 0.1-0.4 g at the
            # clip) and its d may never fall under the error floor; the tremor is a turn about
            # the ball that goes nowhere, and steady, the foot stands where it is. (While
            # unsettled, gravity is not known well enough to tell linear acceleration)
            i = 0
            while i < 6:
                st[_KTR + i] = _OFF
                i += 1
            if state == _UNSETTLED:
                st[_PU] = ux + _OFF
                st[_PU + 1] = uy + _OFF
                st[_PU + 2] = uz + _OFF
            elif impact == 0:
                # the rest anchors the pivot test's gravity: the accelerometer's own mean there
                # (1/8 a block, ~0.3 s: 1.5-3 periods of a tremor), not the tilt. A foot that
                # stands does not accelerate on average, tremor or not; the tilt is pulled only
                # in blocks that read the learned 1 g, and a trembling foot's 1 g, learned where
                # the gyro reads quiet (the tremor's turning points, where its acceleration
                # peaks), passes one phase of the tremor: the tilt sat 2-5 deg off at rest, and
                # slow reps failed the test. (A blow or a fall is no gravity: it waits)
                st[_PU] += ((ax << 2) - (st[_PU] - _OFF) + 4) >> 3
                st[_PU + 1] += ((ay << 2) - (st[_PU + 1] - _OFF) + 4) >> 3
                st[_PU + 2] += ((az << 2) - (st[_PU + 2] - _OFF) + 4) >> 3
            anchored = 1
        elif st[_KN] - _OFF < _PIVOT_BLOCKS:
            px = (st[_PW] - _OFF) >> 2
            py = (st[_PW + 1] - _OFF) >> 2
            pz = (st[_PW + 2] - _OFF) >> 2
            sxx = (px * px) >> 14  # w w^T: (2**-16 rad per block)^2 >> 18, as alpha below
            syy = (py * py) >> 14
            szz = (pz * pz) >> 14
            sxy = (px * py) >> 14
            sxz = (px * pz) >> 14
            syz = (py * pz) >> 14
            if alx > 2047:  # clamped: beyond 78 rad/s^2 is a jolt, not a heel raise
                alx = 2047
            elif alx < -2047:
                alx = -2047
            if aly > 2047:
                aly = 2047
            elif aly < -2047:
                aly = -2047
            if alz > 2047:
                alz = 2047
            elif alz < -2047:
                alz = -2047
            k00 = -syy - szz  # K = [alpha]x + w w^T - |w|^2 I, each entry within +-4096
            k01 = sxy - alz
            k02 = sxz + aly
            k10 = sxy + alz
            k11 = -sxx - szz
            k12 = syz - alx
            k20 = sxz - aly
            k21 = syz + alx
            k22 = -sxx - syy
            d0 = st[_PD] - _OFF
            d1 = st[_PD + 1] - _OFF
            d2 = st[_PD + 2] - _OFF
            tr = k00 * k00 + k01 * k01 + k02 * k02 + k10 * k10 + k11 * k11
            tr += k12 * k12 + k20 * k20 + k21 * k21 + k22 * k22
            kd0 = k00 * d0 + k10 * d1 + k20 * d2  # K^T d
            kd1 = k01 * d0 + k11 * d1 + k21 * d2
            kd2 = k02 * d0 + k12 * d1 + k22 * d2
            st[_KTR] += (tr + 128) >> 8
            st[_KB] += (kd0 + 128) >> 8
            st[_KB + 1] += (kd1 + 128) >> 8
            st[_KB + 2] += (kd2 + 128) >> 8
            st[_KDD] += (d0 * d0 + d1 * d1 + d2 * d2 + 128) >> 8
            st[_KN] += 1
        calm_ms = st[_CALM_MS] - _OFF
        if quiet and trembles == 0:
            if calm_ms < 60000:
                calm_ms += elapsed
        else:
            calm_ms = 0
        st[_CALM_MS] = calm_ms + _OFF
        if calm_ms >= _CALM_FOR_MS:
            st[_ON_BALL] = _OFF
        if calm_ms >= _STOOD_MS:
            st[_FLOOR] = _STOOD + _OFF
        # moving, the pivot test's gravity is turned by the gyro alone, and pulled towards the
        # accelerometer only by a block (the previous one, whose d the sums just took) whose
        # turn predicts no acceleration of the clip: slow, ~1 g, and its own alpha under
        # _QUIET_ALPHA. (Judged by a central difference over two blocks, the tremor's 1.4 f tone
        # near 12.5 Hz went unseen, and a trembling hold pulled it towards the tremor's
        # acceleration: 1-4 deg off, and slow reps failed the test.)
        if anchored == 0 and st[_P_SLOW] - _OFF and -_QUIET_ALPHA < alx < _QUIET_ALPHA:
            if -_QUIET_ALPHA < aly < _QUIET_ALPHA and -_QUIET_ALPHA < alz < _QUIET_ALPHA:
                if alx * alx + aly * aly + alz * alz < _QUIET_ALPHA * _QUIET_ALPHA:
                    st[_PU] += (st[_PD] - _OFF + 1) >> 1  # time constant 16 blocks, as u's
                    st[_PU + 1] += (st[_PD + 1] - _OFF + 1) >> 1
                    st[_PU + 2] += (st[_PD + 2] - _OFF + 1) >> 1
        st[_P_SLOW] = _OFF
        if calm and w2 < st[_BLEND2] - _OFF:
            st[_P_SLOW] = 1 + _OFF
        st[_PPW] = st[_PW]
        st[_PPW + 1] = st[_PW + 1]
        st[_PPW + 2] = st[_PW + 2]
        st[_PW] = wx + _OFF
        st[_PW + 1] = wy + _OFF
        st[_PW + 2] = wz + _OFF
        # the sums' d is taken against gravity turned by the gyro alone since that rest: the
        # pull above reads the clip's own acceleration as gravity (a bounce's turning point is
        # slow but reverses hard, |a| near 1 g) and would carry it through the next rise as
        # acceleration no turn about the ball explains; the gyro drifts little over a rep
        dx = ((ax << 2) - (st[_PU] - _OFF)) >> 3
        dy = ((ay << 2) - (st[_PU + 1] - _OFF)) >> 3
        dz = ((az << 2) - (st[_PU + 2] - _OFF)) >> 3
        if dx > _PIVOT_CLAMP:  # clamped at 2 g, so the sums stay bounded
            dx = _PIVOT_CLAMP
        elif dx < -_PIVOT_CLAMP:
            dx = -_PIVOT_CLAMP
        if dy > _PIVOT_CLAMP:
            dy = _PIVOT_CLAMP
        elif dy < -_PIVOT_CLAMP:
            dy = -_PIVOT_CLAMP
        if dz > _PIVOT_CLAMP:
            dz = _PIVOT_CLAMP
        elif dz < -_PIVOT_CLAMP:
            dz = -_PIVOT_CLAMP
        st[_PD] = dx + _OFF
        st[_PD + 1] = dy + _OFF
        st[_PD + 2] = dz + _OFF

        # steady: the tilt stays within 3.5 deg of where it has been over the last ~2.5 s
        # (postural sway fits, a slow raise does not) and the foot does not turn fast; this,
        # not a quiet gyro, is what rests and landings wait for
        still_ms = st[_STILL_MS] - _OFF
        dx = (ux - (st[_ANX] - _OFF)) >> 2
        dy = (uy - (st[_ANX + 1] - _OFF)) >> 2
        dz = (uz - (st[_ANX + 2] - _OFF)) >> 2
        if impact or w2 > st[_MOVE2] - _OFF or dx * dx + dy * dy + dz * dz > _S_CONE:
            st[_ANX] = ux + _OFF
            st[_ANX + 1] = uy + _OFF
            st[_ANX + 2] = uz + _OFF
            still_ms = 0
        else:
            st[_ANX] += (dx + 8) >> 4  # the anchor trails the tilt by ~2.5 s
            st[_ANX + 1] += (dy + 8) >> 4
            st[_ANX + 2] += (dz + 8) >> 4
            if still_ms < 60000:
                still_ms += elapsed
        st[_STILL_MS] = still_ms + _OFF
        if st[_CAL] - _OFF < 12:
            ok = quiet and calm and trembles == 0
            self._bias_window(ok, ax, ay, az, rgx, rgy, rgz, m2)
        if quiet and still_ms > 400:
            # the gyro reads only its bias, the tilt holds: the accelerometer reads gravity
            # alone, this accelerometer's 1 g (its bias and gain errors included)
            st[_M2REST] += (m2 - (st[_M2REST] - _OFF) + 4) >> 3
            # bias: first from a window (_bias_window); then slowly whenever the tilt is
            # steady at rest, sway and all (it averages out), which also learns the part about
            # gravity that the accelerometer cannot see
            lim = st[_BIAS_LIM] - _OFF
            if w2 < st[_BIAS2] - _OFF and state == _REST and s < _S_SETTLED:
                if -lim < rgx << 4 < lim and -lim < rgy << 4 < lim and (-lim < rgz << 4 < lim):
                    b = st[_BX] - _OFF
                    st[_BX] = b + (((rgx << 4) - b) >> 6) + _OFF
                    b = st[_BX + 1] - _OFF
                    st[_BX + 1] = b + (((rgy << 4) - b) >> 6) + _OFF
                    b = st[_BX + 2] - _OFF
                    st[_BX + 2] = b + (((rgz << 4) - b) >> 6) + _OFF
                    if st[_CAL] - _OFF < 100:
                        st[_CAL] += 1

        ri = st[_RI] - _OFF
        ring_t = ptr32(self._ring_t)
        ring_s = ptr32(self._ring_s)
        ring_u = ptr16(self._ring_u)
        ring_t[ri] = t
        ring_s[ri] = s
        ring_u[3 * ri] = (ux >> 1) + 32768
        ring_u[3 * ri + 1] = (uy >> 1) + 32768
        ring_u[3 * ri + 2] = (uz >> 1) + 32768
        st[_RI] = ((ri + 1) & _MASK) + _OFF

        # the rep state machine; the rare, per-rep work is in plain methods
        s_max = st[_S_MAX] - _OFF  # the current excursion's top (stale while at rest)
        s_top = st[_S_TOP] - _OFF  # 95 % of the rise, not of a hold that creeps higher
        if s_top == 0:
            s_top = s_max
        level95 = (s_top >> 8) * 231
        held_top = 0  # at a top its rise reached about the ball: no new rest (_rose_about_ball)
        if state == _RISE:
            if still_ms >= _TRUST_MS > still_ms - elapsed:
                # the rise stopped: judged now, before the hold's blocks dilute the pivot sums
                st[_ABOUT_BALL] = _OFF
                if self._rose_about_ball():
                    st[_ABOUT_BALL] = 1 + _OFF
            if st[_ABOUT_BALL] != _OFF:
                held_top = 1
        if still_ms >= _NEW_REST_MS and still_ms - elapsed < _NEW_REST_MS:
            # still for 5 s: the foot stands here, calm or not (a soft floor), whether or not
            # it came down off a floor it stood calm on (_left_floor); on a rest the sole-up or
            # stance test refuses, too (the clip was turned over or moved without a turn fast
            # enough to forget the stance)
            st[_FLOOR] = _OFF
            if state == _REST and (self._sole_up() or self._rest_off_stance()):
                self._stand_here()
        if state == _UNSETTLED:
            if rested:
                if still_ms >= _SETTLE_MS:  # a rest was learned since power-on: this is
                    self._learn_rest()  # handling, a gap or a new posture (a plank entered)
            elif still_ms >= _BOOT_SETTLE_MS:  # no rest yet since power-on: steady. Trembling
                # as a foot held on its ball does, it may be the top of a rep under way when the
                # board was switched on: a rest till a calm one elsewhere says otherwise
                if calm_ms < _CALM_FOR_MS and still_ms < _TREMBLE_MS:
                    st[_PROV] = 1 + _OFF
                self._learn_rest()
                self._rose_before_rest()
        elif st[_PROV] != _OFF and self._provisional(s, still_ms, calm_ms):
            pass  # given up for where the foot stands: learned next block, as at power-on
        elif (
            still_ms >= _NEW_REST_MS
            and s > _S_TRIGGER
            and not ((state == _RISE or state == _FALL) and (held_top or self._partial_in_set()))
        ):
            # re-clipped or changed posture without a fuss; but a rep of the set under way
            # (its direction, its rhythm) held at its top, or rising and lowered slowly enough
            # to look steady, is still a rep, as is a top its rise reached about the ball
            # (_rose_about_ball): it comes back down, or outlives the ring
            self._learn_rest()
        elif s > _S_TRIGGER and still_ms >= _SETTLE_MS and self._back_on_stance(ux, uy, uz):
            # steady back where the foot stands, from a rest in doubt off it: the foot stands
            # again, and the reps that rose from that rest were its ball's (a lunge's rear foot)
            self._learn_rest()
        elif (
            state != _REST
            and (s > _S_POSTURE or state == _SPOILED)  # (over 50 deg: a new posture, a plank)
            and not held_top
            and (
                still_ms >= _RESETTLE_MS
                or (
                    state == _SPOILED
                    and still_ms >= _SETTLE_MS > still_ms - elapsed
                    and self._came_back()
                )
            )
        ):
            # steady, off the old rest, not at a rep's top: a tilt steeper than any rep was no
            # rep. (A rep that came down elsewhere has landed, see _land; a small tilt that
            # stays may be a stance or the top of a small rep: what follows tells, see
            # _rises_from_plateau.) Far off the stance it is a rest in doubt (a foot on its
            # ball, or a clip moved slowly): the stance stays, and its reps wait (_check_pending).
            # (An int, not `a != b or not f()`: viper passed that native bool as an object,
            # 1 read as small int 0, and MicroPython never made such a rest the stance)
            stand = 1
            if state == _SPOILED and self._off_stance(ux, uy, uz):
                stand = 0
            self._learn_rest(stand)
        elif state == _REST:
            if s > _S_TRIGGER:
                if st[_FLOOR] - _OFF == _STOOD:
                    st[_FLOOR] = _LEFT + _OFF
                if fast or impact:
                    st[_STATE] = _SPOILED + _OFF
                else:
                    st[_STATE] = _RISE + _OFF
                    st[_PL] = _OFF
                    st[_S_TOP] = _OFF
                    st[_ABOUT_BALL] = _OFF
                    st[_EX_START] = ((ri - 1) & _MASK) + _OFF
                    self._push_from_here()
                    self._new_top(ri, s, ex, ey, ez)
            elif dx * dx + dy * dy + dz * dz < _S_NEAR:
                # follow slow drift: steady, near the tilt's recent mean, and towards the tilt
                # of _FOLLOW_LAG blocks ago, already steady then (so the rest never follows the
                # slow start of a raise, which would shrink the rep measured from it)
                j = (ri - _FOLLOW_LAG) & _MASK
                if still_ms - (t - ring_t[j]) >= _TRUST_MS:
                    i = 0
                    while i < 3:
                        g = st[_GX + i] - _OFF
                        st[_GX + i] = g + ((((ring_u[3 * j + i] - 32768) << 1) - g + 8) >> 4) + _OFF
                        i += 1
        elif state == _SPOILED:
            if s < _S_TRIGGER:
                st[_STATE] = _REST + _OFF
                st[_CLEARED] = t + _OFF
                st[_SPOT] = _OFF
        elif fast or s > _S_MAX_AMP:
            st[_STATE] = _UNSETTLED + _OFF
        elif ri == st[_EX_START] - _OFF:
            # the ring came round to where the excursion began: longer than any rep, and its
            # start, top and lower times would be read from newer blocks. No rep; the rest it
            # comes back to, or a stance near the last one, is learned as after a jolt
            st[_STATE] = _SPOILED + _OFF
        elif jolt:
            # (under 0.32 g is no blow: a brisk raise's heel decelerates at its top, and falls
            # at the start of its way down, at up to ~0.7 g, with a 24 cm lever at 250 deg/s)
            st[_STATE] = _SPOILED + _OFF
        elif s > s_max:
            st[_STATE] = _RISE + _OFF
            # rising on from a plateau held as long as a rest is learned in: a new stance. (A
            # shorter stop is a hitch in the rise, or a stance told by where the foot comes
            # back down, _stood_on_the_way_up.)
            if not (st[_PL] - _OFF and self._settled_plateau() and self._rises_from_plateau(ri)):
                self._new_top(ri, s, ex, ey, ez)
        elif state == _FALL and s >= level95:
            st[_STATE] = _RISE + _OFF  # it sagged and came back up: the top goes on
        elif state == _RISE:
            if s_top == s_max and t - ring_t[st[_I_MAX] - _OFF] >= _STOPPED_MS:
                st[_S_TOP] = s_max + _OFF  # no higher for 120 ms: the rise has topped out
            if still_ms >= _PLATEAU_MS:  # a stance, unless it is the top of a rep
                st[_PL] = 1 + _OFF
                st[_I_PL] = ri + _OFF
            if s >= (s_max >> 8) * 185:  # above 85 %: the top, or a tremor at it
                pass
            elif s_max >= _S_MIN_AMP or st[_PL] - _OFF == 0 or self._partial_in_set():
                self._past_top()  # really on the way down
                st[_VAL] = _OFF + (1 << 28) - 1
            elif s < _S_TRIGGER:
                st[_STATE] = _REST + _OFF  # a small tilt, held, and back: a weight shift
            else:  # a small tilt, held, then off elsewhere: it was a stance
                self._rises_from_plateau(ri)
        else:
            level5 = s_max // 400
            if level5 < _S_FLOOR:
                level5 = _S_FLOOR
            if s < st[_VAL] - _OFF:  # the lowest point so far of the way down
                st[_VAL] = s + _OFF
                st[_I_VAL] = ri + _OFF
                st[_VX] = ux + _OFF
                st[_VX + 1] = uy + _OFF
                st[_VX + 2] = uz + _OFF
            dx = (ux - (st[_VX] - _OFF)) >> 2
            dy = (uy - (st[_VX + 1] - _OFF)) >> 2
            dz = (uz - (st[_VX + 2] - _OFF)) >> 2
            if w2 > st[_W_PEAK] - _OFF:
                st[_W_PEAK] = w2 + _OFF
            if st[_LANDED] - _OFF == 0:  # where did the turn stop?
                i = st[_I_LAND] - _OFF
                if w2 > (st[_W_PEAK] - _OFF) >> 6:  # still turning at over 1/8 of its fastest
                    st[_I_LAND] = _OFF - 1
                elif i < 0:
                    st[_I_LAND] = ri + _OFF
                elif t - ring_t[i] >= _STOPPED_MS and st[_VAL] - _OFF < s_max >> 2:
                    st[_LANDED] = 1 + _OFF
            if s < level5 and w2 <= (st[_W_PEAK] - _OFF) >> 2:
                # back at rest and slowing down to land there (a foot still turning at half its
                # fastest is passing by on its way to a rest elsewhere)
                st[_STATE] = _REST + _OFF
                self._hold_pending(level95, level5, self._fell_below(level5))
            elif (
                st[_VAL] - _OFF < s_max >> 2
                and (
                    t - ring_t[st[_I_VAL] - _OFF] >= _LAND_MS
                    or dx * dx + dy * dy + dz * dz > _S_TRIGGER
                )
                and not self._passing_by(ux, uy, uz, w2)
            ):
                # it came down part of the way and stopped there, or rose again from there:
                # the foot landed on a rest other than the one it rose from
                self._land(level95, level5)
            elif (
                st[_I_LAND] - _OFF >= 0
                and t - ring_t[st[_I_LAND] - _OFF] >= _LAND_MS
                and self._stood_on_the_way_up()
            ):
                # it stopped higher, where the rise had been flat: a stance the foot stood on
                # before the raise (a rise that only hitched there comes back below it)
                self._land(level95, level5)
        state = st[_STATE] - _OFF
        if state == _RISE or state == _FALL:  # the turn, and where the push up ended (_pushed_on)
            st[_WX] += wx
            st[_WX + 1] += wy
            st[_WX + 2] += wz
            if state == _RISE and w2 > st[_R_PEAK] - _OFF:
                st[_R_PEAK] = w2 + _OFF
            if st[_I_MAX] - _OFF == ri:  # a new top
                st[_WTX] = st[_WX]
                st[_WTX + 1] = st[_WX + 1]
                st[_WTX + 2] = st[_WX + 2]
                if w2 >= (st[_R_PEAK] - _OFF) >> 4:  # reached still pushing
                    st[_WPX] = st[_WX]
                    st[_WPX + 1] = st[_WX + 1]
                    st[_WPX + 2] = st[_WX + 2]
        st[_PREV_T] = t + _OFF
        st[_PREV_S] = s + _OFF
        if st[_SET_OPEN] - _OFF and t - (st[_LAST_REP] - _OFF) > _SET_GAP_MS:
            self._close_set(t)
        if st[_PEND] - _OFF or st[_RELEASE] - _OFF or st[_NEXT] - _OFF:
            return self._after_block(t, impact | fast)
        return None

    def _bias_window(self, ok, ax, ay, az, gx, gy, gz, m2):
        """The first bias, before any is known: over a second of quiet (ok: the gyro reads
        steadily, the accelerometer ~1 g, no tremor), the gyro's turn less the turn that the
        accelerometer saw gravity make is the bias times the time. A foot that sways or
        starts a smooth turn reads a steady gyro too, and its turn is in both (taken alone,
        the gyro learned a 1 Hz sway's 6 deg/s, or a slow rise's 10-20, as bias)."""
        st = self._st
        n = _v(st, _QN)
        if not ok:
            st[_QN] = _OFF
            return
        if n == 0:
            self._put(_QA, ax)
            self._put(_QA + 1, ay)
            self._put(_QA + 2, az)
            for i in range(3):
                self._put(_QG + i, 0)
        else:
            st[_QG] += gx
            st[_QG + 1] += gy
            st[_QG + 2] += gz
        n += 1
        if n > _BIAS_BLOCKS:
            n = 0
            qx = _v(st, _QA)
            qy = _v(st, _QA + 1)
            qz = _v(st, _QA + 2)
            d = max(m2 >> 8, 1)  # |a|^2 in (1/4096 g)^2 >> 12
            kg = _v(st, _KG)
            lim = _v(st, _BIAS_LIM)
            # the turn gravity made in the sensor's frame, q x a (1/4096 g)^2 over |a|^2, in
            # 2**-16 rad as raw gyro sums: the sensor turned the opposite way, so it adds
            tx = ((qy * az - qz * ay) << 4) // d * 4096 // kg
            ty = ((qz * ax - qx * az) << 4) // d * 4096 // kg
            tz = ((qx * ay - qy * ax) << 4) // d * 4096 // kg
            # squared only once each is within the floor: a window that turned far would square
            # past 2**29
            f = _TILT_NOISE * 4096 // kg
            near = -f < tx < f and -f < ty < f and -f < tz < f
            if near and tx * tx + ty * ty + tz * tz < f * f:
                tx = 0  # a turn the accelerometer's noise hides: the foot held still, and the
                ty = 0  # gyro's own mean is the bias (each end's tilt is ~0.1 deg noisy)
                tz = 0
            bx = ((_v(st, _QG) + tx) << 4) // _BIAS_BLOCKS
            by = ((_v(st, _QG + 1) + ty) << 4) // _BIAS_BLOCKS
            bz = ((_v(st, _QG + 2) + tz) << 4) // _BIAS_BLOCKS
            if -lim < bx < lim and -lim < by < lim and -lim < bz < lim:
                self._put(_BX, bx)
                self._put(_BX + 1, by)
                self._put(_BX + 2, bz)
                self._put(_CAL, 12)
        self._put(_QN, n)

    @micropython.viper
    def _turn(self, i: int, wx: int, wy: int, wz: int):
        """Turn the direction stored at field i (1/16384 g) by this block's rotation w (2**-16
        rad): u + u x w + (u x w) x w / 2."""
        st = ptr32(self._st)
        ux = st[i] - _OFF
        uy = st[i + 1] - _OFF
        uz = st[i + 2] - _OFF
        qx = ux >> 2
        qy = uy >> 2
        qz = uz >> 2
        vx = (qy * wz - qz * wy + 8192) >> 14
        vy = (qz * wx - qx * wz + 8192) >> 14
        vz = (qx * wy - qy * wx + 8192) >> 14
        st[i] = ux + vx + ((vy * wz - vz * wy + 65536) >> 17) + _OFF
        st[i + 1] = uy + vy + ((vz * wx - vx * wz + 65536) >> 17) + _OFF
        st[i + 2] = uz + vz + ((vx * wy - vy * wx + 65536) >> 17) + _OFF

    def _fill_rings(self, t, x, y, z):
        """Nothing before the first tilt is known: every block of history reads as that tilt at
        time t, never as a block from before a reset (another rest, another clock) or unwritten."""
        for i in range(_RING):
            self._ring_t[i] = t
            self._ring_s[i] = 0
            self._ring_u[3 * i] = (x >> 1) + 32768
            self._ring_u[3 * i + 1] = (y >> 1) + 32768
            self._ring_u[3 * i + 2] = (z >> 1) + 32768

    def _ring_d2(self, i, x, y, z):
        """Squared chord (1/4096 g) between the tilt at ring index i and (x, y, z) (1/16384 g)."""
        ru = self._ring_u
        return _sq(ru[3 * i], x) + _sq(ru[3 * i + 1], y) + _sq(ru[3 * i + 2], z)

    def _rebase(self, first, x, y, z):
        """(x, y, z) becomes the rest; the ring's s from index `first` on is measured from it."""
        st = self._st
        self._left_floor(self._d2_from(_GX, x, y, z))
        self._put(_GX, x)
        self._put(_GX + 1, y)
        self._put(_GX + 2, z)
        rs = self._ring_s
        end = _v(st, _RI)  # the next block's index: written blocks end before it
        j = first
        while j != end:
            rs[j] = self._ring_d2(j, x, y, z)
            j = (j + 1) & _MASK

    def _rises_from_plateau(self, ri):
        """Rising again after a steady plateau on the way up: the plateau was a new stance (the
        foot settled before the set) and the raise starts from it."""
        st = self._st
        i = _v(st, _I_PL)
        ru = self._ring_u
        x = _u(ru[3 * i])
        y = _u(ru[3 * i + 1])
        z = _u(ru[3 * i + 2])
        if self._ring_d2(ri, x, y, z) <= _S_TRIGGER or self._off_stance(x, y, z):
            return False
        self._put(_PL, 0)
        self._put(_S_TOP, 0)
        self._push_from_here()
        self._rebase(i, x, y, z)
        self._put(_EX_START, i)
        self._new_top(
            ri,
            self._ring_s[ri],
            (_v(st, _UX) - x) >> 2,
            (_v(st, _UX + 1) - y) >> 2,
            (_v(st, _UX + 2) - z) >> 2,
        )
        return True

    def _push_from_here(self):
        """A rise begins: the turn is summed from here (_pushed_on). The top's sum (_WTX) is
        written at the rise's first block, a new top, before it is read."""
        for i in range(_WTX - _R_PEAK):  # _R_PEAK, _WX and _WPX
            self._put(_R_PEAK + i, 0)

    def _pushed_on(self):
        """Did the foot go on turning, past where its push up ended, by more than 8 deg (twice
        the tilt that opens a rep: a movement of its own, beyond a held top's sway)? A heel
        raise is one push about the ball up to its top, then a hold; a lunge's rear heel snaps
        up and then tilts 5-20 deg further, slowly, as the knee goes down. Measured by the gyro
        along the rise's turn, which the accelerometer's pull does not bend: the turn to the
        top, less its part along the turn to the last new top reached at over a quarter of the
        rise's fastest rate."""
        st = self._st
        pt = 0
        tt = 0
        for i in range(3):
            p = max(-8191, min(8191, _v(st, _WPX + i) >> 4))
            q = max(-8191, min(8191, _v(st, _WTX + i) >> 4))
            pt += p * q
            tt += q * q
        return tt - pt > _PUSHED_ON * isqrt(tt)

    def _settled_plateau(self):
        """Was the plateau on the way up (ring index _I_PL) steady for _SETTLE_MS?"""
        st = self._st
        rt = self._ring_t
        ru = self._ring_u
        i = _v(st, _I_PL)
        x = _u(ru[3 * i])
        y = _u(ru[3 * i + 1])
        z = _u(ru[3 * i + 2])
        j = i
        while j != _v(st, _EX_START) and self._ring_d2(j, x, y, z) < _S_CONE:
            if rt[i] - rt[j] >= _SETTLE_MS:
                return True
            j = (j - 1) & _MASK
        return False

    def _stood_on_the_way_up(self):
        """Did the rise stay for _PLATEAU_MS within 1.5 deg of where the way down stopped (ring
        index _I_LAND)? Then the foot stood there before the raise."""
        st = self._st
        rt = self._ring_t
        k = _v(st, _I_LAND)
        ru = self._ring_u
        x = _u(ru[3 * k])
        y = _u(ru[3 * k + 1])
        z = _u(ru[3 * k + 2])
        i = _v(st, _EX_START)
        i_max = _v(st, _I_MAX)
        since = -1
        while i != i_max:
            if self._ring_d2(i, x, y, z) >= _S_NEAR:
                since = -1
            elif since < 0:
                since = rt[i]
            elif rt[i] - since >= _PLATEAU_MS:
                return True
            i = (i + 1) & _MASK
        return False

    def _fell_below(self, level):
        """When the signal last fell below level since the top (the crossing the newest block
        is past, which may be a block or two back)."""
        rt = self._ring_t
        rs = self._ring_s
        j = (_v(self._st, _RI) - 1) & _MASK  # the newest block
        i_max = _v(self._st, _I_MAX)
        while j != i_max and rs[(j - 1) & _MASK] < level:
            j = (j - 1) & _MASK
        i = (j - 1) & _MASK
        return crossing(rt[i], rt[j], rs[i], rs[j], level)

    def _land(self, level95, level5):
        """The foot came down to a rest other than the one it rose from (rests between real
        reps differ by a few degrees): the rep ends 5 % above that rest, which becomes the rest."""
        st = self._st
        i_max = _v(st, _I_MAX)
        x = _v(st, _VX)
        y = _v(st, _VX + 1)
        z = _v(st, _VX + 2)
        k = _v(st, _I_LAND)
        if k >= 0:  # where it stopped turning, not where it passed closest to the old rest
            ru = self._ring_u
            x = _u(ru[3 * k])
            y = _u(ru[3 * k + 1])
            z = _u(ru[3 * k + 2])
        if self._off_stance(x, y, z) and not (self._rest_off_stance() and self._near(_GX, x, y, z)):
            # a foot that rose and came down on its ball, far from where it stands (the rear
            # foot of a lunge or split squat), made no heel raise; from a rest in doubt, off
            # the stance, one that came back near it is judged as its other reps are
            self._put(_STATE, _SPOILED)
            return
        low = max(self._ring_d2(i_max, x, y, z) // 400, _S_FLOOR)
        # measured from the landing after the top only: the top's own 95 % crossing may use
        # the top's block, and is measured from the rest the rep rose from
        self._rebase((i_max + 1) & _MASK, x, y, z)
        rt = self._ring_t
        rs = self._ring_s
        j = _v(st, _I_VAL)
        while j != i_max and rs[(j - 1) & _MASK] < low:
            j = (j - 1) & _MASK
        i = (j - 1) & _MASK
        self._put(_STATE, _REST)
        self._hold_pending(level95, level5, crossing(rt[i], rt[j], rs[i], rs[j], low))

    def _passing_by(self, x, y, z, w2):
        """Is the foot at (x, y, z), turning w2 this block, still on its way down past the point
        nearest the old rest? It still turns (at over an eighth of its fastest, _I_LAND
        unset), no faster than the block before, and is further from the top than that point
        was: a slow way down that lands a few degrees beside or beyond the old rest passes
        closest to it still turning, and goes on to land. A foot that speeds up again, or
        turns back towards the top, rose again; one that stopped turning landed. Only on a way
        down the accelerometer followed (never over _BLEND_DPS): after one on the gyro alone
        the tilt runs on degrees past the landing (a scale error, a stale bias), no foot's."""
        st = self._st
        if _v(st, _I_LAND) >= 0 or _v(st, _W_PEAK) > _v(st, _BLEND2):
            return False
        before = 0
        for i in range(3):
            before += (_v(st, _PPW + i) >> 2) * (_v(st, _PPW + i) >> 2)
        if w2 > before:
            return False
        i_max = _v(st, _I_MAX)
        near = self._ring_d2(i_max, _v(st, _VX), _v(st, _VX + 1), _v(st, _VX + 2))
        return self._ring_d2(i_max, x, y, z) > near

    def _off_stance(self, x, y, z):
        """Is (x, y, z) (1/16384 g) further from the stance than any stance varies (a foot
        standing a few degrees off, a rest drifting)? Then it is the foot on its ball or a new
        posture, which only steadiness may make the rest (_learn_rest)."""
        if not self._stance_known() or self._sole_up():  # (sole up: what follows tells)
            return False
        return self._d2_from(_FX, x, y, z) > _S_NEW_CLIP

    def _rest_off_stance(self):
        """Was the rest learned off the stance (steady there, and in doubt: a foot on its ball,
        or a clip moved too slowly to forget the stance), until 5 s of stillness or a backlog
        of reps from it (_from_sole_up) say the foot stands there?"""
        st = self._st
        return self._off_stance(_v(st, _GX), _v(st, _GX + 1), _v(st, _GX + 2))

    def _back_on_stance(self, x, y, z):
        """Is (x, y, z) back near the stance from a rest off it?"""
        return self._rest_off_stance() and self._near(_FX, x, y, z)

    def _near(self, f, x, y, z):
        """Is (x, y, z) (1/16384 g) within a rest's drift between reps (~5 deg) of the
        direction stored from field f (the rest, the stance)?"""
        return self._d2_from(f, x, y, z) < _S_DRIFT

    def _d2_from(self, f, x, y, z):
        """The squared chord from the direction stored from field f to (x, y, z), in the
        units the _S_ thresholds use."""
        st = self._st
        dx = (x - _v(st, f)) >> 2
        dy = (y - _v(st, f + 1)) >> 2
        dz = (z - _v(st, f + 2)) >> 2
        return dx * dx + dy * dy + dz * dz

    def _sole_up(self):
        """Is the rest more than 110 deg from the stance? Every calf raise, seated, standing or
        in a plank (the foot upright, 60-90 deg), rises from the ball of the foot on the floor:
        the sole faces down or back. A foot turned further lies sole up, as the rear foot of a
        Bulgarian split squat does, laces down on a bench (140-170 deg), and its rolls there
        as the knee bends are no heel raises."""
        st = self._st
        if not self._stance_known():
            return False
        dot = 0
        for i in range(3):
            dot += (_v(st, _GX + i) >> 4) * (_v(st, _FX + i) >> 4)
        return dot < -_SOLE_UP

    def _stand_here(self):
        """The rest becomes the stance: where the foot stands."""
        st = self._st
        for i in range(3):
            st[_FX + i] = st[_GX + i]

    def _stance_known(self):
        """A counted rep has shown where the foot stands (the stance is zero until then)."""
        st = self._st
        return st[_FX] != _OFF or st[_FX + 1] != _OFF or st[_FX + 2] != _OFF

    def _landed(self, level5, k):
        """The end of a way down that stopped turning at ring index k (it turns slower than an
        eighth of its fastest since), 0 if none: the foot landed there, as the tilt estimate
        sees it. The end is 5 % of the rep above that landing, measured in the same estimate,
        not against the rest it rose from: the foot may land a few degrees elsewhere, and after
        a brisk way down the gyro's tilt is degrees off (its scale error, a stale bias) until
        the accelerometer pulls it back, which is no movement of the foot."""
        rt = self._ring_t
        ru = self._ring_u
        x = _u(ru[3 * k])
        y = _u(ru[3 * k + 1])
        z = _u(ru[3 * k + 2])
        j = k
        i_max = _v(self._st, _I_MAX)
        d1 = 0
        while j != i_max:
            i = (j - 1) & _MASK
            d0 = self._ring_d2(i, x, y, z)
            if d0 >= level5:
                return crossing(rt[i], rt[j], d0, d1, level5)
            j = i
            d1 = d0
        return 0

    def _new_top(self, ri, s, ex, ey, ez):
        top = _v(self._st, _S_TOP)
        if s > top + (top >> 2):  # well past the top it had reached: it is still rising
            self._put(_S_TOP, 0)
        self._put(_S_MAX, s)
        self._put(_I_MAX, ri)
        self._put(_DX, ex)
        self._put(_DX + 1, ey)
        self._put(_DX + 2, ez)

    def _learn_rest(self, stand=1):
        """Where the foot has been steady becomes its rest (the steadiness anchor: sway and a
        small movement average out; after handling, where it is now), and the stance unless
        not `stand`; after a big change (a re-clip, a plank) the heel-raise direction has to be
        learned again."""
        st = self._st
        src = _ANX
        if _v(st, _STATE) == _UNSETTLED:
            src = _UX  # after handling or at boot the tilt has only just converged
        moved = 0
        for i in range(3):
            d = (_v(st, src + i) - _v(st, _GX + i)) >> 2
            moved += d * d
        self._rebase((_v(st, _RI) - _RECENT) & _MASK, _v(st, src), _v(st, src + 1), _v(st, src + 2))
        if stand and self._stance_known() and not self._sole_up():  # (at boot the first
            self._stand_here()  # steady moment may be a rep's top; a foot sole up is not standing)
        if moved > _S_NEW_CLIP:
            for i in range(3):
                self._put(_HX + i, 0)
            self._put(_VOTE, 0)
            self._put(_OPP, 0)
            if not _v(st, _RELEASE):
                self._put(_NBACK, 0)
        self._put(_AMP_REF, 0)
        self._put(_STATE, _REST)
        self._put(_SPOT, 0)
        on_ball = 0  # in doubt, and the foot not calm: on its ball (_from_sole_up)
        if self._rest_off_stance() and _v(st, _CALM_MS) < _CALM_FOR_MS:
            on_ball = 1
        self._put(_ON_BALL, on_ball)

    def _left_floor(self, moved):
        """The rest moves by the squared chord `moved`. A heel raise turns about the ball of a
        foot loaded on the floor and comes back down near where it rose: a foot standing on a
        floor is calm (~0.1 deg/s, no tremor); one held in the air trembles (5-10 Hz). One that
        left a rest it stood calm on and, not calm since, has a rest further off than rests
        drift (6 deg) may not have come back to that floor; if it then trembles to and fro,
        not at a rep's top (_block), it is in the air (a single-leg squat's free foot, swung),
        and its reps wait till it is calm there (_check_pending). (A bounce's turning point,
        its only rest, may land as far off, but its jerk keeps its sign there.) Over 20 deg
        (a re-clip, a plank) is a new posture. 5 s steady anywhere clears the mark
        (_block): the foot stands there, calm or not (a soft floor). (Every way the rest
        moves: a landing, a plateau, steadiness.)"""
        floor = _v(self._st, _FLOOR)
        if moved > _S_NEW_CLIP:
            floor = 0
        elif floor == _LEFT and moved >= _S_DRIFT:
            floor = _MOVED
        self._put(_FLOOR, floor)

    def _came_back(self):
        """The foot, off its rest after a spoiled movement, has been steady for _SETTLE_MS: is
        this where it was steady the last time, with no blow or fast turn since? A foot that
        keeps coming back to one tilt between smooth turns has a rest there (a plank entered
        with a firm step onto the ball, its reps begun at once: rests of 0.5-0.8 s never give
        the 1.5 s that a single steadiness needs, _RESETTLE_MS). Only while a stance is known:
        a rest off it is in doubt, its reps judged (_from_sole_up); with none (forgotten by a
        fast turn) the rest becomes the stance, and a foot rocking on its ball would count.
        Otherwise it remembers this spot for the next time. A rest found so is a place of its
        own: reps held from an earlier rest in doubt (a lunge's rear foot, landed elsewhere) are
        dropped, so that ten returns to one place, not to two, release them."""
        st = self._st
        x = _v(st, _ANX)
        y = _v(st, _ANX + 1)
        z = _v(st, _ANX + 2)
        if _v(st, _SPOT) and self._stance_known() and self._near(_SPX, x, y, z):
            if not _v(st, _RELEASE):
                self._put(_NBACK, 0)
            return True
        self._put(_SPX, x)
        self._put(_SPX + 1, y)
        self._put(_SPX + 2, z)
        self._put(_SPOT, 1)
        return False

    def _provisional(self, s, still_ms, calm_ms):
        """The first rest since power-on was learned trembling: the floor under a foot that
        trembles (a mat, a plank) or a top held on the ball of the foot, read from power-on.
        It holds once the foot is calm or steady for 2 s there, or once a set counts from it
        (its first rep is held till a second in the set's rhythm, _emit). Until then a calm
        steadiness elsewhere, or a steady 2 s, is where the foot stands (it landed from a held
        top): the rest is forgotten with the reps held from it, and is learned again as at
        power-on (True)."""
        st = self._st
        settled = still_ms >= _BOOT_SETTLE_MS and (
            calm_ms >= _CALM_FOR_MS or still_ms >= _TREMBLE_MS
        )
        if _v(st, _LAST_REP) < 0:
            if not settled:
                return False
            if s <= _S_TRIGGER and _v(st, _CAL) < 12 and still_ms < _TREMBLE_MS:
                # calm here, but before the bias is known a calm gyro is a steady one, and so
                # is the slow start of the way down from a top: the top holds only 2 s steady
                return False
            if s > _S_TRIGGER:
                for i in range(3):
                    self._put(_GX + i, 0)
                self._put(_PEND, 0)
                self._put(_HELD, 0)
                self._put(_STATE, _UNSETTLED)
                self._put(_PROV, 0)
                return True
        self._put(_PROV, 0)
        return False

    def _rose_before_rest(self):
        """The first rest since power-on is learned only once the foot has stood still for
        0.4 s; a rep that rose sooner (switched on just before it, or on the rep before it,
        0.5 s of rest between reps) was seen without a rest to measure it from. Now the rest is
        known, the ring is judged again: the last excursion from it, since the last impact or
        fast turn (a step, handling), that left this rest and came back to it is that rep, and
        waits for its confirmation as any other. The ball-pivot test cannot judge it (its sums
        wait for a rest), the impact and rate vetoes can."""
        st = self._st
        rt = self._ring_t
        x = _v(st, _GX)
        y = _v(st, _GX + 1)
        z = _v(st, _GX + 2)
        oldest = _v(st, _RI)
        seen = max(_v(st, _JOLTED), rt[oldest])  # (the ring's oldest blocks: the first tilt)
        i = (oldest - 1) & _MASK
        while self._ring_d2(i, x, y, z) < _S_TRIGGER:  # back over the rest to the rep's end
            i = (i - 1) & _MASK
            if rt[i] <= seen:
                return
        end_i = i
        s_max = 0
        i_max = i
        while True:  # back over the excursion, to where the foot was at rest before it
            d = self._ring_d2(i, x, y, z)
            if d > s_max:
                s_max = d
                i_max = i
            i = (i - 1) & _MASK
            if rt[i] <= seen:
                return  # it was under way at power-on, or began in a jolt
            if self._ring_d2(i, x, y, z) < _S_TRIGGER:
                break
        if not _S_MIN_AMP <= s_max <= _S_MAX_AMP:
            return
        level5 = max(s_max // 400, _S_FLOOR)
        level95 = (s_max >> 8) * 231
        while self._ring_d2(i, x, y, z) >= level5:  # the rise's 5 % crossing
            i = (i - 1) & _MASK
            if rt[i] <= seen:
                return
        start = self._crossing_from(i, level5, x, y, z)
        while self._ring_d2((i + 1) & _MASK, x, y, z) < level95:  # the rise's 95 % crossing
            i = (i + 1) & _MASK
        top = self._crossing_from(i, level95, x, y, z)
        i = end_i
        while self._ring_d2(i, x, y, z) < level95:  # back from the end to the top's last block
            i = (i - 1) & _MASK
        lower = self._crossing_from(i, level95, x, y, z)
        i = end_i
        while self._ring_d2(i, x, y, z) < level5:
            i = (i - 1) & _MASK
        end = self._crossing_from(i, level5, x, y, z)
        if top - start < _quickest(s_max) or end - lower < _MIN_PHASE_MS:
            return
        self._put(_P_START, start)
        self._put(_P_TOP, top)
        self._put(_P_LOWER, lower)
        self._put(_P_END, end)
        self._put(_P_SMAX, s_max)
        self._put(_P_PL, 0)
        self._put(_P_TOE, 0)
        ru = self._ring_u
        for k in range(3):
            self._put(_P_DX + k, (_u(ru[3 * i_max + k]) - _v(st, _GX + k)) >> 2)
        self._put(_PEND, 1)

    def _crossing_from(self, i, level, x, y, z):
        """When the tilt's squared chord from (x, y, z) passed `level` between ring blocks i
        and i + 1."""
        j = (i + 1) & _MASK
        rt = self._ring_t
        return crossing(rt[i], rt[j], self._ring_d2(i, x, y, z), self._ring_d2(j, x, y, z), level)

    def _past_top(self):
        """The signal is on its way down: a rep if it was big enough. It left the top ("lower")
        at its last crossing of 95 % of the highest it reached (the amplitude it reports): a
        hold that crept higher was still the top, and the way down leaves from there."""
        st = self._st
        if _v(st, _S_MAX) < _S_MIN_AMP and not self._partial_in_set():  # sway, a weight shift
            self._put(_STATE, _SPOILED)
            return
        self._put(_LOWER, self._fell_below((_v(st, _S_MAX) >> 8) * 231))
        self._put(_STATE, _FALL)
        self._put(_W_PEAK, 0)
        self._put(_I_LAND, -1)
        self._put(_LANDED, 0)

    def _rose_about_ball(self):
        """Did the candidate's rise turn about the ball, measurably (it pivots, and its lever
        was measured: 7)? Held still, such a rise is at a heel raise's top (real ones tilt a
        shoe 38-55 deg, and a pause on the ball is part of many programmes), not in a new
        posture: it comes back down, or outlives the ring. A plank (56-60 deg off the stance
        in the simulator's) is stepped into, the foot moved as a whole or too slowly to
        measure; a free foot lifted and held in the air (a single-leg squat) turned too
        slowly too."""
        return self._pivots() == 1 and _v(self._st, _P_LEV) != 0

    def _partial_in_set(self):
        """Is a tilt too small to tell from a weight shift on its own (under 6 deg) a partial rep
        of the set under way? Only as one of its reps: it turns the foot the way the set's heel
        raises did (over 4 deg along the direction they confirmed, within 30 deg of it), and it
        rises after a rest like the set's own between its reps (half to twice one of the last
        two, and under _SET_PAUSE_MS). A heel lift on rising from a chair or at a squat's depth
        turns about the ball too, but no set's rhythm paces it."""
        st = self._st
        if not _v(st, _SET_OPEN) or _v(st, _VOTE) < _PARTIAL_VOTES or _v(st, _BY_TOE):
            return False
        rs = self._ring_s
        level5 = max(_v(st, _S_MAX) // 400, _S_FLOOR)
        i = _v(st, _EX_START)
        while i != _v(st, _RI) and rs[i] >= level5:  # back to where the rise left its rest
            i = (i - 1) & _MASK
        rest = self._ring_t[i] - _v(st, _LAST_REP)
        if rest > _SET_PAUSE_MS:
            return False
        for k in range(2):
            pause = _v(st, _PAUSES + k)
            if pause > 0 and pause >> 1 <= rest <= pause << 1:
                break
        else:
            return False
        h2 = 0
        dot = 0
        for i in range(3):
            h = _v(st, _HX + i)
            h2 += h * h
            dot += h * _v(st, _DX + i)
        if dot <= 0:
            return False
        along = dot // isqrt(h2)  # the tilt's component along it, 1/4096 g
        along2 = along * along
        return along2 > _S_TRIGGER and 4 * along2 >= 3 * _v(st, _S_MAX)  # cos^2 30 deg = 3/4

    def _hold_pending(self, level95, level5, end):
        """Find where the rep started and topped out; keep it until it is confirmed."""
        rt = self._ring_t
        rs = self._ring_s
        st = self._st
        k = _v(st, _I_LAND)
        if k >= 0:  # the foot stopped turning: the end is timed from where it landed
            landed = self._landed(level5, k)
            if landed:
                end = landed
        pivots = self._pivots()
        for i in range(6):  # the next candidate is judged on what follows this one
            self._put(_KTR + i, 0)
        i = _v(st, _EX_START)
        i_max = _v(st, _I_MAX)
        while i != i_max and rs[(i + 1) & _MASK] < level95:
            i = (i + 1) & _MASK
        j = (i + 1) & _MASK
        top = crossing(rt[i], rt[j], rs[i], rs[j], level95)
        oldest = _v(st, _RI)
        k = i
        while i != oldest and rs[i] >= level5:
            flat = rs[i] - rs[(i - 3) & _MASK]  # change over the 3 blocks (120 ms) before
            if -(level5 >> 1) < flat < level5 >> 1:
                # a rest (below half the rep's tilt, within rest drift of where the foot came
                # back down), not the rise: a rise that stopped further up went on from a hitch
                home = self._ring_d2(i, _v(st, _GX), _v(st, _GX + 1), _v(st, _GX + 2))
                if home < level95 >> 2 and home < _S_DRIFT:
                    break
            i = (i - 1) & _MASK
        s_max = _v(st, _S_MAX)
        if rs[i] > _S_SETTLED and rs[i] >= level5:
            # the rise began from a rest off the one it is measured from, further than the
            # rest follows drift (rests drift a few degrees between reps): it is measured from
            # that rest, not back where the signal last fell below 5 % (in the rep before, or
            # earlier). (Nearer, s hardly changes where a slow rise leaves the rest: flat is
            # no rest there, and the rise is timed from the rest's own 5 % above it)
            self._rise_from(i, level95)
            start = _v(st, _ROSE)
            top = _v(st, _ROSE + 1)
            s_max = _v(st, _ROSE + 2)
        else:
            if rs[i] >= level5:
                level5 += rs[i]
                i = k
                while i != oldest and rs[i] >= level5:
                    i = (i - 1) & _MASK
            j = (i + 1) & _MASK
            start = crossing(rt[i], rt[j], rs[i], rs[j], level5)
        # a rise before the foot was back at rest from a vetoed movement starts where it came
        # back (if it is a raise at all), so a hop's landing wobble is too quick a phase
        start = max(start, _v(st, _CLEARED))
        lower = _v(st, _LOWER)
        if top - start < _quickest(s_max) or end - lower < _MIN_PHASE_MS or not pivots:
            return
        self._put(_P_START, start)
        self._put(_P_TOP, top)
        self._put(_P_LOWER, lower)
        self._put(_P_END, end)
        self._put(_P_SMAX, s_max)
        self._put(_P_PL, _v(st, _PL))
        self._put(_P_TOE, pivots == 2)
        self._put(_P_ON, self._pushed_on())
        self._put(_PEND, 1)
        lev = _v(st, _P_LEV)
        if lev and pivots == 1 and _v(st, _SET_OPEN):  # the set's lever follows its heel raises
            ref = _v(st, _LEV)
            self._put(_LEV, ref + ((lev - ref) >> 2) if ref else lev)
        for i in range(3):
            self._st[_P_DX + i] = self._st[_DX + i]

    def _rise_from(self, r, level95):
        """Into _ROSE: start, top and squared amplitude of the rise measured from the tilt at ring
        index r, where it was flat before it: its 5 % and 95 % crossings of its own amplitude
        (fields, not a tuple: the sampling path allocates nothing). Squared
        chords from another rest do not add up: measured from a rest the foot drifted from,
        by a few degrees along the raise, a 20 deg rep reads 15 % large or small and its
        start 5 % of the wrong amplitude away, a hundred ms and more."""
        st = self._st
        rt = self._ring_t
        ru = self._ring_u
        x = _u(ru[3 * r])
        y = _u(ru[3 * r + 1])
        z = _u(ru[3 * r + 2])
        i_max = _v(st, _I_MAX)
        amp = self._ring_d2(i_max, x, y, z)
        # 95 % of the top the rise first reached (level95 is of the old rest's s_max)
        high = (amp >> 10) * (level95 // max(_v(st, _S_MAX) >> 10, 1))
        i = r
        d0 = self._ring_d2(i, x, y, z)
        while i != i_max:
            d1 = self._ring_d2((i + 1) & _MASK, x, y, z)
            if d1 >= high:
                break
            i = (i + 1) & _MASK
            d0 = d1
        j = (i + 1) & _MASK
        top = crossing(rt[i], rt[j], d0, self._ring_d2(j, x, y, z), high)
        low = max(amp // 400, _S_FLOOR)
        d1 = self._ring_d2(j, x, y, z)
        while i != r and d0 >= low:
            j = i
            d1 = d0
            i = (i - 1) & _MASK
            d0 = self._ring_d2(i, x, y, z)
        self._put(_ROSE, crossing(rt[i], rt[j], d0, d1, low))
        self._put(_ROSE + 1, top)
        self._put(_ROSE + 2, amp)

    def _pivots(self):
        """Did the foot turn about a fixed point (its ball) and not move as a whole? 0 if it
        moved as a whole, 2 if it turned about a point right under the clip (a toe raise
        about the heel, for a clip on the heel), else 1.

        Least squares over the rep: the lever r that best explains the linear acceleration d
        by K r (K from the gyro: alpha x r + w x (w x r)) explains |K^T d|^2 / (K^T K). For a
        turn about one axis K^T K is isotropic in the plane the lever can lie in (the lever
        along the axis explains nothing), so it is its trace / 2: no 3 x 3 solve, and the
        lever itself is 2 K^T d / trace (from the pivot to the clip). The rest of d is what a
        translation of the whole foot would leave; a rep may leave the model's error floor
        (_PIVOT_ABS2, _PIVOT_REL2)."""
        st = self._st
        dd = _v(st, _KDD)
        tr = _v(st, _KTR)
        allowed = _v(st, _KN) * _PIVOT_ABS2 + (dd >> 6) * _PIVOT_REL2
        self._put(_P_LEV, 0)
        if tr <= 0:  # no turn measured (a FIFO gap's rep is not judged): no lever either
            return 1
        bx = _v(st, _KB)
        by = _v(st, _KB + 1)
        bz = _v(st, _KB + 2)
        k = 0  # a common scale that keeps the products below 2**29
        while max(abs(bx), abs(by), abs(bz), tr, dd) >> k > 8191:
            k += 1
        bx >>= k
        by >>= k
        bz >>= k
        b = isqrt(bx * bx + by * by + bz * bz)  # |K^T d|
        tr >>= k
        lever = _v(st, _LEVER)  # the longest lever, x 64
        if 2 * b * 64 <= lever * tr:  # the best lever, 2 |K^T d| / trace, is a foot's
            unexplained = (dd >> k) - (2 * b * b) // max(tr, 1)
        else:  # longer than a foot's: the best that a foot's does
            unexplained = (dd >> k) - (2 * b * lever) // 64 + (tr * lever // 64) * lever // 128
        if dd > allowed and unexplained > allowed >> k:
            return 0
        if 2 * b * b > ((_v(st, _KN) * _PIVOT_ABS2) >> k) * max(tr, 1):
            # the turn's acceleration at the fitted lever is over the model's error floor, so
            # the lever's length is measured, not noise: no foot's is longer than _LEVER_MM
            # (128), so a longer one is a foot moving as it turned (slid back under a chair:
            # the slide reads as a longer lever); and the clip sits on the shoe at a fixed
            # lever from the ball, the same in every heel raise of a set, so a turn whose lever
            # is half as long again turned about some other point (a knee, a hip)
            lev = min(b * 16384 // max(lever * tr, 1), 1024)  # (8 x _LEVER_MM: small ints)
            ref = _v(st, _LEV)
            if lev > 128 or (_v(st, _SET_OPEN) and ref and 2 * lev > 3 * ref):
                return 0
            self._put(_P_LEV, lev)
        up = 0  # the lever along the rest's up direction (1/1024 g units of the rest)
        for i in range(3):
            up += (_v(st, _GX + i) >> 4) * (_v(st, _KB + i) >> k)
        if b * (128 * _LEVER_MM // _UNDER_MM) < lever * tr and 20 * up > _UNDER_COS20 * b * 1024:
            return 2  # a lever shorter than _UNDER_MM, within 25 deg of the rest's up
        return 1

    def _after_block(self, t, jolt):
        st = self._st
        if _v(st, _NEXT):
            self._put(_NEXT, 0)
            return self._count_kept(_N_REP)
        if _v(st, _RELEASE):
            return self._release_one()
        return self._check_pending(t, jolt)

    def _check_pending(self, t, jolt):
        """Confirm or drop the rep that ended last; returns the Rep once it counts."""
        st = self._st
        ex = (_v(st, _UX) - _v(st, _GX)) >> 2  # the tilt from the rest it came down to
        ey = (_v(st, _UX + 1) - _v(st, _GX + 1)) >> 2
        ez = (_v(st, _UX + 2) - _v(st, _GX + 2)) >> 2
        back = ex * _v(st, _P_DX) + ey * _v(st, _P_DX + 1) + ez * _v(st, _P_DX + 2)
        e2 = ex * ex + ey * ey + ez * ez
        tilted = e2 > _S_TRIGGER
        if jolt or (back < 0 and e2 > _S_THROUGH):
            self._put(_PEND, 0)  # a heel strike or a tilt through rest: a step, not a rep
            return None
        if back < 0 and e2 > (_v(st, _P_SMAX) >> 4) * 9:
            # on through the rest by 3/4 of what it rose: a raise comes back near where it
            # started (rests between reps differ by up to 10 deg, raises rise 20 deg and
            # more), so this was no raise. If the foot had settled at its top, that was a
            # stance, and the raise now under way the other way rises from it (as when it
            # rises further from a plateau)
            self._put(_PEND, 0)
            if _v(st, _P_PL) and _v(st, _STATE) == _RISE and not _v(st, _PL):
                self._put(_PL, 1)
                self._rises_from_plateau((_v(st, _RI) - 1) & _MASK)
            return None
        if t < _v(st, _P_END) + _CONFIRM_MS and not (back > 0 and tilted):
            return None  # (the next raise already under way confirms this one)
        if _v(st, _FLOOR) == _AIR:
            # off the floor the foot stood calm on: a heel raise once the foot is calm there
            # (_FLOOR turns _STOOD), none if it moves off first (swung in the air)
            if tilted:
                self._put(_PEND, 0)
            return None
        if back < 0 and tilted and _v(st, _STILL_MS) < _TRUST_MS:
            return None  # still turning on through the rest: a landing past it, or no raise
        self._put(_PEND, 0)
        if self._sole_up() or self._rest_off_stance():
            return self._from_sole_up()
        return self._vote()

    def _from_sole_up(self):
        """A rep from a rest the foot lies sole up on: the rolls of a Bulgarian split squat's
        rear foot, or heel raises after the clip was turned over without a fast turn (which
        forgets the stance). Which one, only what follows tells: such reps wait in the
        backlog. The foot back on its feet moves the rest by more than 20 deg, which drops
        them (_learn_rest); a tenth one there means the foot stands there: the stance moves
        there and they count. A toe raise (a turn about the heel) never counts."""
        st = self._st
        if _v(st, _P_TOE):
            return None
        self._keep()
        if _v(st, _NBACK) < _BACKLOG or _v(st, _ON_BALL):
            return None
        self._stand_here()
        self._put(_RELEASE, 1)
        return self._release_one()

    def _vote(self):
        """Heel and toe raises tilt the foot opposite ways, and which way is which depends on
        the clip. The direction most reps agree on is the heel raise; reps against it wait in
        the backlog, and if they outnumber the reps that set it, they were the heel raises.
        A rep that turned about a point right under the clip turned about the heel: a toe
        raise. As the first rep since the clip went on, and until a heel raise confirms the
        direction, it votes for the other direction and waits in the backlog. Once heel
        raises have agreed it is one rep of the vote, and a full backlog with not one rep the
        other way flips the vote: a clip on the laces can sit nearly over the ball."""
        st = self._st
        dot = 0
        for i in range(3):
            dot += _v(st, _P_DX + i) * _v(st, _HX + i)
        toe = _v(st, _P_TOE) and (dot == 0 or (dot < 0 and _v(st, _BY_TOE)))
        if dot < 0 or toe:
            self._keep()
            opp = _v(st, _OPP)
            if toe:  # a toe raise: heel raises tilt the other way
                if dot == 0:
                    for i in range(3):
                        self._put(_HX + i, -_v(st, _P_DX + i))
                    self._put(_BY_TOE, 1)
                self._put(_VOTE, min(_v(st, _VOTE) + 1, _VOTE_MAX))
            else:
                opp += 1
                self._put(_OPP, opp)
            full = _v(st, _NBACK) == _BACKLOG
            if opp <= _v(st, _VOTE) and not (full and (_v(st, _BY_TOE) or opp == _BACKLOG)):
                return None  # most likely a toe raise
            # outvoted; or a backlog full of reps against the direction (the vote is capped at
            # the backlog's size: one more would push its first rep out, as after a re-clip
            # that turned the clip about gravity, which leaves the rest where it was); or a
            # full backlog and not one heel raise the other way: a clip whose pivot only looks
            # like it lies under it (on the laces, over the ball)
            won = opp if opp > _v(st, _VOTE) else _BACKLOG
            for i in range(3):
                st[_HX + i] = st[_P_DX + i]
            self._put(_VOTE, min(won, _VOTE_MAX))
            self._put(_OPP, 0)
            self._put(_BY_TOE, 0)
            self._put(_RELEASE, 1)
            return self._release_one()
        self._put(_VOTE, min(_v(st, _VOTE) + 1, _VOTE_MAX))
        self._put(_OPP, 0)
        self._put(_BY_TOE, 0)
        self._put(_NBACK, 0)  # the doubted reps were toe raises after all
        for i in range(3):  # follow this clip's heel-raise direction
            h = _v(st, _HX + i)
            self._put(_HX + i, h + (_v(st, _P_DX + i) >> 2) - (h >> 2))
        self._stand_here()  # where the rep rose from
        if _v(st, _P_ON):
            return None  # a heel raise of the vote and the stance, but no calf raise
        return self._emit(
            _v(st, _P_START), _v(st, _P_TOP), _v(st, _P_LOWER), _v(st, _P_END), _v(st, _P_SMAX)
        )

    def _keep(self):
        """Append the pending rep to the backlog, dropping the oldest when it is full."""
        back = self._back
        n = _v(self._st, _NBACK)
        if n == _BACKLOG:
            for i in range(_BACK_FIELDS * (_BACKLOG - 1)):
                back[i] = back[i + _BACK_FIELDS]
            n -= 1
        k = n * _BACK_FIELDS
        for i in range(4):
            back[k + i] = _v(self._st, _P_START + i)
        back[k + 4] = _v(self._st, _P_SMAX)
        self._put(_NBACK, n + 1)

    def _release_one(self):
        """Hand out the oldest backlog rep (one per block, so the caller sees each)."""
        back = self._back
        n = _v(self._st, _NBACK)
        rep = self._emit(back[0], back[1], back[2], back[3], back[4])
        for i in range(_BACK_FIELDS * (n - 1)):
            back[i] = back[i + _BACK_FIELDS]
        self._put(_NBACK, n - 1)
        if n == 1:
            self._put(_RELEASE, 0)
        return rep

    def _close_set(self, t):
        """The pause after the set's last rep is long enough at block time t: close the set,
        unless a rep is under way (rising, falling, ended and waiting for its confirmation, or
        in a backlog or as the second rep of a set just opened being handed out)."""
        st = self._st
        state = _v(st, _STATE)
        if (
            state != _RISE
            and state != _FALL
            and not _v(st, _PEND)
            and not _v(st, _RELEASE)
            and not _v(st, _NEXT)
        ):
            self._put(_SET_OPEN, 0)
            self._put(_SET_END, t)
            self._put(_LEV, 0)

    def _emit(self, start, top, lower, end, s_max):
        """A rep that passed every test counts, if a set is under way. Otherwise it opens a
        set only with a second rep in a set's rhythm (rising within _RHYTHM_MS of its end):
        it is held until then, and one out of rhythm takes its place. A heel raise is done in
        sets; a lone heel lift (the feet pulled under a chair to stand up, the heel at a
        squat's depth, a lunge's rear foot between other steps) is not a set."""
        st = self._st
        if _v(st, _SET_OPEN):
            return self._count(start, top, lower, end, s_max)
        held_end = _v(st, _H_REP + 3)
        rhythm = max(_RHYTHM_MS, held_end - _v(st, _H_REP))  # a slow rep's rest is as slow
        if _v(st, _HELD) and start - held_end <= rhythm:
            self._put(_HELD, 0)
            self._put(_NEXT, 1)
            self._keep_rep(_N_REP, start, top, lower, end, s_max)
            return self._count_kept(_H_REP)
        self._put(_HELD, 1)
        self._keep_rep(_H_REP, start, top, lower, end, s_max)
        return None

    def _count_kept(self, field):
        """Count the rep _keep_rep stored from `field`."""
        st = self._st
        return self._count(
            _v(st, field),
            _v(st, field + 1),
            _v(st, field + 2),
            _v(st, field + 3),
            _v(st, field + 4),
        )

    def _keep_rep(self, field, start, top, lower, end, s_max):
        """Store a rep's times and squared amplitude in five fields from `field`."""
        self._put(field, start)
        self._put(field + 1, top)
        self._put(field + 2, lower)
        self._put(field + 3, end)
        self._put(field + 4, s_max)

    def _count(self, start, top, lower, end, s_max):
        st = self._st
        pause = start - _v(st, _LAST_REP)  # the rest before this rep (_partial_in_set)
        if not _v(st, _SET_OPEN):
            self._put(_SET_NO, _v(st, _SET_NO) + 1)
            self._put(_REP_NO, 0)
            self._put(_SET_OPEN, 1)
            pause = 0
        st[_PAUSES + 1] = st[_PAUSES]
        self._put(_PAUSES, pause)
        self._put(_REP_NO, _v(st, _REP_NO) + 1)
        self._put(_LAST_REP, end)
        amp = chord2_to_cdeg(s_max)
        ref = _v(st, _AMP_REF)
        partial = ref > 0 and amp * 100 < ref * _PARTIAL_PCT
        if not partial:
            self._put(_AMP_REF, amp if amp > ref else (ref * 3 + amp) >> 2)
        rep = self.rep_out
        rep.start_ms = start
        rep.top_ms = top
        rep.lower_ms = lower
        rep.end_ms = end
        rep.amplitude_cdeg = amp
        rep.set = _v(st, _SET_NO)
        rep.rep = _v(st, _REP_NO)
        rep.partial = partial
        return rep
