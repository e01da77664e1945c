"""Sandboxes that run untrusted code in isolation, and verifiers that turn runs into verdicts.

What `SandboxLimits.memory_bytes` guarantees depends on the backend; it always covers a command's
whole process tree, never one process alone:

- `LocalSandbox` with a cgroup (a cgroup v1 `memory` hierarchy, with `pids` when mounted, or a
  cgroup v2 tree with both controllers, that this process may write: typically as root): every
  process of a command is charged to one cgroup, the kernel never lets them hold more than the
  limit together (files the episode's commands wrote to its tmpfs count as well), its OOM killer
  acts at the limit, and the sandbox then kills the rest of the tree and reports
  `StopReason.MEMORY`. `pids.max` caps the tree's processes and threads at `processes`.
- `LocalSandbox` without one (found at start-up, nothing to configure): the sandbox sums the
  resident memory of the command's processes from /proc every 20 ms and kills the tree when the
  sum passes the limit. This is best effort: a fast allocation can overshoot for up to one
  interval, and memory that forked processes still share counts once for each.
- In both, each process also runs under `RLIMIT_AS` = `memory_bytes`, so a single allocation
  beyond the limit fails at once (in Python a `MemoryError`, reported as `MEMORY`).
- `DockerSandbox`: the container's memory limit (memory+swap equal, so no swap), which holds every
  process of the episode and its tmpfs together; the kernel OOM-kills inside the container.
"""

from agentloop.sandbox._docker import DockerSandbox, gc_containers
from agentloop.sandbox._local import LocalSandbox
from agentloop.sandbox._protocol import ExecResult, Sandbox, SandboxLimits, StopReason
from agentloop.sandbox._tests import TestPlan, TestStep, plan_tests
from agentloop.sandbox._verifier import PythonTestVerifier

__all__ = [
    "DockerSandbox",
    "ExecResult",
    "LocalSandbox",
    "PythonTestVerifier",
    "Sandbox",
    "SandboxLimits",
    "StopReason",
    "TestPlan",
    "TestStep",
    "gc_containers",
    "plan_tests",
]
