"""The library API: ``run`` (synthesize, then audit) and ``scan`` (audit what exists),
each returning a ``Report``. The CLI is a thin layer over these; the tests call them too.

The stages, each a module that takes a value and returns a new one::

    synth.run_synth ─▶ SynthResult ─▶ assembly.load_assembly / load_paths ─▶ Assembly
        ─▶ pipeline.check ─▶ CheckResult ─▶ baseline.apply_baseline ─▶ Report
        ─▶ render.render_report (fixes in the app's language) ─▶ Report ─▶ gate.exit_code

Settings are resolved before any of this (``config.load_settings``), once; ``run``
may be given how to resolve them instead, and then does it while synth runs, with the
rest of the check stage's start-up (``auditor.warm``). With a ``ResultCache``,
template-scoped results of unchanged templates come from it (``auditor.template_cache``).

The check stage (``pipeline``, hence cfn-lint) is imported only when it runs, so that
the ``run`` command starts synth before paying for it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from auditor import prelint, render, warm
from auditor.assembly import Assembly, load_assembly, load_paths
from auditor.baseline import Baseline, apply_baseline
from auditor.cache import ResultCache
from auditor.config import Settings
from auditor.report.model import Report, SynthInfo, aws_cdk_lib_version, tool_versions
from auditor.source import default_source_root
from auditor.synth import CliPackageError, SynthResult, SynthSetupError, cli_version, find_cdk_cli, run_synth

Progress = Callable[[str], None]


#: what a scan of an assembly cannot know that `run` does
SCAN_NOTE = (
    "scan reads the assembly only: CDK prints deprecation warnings during synth and keeps them out of "
    "cdk.out, so cdk-deprecation findings come from `cdk-audit run` alone"
)


class UsageError(Exception):
    """Input the user must fix (a path that does not exist, nothing to scan, a broken CDK
    CLI install); exit 3."""


def _quiet(_: str) -> None:
    pass


def check(
    assemblies: Sequence[Assembly],
    settings: Settings,
    *,
    app: str,
    synth: SynthInfo | None = None,
    tool: Mapping[str, str | None] | None = None,
    jobs: int | None = None,
    baseline: Baseline | None = None,
    source_root: Path | None = None,
    notes: Sequence[str] = (),
    app_dir: Path | None = None,
    language: str | None = None,
    progress: Progress = _quiet,
    prepared: warm.Prepared | None = None,
) -> Report:
    """Audit loaded assemblies: the check stage, then the baseline, as one ``Report`` whose
    fixes read in the app's ``language`` (None: told from ``app_dir``'s cdk.json, the
    assemblies' and the findings' sources; see ``render.tell_language``).

    ``prepared``: the check stage built ahead from these settings (``warm.prepare``), with
    the result cache's entries if there is a cache."""
    from auditor import pipeline  # the check stage: cfn-lint (see the module's docstring)

    stacks = tuple(s.name for a in assemblies for s in a.stacks)
    progress(f"auditing {len(stacks)} template(s) in {len(assemblies)} assembly(ies)")
    start = time.perf_counter()
    checks, results = (prepared.checks, prepared.results) if prepared is not None else (None, None)
    result = pipeline.check(assemblies, settings, jobs, checks=checks, results=results)
    seconds = time.perf_counter() - start
    if results is not None and results.cache is not None:
        _cache_progress(results.cache, progress)
    findings, info = list(result.findings), None
    if baseline is not None:
        findings, info = apply_baseline(findings, baseline)
    report = Report(
        app=app,
        findings=tuple(findings),
        synth=synth,
        audit_seconds=seconds,
        tool=dict(tool or tool_versions()),
        stacks=stacks,
        checks=result.checks,
        baseline=info,
        rules=result.rules,
        source_root=str(source_root) if source_root else None,
        notes=tuple(notes),
    )
    told = language or render.tell_language(app_dir, assemblies, report.findings)
    return render.render_report(report, told)


def scan(
    paths: Sequence[Path],
    settings: Settings,
    *,
    jobs: int | None = None,
    baseline: Baseline | None = None,
    source_root: Path | None = None,
    sources: bool = True,
    follow_symlinks: bool = False,
    progress: Progress = _quiet,
    cache: ResultCache | None = None,
) -> Report:
    """Audit cloud assemblies, template files and folders of them, without synthesizing.

    ``sources``: locate findings in the user's code from the assemblies' creation stacks,
    relative to ``source_root`` (default: the git work tree of the current folder, else it).
    ``follow_symlinks``: also read a folder's file symlinks that point outside it.
    ``cache``: where template-scoped results are kept between runs (None: no cache).
    Raises ``UsageError`` for a path that is missing or not a file or folder.
    """
    root = (source_root or default_source_root(Path.cwd())).resolve()
    for path in paths:
        _check_scan_path(path)
    prepared = warm.prepare(settings, cache)  # first: the cache decides how templates are decoded
    progress(f"loading {len(paths)} path(s)…")
    assemblies = load_paths(
        paths, source_root=root if sources else None, follow_symlinks=follow_symlinks, plain_ok=prepared.plain_ok
    )
    skipped = [link for a in assemblies for link in a.skipped_links]
    if not any(a.stacks or a.errors for a in assemblies):
        hint = f"; {_skipped_note(skipped)}" if skipped else ""
        raise UsageError(f"no templates or cloud assemblies found in {', '.join(map(str, paths))}{hint}")
    lib = next((v for a in assemblies if (v := aws_cdk_lib_version(a.directory))), None)
    cli = None
    with suppress(SynthSetupError):
        cli = cli_version(find_cdk_cli(None, Path.cwd()))
    return check(
        assemblies,
        settings,
        app=" ".join(map(str, paths)),
        tool=tool_versions(cli, lib),
        jobs=jobs,
        baseline=baseline,
        source_root=root if sources else None,
        notes=[
            *([SCAN_NOTE] if any(a.directory is not None for a in assemblies) else []),
            *([_skipped_note(skipped)] if skipped else []),
        ],
        progress=progress,
        prepared=prepared,
    )


