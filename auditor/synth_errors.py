"""What a failed ``cdk synth`` says, as records: the error a person reads, and where it is.

``cdk synth`` writes nothing to the cloud assembly when it fails, so the CLI's combined
output is all there is. Four shapes are recognised, in this order:

- ``typescript``: ts-node's ``TSError: … Unable to compile TypeScript:`` followed by one
  ``file(line,col): error TSnnnn: message`` line per compile error.
- ``validation``: CDK's ``ValidationFailedWithErrors`` (``validateTree`` in aws-cdk-lib's
  ``core/lib/private/synthesis``), one ``[Construct/Path] message`` line per error. The
  error is raised without a construct and carries no creation stack (not even with
  ``--debug``), so the construct is located by finding its id in the app's own source,
  and only when exactly one constructor-like call uses it.
- ``python-exception``: a Python traceback; the innermost frame in the app's own files
  (never jsii, site-packages or the standard library) and the whole exception message.
- ``other``: anything else (Java, Go, a Node.js exception, a CLI problem): the exception
  line and the innermost user frame of a JavaScript stack if there is one, else the last
  meaningful lines.

The parser never raises and does bounded work on any input: it keeps the tail of the
output (errors are printed last), truncates very long lines, and uses only regexes that
cannot backtrack badly.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["python-exception", "validation", "typescript", "other"]

# Errors are printed last; the tail holds them even behind megabytes of deprecation noise.
MAX_SCAN_CHARS = 512 * 1024
# A single line longer than this is cut: no error line a person needs is longer.
MAX_LINE_CHARS = 8 * 1024
# How much of the app's source the construct-id search may read; past these limits a
# match can no longer be known to be the only one, so nothing is located.
MAX_SOURCE_DIRS = 5000
MAX_SOURCE_FILES = 2000
MAX_SOURCE_FILE_BYTES = 1024 * 1024
MAX_SOURCE_TOTAL_BYTES = 32 * 1024 * 1024
MAX_LOCATED_IDS = 200  # validation errors beyond this many distinct ids are listed, not located
# Lines of a message past this are summarised: the tail bound alone would allow thousands.
MAX_MESSAGE_LINES = 400
# Lines kept when nothing better is recognised (what synth.summarize_error kept).
FALLBACK_LINES = 5


@dataclass(frozen=True)
class ErrorLocation:
    """One error and where it is; ``file`` is posix and relative to the source root, or
    None when it is unknown or outside the root (then ``line``/``column`` are None too)."""

    file: str | None
    line: int | None
    column: int | None
    message: str
    construct_path: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class SynthError:
    kind: Kind
    message: str  # the whole error as a person should read it, colour-free, ready to print
    locations: tuple[ErrorLocation, ...]


# ---------------------------------------------------------------------------- cleaning

# CSI (ESC [ … final byte, or the 8-bit CSI 0x9B) and OSC (ESC ] … BEL or ST, or 0x9D).
# The OSC body excludes ESC and BEL, so each attempt stops at the next one: linear time.
_OSC = re.compile(r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)")
_CSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")
# Any other escape (ESC + one byte: charset selection, keypad modes, a cut-off sequence).
_ESC_OTHER = re.compile(r"\x1b[ -~]?")
# Control characters other than tab and newline (binary junk, NUL, stray C1 bytes).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour/escape sequences (CSI and OSC) or other control
    characters; ``\\r\\n`` and lone ``\\r`` become ``\\n``."""
    text = _OSC.sub("", text)
    text = _CSI.sub("", text)
    text = _ESC_OTHER.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _as_text(output: object) -> str:
    """Whatever the caller captured, as a str (bytes decoded leniently)."""
    if isinstance(output, str):
        return output
    if isinstance(output, bytes | bytearray | memoryview):
        return bytes(output[-4 * MAX_SCAN_CHARS :]).decode("utf-8", errors="replace")
    return "" if output is None else str(output)


