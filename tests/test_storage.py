"""The session store on LittleFS over simulated NOR flash, on the unix port: durability by the
1-s timer, recovery at boot, the index, the full-flash policy (tests/mp/storage_scenarios.py)."""

import json
from pathlib import Path

import pytest

from calfraise.device import PORT

SCENARIOS = Path(__file__).parent / "mp" / "storage_scenarios.py"


@pytest.fixture
def scenario(micropython):
    def run(name):
        return json.loads(micropython(script=SCENARIOS, args=[name], path=[PORT]))

    return run


def test_records_wait_for_the_timer_and_a_commit_costs_one_erase(scenario):
    got = scenario("durability")
    # hold_ms=500: due() once the oldest pending record is 500 ms old, not before
    assert got["due"] == [[False, False, True]] * 20
    assert got["due_after_flush"] is False
    # LittleFS keeps a small file inline (no erase); later each commit copies the last block
    assert got["erases"][:3] == [0, 0, 0] and set(got["erases"][3:]) == {1}
    # the 21st rep was pending when power failed: lost; the 20 committed ones all survive
    assert got["reps"] == list(range(1, 21))
    assert got["closed"] == [1]
    assert got["end"] == {"reason": "interrupted", "end_ms": 61000, "reps": 20, "sets": 1}


def test_recovery_closes_the_cut_session_and_tidies_up(scenario):
    got = scenario("recovery")
    assert got["closed"] == [2] and got["again"] == []
    # the torn record was dropped and the log closed after its last good record
    assert (got["reps"], got["skipped"]) == (3, 0)
    assert got["end"] == {"reason": "interrupted", "end_ms": 9000, "reps": 3, "sets": 2}
    # the empty log (header never committed) is gone; its id is not reused
    assert got["files"] == ["000001.cfs", "000002.cfs", "index"]
    assert got["next"] == 10
    assert [s[:1] + s[2:] for s in got["sessions"]] == [[1, True, False], [2, False, False]]
    # a lost index is rebuilt from the logs: nothing is lost, synced flags are forgotten
    assert [(s[0], s[2]) for s in got["rebuilt"]] == [(1, False), (2, False), (10, False)]
    assert got["rebuilt_closed"] == [2]


def test_index_lists_sizes_and_synced_flags_across_reboots(scenario):
    got = scenario("index")
    a, b = got["sizes"]
    assert got["listed_open"] == [[1, a, True, False], [2, b, False, False], [3, 37, False, True]]
    assert got["errors"] == [
        "session 3 is still being recorded",
        "session 3 is still being recorded",
        "no session 99",
    ]
    assert got["closed"] == []
    assert [s[0] for s in got["after"]] == [1, 3]
    assert got["after"][0] == [1, a, True, False]
    assert got["files"] == ["000001.cfs", "000003.cfs", "index"]


def test_a_full_flash_refuses_a_new_session_rather_than_lose_an_unsynced_one(scenario):
    got = scenario("full")
    assert got["refused"].endswith("a session needs 8192: sync with the host")
    assert got["full"] is True and got["lost"] == 0
    assert got["hours"] == sorted(got["hours"], reverse=True)
    # under a session's reserve, sessions go on counting without their detail; then refused
    first_bare = got["detailed"].index(False)
    assert got["detailed"] == [True] * first_bare + [False] * (len(got["made"]) - first_bare)
    # once the host has sessions 1 and 2, they (and only they) make room for the next one
    assert got["after_sync"] == len(got["made"]) + 1
    assert got["sessions"] == got["made"][2:] + [got["after_sync"]]


def test_the_user_may_let_the_oldest_unsynced_sessions_go(scenario):
    got = scenario("full_delete_unsynced")
    assert got["refused"] is None and got["full"] is False
    assert got["made"] == list(range(1, 41))
    assert got["lost"] == 40 - len(got["sessions"]) > 0
    assert got["sessions"] == got["made"][got["lost"] :]  # the oldest went first


