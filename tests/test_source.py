"""auditor.source on creation stacks captured from real synths of the sample apps.

The fixtures in tests/fixtures/traces/ are trimmed ``<Stack>.metadata.json`` files written
by aws-cdk-lib 2.275 (see the README there); ``{ROOT}`` stands for the repository root of
the machine that synthesized them. Tests substitute a root whose path holds a space and
parentheses, so every real frame is also a frame with an awkward path.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from auditor.source import (
    Frame,
    app_language,
    creation_stack,
    default_source_root,
    locate,
    parse_frame,
    user_frames,
)
from tests.conftest import FIXTURES, ROOT, audited

TRACES = FIXTURES / "traces"
FIXTURE_FILES = sorted(TRACES.glob("*.metadata.json"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Where ``{ROOT}`` points in these tests: an awkward path with a space and parentheses."""
    return tmp_path / "work (copy) 2"


def metadata(name: str, repo: Path) -> dict[str, Any]:
    text = (TRACES / f"{name}.metadata.json").read_text(encoding="utf-8")
    return json.loads(text.replace("{ROOT}", str(repo)))


def trace(name: str, path: str, repo: Path) -> Any:
    return creation_stack(metadata(name, repo)[path])


def where(name: str, path: str, repo: Path, root: Path | None = None) -> tuple[str, int, int | None] | None:
    loc = locate(trace(name, path, repo), root or repo)
    return None if loc is None else (loc.file, loc.line, loc.column)


def source_line(rel: str, line: int) -> str:
    return (ROOT / rel).read_text(encoding="utf-8").splitlines()[line - 1]


# --- parse_frame -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # as CDK renders user frames
        ("new DataStack (/r/lib/data-stack.ts:28:26)", Frame("/r/lib/data-stack.ts", 28, 26, "new DataStack")),
        (
            "DataStack.ledgerCluster (/r/lib/data-stack.ts:55:12)",
            Frame("/r/lib/data-stack.ts", 55, 12, "DataStack.ledgerCluster"),
        ),
        ("<anonymous> (/r/bin/payments.ts:18:1)", Frame("/r/bin/payments.ts", 18, 1, "<anonymous>")),
        # as Node prints them (an "at " line of error.stack)
        ("    at Object.<anonymous> (/r/bin/x.ts:13:14)", Frame("/r/bin/x.ts", 13, 14, "<anonymous>")),
        ("at new Foo (/r/lib/foo.ts:3:4)", Frame("/r/lib/foo.ts", 3, 4, "new Foo")),
        ("at /r/lib/x.ts:47:43", Frame("/r/lib/x.ts", 47, 43, None)),
        # the jsii host's (Python) frames: no column
        ("_function (/r/card_gateway/functions.py:97)", Frame("/r/card_gateway/functions.py", 97, None, "_function")),
        ("<listcomp> (/r/network.py:47)", Frame("/r/network.py", 47, None, "<listcomp>")),
        # paths with spaces and parentheses
        ("new Foo (/r/my (copy) dir/x.ts:3:4)", Frame("/r/my (copy) dir/x.ts", 3, 4, "new Foo")),
        # anonymous functions mangled by CDK's StackFrame.parse (`at /r/lib/x.ts:47:43` etc.):
        # the line survives, the column does not
        ("/r/lib/x.ts:47: (/r/lib/x.ts:47:4)", Frame("/r/lib/x.ts", 47, None, None)),
        ("/r/lib/x.ts:47 (:)", Frame("/r/lib/x.ts", 47, None, None)),
        ("/r/lib/x.ts:47:1 (/r/lib/x.ts:47:12)", Frame("/r/lib/x.ts", 47, None, None)),
        ("/r/my (copy)/x.ts:47: (/r/my (copy)/x.ts:47:4)", Frame("/r/my (copy)/x.ts", 47, None, None)),
        # Windows paths parse (and are never repository files: see user_frames)
        ("new Foo (C:\\app\\lib\\x.ts:3:4)", Frame("C:\\app\\lib\\x.ts", 3, 4, "new Foo")),
    ],
)
def test_parse_frame(entry: str, expected: Frame) -> None:
    assert parse_frame(entry) == expected


