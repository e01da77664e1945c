"""Shared test setup: markers, and skips for what this machine lacks."""

from __future__ import annotations

import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests on the real local model run one at a time, last, so that nothing else CPU-heavy
    # runs beside llama.cpp's spinning threads.
    items.sort(key=lambda item: item.get_closest_marker("local_model") is not None)


@pytest.fixture(scope="session")
def bwrap_available() -> bool:
    return shutil.which("bwrap") is not None
