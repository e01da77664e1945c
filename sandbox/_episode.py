"""What every sandbox backend shares: an episode's lifetime and how a command's arguments read."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self, overload

from agentloop.errors import SandboxError
from agentloop.sandbox._protocol import SandboxLimits

__all__ = ["SandboxEpisode", "as_bytes", "command_argv", "prepare_program", "prepared_programs"]

_PREPARED: list[str] = []


def prepare_program(source: str) -> None:
    """Declare a trusted Python program that will be run often (a verifier's test driver).

    A backend may prepare it ahead of time: the local one compiles it once in each warm runner,
    so that `run_python(source)` does not compile it per run. Only for code you trust: it is
    compiled where no untrusted code runs. Declare it before the sandboxes that run it are made.
    """
    if source not in _PREPARED:
        _PREPARED.append(source)


def prepared_programs() -> tuple[str, ...]:
    """The programs declared with `prepare_program`, in order."""
    return tuple(_PREPARED)


def command_argv(cmd: list[str] | str) -> list[str]:
    """The argv to run: a list as given, a string through `/bin/sh -c`."""
    return ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)


@overload
def as_bytes(data: bytes | str) -> bytes: ...
@overload
def as_bytes(data: bytes | str | None) -> bytes | None: ...
def as_bytes(data: bytes | str | None) -> bytes | None:
    """Text as UTF-8 bytes; bytes and None as they are."""
    return data.encode() if isinstance(data, str) else data


class SandboxEpisode(ABC):
    """One episode of a sandbox backend, used as an async context manager.

    Entering starts the episode (or takes a warm one from a pool); leaving ends it for good.
    """

    limits: SandboxLimits
    _closed: bool

    @property
    @abstractmethod
    def work_dir(self) -> str:
        """The writable working directory inside the sandbox (the default `cwd`)."""

    @abstractmethod
    async def _ensure_started(self) -> object:
        """Start the episode if it has not started; return what runs its commands."""

    @abstractmethod
    async def aclose(self) -> None:
        """End the episode: its files and processes are gone."""

    async def __aenter__(self) -> Self:
        await self._ensure_started()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxError(
                f"this sandbox episode has ended; create a new {type(self).__name__}"
            )

    def _wall_time(self, timeout: float | None) -> float:
        """A command's wall-time limit: its own `timeout`, else the sandbox's."""
        return timeout if timeout is not None else self.limits.wall_time_s

    def _cwd(self, cwd: str | None) -> str:
        """Where a command runs: `cwd` inside the work dir, else the work dir itself."""
        return os.path.join(self.work_dir, cwd) if cwd else self.work_dir
