"""The plain-data encoding: the only form in which values cross between the candidate's process
and the trusted test driver.

Both sandbox programs (`_test_driver.py`, `_candidate_process.py`) embed this file's source, so it
imports nothing but the standard library and defines nothing else. Encoding accepts builtin values
of exactly these types (subclasses are refused: a subclass can override `__eq__`): None, bool,
int, float, complex, str, bytes, list, tuple, set, frozenset and dict, nested. Decoding builds fresh
builtin objects from JSON and refuses anything else, so whatever the candidate's process sends, the
driver only ever holds values it made itself. `collections.OrderedDict`, `defaultdict` and `Counter`
are encoded as the dict they hold, since honest code returns them where a dict is expected.
"""

import base64
import collections
import json
from typing import Any

MAX_DEPTH = 100
MAX_ENCODED_CHARS = 16 * 1024 * 1024
_INF = float("inf")


class Unencodable(Exception):
    """A value that cannot cross as plain data; `type_name` says what it was."""

    def __init__(self, type_name: str, where: str = "") -> None:
        super().__init__(f"{type_name}{where}")
        self.type_name = type_name


class BadEncoding(Exception):
    """Data that is not a valid encoding (only a hostile or broken peer sends it)."""


_DICT_TYPES = (collections.OrderedDict, collections.defaultdict, collections.Counter)


def to_plain(value: Any, depth: int = 0) -> object:
    """`value` as JSON-able data with tags for what JSON lacks; raises `Unencodable`.

    Types are compared exactly and read through the builtin types' own methods, so a subclass
    (or an object posing as one) never gets to run its code here.
    """
    if depth > MAX_DEPTH:
        raise Unencodable("a structure nested too deeply (or containing itself)")
    kind = type(value)
    inner = depth + 1
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        if value != value or value in (_INF, -_INF):
            return {"$": "float", "v": repr(value)}
        return value
    if kind is list:
        return [to_plain(item, inner) for item in list.__iter__(value)]
    if kind is tuple:
        return {"$": "tuple", "v": [to_plain(item, inner) for item in tuple.__iter__(value)]}
    if kind is set or kind is frozenset:
        return {"$": kind.__name__, "v": [to_plain(item, inner) for item in kind.__iter__(value)]}
    if kind is dict or kind in _DICT_TYPES:
        pairs = [[to_plain(k, inner), to_plain(v, inner)] for k, v in dict.items(value)]
        return {"$": "dict", "v": pairs}
    if kind is bytes:
        return {"$": "bytes", "v": base64.b64encode(value).decode()}
    if kind is complex:
        return {"$": "complex", "v": [repr(value.real), repr(value.imag)]}
    raise Unencodable(_type_name(kind))


def _type_name(kind: type) -> str:
    module = type.__getattribute__(kind, "__module__")
    name = type.__getattribute__(kind, "__qualname__")
    if not isinstance(module, str) or not isinstance(name, str):
        return "an object of an unnamed type"
    return name if module in ("builtins", "__main__", "solution") else f"{module}.{name}"


def from_plain(data: Any, depth: int = 0) -> object:
    """Fresh builtin values from `to_plain`'s output; raises `BadEncoding` on anything else."""
    if depth > MAX_DEPTH:
        raise BadEncoding("nested too deeply")
    kind = type(data)
    inner = depth + 1
    if data is None or kind is bool or kind is int or kind is str or kind is float:
        return data
    if kind is list:
        return [from_plain(item, inner) for item in data]
    if kind is not dict or set(data) != {"$", "v"}:
        raise BadEncoding(f"unexpected {kind.__name__}")
    tag, body = data["$"], data["v"]
    try:
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "bytes" and type(body) is str:
            return base64.b64decode(body, validate=True)
        if tag == "complex" and type(body) is list and len(body) == 2:
            return complex(float(body[0]), float(body[1]))
        if type(body) is not list:
            raise BadEncoding(f"tag {tag!r} without a list")
        if tag == "tuple":
            return tuple(from_plain(item, inner) for item in body)
        if tag == "set":
            return {from_plain(item, inner) for item in body}
        if tag == "frozenset":
            return frozenset(from_plain(item, inner) for item in body)
        if tag == "dict":
            pairs = [pair for pair in body if type(pair) is list and len(pair) == 2]
            if len(pairs) != len(body):
                raise BadEncoding("a dict entry that is not a pair")
            return {from_plain(k, inner): from_plain(v, inner) for k, v in pairs}
    except (TypeError, ValueError) as exc:  # unhashable keys, bad numbers, bad base64
        raise BadEncoding(str(exc)) from None
    raise BadEncoding(f"unknown tag {tag!r}")


def dumps(value: object) -> str:
    """`value` encoded as one line of JSON text; raises `Unencodable`."""
    try:
        text = json.dumps(to_plain(value), allow_nan=False, separators=(",", ":"))
    except (ValueError, RecursionError) as exc:  # an int past the digit limit, say
        raise Unencodable("a value too large to encode", f" ({exc})") from None
    if len(text) > MAX_ENCODED_CHARS:
        raise Unencodable("a value too large to encode")
    return text


def loads(text: str) -> object:
    """The value `dumps` encoded; raises `BadEncoding`."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadEncoding(str(exc)) from None
    return from_plain(data)
