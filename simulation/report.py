"""The notice-board report: one self-contained, printable HTML page in Chinese and English.

Charts are drawn by matplotlib as inline SVG with text left as text (the reader's browser picks a
Chinese font), so the page needs no other file and no network.
"""

from __future__ import annotations

import io
import logging
import warnings
from contextlib import contextmanager
from datetime import date, timedelta
from importlib.resources import files

import matplotlib

matplotlib.use("svg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from engine.clock import format_clock
from simulation.metrics import NEED_LABELS, PlanSummary, any_no_shows, metric_rows, needs_of
from simulation.model import DemandModel
from simulation.run import HOURS

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "parking-report",
    "font.size": 9,
    "font.family": ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_WIDTH = 7.2  # inches; the page's text column
# Colour-blind-safe (Okabe-Ito); each plan also gets its own line style and marker, so the
# charts read in grey print too.
_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_LINES = ["-", "--", ":", "-."]
_MARKERS = ["o", "s", "^", "D"]
_KIND_LABELS = {
    "rented": "出租车位（车位租户外出时共享） / rented spaces, shared while the renter is away",
    "street": "潮汐车位 / tidal street spaces",
}


@contextmanager
def _chart_style():
    """The house style. Layout is measured with whatever font this machine has; the SVG names the
    Chinese fonts first, so a reader's browser draws the labels in one of them."""
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), plt.rc_context(_STYLE):
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            # A run of a night or two has no sensible date ticks; the chart is still drawn.
            warnings.filterwarnings("ignore", message="AutoDateLocator was unable to pick")
            yield
    finally:
        font_log.setLevel(level)


def _svg(figure) -> Markup:
    buffer = io.StringIO()
    # No date, creator or random ids: the same simulation gives a byte-identical report.
    figure.savefig(
        buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
    )
    plt.close(figure)
    text = buffer.getvalue()
    return Markup(text[text.index("<svg") :])


def _figure(rows: int = 1, columns: int = 1, height: float = 3.0, **options):
    """Every chart is the same width, so every chart's text prints at the same size."""
    return plt.subplots(
        rows, columns, figsize=(_WIDTH, height), layout="constrained", squeeze=False, **options
    )


def _plan_label(summary: PlanSummary) -> str:
    plan = summary.plan
    return f"{plan.name_zh} {plan.name}" if plan.name_zh else plan.name


def _legend_below(figure, axes) -> None:
    handles, labels = axes.get_legend_handles_labels()
    # Bilingual plan names are long: two columns only when they are short enough to fit.
    columns = 2 if max(map(len, labels)) <= 36 else 1
    figure.legend(
        handles, labels, loc="outside lower center", ncol=columns, frameon=False, fontsize=8
    )


def _kind_label(kind: str) -> str:
    return _KIND_LABELS.get(kind, kind)


