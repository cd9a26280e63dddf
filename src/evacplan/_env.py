"""Writable places for caches when the home folder (or the installed package) is read-only.

The compiled numba kernels (``cache=True``) are cached beside their source (``__pycache__``) or in the user's cache
folder (``$XDG_CACHE_HOME/numba``, by default ``~/.cache/numba``); with neither writable numba fails with "cannot cache
function". :func:`ensure_numba_cache` then points ``NUMBA_CACHE_DIR`` to a private temporary folder, with a one-line
notice; :func:`evacplan.problem.cache.cache_dir` does the same for the build cache. Nothing changes where the usual
places are writable.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import tempfile
from pathlib import Path

__all__ = ["can_write", "ensure_numba_cache", "private_temp_dir"]

log = logging.getLogger("evacplan")
_PACKAGE = Path(__file__).resolve().parent
#: Subpackages whose kernels numba caches.
_KERNEL_DIRS = ("planning", "simulation")


def can_write(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (created when missing), tried as numba tries it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except (OSError, RuntimeError):
        return False
    return True


def private_temp_dir(name: str) -> Path | None:
    """A folder ``name`` under a per-user folder of the system's temporary folder (mode 0700, owned by the user);
    ``None`` when none can be made."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    base = Path(tempfile.gettempdir()) / f"evacplan-{uid}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(base)
        if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != uid) or st.st_mode & 0o022:
            base = Path(tempfile.mkdtemp(prefix="evacplan-"))  # someone else's folder: never use it
        folder = base / name
        return folder if can_write(folder) else None
    except OSError:
        return None


def _user_cache_home() -> Path | None:
    try:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home folder at all
        return None


def ensure_numba_cache() -> Path | None:
    """Set ``NUMBA_CACHE_DIR`` to a temporary folder when numba could not cache the kernels otherwise.

    Returns the folder set, or ``None`` when nothing needed changing (``NUMBA_CACHE_DIR`` already set, the package's
    ``__pycache__`` folders writable, or the user's cache folder writable).
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    if all(can_write(_PACKAGE / sub / "__pycache__") for sub in _KERNEL_DIRS):
        return None
    home = _user_cache_home()
    if home is not None and can_write(home / "numba"):
        return None
    folder = private_temp_dir("numba")
    if folder is None:
        return None
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    numba = sys.modules.get("numba")
    if numba is not None:  # already imported: its configuration was read; update it
        numba.config.CACHE_DIR = str(folder)
    log.warning("numba cannot cache in %s nor in the home folder; caching compiled kernels in %s", _PACKAGE, folder)
    return folder
