"""The API key: validated once, never shown in a repr, a log line or an error message."""

from __future__ import annotations

from typing import Any, Final

from pneumatic_async.errors import ConfigurationError

__all__ = ["ApiKey"]

_REDACTED: Final = "<redacted>"


class ApiKey:
    """An API key whose value is only revealed to build the ``Authorization`` header."""

    __slots__ = ("__weakref__", "_last", "_value")

    def __init__(
        self, value: str | None, *, source: str = "api_key", env: str = "PNEUMATIC_API_KEY"
    ) -> None:
        if value is None or not value.strip():
            raise ConfigurationError(
                f"No API key: pass {source}=... or set the environment variable {env}."
            )
        if not isinstance(value, str):
            raise ConfigurationError(f"{source} must be a string, not {type(value).__name__}")
        if any(ch.isspace() for ch in value):
            raise ConfigurationError(
                f"{source} contains whitespace (a copy-paste accident?); "
                "an API key is a single token such as 'pn-...'"
            )
        if not value.isprintable() or not value.isascii():
            raise ConfigurationError(f"{source} contains non-printable or non-ASCII characters")
        self._value = value
        #: The last headers given to :meth:`authorized` and its answer (a client's constant
        #: headers come back call after call).
        self._last: tuple[dict[str, str], dict[str, str]] | None = None

    def reveal(self) -> str:
        """The raw key (for the ``Authorization`` header only)."""
        return self._value

    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self._value}"

    def authorized(self, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` with the ``Authorization`` header added (at the last step): a new dict,
        reused while the same (never modified) ``headers`` dict comes back."""
        last = self._last
        if last is not None and last[0] is headers:
            return last[1]
        with_key = {**headers, "Authorization": f"Bearer {self._value}"}
        self._last = (headers, with_key)
        return with_key

    def __repr__(self) -> str:
        return f"ApiKey({_REDACTED})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("API keys are not picklable")