def test_a_multi_hour_session_on_a_full_flash_keeps_every_counted_rep(scenario):
    got = scenario("fills_up")
    [off] = got["turned_off"]  # the detail stopped once, then every rep was still counted
    assert got["detailed"] == off < 3600 and got["full"] is True and got["skipped"] == 0
    assert got["end"] == {"reason": "timeout", "end_ms": 10_800_000, "reps": 3600, "sets": 300}
    assert got["summary"] == [None, 3600, 300]  # what LIST_SESSIONS says: the counted reps
    assert got["counted"] == 3600  # rep() said so for each, with or without the detail
    assert got["ends_kept"] == len(got["set_ends"])  # set_end() says which it could keep
    assert got["kept"] == 4096  # the last block, kept for the summary
    # the summary's kept block holds the set ends of the ~190 sets after the detail stopped
    assert got["set_ends"] == [12] * len(got["set_ends"]) and len(got["set_ends"]) > off // 12 + 150
    # to the byte: set ends of 21 bytes (a 12-byte body in a 9-byte frame, docs/storage.md)
    # in the kept block less the END's 64 bytes; the flash had room for more, not the budget
    assert (got["kept"] - 64) // 21 == got["ends_after_off"] < 300 - off // 12


def test_clock_fix_bad_input_and_a_second_begin(scenario):
    got = scenario("records_api")
    assert got["no_session"] == [False, False, False]
    assert got["recorded"] == [True, True, True]  # clock fix, rep, set end: a session is open
    assert got["errors"] == [
        "hold_ms 70300 outside 0..65535",
        "end reason 'lunch' is not one of ('ended', 'timeout', 'button', 'interrupted', 'full')",
    ]
    assert got["header"]["wall_ms"] is None and got["header"]["settings"] == {"tempo_cue": True}
    assert got["wall_ms"] == 1700000000000 - 3000
    assert got["sets"] == [{"set": 1, "reps": 1, "start_ms": 1000, "end_ms": 15000}]
    assert got["second"] == 2 and got["reps"] == 1
    assert got["bad_clock"] == [None, 0, 0]  # a start no u32 holds is no date (it broke LIST)
    assert got["end"] == {"reason": "ended", "end_ms": 25000, "reps": 1, "sets": 1}


def test_free_space_in_hours_learns_from_the_stored_sessions(scenario):
    got = scenario("hours")
    free, hours = got["first"]
    assert hours == free / 49152  # no history yet: typical short sessions, a block each
    free, hours = got["unsynced"]
    assert hours == free / 2048  # 4096 bytes held two hours of session (exact in binary)
    assert got["synced"] == (free + 4096) / 2048  # a synced one may go


def test_the_index_file_byte_by_byte(scenario):
    """Next id 4; sessions 1 (2 reps, 7 s, synced, undated), 2 (ended as it began, undated)
    and 3 (open, dated): what a reboot reads back."""
    got = scenario("index_bytes")
    assert got["got"] == got["want"]


def test_session_ids_use_all_32_bits(scenario):
    for first, got in scenario("large_ids").items():
        ids = [int(first) + k for k in range(3)]
        assert got["made"] == ids
        assert [[s[0], s[2], s[3]] for s in got["sessions"]] == [
            [ids[1], True, False],
            [ids[2], False, False],
        ]
        assert got["entry"][1:] == [4000, 7]  # 4 s; closed, synced, undated


def test_undated_sessions_are_dated_once_the_clock_is_set_in_their_run(scenario):
    got = scenario("dating")
    closed, undated = 2, 4
    assert got["before"] == [closed | undated, closed | undated, closed, undated]
    assert got["after"] == [closed] * 4  # the open one was dated by its own clock fix
    assert got["rebooted"] == got["after"]  # the index has them
    assert all(index == file for index, file in got["sizes"])  # the index knows the new bytes
    assert got["run"] == {"run": 3, "run_ms": 5000, "known_ms": 4000}
    # its start in its run (5 s) plus the clock's offset; one without a RUN record: the host's
    assert got["fixes"] == [[{"at_ms": 0, "wall_ms": 1700000000000}], [], []]
    assert got["wall_ms"] == [1700000000000, None] and got["skipped"] == [0, 0]
    # after a power loss nobody here can date them: forgotten, and so after the next reboot
    assert (got["undated"], got["forgotten"], got["e"]) == (closed | undated, closed, [])
    assert got["forgotten_at_once"] == closed  # forget_undated saved the index itself
    assert got["f"] == closed  # dated with no session open: the index was saved all the same


