"""Spreading independent work over forked processes, only when it pays.

Templates are independent, so a ``fork`` pool spreads them over the cores; forked after
rules and schemas are loaded and templates decoded, so workers start warm and nothing
is pickled on the way in (only results on the way out).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: estimated serial seconds of work below which a process pool costs more than it saves
MIN_PARALLEL_SECONDS = 1.0
#: rough cost per resource (measured on the corpus, 2 cores) to make that estimate
SECONDS_PER_RESOURCE = {"full": 0.008, "pack": 0.0003}


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worth_parallel(resources: int, tasks: int, full: bool, jobs: int | None) -> int:
    """How many processes to use: 1 unless the work clearly outweighs a pool's start-up.

    ``jobs``: None or 0 for automatic, 1 to force serial, N to use up to N processes.
    ``full``: cfn-lint's built-in rules run too (far more work per resource).
    """
    if jobs == 1 or tasks < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if jobs:
        return max(1, min(jobs, tasks))
    estimate = resources * SECONDS_PER_RESOURCE["full" if full else "pack"]
    if estimate < MIN_PARALLEL_SECONDS:
        return 1
    return max(1, min(default_jobs(), tasks))


_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _worker_init() -> None:
    # The parent owns interrupts: Ctrl-C reaches the whole foreground group, and the
    # parent's pool shutdown SIGTERMs the workers, which then just end (no tracebacks).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_one(i: int) -> tuple[int, Any]:
    assert _WORK is not None  # set by map_indexed before the fork
    fn, items = _WORK
    return i, fn(items[i])


def map_indexed(fn: Callable[[T], R], items: Sequence[T], jobs: int, weights: Sequence[float]) -> list[R]:
    """``[fn(x) for x in items]``, over ``jobs`` forked processes when ``jobs > 1``.

    Heaviest items go first so the last one to finish is a small one. ``fn`` and
    ``items`` reach the workers through the fork itself; only results are pickled.
    """
    if jobs <= 1 or len(items) < 2:
        return [fn(x) for x in items]
    global _WORK
    order = sorted(range(len(items)), key=lambda i: -weights[i])
    results: list[Any] = [None] * len(items)
    _WORK = (fn, items)
    gc.freeze()  # keep the parent's objects out of the children's GC: fewer copied pages
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_init) as pool:
            for i, result in pool.imap_unordered(_run_one, order, chunksize=1):
                results[i] = result
    finally:
        gc.unfreeze()
        _WORK = None
    return results