@pytest.mark.parametrize(
    "entry",
    [
        "...new Bucket2 in aws-cdk-lib...",
        "...node internals, ts-node, ts-node...",
        "...aws-cdk-lib, jsii runtime, node internals...",
        ".../r/node_modules/aws-cdk-lib/aws-ec2/lib/vpc.js:1:287 in aws-cdk-lib...",
        "(no user code in 10 frames, use --stack-trace-limit to capture more)",
        "Array.forEach (:)",
        "stack traces disabled",
        "new Foo (/r/x.ts:notanumber)",
        "",
        "   ",
        "(:)",
    ],
)
def test_parse_frame_rejects_markers_and_noise(entry: str) -> None:
    assert parse_frame(entry) is None


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.name)
def test_every_captured_entry_is_a_frame_or_a_marker(fixture: Path, repo: Path) -> None:
    for entries in metadata(fixture.name.removesuffix(".metadata.json"), repo).values():
        for entry in creation_stack(entries) or []:
            frame = parse_frame(entry)
            if entry.startswith(("...", "(no user code")) or entry == "Array.forEach (:)":
                assert frame is None, entry
            else:
                assert frame is not None and frame.line > 0 and frame.file.startswith("/"), entry


# --- TypeScript (ts-node): .ts lines and columns directly --------------------------------


def test_typescript_l2_resource_is_located_at_the_new_expression(repo: Path) -> None:
    loc = locate(trace("ts-payments-data", "/PaymentsData/LedgerCluster/Resource", repo), repo)
    assert loc is not None
    assert (loc.file, loc.line, loc.column) == ("sample_apps/payments_ts/lib/data-stack.ts", 62, 12)
    assert [(f.file.rsplit("/", 1)[-1], f.line, f.function) for f in loc.frames] == [
        ("data-stack.ts", 62, "DataStack.ledgerCluster"),
        ("data-stack.ts", 29, "new DataStack"),
        ("payments.ts", 17, "<anonymous>"),
    ]
    assert "new rds.DatabaseCluster(" in source_line(loc.file, loc.line)[loc.column - 1 :]


@pytest.mark.parametrize(
    ("name", "path", "expected", "code"),
    [
        ("ts-payments-data", "/PaymentsData/SettlementQueue/Resource", ("data-stack.ts", 37, 28), "new sqs.Queue("),
        ("ts-payments-data", "/PaymentsData/LedgerArchive/Resource", ("data-stack.ts", 81, 12), "new s3.Bucket("),
        # CDK's own children of an L2 carry the user's call site of that L2
        ("ts-payments-data", "/PaymentsData/LedgerCluster/Secret/Resource", ("data-stack.ts", 62, 12), "new rds."),
        ("ts-payments-api", "/PaymentsApi/Truststore/Bucket/Resource", ("partner-domain.ts", 23, 19), "new s3.Bucket("),
        ("ts-payments-api", "/PaymentsApi/PartnerApi/Resource", ("api-stack.ts", 28, 17), "new apigw.RestApi("),
        (
            "ts-payments-api",
            "/PaymentsApi/Functions/Authorize/Resource",
            ("functions.ts", 38, 22),
            "new lambda.Function(",
        ),
        # Custom::LogRetention and the LogRetention singleton: the function that asked for them
        (
            "ts-payments-api",
            "/PaymentsApi/Functions/Settle/LogRetention/Resource",
            ("functions.ts", 39, 20),
            "new lambda.Function(",
        ),
        (
            "ts-payments-api",
            "/PaymentsApi/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/Resource",
            ("functions.ts", 39, 20),
            "new lambda.Function(",
        ),
        # BucketDeployment's singleton handler and its custom resource
        (
            "ts-payments-api",
            "/PaymentsApi/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C/Resource",
            ("partner-domain.ts", 41, 5),
            "new s3deploy.BucketDeployment(",
        ),
        # resources CDK adds at app.synth(): the synth call
        ("ts-payments-api", "/PaymentsApi/CDKMetadata/Default", ("payments.ts", 32, 5), "synth()"),
        # a marker holding a library path, then "Array.forEach (:)", then the Vpc's caller
        (
            "ts-payments-network",
            "/PaymentsNetwork/Vpc/PublicSubnet1/DefaultRoute",
            ("network-stack.ts", 17, 16),
            "new ec2.Vpc(",
        ),
    ],
)
def test_typescript_resources_resolve_to_the_user_call_site(
    repo: Path, name: str, path: str, expected: tuple[str, int, int], code: str
) -> None:
    loc = locate(trace(name, path, repo), repo)
    assert loc is not None
    assert (loc.file.rsplit("/", 1)[-1], loc.line, loc.column) == expected
    assert loc.file.startswith("sample_apps/payments_ts/")
    assert code in source_line(loc.file, loc.line)[loc.column - 1 :]


