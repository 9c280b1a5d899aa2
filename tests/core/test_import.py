"""``import pneumatic_async`` is cheap: public names load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pneumatic_async

HEAVY = [
    "httpx",
    "anyio",
    "attrs",
    "cattrs",
    "orjson",
    "aiohttp",
    "rich",
    "click",
    "starlette",
    "pneumatic_async.client",
    "pneumatic_async._base_client",
    "pneumatic_async._converter",
    "pneumatic_async.models",
    "pneumatic_async.events",
    "pneumatic_async.testing",
    "pneumatic_async.cli",
]


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(out.stdout.split())


def test_a_plain_import_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import pneumatic_async")
    assert [name for name in HEAVY if name in loaded] == []


def test_importing_the_client_does_not_load_events_models_or_cli_libraries() -> None:
    loaded = _loaded_after("from pneumatic_async import Pneumatic")
    assert "pneumatic_async.client" in loaded
    assert "httpx" in loaded
    unwanted = [
        "pneumatic_async.events",
        "pneumatic_async.models",
        "pneumatic_async.testing",
        "pneumatic_async.cli",
    ]
    # httpx itself imports its command line (rich, click) when they are installed: its choice,
    # left alone rather than patched around in the user's process.
    assert [name for name in unwanted if name in loaded] == []


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in pneumatic_async.__all__:
        assert getattr(pneumatic_async, name) is not None, name
    assert set(pneumatic_async.__all__) <= set(dir(pneumatic_async))
    from pneumatic_async.errors import PneumaticError

    assert pneumatic_async.PneumaticError is PneumaticError


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        pneumatic_async.no_such_name  # type: ignore[attr-defined]  # noqa: B018
