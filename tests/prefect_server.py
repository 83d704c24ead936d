"""A real ``prefect server start`` on loopback, in a private PREFECT_HOME, for tests and the screenshots
script: what the UI, the scheduler and ``ragmask serve`` do, against the server a user runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(home: Path, port: int) -> dict[str, str]:
    """The environment of the server and of every process that talks to it."""
    return os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # schedules turn into runs within seconds
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError("prefect server did not become healthy")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def prefect_server(home: Path) -> Iterator[dict[str, str]]:
    """Start the server; yields the environment pointing at it; stops it after."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_env(home, port)
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_healthy(env["PREFECT_API_URL"], server)
        yield env
    finally:
        stop(server)
        log.close()


@contextmanager
def ragmask_serve(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``ragmask serve ARGS`` as a background process (its stderr in ``log_path``)."""
    log = log_path.open("ab")
    process = subprocess.Popen(
        [str(BIN / "ragmask"), "serve", *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        stop(process)
        log.close()
