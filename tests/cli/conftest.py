from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def needs_bwrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("the local sandbox needs bubblewrap (apt-get install bubblewrap)")