def test_mangled_anonymous_frame_keeps_its_line_and_drops_its_column(repo: Path) -> None:
    path = "/PaymentsApi/Functions/Settle/SqsEventSource:PaymentsDataSettlementQueueEDF57D7E/Resource"
    loc = locate(trace("ts-payments-api", path, repo), repo)
    assert loc is not None
    assert (loc.file, loc.line, loc.column) == ("sample_apps/payments_ts/lib/functions.ts", 45, None)
    assert "addEventSource" in source_line(loc.file, loc.line)
    # "Array.forEach (:)" between them is no frame; the caller is the forEach line itself
    assert [(f.line, f.column, f.function) for f in loc.frames[:2]] == [
        (45, None, None),
        (45, 15, "new PaymentFunctions"),
    ]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("ts-payments-api", "/PaymentsApi/BootstrapVersion"),
        # deep inside the library: the 10 frames Node keeps hold no user code
        ("ts-payments-api", "/PaymentsApi/Truststore/Bucket/AutoDeleteObjectsCustomResource/Default"),
        ("ts-payments-api", "/PaymentsApi/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler"),
        (
            "ts-payments-api",
            "/PaymentsApi/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/ServiceRole/DefaultPolicy/Resource",
        ),
        ("ts-payments-data", "/PaymentsData/LedgerCluster/Secret/Attachment/Policy/Resource"),
        # a library marker that holds an absolute path, "Array.forEach (:)", and the limit
        ("ts-payments-network", "/PaymentsNetwork/Vpc/PublicSubnet1/Subnet"),
    ],
)
def test_library_only_traces_have_no_location(repo: Path, name: str, path: str) -> None:
    entries = trace(name, path, repo)
    assert isinstance(entries, list) and entries
    assert locate(entries, repo) is None


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        # the same resources synthesized with NODE_OPTIONS=--stack-trace-limit=100
        ("ts-payments-api-limit100", "/PaymentsApi/BootstrapVersion", ("payments.ts", 32)),
        (
            "ts-payments-api-limit100",
            "/PaymentsApi/Truststore/Bucket/AutoDeleteObjectsCustomResource/Default",
            ("partner-domain.ts", 23),
        ),
        (
            "ts-payments-api-limit100",
            "/PaymentsApi/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler",
            ("partner-domain.ts", 23),
        ),
        (
            "ts-payments-api-limit100",
            "/PaymentsApi/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C/ServiceRole/Resource",
            ("partner-domain.ts", 41),
        ),
        (
            "ts-payments-api-limit100",
            "/PaymentsApi/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/ServiceRole/DefaultPolicy/Resource",
            ("functions.ts", 39),
        ),
        ("ts-payments-network-limit100", "/PaymentsNetwork/Vpc/PublicSubnet1/Subnet", ("network-stack.ts", 17)),
    ],
)
def test_a_higher_stack_trace_limit_reaches_the_user_code(
    repo: Path, name: str, path: str, expected: tuple[str, int]
) -> None:
    loc = where(name, path, repo)
    assert loc is not None
    assert (loc[0].rsplit("/", 1)[-1], loc[1]) == expected


def test_construct_without_a_trace(repo: Path) -> None:
    # custom resource providers are plain constructs: only their L1 children are traced
    md = metadata("ts-payments-api", repo)
    assert creation_stack(md["/PaymentsApi/Custom::S3AutoDeleteObjectsCustomResourceProvider"]) is None
    assert locate(creation_stack(md["/PaymentsApi/Custom::S3AutoDeleteObjectsCustomResourceProvider"]), repo) is None


def test_stacks_are_traced_too(repo: Path) -> None:
    assert where("ts-payments-api", "/PaymentsApi", repo) == ("sample_apps/payments_ts/bin/payments.ts", 18, 1)


