"""The ``cdk-audit`` command line: run, scan, baseline write, diff, checks, explain.

A thin layer over ``auditor.api``: it parses options, resolves the settings and the
baseline (user mistakes exit 3 before any work; ``run`` resolves the settings while synth
runs, and a mistake in them stops synth), calls the API, writes the report and exits with
the gate's code. It imports nothing of cfn-lint: ``run`` starts synth before that cost.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 synth failed; 3 usage or configuration error; 4 internal error (a bug: please report).
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

try:  # typer >= 0.2x vendors click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click.exceptions import UsageError  # type: ignore[no-redef,import-not-found,unused-ignore]

from auditor import api, catalog
from auditor.baseline import (
    Baseline,
    BaselineError,
    diff_reports,
    load_baseline,
    render_baseline,
    render_diff_json,
    render_diff_text,
)
from auditor.cache import ResultCache, default_directory
from auditor.config import ConfigError, Settings, load_settings
from auditor.gate import Exit, FailOn, exit_code
from auditor.output import write_atomic
from auditor.registry import check_classes
from auditor.report import html, json_report, junit, markdown, sarif, text
from auditor.report.model import Report

EXIT_CODES_HELP = (
    "Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; "
    "2 synth failed; 3 usage or configuration error; 4 internal error."
)


class _Group(TyperGroup):
    """Usage errors exit 3 (click's default, 2, is ours for a failed synth)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as e:
            e.exit_code = Exit.USAGE
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as e:
            e.exit_code = Exit.USAGE
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


_RENDER: dict[Format, Callable[[Report], str]] = {
    Format.json: json_report.render,
    Format.sarif: sarif.render,
    Format.junit: junit.render,
    Format.markdown: markdown.render,
    Format.html: html.render,
}

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
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        help="Settings profile: default, production or development (over the file's `profile`).",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="A setting over the file's (repeatable), with the file's keys: --set log-retention.min-days=400, "
        '--set ignore=\'["W3005"]\', --set cfn-lint-rules=false. VALUE is TOML, or a bare string.',
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
CacheDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        metavar="DIR",
        envvar="CDK_AUDIT_CACHE_DIR",
        file_okay=False,
        help="Keep the result cache (template-scoped results of unchanged templates) here, e.g. a folder "
        "under $XDG_CACHE_HOME that CI keeps between jobs. Default: .cdk-audit-cache/ at the source root "
        "(the git top-level of the current directory, else the current directory).",
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option("--no-cache", envvar="CDK_AUDIT_NO_CACHE", help="Neither read nor write the result cache."),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        help="Mark findings recorded in this baseline (or JSON report) as known; only new ones gate.",
        dir_okay=False,
    ),
]


def _progress(quiet: bool) -> api.Progress:
    def say(message: str) -> None:
        if not quiet:
            err.print(f"[dim]cdk-audit:[/] {message}")

    return say