def _clean_lines(output: str) -> list[str]:
    """The tail of the output as colour-free lines, each at most MAX_LINE_CHARS long."""
    tail = output[-MAX_SCAN_CHARS:]
    if len(output) > MAX_SCAN_CHARS and "\n" in tail:
        tail = tail[tail.index("\n") + 1 :]  # the first line was cut: drop its remains
    lines = strip_ansi(tail).split("\n")
    # a long line keeps its head: that is where an exception names its type
    return [ln if len(ln) <= MAX_LINE_CHARS else ln[:MAX_LINE_CHARS] + "…" for ln in lines]


# ----------------------------------------------------------------- lines of the output

# The CLI's own last line: "python3 app.py: Subprocess exited with error 1".
_TRAILER = re.compile(r"^\S.*: Subprocess (?:exited with error -?\d+|was killed with signal \w+)\s*$")
# `cdk --debug` log lines ("[21:26:32] failed command: python3 app.py") follow the error.
_CLI_LOG = re.compile(r"^\[\d\d:\d\d:\d\d\] ")
# jsii prints Node's end-of-life banner as Python bytes reprs: b'!!  Node 20 is …  !!\n'.
_JSII_BANNER = re.compile(r"^b['\"]!!")
_JS_FRAME = re.compile(r"^\s+at \S")
# CDK collapses library frames: "    ...App.synth in aws-cdk-lib...".
_JS_COLLAPSED = re.compile(r"^\s+\.\.\.\S.*\.\.\.\s*$")
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?\s*$')
_PY_CARETS = re.compile(r"^\s*[\^~]+\s*$")
_PY_CHAIN = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
_NOISE = re.compile(
    r"^\s*(at |\^|~|\[WARNING\]|This API will be removed|Node\.js|!!|b'!!|jsii|Subprocess exited with error"
    r"|Error: Subprocess exited|npm (?!error|ERR!)|Running synth|Synthesis time|Use `cdk |\[\d\d:\d\d:\d\d\] )"
    r"|end-of-life|NODE_OPTIONS|Traceback \(most recent call last\)|^\s*$"
)


def _ends_message(line: str) -> bool:
    """A line that is not part of the error message before it."""
    return bool(_TRAILER.match(line) or _CLI_LOG.match(line) or _JSII_BANNER.match(line) or line.strip() in _PY_CHAIN)


def _last_index(lines: Sequence[str], needle: str) -> int | None:
    for i in range(len(lines) - 1, -1, -1):
        if needle in lines[i]:
            return i
    return None


def _capped(lines: list[str]) -> list[str]:
    """At most MAX_MESSAGE_LINES lines, saying how many were left out."""
    if len(lines) <= MAX_MESSAGE_LINES:
        return lines
    return [*lines[: MAX_MESSAGE_LINES - 1], f"… ({len(lines) - MAX_MESSAGE_LINES + 1} more lines)"]


