"""Input paths checked before anything opens them: no symlink loop, no named pipe, device or system file.

A named pipe (FIFO) as a layer would make a reader wait forever; a device or a file under ``/proc`` never ends; a
symbolic link that loops makes path resolution raise. Each is reported as a problem of the scenario instead.
"""

from __future__ import annotations

import glob
import os
import stat
from pathlib import Path

__all__ = ["SYSTEM_ROOTS", "input_path_problem", "resolve_input"]

#: Folders whose files are never data layers (kernel and device interfaces).
SYSTEM_ROOTS = ("/proc", "/sys", "/dev")


def _kind(mode: int) -> str | None:
    """The name of a special file type, or ``None`` for a regular file or a folder."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def resolve_input(base: Path, value: str) -> tuple[Path, str | None]:
    """``value`` resolved against ``base`` and why it cannot be used (``None`` when it can, or when it is missing).

    A missing file is not reported here (the caller names it with the path it looked for).
    """
    raw = base / value
    try:
        p = raw.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        return raw.absolute(), f"{value!r} is a symbolic link that loops ({raw}); point it at a real file"
    return p, input_path_problem(p, value)


def input_path_problem(p: Path, label: str | None = None, neighbours: bool = True) -> str | None:
    """Why the (resolved) input path ``p`` cannot be read, or ``None``.

    Reports symlink loops, named pipes, devices, sockets, files under :data:`SYSTEM_ROOTS`, and special files among
    a folder's entries (a GMNS folder) or beside a file under the same name (a shapefile's ``.dbf``, ``.shx`` ...)
    unless ``neighbours`` is false. A path that does not exist gives ``None``.
    """
    name = repr(label) if label is not None else str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return f"{name} is a symbolic link that loops; point it at a real file"
        return f"cannot read {name}: {exc.strerror}"
    text = str(p)
    if any(text == r or text.startswith(r + os.sep) for r in SYSTEM_ROOTS):
        return f"{name} resolves to {p}, a system file, not a data layer"
    kind = _kind(st.st_mode)
    if kind is not None:
        return f"{name} is {kind}, not a file: evacplan reads layers from regular files"
    if not neighbours:
        return None
    if stat.S_ISDIR(st.st_mode):
        others = sorted(p.iterdir())[:10_000]
    else:
        others = [Path(q) for q in glob.glob(os.path.join(glob.escape(str(p.parent)), glob.escape(p.stem) + ".*"))]
    for q in others:
        try:
            kind = _kind(os.lstat(q).st_mode) or _kind(os.stat(q).st_mode)
        except OSError:
            continue
        if kind is not None:
            return f"{q} (beside or inside {name}) is {kind}, not a file: remove it or move the layer"
    return None
