"""The ``cdk-audit`` command line: run, scan, baseline write, diff, checks, explain.

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

from auditor import pipeline
from auditor.assembly import Assembly, load_assembly, load_paths
from auditor.baseline import (
    BaselineError,
    apply_baseline,
    diff_reports,
    load_fingerprints,
    render_baseline,
    render_diff_json,
    render_diff_text,
)
from auditor.config import ConfigError, Settings, load_settings
from auditor.findings import Finding
from auditor.gate import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, exit_code
from auditor.output import write_atomic
from auditor.registry import check_classes, find_check
from auditor.report import html, json_report, junit, markdown, sarif, text
from auditor.report.model import Report, SynthInfo, aws_cdk_lib_version, tool_versions
from auditor.synth import SynthSetupError, cli_version, find_cdk_cli, run_synth
from auditor.validation_report import failed_only_on_validation

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
    help="Audit the CloudFormation that AWS CDK synthesizes for production-readiness failures.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True, highlight=False)


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    markdown = "markdown"
    html = "html"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


_RENDER = {
    Format.json: json_report.render,
    Format.sarif: sarif.render,
    Format.junit: junit.render,
    Format.markdown: markdown.render,
    Format.html: html.render,
}


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
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Processes for cfn-lint (default: automatic, by amount of work; 1: no process pool).",
    ),
]
OutputOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--output",
        metavar="FORMAT=FILE",
        help="Also write FORMAT=FILE (repeatable), e.g. --output sarif=audit.sarif --output html=audit.html; "
        "formats: " + ", ".join(f.value for f in Format) + ".",
    ),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        help="Mark findings recorded in this baseline (or JSON report) as known; only new ones gate.",
        dir_okay=False,
    ),
]


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


def _parse_outputs(pairs: list[str]) -> list[tuple[Format, Path]]:
    out = []
    for pair in pairs:
        name, sep, file = pair.partition("=")
        try:
            fmt = Format(name.strip().lower())
        except ValueError:
            fmt = None
        if not sep or not file or fmt is None:
            raise typer.BadParameter(
                f"{pair!r} is not FORMAT=FILE with FORMAT one of {', '.join(f.value for f in Format)}",
                param_hint="--output",
            )
        out.append((fmt, Path(file)))
    return out


def _render(report: Report, fmt: Format, color: bool = False) -> str:
    return text.render(report, color=color) if fmt is Format.text else _RENDER[fmt](report)


def _emit(
    report: Report,
    fmt: Format,
    report_file: Path | None,
    fail_on: FailOn,
    outputs: list[tuple[Format, Path]] = (),  # type: ignore[assignment]
) -> None:
    s = report.summary()
    for extra_fmt, file in outputs:
        write_atomic(file, _render(report, extra_fmt))
        err.print(f"cdk-audit: wrote {file} ({extra_fmt.value}, {s['total']} finding(s))")
    color = report_file is None and fmt is Format.text and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    body = _render(report, fmt, color)
    if report_file is not None:
        write_atomic(report_file, body)
        err.print(f"cdk-audit: wrote {report_file} ({s['total']} finding(s))")
    else:  # the main report goes to stdout even beside --output files: the CI log shows it
        sys.stdout.write(body)
        sys.stdout.flush()
    raise typer.Exit(exit_code(report, fail_on.value))


def _load_baseline(file: Path | None) -> set[str] | None:
    if file is None:
        return None
    try:
        return load_fingerprints(file)
    except BaselineError as e:
        err.print(f"[bold red]baseline error:[/] {e}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None


def _compare(report: Report, known: set[str] | None, file: Path | None) -> Report:
    if known is not None and file is not None:
        report.findings, report.baseline = apply_baseline(report.findings, known, str(file))
    return report


def _audit(
    assemblies: list[Assembly], settings: Settings, quiet: bool, jobs: int | None = None
) -> tuple[list[Finding], float, list[str]]:
    """check -> merge validation plugins' reports -> suppress; and the ids of our checks that ran."""
    stacks = sum(len(a.stacks) for a in assemblies)
    _progress(quiet, f"auditing {stacks} template(s) in {len(assemblies)} assembly(ies)")
    start = time.perf_counter()
    findings, ran = pipeline.check(assemblies, settings, jobs)
    return findings, time.perf_counter() - start, ran


def _stack_names(assemblies: list[Assembly]) -> list[str]:
    return [s.name for a in assemblies for s in a.stacks]


