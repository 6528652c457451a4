"""Benchmark: cdk-audit against plain cfn-lint and checkov, on one machine, in one run.

Times (each command repeated, medians reported, runs interleaved so background noise
hits every tool alike):

1. the corpus (synthesized CDK templates): ``cdk-audit scan`` with all checks,
   ``cdk-audit scan`` with our pack only, plain ``cfn-lint`` (one process, all files)
   and ``checkov -d`` (network look-ups off);
2. synthetic templates of 100 .. 20,000 resources: ours (pack, full) and cfn-lint (up to
   ``--cfn-lint-max`` resources: plain cfn-lint on the biggest ones takes too long);
3. ``cdk-audit run`` on a sample app: synth seconds vs audit seconds (from the report).

Peak memory is measured two ways: the largest single process (``wait4`` max RSS of
the command and its descendants) and the peak of the summed RSS of the whole process
tree (sampled from /proc), which counts a worker pool's processes together.

Writes ``bench/results.md``. Not a test: no time limits here.
Usage: ``python bench/run.py [--repeat 3] [--big-repeat 1] [--cfn-lint-max 5000] [--quick]``.
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
import threading
import time
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
SAMPLE_APP = ROOT / "sample_apps" / "card_gateway"

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


@dataclass
class Case:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

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
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1, 2, 4, 6, 8, 10, 12, 14):  # cfn-lint exits with a bit mask
        print(f"  ! {argv[0]} exited {proc.returncode}: {err[-500:]}", file=sys.stderr)
    return Sample(seconds, int(usage.ru_maxrss), max(peak, int(usage.ru_maxrss)), proc.returncode)


def run_cases(cases: list[Case], repeat: int, cwd: Path) -> None:
    for r in range(repeat):
        for case in cases:
            s = measure(case.argv, case.env, cwd)
            case.samples.append(s)
            mib = s.tree_rss_kb / 1024
            print(f"  [{r + 1}/{repeat}] {case.name}: {s.seconds:.2f}s, {mib:.0f} MiB", file=sys.stderr)


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
    ap.add_argument("--cfn-lint-max", type=int, default=5000, help="biggest template plain cfn-lint is timed on")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--output", type=Path, default=BENCH / "results.md")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2

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

    def ours(target: str, cfg: Path, out: str) -> list[str]:
        return [*audit, "scan", target, "--config", str(cfg), "--format", "json", "-o", str(WORK / out),
                "--fail-on", "never", "-q"]  # fmt: skip

    print(f"corpus: {len(templates)} templates in {args.corpus}", file=sys.stderr)
    corpus_cases = [
        Case("cdk-audit scan (all checks + cfn-lint built-ins)", ours(str(args.corpus), full_cfg, "full.json"), env),
        Case("cdk-audit scan (our pack only)", ours(str(args.corpus), pack_cfg, "pack.json"), env),
        Case("cfn-lint (one process, all files)", [*cfn_lint, *templates], env),
    ]
    if have_checkov:
        checkov = [str(CHECKOV), "-d", str(args.corpus), "--skip-download", "--quiet", "--compact", "-o", "json"]
        corpus_cases.append(Case("checkov -d", checkov, CHECKOV_ENV))
    run_cases(corpus_cases, args.repeat, WORK)

    sizes = SIZES[:2] if args.quick else SIZES
    size_rows: list[tuple[int, Case, Case, Case | None]] = []
    for n in sizes:
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
        size_rows.append((n, cases[0], cases[1], cases[2] if len(cases) > 2 else None))

    run_rows: list[tuple[float, float]] = []
    run_note = ""
    if not args.quick and (SAMPLE_APP / "cdk.json").is_file():
        report = WORK / "run.json"
        for r in range(args.repeat):
            argv = [*audit, "run", str(SAMPLE_APP), "--context", "variant=bad", "--format", "json", "-o", str(report),
                    "--fail-on", "never", "-q"]  # fmt: skip
            s = measure(argv, env, ROOT)
            try:
                doc = json.loads(report.read_text(encoding="utf-8"))
                synth = doc.get("synth") or {}
                if synth.get("ok"):
                    run_rows.append((float(synth["seconds"]), float(doc["audit_seconds"])))
                else:
                    run_note = f"synth failed: {str(synth.get('error'))[-200:]}"
            except (OSError, ValueError, KeyError, TypeError) as e:
                run_note = f"no report ({e}); exit {s.code}"
            print(f"  [{r + 1}/{args.repeat}] cdk-audit run: {run_rows[-1] if run_rows else run_note}", file=sys.stderr)
    elif not args.quick:
        run_note = f"{SAMPLE_APP.relative_to(ROOT)} has no cdk.json yet"

    write_results(args, corpus_cases, size_rows, run_rows, run_note, len(templates))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def write_results(
    args: argparse.Namespace,
    corpus: list[Case],
    sizes: list[tuple[int, Case, Case, Case | None]],
    run_rows: list[tuple[float, float]],
    run_note: str,
    n_templates: int,
) -> None:
    cfn = corpus[2]
    checkov = corpus[3] if len(corpus) > 3 else None
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
        "(start-up included). Ratios are within this run: compare them, not absolute seconds.",
        "- peak memory: largest single process (max RSS) / summed RSS of the process tree (sampled, "
        "so a worker pool counts together).",
        "",
        f"## Corpus: {args.corpus.name} ({n_templates} templates)",
        "",
        "| command | median s | min s | max s | peak MiB (process / tree) | vs cfn-lint | vs checkov |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in corpus:
        secs = [s.seconds for s in c.samples]
        one, tree = c.peak_kb()
        lines.append(
            f"| {c.name} | {c.median():.2f} | {min(secs):.2f} | {max(secs):.2f} | "
            f"{one / 1024:.0f} / {tree / 1024:.0f} | "
            f"{_fmt_ratio(c.median(), cfn.median())} | "
            f"{_fmt_ratio(c.median(), checkov.median()) if checkov else 'n/a'} |"
        )
    lines += [
        "",
        "Commands: `cdk-audit scan DIR --config {full,pack}.toml --format json -o F --fail-on never -q`; "
        "`cfn-lint --format parseable FILE...` (every `*.template.json`); "
        "`checkov -d DIR --skip-download --quiet --compact -o json` with `BC_SKIP_MAPPING=TRUE`, "
        "`CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false`, no API key.",
        "",
        "## Time against template size (synthetic templates)",
        "",
        f"Templates up to {BIG:,} resources run {args.repeat}x, bigger ones {args.big_repeat}x; plain cfn-lint "
        f"only up to {args.cfn_lint_max:,} resources (it takes too long beyond).",
        "",
        "| resources | pack s | full s | cfn-lint s | full / cfn-lint | pack s per 100 res. "
        "| full s per 100 res. | pack peak MiB | full peak MiB | cfn-lint peak MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, p, f, c in sizes:
        lines.append(
            f"| {n} | {p.median():.2f} | {f.median():.2f} | {f'{c.median():.2f}' if c else 'not run'} | "
            f"{_fmt_ratio(f.median(), c.median()) if c else 'n/a'} | "
            f"{100 * p.median() / n:.3f} | {100 * f.median() / n:.3f} | {p.peak_kb()[1] / 1024:.0f} | "
            f"{f.peak_kb()[1] / 1024:.0f} | {f'{c.peak_kb()[1] / 1024:.0f}' if c else 'n/a'} |"
        )
    by_n = {n: (p, f, c) for n, p, f, c in sizes}
    for lo, hi in ((500, 2000), (2000, 20000)):
        if lo not in by_n or hi not in by_n:
            continue
        (pl, fl, cl), (ph, fh, ch) = by_n[lo], by_n[hi]
        growth = f"pack {ph.median() / pl.median():.2f}x, full {fh.median() / fl.median():.2f}x"
        if cl and ch:
            growth += f", cfn-lint {ch.median() / cl.median():.2f}x"
        lines += [
            "",
            f"Growth {lo:,} -> {hi:,} resources ({hi // lo}x the template; linear is {hi / lo:.1f}x, start-up "
            f"included): {growth}; peak memory pack {ph.peak_kb()[1] / pl.peak_kb()[1]:.2f}x, "
            f"full {fh.peak_kb()[1] / fl.peak_kb()[1]:.2f}x.",
        ]
    lines += ["", "## `cdk-audit run` (synth, then audit)", ""]
    if run_rows:
        synth_s = statistics.median(r[0] for r in run_rows)
        audit_s = statistics.median(r[1] for r in run_rows)
        lines += [
            f"`cdk-audit run {SAMPLE_APP.relative_to(ROOT)} --context variant=bad`, {len(run_rows)} runs, medians "
            "from the JSON report:",
            "",
            "| synth s | audit s | audit / synth |",
            "|---:|---:|---:|",
            f"| {synth_s:.2f} | {audit_s:.2f} | {100 * audit_s / synth_s:.0f}% |",
        ]
    else:
        lines.append(f"Not measured: {run_note or 'skipped (--quick)'}.")
    lines.append("")
    args.output.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    if shutil.which("cdk-audit", path=str(VENV_BIN)) is None:
        sys.exit("run `make setup` first (no .venv/bin/cdk-audit)")
    sys.exit(main())
