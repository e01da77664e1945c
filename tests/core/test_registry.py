"""The one registry: backends by name, registered in this process or by installed packages'
entry points, imported only when resolved."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import agentloop
from agentloop import _registry
from agentloop.errors import ConfigError, UnknownBackendError
from agentloop.memory import InProcessMemoryStore, open_memory
from agentloop.sandbox import LocalSandbox


@pytest.fixture(autouse=True)
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What a test registers, and the entry points it installs, are gone after it."""
    monkeypatch.setattr(_registry, "_REGISTRY", copy.deepcopy(_registry._REGISTRY))
    _registry._installed.cache_clear()
    yield
    _registry._installed.cache_clear()


def _write_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


def _install_plugin(folder: Path, entry_points: str) -> None:
    """A distribution `agentloop-plugin` with these entry points, importable from `folder`."""
    dist = folder / "agentloop_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: agentloop-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def test_the_decorator_registers_the_object_itself_under_its_name() -> None:
    @agentloop.register("sandbox", "inline")
    class InlineSandbox:
        pass

    assert agentloop.resolve("sandbox", "inline") is InlineSandbox
    assert agentloop.registered("sandbox") == ["docker", "inline", "local"]
    # The last registration of a name wins.
    agentloop.register("sandbox", "inline", LocalSandbox)
    assert agentloop.resolve("sandbox", "inline") is LocalSandbox


def test_a_string_target_is_imported_only_when_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_module(tmp_path, "lazy_backend_mod", "class Box:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    agentloop.register("tool", "box", "lazy_backend_mod:Box")
    assert "box" in agentloop.registered("tool")
    assert "lazy_backend_mod" not in sys.modules
    box = agentloop.resolve("tool", "box")
    assert box.__module__ == "lazy_backend_mod" and box.__name__ == "Box"
    monkeypatch.delitem(sys.modules, "lazy_backend_mod")


def test_an_unknown_name_is_one_typed_line_listing_the_known_names() -> None:
    with pytest.raises(UnknownBackendError) as raised:
        agentloop.resolve("sandbox", "dokcer")
    assert str(raised.value) == "unknown sandbox backend 'dokcer'; known: docker, local"
    assert isinstance(raised.value, ConfigError)
    with pytest.raises(UnknownBackendError, match="unknown tool 'x'; known: none"):
        agentloop.resolve("tool", "x")


def test_an_unknown_kind_names_the_kinds() -> None:
    with pytest.raises(ConfigError, match="unknown registry kind 'sandboxes'; kinds: sandbox, "):
        agentloop.registered("sandboxes")  # type: ignore[arg-type]


def test_a_built_in_whose_package_is_missing_says_which_extra_to_install() -> None:
    _registry._REGISTRY["sandbox"]["docker"] = "agentloop_missing_module:DockerSandbox"
    with pytest.raises(ConfigError, match=r"\(agentloop_missing_module\); pip install "
                       r"'agentloop\[docker\]'"):
        agentloop.resolve("sandbox", "docker")


def test_an_installed_package_registers_through_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_module(tmp_path, "agentloop_plugin_mod", """
        from agentloop.memory import InProcessMemoryStore

        class PluginSandbox:
            pass

        def plugin_store(**options):
            return InProcessMemoryStore(embedder="hashing", **options)
    """)
    _install_plugin(tmp_path, """
        [agentloop.sandbox]
        plugin = agentloop_plugin_mod:PluginSandbox
        local = agentloop_plugin_mod:PluginSandbox

        [agentloop.memory]
        plugin-store = agentloop_plugin_mod:plugin_store
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "agentloop_plugin_mod", raising=False)

    # Listed without importing the package.
    assert agentloop.registered("sandbox") == ["docker", "local", "plugin"]
    assert "agentloop_plugin_mod" not in sys.modules
    assert agentloop.resolve("sandbox", "plugin").__name__ == "PluginSandbox"
    # An entry point never shadows a built-in.
    assert agentloop.resolve("sandbox", "local") is LocalSandbox
    # And the public ways to name a backend find it.
    assert isinstance(open_memory("plugin-store"), InProcessMemoryStore)
    monkeypatch.delitem(sys.modules, "agentloop_plugin_mod")


def test_an_entry_point_that_fails_to_import_names_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_module(tmp_path, "agentloop_broken_mod", "import agentloop_not_installed_at_all\n")
    _install_plugin(tmp_path, """
        [agentloop.sandbox]
        broken = agentloop_broken_mod:Box
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="sandbox backend 'broken' .*of agentloop-plugin"):
        agentloop.resolve("sandbox", "broken")


def test_listing_names_imports_no_backend() -> None:
    backends = ["agentloop.sandbox", "agentloop.memory", "agentloop.graphs", "agentloop.model",
                "langgraph", "litellm"]
    probe = (
        "import sys, agentloop\n"
        "for kind in ('sandbox', 'memory', 'graph', 'model_provider', 'tool'):\n"
        "    agentloop.registered(kind)\n"
        f"print([m for m in {backends!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr
