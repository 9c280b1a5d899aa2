"""pydantic v2 and msgspec classes generated from the SDK's attrs models (same fields, same types,
same defaults), so every decoding contender builds the same shapes.

* pydantic: ``BaseModel`` subclasses with ``frozen=True`` (immutable, like the SDK's classes) and
  unknown keys ignored; ``Enum | str`` stays a union (unknown values kept), ``datetime`` fields take
  epoch numbers as the SDK's do.
* msgspec: frozen ``Struct`` classes; msgspec has no ``Enum | str`` union, so those fields are
  plain ``str`` / ``int`` (less work than the SDK does); datetimes from epoch numbers need
  ``strict=False``.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import datetime
from typing import Any, get_args, get_origin

import attrs
import msgspec
import pydantic

_NONE = type(None)


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if isinstance(tp, types.UnionType) or get_origin(tp) is typing.Union:
        return get_args(tp)
    return None


def _union(args: list[Any]) -> Any:
    out = args[0]
    for arg in args[1:]:
        out = out | arg
    return out


class _Generator:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.done: dict[type, Any] = {}

    def type_of(self, tp: Any) -> Any:
        if isinstance(tp, type) and attrs.has(tp):
            return self.model(tp)
        args = _union_args(tp)
        if args is not None:
            mapped = [self.type_of(arg) for arg in args]
            if self.kind == "msgspec":
                # no Enum | str (both str-like): keep the base type
                enums = [a for a in mapped if isinstance(a, type) and issubclass(a, enum.Enum)]
                bases = [a for a in mapped if a in (str, int)]
                mapped = [a for a in mapped if a not in enums or not bases]
            return _union(mapped)
        origin = get_origin(tp)
        if origin is list:
            return list[self.type_of(get_args(tp)[0])]  # type: ignore[misc]
        if origin is dict:
            key, value = get_args(tp)
            return dict[key, self.type_of(value)]  # type: ignore[valid-type,misc]
        return tp

    def model(self, cls: type) -> Any:
        if cls in self.done:
            return self.done[cls]
        attrs.resolve_types(cls)
        if self.kind == "pydantic":
            fields: dict[str, Any] = {}
            for field in attrs.fields(cls):
                tp = self.type_of(field.type)
                default = field.default
                if default is attrs.NOTHING:
                    fields[field.name] = (tp, ...)
                elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                    factory = default.factory
                    if isinstance(factory, type) and attrs.has(factory):
                        factory = self.model(factory)
                    fields[field.name] = (tp, pydantic.Field(default_factory=factory))
                else:
                    fields[field.name] = (tp, default)
            model = pydantic.create_model(
                cls.__name__,
                __config__=pydantic.ConfigDict(frozen=True, extra="ignore"),
                **fields,
            )
        else:
            specs: list[Any] = []
            for field in attrs.fields(cls):
                tp = self.type_of(field.type)
                default = field.default
                if default is attrs.NOTHING:
                    specs.append((field.name, tp))
                elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                    factory = default.factory
                    if isinstance(factory, type) and attrs.has(factory):
                        factory = self.model(factory)
                    specs.append((field.name, tp, msgspec.field(default_factory=factory)))
                else:
                    specs.append((field.name, tp, default))
            model = msgspec.defstruct(cls.__name__, specs, frozen=True, kw_only=True)
        self.done[cls] = model
        return model


def pydantic_model(cls: type) -> Any:
    """The pydantic v2 model with ``cls``'s fields."""
    return _PYDANTIC.model(cls)


def msgspec_struct(cls: type) -> Any:
    """The msgspec Struct with ``cls``'s fields."""
    return _MSGSPEC.model(cls)


_PYDANTIC = _Generator("pydantic")
_MSGSPEC = _Generator("msgspec")

__all__ = ["datetime", "msgspec_struct", "pydantic_model"]
