"""The ``cdk-audit`` command line: run, scan, checks, explain.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 synth failed; 3 usage or configuration error; 4 internal error (a bug: please report).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from contextlib import suppress
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table
from typer.core import TyperGroup

try:  # typer >= 0.2x vendors click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click.exceptions import UsageError  # type: ignore[no-redef]

from auditor import engine
from auditor.assembly import Assembly, load_assembly, load_paths
from auditor.config import ConfigError, Settings, load_settings
from auditor.gate import EXIT_USAGE, exit_code
from auditor.output import write_atomic
from auditor.registry import check_classes, find_check
from auditor.report import json_report, text
from auditor.report.model import Report, SynthInfo, aws_cdk_lib_version, tool_versions
from auditor.synth import SynthSetupError, cli_version, find_cdk_cli, run_synth

EXIT_INTERNAL = 4
EXIT_CODES_HELP = (
    "Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; "
    "2 synth failed; 3 usage or configuration error; 4 internal error."
)


class _Group(TyperGroup):
    """Usage errors exit 3 (click's default, 2, is ours for a failed synth)."""

    def make_context(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as e:
            e.exit_code = EXIT_USAGE
            raise

    def invoke(self, ctx: typer.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except UsageError as e:
            e.exit_code = EXIT_USAGE
            raise


app = typer.Typer(
    cls=_Group,
    help="Audit the CloudFormation that AWS CDK synthesizes for production-readiness failures.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True, highlight=False)


class Format(StrEnum):
    text = "text"
    json = "json"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Report format.")]
ReportFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--report-file", "-o", help="Write the report here (atomically) instead of to stdout.", dir_okay=False
    ),
]
FailOnOpt = Annotated[
    FailOn, typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity is found.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="A TOML file with a [tool.cdk-audit] table (default: cdk-audit.toml or "
        "pyproject.toml beside cdk.json for `run`, in the current directory for `scan`).",
        dir_okay=False,
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages on stderr.")]


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        err.print(f"[dim]cdk-audit:[/] {message}")


def _settings(config: Path | None, search_dir: Path | None) -> Settings:
    try:
        return load_settings(config, search_dir)
    except ConfigError as e:
        err.print(f"[bold red]configuration error:[/] {e}")
        raise typer.Exit(EXIT_USAGE) from None


def _parse_context(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--context")
        out[key] = value
    return out


def _emit(report: Report, fmt: Format, report_file: Path | None, fail_on: FailOn) -> None:
    if fmt is Format.json:
        body = json_report.render(report)
    else:
        color = report_file is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        body = text.render(report, color=color)
    if report_file is not None:
        write_atomic(report_file, body)
        s = report.summary()
        err.print(f"cdk-audit: wrote {report_file} ({s['total']} finding(s))")
    else:
        sys.stdout.write(body)
        sys.stdout.flush()
    raise typer.Exit(exit_code(report, fail_on.value))


def _audit(assemblies: list[Assembly], settings: Settings, quiet: bool) -> tuple[list, float]:
    stacks = sum(len(a.stacks) for a in assemblies)
    _progress(quiet, f"auditing {stacks} template(s) in {len(assemblies)} assembly(ies)")
    start = time.perf_counter()
    findings = engine.audit(assemblies, engine.load_checks(settings))
    return findings, time.perf_counter() - start


@app.command()
def run(
    app_dir: Annotated[Path, typer.Argument(help="The folder of the CDK app (holding cdk.json).")],
    context: Annotated[
        list[str] | None, typer.Option("--context", "-c", help="CDK context KEY=VALUE (repeatable).")
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="Keep the cloud assembly here (default: a temp dir).")
    ] = None,
    fmt: FormatOpt = Format.text,
    report_file: ReportFileOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    config: ConfigOpt = None,
    cdk_bin: Annotated[
        str | None,
        typer.Option(
            "--cdk-bin", help="The CDK CLI to run (default: node_modules/.bin/cdk, else cdk on PATH)."
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up on synth after this many seconds.")
    ] = 600.0,
    quiet: QuietOpt = False,
) -> None:
    """Synthesize the CDK app in APP_DIR with the CDK CLI, then audit every template.

    A failed synth exits 2 with the app's error (never audits stale templates).
    """
    ctx = _parse_context(context or [])
    settings = _settings(config, app_dir if app_dir.is_dir() else None)
    tmp = None if output_dir else Path(tempfile.mkdtemp(prefix="cdk-audit-"))
    out_dir = output_dir or tmp
    assert out_dir is not None
    try:
        _progress(quiet, f"synthesizing {app_dir} (cdk synth)…")
        try:
            result = run_synth(app_dir, out_dir.resolve(), ctx, cdk_bin=cdk_bin, timeout=timeout)
        except SynthSetupError as e:
            synth = SynthInfo(ok=False, seconds=0.0, error=str(e))
            report = Report(app=str(app_dir), findings=[], synth=synth, tool=tool_versions())
            _report_synth_failure(report, quiet)
            _emit(report, fmt, report_file, fail_on)
            return
        synth = SynthInfo(
            ok=result.ok,
            seconds=round(result.seconds, 3),
            error=result.error,
            warnings=result.warnings,
            command=result.command,
        )
        versions = tool_versions(result.cli_version, aws_cdk_lib_version(out_dir) if result.ok else None)
        if not result.ok:
            report = Report(app=str(app_dir), findings=[], synth=synth, tool=versions)
            _report_synth_failure(report, quiet)
            _emit(report, fmt, report_file, fail_on)
            return
        assembly = load_assembly(out_dir)
        assembly.synth_warnings = list(result.warnings)
        findings, seconds = _audit([assembly], settings, quiet)
        report = Report(
            app=str(app_dir), findings=findings, synth=synth, audit_seconds=seconds, tool=versions
        )
        _emit(report, fmt, report_file, fail_on)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _report_synth_failure(report: Report, quiet: bool) -> None:
    err.print(f"[bold red]synth failed[/] for {report.app}:")
    for line in (report.synth.error if report.synth else "").splitlines():  # type: ignore[union-attr]
        err.print(f"  {line}", markup=False)


@app.command()
def scan(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Cloud assembly folders (cdk.out), template files "
            "(JSON/YAML), or folders holding them (searched recursively)."
        ),
    ],
    fmt: FormatOpt = Format.text,
    report_file: ReportFileOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Audit existing cloud assemblies or templates without synthesizing (the CI gate after synth)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        err.print(f"[bold red]error:[/] no such file or directory: {', '.join(missing)}")
        raise typer.Exit(EXIT_USAGE)
    settings = _settings(config, Path.cwd())
    _progress(quiet, f"loading {len(paths)} path(s)…")
    assemblies = load_paths(paths)
    if not any(a.stacks or a.errors for a in assemblies):
        err.print(
            f"[bold red]error:[/] no templates or cloud assemblies found in {', '.join(map(str, paths))}"
        )
        raise typer.Exit(EXIT_USAGE)
    findings, seconds = _audit(assemblies, settings, quiet)
    lib = next((v for a in assemblies if (v := aws_cdk_lib_version(a.directory))), None)
    cli = None
    with suppress(SynthSetupError):
        cli = cli_version(find_cdk_cli(None, Path.cwd()))
    report = Report(
        app=" ".join(map(str, paths)),
        findings=findings,
        synth=None,
        audit_seconds=seconds,
        tool=tool_versions(cli, lib),
    )
    _emit(report, fmt, report_file, fail_on)


@app.command("checks")
def list_checks() -> None:
    """List every check: id, slug, severity and title."""
    table = Table(show_edge=False, box=None, pad_edge=False)
    for col in ("ID", "SLUG", "SEVERITY", "TITLE"):
        table.add_column(col)
    for cls in check_classes():
        table.add_row(cls.id, cls.slug, cls.severity_level, cls.shortdesc)
    Console(highlight=False).print(table)


@app.command()
def explain(
    id_or_slug: Annotated[str, typer.Argument(help="A check id (E9001) or slug (s3-replication).")],
) -> None:
    """Print one check's documentation (from its docstring) and its configuration."""
    cls = find_check(id_or_slug)
    if cls is None:
        err.print(f"[bold red]error:[/] no check {id_or_slug!r}; `cdk-audit checks` lists them all")
        raise typer.Exit(EXIT_USAGE)
    header = f"# {cls.id} {cls.slug} ({cls.severity_level})\n\n**{cls.shortdesc}**\n\n"
    body = header + cls.doc() + "\n"
    if cls.remediation:
        body += f"\n**Fix:** {cls.remediation}\n"
    if cls.source_url:
        body += f"\nDocs: {cls.source_url}\n"
    if sys.stdout.isatty():
        Console().print(Markdown(body))
    else:
        sys.stdout.write(body)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # a bug, not a user mistake: say so briefly
        if os.environ.get("CDK_AUDIT_DEBUG"):
            traceback.print_exc()
        err.print(
            f"[bold red]internal error:[/] {type(e).__name__}: {e}\n"
            "This is a bug in cdk-audit; re-run with CDK_AUDIT_DEBUG=1 for the traceback and report it."
        )
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
