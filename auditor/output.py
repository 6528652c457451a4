"""Writing reports so that an interrupted run never leaves half a file, and saying before
any work starts when a report could not be written."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); a report gets the mode a plain write would
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def unwritable(path: Path) -> str | None:
    """Why ``write_atomic`` could not write ``path`` (None: it can), found by making and
    removing a temp file where it would write: a folder given as the file, a parent that
    is a file, a folder that is read-only (for root too)."""
    shown, folder = str(path), path.parent
    try:
        if path.is_dir():
            return f"{shown} is a folder; name a file (e.g. {path / 'cdk-audit-report'})"
        while not os.path.lexists(folder) and folder != folder.parent:
            folder = folder.parent  # write_atomic creates the missing folders below it
        if not folder.is_dir():
            return f"cannot write {shown}: {folder} is a file, not a folder"
        fd, tmp = tempfile.mkstemp(prefix=".cdk-audit-probe.", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        return f"cannot write {shown}: {e.strerror or e} ({getattr(e, 'filename', None) or folder})"
    return None
