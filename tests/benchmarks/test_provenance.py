"""The commit every benchmark result records."""

from __future__ import annotations

import re
import uuid

import pytest

from benchmarks._provenance import REPO, git_commit


def test_the_commit_is_marked_dirty_only_when_a_path_asked_about_has_changes() -> None:
    sha = git_commit()
    if sha == "unknown":
        pytest.skip("not a git checkout")
    assert re.fullmatch(r"[0-9a-f]{40}", sha)  # no paths asked about: never marked dirty
    probe = REPO / "tests" / "benchmarks" / f"probe-{uuid.uuid4().hex}.txt"
    probe.write_text("uncommitted\n")
    try:
        relative = str(probe.relative_to(REPO))
        assert git_commit(relative) == f"{sha}-dirty"
        assert git_commit() == sha
    finally:
        probe.unlink()
    assert git_commit(relative) == sha
