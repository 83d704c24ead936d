"""A throwaway PostgreSQL server on loopback for the lineage tests, from Debian's binaries.

initdb refuses to run as root, so under root the server runs as the ``postgres`` system user (the
Debian package creates it). The cluster lives in a fresh temporary folder with fsync off and trust
authentication on 127.0.0.1 only; it is stopped and deleted when the test session ends.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "ragmask"
DATABASE = "ragmask_test"


class PostgresUnavailableError(RuntimeError):
    """Why no server can be started here (the tests skip with this message)."""


def _bin_dir() -> Path:
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if installed:
        return installed[-1].parent
    raise PostgresUnavailableError(
        "PostgreSQL server binaries not found (apt-get install postgresql); the SQLite lineage tests still run"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as error:
        raise PostgresUnavailableError(
            "running as root and no 'postgres' user to run the server as"
        ) from error
    return ["runuser", "-u", "postgres", "--"]


def _run(prefix: list[str], program: Path, *arguments: str) -> None:
    done = subprocess.run([*prefix, str(program), *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
        raise PostgresUnavailableError(f"{program.name} failed: {last}")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server and yield a SQLAlchemy URL of an empty database on it."""
    import psycopg

    bin_dir, prefix = _bin_dir(), _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="ragmask-pg-"))
    if prefix:
        postgres = pwd.getpwnam("postgres")
        os.chown(root, postgres.pw_uid, postgres.pw_gid)
    data, port = root / "data", _free_port()
    try:
        _run(prefix, bin_dir / "initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            prefix,
            bin_dir / "pg_ctl",
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "start",
        )
        try:
            with psycopg.connect(
                host="127.0.0.1", port=port, user=USER, dbname="postgres", autocommit=True
            ) as c:
                c.execute(f"CREATE DATABASE {DATABASE}")
            yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{DATABASE}"
        finally:
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
