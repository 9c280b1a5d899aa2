"""Generated fast structure functions: one plain Python function per attrs class.

The converter (:mod:`pneumatic_async._converter`) decodes every body with these first and only
falls back to cattrs' detailed hooks when one of them rejects the body. Each function is
generated once per class, as source code compiled with :func:`exec`, and

* decodes the classes nested in it inline (one function per class tree: no call per nested
  object, a plain loop per list of objects);
* reads each key with the JSON decoder's own key object (orjson keeps one per key), so a dict
  lookup is an identity hit instead of a string comparison;
* checks scalars inline (``type(v) is str``, which CPython 3.11+ runs faster than
  ``v.__class__``; ``v is True or v is False``): no hook call per
  ``str``/``int``/``bool``/optional scalar;
* turns ``*_tsp`` epoch seconds into UTC datetimes with one ``datetime.fromtimestamp`` call;
* maps ``Enum | str`` / ``Enum | int`` values through a dict (unknown values stay raw);
* builds the instance without running the class's ``__init__``: an empty instance of a hidden
  mutable "twin" subclass, plain slot stores, then ``__class__`` set to the real class (see
  :func:`_builder`; users get frozen, slotted instances of the exact class; about 10x cheaper
  than a keyword-argument ``__init__``, ``benchmarks/construct.py``). Classes with validators,
  converters, ``__attrs_post_init__`` or non-slotted classes go through their ``__init__``.

A generated function accepts exactly what the detailed path accepts or less, never more: when it
rejects a value it raises (any exception), and :func:`~pneumatic_async._converter.structure` then
re-runs cattrs' detailed path, which either decodes what the fast path was too strict for (an enum
member given instead of its value, a ``Mapping`` that is not a ``dict``) or names the bad field.
Unknown keys are ignored (only known keys are read). Keys are read with subscripts; a key with a
default first seen absent is read with ``d.get`` from then on: every function holding that class's
code is compiled again and its code object swapped in place, so callers keep the same function.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, get_args, get_origin

import attrs

from pneumatic_async import _json

__all__ = ["FastStructure"]

_NONE = type(None)
_MISSING = object()

Hook = Callable[[Any], Any]


class _Reject(Exception):
    """Raised by generated code for a value the fast path does not take."""


def _reject(*_: Any) -> Any:
    raise _Reject


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if isinstance(tp, types.UnionType) or get_origin(tp) is typing.Union:
        return get_args(tp)
    return None


def _enum_union(tp: Any) -> tuple[type[enum.Enum], type, bool] | None:
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


def _optional_inner(tp: Any) -> Any:
    args = _union_args(tp)
    if args is not None and len(args) == 2 and _NONE in args:
        return args[0] if args[1] is _NONE else args[1]
    return _MISSING


_SCALAR_CHECKS = {
    str: "type({v}) is not str",
    int: "type({v}) is not int",
    bool: "{v} is not True and {v} is not False",
}


def _builder(cls: type) -> type | None:
    """A hidden mutable twin of a frozen slotted class, or ``None`` when there cannot be one.

    The twin is a subclass that adds no slot and restores ``object``'s ``__setattr__``: an
    instance is created as a twin, its slots are filled with plain attribute stores, and its
    ``__class__`` is then set to ``cls`` (same layout, so CPython allows it). What users get is a
    plain, frozen ``cls`` instance; the twin never leaves the generated function. Classes with
    validators, converters, pre/post-init hooks, a cached hash, a custom metaclass or no slots are
    built with their ``__init__`` instead.
    """
    if (
        type(cls) is not type
        or "__slots__" not in cls.__dict__
        or getattr(cls, "__new__", None) is not object.__new__
    ):
        return None
    if "__attrs_cached_hash__" in cls.__dict__["__slots__"]:
        return None
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return None
    for field in attrs.fields(cls):
        if field.validator is not None or field.converter is not None or not field.init:
            return None
        default = field.default
        if isinstance(default, attrs.Factory) and default.takes_self:  # type: ignore[arg-type]
            return None
        if not field.name.isidentifier() or field.name.startswith("__"):
            return None
    try:
        twin = type(
            f"_Building{cls.__name__}",
            (cls,),
            {
                "__slots__": (),
                "__module__": __name__,
                "__setattr__": object.__setattr__,
                "__delattr__": object.__delattr__,
                # ``twin()`` allocates an empty instance (cheaper than ``object.__new__(twin)``)
                "__init__": object.__init__,
            },
        )
        probe: Any = twin()
        probe.__class__ = cls
    except TypeError:  # pragma: no cover - a layout CPython refuses to switch
        return None
    return twin


#: How deep nested classes are written into their parent's function (deeper: a call).
_INLINE_DEPTH = 8


class FastStructure:
    """Generates and caches the fast structure function of each type.

    ``fallback(tp)`` returns the detailed converter's hook for a type the generator does not
    handle itself; the generated code calls it as ``hook(value, tp)``.

    A class's function decodes its nested classes inline (no call per nested object, a plain
    loop per list of objects) down to ``_INLINE_DEPTH`` levels; a class that contains itself is
    called, not inlined, where it recurs.
    """

    def __init__(self, fallback: Callable[[Any], Callable[[Any, Any], Any]]) -> None:
        self._fallback = fallback
        self._names: dict[Any, str] = {}
        self._namespace: dict[str, Any] = {
            "_Reject": _Reject,
            "_reject": _reject,
            "_MISSING": _MISSING,
            "_new": object.__new__,
            "_fromts": datetime.fromtimestamp,
            "_UTC": UTC,
            "_list": list,
            "_map": map,
            "_dict": dict,
            "_float": float,
        }
        self._hooks: dict[Any, Hook] = {}
        self._counter = 0
        #: Per class: a frozen-slotted twin to build instances with (or None), and the keys seen
        #: absent from a body (read with ``d.get``; every other key with a subscript).
        self._twins: dict[type, type | None] = {}
        self._absent: dict[type, set[str]] = {}
        self._bound: dict[tuple[str, type], str] = {}
        #: Per generated function (by name): its class, and every class whose code it holds.
        self._roots: dict[str, type] = {}
        self._holds: dict[str, set[type]] = {}
        self._keys: dict[str, set[str]] = {}
        self._namespace["_K"] = {}
        self._namespace["_relearn"] = self._relearn

    def hook(self, tp: Any) -> Hook:
        """The fast function for ``tp`` (a class or e.g. ``list[Model]``): ``fn(data) -> obj``."""
        try:
            return self._hooks[tp]
        except KeyError:
            pass
        hook = self._element(tp)
        self._hooks[tp] = hook
        return hook

    # ----------------------------------------------------------------------------------------
    # Namespace helpers

    def _bind(self, prefix: str, value: Any) -> str:
        self._counter += 1
        name = f"_{prefix}{self._counter}"
        self._namespace[name] = value
        return name

    def _bind_once(self, prefix: str, cls: type) -> str:
        name = self._bound.get((prefix, cls))
        if name is None:
            value = cls if prefix == "cls" else self._twins[cls]
            name = self._bound[prefix, cls] = self._bind(prefix, value)
        return name

    def _fresh(self) -> int:
        self._counter += 1
        return self._counter

    def _class_function(self, cls: type) -> str:
        """The namespace name of ``cls``'s generated function (generated on first use; the name
        exists before the body so classes that contain themselves work)."""
        name = self._names.get(cls)
        if name is None:
            name = f"s_{cls.__name__}_{self._fresh()}"
            self._names[cls] = name
            self._roots[name] = cls
            exec(self._compile(name), self._namespace)
        return name

    def _compile(self, name: str) -> Any:
        """Source of the function ``name``: its class's code, nested classes inline.

        The JSON keys it reads are parameters whose defaults are the JSON decoder's own key
        objects (see :meth:`_key`), not constants of the code.
        """
        cls = self._roots[name]
        self._holds[name] = set()
        self._keys[name] = set()
        body = ["    " + line for line in self._object(cls, "d", "o", name, (cls,))]
        keys = sorted(self._keys[name])
        self._learn_keys(keys)
        params = ", ".join(["d", *(f"_k_{key}=_K[{key!r}]" for key in keys)])
        lines = [f"def {name}({params}):", *body, "    return o"]
        return compile("\n".join(lines) + "\n", f"<structure {cls.__qualname__}>", "exec")

    def _key(self, owner: str, key: str) -> str:
        """The name under which the function ``owner`` reads the JSON key ``key``.

        orjson keeps one ``str`` object per short key across documents. A dict lookup with that
        very object is an identity hit, about half the cost of a lookup with an equal string (a
        code constant, interned by CPython, never is that object). So each key is a parameter
        whose default is the decoder's own key object. This changes speed, never results: with
        the standard library's decoder, or a key orjson did not keep, lookups compare strings.
        """
        self._keys[owner].add(key)
        return f"_k_{key}"

    def _learn_keys(self, keys: list[str]) -> None:
        table: dict[str, str] = self._namespace["_K"]
        missing = [key for key in keys if key not in table]
        if missing:
            decoded: dict[str, Any] = _json.loads(_json.dumps(dict.fromkeys(missing, 0)))
            table.update((key, key) for key in decoded)

    def _element(self, tp: Any) -> Hook:
        """A one-argument function for a non-attribute value of type ``tp``."""
        if isinstance(tp, type) and attrs.has(tp):
            return typing.cast(Hook, self._namespace[self._class_function(tp)])
        lines = ["def _elem(v):"]
        lines += ["    " + line for line in self._convert(tp, "v", None, ())]
        lines.append("    return v")
        namespace = self._namespace
        local: dict[str, Any] = {}
        exec(compile("\n".join(lines), f"<structure {tp!r}>", "exec"), namespace, local)
        return typing.cast(Hook, local["_elem"])

    # ----------------------------------------------------------------------------------------
    # Code generation: statements that check ``v`` and replace it with its structured value.
    # ``owner`` is the function being written (None: nested classes are called, not inlined),
    # ``stack`` the classes being written around this value.

    @staticmethod
    def _inlines(cls: type, owner: str | None, stack: tuple[type, ...]) -> bool:
        return owner is not None and cls not in stack and len(stack) < _INLINE_DEPTH

    def _nested(self, cls: type, v: str, owner: str | None, stack: tuple[type, ...]) -> list[str]:
        if owner is None or not self._inlines(cls, owner, stack):
            return [f"{v} = {self._class_function(cls)}({v})"]
        return self._object(cls, v, v, owner, (*stack, cls))

    def _convert(self, tp: Any, v: str, owner: str | None, stack: tuple[type, ...]) -> list[str]:
        if tp is Any or tp is object:
            return []
        check = _SCALAR_CHECKS.get(tp)
        if check is not None:
            return [f"if {check.format(v=v)}: raise _Reject"]
        if tp is float:
            return [
                f"if type({v}) is not float:",
                f"    if type({v}) is not int: raise _Reject",
                f"    {v} = _float({v})",
            ]
        if tp is datetime:
            return [
                f"if type({v}) is float or type({v}) is int: {v} = _fromts({v}, _UTC)",
                "else: raise _Reject",
            ]
        if isinstance(tp, type) and attrs.has(tp):
            return self._nested(tp, v, owner, stack)
        split = _enum_union(tp)
        if split is not None:
            enum_cls, base, optional = split
            table = self._bind("table", {member.value: member for member in enum_cls})
            out = [
                f"if type({v}) is {base.__name__}: {v} = {table}.get({v}, {v})",
            ]
            if optional:
                out.append(f"elif {v} is not None: raise _Reject")
            else:
                out.append("else: raise _Reject")
            return out
        inner = _optional_inner(tp)
        if inner is not _MISSING:
            body = self._convert(inner, v, owner, stack)
            if not body:
                return []
            return [f"if {v} is not None:", *("    " + line for line in body)]
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            table = self._bind("table", {member.value: member for member in tp})
            return [f"{v} = {table}[{v}]"]
        if tp is list or get_origin(tp) is list:
            return self._list(tp, v, owner, stack)
        if tp is dict or get_origin(tp) is dict:
            args = get_args(tp)
            if not args or (args[0] is str and args[1] is Any):
                return [f"if type({v}) is not dict: raise _Reject", f"{v} = _dict({v})"]
        # Anything else: the detailed converter's own hook.
        hook = self._bind("hook", self._fallback(tp))
        target = self._bind("type", tp)
        return [f"{v} = {hook}({v}, {target})"]

    def _list(self, tp: Any, v: str, owner: str | None, stack: tuple[type, ...]) -> list[str]:
        args = get_args(tp)
        elem = args[0] if args else Any
        head = [f"if type({v}) is not list: raise _Reject"]
        if elem is Any:
            return [*head, f"{v} = _list({v})"]
        check = _SCALAR_CHECKS.get(elem)
        if check is not None:
            return [
                *head,
                f"for _x in {v}:",
                f"    if {check.format(v='_x')}: raise _Reject",
                f"{v} = _list({v})",
            ]
        if isinstance(elem, type) and attrs.has(elem):
            if owner is not None and self._inlines(elem, owner, stack):  # a plain loop
                item, out = f"e{self._fresh()}", f"_out{self._fresh()}"
                body = self._object(elem, item, item, owner, (*stack, elem))
                return [
                    *head,
                    f"if {v}:",
                    f"    {out} = []",
                    f"    for {item} in {v}:",
                    *("        " + line for line in body),
                    f"        {out}.append({item})",
                    f"    {v} = {out}",
                    f"else: {v} = []",
                ]
            fn = self._class_function(elem)
        else:
            fn = self._bind("elem", self._element(elem))
        return [*head, f"{v} = _list(_map({fn}, {v})) if {v} else []"]

    def _default_code(self, default: Any) -> str:
        """Source for a default value: a literal for constants, a namespace name otherwise."""
        if default is None or default is True or default is False:
            return repr(default)
        if default.__class__ in (int, str) and len(repr(default)) < 80:
            return repr(default)
        return self._bind("default", default)

    def _field_code(
        self, field: Any, src: str, var: str, tolerant: bool, owner: str, stack: tuple[type, ...]
    ) -> tuple[str, list[str]]:
        """How to read ``field``'s key from the dict ``src`` into ``var``, and how to check and
        convert it.

        The key is read with a subscript (the cheapest read) unless ``tolerant``: then with
        ``d.get`` and the field's default when it is absent.
        """
        key, default, tp = field.name, field.default, field.type
        body = self._convert(tp, var, owner, stack)
        if default is attrs.NOTHING or not tolerant:
            return f"{var} = {src}[{self._key(owner, key)}]", body
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            factory = default.factory
            make = "[]" if factory is list else "{}" if factory is dict else None
            make = make or f"{self._bind('factory', factory)}()"
            return f"{var} = {src}.get({self._key(owner, key)}, _MISSING)", [
                f"if {var} is _MISSING: {var} = {make}",
                *(["else:", *("    " + line for line in body)] if body else []),
            ]
        code = self._default_code(default)
        get = f"{var} = {src}.get({self._key(owner, key)}"
        get += ")" if default is None else f", {code})"
        inner = _optional_inner(tp)
        check = _SCALAR_CHECKS.get(tp if inner is _MISSING else inner)
        if check is not None and (inner is not _MISSING or default.__class__ is tp):
            # A scalar whose default passes its own check: one test, no identity check.
            return get, body
        if not body or (default is None and inner is not _MISSING):
            # ``X | None = None``: the optional's own ``is not None`` test is the only one needed.
            return get, body
        # Convert only what was sent: the default is already the field's value.
        return get, [f"if {var} is not {code}:", *("    " + line for line in body)]

    def _object(
        self, cls: type, src: str, dst: str, owner: str, stack: tuple[type, ...]
    ) -> list[str]:
        """Statements decoding the dict in ``src`` into a ``cls`` instance in ``dst``.

        A key read with a subscript and found absent hands the dict to :meth:`_relearn`.
        """
        attrs.resolve_types(cls)
        if cls not in self._twins:
            self._twins[cls] = _builder(cls)
        self._holds[owner].add(cls)
        absent = self._absent.setdefault(cls, set())
        cls_name = self._bind_once("cls", cls)
        n = self._fresh()
        reads: list[str] = []
        checks: list[str] = []
        kwargs: list[str] = []
        stores: list[str] = []
        for index, field in enumerate(attrs.fields(cls)):
            var = f"v{n}_{index}"
            read, check = self._field_code(field, src, var, field.name in absent, owner, stack)
            reads.append("    " + read)
            checks += check
            kwargs.append(f"{field.alias}={var}")
            stores.append(f"{dst}.{field.name} = {var}")
        if self._twins[cls] is not None:
            build = [
                f"{dst} = {self._bind_once('twin', cls)}()",
                *stores,
                f"{dst}.__class__ = {cls_name}",
            ]
        else:
            build = [f"{dst} = {cls_name}({', '.join(kwargs)})"]
        return [
            f"if type({src}) is not dict: raise _Reject",
            "try:",
            *reads,
            "except KeyError:",
            f"    {dst} = _relearn({cls_name}, {src})",
            "else:",
            *("    " + line for line in [*checks, *build]),
        ]

    def _relearn(self, cls: type, data: dict[str, Any]) -> Any:
        """A key ``cls``'s code reads with a subscript is absent from ``data``: a required key
        rejects the body; a key with a default is read with ``d.get`` from now on (every function
        holding ``cls``'s code is compiled again, in place) and ``data`` is decoded anew."""
        fields = attrs.fields(cls)
        if any(f.default is attrs.NOTHING and f.name not in data for f in fields):
            raise _Reject
        absent = self._absent[cls]
        before = len(absent)
        absent.update(f.name for f in fields if f.name not in data)
        name = self._class_function(cls)
        if len(absent) != before:
            for owner, held in list(self._holds.items()):
                if cls in held:
                    local: dict[str, Any] = {}
                    exec(self._compile(owner), self._namespace, local)
                    function = self._namespace[owner]
                    function.__code__ = local[owner].__code__
                    function.__defaults__ = local[owner].__defaults__
        return self._namespace[name](data)
