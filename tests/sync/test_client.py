"""The sync client's own behaviour: threads, a running loop, interrupts, closing, iteration."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.lowlevel
import pytest

from pneumatic_async._http import httpx
from pneumatic_async.bulk import Progress
from pneumatic_async.errors import ConfigurationError, NotFoundError, PneumaticError
from pneumatic_async.sync import Backend, Pneumatic
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.state import StoredTemplate


class CountingTransport(httpx.AsyncBaseTransport):
    """The fake's transport, counting requests by method and path."""

    def __init__(self, fake: FakePneumatic) -> None:
        self.inner = fake.transport()
        self.counts: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[f"{request.method} {request.url.path}"] += 1
        return await self.inner.handle_async_request(request)


class HangingTransport(httpx.AsyncBaseTransport):
    """Sends SIGINT to the main thread on ``GET /accounts/user``, then never answers."""

    def __init__(self, fake: FakePneumatic) -> None:
        self.inner = fake.transport()
        self.cancelled = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/accounts/user":
            return await self.inner.handle_async_request(request)
        main = threading.main_thread().ident
        assert main is not None
        signal.pthread_kill(main, signal.SIGINT)
        try:
            await anyio.sleep_forever()
        finally:
            self.cancelled = True
        raise AssertionError("unreachable")


def sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pneumatic-sync"]


@pytest.fixture
def counting(
    fake: FakePneumatic, backend: Backend
) -> Iterator[tuple[Pneumatic, CountingTransport]]:
    transport = CountingTransport(fake)
    with Pneumatic(
        api_key=fake.api_key, base_url=fake.base_url, transport=transport, backend=backend
    ) as client:
        yield client, transport


# -- threads ---------------------------------------------------------------------------------------


def test_sixteen_threads_share_one_client(
    counting: tuple[Pneumatic, CountingTransport], template: StoredTemplate, fake: FakePneumatic
) -> None:
    client, transport = counting
    start = threading.Barrier(16)

    def work(n: int) -> list[int]:
        start.wait(timeout=30)
        ids = []
        for k in range(4):
            workflow = client.templates.run(template.id, kickoff={"client": f"{n}-{k}"})
            assert client.workflows.get(workflow.id).name == workflow.name
            ids.append(workflow.id)
        return ids

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(16)))
    ids = [i for batch in results for i in batch]
    assert len(set(ids)) == 64
    assert len(fake.state.workflows) == 64
    assert transport.counts[f"POST /templates/{template.id}/run"] == 64
    # One client, one cache: the template's fields were fetched once for all 64 launches.
    assert transport.counts[f"GET /templates/{template.id}"] == 1
    assert len(sync_threads()) == 1


# -- inside a running event loop (Jupyter) ---------------------------------------------------------


async def test_works_inside_a_running_event_loop(
    fake: FakePneumatic, template: StoredTemplate
) -> None:
    # The test's own loop is running here, as a notebook kernel's is: the sync client runs its
    # calls on a loop of its own in another thread.
    with Pneumatic(
        api_key=fake.api_key, base_url=fake.base_url, transport=fake.transport()
    ) as client:
        workflow = client.templates.run(template.id, kickoff={"client": "ACME"})
        assert [w.id for w in client.workflows.list()] == [workflow.id]
    await anyio.lowlevel.checkpoint()  # the test's loop still works


# -- interrupts ------------------------------------------------------------------------------------


def test_keyboard_interrupt_cancels_the_call(fake: FakePneumatic, backend: Backend) -> None:
    transport = HangingTransport(fake)
    with Pneumatic(
        api_key=fake.api_key, base_url=fake.base_url, transport=transport, backend=backend
    ) as client:
        with pytest.raises(KeyboardInterrupt):
            client.users.me()
        assert transport.cancelled  # cancelled on the loop before the interrupt propagated
        assert client.users.get(fake.owner.id).id == fake.owner.id  # still usable


# -- closing ---------------------------------------------------------------------------------------


def test_with_block_closes_the_pool_and_the_thread(fake: FakePneumatic, backend: Backend) -> None:
    before = len(sync_threads())
    with Pneumatic(
        api_key=fake.api_key, base_url=fake.base_url, transport=fake.transport(), backend=backend
    ) as client:
        assert len(sync_threads()) == before + 1
        client.users.me()
    assert client.closed
    assert client.async_client.is_closed
    assert len(sync_threads()) == before
    with pytest.raises(PneumaticError, match="closed"):
        client.users.me()
    client.close()  # idempotent


