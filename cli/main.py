"""The `parking` command line."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TimeElapsedColumn
from rich.table import Table

from engine import Instance, Result, solve
from engine.clock import format_clock
from engine.eligibility import EligibilityTable
from engine.explain import explain_request
from engine.fit import check_fit
from scenarios.calibration import load_calibration
from scenarios.generate import SiteParameters, generate_district, generate_scenario
from scenarios.loader import (
    PLANS,
    ScenarioError,
    load_plan,
    load_scenario,
    parse_scenario,
    write_document,
)
from scenarios.mapping import (
    CSV_COLUMNS,
    result_rows,
    result_to_dict,
    to_demand_model,
    to_instance,
    to_site,
)
from scenarios.schema import RequestModel, ScenarioFile
from service.settings import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from scenarios.charger_count import ChargerReplay, MethodOutcome
    from service.settings import Settings
    from simulation.metrics import PlanSummary

app = typer.Typer(
    help="Nightly allocation of shared parking spaces for residential compounds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
scenario_app = typer.Typer(help="Scenario files: generate and check.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
db_app = typer.Typer(help="The service's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Messages are not wrapped, so paths and sentences stay whole for grep and for tests.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(2)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


ScenarioPath = Annotated[
    Path, typer.Argument(help="Scenario file (YAML or JSON).", show_default=False)
]
TimeLimit = Annotated[
    float,
    typer.Option(
        "--time-limit",
        min=0.01,
        help="Seconds the solver may use; the best allocation found is returned.",
    ),
]


def _load(path: Path) -> tuple[ScenarioFile, Instance]:
    try:
        return load_scenario(path)
    except ScenarioError as error:
        _fail(error.render())


@app.command()
def allocate(
    scenario: ScenarioPath,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write the result here (.json, or .csv for one row per request)."
        ),
    ] = None,
    time_limit: TimeLimit = 10.0,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="What to print on standard output.")
    ] = OutputFormat.table,
    seed: Annotated[
        int,
        typer.Option(
            min=0,
            max=2**31 - 1,
            help="Solver seed; the same seed and input give the same allocation.",
        ),
    ] = 0,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="Solve independent groups of compounds in this many local processes."
        ),
    ] = 1,
    cluster: Annotated[
        str,
        typer.Option(
            help="Address of an existing Dask scheduler (tcp://host:8786) to solve the groups on."
        ),
    ] = "",
) -> None:
    """Allocate tonight's shared spaces and print the outcome."""
    if out_path is not None and out_path.suffix.lower() not in (".json", ".csv"):
        _fail(f"--out {out_path}: the file must end in .json or .csv")
    _, instance = _load(scenario)
    with _executor(workers, cluster) as executor:
        result = solve(instance, time_limit=time_limit, seed=seed, executor=executor)
    if out_path is not None:
        _write(out_path, instance, result)
    if output is OutputFormat.json:
        sys.stdout.write(
            json.dumps(result_to_dict(instance, result), ensure_ascii=False, indent=2) + "\n"
        )
    elif output is OutputFormat.csv:
        sys.stdout.write(_csv_text(instance, result))
    else:
        _print_summary(instance, result)
    if out_path is not None and output is OutputFormat.table:
        out.print(f"Result written to {out_path}")


@app.command()
def explain(
    scenario: ScenarioPath,
    request_id: Annotated[
        str | None,
        typer.Argument(
            help="The request's id in the scenario (or check a stay with --household).",
            show_default=False,
        ),
    ] = None,
    household: Annotated[
        str | None,
        typer.Option(
            help="Check a stay not in the file for this household: could any space take it?"
        ),
    ] = None,
    arrive: Annotated[str, typer.Option(help="The checked stay's arrival, HH:MM.")] = "22:00",
    depart: Annotated[
        str, typer.Option(help="The checked stay's departure, HH:MM (before 12:00: next morning).")
    ] = "07:00",
    size: Annotated[str, typer.Option(help="The checked car's size.")] = "standard",
    needs: Annotated[
        list[str] | None, typer.Option("--need", help="What the checked stay needs (repeat).")
    ] = None,
    time_limit: TimeLimit = 10.0,
) -> None:
    """Why this request got its space, or none; or, with --household, whether any space could
    take a stay before it is asked for (the check the service makes at the request form)."""
    if (request_id is None) == (household is None):
        _fail("name a request of the scenario, or a stay to check with --household (not both)")
    if household is not None:
        _explain_stay(scenario, household, arrive, depart, size, needs or [])
        return
    assert request_id is not None
    _, instance = _load(scenario)
    if request_id not in instance.request_by_id:
        _fail(f"{scenario} has no request {request_id!r}")
    result = solve(instance, time_limit=time_limit)
    lines = explain_request(
        instance,
        EligibilityTable(instance),
        request_id,
        list(result.assignments),
        result.unassigned_of(request_id),
        result.proven_optimal,
    )
    for line in lines:
        out.print(line, highlight=False)
    if not result.proven_optimal:
        out.print(
            f"(The allocation is {result.status.value}, not proven best within {time_limit:g} s.)",
            highlight=False,
        )


