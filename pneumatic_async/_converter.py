"""The one cattrs converter: JSON-shaped data <-> the SDK's attrs models.

Configured once, with explicit hooks:

* attrs classes use cattrs' generated (compiled) hooks; unknown keys are ignored.
* Scalars are checked, never coerced: a ``str`` field takes only a JSON string, ``int`` only an
  integer (not a bool), ``float`` an integer or a float, ``bool`` only ``true``/``false``. cattrs'
  default would turn ``null`` into ``"None"`` or ``"false"`` into ``True`` without a word.
* ``datetime`` fields (the server's ``*_tsp`` epoch seconds) take an int or float and become
  UTC-aware datetimes; they unstructure back to float epoch seconds.
* ``SomeEnum | str`` / ``SomeEnum | int`` fields keep a value the enum does not know as the raw
  value; they unstructure back to the raw JSON value.
* Lists must be JSON arrays (cattrs would accept any iterable, a string included).
* Request models (classes with ``__request_model__ = True``) and attributes whose metadata has
  ``omit_if_none`` leave ``None``-valued keys out when unstructured.

:func:`structure` raises :class:`~pneumatic_async.errors.ResponseValidationError` naming the JSON
path of the first value that does not fit (``$.tasks[1].id``).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    IterableValidationError,
    IterableValidationNote,
    StructureHandlerNotFoundError,
)
from cattrs.gen import make_dict_unstructure_fn, override

from pneumatic_async._fast_structure import FastStructure
from pneumatic_async.errors import ResponseValidationError

__all__ = ["converter", "item_decoder", "structure", "unstructure"]

T = TypeVar("T")

#: The SDK's only converter. Use :func:`structure` / :func:`unstructure` rather than this directly.
converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=True)

_NONE = type(None)


# --------------------------------------------------------------------------------------------
# Error messages


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _mismatch(value: Any, expected: str) -> TypeError:
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    got = _json_type(value)
    return TypeError(f"expected {expected}, got {got}" + ("" if value is None else f" {shown}"))


# --------------------------------------------------------------------------------------------
# Scalars: checked, not coerced (a Python-level check per value; see module docstring)


def _str(value: Any, _: Any) -> str:
    if value.__class__ is str:
        return value
    raise _mismatch(value, "a string")


def _opt_str(value: Any, _: Any) -> str | None:
    if value is None or value.__class__ is str:
        return value
    raise _mismatch(value, "a string or null")


def _int(value: Any, _: Any) -> int:
    if value.__class__ is int:
        return value
    raise _mismatch(value, "an integer")


def _opt_int(value: Any, _: Any) -> int | None:
    if value is None or value.__class__ is int:
        return value
    raise _mismatch(value, "an integer or null")


def _float(value: Any, _: Any) -> float:
    cls = value.__class__
    if cls is float or cls is int:
        return float(value)
    raise _mismatch(value, "a number")


def _opt_float(value: Any, _: Any) -> float | None:
    return None if value is None else _float(value, float)


def _bool(value: Any, _: Any) -> bool:
    if value is True or value is False:
        return value
    raise _mismatch(value, "a boolean")


def _opt_bool(value: Any, _: Any) -> bool | None:
    if value is None or value is True or value is False:
        return value
    raise _mismatch(value, "a boolean or null")


def _dict(value: Any, _: Any) -> dict[str, Any]:
    if value.__class__ is dict:
        return dict(value)
    raise _mismatch(value, "an object")


def _opt_dict(value: Any, _: Any) -> dict[str, Any] | None:
    return None if value is None else _dict(value, None)


# --------------------------------------------------------------------------------------------
# Timestamps: epoch seconds <-> UTC-aware datetime


def _datetime(value: Any, _: Any) -> datetime:
    cls = value.__class__
    if cls is float or cls is int:
        return datetime.fromtimestamp(value, UTC)
    raise _mismatch(value, "epoch seconds (a number)")


def _opt_datetime(value: Any, _: Any) -> datetime | None:
    return None if value is None else _datetime(value, datetime)


def _unstructure_datetime(value: datetime) -> float:
    # A naive datetime is local time, as ``datetime.timestamp`` has it.
    return value.timestamp()


def _unstructure_opt_datetime(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _exactly(tp: Any) -> Callable[[Any], bool]:
    return lambda candidate: candidate == tp


def _plain_enum(value: Any, enum_cls: type[enum.Enum]) -> enum.Enum:
    return enum_cls(value)


# --------------------------------------------------------------------------------------------
# Unions: ``Enum | str``, ``Enum | int`` (unknown values kept raw), ``Model | None``


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if isinstance(tp, types.UnionType) or get_origin(tp) is typing.Union:
        return get_args(tp)
    return None


def _split_enum_union(tp: Any) -> tuple[type[enum.Enum], type, bool] | None:
    """``(Enum, str|int, optional)`` for ``E | str [| None]`` / ``E | int [| None]``."""
    args = _union_args(tp)
    if args is None:
        return None
    optional = _NONE in args
    rest = [arg for arg in args if arg is not _NONE]
    if len(rest) != 2:
        return None
    enums = [arg for arg in rest if isinstance(arg, type) and issubclass(arg, enum.Enum)]
    bases = [arg for arg in rest if arg in (str, int)]
    if len(enums) != 1 or len(bases) != 1 or not issubclass(enums[0], bases[0]):
        return None
    return enums[0], bases[0], optional


def _enum_union_structure(tp: Any) -> Callable[[Any, Any], Any]:
    split = _split_enum_union(tp)
    assert split is not None
    enum_cls, base, optional = split
    table: dict[Any, enum.Enum] = {member.value: member for member in enum_cls}
    expected = f"{'a string' if base is str else 'an integer'} ({enum_cls.__name__})"
    if optional:
        expected += " or null"

    def structure_enum_union(value: Any, _: Any) -> Any:
        if value.__class__ is base:
            return table.get(value, value)
        if isinstance(value, enum_cls) or (value is None and optional):
            return value
        raise _mismatch(value, expected)

    return structure_enum_union


def _unstructure_enum_union(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _is_optional(tp: Any) -> bool:
    args = _union_args(tp)
    return args is not None and len(args) == 2 and _NONE in args


def _optional_structure(tp: Any) -> Callable[[Any, Any], Any]:
    # cattrs' own optional hook looks the inner hook up on every call; this one binds it once.
    args = get_args(tp)
    inner = args[0] if args[1] is _NONE else args[1]
    hook = converter.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


def _is_enum_union(tp: Any) -> bool:
    return _split_enum_union(tp) is not None


# --------------------------------------------------------------------------------------------
# Lists: JSON arrays only; the fast path is one list comprehension


def _is_list(tp: Any) -> bool:
    return tp is list or get_origin(tp) is list


def _list_structure(tp: Any) -> Callable[[Any, Any], list[Any]]:
    args = get_args(tp)
    elem = args[0] if args else Any
    if elem is Any:

        def structure_any_list(value: Any, _: Any) -> list[Any]:
            if value.__class__ is not list:
                raise _mismatch(value, "an array")
            return list(value)

        return structure_any_list

    hook = converter.get_structure_hook(elem)

    def structure_list(value: Any, _: Any) -> list[Any]:
        if value.__class__ is not list:
            raise _mismatch(value, "an array")
        try:
            return [hook(item, elem) for item in value]
        except Exception:
            pass
        # Error path only: find the first bad item and say where it is.
        for index, item in enumerate(value):
            try:
                hook(item, elem)
            except Exception as exc:
                note = IterableValidationNote(f"Structuring {tp} @ index {index}", index, elem)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                raise IterableValidationError(f"While structuring {tp!r}", [exc], tp) from None
        raise AssertionError("unreachable")  # pragma: no cover

    return structure_list


# --------------------------------------------------------------------------------------------
# Request models: keys whose value is None are left out


def _omits_none(cls: Any) -> bool:
    if not (isinstance(cls, type) and attrs.has(cls)):
        return False
    if getattr(cls, "__request_model__", False):
        return True
    return any(field.metadata.get("omit_if_none") for field in attrs.fields(cls))


def _omit_none_unstructure(cls: Any) -> Callable[[Any], dict[str, Any]]:
    request_model = bool(getattr(cls, "__request_model__", False))
    overrides = {
        field.name: override(omit_if_default=True)
        for field in attrs.fields(cls)
        if field.default is None and (field.metadata.get("omit_if_none") or request_model)
    }
    return make_dict_unstructure_fn(cls, converter, **overrides)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Configuration (once). cattrs tries predicate hooks newest first, so the general ones come first.


def _configure() -> None:
    c = converter
    c.register_structure_hook_factory(_is_optional, _optional_structure)
    c.register_structure_hook_factory(_is_list, _list_structure)
    c.register_structure_hook_factory(_is_enum_union, _enum_union_structure)
    c.register_unstructure_hook_func(_is_enum_union, _unstructure_enum_union)
    c.register_unstructure_hook_factory(_omits_none, _omit_none_unstructure)
    # Classes go to cattrs' singledispatch, which also serves their subclasses: ``bool`` and the
    # enums get entries of their own so that they don't fall back to the ``int``/``str`` hooks.
    class_hooks: tuple[tuple[type, Callable[[Any, Any], Any]], ...] = (
        (str, _str),
        (int, _int),
        (float, _float),
        (bool, _bool),
        (enum.Enum, _plain_enum),
        (enum.IntEnum, _plain_enum),
        (enum.StrEnum, _plain_enum),
    )
    for cls, hook in class_hooks:
        c.register_structure_hook(cls, hook)
    # Unions and generic aliases: exact-type predicates.
    exact_hooks: tuple[tuple[Any, Callable[[Any, Any], Any]], ...] = (
        (str | None, _opt_str),
        (int | None, _opt_int),
        (float | None, _opt_float),
        (bool | None, _opt_bool),
        (dict[str, Any], _dict),
        (dict[str, Any] | None, _opt_dict),
        (datetime, _datetime),
        (datetime | None, _opt_datetime),
    )
    for tp, hook in exact_hooks:
        c.register_structure_hook_func(_exactly(tp), hook)
    c.register_unstructure_hook_func(_exactly(datetime), _unstructure_datetime)
    c.register_unstructure_hook_func(_exactly(datetime | None), _unstructure_opt_datetime)


_configure()


# --------------------------------------------------------------------------------------------
# Public functions


def _type_name(tp: Any) -> str:
    args = get_args(tp)
    origin = get_origin(tp)
    if origin is not None and args:
        return f"{getattr(origin, '__name__', origin)}[{', '.join(map(_type_name, args))}]"
    return getattr(tp, "__name__", None) or repr(tp)


def _format_path(path: list[str | int]) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out


def _first_failure(exc: BaseException) -> tuple[list[str | int], BaseException]:
    """Follow cattrs' validation errors down to the first failing value."""
    path: list[str | int] = []
    while isinstance(exc, BaseValidationError) and exc.exceptions:
        sub = exc.exceptions[0]
        for note in reversed(getattr(sub, "__notes__", [])):
            if isinstance(note, AttributeValidationNote):
                path.append(note.name)
                break
            if isinstance(note, IterableValidationNote):
                path.append(note.index)
                break
        exc = sub
    return path, exc


