"""A PostgreSQL 15 server of our own, from this machine's Debian packages (initdb, pg_ctl), in a
temporary directory on a free port, stopped at the end. As root, it runs as the `postgres` user,
since PostgreSQL refuses to run as root. Used by the service tests and the benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from service.db import make_engine

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_databases = count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(fsync: bool = False) -> Iterator[str]:
    """A running server's URL (no database); `fsync` off for tests, on to measure honestly."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(
            "PostgreSQL 15 is not installed: apt-get install postgresql-15 (.ci/run does this)"
        )
    root = Path(tempfile.mkdtemp(prefix="parking-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "parking"]
    subprocess.run(_as_postgres([*initdb, "--no-sync"]), check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300"
    if not fsync:
        options += " -c fsync=off"
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        _as_postgres([*pg_ctl, "-l", str(root / "log"), "-w", "-o", options, "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://parking@127.0.0.1:{port}"
    finally:
        stop = [*pg_ctl, "-m", "immediate", "stop"]
        # A server that is already gone is fine.
        subprocess.run(_as_postgres(stop), capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str) -> str:
    """A new empty database on the server; its URL."""
    name = f"test_{next(_databases)}"
    engine = make_engine(f"{server}/postgres")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"{server}/{name}"