def _explain_stay(
    path: Path, household: str, arrive: str, depart: str, size: str, needs: list[str]
) -> None:
    """Whether any space of the scenario's night could take the stay (rented spaces counted as
    released), why not, and the nearest hours per kind that would."""
    scenario, _ = _load(path)
    if household not in {h.id for h in scenario.households}:
        _fail(f"{path} has no household {household!r} (--household)")
    checked = "checked-stay"
    try:
        stay = RequestModel(
            id=checked, household=household, arrive=arrive, depart=depart, size=size, needs=needs
        )
        instance = to_instance(
            scenario.model_copy(update={"requests": [*scenario.requests, stay]}), str(path)
        )
    except ValidationError as error:
        _fail("; ".join(f"--{e['loc'][0]}: {e['msg']}" for e in error.errors()))
    except ScenarioError as error:
        _fail(error.render().replace(f"requests[{len(scenario.requests)}].", "--"))
    fit = check_fit(instance, instance.request_by_id[checked])
    level, source = instance.priority_sources[checked]
    if fit.fits:
        out.print(
            f"{fit.fitting} space(s) could take {arrive}-{depart} ({', '.join(fit.kinds)}); "
            f"priority level {level} ({source}). Whether one is left for it depends on the other "
            "requests of the night.",
            highlight=False,
        )
        return
    out.print(f"No space could take {arrive}-{depart}: {fit.message}.", highlight=False)
    for stay_fits in fit.suggestions:
        out.print(
            f"  {stay_fits.kind} spaces would take "
            f"{format_clock(stay_fits.arrive)}-{format_clock(stay_fits.depart)}",
            highlight=False,
        )
    raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    sys.stdout.write(
        json.dumps(ScenarioFile.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
    )


@scenario_app.command("check")
def check(scenario: ScenarioPath) -> None:
    """Validate a scenario file and print what it holds."""
    _, instance = _load(scenario)
    pool = sum(1 for s in instance.spaces if s.in_pool)
    out.print(
        f"{scenario}: valid. {len(instance.spaces)} spaces ({pool} in tonight's pool), "
        f"{len(instance.households)} households, {len(instance.requests)} requests.",
        highlight=False,
    )


@scenario_app.command("generate")
def generate(
    seed: Annotated[
        int,
        typer.Option(min=0, max=2**31 - 1, help="Random seed: the same seed gives the same file."),
    ] = 0,
    night: Annotated[
        str, typer.Option(help="The evening's date, YYYY-MM-DD (default: today).")
    ] = "",
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Write here (.yaml or .json) instead of standard output."),
    ] = None,
    name: Annotated[str, typer.Option(help="Scenario name.")] = "",
    buildings: Annotated[int, typer.Option(min=1)] = 40,
    marked_spaces: Annotated[int, typer.Option(min=0, help="Marked spaces rented monthly.")] = 345,
    street_spaces: Annotated[int, typer.Option(min=0, help="Tidal street spaces.")] = 101,
    households_without_space: Annotated[int, typer.Option(min=0)] = 135,
    second_cars: Annotated[int, typer.Option(min=0, help="Renters with a second car.")] = 45,
    release_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of renters away tonight.")
    ] = 1 / 8,
    flats_per_building: Annotated[int, typer.Option(min=1)] = 24,
    weekend: Annotated[bool, typer.Option(help="Draw times from weekend nights.")] = False,
    compounds: Annotated[
        int,
        typer.Option(
            min=1,
            help="More than 1: a district of this many such compounds, "
            "in clusters sharing a street.",
        ),
    ] = 1,
) -> None:
    """Generate a realistic scenario of any size: one compound, or a district of many."""
    try:
        evening = date.fromisoformat(night) if night else date.today()
        site = SiteParameters(
            buildings=buildings,
            flats_per_building=flats_per_building,
            marked_spaces=marked_spaces,
            street_spaces=street_spaces,
            households_without_space=households_without_space,
            second_cars=second_cars,
            release_share=release_share,
            weekend=weekend,
        )
    except ValueError as error:
        _fail(str(error))
    if compounds > 1:
        document = generate_district(seed, evening, compounds, site=site, name=name or None)
    else:
        document = generate_scenario(seed, evening, site, name or None)
    to_instance(
        parse_scenario(document, "generated scenario")
    )  # a generator bug must not produce a bad file
    try:
        text = write_document(document, out_path)
    except OSError as error:
        _fail(f"cannot write {out_path}: {error.strerror}")
    if out_path is None:
        sys.stdout.write(text)
    else:
        err.print(
            f"Wrote {out_path}: {len(document['spaces'])} spaces, "
            f"{len(document['households'])} households, {len(document['requests'])} requests.",
            highlight=False,
        )


