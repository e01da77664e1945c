"""The messages between the local sandbox's host side and its fork server, typed.

Requests are length-prefixed JSON on the runner's stdin (a command's stdin follows its request as
raw bytes, `stdin_bytes` of them); replies come back the same way. `_fork_server.py` is a
standalone program inside the jail and reads these shapes as plain dicts.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "CommandLimits", "CommandReply", "CommandRequest", "DataReply", "ReadRequest", "Reply",
    "Request", "WipeRequest", "WriteRequest",
]


class CommandLimits(TypedDict):
    """`SandboxLimits` as it travels with each command."""

    wall_time_s: float
    cpu_time_s: int
    memory_bytes: int
    processes: int
    file_size_bytes: int
    disk_bytes: int
    output_bytes: int
    open_files: int


class CommandRequest(TypedDict):
    """Run a command (`exec`: `argv`) or Python source in the warm interpreter (`python`)."""

    op: Literal["exec", "python"]
    cwd: str
    env: dict[str, str]
    timeout: float
    limits: CommandLimits
    argv: NotRequired[list[str]]
    source: NotRequired[str]
    filename: NotRequired[str]
    stdin_bytes: NotRequired[int]
    """How many raw bytes of stdin follow the request."""
    cgroup: NotRequired[bool]
    """False: run outside the runner's cgroup (it would not take this command's limits)."""


class WriteRequest(TypedDict):
    op: Literal["write"]
    path: str
    data: str
    """Base64."""


class ReadRequest(TypedDict):
    op: Literal["read"]
    path: str
    max_bytes: int


class WipeRequest(TypedDict):
    """Empty the writable dirs: the next episode starts from nothing."""

    op: Literal["wipe"]


Request = CommandRequest | WriteRequest | ReadRequest | WipeRequest


class CommandReply(TypedDict):
    ok: Literal[True]
    exit_code: int
    signal: int | None
    stdout: str
    """Base64, capped at `output_bytes`."""
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    duration_s: float
    stop_reason: str
    """An `ExecStopReason` value."""


class DataReply(TypedDict):
    ok: Literal[True]
    data: NotRequired[str]
    """Base64 (a read's file)."""


class ErrorReply(TypedDict):
    ok: Literal[False]
    error: str


Reply = CommandReply | DataReply | ErrorReply
