"""From runs to what residents ask: per plan, each figure with a 95 % confidence interval.

Seeds are independent replications, so every figure is first computed per seed and the interval
is Student's t over seeds. Figures "per month" use consecutive 30-night blocks (the whole run if
it is shorter); per-household refusals count whole blocks only, so the nights after the last
whole month are left out of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from simulation.model import Plan, Site
from simulation.run import RunResult

MONTH_NIGHTS = 30
NEW_RESIDENT_TAG = "new_resident"


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, per_seed: Sequence[float], highest: float = np.inf) -> Estimate:
        """Mean and t-interval over seeds, the interval cut to the values the figure can take
        (every figure here is a count or a share: never negative; shares at most 1)."""
        values = np.asarray(per_seed, dtype=np.float64)
        values = values[~np.isnan(values)]
        if values.size == 0:
            return cls(float("nan"), float("nan"), float("nan"))
        mean = float(values.mean())
        if values.size < 2:
            return cls(mean, mean, mean)
        half = float(
            stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
        )
        return cls(mean, max(0.0, mean - half), min(highest, mean + half))

    def text(self, digits: int = 1) -> str:
        if np.isnan(self.mean):
            return "–"
        if self.low == self.high:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


@dataclass(frozen=True)
class PlanSummary:
    plan: Plan
    nights: int
    seeds: int
    month_nights: int
    refused_over: int
    requests_per_night: Estimate
    served_per_night: Estimate
    served_p5: (
        Estimate  # the 5th percentile of nights (low demand on Fridays and Saturdays counts too)
    )
    refused_p95: Estimate  # the 95th percentile of requests refused a night: a bad night
    served_share: Estimate
    refused_nights_mean: Estimate  # per household that asked, per month
    refused_nights_max: Estimate
    refused_gini: Estimate
    refused_over_share: Estimate  # households refused more than `refused_over` nights in a month
    # Refused nights per month of a household without a space of its own (that asked that month).
    refused_nights_without_space: Estimate
    # Per month, whole compound: requests refused because no space could take them at all (hours
    # outside every window, a need no space offers), apart from refusals for lack of space.
    refused_no_fit_month: Estimate
    refused_taken_month: Estimate
    served_share_new: Estimate  # of the nights new residents asked, the share they were served
    served_share_others: Estimate
    # need -> the same share for households whose car needs it (an EV charger, an accessible space)
    served_share_by_need: dict[str, Estimate]
    renter_conflicts_month: Estimate  # renters back home to find their space still occupied
    renters_back_month: Estimate
    window_overstays_month: Estimate
    walk_m: Estimate
    # Per night: served cars that did not come, waiting requests given their spaces, served after
    # both (cars that came to a space given them), and hours of the no-shows' stays left empty.
    no_shows_per_night: Estimate
    refilled_per_night: Estimate
    served_after_per_night: Estimate
    idle_space_hours_per_night: Estimate
    proven_share: float
    solve_seconds: float
    served_by_night: np.ndarray  # mean over seeds, per night
    refused_histogram: np.ndarray  # households (pooled over seeds and months) by refused nights
    occupancy: dict[str, np.ndarray]  # kind -> mean cars present at each of simulation.run.HOURS
    capacity: dict[str, float]  # kind -> mean spaces offered per night


def _share(per_seed: Sequence[float]) -> Estimate:
    return Estimate.of(per_seed, highest=1.0)


def gini(values: np.ndarray) -> float:
    """0 when everyone is refused equally often, towards 1 when one household takes all refusals."""
    values = np.sort(np.asarray(values, dtype=np.float64))
    if values.size == 0 or values.sum() == 0:
        return 0.0
    ranks = np.arange(1, values.size + 1)
    return float((2 * ranks - values.size - 1) @ values / (values.size * values.sum()))


def _months(nights: int) -> list[slice]:
    if nights < MONTH_NIGHTS:
        return [slice(0, nights)]
    return [
        slice(start, start + MONTH_NIGHTS)
        for start in range(0, nights - MONTH_NIGHTS + 1, MONTH_NIGHTS)
    ]


def summarise(
    site: Site, plan: Plan, runs: Sequence[RunResult], refused_over: int = 5
) -> PlanSummary:
    nights = len(runs[0].rows)
    months = _months(nights)
    month_nights = months[0].stop - months[0].start
    new = np.array([NEW_RESIDENT_TAG in h.tags for h in site.households])
    without_space = np.array([not h.has_space for h in site.households], dtype=bool)
    index = {h.id: i for i, h in enumerate(site.households)}
    needing: dict[str, np.ndarray] = {}
    for car in site.shared_cars:
        for need in car.needs:
            needing.setdefault(need, np.zeros(len(site.households), dtype=bool))[
                index[car.household]
            ] = True
    groups = [("new", new), ("others", ~new)] + [
        (f"need:{need}", mask) for need, mask in sorted(needing.items())
    ]

    per_seed: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        per_seed.setdefault(name, []).append(value)

    refused_counts: list[np.ndarray] = []
    for run in runs:
        column = {
            key: np.array([row[key] for row in run.rows], dtype=np.float64)
            for key in (
                "requests",
                "served",
                "walk_m_mean",
                "renter_conflicts",
                "renters_back",
                "window_overstays",
            )
        }
        no_fit = np.array([row.get("refused_no_fit", 0) for row in run.rows], dtype=np.float64)
        for key in ("no_shows", "refilled", "idle_space_hours"):
            add(key, float(np.mean([row.get(key, 0) for row in run.rows])))
        add(
            "served_after",
            float(np.mean([row.get("served_after", row["served"]) for row in run.rows])),
        )
        add("requests", column["requests"].mean())
        add("served", column["served"].mean())
        add("p5", np.percentile(column["served"], 5))
        add("refused_p95", np.percentile(column["requests"] - column["served"], 95))
        add(
            "share",
            column["served"].sum() / column["requests"].sum()
            if column["requests"].sum()
            else np.nan,
        )
        served_nights = column["served"] > 0
        add(
            "walk",
            np.average(
                column["walk_m_mean"][served_nights], weights=column["served"][served_nights]
            )
            if served_nights.any()
            else np.nan,
        )
        scale = month_nights / nights
        for key in ("renter_conflicts", "renters_back", "window_overstays"):
            add(key, column[key].sum() * scale)
        add("no_fit", no_fit.sum() * scale)
        add("taken", (column["requests"] - column["served"] - no_fit).sum() * scale)
        means, maxima, ginis, over, without = [], [], [], [], []
        for month in months:
            asked = run.asked[month].sum(axis=0) > 0
            counts = run.refused[month].sum(axis=0)[asked]
            refused_counts.append(counts)
            means.append(counts.mean() if counts.size else 0.0)
            maxima.append(counts.max() if counts.size else 0.0)
            ginis.append(gini(counts))
            over.append((counts > refused_over).mean() if counts.size else 0.0)
            asked_without = asked & without_space
            counts_without = run.refused[month].sum(axis=0)[asked_without]
            without.append(counts_without.mean() if counts_without.size else np.nan)
        add("refused_mean", float(np.mean(means)))
        add("refused_max", float(np.mean(maxima)))
        add("gini", float(np.mean(ginis)))
        add("over", float(np.mean(over)))
        known = [value for value in without if not np.isnan(value)]
        add("without_space", float(np.mean(known)) if known else np.nan)
        asked_nights = run.asked > 0
        for label, group in groups:
            asked_in_group = asked_nights[:, group].sum()
            add(
                label,
                1 - run.refused[:, group].sum() / asked_in_group if asked_in_group else np.nan,
            )

    rows = [row for run in runs for row in run.rows]
    kinds = sorted(runs[0].occupancy)
    pooled = np.concatenate(refused_counts) if refused_counts else np.zeros(0, dtype=np.int64)
    return PlanSummary(
        plan=plan,
        nights=nights,
        seeds=len(runs),
        month_nights=month_nights,
        refused_over=refused_over,
        requests_per_night=Estimate.of(per_seed["requests"]),
        served_per_night=Estimate.of(per_seed["served"]),
        served_p5=Estimate.of(per_seed["p5"]),
        refused_p95=Estimate.of(per_seed["refused_p95"]),
        served_share=_share(per_seed["share"]),
        refused_nights_mean=Estimate.of(per_seed["refused_mean"]),
        refused_nights_max=Estimate.of(per_seed["refused_max"]),
        refused_gini=_share(per_seed["gini"]),
        refused_over_share=_share(per_seed["over"]),
        refused_nights_without_space=Estimate.of(per_seed["without_space"]),
        refused_no_fit_month=Estimate.of(per_seed["no_fit"]),
        refused_taken_month=Estimate.of(per_seed["taken"]),
        served_share_new=_share(per_seed["new"]),
        served_share_others=_share(per_seed["others"]),
        served_share_by_need={need: _share(per_seed[f"need:{need}"]) for need in sorted(needing)},
        renter_conflicts_month=Estimate.of(per_seed["renter_conflicts"]),
        renters_back_month=Estimate.of(per_seed["renters_back"]),
        window_overstays_month=Estimate.of(per_seed["window_overstays"]),
        walk_m=Estimate.of(per_seed["walk"]),
        no_shows_per_night=Estimate.of(per_seed["no_shows"]),
        refilled_per_night=Estimate.of(per_seed["refilled"]),
        served_after_per_night=Estimate.of(per_seed["served_after"]),
        idle_space_hours_per_night=Estimate.of(per_seed["idle_space_hours"]),
        proven_share=sum(row["status"] == "optimal" for row in rows) / len(rows),
        solve_seconds=float(np.mean([row["solve_seconds"] for row in rows])),
        served_by_night=np.mean([[row["served"] for row in run.rows] for run in runs], axis=0),
        refused_histogram=np.bincount(pooled.astype(np.int64), minlength=month_nights + 1),
        occupancy={
            kind: np.mean([run.occupancy[kind].mean(axis=0) for run in runs], axis=0)
            for kind in kinds
        },
        capacity={
            kind: float(np.mean([run.capacity[kind].mean() for run in runs])) for kind in kinds
        },
    )


@dataclass(frozen=True)
class MetricRow:
    """One line of the comparison table, in both languages."""

    label: str
    label_zh: str
    value: Callable[[PlanSummary], Estimate]
    digits: int = 1
    percent: bool = False

    def text(self, summary: PlanSummary) -> str:
        value, interval = self.parts(summary)
        return f"{value} {interval}" if interval else value

    def parts(self, summary: PlanSummary) -> tuple[str, str]:
        """The mean and its interval as two strings, e.g. ("82.7 %", "[82.2, 83.1]")."""
        estimate = self.value(summary)
        scale, unit = (100, " %") if self.percent else (1, "")
        if np.isnan(estimate.mean):
            return "–", ""
        value = f"{scale * estimate.mean:.{self.digits}f}{unit}"
        if estimate.low == estimate.high:
            return value, ""
        return (
            value,
            f"[{scale * estimate.low:.{self.digits}f}, {scale * estimate.high:.{self.digits}f}]",
        )


NEED_LABELS = {
    "ev_charger": ("an EV charger", "充电桩"),
    "accessible": ("an accessible space", "无障碍车位"),
}


def _need_row(need: str) -> MetricRow:
    english, chinese = NEED_LABELS.get(need, (need, need))
    return MetricRow(
        f"Cars needing {english}: nights asked and served",
        f"需要{chinese}的车辆：申请的夜晚中分到车位",
        lambda s: s.served_share_by_need.get(need, Estimate.of([])),
        percent=True,
    )


def needs_of(summaries: Sequence[PlanSummary]) -> list[str]:
    return sorted({need for summary in summaries for need in summary.served_share_by_need})


def any_no_shows(summaries: Sequence[PlanSummary]) -> bool:
    """Whether some plan saw a served car not come (the no-show rows are shown only then)."""
    return any(summary.no_shows_per_night.mean > 0 for summary in summaries)


NO_SHOW_ROWS = [
    MetricRow(
        "No-shows per night (served cars that did not come)",
        "每晚未到场车辆（分到车位但未到）",
        lambda s: s.no_shows_per_night,
    ),
    MetricRow(
        "Their spaces given to the waiting list, per night",
        "每晚由候补名单补上的车位",
        lambda s: s.refilled_per_night,
    ),
    MetricRow(
        "Served per night after no-shows and refills (cars that came)",
        "扣除未到场、加上候补给出的车位后每晚分到车位数（实到车辆）",
        lambda s: s.served_after_per_night,
    ),
    MetricRow(
        "Space-hours left empty by no-shows, per night",
        "每晚因未到场空置的车位小时数",
        lambda s: s.idle_space_hours_per_night,
    ),
]


def metric_rows(
    refused_over: int, month_nights: int, needs: Sequence[str] = (), no_shows: bool = False
) -> list[MetricRow]:
    month = "month" if month_nights == MONTH_NIGHTS else f"{month_nights} nights"
    month_zh = "每月" if month_nights == MONTH_NIGHTS else f"每{month_nights}晚"
    return [
        MetricRow("Requests per night", "每晚申请数", lambda s: s.requests_per_night),
        MetricRow("Served per night", "每晚分到车位数", lambda s: s.served_per_night),
        MetricRow(
            "Served per night, 5th percentile", "每晚分到车位数（第5百分位）", lambda s: s.served_p5
        ),
        MetricRow(
            "Refused on a bad night (95th percentile)",
            "较差夜晚未分到车位数（第95百分位）",
            lambda s: s.refused_p95,
        ),
        MetricRow(
            "Share of requests served", "申请分到车位比例", lambda s: s.served_share, percent=True
        ),
        *(NO_SHOW_ROWS if no_shows else ()),
        MetricRow(
            f"Refused nights per household, per {month}",
            f"{month_zh}每户未分到车位晚数",
            lambda s: s.refused_nights_mean,
            digits=2,
        ),
        MetricRow(
            f"Most refused household, nights per {month}",
            f"{month_zh}未分到车位最多的住户（晚）",
            lambda s: s.refused_nights_max,
        ),
        MetricRow(
            "Gini of refusals (0 = shared equally)",
            "未分到车位的基尼系数（0 = 平均分担）",
            lambda s: s.refused_gini,
            digits=2,
        ),
        MetricRow(
            f"Households refused more than {refused_over} nights per {month}",
            f"{month_zh}未分到车位超过{refused_over}晚的住户",
            lambda s: s.refused_over_share,
            percent=True,
        ),
        MetricRow(
            "New residents: nights asked and served",
            "新住户：申请的夜晚中分到车位",
            lambda s: s.served_share_new,
            percent=True,
        ),
        MetricRow(
            "Other residents: nights asked and served",
            "其他住户：申请的夜晚中分到车位",
            lambda s: s.served_share_others,
            percent=True,
        ),
        *(_need_row(need) for need in needs),
        MetricRow(
            f"Renters back home to an occupied space, per {month}",
            f"{month_zh}车位租户回家发现车位被占次数",
            lambda s: s.renter_conflicts_month,
            digits=2,
        ),
        MetricRow(
            f"Cars staying past their window, per {month}",
            f"{month_zh}超出共享时段停放的车辆",
            lambda s: s.window_overstays_month,
        ),
        MetricRow(
            "Walk from home to the space (m)",
            "从家到车位的步行距离（米）",
            lambda s: s.walk_m,
            digits=0,
        ),
    ]
