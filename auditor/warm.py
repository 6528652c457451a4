"""Getting the check stage ready: settings, cfn-lint, our rules, the result cache's key.

``prepare`` does it in one call (``scan``). ``Background`` does it in a thread while
``cdk synth`` runs (``run``): importing cfn-lint (with sympy and networkx: about 0.6 s
on a quiet machine) and loading its 300 built-in rules then cost no wall time, and the
audit starts warm when synth ends. That only works if nothing before synth imports
cfn-lint: ``auditor.cli``, ``auditor.api`` and the load stage leave it to the check
stage (``tests/test_warm.py`` holds them to it).

The thread's work is the same as in ``prepare``, done once; its values are the same, so
findings are the same in content and order. A failure in it (a configuration error
found while resolving the settings, a broken check pack) stops the synth it overlaps
and is raised where the caller asks for the result.

``CDK_AUDIT_OVERLAP=0`` makes ``run`` do it after synth instead (what the overlap saves
is measured that way by ``make bench``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from auditor.cache import ResultCache
from auditor.config import Settings
from auditor.decoding import PlainOk

if TYPE_CHECKING:
    from auditor.engine import CheckSet
    from auditor.template_cache import TemplateResults

T = TypeVar("T")
#: settings, or how to resolve them (the ``run`` command resolves them while synth runs)
SettingsSource = Settings | Callable[[], Settings]


@dataclass(frozen=True)
class Prepared:
    """The check stage, ready: the settings, the rules built from them, the cache's entries."""

    settings: Settings
    checks: CheckSet
    #: None: no result cache
    results: TemplateResults | None

    @property
    def plain_ok(self) -> PlainOk | None:
        """For the load stage: whether the cache vouches for plain ``json`` on a template."""
        return self.results.plain_ok if self.results is not None else None


def prepare(
    settings: SettingsSource, cache: ResultCache | None, warm_builtins: bool = False, remember: bool = False
) -> Prepared:
    """Resolve the settings, build the rules, key the cache. ``warm_builtins``: load cfn-lint's
    built-in rules now, not when a template first needs linting (worth it only in the
    background: a fully cached run never needs them). ``remember``: without a cache, keep
    this run's results in memory (what ``auditor.prelint`` linted during synth)."""
    from auditor import engine, lint  # the check stage: cfn-lint is imported here
    from auditor.cache_key import run_key
    from auditor.template_cache import TemplateResults

    resolved = settings() if callable(settings) else settings
    checks = engine.load_checks(resolved)
    if warm_builtins:
        checks.warm()
    results = None
    if cache is not None:
        results = TemplateResults(cache, run_key(resolved, checks.lint_fingerprint, lint.CFN_LINT_VERSION))
    elif remember:
        results = TemplateResults(None, "")
    return Prepared(resolved, checks, results)


class Background(Generic[T]):
    """``work()`` in a daemon thread, while the caller waits on a subprocess it ``watch``es.

    If ``work`` fails, the watched subprocess (started in its own session, as
    ``run_synth`` does) is stopped: its result no longer matters, and the error is
    what the user must see. ``result()`` joins and returns or raises.
    """

    def __init__(self, work: Callable[[], T], threaded: bool = True) -> None:
        """``threaded=False``: no overlap, ``work`` runs in ``result()`` (to measure what it saves)."""
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._value: list[T] = []  # the work's value, once it has one
        self._error: BaseException | None = None
        self._work: Callable[[], T] | None = None if threaded else work
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, args=(work,), name="cdk-audit-warm", daemon=True)
            self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            value = work()
        except BaseException as e:  # re-raised in the caller's thread by result()
            with self._lock:
                self._error = e
                proc = self._proc
            if proc is not None:
                _stop(proc)
            return
        self._value.append(value)

    def watch(self, proc: subprocess.Popen[bytes]) -> None:
        """The subprocess to stop if the work fails (the ``started`` hook of ``run_synth``)."""
        with self._lock:
            self._proc = proc
            failed = self._error is not None
        if failed:
            _stop(proc)

    def result(self) -> T:
        if self._thread is not None:
            self._thread.join()
        elif self._work is not None:
            work, self._work = self._work, None
            self._run(work)
        if self._error is not None:
            raise self._error
        return self._value[0]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
