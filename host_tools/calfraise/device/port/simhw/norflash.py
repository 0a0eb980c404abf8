"""NOR flash for LittleFS on the unix port: a RAM block device that keeps flash rules and can
lose power, so storage code can be proven against power cuts.

    dev = NorFlash(blocks=64)                    # 64 erase blocks of 4096 bytes, all erased
    os.VfsLfs2.mkfs(dev); os.mount(os.VfsLfs2(dev), "/flash")

Flash rules: programming only clears bits (new = old AND data), erasing sets a block to 0xFF.
`programs` and `erases` count the operations (the cut points), `wear[b]` the erases of block b.

Power cut: with cut_at=N the N-th program or erase (counted from 1) is the one power fails
during: it is not applied at all, or with torn=True only its first half is (half the bytes
programmed, half the block erased). That call raises PowerCut; from then on the device is dead:
writes and erases are ignored and reads serve the frozen image. Dead or alive, no method
allocates (copies run in viper), because LittleFS files left open are closed by finalisers
while the heap is locked. Mount a copy() of the image to see what survived.
"""

from array import array

import micropython

ERASED = 0xFF
_COUNT = 4  # ioctl ops of the extended block device interface
_SIZE = 5
_ERASE = 6
_EROFS = 30  # errno: read-only file system


class PowerCut(Exception):
    """The simulated supply died during this program or erase."""


def ptr8(buf):
    """CPython stand-in for viper's pointer cast (inside @viper code the compiler's own wins)."""
    return buf


@micropython.viper
def _copy(dst, src, s: int, n: int):
    pd = ptr8(dst)
    ps = ptr8(src)
    for i in range(n):
        pd[i] = ps[s + i]


@micropython.viper
def _program(dst, d: int, src, n: int):
    pd = ptr8(dst)
    ps = ptr8(src)
    for i in range(n):
        pd[d + i] = pd[d + i] & ps[i]


@micropython.viper
def _erase(dst, d: int, n: int):
    pd = ptr8(dst)
    for i in range(n):
        pd[d + i] = 0xFF


@micropython.viper
def _is_erased(src, n: int) -> bool:
    ps = ptr8(src)
    for i in range(n):
        if ps[i] != 0xFF:
            return False
    return True


class _BlockDevice:
    """The extended block-device ioctls os.VfsLfs2 asks: size, count, erase (_erase_block)."""

    def ioctl(self, op, arg):
        if op == _COUNT:
            return self.blocks
        if op == _SIZE:
            return self.block_size
        if op == _ERASE:
            self._erase_block(arg)
        return 0


class NorFlash(_BlockDevice):
    """A NOR flash chip of `blocks` erase blocks for os.VfsLfs2 (extended interface)."""

    def __init__(self, blocks, block_size=4096, cut_at=0, torn=False, image=None):
        self.blocks = blocks
        self.block_size = block_size
        size = blocks * block_size
        if image is not None and len(image) != size:
            raise ValueError(f"image holds {len(image)} bytes, not {size}")
        self.mem = bytearray(image) if image is not None else bytearray(b"\xff" * size)
        self.cut_at = cut_at
        self.torn = torn
        self.programs = 0
        self.erases = 0
        self.wear = array("I", bytes(4 * blocks))
        self.dead = False

    @property
    def ops(self):
        """Programs and erases so far: the number a cut_at counts against."""
        return self.programs + self.erases

    def _powered(self, data, at, n):
        """False if the operation must not happen: the device is dead. Raises PowerCut (after
        applying half of it if torn) when this operation is the cut."""
        if self.dead:
            return False
        if self.cut_at and self.ops + 1 == self.cut_at:
            self.dead = True
            if self.torn:
                self._apply(data, at, n // 2)
            raise PowerCut(f"power lost at operation {self.cut_at}")
        return True

    def _apply(self, data, at, n):
        """Programs n bytes of data at `at`, or erases n bytes there if data is None."""
        if data is None:
            _erase(self.mem, at, n)
        else:
            _program(self.mem, at, data, n)

    def readblocks(self, block, buf, offset=0):
        _copy(buf, self.mem, block * self.block_size + offset, len(buf))

    def writeblocks(self, block, buf, offset=None):
        """Programs buf at (block, offset); without offset (the simple interface) the blocks are
        erased first."""
        at = block * self.block_size
        if offset is None:
            for k in range(len(buf) // self.block_size):
                self._erase_block(block + k)
        else:
            at += offset
        if self._powered(buf, at, len(buf)):
            self.programs += 1
            self._apply(buf, at, len(buf))
        return 0

    def _erase_block(self, block):
        at = block * self.block_size
        if self._powered(None, at, self.block_size):
            self.erases += 1
            self.wear[block] += 1
            self._apply(None, at, self.block_size)

    def copy(self):
        """A live device holding this image, its counters (and wear) at zero."""
        return NorFlash(self.blocks, self.block_size, image=self.mem)

    def save(self, path):
        """Writes the image to a file (the PC simulation keeps its flash between runs)."""
        with open(path, "wb") as f:
            f.write(self.mem)

    @classmethod
    def load(cls, path, block_size=4096, **options):
        """A device holding the image saved in `path`."""
        with open(path, "rb") as f:
            image = f.read()
        if not image or len(image) % block_size:
            raise ValueError(f"{path}: not a whole number of {block_size}-byte blocks")
        return cls(len(image) // block_size, block_size, image=image, **options)


class FileFlash(_BlockDevice):
    """The same NOR flash rules over an image file instead of RAM: the firmware's filesystem in
    `calfraise device run`, kept between runs and out of the heap the firmware is measured in.
    A new file starts erased. Block I/O goes through one preallocated block-sized buffer.
    readonly=True opens an existing file only to read it: a write or erase raises EROFS."""

    def __init__(self, path, blocks, block_size=4096, readonly=False):
        self.blocks = blocks
        self.block_size = block_size
        self.readonly = readonly
        self._scratch = bytearray(block_size)
        if readonly:
            self._file = open(path, "rb")
        else:
            try:
                self._file = open(path, "r+b")
            except OSError:
                self._file = open(path, "w+b")
        self._file.seek(0, 2)
        size = self._file.tell()
        if size not in (0, blocks * block_size):
            raise ValueError(f"{path} holds {size} bytes, not {blocks} blocks of {block_size}")
        if size == 0:
            _erase(self._scratch, 0, block_size)
            for _ in range(blocks):
                self._file.write(self._scratch)
            self._file.flush()

    def readblocks(self, block, buf, offset=0):
        self._file.seek(block * self.block_size + offset)
        self._file.readinto(buf)

    def erased(self):
        """True if every byte is 0xFF: a new chip, never formatted."""
        for block in range(self.blocks):
            self.readblocks(block, self._scratch)
            if not _is_erased(self._scratch, self.block_size):
                return False
        return True

    def writeblocks(self, block, buf, offset=None):
        if self.readonly:
            raise OSError(_EROFS)
        if offset is None:
            for k in range(len(buf) // self.block_size):
                self._erase_block(block + k)
            offset = 0
        n = len(buf)
        old = memoryview(self._scratch)[:n]
        self.readblocks(block, old, offset)
        _program(old, 0, buf, n)
        self._file.seek(block * self.block_size + offset)
        self._file.write(old)
        self._file.flush()
        return 0

    def _erase_block(self, block):
        if self.readonly:
            raise OSError(_EROFS)
        _erase(self._scratch, 0, self.block_size)
        self._file.seek(block * self.block_size)
        self._file.write(self._scratch)
        self._file.flush()