def _trim_blank(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


# ------------------------------------------------------------------------------ paths

_LIBRARY_PATH = re.compile(
    r"/(?:site-packages|dist-packages|node_modules)/|/lib(?:64)?/python\d+(?:\.\d+)?/|/python\d*/lib/",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Roots:
    """Where the synth ran (relative paths in the output are relative to it) and the
    root that reported paths are relative to, in every spelling it may be printed in."""

    app_dir: str
    source_roots: tuple[str, ...]


def _posix_abs(path: Path) -> tuple[str, ...]:
    spellings = [posixpath.normpath(path.absolute().as_posix())]
    with contextlib.suppress(OSError, RuntimeError):  # a symlink loop: the plain spelling still works
        spellings.append(posixpath.normpath(path.resolve().as_posix()))
    return tuple(dict.fromkeys(spellings))


def _roots(app_dir: Path, source_root: Path | None) -> _Roots:
    return _Roots(_posix_abs(app_dir)[0], _posix_abs(source_root if source_root is not None else app_dir))


def _normalise(file: str, roots: _Roots) -> str:
    """``file`` as an absolute posix path (relative ones are relative to the app folder)."""
    p = file.strip().replace("\\", "/")
    if not p.startswith("/") and not re.match(r"[A-Za-z]:/", p):
        p = posixpath.join(roots.app_dir, p)
    return posixpath.normpath(p)


def _relative(file: str, roots: _Roots) -> str | None:
    """``file`` relative to the source root, or None when it lies outside it."""
    p = _normalise(file, roots)
    for root in roots.source_roots:
        prefix = root.rstrip("/") + "/"
        if p.startswith(prefix) and len(p) > len(prefix):
            return p[len(prefix) :]
    return None


def _is_library(file: str, roots: _Roots) -> bool:
    """A frame in installed code (jsii, aws-cdk-lib, the Python standard library, npm
    packages) or in no real file (``<frozen runpy>``, ``node:internal/…``)."""
    f = file.strip()
    if f.startswith(("<", "node:")) or f.startswith("internal/"):
        return True
    return bool(_LIBRARY_PATH.search(_normalise(f, roots)))


# ------------------------------------------------------------------------- TypeScript

_TS_HEADER = "Unable to compile TypeScript:"
# "lib/x.ts(13,37): error TS2339: message" (or "error TS5023: …" with no file)
_TS_DIAG = re.compile(r"^(?:(?P<file>\S[^\n]*?)\((?P<line>\d+),(?P<col>\d+)\): )?error (?P<code>TS\d+): (?P<msg>.*)$")


def _typescript(lines: list[str], start: int, roots: _Roots) -> SynthError:
    """ts-node's TSError: one location per compile error; a message's further lines
    (TypeScript indents elaborations) stay with it."""
    header = lines[start].strip()
    diags: list[tuple[re.Match[str], list[str]]] = []
    for line in lines[start + 1 :]:
        if _ends_message(line) or _JS_FRAME.match(line) or not line.strip():
            break
        m = _TS_DIAG.match(line)
        if m:
            diags.append((m, [m.group("msg")]))
        elif diags and line[:1].isspace():  # TypeScript indents a message's elaborations
            diags[-1][1].append(line.rstrip())
        else:
            break
    locations = []
    text = [header]
    for m, msg in diags:
        file = m.group("file")
        rel = _relative(file, roots) if file else None
        locations.append(
            ErrorLocation(
                file=rel,
                line=int(m.group("line")) if rel else None,
                column=int(m.group("col")) if rel else None,
                message="\n".join(msg),
                code=m.group("code"),
            )
        )
        text.append(m.group(0))
        text.extend(msg[1:])
    return SynthError("typescript", "\n".join(_capped(text)), tuple(locations[:MAX_MESSAGE_LINES]))


# ------------------------------------------------------------------------- validation

_VALIDATION_HEADER = "Validation failed with the following errors:"
_VALIDATION_ENTRY = re.compile(r"^\s*\[(?P<path>[^\]]+)\] (?P<msg>.*)$")


def _validation(lines: list[str], start: int, sources: _SourceIndex) -> SynthError:
    """CDK's ValidationFailedWithErrors: one location per ``[path] message`` line, placed
    where the construct's id is used in a constructor-like call, when that is unique."""
    entries: list[tuple[str, list[str]]] = []
    for line in lines[start + 1 :]:
        if _ends_message(line) or _JS_FRAME.match(line) or _JS_COLLAPSED.match(line) or not line.strip():
            break
        m = _VALIDATION_ENTRY.match(line)
        if m:
            entries.append((m.group("path"), [m.group("msg").rstrip()]))
        elif entries:  # a message's further lines
            entries[-1][1].append(line.strip())
        else:
            break
    text = [lines[start].strip()]
    locations = []
    sites = sources.construct_sites(path.rsplit("/", 1)[-1] for path, _ in entries)
    for path, msg in entries:
        message = "\n".join(msg)
        site = sites.get(path.rsplit("/", 1)[-1])
        locations.append(
            ErrorLocation(
                file=site.file if site else None,
                line=site.line if site else None,
                column=site.column if site else None,
                message=message,
                construct_path=path,
            )
        )
        text.append(f"  [{path}] {msg[0]}")
        text.extend(f"    {m}" for m in msg[1:])
        if site:
            text.append(f"    created at {site.file}:{site.line}: {site.source}")
    return SynthError("validation", "\n".join(_capped(text)), tuple(locations[:MAX_MESSAGE_LINES]))


# ----------------------------------------------------------------------------- Python


@dataclass(frozen=True)
class _PyFrame:
    file: str
    line: int
    func: str | None
    source: str | None


def _python_traceback(lines: list[str], start: int) -> tuple[list[_PyFrame], list[str]]:
    """The frames (outermost first) and the exception's lines after a Traceback header."""
    frames: list[_PyFrame] = []
    i = start + 1
    while i < len(lines):
        line = lines[i]
        m = _PY_FRAME.match(line)
        if m:
            source = None
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if nxt[:1].isspace() and nxt.strip() and not _PY_FRAME.match(nxt) and not _PY_CARETS.match(nxt):
                source = nxt.strip()
                i += 1
            frames.append(_PyFrame(m.group("file"), int(m.group("line")), m.group("func"), source))
        elif line.strip() and not line[:1].isspace():
            break  # the exception line: the first one that is not indented
        i += 1
    exc: list[str] = []
    for line in lines[i:]:
        if _ends_message(line):
            break
        exc.append(line.rstrip())
    return frames, _capped(_trim_blank(exc))


def _python(lines: list[str], start: int, roots: _Roots) -> SynthError:
    frames, exc = _python_traceback(lines, start)
    exception = "\n".join(exc) or "(the exception message is missing)"
    user = [f for f in frames if not _is_library(f.file, roots)]
    inside = [(f, rel) for f in user if (rel := _relative(f.file, roots))]
    text: list[str] = []
    frame: _PyFrame | None
    if inside:
        frame, rel = inside[-1]
        location = ErrorLocation(file=rel, line=frame.line, column=None, message=exception)
    else:
        frame, rel = (user[-1] if user else None), None
        location = ErrorLocation(file=None, line=None, column=None, message=exception)
    if frame:
        text.append(f'File "{rel or frame.file}", line {frame.line}' + (f", in {frame.func}" if frame.func else ""))
        if frame.source:
            text.append(f"    {frame.source}")
    text.append(exception)
    return SynthError("python-exception", "\n".join(text), (location,))


# ------------------------------------------------------------------------------ other

_CDK_ERROR = re.compile(r"^«\w+» \S")  # how aws-cdk-lib's errors print in Node.js: «Name» message
_EXCEPTION_NAME_END = ("Error", "Exception", "Exit", "Interrupt")


def _is_exception_line(line: str) -> bool:
    """``TypeError: …``, ``jsii.errors.JavaScriptError``, ``«MustBeSpecified» …`` — without a
    regex that could backtrack on a very long line."""
    s = line.strip()
    if _CDK_ERROR.match(s):
        return True
    name = s[:200].split(":", 1)[0]
    return (
        name.endswith(_EXCEPTION_NAME_END)
        and name.replace(".", "").replace("_", "").isalnum()
        and not s.startswith("Error: Subprocess")
    )


def _js_frame_location(line: str) -> tuple[str, int, int] | None:
    """``    at fn (/abs/x.ts:11:12)`` or ``    at /abs/x.js:3:1`` -> (file, line, column)."""
    body = line.strip()[3:]
    if body.endswith(")") and "(" in body:
        body = body[body.rfind("(") + 1 : -1]
    parts = body.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])


