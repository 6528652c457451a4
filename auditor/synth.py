"""Run the real CDK CLI's ``cdk synth`` on an app and say whether it worked.

Only the CLI's exit status says synth succeeded: a failed synth can leave stale
templates behind, so on failure nothing is loaded. The error is cut down to what a
person needs: the Python exception line (with its ``File …`` line), not 200 lines of
jsii stack.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from auditor.validation_report import failed_only_on_validation

_EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?\w*(?:Error|Exception|Exit|Interrupt)\b(?::.*)?$")
_NOISE = re.compile(
    r"^\s*(at |\^|~|\[WARNING\]|This API will be removed|Node\.js|!!|jsii|Subprocess exited with error"
    r"|Error: Subprocess exited|npm |Running synth|Synthesis time|Use `cdk )"
    r"|end-of-life|NODE_OPTIONS|Traceback \(most recent call last\)|^\s*$"
)
_WARNING_START = re.compile(r"^\[WARNING\]\s*(.*)$")


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


class SynthSetupError(Exception):
    """The synth could not even start (no cdk.json, no CLI); the message says what to do."""


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


def cli_version(cdk_bin: Path) -> str | None:
    """The CLI's version from its package.json (no extra process: node start-up is slow)."""
    for parent in cdk_bin.resolve().parents:
        pkg = parent / "package.json"
        if pkg.is_file():
            try:
                data = json.loads(pkg.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                return None
            if data.get("name") == "aws-cdk":
                return str(data.get("version"))
    return None


def _python_path(app_dir: Path) -> str:
    """PATH for the app: its own .venv first if it has one, else the Python running us,
    so that cdk.json's ``python3 app.py`` finds aws-cdk-lib."""
    extra = [app_dir / ".venv" / "bin"] if (app_dir / ".venv" / "bin").is_dir() else []
    extra.append(Path(sys.executable).parent)
    return os.pathsep.join([*(str(p) for p in extra), os.environ.get("PATH", "")])


def run_synth(
    app_dir: Path,
    output_dir: Path,
    context: dict[str, str] | None = None,
    cdk_bin: str | None = None,
    timeout: float = 600.0,
    started: Callable[[subprocess.Popen[str]], None] | None = None,
) -> SynthResult:
    """Synthesize ``app_dir`` into ``output_dir``; failures come back as ``ok=False``.

    ``started``: called with the CLI's process as soon as it runs (so that work overlapping
    synth can stop it: ``auditor.warm.Background.watch``)."""
    if not app_dir.is_dir():
        raise SynthSetupError(
            f"{app_dir}: no such directory; pass the folder that holds your CDK app's cdk.json"
        )
    if not (app_dir / "cdk.json").is_file():
        raise SynthSetupError(
            f"{app_dir}: no cdk.json here; pass the folder of a CDK app (the one where you run `cdk synth`)"
        )
    cli = find_cdk_cli(cdk_bin, app_dir)
    cmd = [str(cli), "synth", "--no-notices", "--quiet", "--output", str(output_dir)]
    for key, value in (context or {}).items():
        cmd += ["--context", f"{key}={value}"]
    env = dict(os.environ, CDK_DISABLE_CLI_TELEMETRY="true", PATH=_python_path(app_dir))
    env.pop("CDK_OUTDIR", None)
    started_at = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=app_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    if started is not None:
        started(proc)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        return SynthResult(
            ok=False,
            seconds=time.perf_counter() - start,
            output_dir=output_dir,
            command=tuple(cmd),
            error=f"cdk synth timed out after {timeout:g} s; raise --timeout or make the app faster to synthesize",
            warnings=tuple(parse_warnings(stderr)),
            cli_version=cli_version(cli),
        )
    seconds = time.perf_counter() - start
    warnings = parse_warnings(stderr)
    ok, error = proc.returncode == 0, None
    if not ok and failed_only_on_validation(output_dir, started_at):
        ok = True
        warnings.append("policy validation plugins reported violations (cdk synth exited 1)")
    elif not ok:
        error = summarize_error(stderr + "\n" + stdout) or f"cdk synth exited with code {proc.returncode}"
    return SynthResult(
        ok=ok,
        seconds=seconds,
        output_dir=output_dir,
        command=tuple(cmd),
        error=error,
        warnings=tuple(warnings),
        cli_version=cli_version(cli),
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


def summarize_error(text: str) -> str:
    """The last meaningful lines of a failed synth: the exception and where it was raised."""
    lines = [ln.rstrip() for ln in text.splitlines()]
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i].strip()
        if _EXCEPTION_LINE.match(line) and not line.startswith("Error: Subprocess"):
            picked = [line]
            # the innermost 'File "…", line N' above it, with its source line
            for j in range(i - 1, max(i - 8, -1), -1):
                if lines[j].strip().startswith('File "'):
                    picked = [lines[j].strip(), *([lines[j + 1].strip()] if j + 1 < i else []), line]
                    break
            return "\n".join(picked)
    meaningful = [ln for ln in lines if ln.strip() and not _NOISE.match(ln)]
    return "\n".join(meaningful[-5:])
