"""Linting the templates while ``cdk synth`` is still running (``run``).

A CDK app writes its cloud assembly (the templates, then ``manifest.json``) and then
goes on: aws-cdk-lib runs the policy validation plugins, the app exits, and the CLI
reads the assembly back before it exits. On the sample apps that tail took 2 to 4 s, longer
than the audit that follows it. ``watch`` spends it: in the warm-up thread, once
the check stage is ready, it polls for a ``manifest.json`` written since synth started,
loads the assembly (without source locations) and lints each template the run has no
results for, entering the matches under the template's content hash in the run's
``TemplateResults`` (the result cache, or memory only with ``--no-cache``).

Nothing synth might still change is trusted. Results are keyed by the bytes that were
linted, so a template rewritten afterwards is a miss when the check stage looks it up
after synth, and is linted then; a manifest that changes is read again. A failed synth
reports no findings, whatever was linted here. The check stage after synth is the same
as without this module: it loads the assembly again, with source locations, and only
finds more of its templates already linted.

This is only a head start: an error in here is swallowed (the check stage then does the
work itself), and ``stop`` ends it between two templates.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from auditor.assembly import load_assembly
from auditor.warm import Prepared

#: how often to look for the manifest (a stat call)
POLL_SECONDS = 0.05


def watch(out_dir: Path, since_ns: int, prepared: Prepared, stop: threading.Event) -> int:
    """Until ``stop`` is set: lint the templates of the assembly synth writes into ``out_dir``
    (its ``manifest.json`` modified at ``since_ns`` or later). Returns how many it linted."""
    from auditor import engine  # the check stage: imported by ``prepare`` already

    results = prepared.results
    if results is None:
        return 0
    manifest = out_dir / "manifest.json"
    read: tuple[int, int, int] | None = None
    linted = 0
    while not stop.wait(POLL_SECONDS):
        state = _state(manifest)
        if state is None or state[0] < since_ns or state == read:
            continue
        read = state
        try:
            assembly = load_assembly(out_dir, plain_ok=prepared.plain_ok)
            linted += engine.prelint(assembly.stacks, prepared.checks, results, stop.is_set)
        except Exception:  # a head start only: the check stage after synth does it properly
            continue
    return linted


def _state(path: Path) -> tuple[int, int, int] | None:
    """What tells one write of ``path`` from the next: (mtime, size, inode)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino
