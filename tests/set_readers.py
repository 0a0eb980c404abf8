"""How the tests read each consumer's set counts back: the FIT file's set messages, the plot's
SVG (title and per-set table) and the session page of `calfraise serve`."""

import re

from fit_tool.data_message import DataMessage
from fit_tool.fit_file import FitFile
from fit_tool.profile.profile_type import SetType


def fit_set_counts(data):
    """The repetitions of the active set messages (225) of a FIT file, decoded."""
    fit = FitFile.from_bytes(data)
    messages = [r.message for r in fit.records if isinstance(r.message, DataMessage)]
    return [
        m.repetitions for m in messages if m.global_id == 225 and m.set_type == SetType.ACTIVE.value
    ]


def svg_texts(svg):
    """The texts of a matplotlib SVG, in drawing order (each glyph run has its text as a
    comment)."""
    return re.findall(r"<!-- (.*?) -->", svg)


def plot_counts(svg):
    """(title's sets, title's reps, {set: reps} of the per-set table) of `calfraise plot`'s SVG."""
    texts = svg_texts(svg)
    [title] = [t for t in texts if t.startswith("Session ")]
    sets, reps = map(int, re.search(r"(\d+) sets, (\d+) reps$", title).groups())
    cells = texts[texts.index("mean lowering") + 1 : texts.index(title)]  # rows of 5 cells
    table = {}
    for name, reps_cell in zip(cells[::5], cells[1::5], strict=True):
        table[int(name.removeprefix("set "))] = int(reps_cell.split(" / ")[0])
    return sets, reps, table


def web_counts(html):
    """(the heading's reps, {set: reps}) of the session page's per-set table."""
    reps = int(re.search(r" · (\d+) reps · ", html)[1])
    summary = html.split("<h2>Reps</h2>")[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\d+)(?: \(\d+ partial\))?</td>", summary)
    return reps, {int(s): int(n) for s, n in rows}
