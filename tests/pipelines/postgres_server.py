"""A throw-away PostgreSQL server for tests: initdb into a temporary folder, start on a free port of 127.0.0.1,
stop and remove afterwards. Never skipped: if the server binaries are missing, they are installed with apt-get
when that is possible (root on Debian/Ubuntu), otherwise the test fails saying how to install them."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them, e.g. `apt-get install postgresql` on "
    "Debian/Ubuntu or `brew install postgresql` on macOS, or put their folder on PATH."
)


def _find_bin_dir() -> Path | None:
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return Path(shutil.which("initdb")).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):  # Debian's layout
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def postgres_bin_dir() -> Path:
    found = _find_bin_dir()
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT, "check": False}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=600, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], env=env, timeout=900, **quiet)
        found = _find_bin_dir()
    if found is None:
        pytest.fail(INSTALL_HINT)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{self.database}"


def _as_user(user: str | None):
    """Run a child as ``user`` (initdb and postgres refuse to run as root)."""
    if user is None:
        return None
    entry = pwd.getpwnam(user)

    def demote() -> None:
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    return demote


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin_dir()
    run_as = None
    if os.geteuid() == 0:  # as root, run the server as an unprivileged system user
        run_as = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
        if run_as is None:
            pytest.fail("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
    # Directly under the system temp folder: pytest's own temp folders are private to the test's user.
    folder = Path(tempfile.mkdtemp(prefix="urban-safety-pg-"))
    try:
        with _server(bin_dir, folder, run_as) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _server(bin_dir: Path, folder: Path, run_as: str | None) -> Iterator[PostgresServer]:
    data, log = folder / "data", folder / "server.log"
    if run_as:
        entry = pwd.getpwnam(run_as)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    demote = _as_user(run_as)
    port = free_port()
    user = "dagster"
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", user, "--auth=trust", "--encoding=UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        preexec_fn=demote,
        cwd=folder,
        timeout=180,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off -c max_connections=50"
    start = subprocess.run(
        [bin_dir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"],
        capture_output=True,
        text=True,
        preexec_fn=demote,
        cwd=folder,
        timeout=120,
        check=False,
    )
    if start.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {start.stderr}\n{log.read_text() if log.exists() else ''}")
    try:
        yield PostgresServer("127.0.0.1", port, user, "postgres")
    finally:
        subprocess.run(
            [bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
            capture_output=True,
            preexec_fn=demote,
            cwd=folder,
            timeout=120,
            check=False,
        )


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
