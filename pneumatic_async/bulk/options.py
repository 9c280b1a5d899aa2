"""The options of one bulk run, checked once before anything is sent."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal, get_args

import attrs

from pneumatic_async.bulk.journal import JournalStore
from pneumatic_async.bulk.results import Progress
from pneumatic_async.bulk.shared_batch import SharedBatch
from pneumatic_async.errors import ConfigurationError

__all__ = ["DEFAULT_OUTAGE_TIMEOUT", "BatchOptions", "CheckMode", "JournalSpec"]

#: How long a batch waits for an unreachable server before its waiting items fail (seconds).
DEFAULT_OUTAGE_TIMEOUT = 300.0

#: A journal given to a bulk run: a SQLite file path, any :class:`JournalStore`, or a
#: :class:`~pneumatic_async.bulk.shared_batch.SharedBatch` run by several workers together.
JournalSpec = str | os.PathLike[str] | JournalStore | SharedBatch

#: When a bulk run checks its items: ``"upfront"`` (every item before anything is sent; a
#: one-shot iterator is read into a list for that) or ``"as_it_goes"`` (each item when its turn
#: comes, reading the source once, in bounded memory; bad items become ``invalid`` results).
CheckMode = Literal["upfront", "as_it_goes"]


@attrs.frozen(kw_only=True)
class BatchOptions:
    """The keyword options of ``run_many`` / ``stream_run`` (documented there)."""

    concurrency: int
    token_field: str | None
    journal: JournalSpec | None
    skip_invalid: bool
    rate_limit: float | None
    on_progress: Callable[[Progress], None] | None
    validate: bool
    lookup_delay: float | None = None
    outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT
    keep_workflows: bool = False
    check_mode: CheckMode = "upfront"

    def check(self) -> None:
        """Raise :class:`ConfigurationError` naming the first bad option."""
        if not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be an int >= 1, got {self.concurrency!r}")
        if self.rate_limit is not None and not (
            isinstance(self.rate_limit, int | float) and self.rate_limit > 0
        ):
            raise ConfigurationError(
                f"rate_limit must be a positive number of launches per second, got "
                f"{self.rate_limit!r}"
            )
        if self.token_field is not None and (
            not isinstance(self.token_field, str) or not self.token_field
        ):
            raise ConfigurationError(
                f"token_field must be a kickoff field api_name, got {self.token_field!r}"
            )
        for name in ("lookup_delay", "outage_timeout"):
            value = getattr(self, name)
            if value is None and name == "lookup_delay":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ConfigurationError(f"{name} must be a number of seconds >= 0, got {value!r}")
        if self.check_mode not in get_args(CheckMode):
            raise ConfigurationError(
                f"check must be 'upfront' or 'as_it_goes', got {self.check_mode!r}"
            )
        journal = self.journal
        if self.check_mode == "as_it_goes" and isinstance(journal, SharedBatch):
            raise ConfigurationError(
                "check='as_it_goes' cannot be used with a SharedBatch: every worker of a shared "
                "batch needs every item checked up front (any worker may claim any item)"
            )
        if journal is not None and not isinstance(
            journal, str | os.PathLike | JournalStore | SharedBatch
        ):
            raise ConfigurationError(
                "journal must be a file path, a JournalStore or a SharedBatch, got "
                f"{type(journal).__name__}"
            )
