"""Where a benchmark result came from: the commit it ran on, recorded in every result file."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["REPO", "git_commit"]

REPO = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def git_commit(*dirty_paths: str) -> str:
    """HEAD's sha, with "-dirty" appended when any of `dirty_paths` (relative to the repository
    root) has uncommitted changes; "unknown" outside a git checkout or without git."""
    try:
        sha = _git("rev-parse", "HEAD")
        dirty = bool(dirty_paths) and bool(_git("status", "--porcelain", "--", *dirty_paths))
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha
