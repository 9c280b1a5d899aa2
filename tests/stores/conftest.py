"""Session fixtures: one real PostgreSQL and one real Redis for the store tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.services import ServiceUnavailable, postgres_server, redis_server, require_services


def _unavailable(reason: str) -> NoReturn:
    if require_services():
        pytest.fail(f"PNEUMATIC_REQUIRE_SERVICES is set and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A running PostgreSQL server's connection string (skips when it cannot start)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the postgres extra (psycopg) is not installed")
    # Not under pytest's temporary root: that is private to root, and the server runs as nobody.
    workdir = tempfile.mkdtemp(prefix="pneumatic-pg-")
    try:
        with postgres_server(workdir) as dsn:
            yield dsn
            return
    except ServiceUnavailable as exc:
        _unavailable(f"PostgreSQL cannot start: {exc}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Redis server's URL (skips when it cannot start)."""
    try:
        import redis  # noqa: F401
    except ImportError:
        _unavailable("the redis extra (redis-py) is not installed")
    try:
        with redis_server(str(tmp_path_factory.mktemp("redis"))) as url:
            yield url
            return
    except ServiceUnavailable as exc:
        _unavailable(f"Redis cannot start: {exc}")
