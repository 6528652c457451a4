"""Run the real CDK CLI's ``cdk synth`` on an app and say whether it worked.

Only the CLI's exit status says synth succeeded: a failed synth can leave stale
templates behind, so on failure nothing is loaded. The error is parsed into what a
person needs (``auditor.synth_errors``): the exception and the user's line, every
validation error, every TypeScript compile error.

The synth runs with what CDK's creation-stack traces need (``traces``): Python frames
from jsii (``JSII_HOST_STACK_TRACES=1``) and deeper JavaScript stacks
(``--stack-trace-limit=100``, or TypeScript apps lose their own frames behind CDK's).
Nothing in the app's folder is changed.

The CLI and the app run in their own process group: a timeout, Ctrl-C or SIGTERM stops
all of it. Their output is read in bounded chunks and only its tail is kept, so a synth
that prints a 50 MB line cannot exhaust memory.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

from auditor.jsonfile import JsonFileError, read_json
from auditor.synth_errors import SynthError, parse_synth_failure, strip_ansi
from auditor.validation_report import failed_only_on_validation

_WARNING_START = re.compile(r"^\[WARNING\]\s*(.*)$")
#: how much of each output stream is kept (its tail): errors are printed last
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
_CHUNK = 64 * 1024
#: how long the app may take to stop after SIGTERM before it is killed
_GRACE_SECONDS = 3.0
#: JavaScript frames recorded per creation stack (Node's default, 10, is often all CDK's)
STACK_TRACE_LIMIT = 100


@dataclass(frozen=True)
class SynthResult:
    """What one ``cdk synth`` did. ``ok``: the assembly is complete and may be audited
    (also when the CLI exited 1 only because a policy validation plugin reported errors)."""

    ok: bool
    seconds: float
    output_dir: Path
    command: tuple[str, ...]
    error: str | None = None
    warnings: tuple[str, ...] = ()
    cli_version: str | None = None
    #: the parsed failure (kind and located errors) when ``ok`` is False
    failure: SynthError | None = None


class SynthSetupError(Exception):
    """The synth could not even start (no cdk.json, no CLI); the message says what to do."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while synth ran; the app has been stopped. Not an
    ``Exception``, so that nothing on the way out mistakes it for an error to report."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def find_cdk_cli(explicit: str | None, search_from: Path) -> Path:
    """The CDK CLI: ``--cdk-bin``, else a ``node_modules/.bin/cdk`` above ``search_from``
    or beside this package (what ``make setup`` installs), else ``cdk`` on PATH."""
    if explicit:
        found = shutil.which(explicit)
        if not found:
            raise SynthSetupError(f"--cdk-bin {explicit!r} is not an executable file")
        return Path(found)
    here = Path(__file__).resolve().parent.parent
    for base in (search_from.resolve(), *search_from.resolve().parents, here):
        cand = base / "node_modules" / ".bin" / "cdk"
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    on_path = shutil.which("cdk")
    if on_path:
        return Path(on_path)
    raise SynthSetupError(
        "CDK CLI not found: run `make setup` (installs the pinned aws-cdk into node_modules), "
        "`npm install aws-cdk@2`, or pass --cdk-bin PATH"
    )


class CliPackageError(Exception):
    """The CDK CLI's package.json cannot be read: a broken install the user must fix (exit 3)."""


def cli_version(cdk_bin: Path, *, strict: bool = False) -> str | None:
    """The CLI's version from its package.json (no extra process: node start-up is slow).
    ``strict``: a package.json that cannot be read raises ``CliPackageError`` (else: None)."""
    for parent in cdk_bin.resolve().parents:
        pkg = parent / "package.json"
        if pkg.is_file():
            try:
                data = read_json(pkg)
            except (OSError, JsonFileError) as e:
                if strict:
                    raise CliPackageError(
                        f"{e}: it is the package.json above the CDK CLI {cdk_bin}; fix it, or reinstall the CLI "
                        "(`npm ci`, or `make setup`), or pass --cdk-bin"
                    ) from None
                return None
            if isinstance(data, dict) and data.get("name") == "aws-cdk":
                return str(data.get("version"))
    return None


def _python_path(app_dir: Path) -> str:
    """PATH for the app: its own .venv first if it has one, else the Python running us,
    so that cdk.json's ``python3 app.py`` finds aws-cdk-lib."""
    extra = [app_dir / ".venv" / "bin"] if (app_dir / ".venv" / "bin").is_dir() else []
    extra.append(Path(sys.executable).parent)
    return os.pathsep.join([*(str(p) for p in extra), os.environ.get("PATH", "")])


