"""The result cache's storage: one folder of verified, atomically written entries.

ruff's cache is the model: unchanged input, no work. What a key stands for is decided
elsewhere (``auditor.cache_key``); what an entry holds too (``auditor.template_cache``).
This module only keeps JSON payloads by key, and makes three promises:

- **A bad entry never changes a result.** Each file is one header line
  (``{"format", "key", "size", "sha256"}``) and then the payload's bytes. On read the
  header must parse and name this key, and the payload must have that size and hash;
  garbage, a truncated file, a flipped bit or another key's entry under this key's name
  is a miss: the file is removed and the caller recomputes and puts a fresh one.
- **Readers never see half a file, writers never leave one.** A write goes to a temp
  file in the same folder, then ``os.replace``: a reader opens the old file or the new
  one. Two processes writing one key each replace the other's complete file; both
  are valid (equal inputs give equal payloads). No fsync: after a crash a torn file
  fails verification and is recomputed, which is all a cache owes.
- **It stays small.** Over ``max_bytes`` the least recently used entries go (a hit
  touches its file's mtime), down to 80% of the bound so that eviction is rare.

It never fails an audit: a folder that cannot be written turns the cache off for the
rest of the run (``error`` says why, for one progress line).

Where it lives: ``.cdk-audit-cache/`` at the source root (the git top-level of the
current directory, else the current directory), or any folder given with
``--cache-dir`` (e.g. one under ``$XDG_CACHE_HOME`` that CI keeps between jobs). The
folder holds a ``.gitignore`` of ``*`` (written when it is created, as ruff does) and
a ``CACHEDIR.TAG`` so backup tools skip it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from auditor.source import default_source_root

DIR_NAME = ".cdk-audit-cache"
#: the layout of an entry file (its header); a reader skips entries of any other format
FORMAT = 1
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: eviction frees down to this share of the bound, so it runs once per many puts
_LOW_WATER = 0.8
#: temp files older than this are leftovers of a killed writer
_STALE_TEMP_SECONDS = 3600.0
_KEY = re.compile(r"^[0-9a-f]{64}$")
_TEMP_PREFIX = ".tmp-"
GITIGNORE = "# Written by cdk-audit: the result cache is never committed.\n*\n"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by cdk-audit.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_directory(cwd: Path | None = None) -> Path:
    return default_source_root(cwd or Path.cwd()) / DIR_NAME


class ResultCache:
    """JSON payloads by key (64 hex digits), in ``directory``."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.hits = self.misses = self.bad = self.writes = 0
        #: why writing was turned off for this run (None: it works, or was never tried)
        self.error: str | None = None
        self._usage: int | None = None  # bytes of entries, counted on the first put

    # -- reading -------------------------------------------------------------------

    def get(self, key: str) -> Any | None:
        """The payload put under ``key``, or None (never stored, evicted, or bad: then removed)."""
        path = self._path(key)
        try:
            blob = path.read_bytes()
        except OSError:  # absent (the usual miss), or unreadable: either way, recompute
            self.misses += 1
            return None
        payload = _verified(blob, key)
        if payload is None:
            self.bad += 1
            self.misses += 1
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        self.hits += 1
        with contextlib.suppress(OSError):  # least recently used is judged by mtime
            os.utime(path)
        return payload

    # -- writing -------------------------------------------------------------------

    def put(self, key: str, payload: Any) -> None:
        """Store ``payload`` (JSON data) under ``key``, atomically; evict if over the bound."""
        if self.error is not None:
            return
        path = self._path(key)
        blob = encode_entry(key, payload)
        try:
            self._ensure_directory()
            path.parent.mkdir(exist_ok=True)
            replaced = _size(path)
            _write_atomic(path, blob)
        except OSError as e:
            self.error = f"result cache off for this run: cannot write {self.directory} ({e.strerror or e})"
            return
        self.writes += 1
        if self._usage is None:
            self._usage = self._scan_usage()
        else:
            self._usage += len(blob) - replaced
        if self._usage > self.max_bytes:
            self.evict()

    def evict(self, target: int | None = None) -> int:
        """Remove least recently used entries until at most ``target`` bytes remain
        (default: 80% of the bound). Returns the bytes now held."""
        target = int(self.max_bytes * _LOW_WATER) if target is None else target
        entries = []
        for path, stat in self._entries():
            entries.append((stat.st_mtime, stat.st_size, path))
        entries.sort()
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= target:
                break
            with contextlib.suppress(FileNotFoundError):  # another process evicted it first
                path.unlink()
            total -= size
        self._usage = total
        return total

    # -- the folder ----------------------------------------------------------------

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):  # keys name files: never let one name a path
            raise ValueError(f"not a cache key: {key!r}")
        return self.directory / "entries" / key[:2] / key

    def _ensure_directory(self) -> None:
        entries = self.directory / "entries"
        if entries.is_dir():
            return
        entries.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", GITIGNORE), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            if not (self.directory / name).exists():
                _write_atomic(self.directory / name, text.encode())

    def _entries(self) -> list[tuple[Path, os.stat_result]]:
        """Every entry file with its stat; stale temp files of killed writers are removed."""
        out = []
        now = time.time()
        root = self.directory / "entries"
        try:
            fans = list(root.iterdir())
        except OSError:
            return []
        for fan in fans:
            try:
                names = list(fan.iterdir())
            except OSError:
                continue
            for path in names:
                try:
                    stat = path.stat()
                except OSError:
                    continue
                if path.name.startswith(_TEMP_PREFIX):
                    if now - stat.st_mtime > _STALE_TEMP_SECONDS:
                        with contextlib.suppress(OSError):
                            path.unlink()
                    continue
                out.append((path, stat))
        return out

    def _scan_usage(self) -> int:
        return sum(stat.st_size for _, stat in self._entries())


def encode_entry(key: str, payload: Any) -> bytes:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    header = {"format": FORMAT, "key": key, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    return json.dumps(header, separators=(",", ":")).encode() + b"\n" + body


def _verified(blob: bytes, key: str) -> Any | None:
    head, newline, body = blob.partition(b"\n")
    if not newline:
        return None
    try:
        header = json.loads(head)
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
        return None
    if header.get("size") != len(body) or header.get("sha256") != hashlib.sha256(body).hexdigest():
        return None
    try:
        return json.loads(body)
    except ValueError:  # hashed right but not JSON: written by something else
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _write_atomic(path: Path, blob: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)  # mkstemp's mode (0600) stays: the cache is this user's own
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
