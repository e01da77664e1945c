"""The bubblewrap command line that jails the local sandbox's runner, and what it exposes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from agentloop.errors import SandboxUnavailable

if TYPE_CHECKING:
    from agentloop.sandbox._runner_process import RunnerConfig

__all__ = ["SANDBOX_ROOT", "UNPRIVILEGED_ID", "bwrap_argv", "require_bwrap", "runner_env"]

SANDBOX_ROOT = "/sandbox"
"""Inside bwrap: the size-limited tmpfs that holds the work dir and /tmp."""
UNPRIVILEGED_ID = 65534  # "nobody"

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Not secret, and needed by the dynamic loader and Python; nothing else of /etc is visible.
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime")


def runner_env(python: str) -> dict[str, str]:
    # The runner sees no host variable at all; commands get an explicit allowlist per request.
    return {"PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def require_bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so the local sandbox cannot isolate code: "
            "install the Debian package `bubblewrap` (apt-get install bubblewrap), use "
            "sandbox='docker', or pass isolation='none' to run unisolated (NOT a security boundary)"
        )
    return path


@cache
def _interpreter_dirs(python: str) -> tuple[str, ...]:
    """The directories `python` needs: its installation prefixes, nothing else of the home dir."""
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        candidates = {
            sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
            sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
        }
    else:
        code = "import sys;print(sys.prefix);print(sys.base_prefix);print(sys.exec_prefix)"
        out = subprocess.run(
            [python, "-I", "-c", code], capture_output=True, text=True, check=True, timeout=30
        ).stdout
        candidates = set(out.split())
    candidates.add(str(Path(os.path.realpath(python)).parent.parent))
    dirs = sorted(
        os.path.realpath(d) for d in candidates
        if os.path.isdir(d) and not any(os.path.realpath(d).startswith(s) for s in _SYSTEM_DIRS)
    )
    # Binding a parent covers its children.
    return tuple(d for d in dirs if not any(d != p and d.startswith(p + os.sep) for p in dirs))


def bwrap_argv(config: RunnerConfig, *, cgroup_namespace: bool = True) -> list[str]:
    argv = [
        require_bwrap(),
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        *(["--unshare-cgroup-try"] if cgroup_namespace else []),
        "--die-with-parent", "--new-session", "--hostname", "sandbox",
    ]
    if os.geteuid() == 0:
        # As host root a user namespace would map the sandbox to uid 0, which the kernel exempts
        # from RLIMIT_NPROC. Instead the runner keeps just enough to become uid 65534 for real;
        # each command then gets its own user namespace from there.
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--uid", str(UNPRIVILEGED_ID), "--gid", str(UNPRIVILEGED_ID)]
    binds = (*_interpreter_dirs(config.python), *config.ro_binds)
    # bwrap would create the mount points' parents (/root for a pyenv Python) as 0700, which
    # the unprivileged user cannot traverse; create them world-traversable first.
    parents = sorted({str(p) for b in (*binds, *_ETC_FILES) for p in Path(b).parents} - {"/"})
    for parent in parents:
        argv += ["--perms", "0755", "--dir", parent]
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for path in _ETC_FILES:
        argv += ["--ro-bind-try", path, path]
    for path in binds:
        argv += ["--ro-bind", path, path]
    argv += [
        "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--size", str(config.disk_bytes), "--tmpfs", SANDBOX_ROOT,
        "--symlink", f"{SANDBOX_ROOT}/work", "/work",
        "--symlink", f"{SANDBOX_ROOT}/tmp", "/tmp",
        "--chdir", "/",
        "--clearenv",
        config.python, "-I",
    ]
    return argv
