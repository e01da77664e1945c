"""The candidate's process: loads the candidate's code and answers calls to its functions.

A standalone program (with `_plain_data.py`'s source prepended), started by the test driver as a
fresh interpreter (`python -I -S`), so that its memory never held the tests, the expected values
or the driver's report channel. It reads length-prefixed requests on fd 0 and answers on fd 1;
whatever it answers is only a claim, checked by the driver. It knows nothing worth forging.
"""

from __future__ import annotations

import builtins
import io
import os
import sys
import types

TYPE_CHECKING = False  # no `typing` at run time: it pulls in `re` (see _plain_data.py)
if TYPE_CHECKING:
    from typing import Any

from agentloop.sandbox._plain_data import Unencodable, encode, from_literal  # noqa: E402 (embedded)

# Nothing else is imported up front: this process starts fresh for every verification, and
# `traceback` and `linecache` (which pull in `re`) are loaded only when something raises.
_CANDIDATE = "<candidate>"
_SOURCE = [""]
EXIT_MEMORY = 251
"""Exit status of a sandbox Python process for an uncaught MemoryError (the runner's too)."""


class _CappedText(io.TextIOBase):
    """Keeps the first `cap` characters written (the candidate's prints)."""

    def __init__(self, cap: int) -> None:
        self.cap, self.size, self.truncated = cap, 0, False
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        text = str(text)
        kept = text[: max(self.cap - self.size, 0)]
        self.parts.append(kept)
        self.size += len(kept)
        self.truncated = self.truncated or len(kept) < len(text)
        return len(text)

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        return "".join(self.parts)


def _short(text: object, limit: int) -> str:
    try:
        value = str(text)
    except BaseException:
        value = "<unprintable>"
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _trimmed_traceback(exc: BaseException, limit: int) -> str:
    """The traceback, keeping only the frames in the candidate's own code."""
    import linecache
    import traceback

    source = _SOURCE[0]  # so that the traceback shows the candidate's own lines
    linecache.cache[_CANDIDATE] = (len(source), None, source.splitlines(True), _CANDIDATE)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == _CANDIDATE]
    lines = ["Traceback (most recent call last):\n"]
    for frame in frames:
        lines.append(f"  line {frame.lineno} of your code, in {frame.name}\n")
        if frame.line:
            lines.append(f"    {frame.line.strip()}\n")
    try:
        lines.extend(traceback.format_exception_only(type(exc), exc))
    except BaseException:
        lines.append(f"{type(exc).__name__}\n")
    text = "".join(lines)
    return text if len(text) <= limit else "..." + text[-limit:]


def _builtin_class(exc: BaseException) -> str:
    """The nearest builtin exception class of `exc`: what a test's `except` clause would catch."""
    for kind in type(exc).__mro__:
        if getattr(builtins, kind.__name__, None) is kind:
            return str(kind.__name__)
    return "BaseException"


def _raised(exc: BaseException, limit: int) -> dict[str, object]:
    return {
        "raised": _builtin_class(exc),
        "type_name": _short(type(exc).__name__, 100),
        "message": _short(exc, limit),
        "traceback": _trimmed_traceback(exc, 4 * limit),
        "memory": isinstance(exc, MemoryError),
    }


def serve(requests: int, replies: int) -> None:
    """Answer the driver's requests on these two fds until it closes them."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    out, err = _CappedText(4000), _CappedText(4000)
    sys.stdout, sys.stderr, sys.stdin = out, err, open(os.devnull)
    if "random" in sys.modules:
        sys.modules["random"].seed()  # forked from the driver: not its PRNG state
    limit = 500

    def receive() -> dict[str, Any] | None:
        header = os.read(requests, 4)
        if len(header) < 4:
            return None
        size = int.from_bytes(header, "big")
        body = bytearray()
        while len(body) < size:
            chunk = os.read(requests, size - len(body))
            if not chunk:
                return None
            body += chunk
        request: dict[str, Any] = from_literal(body.decode())
        return request

    def reply(message: dict[str, object]) -> None:
        try:
            body = encode(message).encode()
        except Unencodable as exc:
            body = encode({"unsupported": exc.type_name}).encode()
        except BaseException as exc:  # a hostile __iter__ or __repr__ raising while encoding
            body = encode(_raised(exc, limit)).encode()
        data = memoryview(len(body).to_bytes(4, "big") + body)
        while data:
            data = data[os.write(replies, data) :]

    module = types.ModuleType("solution")
    namespace = module.__dict__
    namespace["__name__"] = "__main__"
    namespace["__builtins__"] = builtins
    sys.modules["solution"] = module
    while (request := receive()) is not None:
        op = request["op"]
        if op == "load":
            out.cap = err.cap = int(request["output_limit"])
            reply(_load(str(request["source"]), request.get("entry_point"), namespace, limit))
        elif op == "call":
            function: Any = namespace.get(str(request["name"]))
            try:
                value = function(*request["args"], **request["kwargs"])
            except BaseException as exc:  # the candidate's own exceptions, reported as data
                reply(_raised(exc, limit))
                continue
            reply({"value": value})
        elif op == "output":
            reply({"stdout": out.getvalue(), "stderr": err.getvalue(),
                   "truncated": out.truncated or err.truncated})


def _load(
    source: str, entry_point: object, namespace: dict[str, object], limit: int
) -> dict[str, object]:
    _SOURCE[0] = source
    try:
        code = compile(source, _CANDIDATE, "exec")
    except (SyntaxError, ValueError) as exc:
        return {"syntax_error": _short(getattr(exc, "msg", exc), limit),
                "lineno": getattr(exc, "lineno", None),
                "text": _short(getattr(exc, "text", None) or "", limit)}
    try:
        exec(code, namespace)
    except BaseException as exc:
        return {"load_error": _raised(exc, limit)}
    functions, values, modules = [], {}, {}
    for name, value in list(namespace.items()):
        if name.startswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            modules[name] = _short(getattr(value, "__name__", ""), 200)
        elif callable(value):
            functions.append(name)
        else:
            try:
                encode(value)
            except BaseException:
                continue  # not plain data: the tests cannot use it
            values[name] = value
    if isinstance(entry_point, str) and entry_point not in functions:
        return {"missing_entry_point": entry_point, "defined": sorted(functions)}
    return {"loaded": True, "functions": functions, "values": values, "modules": modules}


if __name__ == "__main__":  # the driver's fallback: a fresh interpreter, pipes on fds 0 and 1
    sys.set_int_max_str_digits(0)
    sys.path[:] = from_literal(sys.argv[1])  # the driver's import path: no site processing
    try:
        serve(os.dup(0), os.dup(1))
    except MemoryError:
        os._exit(EXIT_MEMORY)
