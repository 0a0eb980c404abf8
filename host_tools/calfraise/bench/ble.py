"""BLE figures over the virtual link (calfraise.ble.virtual): the firmware on the unix port,
the host's bleak code on Bumble. The link is a CPU-bound software radio: byte counts are what
a real link carries, times say how the host and firmware code perform, not the air's timing.

- bytes on the air per rep during `live` (L2CAP PDUs as the virtual link counts them, and the
  link-layer packets a 1M PHY would send for them);
- the time `sync` takes (connect to marked) for a 45-rep session and a 1-hour session, their
  files built from simulated training with the firmware's own record encoders;
- the notifications the firmware sent again after ENOMEM (BleServer.retries, published in its
  "ble" events).
"""

import asyncio
import json
import os
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path

from calfraise.bench.storage import schedule, session_events
from calfraise.device.runner import FLASH_BLOCKS, MICROPYTHON, build
from calfraise.host.db import open_db
from calfraise.host.discovery import find
from calfraise.host.link import DeviceLink
from calfraise.host.live import LiveFeed, start_live
from calfraise.host.radio import SIM_LEAD_IN_S, virtual_radio
from calfraise.host.sync import Sync
from calfraise.sim import build_session_plan, plan_reps, render
from calfraise.trace import write_trace
from calfraise_fw import VERSION, records
from calfraise_fw.detector import Rep

LIVE_REPS = 20
SESSION_45 = ("varied", 3)  # a simulated session of 45 reps
LL_OVERHEAD = 10  # preamble 1, access address 4, header 2, CRC 3 bytes (Core spec Vol 6 B 2.1)
L2CAP_HEAD = 4
WALL_MS = 1767254400000  # the sessions' start: 2026-01-01T08:00:00Z


def session_file(sid, events, duration_ms):
    """A session log as the board writes it: header, reps and set ends (storage bench events:
    ["r", start, top, lower, end, amplitude_cdeg, set, rep, partial], ["s", set, reps, first,
    last]), then END."""
    out = bytearray(records.header(sid, 0, WALL_MS, VERSION, "sim", {"reps_per_set": 12}))
    frame = bytearray(records.MAX_FRAME)
    rep = Rep()
    reps = sets = 0
    for e in events:
        if e[0] == "r":
            rep.start_ms, rep.top_ms, rep.lower_ms, rep.end_ms = e[1:5]
            rep.amplitude_cdeg, rep.set, rep.rep, rep.partial = e[5:9]
            out += frame[: records.put_rep(frame, 0, rep, 0)]
            reps += 1
            sets = max(sets, rep.set)
        else:
            out += frame[: records.put_set_end(frame, 0, *e[1:5], 0)]
    out += frame[: records.put_end(frame, 0, "timeout", duration_ms, reps, sets, 0)]
    return bytes(out)


def write_flash(image, files):
    """Put files {name: bytes} on a flash image (formatted if new), through LittleFS on the
    unix port, as the board would hold them."""
    script = (
        "import os, sys, json, binascii\n"
        "from simhw.norflash import FileFlash\n"
        f"dev = FileFlash(sys.argv[1], {FLASH_BLOCKS})\n"
        "try:\n"
        "    vfs = os.VfsLfs2(dev)\n"
        "except OSError:\n"
        "    os.VfsLfs2.mkfs(dev)\n"
        "    vfs = os.VfsLfs2(dev)\n"
        "os.mount(vfs, '/flash')\n"
        "files = json.load(open(sys.argv[2]))\n"
        "for name in files:\n"
        "    parts = name.split('/')\n"
        "    for i in range(1, len(parts)):\n"
        "        try:\n"
        "            os.mkdir('/flash/' + '/'.join(parts[:i]))\n"
        "        except OSError:\n"
        "            pass\n"
        "    with open('/flash/' + name, 'wb') as f:\n"
        "        f.write(binascii.unhexlify(files[name]))\n"
    )
    env = {**os.environ, "MICROPYPATH": os.pathsep.join(str(p) for p in build())}
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.json"
        listing.write_text(json.dumps({name: data.hex() for name, data in files.items()}))
        argv = [str(MICROPYTHON), "-c", script, str(image), str(listing)]
        subprocess.run(argv, env=env, check=True, capture_output=True)


async def _retries(device):
    """The firmware's ENOMEM retries so far, from the "ble" event of the last disconnect."""
    event = await device.next_event(lambda e: e["type"] == "ble" and e["link"] == "disconnected")
    return event["retries"]


async def _live_bytes(trace_csv):
    async with virtual_radio(trace_csv) as radio:
        link = await DeviceLink.connect(radio, await find(radio), ("rep", "status"))
        async with link:
            await start_live(link)
            feed, reps, marks = LiveFeed(), 0, []
            while reps < LIVE_REPS:
                for event in feed.events(*await link.inbox.get(30)):
                    if event["type"] == "rep":
                        reps += 1
                        marks.append(radio.device.air_bytes)
        retries = await _retries(radio.device)
    return (marks[-1] - marks[0]) / (LIVE_REPS - 1), retries


async def _sync_time(image, db_path):
    async with virtual_radio(None, flash=image) as radio:
        device = await find(radio)
        with closing(open_db(db_path)) as db:
            t0 = time.perf_counter()
            result = await Sync(radio, device, db, lambda _d: None, print).run()
            seconds = time.perf_counter() - t0
        retries = await _retries(radio.device)
    [stored] = result.stored
    return {"seconds": seconds, "reps": stored.reps, "retries": retries}


def ble_figures():
    """The BLE figures, as a dict (docs/host.md, Figures)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trace = render(plan_reps(LIVE_REPS, seed=2))
        write_trace(tmp / "reps.csv", trace.t_ms, trace.accel_g, trace.gyro_dps)
        per_rep, live_retries = asyncio.run(_live_bytes(tmp / "reps.csv"))
        events, duration, _ = session_events(build_session_plan(*SESSION_45))
        hour = schedule(typical=0)["hour"]
        files = {
            "45 reps": session_file(1, events, duration),
            "1 hour": session_file(1, hour["events"], hour["duration_ms"]),
        }
        syncs = {}
        for name, data in files.items():
            image = tmp / f"{len(syncs)}.img"
            write_flash(image, {"sessions/000001.cfs": data})
            syncs[name] = {"bytes": len(data), **asyncio.run(_sync_time(image, tmp / f"{name}.db"))}
    packets = -(-(per_rep - L2CAP_HEAD) // 27) or 1  # 27-byte LL payloads without DLE
    return {
        "live_l2cap_bytes_per_rep": per_rep,
        "live_air_bytes_per_rep": per_rep + packets * LL_OVERHEAD,
        "live_retries": live_retries,
        "lead_in_s": SIM_LEAD_IN_S,
        "syncs": syncs,
    }


def ble_table(f):
    rows = [
        f"Live: {f['live_l2cap_bytes_per_rep']:.1f} bytes per rep over the link (L2CAP), "
        f"{f['live_air_bytes_per_rep']:.1f} on the air with link-layer framing (1M PHY); "
        f"{f['live_retries']} notify retries.",
        "",
        "| sync of | file bytes | reps | seconds (connect to marked) | ENOMEM retries |",
        "|---|---|---|---|---|",
    ]
    for name, s in f["syncs"].items():
        rows.append(
            f"| {name} | {s['bytes']:,} | {s['reps']} | {s['seconds']:.2f} | {s['retries']} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(ble_table(ble_figures()))
