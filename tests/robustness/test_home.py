"""Works without a writable home: numba's kernel cache and the build cache fall back to a temporary folder, each with
a one-line notice, instead of failing with "cannot cache function".

The package is copied with its ``__pycache__`` folders replaced by files (as an installation the user cannot write
to), and ``HOME`` points at a file (no folder can be made under it, even by root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "evacplan"


def test_plan_without_a_writable_home(make_city: Callable[..., Path], tmp_path: Path) -> None:
    pkg = tmp_path / "site"
    shutil.copytree(SRC, pkg / "evacplan", ignore=shutil.ignore_patterns("__pycache__"))
    for sub in ("planning", "simulation"):
        (pkg / "evacplan" / sub / "__pycache__").write_text("read-only installation")
    home = tmp_path / "home"
    home.write_text("not a folder")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("EVACPLAN_CACHE_DIR", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH")}
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(pkg), PYTHONDONTWRITEBYTECODE="1")
    out = tmp_path / "plan"
    proc = subprocess.run([sys.executable, "-c", "from evacplan.cli import main; main()", "plan", str(make_city()),
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cannot cache function" not in proc.stderr and "Traceback" not in proc.stderr
    notices = [line for line in proc.stderr.splitlines() if "numba cannot cache" in line or "build cache:" in line]
    assert len(notices) == 2, proc.stderr
    assert (out / "summary.json").is_file()
    private = tmp / f"evacplan-{os.getuid()}"
    assert list((private / "numba").rglob("*.nbi")), "no kernel cached in the temporary folder"
    assert list((private / "cache").glob("*.npz")), "no build cached in the temporary folder"
