"""Where in the user's own code a construct was created, from CDK's creation stack traces.

aws-cdk-lib 2.275 records ``aws:cdk:creationStack`` metadata on every ``CfnElement`` (and
every ``Stack``) unless the context key ``aws:cdk:disable-creation-stack-traces`` is set.
It captures the JavaScript stack below the element's constructor (``Error.stackTraceLimit``
frames, 10 unless ``--stack-trace-limit`` says otherwise) and renders it "just my code":

- a user frame as ``<function> (<file>:<line>:<column>)``, e.g.
  ``new DataStack (/abs/lib/data-stack.ts:28:26)``; ``Object.<anonymous>`` becomes
  ``<anonymous>``;
- runs of library frames collapsed into one marker, ``...new Bucket2 in aws-cdk-lib...``,
  ``...node internals, ts-node...``, ``...jsii runtime...`` (an anonymous library function
  leaves its own path in the marker: ``.../abs/node_modules/aws-cdk-lib/aws-ec2/lib/vpc.js:1:287
  in aws-cdk-lib...``);
- ``(no user code in 10 frames, use --stack-trace-limit to capture more)`` when none was seen;
- V8 frames of anonymous functions (``at /abs/lib/x.ts:47:40``, no parentheses) come out
  mangled by CDK's parser: ``/abs/lib/x.ts:47: (/abs/lib/x.ts:47:4)`` (the column loses a
  digit), or ``/abs/lib/x.ts:47 (:)`` for a one-digit column; builtins as ``Array.forEach (:)``.

When a jsii host (Python) sends its own stack (``JSII_HOST_STACK_TRACES=1``), its frames are
appended after the JavaScript ones, innermost first, as ``<function> (<file>:<line>)``
(Python gives no column), e.g. ``_function (/abs/card_gateway/functions.py:97)``. Without
them a Python app's trace holds only library markers, so it has no location at all.

The trace list is innermost first as a whole (the JavaScript frames are deeper than the host
frames that called into jsii), so the first frame in the user's own files is the line to show.
"""

from __future__ import annotations

import bisect
import json
import os
import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

CREATION_STACK = "aws:cdk:creationStack"

#: ``<file>:<line>[:<column>]`` with a file that may itself hold colons (``C:\\``, ``node:``)
_LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<column>\d+))?$")
#: the function part of a mangled anonymous frame: its location less its last two characters
_MANGLED = re.compile(r"^(?P<file>.*[/\\].*?):(?P<line>\d+)(?::\d*)?$")
_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")
#: path parts that are never the user's own code
_LIBRARY_PARTS = frozenset({"node_modules", "site-packages", "dist-packages", "aws-cdk-lib", "@jsii"})
#: jsii's runtime: its Python package embeds the JS kernel; the kernel unpacks libraries here
_JSII_MARKERS = ("/jsii-kernel-", "/jsii-runtime", "/_embedded/jsii/")

_LANGUAGE_BY_SUFFIX = {
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".py": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
}


@dataclass(frozen=True)
class Frame:
    file: str  # as recorded (absolute) from parse_frame; relative posix to the source root from user_frames
    line: int
    column: int | None
    function: str | None


@dataclass(frozen=True)
class SourceLocation:
    file: str  # relative (posix) to the source root
    line: int
    column: int | None
    frames: tuple[Frame, ...]  # the user's frames, innermost first; frames[0] is this location
    #: the call the user's innermost frame made into CDK, as far as the trace tells it: CDK's
    #: own marker when it names one (``new BastionHostLinux``, ``Function.addToRolePolicy``),
    #: else the code at that line (a Python app's JavaScript frames are all library)
    via: str | None = field(default=None, compare=False)


def _looks_absolute(path: str) -> bool:
    return path.startswith("/") or bool(_WINDOWS_ABS.match(path))


def _split_call(text: str) -> tuple[str, str]:
    """``<function> (<location>)`` -> (function, location). Paths may hold `` (`` too, so
    prefer the first split whose location is an absolute path."""
    body = text[:-1]
    cuts = [m.start() for m in re.finditer(r" \(", body)]
    for cut in cuts:
        if _looks_absolute(body[cut + 2 :]):
            return body[:cut], body[cut + 2 :]
    return body[: cuts[0]], body[cuts[0] + 2 :]