def synth_environment(app_dir: Path, traces: bool = True) -> dict[str, str]:
    """The environment ``cdk synth`` runs with: ours over the user's, never written anywhere."""
    env = dict(os.environ, CDK_DISABLE_CLI_TELEMETRY="true", PATH=_python_path(app_dir))
    env.pop("CDK_OUTDIR", None)
    if traces:
        env["JSII_HOST_STACK_TRACES"] = "1"
        options = env.get("NODE_OPTIONS", "")
        if "--stack-trace-limit" not in options:
            env["NODE_OPTIONS"] = f"{options} --stack-trace-limit={STACK_TRACE_LIMIT}".strip()
    return env


class _Tail:
    """The last ``limit`` bytes of a stream, read in chunks on a thread of its own."""

    def __init__(self, stream: IO[bytes], limit: int = MAX_OUTPUT_BYTES) -> None:
        self._stream, self._limit = stream, limit
        self._data = bytearray()
        self.truncated = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        read = getattr(self._stream, "read1", self._stream.read)
        with contextlib.suppress(OSError, ValueError):
            while chunk := read(_CHUNK):
                self._data += chunk
                if len(self._data) > 2 * self._limit:  # trim now and then, not per chunk
                    del self._data[: len(self._data) - self._limit]
                    self.truncated = True

    def text(self) -> str:
        self._thread.join(timeout=10)
        data = self._data[-self._limit :]
        self.truncated |= len(self._data) > self._limit
        return bytes(data).decode("utf-8", errors="replace")


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the CLI and the app (their own process group), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, _GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def _stopped_on_signals(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    """While the block runs, SIGINT/SIGTERM stop the synth's process group and raise
    ``Interrupted`` here (the child runs in its own session, so a terminal's Ctrl-C
    reaches only us). Only the main thread can own signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        _stop_group(proc)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_synth(
    app_dir: Path,
    output_dir: Path,
    context: dict[str, str] | None = None,
    cdk_bin: str | None = None,
    timeout: float = 600.0,
    *,
    traces: bool = True,
    source_root: Path | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> SynthResult:
    """Synthesize ``app_dir`` into ``output_dir``; failures come back as ``ok=False``.

    ``source_root``: what the paths of a failure's locations are relative to (default
    ``app_dir``). Raises ``Interrupted`` on SIGINT/SIGTERM, after stopping the app.
    ``started``: called with the CLI's process as soon as it runs (so that work overlapping
    synth can stop it: ``auditor.warm.Background.watch``).
    """
    if not app_dir.is_dir():
        raise SynthSetupError(
            f"{app_dir}: no such directory; pass the folder that holds your CDK app's cdk.json"
        )
    if not (app_dir / "cdk.json").is_file():
        raise SynthSetupError(
            f"{app_dir}: no cdk.json here; pass the folder of a CDK app (the one where you run `cdk synth`)"
        )
    cli = find_cdk_cli(cdk_bin, app_dir)
    version = cli_version(cli, strict=True)  # a broken CLI install is the user's to fix: say so before starting
    cmd = [str(cli), "synth", "--no-notices", "--quiet", "--output", str(output_dir)]
    for key, value in (context or {}).items():
        cmd += ["--context", f"{key}={value}"]
    started_at = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=app_dir,
        env=synth_environment(app_dir, traces),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    if started is not None:
        started(proc)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = _Tail(proc.stdout), _Tail(proc.stderr)
    timed_out = False
    with _stopped_on_signals(proc):
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop_group(proc)
    stdout, stderr = out.text(), err.text()
    seconds = time.perf_counter() - start
    warnings = parse_warnings(strip_ansi(stderr))
    if timed_out:
        return SynthResult(
            ok=False,
            seconds=seconds,
            output_dir=output_dir,
            command=tuple(cmd),
            error=f"cdk synth timed out after {timeout:g} s; raise --timeout or make the app faster to synthesize",
            warnings=tuple(warnings),
            cli_version=version,
        )
    if proc.returncode == 0:
        return SynthResult(True, seconds, output_dir, tuple(cmd), None, tuple(warnings), version)
    if failed_only_on_validation(output_dir, started_at):
        warnings.append("policy validation plugins reported violations (cdk synth exited 1)")
        return SynthResult(True, seconds, output_dir, tuple(cmd), None, tuple(warnings), version)
    failure = parse_synth_failure(stderr + "\n" + stdout, app_dir, source_root)
    return SynthResult(
        ok=False,
        seconds=seconds,
        output_dir=output_dir,
        command=tuple(cmd),
        error=failure.message or f"cdk synth exited with code {proc.returncode}",
        warnings=tuple(warnings),
        cli_version=version,
        failure=failure,
    )


def parse_warnings(stderr: str) -> list[str]:
    """``[WARNING] …`` blocks (deprecations) as one string each, continuation lines joined."""
    out: list[str] = []
    current: list[str] | None = None
    for line in stderr.splitlines():
        m = _WARNING_START.match(line.strip())
        if m:
            current = [m.group(1).strip()]
            out.append("")
        elif current is not None and line.startswith((" ", "\t")) and line.strip():
            current.append(line.strip())
        else:
            current = None
        if current is not None:
            out[-1] = " ".join(current)
    return out