# --- Python: only with JSII_HOST_STACK_TRACES=1 ------------------------------------------


def test_python_resource_is_located_at_the_python_call_site(repo: Path) -> None:
    loc = locate(trace("py-card-gateway-host", "/CardGateway/Functions/Authorize/Resource", repo), repo)
    assert loc is not None
    assert (loc.file, loc.line, loc.column) == ("sample_apps/card_gateway/card_gateway/functions.py", 109, None)
    assert [(f.file.rsplit("/", 1)[-1], f.line, f.function) for f in loc.frames] == [
        ("functions.py", 109, "_function"),
        ("functions.py", 69, "__init__"),
        ("gateway_stack.py", 18, "__init__"),
        ("app.py", 13, "<module>"),
    ]
    assert "lambda_.Function(" in source_line(loc.file, loc.line)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/CardGateway/Functions/CaptureLogs/Resource", ("functions.py", 90)),
        # CDK-created: Custom::LogRetention and the LogRetention singleton function
        ("/CardGateway/Functions/Authorize/LogRetention/Resource", ("functions.py", 109)),
        ("/CardGateway/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/Resource", ("functions.py", 109)),
        ("/CardGateway/Api/RestApi/Resource", ("api.py", 30)),
        # created during app.synth(), and the stack's own parameter
        ("/CardGateway/CDKMetadata/Default", ("app.py", 25)),
        ("/CardGateway/BootstrapVersion", ("app.py", 25)),
    ],
)
def test_python_resources_with_host_traces(repo: Path, path: str, expected: tuple[str, int]) -> None:
    loc = where("py-card-gateway-host", path, repo)
    assert loc is not None
    assert (loc[0].rsplit("/", 1)[-1], loc[1]) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/PaymentsProd/LedgerPrimary/Archive/LedgerBucket/Resource", ("ledger_archive.py", 19)),
        # nested stacks: their resources sit in the parent's metadata file
        ("/PaymentsProd/LedgerPrimary/Network.NestedStack/Network.NestedStackResource", ("network.py", 35)),
        ("/PaymentsProd/LedgerPrimary/Network/Vpc", ("network.py", 36)),
        ("/PaymentsProd/LedgerPrimary/Network/PublicSubnet1", ("network.py", 89)),
        ("/PaymentsProd/LedgerPrimary/Network/NatInstance", ("network.py", 136)),
        ("/PaymentsProd/LedgerPrimary/Database/LedgerCluster/Resource", ("database.py", 47)),
        ("/PaymentsProd/LedgerPrimary/Database/LedgerCluster/RotationSingleUser/Resource", ("database.py", 80)),
    ],
)
def test_python_stage_and_nested_stacks(repo: Path, path: str, expected: tuple[str, int]) -> None:
    loc = where("py-payments-platform-host", path, repo)
    assert loc is not None
    assert loc[0].startswith("sample_apps/payments_platform/payments_platform/")
    assert (loc[0].rsplit("/", 1)[-1], loc[1]) == expected


def test_python_annotation_traces_hold_no_python_frames(repo: Path) -> None:
    # an annotation's own "trace" (constructs' raw V8 frames) gets no host frames: locate
    # the construct through its L1 child's creation stack instead
    md = metadata("py-card-gateway-host", repo)
    (warning,) = md["/CardGateway/Api/RestApi"]
    assert warning["type"] == "aws:cdk:warning" and warning["trace"]
    assert all(parse_frame(e) is not None for e in warning["trace"])  # raw frames parse
    assert locate(warning["trace"], repo) is None
    assert creation_stack(md["/CardGateway/Api/RestApi"]) is None
    child = locate(creation_stack(md["/CardGateway/Api/RestApi/Resource"]), repo)
    assert child is not None and (child.file, child.line) == ("sample_apps/card_gateway/card_gateway/api.py", 30)


def test_python_comprehension_frames_stay_in_the_chain(repo: Path) -> None:
    loc = locate(trace("py-payments-platform-host", "/PaymentsProd/LedgerPrimary/Network/PublicSubnet1", repo), repo)
    assert loc is not None
    assert [f.function for f in loc.frames][:3] == ["_subnet", "<listcomp>", "<dictcomp>"]