def _describe(exc: BaseException, data: Any, path: list[str | int]) -> tuple[list[str | int], str]:
    """Turn the leaf exception into a message; blame a container of the wrong type, if any."""
    node = data
    for depth, part in enumerate(path):
        container_ok = isinstance(node, dict) if isinstance(part, str) else isinstance(node, list)
        if not container_ok:
            expected = "an object" if isinstance(part, str) else "an array"
            return path[:depth], str(_mismatch(node, expected))
        if isinstance(part, str):
            if part not in node:
                return path, "required key is missing"
            node = node[part]
        else:
            node = node[part]
    if isinstance(exc, KeyError):
        return path, f"required key {exc.args[0]!r} is missing" if exc.args else "key missing"
    return path, str(exc) or type(exc).__name__


#: Generated per-class functions tried before the detailed hooks (see ``_fast_structure``).
_fast = FastStructure(converter.get_structure_hook)


def _detailed(data: Any, cls: Any, model: Any, prefix: list[str | int]) -> Any:
    """cattrs' detailed path: the value, or a ``ResponseValidationError`` naming the field."""
    try:
        return converter.structure(data, cls)
    except StructureHandlerNotFoundError:
        raise  # a programming error (a type the converter cannot handle), not a bad body
    except Exception as exc:
        path, leaf = _first_failure(exc)
        path, message = _describe(leaf, data, path)
        raise ResponseValidationError(
            message, field_path=_format_path([*prefix, *path]), model=_type_name(model)
        ) from exc


