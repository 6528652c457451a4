"""Reading a JSON file that may be hostile: a symlink out of the folder it belongs to, a
FIFO, bytes that are not UTF-8, JSON nested deeper than Python's recursion limit.

Every such problem is a ``JsonFileError`` whose message names the file and says why, so
a caller turns it into a finding or a usage error, never a crash. A missing file raises
``FileNotFoundError`` (callers decide whether that matters), and nothing outside
``root`` is ever opened.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any


class JsonFileError(Exception):
    """A JSON file that cannot be used; the message names it. ``outside``: it was refused
    because it resolves outside the folder it must stay in."""

    def __init__(self, message: str, *, outside: bool = False) -> None:
        super().__init__(message)
        self.outside = outside


def resolved(path: Path) -> Path:
    """``path.resolve()``, or a ``JsonFileError`` for a path that cannot be one (a NUL
    byte, a symlink loop, a name too long)."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError) as e:  # RuntimeError: a symlink loop (Python 3.11)
        raise JsonFileError(f"{_shown(path)}: not a usable path ({_reason(e)})") from None


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves (symlinks followed) to ``root`` or below it."""
    try:
        return resolved(path).is_relative_to(resolved(root))
    except JsonFileError:
        return False


def check_inside(path: Path, root: Path, where: str = "the assembly directory") -> None:
    """A ``JsonFileError`` (``outside``) when ``path`` is a symlink out of ``root``."""
    target = resolved(path)
    if not target.is_relative_to(resolved(root)):
        raise JsonFileError(
            f"{_shown(path)} resolves to {target}, outside {where} {root}; refusing to read it "
            "(copy the file into the folder instead of linking to it)",
            outside=True,
        )


def read_json(path: Path, *, root: Path | None = None, where: str = "the assembly directory") -> Any:
    """The decoded JSON in ``path`` (which must stay inside ``root`` when given)."""
    if root is not None:
        check_inside(path, root, where)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as e:
        raise JsonFileError(f"{_shown(path)}: cannot read it ({_reason(e)})") from None
    if stat.S_ISDIR(mode):
        raise JsonFileError(f"{_shown(path)} is a folder, not a JSON file")
    if not stat.S_ISREG(mode):  # a FIFO or a device: reading it could block forever
        raise JsonFileError(f"{_shown(path)} is not a regular file (a FIFO, socket or device); refusing to read it")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise JsonFileError(f"{_shown(path)} is not UTF-8 text; write it as UTF-8 JSON") from None
    except OSError as e:
        raise JsonFileError(f"{_shown(path)}: cannot read it ({_reason(e)})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise JsonFileError(f"{_shown(path)} is not valid JSON ({e})") from None
    except RecursionError:
        raise JsonFileError(
            f"{_shown(path)} is nested too deeply to read (more than about 1,000 levels of arrays or objects)"
        ) from None


def _shown(path: Path) -> str:
    return str(path).replace("\0", "\\0")


def _reason(e: BaseException) -> str:
    return getattr(e, "strerror", None) or str(e)
