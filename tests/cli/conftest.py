"""Fixtures for the CLI tests: run ``main([...])`` in-process and capture what it prints.

The tests are plain sync functions: ``main`` runs its own event loop (``anyio.run``, asyncio).
``sandbox`` hands the CLI a fake server the test keeps, so a test can look at the server's state
after a ``--sandbox`` command.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from pneumatic_async.cli import main
from pneumatic_async.cli import sandbox as sandbox_module
from pneumatic_async.testing import FakePneumatic


@attrs.frozen
class Result:
    """A finished command: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as one JSON document."""
        return json.loads(self.out)

    def error_line(self) -> str:
        """The one line on stderr (asserting there is exactly one, and no traceback)."""
        lines = self.err.splitlines()
        assert "Traceback" not in self.err
        assert len(lines) == 1, self.err
        assert lines[0].startswith("pneumatic: error: "), lines[0]
        return lines[0]


Run = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli("--sandbox", "templates", "list")`` → :class:`Result` (no key in the environment)."""
    monkeypatch.delenv("PNEUMATIC_API_KEY", raising=False)
    monkeypatch.delenv("PNEUMATIC_BASE_URL", raising=False)
    monkeypatch.delenv("PNEUMATIC_FILE_SERVICE_URL", raising=False)

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> FakePneumatic:
    """The fake server ``--sandbox`` commands of this test run against (one for the test)."""
    fake = sandbox_module.build_sandbox()
    monkeypatch.setattr(sandbox_module, "build_sandbox", lambda: fake)
    return fake
