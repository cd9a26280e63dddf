"""The documentation works: the worked notebook executes from a clean kernel, and the site (guides, notebook, API
reference from the docstrings) builds with ``mkdocs build --strict``, so without a single warning.

Both tools come with the ``dev`` extra (nbclient and ipykernel; mkdocs, mkdocs-material, mkdocstrings[python] and
mkdocs-jupyter): these tests run, never skip, wherever ``pip install -e '.[dev]'`` was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import evacplan

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.mark.slow
@pytest.mark.parametrize("notebook", sorted(p.name for p in DOCS.glob("*.ipynb")))
def test_notebook_executes(notebook: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the kernel is a new process: it must import this checkout's evacplan and cache its builds privately
    monkeypatch.setenv("PYTHONPATH", str(Path(evacplan.__file__).resolve().parents[1]))
    monkeypatch.setenv("EVACPLAN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(DOCS / notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(DOCS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    reprs = [o["data"]["text/plain"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type == "execute_result"]
    assert any(r.startswith("<Plan fast: ") for r in reprs) and any(r.startswith("<SimulationResult: ") for r in reprs)


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(tmp_path / "site")],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"), "NO_MKDOCS_2_WARNING": "1"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "Plan the evacuation of" in api  # plan()'s docstring made it into the reference
    assert (tmp_path / "site" / "tour" / "index.html").exists()