def _check_scan_path(path: Path) -> None:
    """A ``UsageError`` for a path ``scan`` cannot read: missing, or not a file or folder."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file or directory") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise UsageError(
            f"{path} is {kind}, not a file or folder; pass a template file, a cdk.out folder or a folder of them"
        )


def _skipped_note(links: Sequence[str]) -> str:
    shown = ", ".join(links[:3]) + (f" and {len(links) - 3} more" if len(links) > 3 else "")
    return (
        f"skipped {len(links)} file symlink(s) pointing outside the folder scanned ({shown}); "
        "pass --follow-symlinks to audit them"
    )


def _cache_progress(cache: ResultCache, progress: Progress) -> None:
    if cache.error is not None:
        progress(cache.error)
    total = cache.hits + cache.misses
    if total:
        progress(f"result cache: {cache.hits} of {total} template(s) unchanged ({cache.directory})")


def synth_info(result: SynthResult) -> SynthInfo:
    return SynthInfo(
        ok=result.ok,
        seconds=round(result.seconds, 3),
        error=result.error,
        warnings=result.warnings,
        command=result.command,
        error_kind=result.failure.kind if result.failure else None,
        errors=result.failure.locations if result.failure else (),
    )


def run(
    app_dir: Path,
    settings: warm.SettingsSource,
    *,
    context: Mapping[str, str] | None = None,
    output_dir: Path | None = None,
    cdk_bin: str | None = None,
    timeout: float = 600.0,
    jobs: int | None = None,
    baseline: Baseline | None = None,
    source_root: Path | None = None,
    sources: bool = True,
    progress: Progress = _quiet,
    cache: ResultCache | None = None,
) -> Report:
    """Synthesize the CDK app in ``app_dir`` with the CDK CLI, then audit every template.

    A failed synth is a report with ``synth.ok = False`` and no findings: stale templates
    are never audited. ``output_dir``: keep the assembly there (default: a temp folder,
    removed afterwards, also when interrupted). ``sources``: synthesize with creation-stack
    traces and locate findings in the user's code, relative to ``source_root`` (default:
    the git work tree holding the app, else the app's folder). ``settings``: or a function
    that resolves them; it runs while synth does, with the rest of the check stage's
    start-up, and an error it raises (``ConfigError``) stops synth and is raised here.
    ``cache``: as for ``scan``.
    """
    root = (source_root or default_source_root(app_dir)).resolve()
    overlap = os.environ.get("CDK_AUDIT_OVERLAP") != "0"
    tmp = None if output_dir else Path(tempfile.mkdtemp(prefix="cdk-audit-"))
    out_dir = output_dir or tmp
    assert out_dir is not None
    synth_done = threading.Event()
    since = time.time_ns()
    head_start: list[int] = []  # how many templates the warm-up thread linted during synth

    def warm_up() -> warm.Prepared:
        # with the pre-lint on, the built-ins load when it meets a template the cache lacks
        # (without a cache every template is one: load them at once, before the manifest)
        pre = overlap and os.environ.get("CDK_AUDIT_PRELINT") != "0"
        prepared = warm.prepare(settings, cache, warm_builtins=overlap and (not pre or cache is None), remember=overlap)
        if pre:
            head_start.append(prelint.watch(out_dir.resolve(), since, prepared, synth_done))
        return prepared

    ready = warm.Background(warm_up, threaded=overlap)
    try:
        progress(f"synthesizing {app_dir} (cdk synth)…")
        try:
            try:
                result = run_synth(
                    app_dir,
                    out_dir.resolve(),
                    dict(context or {}),
                    cdk_bin=cdk_bin,
                    timeout=timeout,
                    traces=sources,
                    source_root=root,
                    started=ready.watch,
                )
            finally:
                synth_done.set()  # the pre-lint stops after its current template
        except CliPackageError as e:
            ready.result()
            raise UsageError(str(e)) from None
        except SynthSetupError as e:
            ready.result()  # a settings error comes first, as when settings were resolved before synth
            return Report(app=str(app_dir), findings=(), synth=SynthInfo(ok=False, seconds=0.0, error=str(e)),
                          tool=tool_versions())  # fmt: skip
        prepared = ready.result()
        synth = synth_info(result)
        if not result.ok:
            return Report(app=str(app_dir), findings=(), synth=synth, tool=tool_versions(result.cli_version),
                          source_root=str(root), language=render.tell_language(app_dir))  # fmt: skip
        if head_start and head_start[0]:
            progress(f"linted {head_start[0]} template(s) while synth ran")
        assembly = load_assembly(
            out_dir, synth_warnings=result.warnings, source_root=root if sources else None, plain_ok=prepared.plain_ok
        )
        return check(
            [assembly],
            prepared.settings,
            app=str(app_dir),
            synth=synth,
            tool=tool_versions(result.cli_version, aws_cdk_lib_version(out_dir)),
            jobs=jobs,
            baseline=baseline,
            source_root=root if sources else None,
            app_dir=app_dir,
            progress=progress,
            prepared=prepared,
        )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