def _construct_tree_path(lines: list[str]) -> str | None:
    """The construct path from CDK's "Relates to construct:" tree, e.g. ``Stack/Secret/Rotation``."""
    start = _last_index(lines, "Relates to construct:")
    if start is None:
        return None
    ids = []
    for line in lines[start + 1 :]:
        s = line.strip().removeprefix("└─").strip()
        if not s or _ends_message(line) or not line[:1].isspace():
            break
        node_id = s.rsplit(" (", 1)[0] if s.endswith(")") else s
        if node_id != "<.>":
            ids.append(node_id)
    return "/".join(ids) or None


def _other(lines: list[str], roots: _Roots) -> SynthError:
    idx = next((i for i in range(len(lines) - 1, -1, -1) if _is_exception_line(lines[i])), None)
    if idx is None:
        meaningful = [ln.strip() for ln in lines if not _NOISE.match(ln) and not _ends_message(ln)]
        if not meaningful:  # at least the command that failed (CDK's trailer names it)
            meaningful = [ln.strip() for ln in lines if _TRAILER.match(ln)]
        return SynthError("other", "\n".join(meaningful[-FALLBACK_LINES:]), ())
    exc: list[str] = [lines[idx].strip()]
    frame_at: tuple[str, int, int] | None = None
    frame_line = ""
    for line in lines[idx + 1 :]:
        if _JS_FRAME.match(line):
            loc = _js_frame_location(line)
            if frame_at is None and loc and not _is_library(loc[0], roots) and _relative(loc[0], roots):
                frame_at, frame_line = loc, line.strip()
        elif _JS_COLLAPSED.match(line):
            continue
        elif _ends_message(line) or not line.strip() or line.strip() == "Relates to construct:" or frame_line:
            break
        elif len(exc) < 20:  # a message's further lines, before its stack
            exc.append(line.rstrip())
    message = "\n".join(exc)
    construct_path = _construct_tree_path(lines[idx:])
    text = [message]
    if frame_at:
        rel = _relative(frame_at[0], roots)
        text.append("  " + frame_line.replace(frame_at[0], rel or frame_at[0]))
        location = ErrorLocation(rel, frame_at[1], frame_at[2], message, construct_path)
    else:
        location = ErrorLocation(None, None, None, message, construct_path)
    if construct_path:
        text.append(f"  construct: {construct_path}")
    return SynthError("other", "\n".join(text), (location,))