def test_close_without_with(fake: FakePneumatic) -> None:
    client = Pneumatic(api_key=fake.api_key, base_url=fake.base_url, transport=fake.transport())
    assert not client.closed
    client.close()
    assert client.closed
    assert client.async_client.is_closed


def test_left_open_warns_and_is_closed_when_collected(fake: FakePneumatic) -> None:
    before = len(sync_threads())
    client = Pneumatic(api_key=fake.api_key, base_url=fake.base_url, transport=fake.transport())
    client.users.me()
    with pytest.warns(ResourceWarning, match="unclosed synchronous Pneumatic client"):
        del client  # the last reference: collected at once
    assert len(sync_threads()) == before


LEFT_OPEN = """
from pneumatic_async.sync import Pneumatic
from pneumatic_async.testing import FakePneumatic

fake = FakePneumatic()
client = Pneumatic(api_key=fake.api_key, base_url=fake.base_url, transport=fake.transport())
cycle = [client]
cycle.append(cycle)  # collected only while the interpreter finalizes
print(client.users.me().email)
"""


def test_a_script_that_never_closes_its_client_still_exits() -> None:
    # Closed at exit while the loop thread runs; closing it during finalization would wait on a
    # frozen thread forever. (The timeout only bounds a regression: the script takes seconds.)
    done = subprocess.run(
        [sys.executable, "-c", LEFT_OPEN], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "owner@example.com"


def test_bad_configuration_raises_and_leaves_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PNEUMATIC_API_KEY", raising=False)
    before = len(sync_threads())
    with pytest.raises(ConfigurationError, match="PNEUMATIC_API_KEY"):
        Pneumatic()
    assert len(sync_threads()) == before


def test_repr_hides_the_key(client: Pneumatic, fake: FakePneumatic) -> None:
    assert fake.api_key not in repr(client)
    assert "pneumatic.test" in repr(client)


# -- views, errors, callbacks ----------------------------------------------------------------------


def test_with_options_view_shares_the_client(client: Pneumatic, fake: FakePneumatic) -> None:
    view = client.with_options(timeout=7)
    assert view.timeout.read == 7
    assert client.timeout.read != 7
    assert view.users.me().id == fake.owner.id
    assert view.backend == client.backend
    view.close()  # closes the client it is a view of
    assert client.closed


def test_errors_are_the_async_clients(client: Pneumatic) -> None:
    with pytest.raises(NotFoundError) as info:
        client.workflows.get(999)
    assert info.value.status_code == 404
    assert info.value.path == "/workflows/999"


def test_request_escape_hatch(client: Pneumatic, fake: FakePneumatic) -> None:
    body = client.request("GET", "/accounts/user")
    assert body["email"] == fake.owner.email
    from pneumatic_async.models.users import User

    assert client.request("GET", "/accounts/user", cast_to=User).id == fake.owner.id


def test_a_callback_calling_the_client_gets_an_error_not_a_deadlock(
    client: Pneumatic, template: StoredTemplate
) -> None:
    seen: list[BaseException] = []

    def on_progress(progress: Progress) -> None:
        try:
            client.users.me()
        except PneumaticError as exc:
            seen.append(exc)

    client.templates.run_many(template.id, [{"client": "a"}], on_progress=on_progress)
    assert seen
    assert "own event loop thread" in str(seen[0])


# -- iteration -------------------------------------------------------------------------------------


def test_lists_fetch_one_page_per_request_lazily(
    counting: tuple[Pneumatic, CountingTransport], template: StoredTemplate, fake: FakePneumatic
) -> None:
    client, transport = counting
    for n in range(25):
        fake.run_workflow(template, kickoff={"client": f"c{n}"})
    listed = client.workflows.list(page_size=10)
    iterator = iter(listed)
    first = [next(iterator) for _ in range(10)]
    assert len(first) == 10
    assert transport.counts["GET /workflows"] == 1  # one page in memory, nothing fetched ahead
    rest = list(iterator)
    assert len(first) + len(rest) == 25
    assert transport.counts["GET /workflows"] == 3
    for item in listed:  # a new loop starts again from the first page, and break needs nothing
        assert item.id == first[0].id
        break
    assert transport.counts["GET /workflows"] == 4


def test_collect_needs_a_bound(client: Pneumatic) -> None:
    with pytest.raises(ValueError, match="needs a bound"):
        client.workflows.list().collect()
