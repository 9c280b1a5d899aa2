"""Users: ``GET /accounts/users`` items, ``GET /accounts/user`` (who am I), groups, API keys."""

import enum
from datetime import datetime

import attrs

__all__ = ["ApiKey", "Group", "Invite", "User", "UserStatus", "UserType", "Vacation"]


class UserType(enum.StrEnum):
    """An account member's ``type``: a full user or a guest performer."""

    USER = "user"
    GUEST = "guest"


class UserStatus(enum.StrEnum):
    """An account member's ``status`` (the list has no default filter: all three come back)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    INVITED = "invited"


@attrs.frozen(kw_only=True)
class Invite:
    """A pending invitation (``invite`` of an invited user); ``date_created`` is an ISO string."""

    id: str
    invited_by: int | None = None
    date_created: str | None = None
    invited_from: str | None = None
    by_username: str | None = None


@attrs.frozen(kw_only=True)
class Vacation:
    """A user's absence (``vacation``); dates are ISO date strings, as sent."""

    start_date: str | None = None
    end_date: str | None = None
    absence_status: str | None = None
    substitute_user_ids: list[int] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class User:
    """An account member: ``GET /accounts/users`` items, ``GET /accounts/user[s/<id>]``."""

    id: int
    email: str
    type: UserType | str | None = None
    status: UserStatus | str | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None
    photo: str | None = None
    is_admin: bool = False
    is_account_owner: bool = False
    date_joined_tsp: datetime | None = None
    is_tasks_digest_subscriber: bool = False
    is_digest_subscriber: bool = False
    is_newsletters_subscriber: bool = False
    is_special_offers_subscriber: bool = False
    is_new_tasks_subscriber: bool = False
    is_complete_tasks_subscriber: bool = False
    is_comments_mentions_subscriber: bool = False
    language: str | None = None
    timezone: str | None = None
    date_fmt: str | None = None
    date_fdw: int | None = None
    invite: Invite | None = None
    groups: list[int] = attrs.Factory(list)
    manager_id: int | None = None
    subordinates_ids: list[int] = attrs.Factory(list)
    vacation: Vacation | None = None

    @property
    def full_name(self) -> str:
        """``first_name last_name``, as the server shows user field values."""
        return f"{self.first_name} {self.last_name}".strip()


@attrs.frozen(kw_only=True)
class Group:
    """A user group: ``GET /accounts/groups`` items; ``users`` are user ids."""

    id: int
    name: str
    photo: str | None = None
    type: str | None = None
    users: list[int] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class ApiKey:
    """An API key: ``GET/POST /accounts/api-keys``; ``token`` only in the create answer (once).

    The dates are the server's ISO strings, as sent.
    """

    id: int
    name: str
    prefix: str
    is_active: bool = True
    token: str | None = attrs.field(default=None, repr=False)
    date_created: str | None = None
    last_used_at: str | None = None
    expires_at: str | None = None
