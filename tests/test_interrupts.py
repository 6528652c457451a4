"""Issue 10, items 3 and 4: interrupts clean up, nothing is left running, and a synth's
hostile output is bounded. Real processes: the real CDK CLI (``run``), a real fork pool
(``scan --jobs 2``), real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, fake_cdk_cli, require_corpus, validated_report

CDK = ROOT / "node_modules" / ".bin" / "cdk"


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def wait_for(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def start(args: list[str], tmp: Path) -> subprocess.Popen[str]:
    """cdk-audit as a user's shell starts it (the console entry point), temp files in ``tmp``."""
    tmp.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", "from auditor.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp), "NO_COLOR": "1"},
        start_new_session=True,  # the signal goes to cdk-audit alone, not to pytest
    )


@pytest.fixture
def sleepy_app(tmp_path: Path) -> tuple[Path, Path]:
    """A CDK app that records its pid and hangs in synth (an app waiting on a lookup)."""
    app = tmp_path / "app"
    app.mkdir()
    pidfile = tmp_path / "app.pid"
    (app / "app.py").write_text(
        f"import os, time\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n"
    )
    (app / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    return app, pidfile


@pytest.mark.synth
@pytest.mark.parametrize(
    ("sig", "code", "word"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_signal_during_run_stops_synth_and_removes_temp_folders(
    tmp_path: Path, sleepy_app: tuple[Path, Path], sig: signal.Signals, code: int, word: str
):
    assert CDK.is_file(), "run `make setup` (the pinned CDK CLI)"
    app, pidfile = sleepy_app
    tmp = tmp_path / "tmp"
    proc = start(["run", str(app), "--quiet"], tmp)
    try:
        wait_for(lambda: pidfile.is_file() and pidfile.read_text().strip(), 180, "the app to start under cdk synth")
        app_pid = int(pidfile.read_text())
        assert [p.name for p in tmp.iterdir() if p.name.startswith("cdk-audit-")]  # the assembly folder exists
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert err.strip().splitlines() == [f"cdk-audit: {word}"], err
    wait_for(lambda: not alive(app_pid), 10, "the app to be stopped")
    assert not [p.name for p in tmp.iterdir() if p.name.startswith("cdk-audit-")]


@require_corpus()
def test_sigterm_during_a_pooled_scan_stops_the_workers(tmp_path: Path, corpus_dir: Path):
    proc = start(["scan", str(corpus_dir / "cdk-examples"), "--jobs", "2", "--quiet", "--format", "json"], tmp_path)
    try:
        wait_for(lambda: len(children(proc.pid)) >= 2, 240, "the pool's workers")
        workers = children(proc.pid)
        time.sleep(1.0)  # let them take work
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["cdk-audit: terminated"], err  # no BrokenPipeError, no traceback
    wait_for(lambda: not any(alive(w) for w in workers), 15, "the workers to end")


def test_a_fifty_megabyte_line_from_a_failed_synth_is_bounded(cli, tmp_path: Path, app_dir: Path):
    fake = fake_cdk_cli(
        tmp_path,
        "import sys\nsys.stdout.write('o' * 20_000_000)\nsys.stderr.write('Error: ' + 'x' * 50_000_000)\nsys.exit(1)\n",
    )
    start_time = time.perf_counter()
    r = cli("run", app_dir, "--cdk-bin", fake, "--format", "json", "-q")
    assert time.perf_counter() - start_time < 120
    assert r.exit_code == 2, r.output
    doc = validated_report(r.stdout)
    assert doc["synth"]["ok"] is False
    assert len(json.dumps(doc)) < 10_000_000  # the tail, not all 70 MB


def test_timeout_stops_the_whole_process_group(cli, tmp_path: Path, app_dir: Path):
    pidfile = tmp_path / "grandchild.pid"
    fake = fake_cdk_cli(
        tmp_path,
        "import subprocess, time\n"
        f"child = subprocess.Popen(['sleep', '600'])\nopen({str(pidfile)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(600)\n",
    )
    r = cli("run", app_dir, "--cdk-bin", fake, "--timeout", "3", "--format", "json", "-q")
    assert r.exit_code == 2
    assert "timed out" in validated_report(r.stdout)["synth"]["error"]
    grandchild = int(pidfile.read_text())
    wait_for(lambda: not alive(grandchild), 10, "the app's own child to be stopped")