@pytest.mark.parametrize("path", list(json.loads((TRACES / "py-card-gateway-plain.metadata.json").read_text())))
def test_python_without_host_traces_has_no_location(repo: Path, path: str) -> None:
    # only jsii-runtime and library markers: there is no Python frame to point at
    assert locate(trace("py-card-gateway-plain", path, repo), repo) is None


# --- roots, outside files, malformed input ----------------------------------------------


def test_frames_outside_the_source_root_are_dropped(repo: Path, tmp_path: Path) -> None:
    entries = trace("py-card-gateway-host", "/CardGateway/Functions/Authorize/Resource", repo)
    assert locate(entries, tmp_path / "elsewhere") is None
    # a sibling whose name is a prefix of the app folder is not its parent
    assert locate(entries, repo / "sample_apps" / "card") is None
    app = locate(entries, repo / "sample_apps" / "card_gateway")
    assert app is not None and (app.file, app.line) == ("card_gateway/functions.py", 109)


def test_root_reached_through_a_symlink(repo: Path, tmp_path: Path) -> None:
    repo.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(repo, target_is_directory=True)
    entries = trace("ts-payments-data", "/PaymentsData/RefundQueue/Resource", repo)
    loc = locate(entries, link)
    assert loc is not None and (loc.file, loc.line) == ("sample_apps/payments_ts/lib/data-stack.ts", 43)


def test_library_frames_inside_the_root_are_not_user_frames(repo: Path) -> None:
    lib = f"{repo}/sample_apps/payments_ts/node_modules/aws-cdk-lib/aws-s3/lib/bucket.js"
    entries = [
        f"new Bucket ({lib}:1:2)",
        f"helper ({repo}/.venv/lib/python3.11/site-packages/aws_cdk/aws_s3/__init__.py:10)",
        f"kernel ({repo}/.venv/lib/python3.11/site-packages/jsii/_embedded/jsii/lib__program.js:1:5)",
        f"pkg ({repo}/vendor/aws-cdk-lib/core/lib/stack.js:3:4)",
        "Module._compile (node:internal/modules/cjs/loader:1623:10)",
        "new Foo (C:\\app\\lib\\x.ts:3:4)",
        f"new Mine ({repo}/lib/mine.ts:7:9)",
    ]
    assert user_frames(entries, repo) == [Frame("lib/mine.ts", 7, 9, "new Mine")]


def test_a_repository_below_a_folder_named_like_a_library_keeps_its_frames(tmp_path: Path) -> None:
    root = tmp_path / "node_modules" / "ci checkout"
    entries = ["...new Bucket2 in aws-cdk-lib...", f"new DataStack ({root}/lib/data-stack.ts:28:26)"]
    assert user_frames(entries, root) == [Frame("lib/data-stack.ts", 28, 26, "new DataStack")]


@pytest.mark.parametrize(
    "entries",
    [
        None,
        {},
        {"data": ["x"]},
        "new X (/r/x.ts:1:2)",
        b"new X (/r/x.ts:1:2)",
        [1, 2],
        ["ok (/r/x.ts:1:2)", None],
        42,
        [],
    ],
)
def test_malformed_traces_give_none(entries: Any) -> None:
    assert locate(entries, Path("/r")) is None
    assert user_frames(entries, Path("/r")) == []


@pytest.mark.parametrize("entries", [None, {}, "x", [1], [{"type": "aws:cdk:logicalId", "data": "X"}]])
def test_creation_stack_of_entries_without_one(entries: Any) -> None:
    assert creation_stack(entries) is None


# --- default_source_root ----------------------------------------------------------------


