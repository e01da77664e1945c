"""Cgroups that cap a local sandbox runner's commands as a whole: memory and processes.

Each runner gets one cgroup (cgroup v1: one in the `memory` and one in the `pids` hierarchy;
cgroup v2: one with both controllers), created by the host next to its own cgroup, named
`agentloop/<host pid>-<host start time>-<n>`. Before each command the host writes that command's
limits into it; the command's first process joins it (through a `cgroup.procs` file the host
opened and handed to the runner) before it runs anything, so the command and every process it
starts are charged together, and the kernel's OOM killer acts at the limit. The runner itself
stays outside: its own memory never counts against a command. The cgroup is removed when its
runner closes; those of a crashed host process are removed by the next one that starts a runner.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

__all__ = ["RunnerCgroup", "create_runner_cgroup"]

_GROUP_DIR = "agentloop"
_REMOVE_TIMEOUT_S = 2.0
_sequence = itertools.count()


@dataclass(frozen=True)
class _Layout:
    """Where this process may create runner cgroups: one parent dir per hierarchy used."""

    version: Literal[1, 2]
    memory: Path
    """v1: the parent in the memory hierarchy; v2: the parent of everything."""
    pids: Path | None = None
    """v1 only: the parent in the pids hierarchy (None when that controller is not mounted)."""


@dataclass
class RunnerCgroup:
    """One runner's cgroup; its commands join it, the host sets its limits before each one."""

    version: Literal[1, 2]
    memory_dir: Path
    pids_dir: Path | None
    _limits: tuple[int, int] | None = field(default=None, repr=False)

    @property
    def dirs(self) -> tuple[Path, ...]:
        return (self.memory_dir,) if self.pids_dir is None else (self.memory_dir, self.pids_dir)

    @property
    def _pids_max(self) -> Path | None:
        pids_dir = self.pids_dir if self.version == 1 else self.memory_dir
        if pids_dir is None or not (pids_dir / "pids.max").exists():
            return None
        return pids_dir / "pids.max"

    @property
    def events_file(self) -> Path:
        """The file whose `oom_kill N` line counts the processes the OOM killer ended."""
        return self.memory_dir / ("memory.oom_control" if self.version == 1 else "memory.events")

    def open_for_runner(self) -> tuple[list[int], int]:
        """Fds the runner needs: `cgroup.procs` of each dir (write) and the events file (read).

        The kernel checks a cgroup move against the credentials the file was opened with, so
        the unprivileged runner can move its commands in through these fds, and nothing else.
        """
        procs = [os.open(d / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for d in self.dirs]
        return procs, os.open(self.events_file, os.O_RDONLY | os.O_CLOEXEC)

    def set_limits(self, *, memory_bytes: int, processes: int) -> None:
        """Cap the next command: its processes together use at most this much (raises OSError)."""
        if self._limits == (memory_bytes, processes):
            return  # the usual case: same limits as the last command, no write at all
        if self.version == 1:
            limit = self.memory_dir / "memory.limit_in_bytes"
            memsw = self.memory_dir / "memory.memsw.limit_in_bytes"
            # memory+swap may never be below memory: raise it first, lower it last.
            order = [memsw, limit] if memory_bytes > self._memory_limit() else [limit, memsw]
            for path in order:
                if path.exists():
                    path.write_text(str(memory_bytes))
        else:
            (self.memory_dir / "memory.max").write_text(str(memory_bytes))
        pids_max = self._pids_max
        if pids_max is not None:
            pids_max.write_text(str(processes))
        self._limits = (memory_bytes, processes)

    def _memory_limit(self) -> int:
        name = "memory.limit_in_bytes" if self.version == 1 else "memory.max"
        text = (self.memory_dir / name).read_text().strip()
        return 1 << 62 if text == "max" else int(text)

    def peak_bytes(self) -> int | None:
        """The most memory the cgroup held at once since the last `reset_peak` (None: unknown)."""
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.memory_dir / name).read_text())
        except (OSError, ValueError):
            return None

    def reset_peak(self) -> None:
        """Start a new episode's peak (cgroup v1 only; v2 keeps the runner's peak)."""
        if self.version == 1:
            with contextlib.suppress(OSError):
                (self.memory_dir / "memory.max_usage_in_bytes").write_text("0")

    def oom_kills(self) -> int:
        return _oom_kills(self.events_file.read_text())

    def remove(self) -> None:
        """Kill whatever is still inside and remove the cgroup's dirs (best effort, bounded)."""
        deadline = time.monotonic() + _REMOVE_TIMEOUT_S
        for path in self.dirs:
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    _kill_members(path)
                    time.sleep(0.01)


