"""Benchmark: cdk-audit against plain cfn-lint and checkov, on one machine, in one run.

Times (each command repeated, medians reported, runs interleaved so background noise
hits every tool alike):

1. the corpus (synthesized CDK templates): ``cdk-audit scan`` with all checks,
   ``cdk-audit scan`` with our pack only, plain ``cfn-lint`` (one process, all files)
   and ``checkov -d`` (network look-ups off);
2. synthetic templates of 100 .. 20,000 resources: ours (pack, full) and cfn-lint (up to
   ``--cfn-lint-max`` resources: plain cfn-lint on the biggest ones takes too long);
3. the result cache, on a copy of the corpus: a cold scan (empty cache), a warm re-scan
   of the unchanged corpus, and a re-scan after changing one template;
4. ``cdk-audit run`` against plain ``cdk synth`` on every sample app that synthesizes,
   with source traces on (the environment ``run`` gives synth: ``JSII_HOST_STACK_TRACES=1``
   for Python apps, ``NODE_OPTIONS=--stack-trace-limit=100`` for all), plain synth timed
   with the same environment: ``run`` with a warm cache (the edit-run loop), without a
   cache, and without a cache and without the overlap (``CDK_AUDIT_OVERLAP=0``).

The engine rows (1, 2) run with ``--no-cache``: they measure the audit itself.

Peak memory is measured two ways: the largest single process (``wait4`` max RSS of
the command and its descendants) and the peak of the summed RSS of the whole process
tree (sampled from /proc), which counts a worker pool's processes together.

Writes ``bench/results.md``. Not a test: no time limits here.
Usage: ``python bench/run.py [--repeat 3] [--big-repeat 1] [--cfn-lint-max 5000] [--quick]
[--sections corpus,sizes,cache,run]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "work"
VENV_BIN = ROOT / ".venv" / "bin"
CHECKOV = BENCH / ".venv-bench" / "bin" / "checkov"
CORPUS = ROOT.parent / "shared" / "corpus" / "cdk-examples"
SIZES = (100, 500, 1000, 2000, 5000, 10000, 20000)
#: sizes above this are run ``--big-repeat`` times (minutes each), not ``--repeat``
BIG = 2000
SAMPLE_APPS = ROOT / "sample_apps"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
SECTIONS = ("corpus", "sizes", "cache", "run")
#: the issue's goals, for the ratios measured here
GOALS = {"traces": 1.10, "run": 1.10, "warm": 0.10, "one": 0.15, "full": 0.5, "pack": 0.1}

# checkov without network: no guideline/mapping download, no SCA, no API key.
CHECKOV_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_IGNORE_HIDDEN_DIRECTORIES": "true",
    "LOG_LEVEL": "ERROR",
}


@dataclass
class Sample:
    seconds: float
    max_rss_kb: int  # largest single process (wait4)
    tree_rss_kb: int  # peak of the summed RSS of the process tree (sampled)
    code: int
    cpu_seconds: float = 0.0  # user + system of the process and its waited-for descendants


@dataclass
class Case:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    #: runs before each sample, untimed (empty a cache, change a template)
    prepare: Callable[[], None] | None = None
    cwd: Path | None = None
    #: a JSON report the command writes, read after each sample (``run``: synth/audit seconds)
    report: Path | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    def cpu(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    def peak_kb(self) -> tuple[int, int]:
        return max(s.max_rss_kb for s in self.samples), max(s.tree_rss_kb for s in self.samples)


def _tree_rss_kb(root_pid: int) -> int:
    """Summed VmRSS of ``root_pid`` and its descendants (0 if it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                ppid, kb = 0, 0
                for line in f:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        kb = int(line.split()[1])
        except (OSError, ValueError):
            continue
        pid = int(entry)
        rss[pid] = kb
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


def measure(argv: list[str], env: dict[str, str], cwd: Path) -> Sample:
    full_env = {**os.environ, **env}
    with tempfile.TemporaryFile() as errors:  # not a pipe: a chatty synth must not block on a full one
        return _measure(argv, full_env, cwd, errors)


def _measure(argv: list[str], full_env: dict[str, str], cwd: Path, errors: Any) -> Sample:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=errors)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    errors.seek(0)
    err = errors.read().decode(errors="replace")
    if proc.returncode not in (0, 1, 2, 4, 6, 8, 10, 12, 14):  # cfn-lint exits with a bit mask
        print(f"  ! {argv[0]} exited {proc.returncode}: {err[-500:]}", file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(seconds, int(usage.ru_maxrss), max(peak, int(usage.ru_maxrss)), proc.returncode, cpu)


def run_cases(cases: list[Case], repeat: int, cwd: Path) -> None:
    for r in range(repeat):
        for case in cases:
            if case.prepare is not None:
                case.prepare()
            s = measure(case.argv, case.env, case.cwd or cwd)
            case.samples.append(s)
            if case.report is not None:
                try:
                    case.reports.append(json.loads(case.report.read_text(encoding="utf-8")))
                except (OSError, ValueError) as e:
                    print(f"  ! {case.name}: no report ({e})", file=sys.stderr)
            mib = s.tree_rss_kb / 1024
            print(f"  [{r + 1}/{repeat}] {case.name}: {s.seconds:.2f}s, cpu {s.cpu_seconds:.2f}s, {mib:.0f} MiB",
                  file=sys.stderr)  # fmt: skip


# -- synthetic templates -------------------------------------------------------------


def synthetic_template(n: int) -> dict[str, Any]:
    """About ``n`` resources in the mix a CDK app has: per group of 8, a bucket, a role,
    a function (its log group named after it), a subnet, a route table, an
    association and a route; wired with Ref, Fn::GetAtt, Fn::Join and Fn::Sub."""
    res: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "IgwAttach": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}},
        },
    }
    i = 0
    while len(res) < n:
        b, r, f, lg, sn, rt = (f"Bucket{i}", f"Role{i}", f"Fn{i}", f"Logs{i}", f"Subnet{i}", f"Rt{i}")
        res[b] = {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "Tags": [{"Key": "team", "Value": "payments"}],
            },
            "UpdateReplacePolicy": "Retain",
            "DeletionPolicy": "Retain",
            "Metadata": {"aws:cdk:path": f"Bench/{b}/Resource"},
        }
        res[r] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Action": "sts:AssumeRole",
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                            ],
                        ]
                    }
                ],
                "Policies": [
                    {
                        "PolicyName": "read",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Action": ["s3:GetObject*", "s3:List*"],
                                    "Effect": "Allow",
                                    "Resource": [
                                        {"Fn::GetAtt": [b, "Arn"]},
                                        {"Fn::Join": ["", [{"Fn::GetAtt": [b, "Arn"]}, "/*"]]},
                                    ],
                                }
                            ],
                        },
                    }
                ],
            },
            "Metadata": {"aws:cdk:path": f"Bench/{f}/ServiceRole/Resource"},
        }
        res[f] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": [r, "Arn"]},
                "Runtime": "python3.12",
                "MemorySize": 256,
                "Timeout": 30,
                "Environment": {"Variables": {"BUCKET": {"Ref": b}}},
            },
            "DependsOn": [r],
            "Metadata": {"aws:cdk:path": f"Bench/{f}/Resource"},
        }
        res[lg] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${" + f + "}"}, "RetentionInDays": 365},
            "UpdateReplacePolicy": "Retain",
            "DeletionPolicy": "Retain",
        }
        res[sn] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": f"10.{i // 250}.{i % 250}.0/24",
                "AvailabilityZone": {"Fn::Select": [i % 2, {"Fn::GetAZs": ""}]},
                "MapPublicIpOnLaunch": False,
            },
        }
        res[rt] = {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}}
        res[f"RtAssoc{i}"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"RouteTableId": {"Ref": rt}, "SubnetId": {"Ref": sn}},
        }
        res[f"Route{i}"] = {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": {"Ref": rt},
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "Igw"},
            },
            "DependsOn": ["IgwAttach"],
        }
        i += 1
    names = list(res)[:n]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"cdk-audit benchmark: {n} resources",
        "Resources": {k: res[k] for k in names},
        "Outputs": {"FirstBucket": {"Value": {"Ref": "Bucket0"}}},
    }


