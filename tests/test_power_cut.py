"""Power cuts: the NOR flash model keeps flash rules and dies cleanly, and a cut at any program
or erase of a recorded session loses nothing that was durable (tests/mp/storage_power_cut.py)."""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from calfraise.device import PORT

SWEEP = Path(__file__).parent / "mp" / "storage_power_cut.py"
REPS, SETS = 60, 4
PARTS = 2  # processes sharing the sweep
RECOVERY_EVERY = 50  # torn cuts at these points also get every cut of their recovery

FLASH_RULES = """
import micropython
from simhw.norflash import NorFlash, PowerCut

def main():
    dev = NorFlash(4, block_size=256)
    dev.writeblocks(1, b"\\x0f\\xf0", 2)
    dev.writeblocks(1, b"\\x3c\\xff", 2)       # programming only clears bits
    print(bytes(dev.mem[258:260]).hex(), dev.programs)
    dev.ioctl(6, 1)                            # erase sets the block to 0xff
    print(bytes(dev.mem[256:512]) == b"\\xff" * 256, dev.erases, list(dev.wear))
    print(dev.ioctl(4, 0), dev.ioctl(5, 0))                 # block count, block size
    for torn in (False, True):
        dev = NorFlash(4, block_size=256, cut_at=2, torn=torn)
        dev.writeblocks(0, b"\\x00" * 8, 0)
        try:
            dev.writeblocks(0, b"\\x00" * 8, 8)  # the 2nd operation: power fails
        except PowerCut as e:
            print("cut:", e)
        print(bytes(dev.mem[:16]).hex(), dev.dead, dev.ops)
        buf = bytearray(4)
        zeros = bytes(4)
        micropython.heap_lock()                # a dead device never allocates
        dev.writeblocks(0, zeros, 100)
        dev.ioctl(6, 0)
        dev.readblocks(0, buf, 4)
        micropython.heap_unlock()
        print(bytes(dev.mem[100:104]).hex(), buf.hex(), dev.ops)
    dev.save(PATH)
    again = NorFlash.load(PATH, block_size=256)
    print(again.mem == dev.mem, again.blocks, again.dead)

main()
"""


def test_nor_flash_rules_power_cut_and_image_file(micropython, tmp_path):
    path = tmp_path / "flash.img"
    out = micropython(f"PATH = {str(path)!r}\n" + FLASH_RULES, path=[PORT]).splitlines()
    assert out[:3] == ["0cf0 2", "True 1 [0, 1, 0, 0]", "4 256"]
    cut = "cut: power lost at operation 2"
    assert out[3:5] == [cut, "0" * 16 + "ff" * 8 + " True 1"]  # lost: not applied at all
    assert out[6:8] == [cut, "0" * 24 + "ff" * 4 + " True 1"]  # torn: half of it applied
    # dead: writes and erases ignored, not counted; reads still serve the image
    assert out[5] == out[8] == "ffffffff 00000000 1"
    assert out[9] == "True 4 False"
    assert path.stat().st_size == 1024


def test_every_cut_point_keeps_every_durable_rep(micropython):
    def part(k):
        args = (REPS, SETS, k, PARTS, RECOVERY_EVERY)
        return micropython(script=SWEEP, args=args, path=[PORT], heapsize="32M", timeout=120)

    with ThreadPoolExecutor(PARTS) as pool:
        outputs = list(pool.map(part, range(PARTS)))
    totals = []
    for out in outputs:
        m = re.search(r"ops (\d+) cuts (\d+) recovery_cuts (\d+) failures (\d+)", out)
        assert m, out
        assert m[4] == "0", out
        totals.append([int(x) for x in m.groups()])
    ops = totals[0][0]
    assert all(t[0] == ops for t in totals)
    assert ops > 500  # a program/erase count a 60-rep session in 4 sets really takes
    assert sum(t[1] for t in totals) == 2 * ops  # every point, lost and torn
    assert sum(t[2] for t in totals) > 100
    print(
        f"power-cut sweep: {ops} operations, {2 * ops} cuts, "
        f"{sum(t[2] for t in totals)} cuts during recovery, 0 failures"
    )
