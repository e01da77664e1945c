"""The plain-data encoding: the only form in which values cross between the candidate's process
and the trusted test driver.

Both sandbox programs (`_test_driver.py`, `_candidate_process.py`) embed this file's source, so it
imports almost nothing (the candidate's process starts fresh for every verification, and every
import there is paid each time). Plain data is builtin values of these types: None, bool, int,
float, complex, str, bytes, list, tuple, set, frozenset and dict, nested. An instance of a
subclass (a namedtuple, an IntEnum, a `Counter`, or a class written to lie about `__eq__`) counts
as the builtin value it holds, read through the builtin type's own slots, so none of the
subclass's code runs and none of its behaviour crosses. Anything else is refused.

- The candidate's process answers with `encode` (JSON with tags for what JSON lacks), and the
  driver reads answers with `decode`, which builds fresh builtin values and refuses anything
  else: whatever the candidate's process sends, the driver only holds values it made itself.
- The driver sends requests with `literal` (Python literal syntax of values it made itself), and
  the candidate's process reads them with `from_literal`. That direction needs no checking: the
  driver is the trusted side.
"""

from __future__ import annotations

from _json import encode_basestring_ascii as _json_string

# No `typing` import at run time: this code runs in a fresh interpreter per verification, and
# `typing` pulls in `re`. Annotations are never evaluated (postponed, above).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 100
MAX_ENCODED_CHARS = 16 * 1024 * 1024
_INF = float("inf")
_PLAIN = frozenset(
    {bool, int, float, complex, str, bytes, list, tuple, set, frozenset, dict}
)


class Unencodable(Exception):
    """A value that is not plain data; `type_name` says what it was."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


class BadEncoding(Exception):
    """Data that is not a valid encoding (only a hostile or broken peer sends it)."""


def _kind(value: Any, depth: int) -> type:
    """The builtin type whose value `value` holds, or `Unencodable`."""
    if depth > MAX_DEPTH:
        raise Unencodable("a structure nested too deeply (or containing itself)")
    kind = type(value)
    if value is None or kind in _PLAIN:
        return kind
    for base in type.__getattribute__(kind, "__mro__")[1:]:
        if base in _PLAIN:
            return base  # type: ignore[no-any-return]
    module = type.__getattribute__(kind, "__module__")
    name = type.__getattribute__(kind, "__qualname__")
    if not isinstance(module, str) or not isinstance(name, str):
        raise Unencodable("an object of an unnamed type")
    own = module in ("builtins", "__main__", "solution")
    raise Unencodable(name if own else f"{module}.{name}")


def _scalar(kind: type, value: Any) -> Any:
    """An exact builtin scalar from `value`, read through `kind`'s own slots (no override runs)."""
    if kind is int:
        return int.__int__(value)
    if kind is float:
        return float.__float__(value)
    if kind is str:
        return str.__str__(value)
    if kind is bytes:
        return bytes(memoryview(value))
    if kind is complex:
        return complex(complex.real.__get__(value), complex.imag.__get__(value))
    return value  # None and bool have no subclasses


def _json(value: Any, depth: int) -> str:
    kind = _kind(value, depth)
    inner = depth + 1
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is list:
        return "[" + ",".join(_json(item, inner) for item in list.__iter__(value)) + "]"
    if kind is tuple or kind is set or kind is frozenset:
        items = ",".join(_json(item, inner) for item in kind.__iter__(value))
        return _tagged(kind.__name__, f"[{items}]")
    if kind is dict:
        pairs = ",".join(
            f"[{_json(k, inner)},{_json(v, inner)}]" for k, v in dict.items(value)
        )
        return _tagged("dict", f"[{pairs}]")
    scalar = _scalar(kind, value)
    if kind is int:
        try:
            return repr(scalar)
        except ValueError:  # past the int-to-string digit limit the process runs with
            raise Unencodable("an int too large to encode") from None
    if kind is float:
        text = repr(scalar)
        finite = scalar == scalar and scalar not in (_INF, -_INF)
        return text if finite else _tagged("float", f'"{text}"')
    if kind is str:
        return _json_string(scalar)
    if kind is bytes:
        return _tagged("bytes", f'"{scalar.hex()}"')
    return _tagged("complex", f'["{scalar.real!r}","{scalar.imag!r}"]')


def _tagged(tag: str, body: str) -> str:
    return f'{{"$":"{tag}","v":{body}}}'


def encode(value: object) -> str:
    """`value` as one line of JSON with tags for what JSON lacks; raises `Unencodable`."""
    text = _json(value, 0)
    if len(text) > MAX_ENCODED_CHARS:
        raise Unencodable("a value too large to encode")
    return text


def decode(text: str) -> object:
    """The value `encode` wrote, as fresh builtin values; raises `BadEncoding`."""
    import json  # the driver's (warm) import; the candidate's process never decodes JSON

    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadEncoding(str(exc)) from None
    return _from_json(data, 0)


def _from_json(data: Any, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise BadEncoding("nested too deeply")
    kind = type(data)
    inner = depth + 1
    if data is None or kind is bool or kind is int or kind is str or kind is float:
        return data
    if kind is list:
        return [_from_json(item, inner) for item in data]
    if kind is not dict or set(data) != {"$", "v"}:
        raise BadEncoding(f"unexpected {kind.__name__}")
    tag, body = data["$"], data["v"]
    try:
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "bytes" and type(body) is str:
            return bytes.fromhex(body)
        if tag == "complex" and type(body) is list and len(body) == 2:
            if not all(type(part) is str for part in body):
                raise BadEncoding("complex parts must be text")
            return complex(float(body[0]), float(body[1]))
        if type(body) is not list:
            raise BadEncoding(f"tag {tag!r} without a list")
        if tag == "tuple":
            return tuple(_from_json(item, inner) for item in body)
        if tag == "set":
            return {_from_json(item, inner) for item in body}
        if tag == "frozenset":
            return frozenset(_from_json(item, inner) for item in body)
        if tag == "dict":
            pairs = [pair for pair in body if type(pair) is list and len(pair) == 2]
            if len(pairs) != len(body):
                raise BadEncoding("a dict entry that is not a pair")
            return {_from_json(k, inner): _from_json(v, inner) for k, v in pairs}
    except (TypeError, ValueError) as exc:  # unhashable keys, bad numbers, bad hex
        raise BadEncoding(str(exc)) from None
    raise BadEncoding(f"unknown tag {tag!r}")


def literal(value: object) -> str:
    """`value` (plain data the caller made) as Python literal text; raises `Unencodable`."""
    try:
        return repr(_rebuilt(value, 0))
    except ValueError:  # an int past the int-to-string digit limit
        raise Unencodable("an int too large to encode") from None


def _rebuilt(value: Any, depth: int) -> object:
    """A copy of `value` in exactly the builtin types, whose `repr` is a literal."""
    kind = _kind(value, depth)
    inner = depth + 1
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return kind(_rebuilt(item, inner) for item in kind.__iter__(value))
    if kind is dict:
        return {_rebuilt(k, inner): _rebuilt(v, inner) for k, v in dict.items(value)}
    return _scalar(kind, value)


_LITERAL_NAMES = {"nan": float("nan"), "inf": _INF, "set": set, "frozenset": frozenset}


def from_literal(text: str) -> Any:
    """The value `literal` wrote (only ever text from the trusted driver)."""
    return eval(text, {"__builtins__": {}}, dict(_LITERAL_NAMES))
