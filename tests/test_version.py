"""One version string: the package metadata's, everywhere the SDK shows one."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pneumatic_async
from pneumatic_async._http import httpx
from tests.core.test_client import Recorder, make_client

PACKAGE = Path(pneumatic_async.__file__).parent


def test_dunder_version_is_the_metadata_version() -> None:
    assert pneumatic_async.__version__ == version("pneumatic-async")
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", pneumatic_async.__version__)


async def test_user_agent_carries_the_metadata_version() -> None:
    seen = Recorder(httpx.Response(200, json={"id": 1}))
    async with make_client(seen) as client:
        await client.request("GET", "/accounts/user")
    assert seen.requests[0].headers["user-agent"] == f"pneumatic-async/{version('pneumatic-async')}"


def test_no_version_literal_in_the_package_sources() -> None:
    literal = re.compile(r"""["']\d+\.\d+\.\d+["']""")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