def _served_chart(summaries: list[PlanSummary], start: date) -> Markup:
    with _chart_style():
        figure, axes = _figure(height=3.2)
        axes = axes[0][0]
        for i, summary in enumerate(summaries):
            days = [start + timedelta(days=n) for n in range(summary.nights)]
            axes.plot(
                days,
                summary.served_by_night,
                linestyle=_LINES[i % 4],
                marker=_MARKERS[i % 4],
                markevery=max(1, summary.nights // 12),
                markersize=4,
                color=_COLOURS[i % 8],
                linewidth=1.1,
                label=_plan_label(summary),
            )
        locator = mdates.AutoDateLocator(maxticks=8)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        axes.set_ylabel("每晚分到车位的申请 / served per night")
        _legend_below(figure, axes)
        return _svg(figure)


def _refused_chart(summaries: list[PlanSummary]) -> Markup:
    with _chart_style():
        figure, axes = _figure(height=3.2)
        axes = axes[0][0]
        longest = (
            max(int(np.flatnonzero(s.refused_histogram).max(initial=0)) for s in summaries) + 1
        )
        for i, summary in enumerate(summaries):
            counts = summary.refused_histogram[:longest]
            share = 100 * counts / max(counts.sum(), 1)
            axes.plot(
                np.arange(longest),
                share,
                linestyle=_LINES[i % 4],
                marker=_MARKERS[i % 4],
                markersize=4,
                color=_COLOURS[i % 8],
                label=_plan_label(summary),
            )
        month = summaries[0].month_nights
        axes.set_xlabel(f"每{month}晚中未分到车位的晚数 / nights refused out of {month}")
        axes.set_ylabel("住户占比 % / households %")
        axes.xaxis.get_major_locator().set_params(integer=True)
        _legend_below(figure, axes)
        return _svg(figure)


def _occupancy_chart(summaries: list[PlanSummary]) -> Markup:
    kinds = sorted({kind for s in summaries for kind in s.occupancy})
    if not kinds:
        return Markup("")
    with _chart_style():
        figure, panels = _figure(len(kinds), 1, height=1.3 + 1.9 * len(kinds), sharex=True)
        for panel, kind in zip(panels[:, 0], kinds):
            for i, summary in enumerate(summaries):
                if kind not in summary.occupancy:
                    continue
                colour = _COLOURS[i % 8]
                panel.plot(
                    range(len(HOURS)),
                    summary.occupancy[kind],
                    linestyle=_LINES[i % 4],
                    marker=_MARKERS[i % 4],
                    markersize=3,
                    color=colour,
                    label=_plan_label(summary),
                )
                panel.axhline(
                    summary.capacity[kind],
                    color=colour,
                    linewidth=0.6,
                    linestyle=_LINES[i % 4],
                    alpha=0.6,
                )
            panel.set_title(_kind_label(kind), fontsize=9, loc="left")
            panel.set_ylabel("车辆 / cars")
        bottom = panels[-1, 0]
        bottom.set_xticks(range(0, len(HOURS), 2), [format_clock(minute) for minute in HOURS[::2]])
        bottom.set_xlabel("时刻 / time of night")
        _legend_below(figure, panels[0, 0])
        return _svg(figure)


def _conflict_chart(summaries: list[PlanSummary]) -> Markup:
    month = summaries[0].month_nights
    with _chart_style():
        figure, panels = _figure(1, 2, height=0.9 + 0.45 * len(summaries), sharey=True)
        y = np.arange(len(summaries))
        for panel, (title, estimates, colour) in zip(
            panels[0],
            (
                (
                    "超时停放\ncars past their window",
                    [s.window_overstays_month for s in summaries],
                    _COLOURS[5],
                ),
                (
                    "车位租户回家车位被占\nrenter came home to a taken space",
                    [s.renter_conflicts_month for s in summaries],
                    _COLOURS[0],
                ),
            ),
        ):
            means = np.array([e.mean for e in estimates])
            errors = np.array(
                [[e.mean - e.low for e in estimates], [e.high - e.mean for e in estimates]]
            )
            panel.barh(y, means, 0.6, xerr=errors, color=colour, ecolor="#333", capsize=3)
            panel.set_title(title, fontsize=8, loc="left")
            panel.set_xlabel(f"每{month}晚次数 / per {month} nights", fontsize=8)
        panels[0][0].set_yticks(y, [_plan_label(s) for s in summaries])
        panels[0][0].invert_yaxis()
        return _svg(figure)


def _percent(value: float) -> str:
    return "–" if np.isnan(value) else f"{100 * value:.0f}%"


def plain_summary(summary: PlanSummary) -> tuple[str, str]:
    """(English, Chinese) sentences a resident can read in half a minute."""
    s = summary
    month = s.month_nights
    english = (
        f"On an average night {s.served_per_night.mean:.0f} of {s.requests_per_night.mean:.0f} "
        f"requests get a space ({_percent(s.served_share.mean)}); "
        f"on a bad night (one in twenty) {s.refused_p95.mean:.0f} requests are refused. "
        f"A household that asks is refused on average {s.refused_nights_mean.mean:.1f} nights "
        f"in {month}, and {_percent(s.refused_over_share.mean)} of them more than "
        f"{s.refused_over} nights. "
        f"New residents are served on {_percent(s.served_share_new.mean)} of the nights they "
        f"ask, other residents on {_percent(s.served_share_others.mean)}. "
        f"About {s.renter_conflicts_month.mean:.1f} times in {month} nights a renter comes home "
        f"to find the space still taken (of {s.renters_back_month.mean:.0f} renters coming back); "
        f"{s.window_overstays_month.mean:.0f} cars stay past their window. "
        f"The average walk is {s.walk_m.mean:.0f} m."
    )
    chinese = (
        f"平均每晚{s.requests_per_night.mean:.0f}个申请中"
        f"约{s.served_per_night.mean:.0f}个分到车位（{_percent(s.served_share.mean)}）；"
        f"较差的夜晚（二十晚中的一晚）有{s.refused_p95.mean:.0f}个申请未分到车位。"
        f"申请的住户平均每{month}晚有{s.refused_nights_mean.mean:.1f}晚未分到车位，"
        f"其中{_percent(s.refused_over_share.mean)}的住户超过{s.refused_over}晚。"
        f"新住户在申请的夜晚中有{_percent(s.served_share_new.mean)}分到车位，"
        f"其他住户为{_percent(s.served_share_others.mean)}。"
        f"每{month}晚约有{s.renter_conflicts_month.mean:.1f}次车位租户回家时发现车位仍被占用"
        f"（回家的车位租户约{s.renters_back_month.mean:.0f}人次）；"
        f"{s.window_overstays_month.mean:.0f}辆车超出共享时段停放。"
        f"平均步行{s.walk_m.mean:.0f}米。"
    )
    if s.no_shows_per_night.mean > 0:
        english += (
            f" About {s.no_shows_per_night.mean:.1f} cars a night are given a space and do not "
            "come; "
            + (
                f"{s.refilled_per_night.mean:.1f} of their spaces go to cars on the waiting list, "
                if s.plan.no_show_after_minutes is not None
                else "this plan does not notice them, so their spaces stand empty; "
            )
            + f"{s.served_after_per_night.mean:.0f} cars a night park on a space given them, "
            f"and {s.idle_space_hours_per_night.mean:.0f} space-hours a night are left empty."
        )
        chinese += (
            f"每晚约{s.no_shows_per_night.mean:.1f}辆车分到车位却未到；"
            + (
                f"其中约{s.refilled_per_night.mean:.1f}个车位补给了候补名单上的车辆，"
                if s.plan.no_show_after_minutes is not None
                else "本方案不识别未到场的车，这些车位空置；"
            )
            + f"每晚实到并停在分到车位上的车辆约{s.served_after_per_night.mean:.0f}辆，"
            f"空置约{s.idle_space_hours_per_night.mean:.0f}车位小时。"
        )
    for need, estimate in s.served_share_by_need.items():
        english_need, chinese_need = NEED_LABELS.get(need, (need, need))
        english += (
            f" Cars needing {english_need} are served on {_percent(estimate.mean)} "
            "of the nights they ask."
        )
        chinese += f"需要{chinese_need}的车辆在申请的夜晚中有{_percent(estimate.mean)}分到车位。"
    return english, chinese


def render_report(
    site_name: str, start: date, summaries: list[PlanSummary], model: DemandModel, seeds: list[int]
) -> str:
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = environment.from_string(
        files("simulation").joinpath("report.html.j2").read_text(encoding="utf-8")
    )
    first = summaries[0]
    return template.render(
        site=site_name,
        start=start,
        end=start + timedelta(days=first.nights - 1),
        nights=first.nights,
        seeds=seeds,
        summaries=summaries,
        texts=[plain_summary(s) for s in summaries],
        rows=metric_rows(
            first.refused_over, first.month_nights, needs_of(summaries), any_no_shows(summaries)
        ),
        model=model,
        charts={
            "served": _served_chart(summaries, start),
            "refused": _refused_chart(summaries),
            "occupancy": _occupancy_chart(summaries),
            "conflicts": _conflict_chart(summaries),
        },
    )