def test_a_session_begun_without_recover_recovers_first(scenario):
    got = scenario("begin_recovers")
    assert got["fresh"] == [False, 0]  # no storage_full flag at boot
    assert got["ids"] == [1, 2] and got["again"] == []
    assert got["end"] == {"reason": "interrupted", "end_ms": 3000, "reps": 1, "sets": 1}


def test_flash_per_hour_counts_whole_blocks(scenario):
    got = scenario("hours_by_blocks")
    assert got["sizes"] == [4096, 4097]
    (free, hours), (free2, hours2) = got["hours"]
    assert hours == free / 4096  # one hour in one block: an hour of history is enough
    assert hours2 == pytest.approx(free2 / (3 * 4096) * 2, rel=1e-12)  # two hours, 3 blocks


def test_what_a_session_list_says_of_each_session(scenario):
    assert scenario("summaries") == [
        [1, 0, 0],  # begun at 1 s past 1970
        [None, 0, 0],  # 0.999 s: no date (0 means none in LIST_SESSIONS)
        [4294967295, 0, 0],  # the last second a u32 holds
        [1700000020, 0, 0],
        [1699999997, 12, 2],  # dated by a clock fix 3 s in; open: its durable reps
        [1699999997, 12, 2],
    ]


def test_a_long_session_deletes_synced_sessions_to_keep_its_detail(scenario):
    got = scenario("room_mid_session")
    assert got["turned_off"] == [] and got["full"] is False and got["reps"] == 2600
    # on this flash: the three oldest at the first shortfall, one more at the next; each time
    # only as many as the 16-KB reserve needs, and the rest stay
    assert got["left"] == [[1, 2, 3, 4, 5, 6], [4, 5, 6], [5, 6]]


def test_set_ends_fill_the_block_kept_for_the_summary(scenario):
    got = scenario("set_ends_fill_the_kept_block")
    assert got["free"] == 4096  # one block: under the 8-KB reserve, so no per-rep detail
    assert got["kept"] == got["stored"] == 192  # 21-byte set ends in 4096 - 64 (the END's room)
    assert got["end"] == {"reason": "button", "end_ms": 400000, "reps": 0, "sets": 0}


def test_a_flash_smaller_than_the_margin_has_nothing_free(scenario):
    got = scenario("below_the_margin")
    # LittleFS reports a few free blocks, all inside the 8 kept for the filesystem: 0 bytes
    assert 0 < got["statvfs_free_blocks"] < 8
    assert got["free"] == 0
    assert got["refused"] == "0 bytes free, a session needs 16384: sync with the host"


def test_the_detail_stops_once_it_has_grown_all_but_two_blocks_of_the_free_space(scenario):
    """The detail may use what was free at begin() but the kept block; with one block of that
    left the store reads the free space again. Landing on it to the byte: that commit finds
    only the kept block free and turns the detail off, not the one after."""
    got = scenario("detail_budget")
    assert got["grown"] == got["free"] - 2 * 4096
    assert got["turned_off"] == [False] * (len(got["turned_off"]) - 1) + [True]
    assert got["left"] == 4096


def test_the_index_and_settings_are_written_with_the_session_file_closed_till_its_commit(scenario):
    got = scenario("one_file_at_a_time")
    assert got["most_open"] == 1 and got["open_during_settings"] == [0]
    assert got["errors"] == [["storage", "memory allocation failed, allocating 252 bytes"]]
    assert got["reps"] == [1, 2]  # the second was pending through the refused reopen
    assert [s[2:] for s in got["sessions"]] == [[True, False], [False, False]]  # synced, open
    assert [s[1] for s in got["sessions"]] == got["file_sizes"]
    assert got["settings"] == 10
