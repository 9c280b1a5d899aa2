"""The generated sync classes follow the async API: up to date, complete, and a method added to an
async namespace works through the sync client before anything is regenerated."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import pytest

from pneumatic_async.pagination import Paginator
from pneumatic_async.resources.users import Users
from pneumatic_async.sync import Pneumatic, SyncPaginator, SyncStream, clients
from pneumatic_async.testing import FakePneumatic
from tools.generate_sync import CLIENT_SKIP, CLIENTS, check, namespaces, public_methods, render_all


def test_generated_files_are_up_to_date() -> None:
    stale = check()
    assert not stale, (
        f"pneumatic_async/sync/{stale} no longer match the async API: "
        "run `python -m tools.generate_sync` and commit the result"
    )


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.__name__)
def test_every_public_async_method_has_a_sync_counterpart(client: type[object]) -> None:
    sync_client = getattr(clients, client.__name__)
    missing = []
    for name, resource in namespaces(client).items():
        sync_namespace = inspect.signature(getattr(sync_client, name).func).return_annotation
        sync_class = getattr(inspect.getmodule(getattr(sync_client, name).func), sync_namespace)
        for method in public_methods(resource):
            if method not in vars(sync_class):
                missing.append(f"{name}.{method}")
    generated = [  # the client's class and the shared SyncBaseClient, both generated
        vars(klass)
        for klass in sync_client.__mro__
        if klass.__module__.startswith("pneumatic_async.sync.clients")
    ]
    for method in public_methods(client):
        if method not in CLIENT_SKIP and not any(method in names for names in generated):
            missing.append(method)
    assert not missing, f"no sync counterpart (run `python -m tools.generate_sync`): {missing}"


def test_a_new_async_method_works_without_regenerating(monkeypatch: pytest.MonkeyPatch) -> None:
    async def count(self: Users, *, status: str = "active") -> int:
        """How many users have ``status``."""
        return len([u async for u in self.list() if u.status == status])

    def every(self: Users) -> Paginator[object]:
        """Every user."""
        return self.list()  # type: ignore[return-value]

    async def emails(self: Users) -> AsyncIterator[str]:
        """Each user's email."""
        async for user in self.list():
            yield user.email

    monkeypatch.setattr(Users, "count", count, raising=False)
    monkeypatch.setattr(Users, "every", every, raising=False)
    monkeypatch.setattr(Users, "emails", emails, raising=False)
    fake = FakePneumatic()
    fake.add_user("ann@example.com", "Ann", status="inactive")
    with Pneumatic(
        api_key=fake.api_key, base_url=fake.base_url, transport=fake.transport()
    ) as client:
        users = client.users
        assert users.count() == 1  # type: ignore[attr-defined]
        assert users.count(status="inactive") == 1  # type: ignore[attr-defined]
        every = users.every()  # type: ignore[attr-defined]
        assert isinstance(every, SyncPaginator)
        assert len(list(every)) == 2
        emails = users.emails()  # type: ignore[attr-defined]
        assert isinstance(emails, SyncStream)
        assert sorted(emails) == ["ann@example.com", "owner@example.com"]
    # ... and the generator writes its typed counterpart.
    source = render_all()["resources/users.py"]
    assert 'def count(self, *, status: str = "active") -> int:' in source
    assert "def every(self) -> SyncPaginator[object]:" in source
    assert "def emails(self) -> SyncStream[str]:" in source
    assert "resources/users.py" in check()
