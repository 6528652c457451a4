"""parse_synth_failure on the real output of failed `cdk synth` runs (tests/fixtures/synth_errors,
captured by capture.py there from sample_apps/broken_app), and on hostile input."""

from __future__ import annotations

import random
import re
import shutil
import time
from pathlib import Path

import pytest

from auditor import synth_errors
from auditor.synth_errors import (
    MAX_LINE_CHARS,
    ErrorLocation,
    SynthError,
    parse_synth_failure,
    strip_ansi,
)
from tests.conftest import FIXTURES, ROOT, SAMPLE_APPS

CAPTURED = FIXTURES / "synth_errors"
BROKEN = SAMPLE_APPS / "broken_app"
TS = BROKEN / "ts"


def captured(name: str, root: Path = ROOT) -> str:
    """A fixture as the CLI printed it here: ``{ROOT}`` stands for the repository root."""
    return (CAPTURED / f"{name}.txt").read_text(encoding="utf-8").replace("{ROOT}", str(root))


# ------------------------------------------------------------------ Python exceptions


def test_name_error_is_located_in_the_stack_constructor_not_in_jsii():
    err = parse_synth_failure(captured("python_name_error"), BROKEN)
    assert err.kind == "python-exception"
    assert err.locations == (ErrorLocation("app.py", 18, None, "NameError: name 's3' is not defined"),)
    assert err.message == (
        'File "app.py", line 18, in __init__\n'
        '    s3.Bucket(self, "Reports", enforce_ssl=True)  # noqa: F821\n'
        "NameError: name 's3' is not defined"
    )


def test_jsii_error_raised_at_construction_points_at_the_users_call_not_process_py():
    text = captured("python_rotation")
    assert "_kernel/providers/process.py" in text  # the innermost frame of all is jsii's
    err = parse_synth_failure(text, BROKEN)
    message = "RuntimeError: MustBeSpecified: One of `rotationLambda` or `hostedRotation` must be specified."
    assert err.kind == "python-exception"
    assert err.locations == (ErrorLocation("settlement/failures.py", 27, None, message),)
    assert err.message == (
        'File "settlement/failures.py", line 27, in __init__\n'
        '    secret.add_rotation_schedule("Rotation", automatically_after=cdk.Duration.days(30))\n' + message
    )


def test_installed_packages_inside_the_source_root_are_not_the_apps_files():
    """With the repository as the root, jsii and aws-cdk-lib in its .venv are inside it."""
    err = parse_synth_failure(captured("python_rotation"), BROKEN, source_root=ROOT)
    assert [(loc.file, loc.line) for loc in err.locations] == [("sample_apps/broken_app/settlement/failures.py", 27)]


def test_multi_line_exception_message_is_kept_whole():
    err = parse_synth_failure(captured("python_multiline_message"), BROKEN)
    message = (
        "ValueError: log retention of 45 days is not a period CloudWatch Logs accepts\n"
        "allowed periods (days): 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, "
        "2192, 2557\n"
        "set --context retention=<days> to one of them"
    )
    assert err.kind == "python-exception"
    # innermost of the three app frames (app.py, failures.py, retention.py)
    assert err.locations == (ErrorLocation("settlement/retention.py", 11, None, message),)
    assert (
        err.message == 'File "settlement/retention.py", line 11, in retention_days\n    raise ValueError(\n' + message
    )
    assert "Subprocess exited" not in err.message


def test_paths_are_relative_to_the_source_root_when_one_is_given():
    err = parse_synth_failure(captured("python_multiline_message"), BROKEN, source_root=ROOT)
    assert err.locations[0].file == "sample_apps/broken_app/settlement/retention.py"
    assert err.message.startswith('File "sample_apps/broken_app/settlement/retention.py", line 11')


def test_a_frame_outside_the_source_root_keeps_no_repository_path(tmp_path: Path):
    err = parse_synth_failure(captured("python_name_error"), BROKEN, source_root=tmp_path)
    assert err.locations == (ErrorLocation(None, None, None, "NameError: name 's3' is not defined"),)
    # the person still sees where it was raised, as Python printed it
    assert err.message.startswith(f'File "{BROKEN}/app.py", line 18, in __init__\n')


