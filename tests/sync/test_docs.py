"""The examples of ``docs/sync.md`` (its script, Django view and notebook) against the fake over
a socket, configured through the environment as a user's would be."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import anyio
import anyio.from_thread
import pytest

from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.state import StoredTemplate
from tests.sync.conftest import template_body

PAGE = Path(__file__).resolve().parents[2] / "docs" / "sync.md"


def example(heading: str) -> str:
    """The first ``python`` code block after the page's ``## <heading>``."""
    text = PAGE.read_text()
    section = text.split(f"\n## {heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, heading
    return match.group(1)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakePneumatic, StoredTemplate, str]]:
    """The fake served on 127.0.0.1 (uvicorn on a loop thread), named by the environment."""
    fake = FakePneumatic()
    template = fake.add_template(template_body())
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(fake.serve()) as url,
    ):
        monkeypatch.setenv("PNEUMATIC_API_KEY", fake.api_key)
        monkeypatch.setenv("PNEUMATIC_BASE_URL", url)
        yield fake, template, url


def load(heading: str) -> ModuleType:
    """The example under ``heading`` run as a module."""
    module = ModuleType(f"docs_sync_{heading.lower().replace(' ', '_')}")
    exec(compile(example(heading), str(PAGE), "exec"), module.__dict__)
    return module


def test_script_example(
    served: tuple[FakePneumatic, StoredTemplate, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake, template, _ = served
    csv_path = tmp_path / "clients.csv"
    csv_path.write_text("client\nACME\nInitech\nUmbrella\n")
    load("A script").main(str(csv_path), template.id)
    out = capsys.readouterr().out
    assert "3 of 3 launched" in out
    assert len(fake.state.workflows) == 3
    for workflow_id in fake.state.workflows:
        assert re.search(rf"^{workflow_id} ", out, re.MULTILINE)
    # The journal makes a second run launch nothing twice.
    load("A script").main(str(csv_path), template.id)
    assert len(fake.state.workflows) == 3


def test_django_view_example(served: tuple[FakePneumatic, StoredTemplate, str]) -> None:
    django = pytest.importorskip("django")
    from django.conf import settings

    fake, template, url = served
    if not settings.configured:
        settings.configure(ALLOWED_HOSTS=["testserver"], DEFAULT_CHARSET="utf-8")
        django.setup()
    from django.test import RequestFactory

    settings.PNEUMATIC_API_KEY = fake.api_key
    settings.PNEUMATIC_BASE_URL = url
    settings.ONBOARDING_TEMPLATE_ID = template.id
    views = load("A Django view")
    try:
        factory = RequestFactory()
        created = views.start_onboarding(factory.post("/onboarding", {"client": "ACME"}))
        assert created.status_code == 201
        [workflow] = fake.state.workflows.values()
        assert b'"workflow_id": %d' % workflow.id in created.content
        refused = views.start_onboarding(factory.post("/onboarding", {}))
        assert refused.status_code == 400
        assert b'"client"' in refused.content
        assert views.start_onboarding(factory.get("/onboarding")).status_code == 405
        assert len(fake.state.workflows) == 1
    finally:
        views.pneumatic.close()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_notebook_example_inside_a_running_asyncio_loop(
    served: tuple[FakePneumatic, StoredTemplate, str], anyio_backend: str
) -> None:
    # Jupyter's kernel runs asyncio (hence asyncio only): the cells run while this loop runs.
    fake, _, _ = served
    source = example("A Jupyter notebook")
    cells = re.split(r"^# %%.*$", source, flags=re.MULTILINE)[1:]
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    with pytest.raises(RuntimeError):
        anyio.run(anyio.sleep, 0)  # what fails in a notebook cell
    for cell in cells:
        exec(compile(cell, str(PAGE), "exec"), namespace)
    assert len(fake.state.workflows) == 2
    assert sorted(namespace["running"]) == sorted(  # type: ignore[arg-type]
        (w.id, w.name) for w in fake.state.workflows.values()
    )
    assert namespace["client"].closed  # type: ignore[attr-defined]