def test_default_source_root_is_the_git_top_level(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    inner = tmp_path / "sample_apps" / "app"
    inner.mkdir(parents=True)
    assert default_source_root(inner).resolve() == tmp_path.resolve()


def test_default_source_root_outside_git_is_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert default_source_root(tmp_path) == tmp_path
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no git at all
    assert default_source_root(tmp_path) == tmp_path


# --- app_language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        ("payments_ts", "typescript"),
        ("card_gateway", "python"),
        ("payments_platform", "python"),
    ],
)
def test_app_language_of_the_sample_apps(app: str, expected: str) -> None:
    assert app_language(ROOT / "sample_apps" / app) == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("npx ts-node --prefer-ts-exts bin/app.ts", "typescript"),
        ("node -r ts-node/register bin/app.ts", "typescript"),
        ("npx tsx bin/app.ts", "typescript"),
        ("python3 app.py", "python"),
        (".venv/bin/python -m app", "python"),
        ("uv run app.py", "python"),
        ("node bin/app.js", "javascript"),
        ("node bin/app.mjs", "javascript"),
        ("mvn -e -q compile exec:java", "other"),
        ("dotnet run -p src/App/App.csproj", "other"),
        ("go mod download && go run app.go", "other"),
        ("python3 'unterminated", "python"),
    ],
)
def test_app_language_of_the_app_command(tmp_path: Path, command: str, expected: str) -> None:
    (tmp_path / "cdk.json").write_text(json.dumps({"app": command}), encoding="utf-8")
    assert app_language(tmp_path) == expected


def test_app_language_falls_back_to_frame_suffixes(repo: Path, tmp_path: Path) -> None:
    ts = user_frames(trace("ts-payments-data", "/PaymentsData/RefundQueue/Resource", repo), repo)
    py = user_frames(trace("py-card-gateway-host", "/CardGateway/Functions/Authorize/Resource", repo), repo)
    assert app_language(None, ts) == "typescript"
    assert app_language(tmp_path, py) == "python"  # no cdk.json
    (tmp_path / "cdk.json").write_text("{not json", encoding="utf-8")
    assert app_language(tmp_path, py) == "python"
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "./run-it"}), encoding="utf-8")
    assert app_language(tmp_path, ts) == "typescript"
    assert app_language(tmp_path) == "other"
    assert app_language(None) == "other"


# --- the fixtures themselves ------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(TRACES.iterdir()), ids=lambda p: p.name)
def test_fixtures_hold_no_machine_paths(fixture: Path) -> None:
    text = fixture.read_text(encoding="utf-8")
    assert str(ROOT) not in text and "/work/" not in text


# --- end to end: the TypeScript sample app's seeded findings, located -------------------

#: (slug, construct path) -> where sample_apps/payments_ts/README.md says the bad variant seeds it
SEEDED = {
    ("log-retention", "PaymentsApi/Functions/Authorize/Resource"): "lib/functions.ts:38",
    ("log-retention", "PaymentsApi/Functions/Settle/Resource"): "lib/functions.ts:39",
    ("backup-retention", "PaymentsData/LedgerCluster/Resource"): "lib/data-stack.ts:62",
    ("s3-replication", "PaymentsData/LedgerArchive/Resource"): "lib/data-stack.ts:81",
    ("sqs-encryption", "PaymentsData/SettlementQueue/Resource"): "lib/data-stack.ts:37",
    ("sqs-dlq", "PaymentsData/RefundQueue/Resource"): "lib/data-stack.ts:43",
    ("apigw-mtls", "PaymentsApi/PartnerApi/Resource"): "lib/api-stack.ts:28",
    ("removal-policy", "PaymentsApi/Truststore/Bucket/Resource"): "lib/partner-domain.ts:23",
    ("vpc-flow-logs", "PaymentsNetwork/Vpc/Resource"): "lib/network-stack.ts:17",
}


@pytest.mark.synth
@pytest.mark.skipif(
    not (ROOT / "sample_apps" / "payments_ts" / "node_modules").is_dir(),
    reason="payments_ts needs `npm ci --no-audit --no-fund` in sample_apps/payments_ts",
)
def test_payments_ts_bad_findings_locate_to_their_seeded_lines(synth_cache) -> None:
    result = synth_cache("payments_ts", "bad")
    assert result.ok, result.error
    traces: dict[str, Any] = {}
    for path in result.output_dir.glob("*.metadata.json"):
        traces.update(json.loads(path.read_text(encoding="utf-8")))
    app_dir = ROOT / "sample_apps" / "payments_ts"
    located = {}
    for f in audited(result, "payments_ts"):
        if (f.slug, f.construct_path) in SEEDED:
            loc = locate(creation_stack(traces.get(f"/{f.construct_path}")), app_dir)
            located[(f.slug, f.construct_path)] = loc and f"{loc.file}:{loc.line}"
    assert located == SEEDED
    assert app_language(app_dir) == "typescript"
