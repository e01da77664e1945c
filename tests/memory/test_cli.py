"""`agentloop memory`: ls, search, show, rm, export and import against a real ChromaDB folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentloop.cli import _register_commands, app

pytest.importorskip("chromadb")

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not any(group.name == "memory" for group in app.registered_groups):
        _register_commands()


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_import_ls_search_show_rm_export(tmp_path: Path, minilm: object) -> None:
    store = str(tmp_path / "memory")
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"kind": "lesson", "text": "Check the loop bounds for off-by-one errors.",
                    "task_family": "python"}) + "\n\n"
        + json.dumps({"kind": "principle", "text": "Cite a source for every statistic.",
                      "evidence": ["span-1", "span-2"]}) + "\n"
        + json.dumps({"kind": "judge", "text": "Judged: A is better. The verifier confirmed it."})
        + "\n"
    )
    assert "imported 3 entries (0 were already kept)" in _invoke(
        "memory", "import", str(source), "--store", store
    )
    assert "imported 0 entries (3 were already kept)" in _invoke(
        "memory", "import", str(source), "--store", store
    )

    listing = _invoke("memory", "ls", "--store", store)
    assert "3 entries" in listing and "off-by-one" in listing
    assert "1 entries" in _invoke("memory", "ls", "--store", store, "--kind", "principle")

    found = _invoke("memory", "search", "range index past the end of the loop", "--store", store,
                    "-k", "1")
    assert "off-by-one" in found and "statistic" not in found

    exported = tmp_path / "out.jsonl"
    assert "exported 3 entries" in _invoke("memory", "export", str(exported), "--store", store)
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert {r["kind"] for r in rows} == {"lesson", "principle", "judge"}
    principle = next(r for r in rows if r["kind"] == "principle")
    assert principle["evidence"] == ["span-1", "span-2"]

    shown = json.loads(_invoke("memory", "show", principle["id"][:10], "--store", store))
    assert shown["text"] == "Cite a source for every statistic."

    assert principle["id"] in _invoke("memory", "rm", principle["id"], "--store", store)
    assert "2 entries" in _invoke("memory", "ls", "--store", store)

    # The export restores into a fresh store, ids and all.
    fresh = str(tmp_path / "fresh")
    _invoke("memory", "import", str(exported), "--store", fresh)
    restored = [json.loads(line) for line in
                _invoke("memory", "export", "-", "--store", fresh).splitlines()]
    assert sorted(r["id"] for r in restored) == sorted(r["id"] for r in rows)


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["memory", "ls", "--store", str(tmp_path / "nothing")])
    assert missing.exit_code != 0
    assert "no memory store at" in str(missing.exception)

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "lesson", "text": "fine"}\n{"kind": "opinion", "text": "x"}\n')
    result = runner.invoke(app, ["memory", "import", str(bad), "--store", str(tmp_path / "m")])
    assert "line 2 is not a memory entry" in str(result.exception)