# -- helpers ---------------------------------------------------------------------------


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**os.environ, **CHECKOV_ENV})
        return (out.stdout or out.stderr).strip().splitlines()[-1]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "n/a"


def _fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="sizes 100/500 only, no sample app (a smoke run)")
    ap.add_argument("--big-repeat", type=int, default=1, help=f"runs of each template above {BIG} resources")
    ap.add_argument("--run-repeat", type=int, default=5, help="rounds of the `run` against `cdk synth` rows")
    ap.add_argument("--cfn-lint-max", type=int, default=5000, help="biggest template plain cfn-lint is timed on")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--output", type=Path, default=BENCH / "results.md")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    ap.add_argument("--apps", default="", help="comma-separated sample apps for the run rows (default: every one)")
    args = ap.parse_args()
    sections = {x.strip() for x in args.sections.split(",") if x.strip()}
    if args.quick:
        sections.discard("run")
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2

    # Bytecode caching on, as an installed package has it (pip compiles at install time): a
    # PYTHONDONTWRITEBYTECODE inherited from a dev shell would add recompiling our ~70 modules to every run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    WORK.mkdir(parents=True, exist_ok=True)
    full_cfg, pack_cfg = WORK / "full.toml", WORK / "pack.toml"
    full_cfg.write_text("[tool.cdk-audit]\n", encoding="utf-8")
    pack_cfg.write_text("[tool.cdk-audit]\ncfn-lint-rules = false\n", encoding="utf-8")
    # Measure this checkout's code whatever the venv's editable install points at.
    env = {"PYTHONPATH": str(ROOT), "CDK_DISABLE_CLI_TELEMETRY": "true"}
    audit = [str(VENV_BIN / "cdk-audit")]
    cfn_lint = [str(VENV_BIN / "cfn-lint"), "--format", "parseable"]
    templates = sorted(str(p) for p in args.corpus.rglob("*.template.json"))
    have_checkov = CHECKOV.is_file()

    def ours(target: str, cfg: Path, out: str, *cache: str) -> list[str]:
        return [*audit, "scan", target, "--config", str(cfg), "--format", "json", "-o", str(WORK / out),
                "--fail-on", "never", "-q", *(cache or ("--no-cache",))]  # fmt: skip

    results = Results(args, len(templates))
    if "corpus" in sections:
        print(f"corpus: {len(templates)} templates in {args.corpus}", file=sys.stderr)
        results.corpus = [
            Case("cdk-audit scan (all checks + cfn-lint built-ins)", ours(str(args.corpus), full_cfg, "full.json"),
                 env),
            Case("cdk-audit scan (our pack only)", ours(str(args.corpus), pack_cfg, "pack.json"), env),
            Case("cfn-lint (one process, all files)", [*cfn_lint, *templates], env),
        ]
        if have_checkov:
            checkov = [str(CHECKOV), "-d", str(args.corpus), "--skip-download", "--quiet", "--compact", "-o", "json"]
            results.corpus.append(Case("checkov -d", checkov, CHECKOV_ENV))
        run_cases(results.corpus, args.repeat, WORK)

    if "sizes" in sections:
        for n in SIZES[:2] if args.quick else SIZES:
            path = WORK / f"synthetic-{n}.template.json"
            path.write_text(json.dumps(synthetic_template(n), indent=1), encoding="utf-8")
            cases = [
                Case(f"{n} pack", ours(str(path), pack_cfg, f"pack-{n}.json"), env),
                Case(f"{n} full", ours(str(path), full_cfg, f"full-{n}.json"), env),
            ]
            if n <= args.cfn_lint_max:
                cases.append(Case(f"{n} cfn-lint", [*cfn_lint, str(path)], env))
            print(f"synthetic template: {n} resources", file=sys.stderr)
            run_cases(cases, args.repeat if n <= BIG else args.big_repeat, WORK)
            results.sizes.append((n, cases[0], cases[1], cases[2] if len(cases) > 2 else None))

    if "cache" in sections:
        copy = Path(tempfile.mkdtemp(prefix="cdk-audit-bench-corpus-"))  # outside the repository
        try:
            results.cache, results.changed = cache_cases(args.corpus, copy / "corpus", full_cfg, ours, env, args.repeat)
        finally:
            shutil.rmtree(copy, ignore_errors=True)

    if "run" in sections:
        apps = {a.strip() for a in args.apps.split(",") if a.strip()}
        results.run, results.run_notes = run_vs_synth(audit, env, args.run_repeat, apps)

    write_results(results)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