# ------------------------------------------------------ finding a construct by its id

_SOURCE_SUFFIXES = (".py", ".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".java", ".cs", ".go", ".kt")
# Folders that never hold the app's own source: dependencies, build output, caches.
_SKIP_DIRS = frozenset({"node_modules", "cdk.out", "__pycache__", "site-packages", "dist", "build", "target", "obj"})
_IDENT = r"[A-Za-z_$][\w$]*"
# What precedes the id's opening quote in a constructor-like call, anchored at the quote:
#   apigw.RestApi(self, "Api"   new apigw.RestApi(this, 'Api'   awsapigateway.NewRestApi(stack, jsii.String("Api")
#   alb.add_listener("Https"    alb.addListener('Https'          (methods that create a child construct)
# A match starts only where an identifier starts, and every repetition is separated by a
# mandatory "." or "(", so the search over the window cannot backtrack badly.
_CALL_BEFORE_ID = re.compile(
    rf"(?<![\w$])(?:new\s+)?(?P<callee>{_IDENT}(?:\s*\.\s*{_IDENT})*)\s*\(\s*"
    rf"(?:(?P<scope>{_IDENT}(?:\s*\.\s*{_IDENT})*)\s*,\s*)?(?:jsii\.String\(\s*)?\Z"
)
_ADD_METHOD = re.compile(r"(?:add_|add[A-Z]|Add[A-Z])")
_LOOKBEHIND = 200  # characters before the quote the call must fit in
_SOURCE_SHOWN = 120  # characters of the call's line shown after "created at"


@dataclass(frozen=True)
class _Site:
    file: str | None
    line: int
    column: int
    source: str


class _SourceIndex:
    """The app's own source files, walked once and lazily, within fixed limits."""

    def __init__(self, app_dir: Path, roots: _Roots) -> None:
        self._app_dir = app_dir
        self._roots = roots
        # False once a limit cut the walk short: then no id can be known to be unique
        self.complete = True

    def _walk(self) -> Iterator[Path]:
        for n, (dirpath, dirnames, filenames) in enumerate(os.walk(self._app_dir, onerror=self._incomplete)):
            if n >= MAX_SOURCE_DIRS:
                self.complete = False
                return
            # hidden folders (.venv, .git), dependencies, build output and virtualenvs are not the app's source
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and d not in _SKIP_DIRS
                and not os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg"))
            )
            names = set(filenames)
            for name in sorted(filenames):
                if not name.endswith(_SOURCE_SUFFIXES) or name.endswith(".d.ts"):
                    continue
                stem, ext = os.path.splitext(name)
                # tsc's output beside its input would make every id appear twice
                if ext in (".js", ".mjs", ".cjs") and any(stem + s in names for s in (".ts", ".mts", ".cts")):
                    continue
                yield Path(dirpath, name)

    def _incomplete(self, _error: OSError) -> None:
        self.complete = False

    def _texts(self) -> Iterator[tuple[str | None, str]]:
        """(path relative to the source root, or None outside it, text) of each source file.
        A file outside the root cannot be reported, but a match in it still counts."""
        budget = MAX_SOURCE_TOTAL_BYTES
        for n, path in enumerate(self._walk()):
            try:
                size = path.stat().st_size
                if n >= MAX_SOURCE_FILES or size > MAX_SOURCE_FILE_BYTES or size > budget:
                    self.complete = False
                    return
                budget -= size
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                self.complete = False
                continue
            yield _relative(str(path), self._roots), text

    def construct_sites(self, construct_ids: Iterable[str]) -> dict[str, _Site]:
        """Where each id is passed to a constructor-like call, for the ids that are passed
        in exactly one place; with several, none, or a search cut short, there is no entry.
        One pass over each file finds every id at once."""
        wanted = sorted({i for i in construct_ids if i and not any(q in i for q in "\"'`\n")}, key=len, reverse=True)
        if not wanted:
            return {}
        literal = re.compile(r"([\"'`])(" + "|".join(map(re.escape, wanted[:MAX_LOCATED_IDS])) + r")\1")
        found: dict[str, list[_Site]] = {}
        for rel, text in self._texts():
            for m in literal.finditer(text):
                site = _call_site(rel, text, m.start())
                if site:
                    found.setdefault(m.group(2), []).append(site)
        if not self.complete:
            return {}
        return {i: sites[0] for i, sites in found.items() if len(sites) == 1 and sites[0].file is not None}


