"""Charts of the statistics pages, specified in Python and drawn in the browser by the vendored Chart.js
(``workspace/static/vendor/chartjs``, MIT) through ``workspace/static/workspace/charts.js``.

A view builds a :class:`Chart` and the page includes ``workspace/stats/_chart.html`` with it: the spec goes into the
page as a ``json_script`` (data, not code: the Content Security Policy allows no inline script) that a
``<canvas data-chart="…">`` names, and the same figures as a table below the canvas (what a screen reader, a
printer or a browser without JavaScript reads). The page loads the two scripts once, with ``{% static %}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# colour-blind safe (Okabe–Ito), with enough contrast on white
PALETTE = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#555555", "#F0E442")
EARLY, ON_TIME, LATE = "#009E73", "#0072B2", "#D55E00"


@dataclass
class Series:
    label: str
    data: list[float | int | None]
    color: str = ""


@dataclass
class Chart:
    """``kind``: bar, line, doughnut or pie. ``percent``: the values are percentages (axis 0–100).
    ``stacked``: the bar series stack. ``horizontal``: bars run across (long labels, narrow screens)."""

    id: str
    title: str
    kind: str
    labels: list[str]
    series: list[Series]
    stacked: bool = False
    percent: bool = False
    horizontal: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> dict[str, Any]:
        """What Chart.js is given (``new Chart(canvas, spec)``), JSON only."""
        round_chart = self.kind in ("doughnut", "pie")
        datasets = []
        for i, series in enumerate(self.series):
            color = series.color or PALETTE[i % len(PALETTE)]
            dataset: dict[str, Any] = {"label": series.label, "data": series.data}
            if round_chart:
                dataset["backgroundColor"] = [PALETTE[j % len(PALETTE)] for j in range(len(self.labels))]
            else:
                dataset["backgroundColor"] = color
                dataset["borderColor"] = color
            if self.kind == "line":
                dataset["tension"] = 0.2
                dataset["spanGaps"] = False
            datasets.append(dataset)
        options: dict[str, Any] = {"plugins": {"title": {"display": False, "text": self.title},
                                               "legend": {"position": "bottom"}}}
        if not round_chart:
            value_axis: dict[str, Any] = {"beginAtZero": True, "stacked": self.stacked}
            if self.percent:
                value_axis["max"] = 100
            else:
                value_axis["ticks"] = {"precision": 0}
            label_axis = {"stacked": self.stacked}
            x, y = (value_axis, label_axis) if self.horizontal else (label_axis, value_axis)
            options["scales"] = {"x": x, "y": y}
            if self.horizontal:
                options["indexAxis"] = "y"
        options.update(self.options)
        return {"type": self.kind, "data": {"labels": self.labels, "datasets": datasets}, "options": options,
                "percent": self.percent}

    @property
    def table(self) -> dict[str, Any]:
        """The same figures as a table: a row per label, a column per series."""
        rows = [{"label": label, "values": [s.data[i] if i < len(s.data) else None for s in self.series]}
                for i, label in enumerate(self.labels)]
        return {"columns": [s.label for s in self.series], "rows": rows}


def bar(id: str, title: str, labels: Sequence[str], series: Sequence[Series], **kwargs: Any) -> Chart:
    return Chart(id, title, "bar", list(labels), list(series), **kwargs)


def line(id: str, title: str, labels: Sequence[str], series: Sequence[Series], **kwargs: Any) -> Chart:
    return Chart(id, title, "line", list(labels), list(series), **kwargs)


def doughnut(id: str, title: str, labels: Sequence[str], values: Sequence[int | float], label: str = "") -> Chart:
    return Chart(id, title, "doughnut", list(labels), [Series(label or title, list(values))])
