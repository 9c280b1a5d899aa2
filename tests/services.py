"""Real PostgreSQL and Redis servers for the store tests, started in a temporary directory.

PostgreSQL: ``initdb`` + ``pg_ctl`` (from PATH, else Debian's ``/usr/lib/postgresql/<v>/bin``),
run as a non-root user when the tests run as root (PostgreSQL refuses root: ``nobody`` by
default), trust authentication, listening on a free 127.0.0.1 port only. Redis: ``redis-server``
on a free 127.0.0.1 port, no persistence. Each start raises :class:`ServiceUnavailable` with the
reason when the server cannot be started; the fixtures turn that into a skip, or into a failure
when ``PNEUMATIC_REQUIRE_SERVICES=1`` (CI sets it, so CI never passes with these tests skipped).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

__all__ = ["ServiceUnavailable", "postgres_server", "redis_server", "require_services"]

#: Seconds a server may take to accept connections.
START_TIMEOUT = 60.0


class ServiceUnavailable(Exception):
    """The server could not be started (the message says why)."""


def require_services() -> bool:
    """Whether a server that cannot start fails the tests instead of skipping them."""
    return os.environ.get("PNEUMATIC_REQUIRE_SERVICES", "") not in ("", "0")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServiceUnavailable(f"{what} exited with code {proc.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise ServiceUnavailable(f"{what} did not accept connections within {START_TIMEOUT:.0f} s")


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    raise ServiceUnavailable(
        f"PostgreSQL's {name} is not installed (apt-get install -y postgresql)"
    )


def _run_as() -> tuple[int | None, int | None]:
    """The uid/gid to run PostgreSQL as (``None``: the current user, when not root)."""
    if os.geteuid() != 0:
        return None, None
    name = os.environ.get("PNEUMATIC_PG_USER", "nobody")
    try:
        entry = pwd.getpwnam(name)
    except KeyError as exc:
        raise ServiceUnavailable(f"no user {name!r} to run PostgreSQL as (not as root)") from exc
    return entry.pw_uid, entry.pw_gid


@contextlib.contextmanager
def postgres_server(workdir: str) -> Iterator[str]:
    """Run a PostgreSQL server with its data in ``workdir``; yield its connection string."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    uid, gid = _run_as()
    data = os.path.join(workdir, "pgdata")
    os.makedirs(workdir, exist_ok=True)
    if uid is not None:
        os.chmod(workdir, 0o755)  # let the server's user reach its directory
        os.chown(workdir, uid, gid if gid is not None else -1)
    port = free_port()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    kwargs: dict[str, object] = {"env": env, "cwd": workdir, "capture_output": True}
    if uid is not None:
        kwargs.update(user=uid, group=gid, extra_groups=[])
    init = subprocess.run(
        [initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        **kwargs,  # type: ignore[call-overload]
    )
    if init.returncode != 0:
        raise ServiceUnavailable(f"initdb failed: {init.stderr.decode(errors='replace')[-500:]}")
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={workdir} "
        "-c fsync=off -c max_connections=200 -c shared_buffers=32MB"
    )
    log = os.path.join(workdir, "postgres.log")
    start = subprocess.run(
        [pg_ctl, "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"],
        **kwargs,  # type: ignore[call-overload]
    )
    if start.returncode != 0:
        tail = ""
        with contextlib.suppress(OSError), open(log, encoding="utf-8", errors="replace") as f:
            tail = f.read()[-500:]
        raise ServiceUnavailable(f"pg_ctl start failed: {start.stderr.decode()[-300:]} {tail}")
    try:
        _wait_port(port, None, "PostgreSQL")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"],
            **kwargs,  # type: ignore[call-overload]
        )


@contextlib.contextmanager
def redis_server(workdir: str) -> Iterator[str]:
    """Run ``redis-server`` on a free loopback port; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("redis-server is not installed (apt-get install -y redis-server)")
    os.makedirs(workdir, exist_ok=True)
    port = free_port()
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly"]
    args += ["no", "--dir", workdir, "--protected-mode", "yes", "--loglevel", "warning"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
