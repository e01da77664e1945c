"""The verifier's harness: runs *inside* the sandbox, never imported by agentloop.

It reads a JSON payload on stdin (the candidate, the test steps, which tests to run, limits),
loads the candidate, runs each test on its own under a per-test timer, and reports one JSON
record per event on the original stdout, each line prefixed by a per-run nonce so that the
candidate's own prints cannot be mistaken for records. The candidate's prints go to capped
buffers instead.
"""

from __future__ import annotations

import json
import linecache
import operator
import os
import signal
import sys
import threading
import time
import traceback
import types
from typing import Any

_CANDIDATE = "<candidate>"
_TEST = "<test>"
_OPS: dict[str, Any] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge, "is": operator.is_, "is not": operator.is_not,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}


class _Timeout(BaseException):
    """Raised by the per-test timer; a BaseException so that `except Exception` cannot eat it."""


class _CappedText:
    """A text stream that keeps the first `cap` characters and drops the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def write(self, text: str) -> int:
        if self.size < self.cap:
            kept = text[: self.cap - self.size]
            self.parts.append(kept)
            self.size += len(kept)
        if self.size >= self.cap and len(text):
            self.truncated = self.truncated or self.size + len(text) > self.cap
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        return "".join(self.parts)


def _short_repr(value: Any, limit: int) -> str:
    try:
        text = repr(value)
    except BaseException as exc:  # a hostile __repr__ must not end the run
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _trimmed_traceback(exc: BaseException, limit: int) -> str:
    """The traceback, keeping only frames in the candidate's code (or the failing test line)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if f.filename == _CANDIDATE]
    if not own:
        own = [f for f in frames if f.filename == _TEST][-1:]
    lines = ["Traceback (most recent call last):\n"]
    for frame in own:
        where = "your code" if frame.filename == _CANDIDATE else "the test"
        lines.append(f"  line {frame.lineno} of {where}, in {frame.name}\n")
        if frame.line:
            lines.append(f"    {frame.line.strip()}\n")
    lines.extend(traceback.format_exception_only(type(exc), exc))
    text = "".join(lines)
    return text if len(text) <= limit else "..." + text[-limit:]