def _kill_members(path: Path) -> None:
    with contextlib.suppress(OSError):
        for pid in (path / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def _oom_kills(events: str) -> int:
    for line in events.splitlines():
        name, _, value = line.partition(" ")
        if name == "oom_kill":
            return int(value)
    raise ValueError("this kernel does not count OOM kills per cgroup")


def create_runner_cgroup(layout: _Layout | None = None) -> RunnerCgroup | None:
    """A new, empty runner cgroup, or None where this process cannot create one."""
    layout = layout or _layout()
    if layout is None:
        return None
    name = f"{os.getpid()}-{_start_time(os.getpid())}-{next(_sequence)}"
    created: list[Path] = []
    try:
        if layout.version == 1:
            memory_dir = layout.memory / name
            memory_dir.mkdir()
            created.append(memory_dir)
            pids_dir = None
            if layout.pids is not None:
                pids_dir = layout.pids / name
                pids_dir.mkdir()
                created.append(pids_dir)
            with contextlib.suppress(OSError):
                (memory_dir / "memory.swappiness").write_text("0")
            cgroup = RunnerCgroup(1, memory_dir, pids_dir)
        else:
            memory_dir = layout.memory / name
            memory_dir.mkdir()
            created.append(memory_dir)
            for setting, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                # oom.group: one OOM kill ends every process of the command at once.
                with contextlib.suppress(FileNotFoundError):
                    (memory_dir / setting).write_text(value)
            cgroup = RunnerCgroup(2, memory_dir, None)
        cgroup.oom_kills()  # a kernel that cannot say whether it OOM-killed is no use
    except (OSError, ValueError):
        for path in reversed(created):
            with contextlib.suppress(OSError):
                path.rmdir()
        return None
    return cgroup


@cache
def _layout() -> _Layout | None:
    """Find (once) where runner cgroups can live, and clear those of dead host processes."""
    with open("/proc/self/mountinfo") as f:
        mounts = _cgroup_mounts(f.read())
    with open("/proc/self/cgroup") as f:
        own = _own_cgroups(f.read())
    return _find_layout(mounts, own)


def _find_layout(mounts: dict[str, tuple[str, Path]], own: dict[str, str]) -> _Layout | None:
    v1_memory = mounts.get("memory")
    if v1_memory is not None:
        memory = _usable_parent(_candidates(v1_memory, own.get("memory")), version=1)
        if memory is None:
            return None
        pids = None
        if "pids" in mounts:
            pids = _usable_parent(_candidates(mounts["pids"], own.get("pids")), version=1)
        return _Layout(1, memory, pids)
    unified = mounts.get("")
    if unified is None:
        return None
    own_path = own.get("")
    candidates = []
    if own_path is not None:
        # cgroup v2 lets no cgroup with children hold processes, so not under our own cgroup:
        # next to it (a delegated subtree), else at the top of the mount.
        own_dir = _cgroup_dir(unified, own_path)
        if own_dir is not None and own_dir != unified[1]:
            candidates.append(own_dir.parent)
    candidates.append(unified[1])
    parent = _usable_parent(candidates, version=2)
    return None if parent is None else _Layout(2, parent)


def _candidates(mount: tuple[str, Path], own_path: str | None) -> list[Path]:
    # Under our own cgroup first, so that whatever caps this process caps its sandboxes too.
    own_dir = _cgroup_dir(mount, own_path) if own_path is not None else None
    return [d for d in (own_dir, mount[1]) if d is not None]


def _usable_parent(candidates: list[Path], *, version: Literal[1, 2]) -> Path | None:
    for base in dict.fromkeys(candidates):
        parent = base / _GROUP_DIR
        try:
            if version == 2:
                wanted = {"memory", "pids"}
                if not wanted <= set((base / "cgroup.controllers").read_text().split()):
                    continue
                if not wanted <= set((base / "cgroup.subtree_control").read_text().split()):
                    (base / "cgroup.subtree_control").write_text("+memory +pids")
            parent.mkdir(exist_ok=True)
            if version == 2:
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
            elif not (parent / "cgroup.procs").exists():
                continue
        except OSError:
            continue
        _remove_stale(parent)
        return parent
    return None


def _remove_stale(parent: Path) -> None:
    """Remove the runner cgroups of host processes that are gone (empty ones only)."""
    for child in parent.iterdir():
        owner, _, rest = child.name.partition("-")
        started = rest.partition("-")[0]
        if not child.is_dir() or not owner.isdigit() or _start_time(int(owner)) == started:
            continue
        with contextlib.suppress(OSError):
            child.rmdir()


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" when it is gone): pid + this is
    unique, where a pid alone may be reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def _cgroup_mounts(mountinfo: str) -> dict[str, tuple[str, Path]]:
    """Controller -> (the mount's root within the hierarchy, its mount point); "" is cgroup v2."""
    found: dict[str, tuple[str, Path]] = {}
    for line in mountinfo.splitlines():
        fields, _, fs = line.partition(" - ")
        parts, fs_parts = fields.split(), fs.split()
        if len(parts) < 5 or len(fs_parts) < 3:
            continue
        root, mount_point = _unescape(parts[3]), Path(_unescape(parts[4]))
        if fs_parts[0] == "cgroup2":
            found.setdefault("", (root, mount_point))
        elif fs_parts[0] == "cgroup":
            for option in fs_parts[2].split(","):
                if option in ("memory", "pids"):
                    found.setdefault(option, (root, mount_point))
    return found


def _own_cgroups(proc_cgroup: str) -> dict[str, str]:
    """Controller -> this process's cgroup path in that hierarchy; "" is cgroup v2."""
    own: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            own[controller] = path
    return own


def _cgroup_dir(mount: tuple[str, Path], path: str) -> Path | None:
    root, mount_point = mount
    relative = os.path.relpath(path, root)
    if relative.startswith(".."):
        return None  # our cgroup is outside what this mount shows
    return mount_point if relative == "." else mount_point / relative


def _unescape(text: str) -> str:
    # mountinfo writes spaces, tabs, newlines and backslashes as octal escapes.
    return text.encode().decode("unicode_escape") if "\\" in text else text