def _mangled(function: str) -> Frame | None:
    """An anonymous frame CDK mis-parsed: the function part holds the file and line."""
    m = _MANGLED.match(function)
    if not m or not _looks_absolute(m["file"]):
        return None
    return Frame(m["file"], int(m["line"]), None, None)  # the column lost a digit: unreliable


def parse_frame(entry: str) -> Frame | None:
    """One trace entry as a frame; None for library markers and anything unparseable."""
    if not isinstance(entry, str):
        return None
    text = entry.strip()
    if text.startswith("at ") and not text[3:].lstrip().startswith("("):
        text = text[3:].lstrip()  # a V8 stack line, as Node prints it
    if not text or text.startswith(("...", "(no user code")):
        return None
    function, location = "", text
    if text.endswith(")") and " (" in text:
        function, location = _split_call(text)
        if mangled := _mangled(function):
            return mangled
    m = _LOCATION.match(location)
    if not m:
        return None
    name = function.strip()
    if name == "Object.<anonymous>":
        name = "<anonymous>"
    column = int(m["column"]) if m["column"] else None
    column = column or None  # V8 columns start at 1; a 0 means none was recorded
    return Frame(m["file"], int(m["line"]), column, name or None)


def _is_runtime(file: str) -> bool:
    return file.startswith(("node:", "internal/")) or any(marker in file for marker in _JSII_MARKERS)


def _is_library(rel: str) -> bool:
    """Judged below the root only, so a repository that happens to live under a folder
    named like one (``/ci/node_modules/app``) still has files of its own."""
    return any(part in _LIBRARY_PARTS for part in PurePosixPath(rel).parts)


def _roots(source_root: Path) -> list[str]:
    """The root as given and with symlinks resolved: Node records real paths, Python the
    path it imported from."""
    given = os.path.normpath(os.path.abspath(source_root))
    real = os.path.normpath(os.path.realpath(source_root))
    return [given] if given == real else [given, real]


def _relative(file: str, roots: Sequence[str]) -> str | None:
    path = posixpath.normpath(file)
    for root in roots:
        if path.startswith(root.rstrip("/") + "/"):
            return path[len(root.rstrip("/")) + 1 :]
    return None


def _strings(entries: Any) -> list[str] | None:
    if isinstance(entries, str | bytes) or not isinstance(entries, Sequence):
        return None
    if not all(isinstance(e, str) for e in entries):
        return None
    return list(entries)


def user_frames(entries: Sequence[str], source_root: Path) -> list[Frame]:
    """The frames in the user's own files under ``source_root``, innermost first, with
    their files relative (posix) to it. Library, runtime and out-of-root frames are dropped."""
    texts = _strings(entries)
    if texts is None:
        return []
    roots = _roots(source_root)
    out: list[Frame] = []
    for text in texts:
        frame = parse_frame(text)
        if frame is None or not frame.file.startswith("/") or _is_runtime(frame.file):
            continue
        rel = _relative(frame.file, roots)
        if rel is not None and not _is_library(rel):
            out.append(Frame(rel, frame.line, frame.column, frame.function))
    return out


#: a collapsed run of library frames that names the call into it: ``...new BastionHostLinux
#: in aws-cdk-lib...``, ``...Function.addToRolePolicy in aws-cdk-lib...``
_NAMED_MARKER = re.compile(r"^\.\.\.(?P<call>(?:new )?[\w$]+(?:\.[\w$]+)?) in aws-cdk-lib\.\.\.$")


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return tuple(fh.read(2_000_000).splitlines())
    except OSError:
        return ()


def _via(texts: Sequence[str], first_user: int, file: str, line: int, source_root: Path) -> str | None:
    """The call the innermost user frame (at ``texts[first_user]``) made: the nearest library
    marker before it when it names one, else the code on that line."""
    for text in reversed(texts[:first_user]):
        entry = text.strip()
        if entry.startswith("..."):
            m = _NAMED_MARKER.match(entry)
            if m:
                return m["call"]
            break
    lines = _lines(str(source_root / file))
    return lines[line - 1].strip() or None if 0 < line <= len(lines) else None


