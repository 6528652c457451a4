"""The ``cdk-audit`` command line: run, scan, baseline write, diff, checks, explain.

A thin layer over ``auditor.api``: it parses options, resolves the settings and the
baseline (user mistakes exit 3 before any work; ``run`` resolves the settings while synth
runs, and a mistake in them stops synth), calls the API, writes the report and exits with
the gate's code. It imports nothing of cfn-lint: ``run`` starts synth before that cost.

Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it;
2 synth failed; 3 usage or configuration error; 4 internal error (a bug: please report).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import math
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
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
from auditor.config import ConfigError, Settings, SettingsFile, read_settings
from auditor.gate import Exit, FailOn, exit_code
from auditor.output import unwritable, write_atomic
from auditor.registry import check_classes
from auditor.report.model import Report
from auditor.synth import Interrupted

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
    concise = "concise"
    github = "github"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    markdown = "markdown"
    html = "html"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


#: each format's writer, as (module of auditor.report, function): imported when used, so that
#: ``run`` starts synth without importing seven writers it needs only afterwards
_RENDER: dict[Format, tuple[str, str]] = {
    Format.text: ("text", "render"),
    Format.concise: ("text", "render_concise"),
    Format.github: ("github", "render"),
    Format.json: ("json_report", "render"),
    Format.sarif: ("sarif", "render"),
    Format.junit: ("junit", "render"),
    Format.markdown: ("markdown", "render"),
    Format.html: ("html", "render"),
}

FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="Report format: text (for people), concise (one line per finding, file:line:col), github "
        "(workflow commands: pull-request annotations), json, sarif, junit, markdown, html.",
    ),
]
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
        "--set ignore='[\"W3005\"]', --set cfn-lint-rules=false. VALUE is TOML, or a bare string.",
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
SourceRootOpt = Annotated[
    Path | None,
    typer.Option(
        "--source-root",
        metavar="DIR",
        file_okay=False,
        help="Make source locations relative to DIR (default: the git top-level of the app for `run`, "
        "of the current folder for `scan`; else that folder). Frames outside it are not reported as files.",
    ),
]
NoSourceOpt = Annotated[
    bool,
    typer.Option(
        "--no-source",
        help="Do not locate findings in your code (synthesize without creation-stack traces; a little faster).",
    ),
]
FollowSymlinksOpt = Annotated[
    bool,
    typer.Option(
        "--follow-symlinks",
        help="In folders, also read file symlinks that point outside the folder (default: skip them, and say so).",
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
        "(--source-root, else the git top-level of the app for `run`, of the current folder for `scan`).",
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
            err.print(f"[dim]cdk-audit:[/] {escape(message)}", soft_wrap=True)  # a log line: never hard-wrapped

    return say


def _fail(kind: str, message: str, code: Exit = Exit.USAGE) -> typer.Exit:
    # the message names the user's files and keys ([tool.cdk-audit]): text, never markup
    err.print(f"[bold red]{kind}:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _writable(targets: Sequence[tuple[str, Path | None]]) -> None:
    """Exit 3 now, before synth or audit, when a report file could not be written."""
    for option, path in targets:
        problem = unwritable(path) if path is not None else None
        if problem is not None:
            raise _fail("error", f"{option}: {problem}; choose another path")


def _write(file: Path, body: str, option: str) -> None:
    try:
        write_atomic(file, body)
    except OSError as e:  # checked before the run, yet the disk can still fill up or change
        raise _fail("error", f"{option}: cannot write {file}: {e.strerror or e}; choose another path") from None


def _check_timeout(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise typer.BadParameter(f"{value:g} is not a positive number of seconds", param_hint="--timeout")
    return value


def _settings_file(
    config: Path | None, search_dir: Path | None, profile: str | None, sets: Sequence[str]
) -> SettingsFile:
    """The settings, read and checked for every mistake that needs no check pack."""
    try:
        return read_settings(config, search_dir, _overrides(profile, sets))
    except ConfigError as e:
        raise _fail("configuration error", str(e)) from None


def _settings(config: Path | None, search_dir: Path | None, profile: str | None, sets: Sequence[str]) -> Settings:
    pending = _settings_file(config, search_dir, profile, sets)
    try:
        return pending.resolve()
    except ConfigError as e:
        raise _fail("configuration error", str(e)) from None


def _overrides(profile: str | None, sets: Sequence[str]) -> list[str]:
    return [*([f"profile={profile}"] if profile else []), *sets]


def _cache(cache_dir: Path | None, no_cache: bool, near: Path) -> ResultCache | None:
    """The result cache: ``cache_dir``, else ``.cdk-audit-cache/`` at the source root of ``near``."""
    if no_cache:
        return None
    return ResultCache(cache_dir if cache_dir is not None else default_directory(near if near.is_dir() else None))


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
    module, name = _RENDER[fmt]
    writer: Callable[..., str] = getattr(importlib.import_module(f"auditor.report.{module}"), name)
    return writer(report, color=color) if fmt is Format.text else writer(report)


def _emit(
    report: Report,
    fmt: Format,
    report_file: Path | None,
    fail_on: FailOn,
    outputs: Sequence[tuple[Format, Path]] = (),
) -> None:
    if report.synth is not None and not report.synth.ok:
        err.print(f"[bold red]synth failed[/] for {escape(report.app or '')}:")
        for line in (report.synth.error or "").splitlines():
            err.print(f"  {line}", markup=False)
    total = report.summary()["total"]
    for extra_fmt, file in outputs:
        _write(file, _render(report, extra_fmt), "--output")
        err.print(f"cdk-audit: wrote {file} ({extra_fmt.value}, {total} finding(s))", markup=False, soft_wrap=True)
    color = report_file is None and fmt is Format.text and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    body = _render(report, fmt, color)
    if report_file is not None:
        _write(report_file, body, "--report-file")
        err.print(f"cdk-audit: wrote {report_file} ({total} finding(s))", markup=False, soft_wrap=True)
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
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="Give up on synth after this many seconds.", callback=_check_timeout),
    ] = 600.0,
    quiet: QuietOpt = False,
    output: OutputOpt = None,
    baseline: BaselineOpt = None,
    jobs: JobsOpt = None,
    source_root: SourceRootOpt = None,
    no_source: NoSourceOpt = False,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Synthesize the CDK app in APP_DIR with the CDK CLI, then audit every template.

    Each finding leads with the line of your CDK code (TypeScript or Python) that created
    the construct: `run` synthesizes with CDK's creation-stack traces turned on (for Python
    apps JSII_HOST_STACK_TRACES=1), without touching your files.

    A failed synth exits 2 with the app's error (never audits stale templates). A synth
    that failed only because a policy validation plugin reported errors is audited: the
    plugins' violations are in the report.
    """
    ctx = _parse_context(context or [])
    outputs = _parse_outputs(output or [])
    _writable([("--report-file", report_file), *(("--output", f) for _, f in outputs)])
    known = _baseline(baseline)
    # read before synth, so that a mistake in them stops the run before it starts; what
    # needs the check packs (check names and values: cfn-lint's import) overlaps synth,
    # with the rest of the check stage's start-up (rules, cfn-lint's built-ins, the cache)
    pending = _settings_file(config, app_dir if app_dir.is_dir() else None, profile, sets or [])
    try:
        report = api.run(
            app_dir,
            pending.resolve,
            context=ctx,
            output_dir=output_dir,
            cdk_bin=cdk_bin,
            timeout=timeout,
            jobs=jobs,
            baseline=known,
            source_root=source_root,
            sources=not no_source,
            progress=_progress(quiet),
            cache=_cache(cache_dir, no_cache, source_root or app_dir),
        )
    except api.UsageError as e:
        raise _fail("error", str(e)) from None
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
    source_root: SourceRootOpt = None,
    no_source: NoSourceOpt = False,
    follow_symlinks: FollowSymlinksOpt = False,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Audit existing cloud assemblies or templates without synthesizing (the CI gate after synth).

    Findings are located in your code from the creation-stack traces in the assembly
    (synthesize with `npx cdk synth`; for Python apps with JSII_HOST_STACK_TRACES=1).
    """
    outputs = _parse_outputs(output or [])
    _writable([("--report-file", report_file), *(("--output", f) for _, f in outputs)])
    known = _baseline(baseline)
    settings = _settings(config, Path.cwd(), profile, sets or [])
    cache = _cache(cache_dir, no_cache, source_root or Path.cwd())
    report = _scan(paths, settings, quiet, jobs, known, source_root, not no_source, follow_symlinks, cache)
    _emit(report, fmt, report_file, fail_on, outputs)


def _scan(
    paths: list[Path],
    settings: Settings,
    quiet: bool,
    jobs: int | None = None,
    known: Baseline | None = None,
    source_root: Path | None = None,
    sources: bool = True,
    follow_symlinks: bool = False,
    cache: ResultCache | None = None,
) -> Report:
    try:
        return api.scan(
            paths,
            settings,
            jobs=jobs,
            baseline=known,
            source_root=source_root,
            sources=sources,
            follow_symlinks=follow_symlinks,
            progress=_progress(quiet),
            cache=cache,
        )
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
    follow_symlinks: FollowSymlinksOpt = False,
    cache_dir: CacheDirOpt = None,
    no_cache: NoCacheOpt = False,
) -> None:
    """Scan PATHS as `scan` does and record every unsuppressed finding's fingerprint in FILE.

    Then `cdk-audit scan|run ... --baseline FILE` reports those as known and gates only on
    new ones. Any `--format json` report works as a baseline too.
    """
    _writable([("FILE", file)])
    settings = _settings(config, Path.cwd(), profile, sets or [])
    report = _scan(
        paths, settings, quiet, follow_symlinks=follow_symlinks, cache=_cache(cache_dir, no_cache, Path.cwd())
    )
    _write(file, render_baseline(report.findings), "FILE")
    err.print(f"cdk-audit: wrote baseline {file} ({len(report.active())} finding(s))", markup=False, soft_wrap=True)


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


def _terminate(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    # SIGTERM unwinds like Ctrl-C: temp folders are removed, the synth's processes stopped
    signal.signal(signal.SIGTERM, _terminate)
    try:
        try:
            app()
        except (KeyboardInterrupt, Interrupted) as e:
            term = isinstance(e, Interrupted) and e.signum == signal.SIGTERM
            err.print(f"cdk-audit: {'terminated' if term else 'interrupted'}")
            sys.exit(Exit.TERMINATED if term else Exit.INTERRUPTED)
        except Exception as e:  # a bug, not a user mistake: say so briefly
            if os.environ.get("CDK_AUDIT_DEBUG"):
                traceback.print_exc()
            err.print(
                f"[bold red]internal error:[/] {type(e).__name__}: {escape(str(e))}\n"
                "This is a bug in cdk-audit; re-run with CDK_AUDIT_DEBUG=1 for the traceback and report it."
            )
            sys.exit(Exit.INTERNAL)
    except SystemExit as e:
        _exit_now(e.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """Exit with ``code`` (as ``SystemExit`` reads it) without tearing the interpreter down.

    Teardown frees every object one by one: a decoded template is millions of them, and
    that was 1.5 s of a 2,000-resource scan and about 10 s of a 20,000-resource one,
    after the report was written. Nothing needs it: every command has written and closed
    its files, removed its temporary folders and closed its worker pool in ``finally``
    blocks by now. What ``os._exit`` skips is flushed and run first: the output streams
    and the exit handlers (``atexit``: logging's, multiprocessing's)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