def main() -> None:
    payload: dict[str, Any] = json.loads(sys.stdin.read())
    nonce: str = payload["nonce"]
    records = os.dup(1)
    value_limit = int(payload.get("value_limit", 500))
    tb_limit = int(payload.get("traceback_limit", 2000))

    def emit(record: dict[str, Any]) -> None:
        os.write(records, (nonce + json.dumps(record) + "\n").encode())

    out = _CappedText(int(payload.get("output_limit", 4000)))
    err = _CappedText(int(payload.get("output_limit", 4000)))
    sys.stdout, sys.stderr = out, err
    sys.stdin = open(os.devnull)

    def on_alarm(signum: int, frame: Any) -> None:
        raise _Timeout()

    signal.signal(signal.SIGALRM, on_alarm)

    current: dict[str, Any] = {"deadline": None, "index": None, "phase": "load"}

    def timed(seconds: float, function: Any) -> Any:
        current["deadline"] = time.monotonic() + seconds + 0.5
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            current["deadline"] = None

    def watchdog() -> None:
        # Backs up the timer for code that disarms it or swallows _Timeout: report the test as
        # timed out and end the process; the host runs the remaining tests in a fresh one.
        while True:
            time.sleep(0.05)
            deadline = current["deadline"]
            if deadline is not None and time.monotonic() > deadline:
                index = current["index"]
                if current["phase"] == "load":
                    emit({"event": "load_timeout"})
                elif index is None:
                    emit({"event": "setup_error", "exception_type": "Timeout",
                          "message": f"test setup took longer than {per_test:g}s"})
                else:
                    emit({"event": "result", "index": index, "outcome": "timeout",
                          "message": f"took longer than {per_test:g}s"})
                os._exit(0)

    per_test = float(payload["test_timeout"])
    threading.Thread(target=watchdog, daemon=True).start()

    def finish() -> None:
        emit({"event": "output", "stdout": out.getvalue(), "stderr": err.getvalue(),
              "truncated": out.truncated or err.truncated})

    candidate: str = payload["candidate"]
    linecache.cache[_CANDIDATE] = (len(candidate), None, candidate.splitlines(True), _CANDIDATE)
    try:
        code = compile(candidate, _CANDIDATE, "exec")
    except (SyntaxError, ValueError) as exc:
        emit({"event": "syntax_error", "message": getattr(exc, "msg", str(exc)),
              "lineno": getattr(exc, "lineno", None), "text": getattr(exc, "text", None)})
        return

    # The candidate's namespace doubles as a module, so tests may `from solution import f`.
    module = types.ModuleType("solution")
    namespace = module.__dict__
    namespace["__name__"] = "__main__"
    sys.modules["solution"] = module
    emit({"event": "load"})
    try:
        timed(float(payload["load_timeout"]), lambda: exec(code, namespace))
    except _Timeout:
        emit({"event": "load_timeout"})
        finish()
        return
    except BaseException as exc:
        emit({"event": "load_error", "memory": isinstance(exc, MemoryError),
              "exception_type": type(exc).__name__, "message": _short_repr(str(exc), value_limit),
              "traceback": _trimmed_traceback(exc, tb_limit)})
        finish()
        return

    entry_point = payload.get("entry_point")
    if entry_point and not callable(namespace.get(entry_point)):
        defined = sorted(
            k for k, v in namespace.items() if callable(v) and not k.startswith("__")
            and getattr(v, "__module__", None) in (None, "__main__", "solution")
        )
        emit({"event": "missing_entry_point", "name": entry_point, "defined": defined})
        finish()
        return

    selected = set(payload["run"])
    current["phase"] = "tests"
    test_index = -1
    for step in payload["steps"]:
        if step["kind"] == "setup":
            try:
                timed(per_test, lambda s=step: exec(compile(s["code"], _TEST, "exec"), namespace))
            except BaseException as exc:
                emit({"event": "setup_error", "source": step["source"],
                      "exception_type": type(exc).__name__, "message": str(exc)[:value_limit]})
            continue
        test_index += 1
        if test_index not in selected:
            continue
        linecache.cache[_TEST] = (len(step["code"]), None, step["code"].splitlines(True), _TEST)
        emit({"event": "start", "index": test_index})
        current["index"] = test_index
        started = time.perf_counter()
        record: dict[str, Any] = {"event": "result", "index": test_index}
        try:
            if step.get("left") is not None:
                left_code = compile(step["left"], _TEST, "eval")
                right_code = compile(step["right"], _TEST, "eval")
                left = timed(per_test, lambda c=left_code: eval(c, namespace))
                right = timed(per_test, lambda c=right_code: eval(c, namespace))
                compare = _OPS[step["op"]]
                holds = timed(per_test, lambda: bool(compare(left, right)))  # noqa: B023
                if holds:
                    record["outcome"] = "passed"
                else:
                    on_left = step["actual_side"] == "left"
                    actual, expected = (left, right) if on_left else (right, left)
                    op = step["op"]
                    record.update(
                        outcome="failed",
                        actual=_short_repr(actual, value_limit),
                        expected=(
                            _short_repr(expected, value_limit) if op == "=="
                            else f"{op} {_short_repr(right, value_limit)}"
                            if step["actual_side"] == "left"
                            else f"{_short_repr(left, value_limit)} {op} (this value)"
                        ),
                        exception_type="AssertionError",
                    )
                    if step.get("message"):
                        try:
                            text = step["message"]
                            message = timed(per_test, lambda: eval(text, namespace))  # noqa: B023
                            record["message"] = str(message)[:value_limit]
                        except Exception:
                            pass
            else:
                test_code = compile(step["code"], _TEST, "exec")
                timed(per_test, lambda: exec(test_code, namespace))  # noqa: B023
                record["outcome"] = "passed"
        except _Timeout:
            record.update(outcome="timeout", message=f"took longer than {per_test:g}s")
        except AssertionError as exc:
            record.update(outcome="failed", exception_type="AssertionError",
                          message=str(exc)[:value_limit] or None,
                          traceback=_trimmed_traceback(exc, tb_limit))
        except BaseException as exc:
            record.update(outcome="error", exception_type=type(exc).__name__,
                          message=str(exc)[:value_limit], memory=isinstance(exc, MemoryError),
                          traceback=_trimmed_traceback(exc, tb_limit))
        record["duration_s"] = time.perf_counter() - started
        current["index"] = None
        emit(record)
    finish()
    emit({"event": "done"})


if __name__ == "__main__":
    main()