@app.command()
def run(
    app_dir: Annotated[Path, typer.Argument(metavar="APP_DIR", help="The folder of the CDK app (holding cdk.json).")],
    context: Annotated[
        list[str] | None,
        typer.Option("--context", "-c", metavar="KEY=VALUE", help="CDK context KEY=VALUE (repeatable)."),
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
        typer.Option("--cdk-bin", help="The CDK CLI to run (default: node_modules/.bin/cdk, else cdk on PATH)."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Give up on synth after this many seconds.")] = 600.0,
    quiet: QuietOpt = False,
    output: OutputOpt = None,
    baseline: BaselineOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Synthesize the CDK app in APP_DIR with the CDK CLI, then audit every template.

    A failed synth exits 2 with the app's error (never audits stale templates). A synth
    that failed only because a policy validation plugin reported errors is audited: the
    plugins' violations are in the report.
    """
    ctx = _parse_context(context or [])
    outputs = _parse_outputs(output or [])
    known = _load_baseline(baseline)
    settings = _settings(config, app_dir if app_dir.is_dir() else None)
    tmp = None if output_dir else Path(tempfile.mkdtemp(prefix="cdk-audit-"))
    out_dir = output_dir or tmp
    assert out_dir is not None
    try:
        _progress(quiet, f"synthesizing {app_dir} (cdk synth)…")
        started = time.time()
        try:
            result = run_synth(app_dir, out_dir.resolve(), ctx, cdk_bin=cdk_bin, timeout=timeout)
        except SynthSetupError as e:
            synth = SynthInfo(ok=False, seconds=0.0, error=str(e))
            report = Report(app=str(app_dir), findings=[], synth=synth, tool=tool_versions())
            _report_synth_failure(report, quiet)
            _emit(report, fmt, report_file, fail_on, outputs)
            return
        if not result.ok and failed_only_on_validation(out_dir, started):
            result.ok, result.error = True, None
            result.warnings.append("policy validation plugins reported violations (cdk synth exited 1)")
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
            _emit(report, fmt, report_file, fail_on, outputs)
            return
        assembly = load_assembly(out_dir)
        assembly.synth_warnings = list(result.warnings)
        findings, seconds, ran = _audit([assembly], settings, quiet, jobs)
        report = Report(
            app=str(app_dir),
            findings=findings,
            synth=synth,
            audit_seconds=seconds,
            tool=versions,
            stacks=_stack_names([assembly]),
            checks=ran,
        )
        _emit(_compare(report, known, baseline), fmt, report_file, fail_on, outputs)
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
            metavar="PATH",
            help="Cloud assembly folders (cdk.out), template files "
            "(JSON/YAML), or folders holding them (searched recursively).",
        ),
    ],
    fmt: FormatOpt = Format.text,
    report_file: ReportFileOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    output: OutputOpt = None,
    baseline: BaselineOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """Audit existing cloud assemblies or templates without synthesizing (the CI gate after synth)."""
    outputs = _parse_outputs(output or [])
    known = _load_baseline(baseline)
    report = _scan_report(paths, config, quiet, jobs)
    _emit(_compare(report, known, baseline), fmt, report_file, fail_on, outputs)


def _scan_report(paths: list[Path], config: Path | None, quiet: bool, jobs: int | None = None) -> Report:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        err.print(f"[bold red]error:[/] no such file or directory: {', '.join(missing)}")
        raise typer.Exit(EXIT_USAGE)
    settings = _settings(config, Path.cwd())
    _progress(quiet, f"loading {len(paths)} path(s)…")
    assemblies = load_paths(paths)
    if not any(a.stacks or a.errors for a in assemblies):
        err.print(f"[bold red]error:[/] no templates or cloud assemblies found in {', '.join(map(str, paths))}")
        raise typer.Exit(EXIT_USAGE)
    findings, seconds, ran = _audit(assemblies, settings, quiet, jobs)
    lib = next((v for a in assemblies if (v := aws_cdk_lib_version(a.directory))), None)
    cli = None
    with suppress(SynthSetupError):
        cli = cli_version(find_cdk_cli(None, Path.cwd()))
    return Report(
        app=" ".join(map(str, paths)),
        findings=findings,
        synth=None,
        audit_seconds=seconds,
        tool=tool_versions(cli, lib),
        stacks=_stack_names(assemblies),
        checks=ran,
    )


baseline_app = typer.Typer(
    cls=_Group, help="Record the current findings so that only new ones fail the gate.", no_args_is_help=True
)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("write")
def baseline_write(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The baseline file to write (JSON).", dir_okay=False)],
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH", help="What to scan, as for `cdk-audit scan`: cdk.out folders, templates."),
    ],
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Scan PATHS as `scan` does and record every unsuppressed finding's fingerprint in FILE.

    Then `cdk-audit scan|run ... --baseline FILE` reports those as known and gates only on
    new ones. Any `--format json` report works as a baseline too.
    """
    report = _scan_report(paths, config, quiet)
    write_atomic(file, render_baseline(report.findings))
    err.print(f"cdk-audit: wrote baseline {file} ({len(report.active())} finding(s))")


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The earlier JSON report (or baseline).", dir_okay=False)],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later JSON report.", dir_okay=False)],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    fail_on: FailOnOpt = FailOn.error,
) -> None:
    """Compare two JSON reports by fingerprint: new, fixed and unchanged findings.

    Exits 1 when a new finding is at or above --fail-on.
    """
    try:
        result = diff_reports(old, new)
    except BaselineError as e:
        err.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(EXIT_USAGE) from None
    sys.stdout.write(render_diff_json(result) if fmt is DiffFormat.json else render_diff_text(result))
    raise typer.Exit(EXIT_FINDINGS if result.failing(fail_on.value) else EXIT_OK)


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
    id_or_slug: Annotated[
        str, typer.Argument(metavar="ID_OR_SLUG", help="A check id (E9001) or slug (s3-replication).")
    ],
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
