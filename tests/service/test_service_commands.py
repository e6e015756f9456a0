"""`parking db upgrade | import | nightly | demo` against a throw-away SQLite file."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from scenarios.loader import LAIYANG

runner = CliRunner()


def test_upgrade_import_and_a_nightly_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    imported = runner.invoke(
        app, ["import", str(LAIYANG), "--compound", "laiyang", "--database-url", url]
    )
    assert imported.exit_code == 0, imported.output
    assert (
        "Compound laiyang: 480 households, 446 spaces, 525 cars; "
        "night 2026-11-24: 161 requests, 39 released spaces." in imported.stdout
    )
    again = runner.invoke(
        app, ["import", str(LAIYANG), "--compound", "laiyang", "--database-url", url]
    )
    assert again.exit_code == 2 and "compound 'laiyang' already exists" in again.output
    nightly = runner.invoke(
        app,
        [
            "nightly",
            "--compound",
            "laiyang",
            "--date",
            "2026-11-24",
            "--publish",
            "--database-url",
            url,
        ],
    )
    assert nightly.exit_code == 0, nightly.output
    assert "optimal, served 2/101/34 by priority, published" in nightly.stdout
    published = runner.invoke(
        app, ["nightly", "--compound", "laiyang", "--date", "2026-11-24", "--database-url", url]
    )
    assert published.exit_code == 2 and "is published" in published.output


def test_nightly_names_a_missing_compound_and_a_bad_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    runner.invoke(app, ["db", "upgrade", "--database-url", url])
    missing = runner.invoke(
        app, ["nightly", "--compound", "nowhere", "--date", "2026-11-24", "--database-url", url]
    )
    assert missing.exit_code == 2 and "--compound nowhere: no such compound" in missing.output
    bad = runner.invoke(
        app, ["nightly", "--compound", "x", "--date", "24/11", "--database-url", url]
    )
    assert bad.exit_code == 2 and "--date 24/11" in bad.output


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    result = runner.invoke(
        app, ["db", "upgrade", "--database-url", "postgresql+psycopg://u:secret@127.0.0.1:1/x"]
    )
    assert result.exit_code == 2
    assert (
        "postgresql+psycopg://u:***@127.0.0.1:1/x" in result.output
        and "secret" not in result.output
    )


def test_demo_builds_a_published_night_and_prints_the_accounts(tmp_path):
    database = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--database", str(database), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "staff / staff-demo" in result.stdout and "resident, refused tonight" in result.stdout
    again = runner.invoke(app, ["demo", "--database", str(database), "--no-serve"])
    assert again.exit_code == 0 and "exists: serving it as it is" in again.stdout  # not rebuilt


def test_nightly_at_the_cutoff_waits_for_requests_sent_before_it(tmp_path, monkeypatch):
    """cron starts `parking nightly` at the cutoff: it waits out the grace, then runs."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import update

    from service.db import make_engine
    from service.models import Compound

    url = f"sqlite:///{tmp_path / 'parking.db'}"
    imported = runner.invoke(
        app, ["import", str(LAIYANG), "--compound", "laiyang", "--database-url", url]
    )
    assert imported.exit_code == 0, imported.output
    # The cutoff is this very minute, and the grace ends two seconds from now.
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(update(Compound).values(cutoff=f"{local:%H:%M}"))
    engine.dispose()
    monkeypatch.setenv("PARKING_CUTOFF_GRACE_SECONDS", str(local.second + 2))
    ran = runner.invoke(
        app,
        ["nightly", "--compound", "laiyang", "--date", str(local.date()), "--database-url", url],
    )
    assert ran.exit_code == 0, ran.output
    assert "Waiting until" in ran.stderr and "draft" in ran.stdout