def _call_site(rel: str | None, text: str, quote_at: int) -> _Site | None:
    """The constructor-like call whose id argument opens at ``quote_at``, if it is one."""
    m = _CALL_BEFORE_ID.search(text, max(0, quote_at - _LOOKBEHIND), quote_at)
    if not m or not (m.group("scope") or _ADD_METHOD.match(m.group("callee").rsplit(".", 1)[-1].strip())):
        return None
    start = m.start()
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    source = text[line_start : line_end if line_end != -1 else len(text)].strip()
    if source.startswith(("#", "//", "*", "/*")):  # commented out
        return None
    return _Site(rel, text.count("\n", 0, start) + 1, start - line_start + 1, source[:_SOURCE_SHOWN])


# ------------------------------------------------------------------------------- entry


def parse_synth_failure(output: str, app_dir: Path, source_root: Path | None = None) -> SynthError:
    """The failed synth's ``output`` (stderr and stdout as captured, colours and all) as
    one error with its locations. Paths are relative to ``source_root`` (default
    ``app_dir``, the folder synth ran in). Never raises."""
    try:
        lines = _clean_lines(_as_text(output))
        roots = _roots(Path(app_dir), Path(source_root) if source_root is not None else None)
        ts = _last_index(lines, _TS_HEADER)
        if ts is not None:
            return _typescript(lines, ts, roots)
        validation = _last_index(lines, _VALIDATION_HEADER)
        if validation is not None:
            return _validation(lines, validation, _SourceIndex(Path(app_dir), roots))
        traceback = next(
            (i for i in range(len(lines) - 1, -1, -1) if lines[i].strip() == "Traceback (most recent call last):"),
            None,
        )
        if traceback is not None:
            return _python(lines, traceback, roots)
        return _other(lines, roots)
    except Exception:  # a report about a failure must never fail itself
        try:
            tail = strip_ansi(_as_text(output)[-2000:]).strip().splitlines()[-FALLBACK_LINES:]
        except Exception:
            tail = []
        return SynthError("other", "\n".join(tail) or "cdk synth failed", ())