def locate(entries: Sequence[str], source_root: Path) -> SourceLocation | None:
    """The innermost user frame of a creation stack, with the chain of user frames."""
    frames = user_frames(entries, source_root)
    if not frames:
        return None
    first = frames[0]
    texts = _strings(entries) or []
    roots = _roots(source_root)
    at = next(
        (
            i
            for i, t in enumerate(texts)
            if (fr := parse_frame(t)) is not None and _relative(fr.file, roots) == first.file and fr.line == first.line
        ),
        len(texts),
    )
    via = _via(texts, at, first.file, first.line, source_root)
    return SourceLocation(first.file, first.line, first.column, tuple(frames), via)


def creation_stack(entries: Any) -> Any:
    """The ``aws:cdk:creationStack`` data among one construct path's metadata entries (as in
    ``<Stack>.metadata.json``), or None. Not validated: hand it to ``locate``."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("type") == CREATION_STACK:
            return entry.get("data")
    return None


def default_source_root(cwd: Path) -> Path:
    """The git work tree holding ``cwd`` (a ``.git`` folder, or a file in a worktree), else
    ``cwd`` itself; found on the file system, without running git."""
    start = cwd.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _app_command(app_dir: Path) -> str | None:
    try:
        data = json.loads((app_dir / "cdk.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    app = data.get("app") if isinstance(data, Mapping) else None
    return app if isinstance(app, str) else None


def _language_of_command(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    names = [PurePosixPath(w).name.lower() for w in words]
    suffixes = {PurePosixPath(n).suffix for n in names}
    if any(n.startswith(("ts-node", "tsx")) for n in names) or suffixes & {".ts", ".tsx", ".mts", ".cts"}:
        return "typescript"
    if any(re.fullmatch(r"python[\d.]*|py", n) for n in names) or ".py" in suffixes:
        return "python"
    if "node" in names or suffixes & {".js", ".mjs", ".cjs"}:
        return "javascript"
    return "other"


def app_language(app_dir: Path | None, frames: Sequence[Frame] = ()) -> str:
    """``typescript``, ``python``, ``javascript`` or ``other``: from cdk.json's ``app``
    command, else from the suffix of the innermost frame that has a known one."""
    command = _app_command(app_dir) if app_dir is not None else None
    language = _language_of_command(command) if command else "other"
    if language != "other":
        return language
    for frame in frames:
        if found := _LANGUAGE_BY_SUFFIX.get(PurePosixPath(frame.file).suffix.lower()):
            return found
    return "other"


class SourceIndex:
    """The source locations of one cloud assembly, by construct path (no leading ``/``).

    A finding's construct is found by its own path; a construct CDK records no trace for
    (an L2 wrapper, a plain ``Construct``) by its ``Resource`` child, else by its nearest
    descendant that has one (shortest path first, then in path order).
    """

    def __init__(self, root: Path | None = None) -> None:
        self._by_path: dict[str, SourceLocation] = {}
        self._sorted: list[str] | None = None
        #: what the locations are relative to (None: sources were not read)
        self.root = root

    def __len__(self) -> int:
        return len(self._by_path)

    def files(self) -> list[str]:
        """Every file of the user's that a creation stack passes through (relative to ``root``)."""
        return sorted({f.file for loc in self._by_path.values() for f in loc.frames})

    def add(self, construct_path: str, location: SourceLocation) -> None:
        self._by_path[construct_path.strip("/")] = location
        self._sorted = None

    def find(self, construct_path: str | None) -> SourceLocation | None:
        if not construct_path or not self._by_path:
            return None
        path = construct_path.strip("/")
        hit = self._by_path.get(path) or self._by_path.get(path + "/Resource")
        if hit is not None:
            return hit
        if self._sorted is None:
            self._sorted = sorted(self._by_path)
        prefix = path + "/"
        start = bisect.bisect_left(self._sorted, prefix)
        below = []
        for key in self._sorted[start:]:
            if not key.startswith(prefix):
                break
            below.append(key)
        if not below:
            return None
        return self._by_path[min(below, key=lambda k: (k.count("/"), k))]
