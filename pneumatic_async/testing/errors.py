"""The error bodies of the real server (contract §2), as an exception the fake raises anywhere.

Handlers and the engine raise :class:`ApiError`; the app turns it into the response. Each
constructor builds one of the shapes the real server produces:

* :func:`field_error` — ``{"message", "code", "details": {"name", "reason"}}`` (top-level field)
* :func:`value_error` — ``{"code", "message", "details": {"reason", "api_name"}}`` (field values,
  template elements)
* :func:`service_error` — ``{"code", "message", "details": {}}`` (business rules)
* :func:`message_error` — ``{"message", "code"}`` (serializer ``validate()``, no ``details``)
* :func:`detail_error` — DRF ``{"detail": ...}`` (401/403/404/405)
* :func:`choice_error` — django-filter ``{"<param>": ["Select a valid choice. ..."]}``
* :func:`filter_list_error` — ``ListFilter``'s bare array
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "NOT_FOUND",
    "PERMISSION_DENIED",
    "ApiError",
    "choice_error",
    "detail_error",
    "field_error",
    "filter_list_error",
    "forbidden",
    "message_error",
    "method_not_allowed",
    "not_found",
    "service_error",
    "value_error",
]

PERMISSION_DENIED: Final = "You do not have permission to perform this action."
NOT_FOUND: Final = "Not found."


class ApiError(Exception):
    """An error answer: HTTP ``status`` and the JSON ``body`` (``None``: empty body)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def field_error(name: str, reason: str) -> ApiError:
    """400 for a top-level request field (``details.name``)."""
    return ApiError(
        400,
        {
            "message": reason,
            "code": "validation_error",
            "details": {"name": name, "reason": reason},
        },
    )


def value_error(api_name: str, reason: str) -> ApiError:
    """400 for a field value or template element (``details.api_name``)."""
    return ApiError(
        400,
        {
            "code": "validation_error",
            "message": reason,
            "details": {"reason": reason, "api_name": api_name},
        },
    )


def service_error(message: str) -> ApiError:
    """400 for a business rule (``details`` is ``{}``)."""
    return ApiError(400, {"code": "validation_error", "message": message, "details": {}})


def message_error(message: str) -> ApiError:
    """400 from a serializer's ``validate()`` (no ``details`` key)."""
    return ApiError(400, {"message": message, "code": "validation_error"})


def detail_error(status: int, detail: str) -> ApiError:
    """A DRF ``{"detail": ...}`` error."""
    return ApiError(status, {"detail": detail})


def forbidden(detail: str = PERMISSION_DENIED) -> ApiError:
    """403 (default message or a custom one)."""
    return detail_error(403, detail)


def not_found() -> ApiError:
    """404 ``{"detail": "Not found."}``."""
    return detail_error(404, NOT_FOUND)


def method_not_allowed(method: str) -> ApiError:
    """405 ``{"detail": "Method \\"X\\" not allowed."}``."""
    return detail_error(405, f'Method "{method}" not allowed.')


def choice_error(param: str, value: str) -> ApiError:
    """django-filter's form error for a bad choice."""
    return ApiError(
        400, {param: [f"Select a valid choice. {value} is not one of the available choices."]}
    )


def filter_list_error(value: str) -> ApiError:
    """``ListFilter``'s error: a bare JSON array."""
    return ApiError(400, [f"'{value}' is an invalid value for the filter"])
