"""`parking demo` twice: the second time serves the demo the first made (issue 11)."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_the_demo_made_once_is_served_again_and_reset_builds_it_anew(tmp_path):
    """Guards against the demo's one-liner failing the second time ("parking-demo.db exists; use
    --reset"): the existing file is served as it is, and says so; --reset builds it anew; a file
    that holds no demo is named, not overwritten."""
    database = tmp_path / "parking-demo.db"
    first = runner.invoke(app, ["demo", "--database", str(database), "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "allocated and published" in first.output and "laiyang/" in first.output

    again = runner.invoke(app, ["demo", "--database", str(database), "--no-serve"])
    assert again.exit_code == 0, again.output
    assert f"Demo database {database} exists: serving it as it is" in again.output
    assert "--reset builds it anew for tonight" in again.output
    # The same accounts are printed, so the one-liner's instructions hold the second time too.
    accounts = [line for line in first.output.splitlines() if " / " in line]
    assert [line for line in again.output.splitlines() if " / " in line] == accounts

    reset = runner.invoke(app, ["demo", "--database", str(database), "--no-serve", "--reset"])
    assert reset.exit_code == 0 and "allocated and published" in reset.output

    other = tmp_path / "notes.db"
    other.write_text("not a database")
    refused = runner.invoke(app, ["demo", "--database", str(other), "--no-serve"])
    assert refused.exit_code == 2 and "holds no demo" in refused.output
    assert other.read_text() == "not a database"
