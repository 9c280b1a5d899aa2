"""Account JSON: users, groups and API keys (``handlers/accounts.py``)."""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing._values import iso
from pneumatic_async.testing.state import (
    State,
    StoredApiKey,
    StoredGroup,
    StoredUser,
)

__all__ = [
    "api_key_item",
    "group_item",
    "user_item",
]


def user_item(state: State, user: StoredUser) -> dict[str, Any]:
    """A user of ``/accounts/users`` and ``/accounts/user``."""
    invite = None
    if user.status == "invited":
        invite = {
            "id": user.invite_id,
            "invited_by": user.invited_by,
            "date_created": iso(user.date_joined),
            "invited_from": "email",
            "by_username": None,
        }
    return {
        "id": user.id,
        "type": user.type,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "photo": user.photo,
        "status": user.status,
        "is_admin": user.is_admin,
        "date_joined_tsp": user.date_joined,
        "is_account_owner": user.is_account_owner,
        "is_tasks_digest_subscriber": True,
        "is_digest_subscriber": True,
        "is_newsletters_subscriber": True,
        "is_special_offers_subscriber": True,
        "is_new_tasks_subscriber": True,
        "is_complete_tasks_subscriber": True,
        "is_comments_mentions_subscriber": True,
        "language": user.language,
        "timezone": user.timezone,
        "date_fmt": user.date_fmt,
        "date_fdw": user.date_fdw,
        "invite": invite,
        "groups": state.groups_of(user.id),
        "manager_id": user.manager_id,
        "subordinates_ids": [u.id for u in state.users.values() if u.manager_id == user.id],
        "vacation": None,
    }


def group_item(group: StoredGroup) -> dict[str, Any]:
    """A group of ``/accounts/groups``."""
    return {
        "id": group.id,
        "name": group.name,
        "photo": group.photo,
        "users": list(group.user_ids),
        "type": "regular",
    }


def api_key_item(key: StoredApiKey, *, with_token: bool) -> dict[str, Any]:
    """An API key (the raw token only right after creation)."""
    data: dict[str, Any] = {
        "id": key.id,
        "name": key.name,
        "prefix": key.token[:16],
    }
    if with_token:
        data["token"] = key.token
    data.update(
        {
            "date_created": iso(key.date_created),
            "last_used_at": iso(key.last_used_at),
            "expires_at": iso(key.expires_at),
            "is_active": key.is_active,
        }
    )
    return data
