"""The names a package really offers, for tests that pin its `__all__` (httpx does the same)."""

from __future__ import annotations
import __future__

import types


def public_names(package: types.ModuleType) -> set[str]:
    """Every name in the package's namespace that is neither private, nor a submodule, nor a
    `from __future__ import` (a compiler directive that a package does not offer)."""
    return {
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType | __future__._Feature)
    }
