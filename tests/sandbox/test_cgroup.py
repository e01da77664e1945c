"""Where runner cgroups go and what limits they get, on a fake cgroup tree (any kernel).

The kernel side (the OOM killer, the pids limit) is tested on the real cgroup in test_local.py.
"""

from __future__ import annotations

from pathlib import Path

from agentloop.sandbox._cgroup import (
    RunnerCgroup,
    _cgroup_mounts,
    _find_layout,
    _Layout,
    _own_cgroups,
)

_MOUNTINFO = """\
24 30 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
29 24 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
30 24 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
31 24 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
32 24 0:29 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
"""


def _v2_dir(path: Path, controllers: str, enabled: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "cgroup.controllers").write_text(controllers)
    (path / "cgroup.subtree_control").write_text(enabled)
    return path


def test_reads_which_hierarchies_hold_memory_and_pids_and_our_place_in_them() -> None:
    mounts = _cgroup_mounts(_MOUNTINFO)
    own = _own_cgroups("12:pids:/\n4:memory:/jobs/42\n1:cpu,cpuacct:/\n0::/init.scope\n")
    assert mounts == {
        "memory": ("/", Path("/sys/fs/cgroup/memory")),
        "pids": ("/", Path("/sys/fs/cgroup/pids")),
        "": ("/", Path("/sys/fs/cgroup/unified")),
    }
    assert own["memory"] == "/jobs/42" and own["pids"] == "/" and own[""] == "/init.scope"


def test_v1_nests_under_our_own_cgroup_so_its_limits_still_apply(tmp_path: Path) -> None:
    memory, pids = tmp_path / "memory", tmp_path / "pids"
    for hierarchy in (memory / "jobs" / "42", pids):
        hierarchy.mkdir(parents=True)
    # Real cgroup dirs come with a cgroup.procs file; a fake one gets it here.
    (memory / "jobs" / "42" / "agentloop").mkdir()
    (memory / "jobs" / "42" / "agentloop" / "cgroup.procs").touch()
    (pids / "agentloop").mkdir()
    (pids / "agentloop" / "cgroup.procs").touch()
    layout = _find_layout(
        {"memory": ("/", memory), "pids": ("/", pids)}, {"memory": "/jobs/42", "pids": "/"}
    )
    assert layout == _Layout(1, memory / "jobs" / "42" / "agentloop", pids / "agentloop")


def test_v2_goes_next_to_our_cgroup_in_a_delegated_subtree(tmp_path: Path) -> None:
    _v2_dir(tmp_path, "cpu memory pids", "memory pids")
    delegated = _v2_dir(tmp_path / "user.slice", "memory pids", "")
    _v2_dir(delegated / "app.scope", "memory pids", "")
    layout = _find_layout({"": ("/", tmp_path)}, {"": "/user.slice/app.scope"})
    assert layout == _Layout(2, delegated / "agentloop")
    # Both controllers were switched on for the runner cgroups below.
    assert (delegated / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (delegated / "agentloop" / "cgroup.subtree_control").read_text() == "+memory +pids"


def test_v2_without_the_memory_controller_gives_no_cgroup(tmp_path: Path) -> None:
    _v2_dir(tmp_path, "cpu hugetlb", "")
    _v2_dir(tmp_path / "session.scope", "", "")
    assert _find_layout({"": ("/", tmp_path)}, {"": "/session.scope"}) is None


def test_limits_go_to_every_controller_and_are_not_rewritten_when_unchanged(tmp_path: Path) -> None:
    memory, pids = tmp_path / "memory", tmp_path / "pids"
    memory.mkdir()
    pids.mkdir()
    (memory / "memory.limit_in_bytes").write_text("9223372036854771712")
    (memory / "memory.memsw.limit_in_bytes").write_text("9223372036854771712")
    (pids / "pids.max").write_text("max")
    cgroup = RunnerCgroup(1, memory, pids)
    cgroup.set_limits(memory_bytes=1 << 30, processes=64)
    assert (memory / "memory.limit_in_bytes").read_text() == str(1 << 30)
    assert (memory / "memory.memsw.limit_in_bytes").read_text() == str(1 << 30)
    assert (pids / "pids.max").read_text() == "64"
    (pids / "pids.max").write_text("changed")
    cgroup.set_limits(memory_bytes=1 << 30, processes=64)  # unchanged: no write at all
    assert (pids / "pids.max").read_text() == "changed"

    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "memory.max").write_text("max")
    (v2 / "pids.max").write_text("max")
    RunnerCgroup(2, v2, None).set_limits(memory_bytes=256 << 20, processes=8)
    assert (v2 / "memory.max").read_text() == str(256 << 20)
    assert (v2 / "pids.max").read_text() == "8"
