"""Atomic output: nothing half-written ever stands under a final name.

Files are written beside their final name and renamed (:func:`atomic_path`); a command's output folder is written
as a staging folder beside it and swapped in whole (:func:`replaced_folder`), with a manifest written last
(:func:`write_manifest`).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST", "atomic_path", "check_output_folder", "replaced_folder", "write_json", "write_manifest"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, on error delete it.

    Examples
    --------
    >>> with atomic_path("out/table.parquet") as tmp:   # doctest: +SKIP
    ...     df.to_parquet(tmp)
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp makes files private; give the result the usual permissions
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _jsonable(value: Any) -> Any:
    """What :func:`json.dumps` cannot write itself: paths as text, numpy scalars and arrays as numbers and lists,
    anything else as a float."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return float(value)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON, atomically (paths as text, numpy values as numbers)."""
    text = json.dumps(data, indent=2, sort_keys=False, default=_jsonable) + "\n"  # before anything is written
    with atomic_path(path) as tmp:
        tmp.write_text(text)


#: Name of the file that says which run wrote a folder; written last.
MANIFEST = "manifest.json"
#: Files whose presence shows that evacplan wrote a folder (so that a re-run may replace it).
_OURS = (MANIFEST, "run.json", "summary.json")


def check_output_folder(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """``path`` as an output folder evacplan may (re)place, or :class:`~evacplan.errors.OutputError` saying why not.

    A folder may be replaced when it does not exist, is empty, or was written by evacplan (it holds a manifest, a
    ``run.json`` or a ``summary.json``): a re-run never deletes files a user put there.
    """
    from evacplan.errors import OutputError

    final = Path(path)
    if final.exists() and not final.is_dir():
        raise OutputError(f"{option} {final} is a file, not a folder: choose a folder name")
    if final.is_dir() and any(final.iterdir()) and not any((final / name).is_file() for name in _OURS):
        raise OutputError(f"{option} {final} holds files evacplan did not write (no {MANIFEST}): choose a new or "
                          "empty folder")
    return final


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a folder of an earlier, finished call of this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_stale(parent: Path, name: str) -> None:
    """Remove what interrupted writes into ``parent/name`` left: staging folders and ``.part`` files."""
    for p in parent.glob(f".{glob.escape(name)}.*"):
        parts = p.name.split(".")
        if p.suffix not in (".part", ".old") or len(parts) < 4 or not parts[-3].isdigit():
            continue
        if not _pid_alive(int(parts[-3])):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    p.unlink()


@contextlib.contextmanager
def replaced_folder(path: str | os.PathLike[str], option: str = "--out") -> Iterator[Path]:
    """Yield an empty staging folder beside ``path``; on success it replaces ``path`` as a whole, on error it goes.

    A re-run into an existing folder therefore never mixes new files with old ones (a new ``groups.parquet`` beside
    an old ``summary.json``): readers see the old folder until the new one is complete, then the new one. Staging
    folders and ``.part`` files left by interrupted runs (of processes no longer alive) are removed first.

    Raises
    ------
    evacplan.errors.OutputError
        When ``path`` is a file or a folder evacplan did not write, or cannot be created.
    """
    from evacplan.errors import OutputError

    final = check_output_folder(path, option)
    parent = final.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(parent, final.name)
        stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write {option} {final}: {exc.strerror or exc}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(stage, 0o777 & ~umask)  # mkdtemp makes folders private; give the result the usual permissions
        yield stage
        _swap(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _swap(stage: Path, final: Path) -> None:
    """Put ``stage`` in the place of ``final`` (two renames; the old folder is deleted after)."""
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.old"
        os.rename(final, old)
    try:
        os.rename(stage, final)
    except BaseException:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_manifest(folder: str | os.PathLike[str], info: dict[str, Any]) -> Path:
    """Write ``folder/manifest.json`` (last): ``info`` plus every file of the folder with its size and SHA-256.

    With the inputs' hash in ``info`` it says which run wrote the folder, and lets a reader check that the files
    beside it are the ones that run wrote.
    """
    root = Path(folder)
    files = []
    for p in sorted(q for q in root.rglob("*") if q.is_file() and q.name != MANIFEST):
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):  # type: ignore[misc]
                h.update(chunk)
        files.append({"path": p.relative_to(root).as_posix(), "bytes": p.stat().st_size, "sha256": h.hexdigest()})
    from evacplan import __version__

    data = {"schema_version": 1, "evacplan": __version__, **info, "files": files}
    write_json(root / MANIFEST, data)
    return root / MANIFEST