def _structure_in_place(items: list[Any], cls: Any) -> list[Any]:
    """Decode a list item by item into itself: each raw item is released once decoded."""
    elem = get_args(cls)[0]
    try:
        hook = _fast.hook(elem)
    except Exception:  # a type the generator cannot handle: the detailed path, not in place
        return _detailed(items, cls, cls, [])  # type: ignore[no-any-return]
    for index in range(len(items)):
        item = items[index]
        try:
            items[index] = hook(item)
        except Exception:
            items[index] = _detailed(item, elem, cls, [index])
    return items


def item_decoder(
    cls: type[T], *, method: str | None = None, path: str | None = None
) -> Callable[[Any, int], T]:
    """A decoder of one list item of type ``cls``: ``decode(item, index) -> T``.

    Lists read lazily (the paginator) decode each item when it is reached. A bad item raises the
    :class:`~pneumatic_async.errors.ResponseValidationError` :func:`structure` would raise for the
    whole list, naming ``$[index]....`` and, when given, the request's ``method`` and ``path``.
    """
    many: Any = list[cls]  # type: ignore[valid-type]
    try:
        hook: Callable[[Any], Any] | None = _fast.hook(cls)
    except Exception:  # a type the generator cannot handle: the detailed path for every item
        hook = None

    def decode(item: Any, index: int) -> T:
        if hook is not None:
            try:
                return hook(item)  # type: ignore[no-any-return]
            except Exception:
                pass  # the detailed path decides, and explains
        try:
            return _detailed(item, cls, many, [index])  # type: ignore[no-any-return]
        except ResponseValidationError as exc:
            exc.method, exc.path = method, path
            raise

    return decode


def structure(data: Any, cls: type[T], *, consume: bool = False) -> T:
    """Decode JSON-shaped ``data`` into ``cls`` (a model class, or e.g. ``list[Model]``).

    Raises :class:`~pneumatic_async.errors.ResponseValidationError` naming the JSON path of the
    first value that does not fit.

    ``consume=True`` says ``data`` is the caller's to give away (a freshly parsed body): a list is
    then decoded into itself, each raw item released as soon as it is decoded, so the raw and the
    decoded trees are never alive whole at the same time (after an error, ``data`` is left
    half-decoded). Without it, ``data`` is left untouched.
    """
    if consume and data.__class__ is list and get_origin(cls) is list and get_args(cls):
        return _structure_in_place(data, cls)  # type: ignore[return-value]
    try:
        return _fast.hook(cls)(data)  # type: ignore[no-any-return]
    except Exception:
        pass  # the body does not fit the fast path: the detailed path decides, and explains
    return _detailed(data, cls, cls, [])  # type: ignore[no-any-return]


def unstructure(obj: Any) -> Any:
    """Encode a model (or a list/dict of models) back into the server's JSON shape."""
    return converter.unstructure(obj)