# ----------------------------------------------------------- ValidationFailedWithErrors


def test_validation_error_at_synth_is_located_where_the_listener_is_added():
    text = captured("python_https_listener")
    err = parse_synth_failure(text, BROKEN)
    assert err.kind == "validation"
    assert err.locations == (
        ErrorLocation(
            "settlement/failures.py",
            38,
            20,
            "HTTPS Listener needs at least one certificate (call addCertificates)",
            construct_path="SettlementReports/PortalAlb/HttpsListener",
        ),
    )


def test_every_validation_error_is_listed_once_and_located():
    text = captured("python_two_validation_errors")
    # jsii prints the list twice (its JavaScriptError, then the RuntimeError)
    assert text.count("[SettlementReports/EdgeApi]") == 2
    err = parse_synth_failure(text, BROKEN)
    assert err.kind == "validation"
    assert err.locations == (
        ErrorLocation(
            "settlement/failures.py",
            58,
            20,
            "HTTPS Listener needs at least one certificate (call addCertificates)",
            construct_path="SettlementReports/EdgeAlb/EdgeHttps",
        ),
        ErrorLocation(
            "settlement/failures.py",
            64,
            9,
            "The REST API doesn't contain any methods",
            construct_path="SettlementReports/EdgeApi",
        ),
    )
    assert err.message == (
        "RuntimeError: ValidationFailedWithErrors: Validation failed with the following errors:\n"
        "  [SettlementReports/EdgeAlb/EdgeHttps] HTTPS Listener needs at least one certificate (call addCertificates)\n"
        "    created at settlement/failures.py:58: listener = alb.add_listener(\n"
        "  [SettlementReports/EdgeApi] The REST API doesn't contain any methods\n"
        "    created at settlement/failures.py:64: apigateway.RestApi("
    )


def _no_methods() -> SynthError:
    return parse_synth_failure(captured("python_no_methods"), BROKEN)


def test_rest_api_without_methods_is_located_at_its_constructor():
    assert _no_methods().locations == (
        ErrorLocation(
            "settlement/failures.py",
            47,
            15,
            "The REST API doesn't contain any methods",
            construct_path="SettlementReports/ReportsApi",
        ),
    )


def test_debug_output_gives_the_same_error():
    """`--debug` (CDK_DEBUG) adds CLI log lines around the error but no creation stack."""
    text = captured("python_no_methods_debug")
    assert re.search(r"^\[\d\d:\d\d:\d\d\] failed command: python3 app\.py$", text, re.MULTILINE)
    assert parse_synth_failure(text, BROKEN) == _no_methods()


def test_cli_colours_are_stripped():
    text = captured("python_no_methods_color")
    assert "\x1b[31m" in text
    err = parse_synth_failure(text, BROKEN)
    assert err == _no_methods()
    assert "\x1b" not in strip_ansi(text)


def _copy_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(BROKEN, app, ignore=shutil.ignore_patterns("ts", "__pycache__", "cdk.out"))
    return app


def test_an_id_used_in_two_constructor_calls_is_not_guessed(tmp_path: Path):
    app = _copy_app(tmp_path)
    (app / "settlement" / "partners.py").write_text(
        "from aws_cdk import aws_apigateway as apigateway\n\n\ndef partners_api(scope):\n"
        '    return apigateway.RestApi(scope, "ReportsApi")\n'
    )
    text = captured("python_no_methods").replace(str(BROKEN), str(app))
    err = parse_synth_failure(text, app)
    assert err.locations == (
        ErrorLocation(
            None,
            None,
            None,
            "The REST API doesn't contain any methods",
            construct_path="SettlementReports/ReportsApi",
        ),
    )
    assert "created at" not in err.message


