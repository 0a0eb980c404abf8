"""The two ends of every host plot: a matplotlib Figure on the Agg canvas (no pyplot, no
display, no global backend switch) and the finished figure as PNG or SVG bytes."""

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100


def new_figure(size):
    """An empty figure of size (width, height) inches, laid out by matplotlib."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_bytes(fig, fmt):
    """The figure as fmt ("png" or "svg") bytes."""
    out = io.BytesIO()
    fig.savefig(out, format=fmt, dpi=DPI)
    return out.getvalue()