@app.command()
def simulate(
    scenario: ScenarioPath,
    plan_paths: Annotated[
        list[Path] | None,
        typer.Option(
            "--plan",
            help="A plan file; repeat to compare several (default: the bundled plans).",
            show_default=False,
        ),
    ] = None,
    nights: Annotated[
        int, typer.Option(min=1, max=3650, help="Nights to simulate, from --start on.")
    ] = 90,
    seeds: Annotated[
        int,
        typer.Option(
            min=1,
            max=10_000,
            help="Independent runs of demand; confidence intervals are over these.",
        ),
    ] = 20,
    first_seed: Annotated[
        int,
        typer.Option("--seed", min=0, max=2**31 - 1, help="First seed; runs use seed, seed+1, ..."),
    ] = 0,
    start: Annotated[
        str, typer.Option(help="First evening, YYYY-MM-DD (default: the scenario's night).")
    ] = "",
    report: Annotated[
        Path | None, typer.Option(help="Write the bilingual HTML report here.")
    ] = None,
    raw: Annotated[
        Path | None,
        typer.Option(help="Write one row per plan, seed and night here (.csv or .parquet)."),
    ] = None,
    refused_over: Annotated[
        int,
        typer.Option(min=0, help="Count households refused more than this many nights a month."),
    ] = 5,
    workers: Annotated[
        int, typer.Option(min=1, help="Local processes (default: one per CPU).")
    ] = os.cpu_count() or 1,
    cluster: Annotated[
        str,
        typer.Option(
            help="Address of an existing Dask scheduler (tcp://host:8786) to run the sweep on."
        ),
    ] = "",
    no_show_share: Annotated[
        float | None,
        typer.Option(
            help="Share of served cars that do not come each night, 0 to 1 "
            "(default: the scenario's demand.no_show_share, else 0). A plan with "
            "policy.no_show.after_minutes offers their spaces to the waiting list.",
            show_default=False,
        ),
    ] = None,
    calibration_file: Annotated[
        Path | None,
        typer.Option(
            "--calibration",
            help="Arrival and departure calibration JSON (python -m scenarios.calibration "
            "SESSIONS.csv --out FILE; the sessions may be a compound's own check-ins, "
            "GET /api/v1/compounds/{c}/sessions.csv). Default: the bundled Trondheim one.",
            show_default=False,
        ),
    ] = None,
    time_limit: TimeLimit = 10.0,
) -> None:
    """Compare plans over many nights of simulated demand, before a residents' vote."""
    # Imported here: the report's matplotlib and the statistics cost a second of start-up that
    # the nightly commands do not need.
    from simulation.report import render_report
    from simulation.run import plan_problems
    from simulation.sweep import compare_plans

    if raw is not None and raw.suffix.lower() not in (".csv", ".parquet"):
        _fail(f"--raw {raw}: the file must end in .csv or .parquet")
    # Checked here, not by the option's range: a range lets "nan" through.
    if no_show_share is not None and not 0.0 <= no_show_share <= 1.0:
        _fail(
            f"--no-show-share {no_show_share:g}: give a share of served cars between 0 and 1 "
            "(0.1: one car in ten does not come)"
        )
    if (
        raw is not None
        and raw.suffix.lower() == ".parquet"
        and importlib.util.find_spec("pyarrow") is None
    ):
        _fail(
            "--raw .parquet needs pyarrow: "
            "pip install 'parking-allocation[parquet]' (or write .csv)"
        )
    for option, path in (("--report", report), ("--raw", raw)):
        if path is not None and not path.parent.is_dir():
            _fail(f"{option} {path}: the folder {path.parent} does not exist")
        if path is not None and path.is_dir():
            _fail(f"{option} {path}: is a folder; give a file name")
    scenario_file, instance = _load(scenario)
    site = to_site(scenario_file, instance)
    if not site.shared_cars:
        _fail(
            f"{scenario}: no household lists a car that needs a shared space "
            "(households[].cars); the simulator draws requests from those cars"
        )
    paths = plan_paths or sorted(PLANS.glob("*.yaml"))
    try:
        plans = [load_plan(path) for path in paths]
        if not plan_paths:
            # Bundled plans are named "Plan A — ...", "Plan B — ...": show them in that order.
            paths, plans = zip(*sorted(zip(paths, plans), key=lambda pair: pair[1].name))
        for path, plan in zip(paths, plans):
            problems = plan_problems(site, plan)
            if problems:
                raise ScenarioError(str(path), problems, "plan for this scenario")
    except ScenarioError as error:
        _fail(error.render())
    named: dict[str, Path] = {}
    for path, plan in zip(paths, plans):
        if plan.name in named:
            _fail(
                f"{named[plan.name]} and {path} are both named {plan.name!r}; "
                "the report could not tell them apart"
            )
        named[plan.name] = path
    try:
        evening = date.fromisoformat(start) if start else site.start
        evening + timedelta(days=nights)
    except (ValueError, OverflowError) as error:
        _fail(f"--start {start}: {error}")
    site = replace(site, start=evening)
    try:
        calibration = load_calibration(calibration_file)
    except (OSError, ValueError, TypeError) as error:
        _fail(f"--calibration {calibration_file}: {error}")
    model = to_demand_model(scenario_file.demand, calibration)
    if no_show_share is not None:
        model = replace(model, no_show_share=no_show_share)
    seed_list = list(range(first_seed, first_seed + seeds))
    if not plan_paths:
        err.print(
            f"Comparing the bundled plans: {', '.join(str(p) for p in paths)}", highlight=False
        )
    with Progress(
        *Progress.get_default_columns(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task(
            f"{len(plans)} plans x {seeds} runs x {nights} nights", total=len(plans) * seeds
        )
        with _executor(workers, cluster) as executor:
            comparison = compare_plans(
                site,
                plans,
                model,
                calibration,
                nights,
                seed_list,
                executor,
                lambda run: progress.advance(task),
                refused_over,
                time_limit,
            )
    _print_comparison(comparison.summaries)
    if raw is not None:
        _write_raw(
            raw, [row for runs in comparison.runs.values() for run in runs for row in run.rows]
        )
        out.print(f"Nights written to {raw}", highlight=False)
    if report is not None:
        _write_text(
            report, render_report(site.name, evening, comparison.summaries, model, seed_list)
        )
        out.print(f"Report written to {report}", highlight=False)


@app.command()
def chargers(
    points: Annotated[
        list[str] | None,
        typer.Option(
            help="Charger counts to try, e.g. 1,2,3 or repeated (default: 1,2,3,4,6).",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="The sessions file (default: the Trondheim data in ../shared/data).",
            show_default=False,
        ),
    ] = None,
    first: Annotated[
        str, typer.Option(help="First evening replayed, YYYY-MM-DD (default: the data's).")
    ] = "",
    last: Annotated[
        str, typer.Option(help="Last evening replayed, YYYY-MM-DD (default: the data's).")
    ] = "",
    fairness_nights: Annotated[
        int,
        typer.Option(
            min=0, max=365, help="The engine's fairness window: refusals of this many nights count."
        ),
    ] = 14,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write every figure here as JSON.")
    ] = None,
    time_limit: TimeLimit = 10.0,
) -> None:
    """How many shared chargers: real charging sessions replayed night by night on fewer
    chargers, first come, first served against the engine."""
    from scenarios.charger_count import (
        DEFAULT_POINTS,
        replay_point_counts,
        replay_to_dict,
        sessions_between,
    )
    from scenarios.trondheim import DATA, read_sessions

    counts = _point_counts(points) if points else list(DEFAULT_POINTS)
    first_evening, last_evening = _evening("--first", first), _evening("--last", last)
    if first_evening and last_evening and first_evening > last_evening:
        _fail(f"--first {first} is after --last {last}")
    if json_path is not None and not json_path.parent.is_dir():
        _fail(f"--json {json_path}: the folder {json_path.parent} does not exist")
    path = data or DATA
    try:
        sessions = read_sessions(path)
    except OSError as error:
        _fail(f"--data {path}: {error.strerror}")
    except (KeyError, ValueError, UnicodeDecodeError) as error:
        _fail(f"--data {path}: not a sessions file like the Trondheim one ({error!r})")
    sessions = sessions_between(sessions, first_evening, last_evening)
    if not sessions:
        _fail(
            f"--first/--last: {path} has no session from {first or 'its start'} "
            f"to {last or 'its end'}"
        )
    with Progress(
        *Progress.get_default_columns(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task(f"{len(counts)} charger counts x 2 methods", total=2 * len(counts))
        started = time.perf_counter()
        replay = replay_point_counts(
            sessions, counts, fairness_nights, time_limit, lambda outcome: progress.advance(task)
        )
    seconds = time.perf_counter() - started
    _print_charger_replay(replay, seconds)
    if json_path is not None:
        document = {**replay_to_dict(replay, str(path)), "seconds": seconds}
        _write_text(json_path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        out.print(f"Figures written to {json_path}", highlight=False)


def _point_counts(given: list[str]) -> list[int]:
    """The --points values, each a whole number from 1 to 1,000, commas or repeats between."""
    counts = []
    for text in (part.strip() for item in given for part in item.split(",")):
        if not text.isdigit() or not 1 <= int(text) <= 1000:
            _fail(f"--points {text}: give whole numbers of chargers from 1 to 1000")
        counts.append(int(text))
    return sorted(set(counts))


def _evening(option: str, text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as error:
        _fail(f"{option} {text}: {error}")


def _print_charger_replay(replay: ChargerReplay, seconds: float) -> None:
    from scenarios.charger_count import METHODS, figures

    by_points: dict[int, dict[str, MethodOutcome]] = {o.points: {} for o in replay.outcomes}
    for outcome in replay.outcomes:
        by_points[outcome.points][outcome.method] = outcome
    table = Table(
        title=f"{len(replay.nights)} night{'s' if len(replay.nights) != 1 else ''}, "
        f"{replay.nights[0]} to {replay.nights[-1]}; "
        f"each cell: {' / '.join(METHODS)}",
    )
    table.add_column("chargers", min_width=24)
    for points in by_points:
        table.add_column(str(points), justify="right", no_wrap=True)
    for figure in figures(replay.outcomes[0].sessions, replay.users):
        table.add_row(
            figure.label,
            *(
                " / ".join(figure.text(outcomes[method]) for method in METHODS)
                for outcomes in by_points.values()
            ),
        )
    out.print(table)
    proven = [f"{o.proven_nights} on {o.points}" for o in replay.outcomes if o.proven_nights]
    out.print(
        f"Replayed in {seconds:.1f} s. Nights the engine proved best, of {len(replay.nights)}: "
        f"{', '.join(proven) or 'none'}.",
        highlight=False,
    )


def _print_comparison(summaries: list[PlanSummary]) -> None:
    from simulation.metrics import any_no_shows, metric_rows, needs_of

    first = summaries[0]
    table = Table(
        title=f"{first.nights} nights x {first.seeds} runs; mean [95% confidence interval]"
    )
    table.add_column("measure")
    for summary in summaries:
        table.add_column(summary.plan.name, justify="right")
    for row in metric_rows(
        first.refused_over, first.month_nights, needs_of(summaries), any_no_shows(summaries)
    ):
        table.add_row(row.label, *(row.text(summary) for summary in summaries))
    table.add_row("Nights proven best", *(f"{100 * s.proven_share:.1f} %" for s in summaries))
    out.print(table)


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {path}: {error.strerror}")


def _write_raw(path: Path, rows: list[dict]) -> None:
    if path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pq.write_table(pa.Table.from_pylist(rows), path)
        except OSError as error:
            _fail(f"cannot write {path}: {error}")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    _write_text(path, buffer.getvalue())


@contextmanager
def _executor(workers: int, cluster: str) -> Iterator[Executor | None]:
    """Where independent groups of compounds are solved: here, a local process pool, or Dask."""
    if cluster:
        try:
            from distributed import Client
        except ImportError:
            _fail("--cluster needs Dask: pip install 'parking-allocation[cluster]'")
        try:
            client = Client(cluster, timeout=5)
        except (OSError, TimeoutError, ValueError) as error:
            _fail(f"--cluster {cluster}: cannot reach the Dask scheduler ({error})")
        with client:
            yield client.get_executor()
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
    else:
        yield None


def _write(path: Path, instance: Instance, result: Result) -> None:
    try:
        if path.suffix.lower() == ".csv":
            path.write_text(_csv_text(instance, result), encoding="utf-8")
        else:
            path.write_text(
                json.dumps(result_to_dict(instance, result), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
    except OSError as error:
        _fail(f"cannot write {path}: {error.strerror}")


def _csv_text(instance: Instance, result: Result) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(result_rows(instance, result))
    return buffer.getvalue()


def _print_summary(instance: Instance, result: Result) -> None:
    status = (
        "proven best (no allocation does better)"
        if result.proven_optimal
        else f"{result.status.value}, not proven best"
    )
    out.print(
        f"[bold]{instance.name}[/bold] — night of {instance.night.isoformat()} "
        f"(until {(instance.night + timedelta(days=1)).isoformat()} morning)",
        highlight=False,
    )
    out.print(
        f"Status: [bold]{status}[/bold] · solved in {result.solve_seconds:.3f} s "
        f"· method {result.method}",
        highlight=False,
    )
    if result.message:
        out.print(f"[red]{result.message}[/red]", highlight=False)

    requested = Counter(instance.priorities.values())
    levels = Table(title="Requests by priority level")
    for column in ("priority", "rule", "requests", "served", "refused", "upper bound"):
        levels.add_column(column, justify="left" if column == "rule" else "right")
    labels = {
        rule.priority: rule.label for rule in reversed(instance.policy.priority_rules) if rule.label
    }
    for level in sorted(requested, reverse=True):
        served = result.served_by_priority[level]
        levels.add_row(
            str(level),
            labels.get(level, ""),
            str(requested[level]),
            str(served),
            str(requested[level] - served),
            str(result.bound_by_priority[level]),
        )
    out.print(levels)

    pools = Table(title="Pools tonight")
    for column in ("kind", "spaces shared", "used", "free"):
        pools.add_column(column, justify="left" if column == "kind" else "right")
    shared = Counter(s.kind for s in instance.spaces if s.in_pool)
    used = Counter(
        instance.space_by_id[space].kind for space in {a.space for a in result.assignments}
    )
    for kind in sorted(shared):
        pools.add_row(kind, str(shared[kind]), str(used[kind]), str(shared[kind] - used[kind]))
    out.print(pools)
    out.print(
        f"Walking: {result.objective.walk_m} m in total; "
        f"fairness points served: {result.objective.fairness_points}; "
        f"same space as last night: {result.objective.same_space_as_last_night}",
        highlight=False,
    )

    if result.unassigned:
        refused = Table(title=f"Refused ({len(result.unassigned)})", show_lines=False)
        for column in ("request", "household", "priority", "reason", "why"):
            refused.add_column(column, overflow="fold")
        for unassigned in result.unassigned:
            request = instance.request_by_id[unassigned.request]
            refused.add_row(
                request.id,
                request.household,
                str(instance.priorities[request.id]),
                unassigned.reason.value,
                unassigned.message,
            )
        out.print(refused)


DatabaseUrl = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="DATABASE_URL",
        help="SQLAlchemy URL; default an SQLite file parking.db here.",
    ),
]
_DEFAULT_DB = DEFAULT_DATABASE_URL


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = _DEFAULT_DB) -> None:
    """Create or migrate the database to the current schema."""
    _upgrade(database_url)
    out.print(f"Database {_safe(database_url)} is up to date.", highlight=False)


def _upgrade(database_url: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from service.db import upgrade

    try:
        upgrade(database_url)
    except (SQLAlchemyError, OSError) as error:
        _fail(f"--database-url {_safe(database_url)}: {str(error).splitlines()[0]}")


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("import")
def import_command(
    scenario: ScenarioPath,
    compound: Annotated[
        str, typer.Option(help="Id of the new compound, e.g. laiyang.", show_default=False)
    ],
    name: Annotated[str, typer.Option(help="Display name (default: the scenario's).")] = "",
    database_url: DatabaseUrl = _DEFAULT_DB,
) -> None:
    """Seed a new compound from a scenario file: plan, spaces, households, cars, and its night."""
    from service.compounds import CompoundExists, InvalidPlates, import_scenario
    from service.db import make_engine, make_sessions

    scenario_file, _ = _load(scenario)
    _upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with make_sessions(engine).begin() as session:
            summary = import_scenario(
                session, scenario_file, compound, now=datetime.now(UTC), name=name or None
            )
    except (CompoundExists, InvalidPlates) as error:
        _fail(str(error))
    finally:
        engine.dispose()
    out.print(
        f"Compound {summary.compound}: {summary.households} households, "
        f"{summary.spaces} spaces, {summary.cars} cars; "
        f"night {scenario_file.night}: {summary.requests} requests, "
        f"{summary.releases} released spaces.",
        highlight=False,
    )


@app.command()
def nightly(
    compound: Annotated[str, typer.Option(help="Compound id.", show_default=False)],
    night: Annotated[
        str, typer.Option("--date", help="The evening, YYYY-MM-DD (default: today).")
    ] = "",
    publish_it: Annotated[
        bool,
        typer.Option(
            "--publish", help="Publish the allocation at once (default: leave a draft for staff)."
        ),
    ] = False,
    time_limit: TimeLimit = 20.0,
    database_url: DatabaseUrl = _DEFAULT_DB,
) -> None:
    """Allocate a night, for cron: the draft staff review (or, with --publish, what residents
    see)."""
    from service.actions.allocation import publish, run_night
    from service.actions.calendar import current_evening, cutoff_of
    from service.actions.errors import DomainError
    from service.actions.nights import night_of
    from service.db import make_engine, make_sessions
    from service.models import Compound

    try:
        chosen = date.fromisoformat(night) if night else None
    except ValueError as error:
        _fail(f"--date {night}: {error}")
    settings = _settings(database_url=database_url)
    engine = make_engine(database_url)
    sessions = make_sessions(engine)
    now = datetime.now(UTC)
    try:
        with sessions() as session:
            found = session.get(Compound, compound)
            if found is None:
                _fail(f"--compound {compound}: no such compound in {_safe(database_url)}")
            # Without --date: the night under way in the compound's own time zone.
            evening = chosen or current_evening(found.timezone, now)
            cutoff = cutoff_of(found, evening)
        grace = timedelta(seconds=settings.cutoff_grace_seconds)
        if cutoff <= now < cutoff + grace:
            # Cron at the cutoff: requests that reached the service before it are still taken.
            err.print(
                f"Waiting until {cutoff + grace:%H:%M:%S} for requests sent before the cutoff."
            )
            time.sleep((cutoff + grace - now).total_seconds())
            now = datetime.now(UTC)
        run = run_night(
            sessions=sessions,
            compound_id=compound,
            evening=evening,
            account_id=None,
            time_limit=time_limit,
            now=now,
            cutoff_grace=grace,
        )
        if publish_it:
            with sessions.begin() as session:
                night_row = night_of(session, compound, evening)
                publish(
                    session=session,
                    night=night_row,
                    account_id=None,
                    now=datetime.now(UTC),
                    reminder_minutes=_settings(database_url=database_url).reminder_minutes,
                )
    except DomainError as error:
        _fail(error.message)
    finally:
        engine.dispose()
    result = run.allocation
    served = "/".join(str(v) for v in result.served_by_priority.values())
    state = "published" if publish_it else "draft"
    out.print(
        f"Night of {evening}, compound {compound}: run {run.id}, {result.status}, "
        f"served {served} by priority, {state}.",
        highlight=False,
    )


def _settings(**given: str) -> Settings:
    """The service's settings from the environment (and `given`); a bad value names its variable."""
    from pydantic import ValidationError

    from service.settings import Settings

    try:
        return Settings(**given)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        _fail(f"the environment's settings are not valid: {problems}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    database_url: DatabaseUrl = _DEFAULT_DB,
) -> None:
    """Serve the API (and its documentation at /docs), with the notifications' delivery worker in
    the same process unless PARKING_NOTIFY_IN_PROCESS=false."""
    import threading

    import uvicorn

    from service.db import make_sessions
    from service.main import create_app
    from service.notify.worker import run_worker

    settings = _settings(database_url=database_url)
    served = create_app(settings)
    stop = threading.Event()
    if settings.notify_in_process:
        threading.Thread(
            target=run_worker,
            args=(make_sessions(served.state.engine), settings, stop),
            name="notify",
            daemon=True,
        ).start()
    try:
        uvicorn.run(served, host=host, port=port)
    finally:
        stop.set()


@app.command()
def notify(
    loop: Annotated[
        bool,
        typer.Option(
            "--loop/--once",
            help="Keep delivering (a worker beside the web workers), or one pass and exit.",
        ),
    ] = False,
    database_url: DatabaseUrl = _DEFAULT_DB,
) -> None:
    """Deliver the notifications that are due by e-mail and webhook (PARKING_SMTP_*,
    PARKING_WEBHOOK_*). Several may run at once: each message goes out once per channel."""
    import threading
    from datetime import timedelta

    from service.db import make_engine, make_sessions
    from service.notify.worker import Channels, deliver_due, run_worker

    settings = _settings(database_url=database_url)
    engine = make_engine(settings.database_url, settings.sqlite_synchronous)
    sessions = make_sessions(engine)
    try:
        if loop:
            stop = threading.Event()
            try:
                run_worker(sessions, settings, stop)
            except KeyboardInterrupt:
                stop.set()
            return
        total = None
        while total is None or total.handled == settings.notify_batch:
            total = deliver_due(
                sessions,
                Channels.of(settings),
                batch=settings.notify_batch,
                lease=timedelta(seconds=settings.notify_lease_seconds),
                max_attempts=settings.notify_max_attempts,
            )
            out.print(
                f"sent {total.sent}, to retry {total.retried}, failed {total.failed}, "
                f"held for quiet hours {total.deferred}",
                highlight=False,
            )
    finally:
        engine.dispose()


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="SQLite file of the demo.")] = Path(
        "parking-demo.db"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    reset: Annotated[
        bool, typer.Option(help="Build the demo anew for tonight, replacing the file.")
    ] = False,
    serve_it: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve on 127.0.0.1 afterwards.")
    ] = True,
) -> None:
    """The Laiyang compound in an SQLite file, with demo accounts, tonight allocated and
    published; then serve it. A file made before is served as it is (--reset builds it anew)."""
    from sqlalchemy.exc import DatabaseError

    from service.actions.calendar import current_evening
    from service.demo import RESIDENT_PASSWORD, STAFF, existing_demo, seed_demo, space_tonight
    from service.models import DEFAULT_TIMEZONE

    url = f"sqlite:///{database}"
    if database.exists() and not reset:
        try:
            demo = existing_demo(url)
        except DatabaseError:
            demo = None
        if demo is None:
            _fail(
                f"{database} holds no demo; use --reset to replace it, or --database another file"
            )
        out.print(
            f"Demo database {database} exists: serving it as it is (the Laiyang compound, "
            f"the night of {demo.evening} published); --reset builds it anew for tonight.",
            highlight=False,
        )
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        # The scenario's night becomes the night under way, so that the pages show it as tonight's.
        now = datetime.now(UTC)
        demo = seed_demo(url, current_evening(DEFAULT_TIMEZONE, now), now)
        out.print(
            f"Demo database {database}: the Laiyang compound, "
            f"the night of {demo.evening} allocated and published.",
            highlight=False,
        )
    out.print(f"Open http://127.0.0.1:{port}/ and sign in (username / password):", highlight=False)
    out.print(f"  {'staff':38s} {STAFF[0]} / {STAFF[1]}", highlight=False)
    for role in demo.residents:
        out.print(
            f"  {'resident, ' + role:38s} {demo.username(role)} / {RESIDENT_PASSWORD}",
            highlight=False,
        )
    served = "served tonight, rents a space"
    space = space_tonight(url, demo, served)
    if space is not None:
        out.print(
            f"Check in as {demo.username(served)}: scan the code of space {space} "
            f"(all codes to print: http://127.0.0.1:{port}/staff/codes) or open "
            f"http://127.0.0.1:{port}/s/{space}; the gate: http://127.0.0.1:{port}/staff/gate",
            highlight=False,
        )
    out.print(f"The API and its documentation: http://127.0.0.1:{port}/docs", highlight=False)
    if serve_it:
        serve(host="127.0.0.1", port=port, database_url=url)


if __name__ == "__main__":
    app()