def test_an_id_in_a_comment_or_in_other_calls_does_not_count(tmp_path: Path):
    app = _copy_app(tmp_path)
    (app / "settlement" / "notes.py").write_text(
        '# apigateway.RestApi(self, "ReportsApi") used to live here\nNAME = lookup("ReportsApi")\n'
    )
    text = captured("python_no_methods").replace(str(BROKEN), str(app))
    assert parse_synth_failure(text, app).locations[0].file == "settlement/failures.py"


def test_an_id_only_in_installed_packages_is_not_the_apps(tmp_path: Path):
    app = _copy_app(tmp_path)
    (app / "settlement" / "failures.py").write_text("# the stack was deleted\n")
    vendored = app / ".venv" / "lib" / "python3.11" / "site-packages" / "x"
    vendored.mkdir(parents=True)
    (vendored / "y.py").write_text('RestApi(self, "ReportsApi")\n')
    (app / "node_modules" / "z").mkdir(parents=True)
    (app / "node_modules" / "z" / "index.js").write_text("new RestApi(this, 'ReportsApi')\n")
    text = captured("python_no_methods").replace(str(BROKEN), str(app))
    assert parse_synth_failure(text, app).locations[0].file is None


def test_a_search_cut_short_by_its_limits_locates_nothing(monkeypatch: pytest.MonkeyPatch):
    """Past the file limit a match can no longer be known to be the only one."""
    assert _no_methods().locations[0].file == "settlement/failures.py"
    # app.py, settlement/__init__.py and failures.py (the only match) are read; retention.py is not
    monkeypatch.setattr(synth_errors, "MAX_SOURCE_FILES", 3)
    assert _no_methods().locations[0].file is None


# ------------------------------------------------------------------------ TypeScript


def test_typescript_compile_errors_are_each_located():
    err = parse_synth_failure(captured("typescript_compile_error"), TS)
    assert err.kind == "typescript"
    assert err.locations == (
        ErrorLocation(
            "lib/audit-logs-stack.ts",
            13,
            37,
            "Property 'THIRTY_DAYS' does not exist on type 'typeof RetentionDays'.",
            code="TS2339",
        ),
        ErrorLocation(
            "lib/audit-logs-stack.ts",
            15,
            43,
            "Object literal may only specify known properties, and 'versioning' does not exist in type 'BucketProps'.",
            code="TS2353",
        ),
    )
    assert err.message == (
        "TSError: \u2a2f Unable to compile TypeScript:\n"
        "lib/audit-logs-stack.ts(13,37): error TS2339: Property 'THIRTY_DAYS' does not exist on type "
        "'typeof RetentionDays'.\n"
        "lib/audit-logs-stack.ts(15,43): error TS2353: Object literal may only specify known properties, "
        "and 'versioning' does not exist in type 'BucketProps'."
    )


def test_typescript_paths_follow_the_source_root():
    err = parse_synth_failure(captured("typescript_compile_error"), TS, source_root=ROOT)
    assert [loc.file for loc in err.locations] == ["sample_apps/broken_app/ts/lib/audit-logs-stack.ts"] * 2


def test_typescript_validation_error_is_located_at_new_rest_api():
    err = parse_synth_failure(captured("typescript_no_methods"), TS)
    assert err.kind == "validation"
    assert err.locations == (
        ErrorLocation(
            "lib/no-methods-stack.ts",
            9,
            17,
            "The REST API doesn't contain any methods",
            construct_path="TsNoMethods/PayoutsApi",
        ),
    )


def test_compiled_javascript_beside_the_typescript_is_not_a_second_match(tmp_path: Path):
    app = tmp_path / "ts"
    shutil.copytree(TS, app, ignore=shutil.ignore_patterns("node_modules", "cdk.out"))
    (app / "lib" / "no-methods-stack.js").write_text("const api = new apigateway.RestApi(this, 'PayoutsApi', {});\n")
    text = captured("typescript_no_methods").replace(str(TS), str(app))
    assert parse_synth_failure(text, app).locations[0].file == "lib/no-methods-stack.ts"
    (app / "lib" / "copy.ts").write_text("new apigateway.RestApi(this, 'PayoutsApi');\n")
    assert parse_synth_failure(text, app).locations[0].file is None