def _fail(kind: str, message: str, code: Exit = Exit.USAGE) -> typer.Exit:
    err.print(f"[bold red]{kind}:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _settings(config: Path | None, search_dir: Path | None, profile: str | None, sets: Sequence[str]) -> Settings:
    try:
        return load_settings(config, search_dir, _overrides(profile, sets))
    except ConfigError as e:
        raise _fail("configuration error", str(e)) from None


def _overrides(profile: str | None, sets: Sequence[str]) -> list[str]:
    return [*([f"profile={profile}"] if profile else []), *sets]


def _cache(cache_dir: Path | None, no_cache: bool) -> ResultCache | None:
    if no_cache:
        return None
    return ResultCache(cache_dir if cache_dir is not None else default_directory())


def _baseline(file: Path | None) -> Baseline | None:
    if file is None:
        return None
    try:
        return load_baseline(file)
    except BaselineError as e:
        raise _fail("baseline error", str(e)) from None


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
    outputs: Sequence[tuple[Format, Path]] = (),
) -> None:
    if report.synth is not None and not report.synth.ok:
        err.print(f"[bold red]synth failed[/] for {report.app}:")
        for line in (report.synth.error or "").splitlines():
            err.print(f"  {line}", markup=False)
    total = report.summary()["total"]
    for extra_fmt, file in outputs:
        write_atomic(file, _render(report, extra_fmt))
        err.print(f"cdk-audit: wrote {file} ({extra_fmt.value}, {total} finding(s))")
    color = report_file is None and fmt is Format.text and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    body = _render(report, fmt, color)
    if report_file is not None:
        write_atomic(report_file, body)
        err.print(f"cdk-audit: wrote {report_file} ({total} finding(s))")
    else:  # the main report goes to stdout even beside --output files: the CI log shows it
        sys.stdout.write(body)
        sys.stdout.flush()
    raise typer.Exit(exit_code(report, fail_on))


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
    fail_on: FailOnOpt = FailOn.ERROR,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    sets: SetOpt = None,
    cdk_bin: Annotated[
        str | None,
        typer.Option("--cdk-bin", help="The CDK CLI to run (default: node_modules/.bin/cdk, else cdk on PATH)."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Give up on synth after this many seconds.")] = 600.0,
    quiet: QuietOpt = False,
    output: OutputOpt = None,
    baseline: BaselineOpt = None,
    jobs: JobsOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Synthesize the CDK app in APP_DIR with the CDK CLI, then audit every template.

    A failed synth exits 2 with the app's error (never audits stale templates). A synth
    that failed only because a policy validation plugin reported errors is audited: the
    plugins' violations are in the report.
    """
    ctx = _parse_context(context or [])
    outputs = _parse_outputs(output or [])
    known = _baseline(baseline)
    # resolved while synth runs, with the rest of the check stage's start-up (auditor.warm)
    settings = functools.partial(load_settings, config, app_dir if app_dir.is_dir() else None,
                                 _overrides(profile, sets or []))  # fmt: skip
    try:
        report = api.run(
            app_dir,
            settings,
            context=ctx,
            output_dir=output_dir,
            cdk_bin=cdk_bin,
            timeout=timeout,
            jobs=jobs,
            baseline=known,
            progress=_progress(quiet),
            cache=_cache(cache_dir, no_cache),
        )
    except ConfigError as e:
        raise _fail("configuration error", str(e)) from None
    _emit(report, fmt, report_file, fail_on, outputs)


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
    fail_on: FailOnOpt = FailOn.ERROR,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    sets: SetOpt = None,
    quiet: QuietOpt = False,
    output: OutputOpt = None,
    baseline: BaselineOpt = None,
    jobs: JobsOpt = None,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Audit existing cloud assemblies or templates without synthesizing (the CI gate after synth)."""
    outputs = _parse_outputs(output or [])
    known = _baseline(baseline)
    settings = _settings(config, Path.cwd(), profile, sets or [])
    report = _scan(paths, settings, quiet, jobs, known, _cache(cache_dir, no_cache))
    _emit(report, fmt, report_file, fail_on, outputs)


def _scan(
    paths: list[Path],
    settings: Settings,
    quiet: bool,
    jobs: int | None = None,
    known: Baseline | None = None,
    cache: ResultCache | None = None,
) -> Report:
    try:
        return api.scan(paths, settings, jobs=jobs, baseline=known, progress=_progress(quiet), cache=cache)
    except api.UsageError as e:
        raise _fail("error", str(e)) from None


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
    profile: ProfileOpt = None,
    sets: SetOpt = None,
    quiet: QuietOpt = False,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Scan PATHS as `scan` does and record every unsuppressed finding's fingerprint in FILE.

    Then `cdk-audit scan|run ... --baseline FILE` reports those as known and gates only on
    new ones. Any `--format json` report works as a baseline too.
    """
    report = _scan(paths, _settings(config, Path.cwd(), profile, sets or []), quiet, cache=_cache(cache_dir, no_cache))
    write_atomic(file, render_baseline(report.findings))
    err.print(f"cdk-audit: wrote baseline {file} ({len(report.active())} finding(s))")


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The earlier JSON report (or baseline).", dir_okay=False)],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later JSON report.", dir_okay=False)],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    fail_on: FailOnOpt = FailOn.ERROR,
) -> None:
    """Compare two JSON reports by fingerprint: new, fixed and unchanged findings.

    Exits 1 when a new finding is at or above --fail-on.
    """
    try:
        result = diff_reports(old, new)
    except BaselineError as e:
        raise _fail("error", str(e)) from None
    sys.stdout.write(render_diff_json(result) if fmt is DiffFormat.json else render_diff_text(result))
    raise typer.Exit(Exit.FINDINGS if result.failing(fail_on) else Exit.OK)


@app.command("checks")
def list_checks() -> None:
    """List every check: id, slug, severity and title. `cdk-audit explain ID` shows one, cfn-lint's too."""
    from rich.table import Table  # here, not at start-up: only this command draws a table

    table = Table(show_edge=False, box=None, pad_edge=False)
    for col in ("ID", "SLUG", "SEVERITY", "TITLE"):
        table.add_column(col)
    for cls in check_classes():
        table.add_row(cls.id, cls.slug, str(cls.severity_level), cls.shortdesc)
    Console(highlight=False).print(table)


@app.command()
def explain(
    id_or_slug: Annotated[
        str,
        typer.Argument(
            metavar="ID_OR_SLUG",
            help="Any id a report can hold: a check id (E9001) or slug (s3-replication), a cfn-lint rule (W3005), "
            "template-parse-error, assembly-error.",
        ),
    ],
) -> None:
    """Print what a finding's id means: its documentation and its fix."""
    info = catalog.lookup(id_or_slug)
    if info is None:
        raise _fail("error", f"no check or rule {id_or_slug!r}; `cdk-audit checks` lists ours")
    body = f"# {info.id} {info.slug} ({info.severity})\n\n**{info.title}**\n\n{info.doc or info.description}\n"
    if info.remediation:
        body += f"\n**Fix:** {info.remediation}\n"
    if info.url:
        body += f"\nDocs: {info.url}\n"
    if sys.stdout.isatty():
        from rich.markdown import Markdown  # here, not at start-up (0.2 s of imports)

        Console().print(Markdown(body))
    else:
        sys.stdout.write(body)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("cdk-audit: interrupted")
        sys.exit(Exit.INTERRUPTED)
    except Exception as e:  # a bug, not a user mistake: say so briefly
        if os.environ.get("CDK_AUDIT_DEBUG"):
            traceback.print_exc()
        err.print(
            f"[bold red]internal error:[/] {type(e).__name__}: {e}\n"
            "This is a bug in cdk-audit; re-run with CDK_AUDIT_DEBUG=1 for the traceback and report it."
        )
        sys.exit(Exit.INTERNAL)


if __name__ == "__main__":
    main()