@dataclass
class Results:
    args: argparse.Namespace
    n_templates: int
    corpus: list[Case] = field(default_factory=list)
    sizes: list[tuple[int, Case, Case, Case | None]] = field(default_factory=list)
    #: cold, warm, one changed (the result cache)
    cache: list[Case] = field(default_factory=list)
    changed: str = ""
    #: per sample app: plain synth, run warm, run without cache, run without cache and overlap
    run: dict[str, list[Case]] = field(default_factory=dict)
    run_notes: list[str] = field(default_factory=list)


def cache_cases(
    corpus: Path,
    copy: Path,
    cfg: Path,
    ours: Callable[..., list[str]],
    env: dict[str, str],
    repeat: int,
) -> tuple[list[Case], str]:
    """Cold (empty cache), warm (unchanged corpus) and one-changed scans of a copy of the corpus."""
    shutil.copytree(corpus, copy)
    cold_dir, warm_dir = WORK / "cache-cold", WORK / "cache-warm"
    shutil.rmtree(warm_dir, ignore_errors=True)
    by_size = sorted(copy.rglob("*.template.json"), key=lambda p: (p.stat().st_size, str(p)))
    target = by_size[len(by_size) // 2]  # a template of median size
    original = json.loads(target.read_text(encoding="utf-8"))
    edits = iter(range(1, 10_000))

    def change_one() -> None:
        doc = dict(original)
        doc["Description"] = f"{original.get('Description', '')} (bench edit {next(edits)})".strip()
        target.write_text(json.dumps(doc, indent=1), encoding="utf-8")  # CDK's own layout

    print(f"result cache: priming {warm_dir}", file=sys.stderr)
    prime = measure(ours(str(copy), cfg, "cache-prime.json", "--cache-dir", str(warm_dir)), env, WORK)
    print(f"  primed in {prime.seconds:.2f}s", file=sys.stderr)
    cases = [
        Case("cold: empty cache", ours(str(copy), cfg, "cache-cold.json", "--cache-dir", str(cold_dir)), env,
             prepare=lambda: shutil.rmtree(cold_dir, ignore_errors=True)),
        Case("warm: unchanged corpus", ours(str(copy), cfg, "cache-warm.json", "--cache-dir", str(warm_dir)), env),
        Case("one template changed", ours(str(copy), cfg, "cache-one.json", "--cache-dir", str(warm_dir)), env,
             prepare=change_one),
    ]
    run_cases(cases, repeat, WORK)
    cold, warm = (json.loads((WORK / n).read_text())["findings"] for n in ("cache-cold.json", "cache-warm.json"))
    if cold != warm:
        print("  ! cold and warm findings differ", file=sys.stderr)
    return cases, f"{target.relative_to(copy)} ({target.stat().st_size // 1024} KB, its Description edited)"


def _synthesizes(app: Path) -> tuple[bool, str]:
    """Whether ``app`` is one the run rows can time (and, if not, why)."""
    if not (app / "cdk.json").is_file():
        return False, "no cdk.json"
    if (app / "package.json").is_file() and not (app / "node_modules").is_dir():
        return False, "a TypeScript app whose node_modules are not installed (npm ci in it to include it)"
    return True, ""


def _run_case(audit: list[str], app: Path, env: dict[str, str], name: str, *extra: str) -> Case:
    report = WORK / f"run-{app.name}-{name.replace(' ', '').replace(',', '-')}.json"
    argv = [*audit, "run", str(app), "--context", "variant=bad", "--format", "json", "-o", str(report),
            "--fail-on", "never", "-q", *extra]  # fmt: skip
    return Case(name, argv, env, cwd=ROOT, report=report)


def run_vs_synth(
    audit: list[str], env: dict[str, str], repeat: int, only: set[str]
) -> tuple[dict[str, list[Case]], list[str]]:
    rows: dict[str, list[Case]] = {}
    notes: list[str] = []
    for app in sorted(p for p in SAMPLE_APPS.iterdir() if p.is_dir() and (not only or p.name in only)):
        ok, why = _synthesizes(app)
        if not ok:
            notes.append(f"`{app.name}`: {why}")
            continue
        python_app = not (app / "package.json").is_file()
        traces = {"NODE_OPTIONS": "--stack-trace-limit=100", **({"JSII_HOST_STACK_TRACES": "1"} if python_app else {})}
        app_env = {**env, **traces, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        out = WORK / f"synth-{app.name}"
        synth = [str(CDK), "synth", "--no-notices", "--quiet", "--output", str(out), "--context", "variant=bad"]
        shutil.rmtree(out, ignore_errors=True)
        first = measure(synth, app_env, app)  # untimed: does it synthesize at all?
        if not (out / "manifest.json").is_file():
            notes.append(f"`{app.name}`: does not synthesize (cdk synth exited {first.code})")
            continue
        cache_dir = WORK / f"run-cache-{app.name}"
        shutil.rmtree(cache_dir, ignore_errors=True)

        cases = [
            Case("cdk synth", synth, app_env, cwd=app, prepare=lambda out=out: shutil.rmtree(out, ignore_errors=True)),
            _run_case(audit, app, app_env, "run, warm cache", "--cache-dir", str(cache_dir)),
            _run_case(audit, app, app_env, "run, no cache", "--no-cache"),
            _run_case(audit, app, {**app_env, "CDK_AUDIT_OVERLAP": "0"}, "run, no cache, no overlap", "--no-cache"),
            # what the traces cost synth: the same synth without them
            Case("cdk synth, no traces", synth, {**env, "PATH": app_env["PATH"]}, cwd=app,
                 prepare=lambda out=out: shutil.rmtree(out, ignore_errors=True)),
        ]
        print(f"run vs synth: {app.name} (priming the cache)", file=sys.stderr)
        measure(cases[1].argv, cases[1].env, ROOT)
        run_cases(cases, repeat, ROOT)
        rows[app.name] = cases
    return rows, notes


def write_results(r: Results) -> None:
    args = r.args
    checkov = r.corpus[3] if len(r.corpus) > 3 else None
    cores = os.cpu_count()
    versions = {
        "cdk-audit": _version(
            [str(VENV_BIN / "python"), "-c", "import importlib.metadata as m; print(m.version('cdk-audit'))"]
        ),
        "cfn-lint": _version([str(VENV_BIN / "cfn-lint"), "--version"]),
        "checkov": _version([str(CHECKOV), "--version"]) if checkov else "not installed",
        "python": platform.python_version(),
    }
    lines = [
        "# cdk-audit benchmark",
        "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {platform.machine()}, {cores} cores, {platform.system()} {platform.release()}; "
        f"load average at the end {os.getloadavg()[0]:.1f}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- each command run {args.repeat}x, interleaved; medians; wall-clock seconds of the whole process "
        "(start-up included). Ratios are within this run: compare them, not absolute seconds. CPU s: user + "
        "system of the process and its children (less sensitive to a busy machine than wall time).",
        "- peak memory: largest single process (max RSS) / summed RSS of the process tree (sampled, "
        "so a worker pool counts together).",
        "",
    ]
    lines += _corpus_section(r, checkov)
    lines += _sizes_section(r)
    lines += _cache_section(r)
    lines += _run_section(r)
    args.output.write_text("\n".join(lines), encoding="utf-8")


def _goal(ratio: float, goal: float) -> str:
    # three decimals where two would print the goal itself beside "NOT met" (0.101 > 0.10)
    shown = f"{ratio:.3f}" if ratio > goal and round(ratio, 2) <= goal else f"{ratio:.2f}"
    return f"{shown}x (goal ≤ {goal:.2f}x: {'met' if ratio <= goal else 'NOT met'})"


def _mib(case: Case) -> str:
    one, tree = case.peak_kb()
    return f"{one / 1024:.0f} / {tree / 1024:.0f}"


def _corpus_section(r: Results, checkov: Case | None) -> list[str]:
    lines = [f"## Corpus: {r.args.corpus.name} ({r.n_templates} templates)", ""]
    if not r.corpus:
        return [*lines, "Not measured in this run.", ""]
    cfn = r.corpus[2]
    lines += [
        "| command | median s | min s | max s | CPU s | peak MiB (process / tree) | vs cfn-lint | vs checkov |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in r.corpus:
        secs = [s.seconds for s in c.samples]
        lines.append(
            f"| {c.name} | {c.median():.2f} | {min(secs):.2f} | {max(secs):.2f} | {c.cpu():.2f} | {_mib(c)} | "
            f"{_fmt_ratio(c.median(), cfn.median())} | "
            f"{_fmt_ratio(c.median(), checkov.median()) if checkov else 'n/a'} |"
        )
    full, pack = r.corpus[0].median() / cfn.median(), r.corpus[1].median() / cfn.median()
    lines += [
        "",
        f"Full audit against plain cfn-lint: {_goal(full, GOALS['full'])}; "
        f"our pack only: {_goal(pack, GOALS['pack'])}.",
        "",
        "Commands: `cdk-audit scan DIR --config {full,pack}.toml --format json -o F --fail-on never -q --no-cache`; "
        "`cfn-lint --format parseable FILE...` (every `*.template.json`); "
        "`checkov -d DIR --skip-download --quiet --compact -o json` with `BC_SKIP_MAPPING=TRUE`, "
        "`CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false`, no API key.",
        "",
    ]
    return lines


def _sizes_section(r: Results) -> list[str]:
    lines = ["## Time against template size (synthetic templates)", ""]
    if not r.sizes:
        return [*lines, "Not measured in this run.", ""]
    lines += [
        f"Templates up to {BIG:,} resources run {r.args.repeat}x, bigger ones {r.args.big_repeat}x; plain cfn-lint "
        f"only up to {r.args.cfn_lint_max:,} resources (it takes too long beyond).",
        "",
        "| resources | pack s | full s | cfn-lint s | full / cfn-lint | pack s per 100 res. "
        "| full s per 100 res. | pack peak MiB | full peak MiB | cfn-lint peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, p, f, c in r.sizes:
        lines.append(
            f"| {n} | {p.median():.2f} | {f.median():.2f} | {f'{c.median():.2f}' if c else 'not run'} | "
            f"{_fmt_ratio(f.median(), c.median()) if c else 'n/a'} | "
            f"{100 * p.median() / n:.3f} | {100 * f.median() / n:.3f} | {p.peak_kb()[1] / 1024:.0f} | "
            f"{f.peak_kb()[1] / 1024:.0f} | {f'{c.peak_kb()[1] / 1024:.0f}' if c else 'n/a'} |"
        )
    by_n = {n: (p, f, c) for n, p, f, c in r.sizes}
    for lo, hi in ((500, 2000), (2000, 20000)):
        if lo not in by_n or hi not in by_n:
            continue
        (pl, fl, cl), (ph, fh, ch) = by_n[lo], by_n[hi]
        growth = f"pack {ph.median() / pl.median():.2f}x, full {fh.median() / fl.median():.2f}x"
        if cl and ch:
            growth += f", cfn-lint {ch.median() / cl.median():.2f}x"
        cpu = f"pack {ph.cpu() / pl.cpu():.2f}x, full {fh.cpu() / fl.cpu():.2f}x"
        goal = ""
        if (lo, hi) == (2000, 20000):  # issue 10: a 20,000-resource template in at most 10x the time of 2,000
            goal = f" Full audit, wall time: {_goal(fh.median() / fl.median(), 10.0)}."
        lines += [
            "",
            f"Growth {lo:,} -> {hi:,} resources ({hi // lo}x the template; linear is {hi / lo:.1f}x, start-up "
            f"included): {growth}; CPU time {cpu}; peak memory pack {ph.peak_kb()[1] / pl.peak_kb()[1]:.2f}x, "
            f"full {fh.peak_kb()[1] / fl.peak_kb()[1]:.2f}x.{goal}",
        ]
    return [*lines, ""]


def _cache_section(r: Results) -> list[str]:
    lines = [f"## Result cache: re-scanning the corpus ({r.args.corpus.name}, a copy)", ""]
    if not r.cache:
        return [*lines, "Not measured in this run.", ""]
    cold = r.cache[0]
    lines += [
        "All checks and cfn-lint's built-ins (`--config full.toml`), `--cache-dir` given; cold: the cache emptied "
        f"before each run; warm: the unchanged corpus; one changed: {r.changed}, a new edit before each run.",
        "",
        "| scan | median s | min s | max s | CPU s | peak MiB (process / tree) | vs cold | CPU vs cold | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    goals = {"warm: unchanged corpus": GOALS["warm"], "one template changed": GOALS["one"]}
    for c in r.cache:
        secs = [s.seconds for s in c.samples]
        goal = _goal(c.median() / cold.median(), goals[c.name]) if c.name in goals else ""
        lines.append(
            f"| {c.name} | {c.median():.2f} | {min(secs):.2f} | {max(secs):.2f} | {c.cpu():.2f} | {_mib(c)} | "
            f"{_fmt_ratio(c.median(), cold.median())} | {_fmt_ratio(c.cpu(), cold.cpu())} | {goal} |"
        )
    return [*lines, ""]


def _run_section(r: Results) -> list[str]:
    lines = ["## `cdk-audit run` against plain `cdk synth` (source traces on)", ""]
    if not r.run:
        return [*lines, "Not measured in this run.", *(f"- {n}" for n in r.run_notes), ""]
    lines += [
        "`cdk-audit run APP --context variant=bad --format json -o F --fail-on never -q` against "
        "`cdk synth --no-notices --quiet --output DIR --context variant=bad` in APP, both with "
        "`NODE_OPTIONS=--stack-trace-limit=100` and, for Python apps, `JSII_HOST_STACK_TRACES=1`. "
        "audit s: the report's `audit_seconds` (after synth; the overlap's work is not in it). "
        f"{r.args.run_repeat} rounds, each running every command of the row once, in turn; a ratio is the median "
        "of the rounds' ratios (paired within a round, so that a machine whose speed drifts between rounds "
        "moves both sides of each ratio together).",
        "",
        "| app | synth s | run, warm cache s | run, no cache s | run, no cache, no overlap s "
        "| warm / synth | no cache / synth | no overlap / synth | CPU s (synth / warm / no cache / no overlap) "
        "| audit s (warm / no cache / no overlap) | peak MiB tree (synth / run) | synth without traces s "
        "| traces: synth / synth without |",
        "|---|---:|---:|---:|---:|---|---|---:|---|---|---:|---:|---|",
    ]
    for app, (synth, warm, cold, serial, plain) in r.run.items():
        base = synth.median()
        audits = " / ".join(_median_audit(c) for c in (warm, cold, serial))
        cpus = " / ".join(f"{c.cpu():.1f}" for c in (synth, warm, cold, serial))
        lines.append(
            f"| {app} | {base:.2f} | {warm.median():.2f} | {cold.median():.2f} | {serial.median():.2f} | "
            f"{_goal(_paired(warm, synth), GOALS['run'])} | {_goal(_paired(cold, synth), GOALS['run'])} | "
            f"{_paired(serial, synth):.2f}x | {cpus} | {audits} | "
            f"{synth.peak_kb()[1] / 1024:.0f} / {warm.peak_kb()[1] / 1024:.0f} | {plain.median():.2f} | "
            f"{_goal(_paired(synth, plain), GOALS['traces'])} |"
        )
    lines += [
        "",
        "Traces: `cdk synth` with the trace environment above against the same synth without it (goal: at most "
        f"{GOALS['traces']:.2f}x); `--no-source` synthesizes without them.",
        *(f"- not timed: {n}" for n in r.run_notes),
        "",
    ]
    return lines


def _paired(a: Case, b: Case) -> float:
    """The median over rounds of ``a``'s time over ``b``'s in the same round."""
    return statistics.median(x.seconds / y.seconds for x, y in zip(a.samples, b.samples, strict=True))


def _median_audit(case: Case) -> str:
    values = [float(d["audit_seconds"]) for d in case.reports if (d.get("synth") or {}).get("ok")]
    return f"{statistics.median(values):.2f}" if values else "n/a"


if __name__ == "__main__":
    if shutil.which("cdk-audit", path=str(VENV_BIN)) is None:
        sys.exit("run `make setup` first (no .venv/bin/cdk-audit)")
    sys.exit(main())
