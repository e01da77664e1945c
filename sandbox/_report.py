"""The test driver's report, read strictly: every record typed, in the one order the driver writes.

A report is: one load record; then, if the candidate loaded, one result per test in order (cut
short by a `setup_error`); then `output`; then `done`. Anything else (an unknown, malformed,
missing, duplicated or reordered record, or text that is not a record) is a `ReportError`,
which the verifier turns into a `verifier_error` verdict: never an exception, never a pass.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = ["DriverReport", "ReportError", "parse_report"]

_Text = Annotated[str, Field(max_length=100_000)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Loaded(_Record):
    event: Literal["loaded"]


class SyntaxErrorRecord(_Record):
    event: Literal["syntax_error"]
    message: _Text
    lineno: int | None = None
    text: _Text = ""


class LoadError(_Record):
    event: Literal["load_error"]
    exception_type: _Text
    message: _Text
    traceback: _Text | None = None
    memory: bool = False


class LoadTimeout(_Record):
    event: Literal["load_timeout"]


class MissingEntryPoint(_Record):
    event: Literal["missing_entry_point"]
    name: _Text
    defined: list[_Text]


class Result(_Record):
    event: Literal["result"]
    index: int = Field(ge=0)
    outcome: Literal["passed", "failed", "error", "timeout", "unsupported_value"]
    expected: _Text | None = None
    actual: _Text | None = None
    exception_type: _Text | None = None
    message: _Text | None = None
    traceback: _Text | None = None
    memory: bool = False
    duration_s: float = Field(default=0.0, ge=0)


class SetupError(_Record):
    event: Literal["setup_error"]
    source: _Text
    from_candidate: bool
    exception_type: _Text
    message: _Text


class Output(_Record):
    event: Literal["output"]
    stdout: _Text
    stderr: _Text
    truncated: bool


class Done(_Record):
    event: Literal["done"]


LoadRecord = Loaded | SyntaxErrorRecord | LoadError | LoadTimeout | MissingEntryPoint
_AnyRecord = Annotated[
    LoadRecord | Result | SetupError | Output | Done, Field(discriminator="event")
]
_RECORD: TypeAdapter[_AnyRecord] = TypeAdapter(_AnyRecord)


class ReportError(Exception):
    """The driver's report broke its format: what was wrong, in one line."""


class DriverReport(BaseModel):
    """A complete, well-formed report (or as far as a run that was stopped got: `complete`)."""

    model_config = ConfigDict(frozen=True)

    load: LoadRecord | None = None
    results: list[Result] = Field(default_factory=list)
    setup_error: SetupError | None = None
    output: Output | None = None
    complete: bool = False
    """The `done` record arrived: the driver finished."""


def parse_report(stdout: str, *, tests: int) -> DriverReport:
    """Read the driver's stdout strictly; a run cut short gives an incomplete report.

    Raises `ReportError` for anything the driver would never write.
    """
    load: LoadRecord | None = None
    results: list[Result] = []
    setup_error: SetupError | None = None
    output: Output | None = None
    lines = stdout.split("\n")
    ended_cleanly = stdout.endswith("\n") or not stdout
    for number, line in enumerate(lines[:-1] if ended_cleanly else lines, start=1):
        last_line = not ended_cleanly and number == len(lines)
        try:
            record = _RECORD.validate_python(json.loads(line))
        except (ValueError, ValidationError) as exc:
            if last_line:
                break  # a record cut by the end of the run (a kill): the report is incomplete
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ReportError(f"line {number} of the test driver's report is malformed: "
                              f"{reason[:200]}") from None
        where = f"line {number} of the test driver's report"
        if load is None:
            if isinstance(record, LoadRecord):
                load = record
                continue
            raise ReportError(f"{where} is a {record.event!r} record before the load record")
        if isinstance(record, Done):
            if output is None:
                raise ReportError(f"{where} ends the report before its output record")
            if isinstance(load, Loaded) and setup_error is None and len(results) != tests:
                raise ReportError(
                    f"the test driver reported {len(results)} of {tests} tests and then ended"
                )
            if number != len(lines) - (1 if ended_cleanly else 0):
                raise ReportError(f"{where} ends the report, but more lines follow")
            return DriverReport(load=load, results=results, setup_error=setup_error,
                                output=output, complete=True)
        if output is not None:
            raise ReportError(f"{where} is a {record.event!r} record after the output record")
        if isinstance(record, Output):
            output = record
        elif not isinstance(load, Loaded):
            raise ReportError(f"{where} is a {record.event!r} record, but the code did not load")
        elif isinstance(record, Result):
            if setup_error is not None:
                raise ReportError(f"{where} is a test result after a setup error")
            if record.index != len(results):
                raise ReportError(
                    f"{where} reports test {record.index + 1} where test {len(results) + 1} "
                    "was due (a missing, duplicated or reordered result)"
                )
            if record.index >= tests:
                raise ReportError(f"{where} reports test {record.index + 1} of only {tests}")
            results.append(record)
        elif isinstance(record, SetupError):
            if setup_error is not None:
                raise ReportError(f"{where} is a second setup error")
            setup_error = record
        else:
            raise ReportError(f"{where} is a second load record ({record.event!r})")
    return DriverReport(load=load, results=results, setup_error=setup_error, output=output)