def test_a_cdk_error_in_node_gives_the_users_frame_and_construct():
    err = parse_synth_failure(captured("typescript_rotation"), TS)
    message = "«MustBeSpecified» One of `rotationLambda` or `hostedRotation` must be specified."
    assert err.kind == "other"
    assert err.locations == (
        ErrorLocation("lib/rotation-stack.ts", 11, 12, message, construct_path="TsRotation/PayoutsKey/Rotation"),
    )
    assert err.message == (
        message + "\n  at new RotationStack (lib/rotation-stack.ts:11:12)\n  construct: TsRotation/PayoutsKey/Rotation"
    )


# ------------------------------------------------------------------------- robustness


def test_strip_ansi_removes_csi_and_osc_sequences():
    link = "\x1b]8;;https://docs.aws.amazon.com/cdk\x1b\\docs\x1b]8;;\x1b\\"
    title = "\x1b]0;cdk synth\x07"
    assert strip_ansi(f"{title}\x1b[1;31mError\x1b[0m: {link} \x9b31mX\x9bm\r\nnext\rline") == (
        "Error: docs X\nnext\nline"
    )


def test_empty_input():
    assert parse_synth_failure("", BROKEN) == SynthError("other", "", ())


def test_binary_junk_never_raises(tmp_path: Path):
    junk = random.Random(7).randbytes(200_000)
    for output in (junk, junk.decode("utf-8", errors="replace"), junk.decode("latin-1"), None):
        err = parse_synth_failure(output, tmp_path / "missing")  # type: ignore[arg-type]
        assert err.kind == "other"
        assert not any(ord(c) < 32 and c not in "\n\t" for c in err.message)


@pytest.mark.parametrize(
    "line",
    [
        "x" * 50_000_000,
        # shapes the line parsers look for, repeated without ever completing
        "a." * 25_000_000,
        '  File "' * 6_250_000,
        "lib/x.ts(1" * 5_000_000,
        "«E» [" * 10_000_000,
        "\x1b[" * 25_000_000,
        "\x1b]" * 25_000_000,
    ],
    ids=["letters", "dotted", "py-frame", "ts-diag", "cdk-error", "csi", "osc"],
)
def test_a_50_mb_line_is_bounded_work(line: str):
    # the line alone, then after each parser's trigger so that parser reads (the tail of) it
    triggers = (
        "Traceback (most recent call last):",
        "Validation failed with the following errors:",
        "TSError: \u2a2f Unable to compile TypeScript:",
    )
    for output in (line, *(f"{line}\n{trigger}\n{line[:100_000]}" for trigger in triggers)):
        start = time.perf_counter()
        err = parse_synth_failure(output, BROKEN)
        # generous: the point is that it finishes (a backtracking regex would take hours)
        assert time.perf_counter() - start < 20
        assert len(err.message) <= 4 * MAX_LINE_CHARS


def test_a_huge_output_keeps_the_error_at_its_end():
    noise = "[WARNING] aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated.\n" * 400_000
    err = parse_synth_failure(noise + captured("python_name_error"), BROKEN)
    assert err.locations == (ErrorLocation("app.py", 18, None, "NameError: name 's3' is not defined"),)


def test_an_npm_error_before_the_app_runs_is_the_message():
    """`cdk init`'s app command (`npx tsc && npx tsx bin/app.ts`) fails in npx when a
    package is missing: npm's own error lines are the whole story (seen on a fresh app)."""
    out = (
        'npm error npx canceled due to missing packages and no YES option: ["tsc@2.0.4"]\n'
        "npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log\n"
        "npx tsc && npx tsx bin/tsapp.ts: Subprocess exited with error 1\n"
    )
    err = parse_synth_failure(out, BROKEN)
    assert err.kind == "other"
    assert err.message.splitlines()[0].startswith("npm error npx canceled due to missing packages")


def test_with_nothing_else_the_failed_command_is_the_message():
    out = "npm warn config production Use `--omit=dev` instead.\nnode app.js: Subprocess exited with error 1\n"
    assert parse_synth_failure(out, BROKEN).message == "node app.js: Subprocess exited with error 1"
