"""The result cache: hits, a miss for each part of the key, bad entries, concurrent
writers, eviction, where it lives, and findings that never change because of it.

Real inputs throughout (corpus assemblies, a real synth, cfn-lint itself); nothing of
the cache is mocked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from auditor import api, cache_key, lint, warm
from auditor.assembly import load_assembly, load_paths
from auditor.cache import DIR_NAME, GITIGNORE, ResultCache, default_directory, encode_entry
from auditor.config import Settings
from auditor.decoding import PlainTemplate
from auditor.registry import BUILTIN_PACK
from auditor.report import json_report
from auditor.source import default_source_root
from auditor.suppress import Suppression
from tests.conftest import CORPUS, require_corpus

KEY_A, KEY_B = "a" * 64, "b" * 64
PACK_ONLY = Settings(cfn_lint_rules=False)


# -- storage -----------------------------------------------------------------------------


def test_put_then_get_is_a_hit_and_the_folder_is_git_ignored(tmp_path: Path):
    cache = ResultCache(tmp_path / "c")
    assert cache.get(KEY_A) is None  # a miss writes nothing
    assert not (tmp_path / "c").exists()
    cache.put(KEY_A, {"matches": [["E1", "msg", ["Resources", "X", 0], 3]]})
    assert cache.get(KEY_A) == {"matches": [["E1", "msg", ["Resources", "X", 0], 3]]}
    assert (cache.hits, cache.misses, cache.writes) == (1, 1, 1)
    assert (tmp_path / "c" / ".gitignore").read_text() == GITIGNORE
    assert "*" in GITIGNORE.splitlines()
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_keys_must_be_hex_digests(tmp_path: Path):
    with pytest.raises(ValueError):
        ResultCache(tmp_path).get("../../etc/passwd")


def _entry(cache: ResultCache, key: str) -> Path:
    return cache.directory / "entries" / key[:2] / key


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda blob: os.urandom(len(blob)), id="garbage"),
        pytest.param(lambda blob: blob[: len(blob) - 7], id="truncated"),
        pytest.param(lambda blob: blob[: blob.index(b"\n") + 1], id="header-only"),
        pytest.param(lambda blob: b"", id="empty"),
        pytest.param(lambda blob: blob.replace(b'"msg"', b'"MSG"'), id="wrong-checksum"),
        pytest.param(lambda blob: encode_entry(KEY_B, {"matches": []}), id="another-key"),
    ],
)
def test_a_bad_entry_is_a_miss_removed_and_then_replaced(tmp_path: Path, damage: Any):
    cache = ResultCache(tmp_path)
    cache.put(KEY_A, {"matches": [["E1", "msg", [], None]]})
    path = _entry(cache, KEY_A)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(KEY_A) is None
    assert cache.bad == 1 and not path.exists()
    cache.put(KEY_A, {"matches": [["E1", "msg", [], None]]})
    assert ResultCache(tmp_path).get(KEY_A) == {"matches": [["E1", "msg", [], None]]}


def _writer(directory: str, keys: list[str], rounds: int) -> int:
    """Put every key ``rounds`` times, reading each back; returns how many reads were bad."""
    cache = ResultCache(Path(directory))
    for r in range(rounds):
        for key in keys:
            # equal inputs give equal payloads; a large one makes a torn write likely if writes were not atomic
            cache.put(key, {"key": key, "filler": [key] * 2000})
            cache.get(key)
        cache.get(keys[r % len(keys)])
    return cache.bad


def test_concurrent_writers_leave_only_valid_entries(tmp_path: Path):
    shared = [f"{i:064x}" for i in range(4)]  # every process writes these
    own = [[f"{100 + p * 10 + i:064x}" for i in range(3)] for p in range(4)]  # and its own
    ctx = multiprocessing.get_context("spawn")  # separate interpreters, as separate CI jobs are
    with ctx.Pool(4) as procs:
        bad = procs.starmap(_writer, [(str(tmp_path), shared + own[p], 15) for p in range(4)])
    assert bad == [0, 0, 0, 0]  # no reader ever saw half a file
    cache = ResultCache(tmp_path)
    for key in shared + [k for keys in own for k in keys]:
        assert cache.get(key) == {"key": key, "filler": [key] * 2000}
    assert cache.bad == 0
    leftovers = [p for p in (tmp_path / "entries").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_eviction_keeps_the_bound_and_drops_least_recently_used(tmp_path: Path):
    payload = {"filler": "x" * 1000}
    size = len(encode_entry(KEY_A, payload))
    cache = ResultCache(tmp_path, max_bytes=10 * size)
    keys = [f"{i:064x}" for i in range(10)]
    for i, key in enumerate(keys):
        cache.put(key, payload)
        os.utime(_entry(cache, key), (1_000_000 + i, 1_000_000 + i))  # an unambiguous age order
    assert cache.get(keys[0]) is not None  # a hit: now the most recently used
    cache.put("f" * 64, payload)  # over the bound: evict down to 80%
    held = {p.name for p in (tmp_path / "entries").rglob("*") if p.is_file()}
    assert len(held) * size <= 0.8 * 10 * size
    assert keys[0] in held and "f" * 64 in held
    assert keys[1] not in held and keys[2] not in held  # the oldest untouched ones went first


def test_source_root_is_the_git_top_level(tmp_path: Path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "app" / "lib").mkdir(parents=True)
    assert default_source_root(tmp_path / "repo" / "app" / "lib") == (tmp_path / "repo").resolve()
    assert default_directory(tmp_path / "repo" / "app") == (tmp_path / "repo").resolve() / DIR_NAME
    (tmp_path / "plain").mkdir()
    assert default_source_root(tmp_path / "plain") == (tmp_path / "plain").resolve()


# -- real inputs -------------------------------------------------------------------------


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Two corpus cloud assemblies and a folder of loose JSON and YAML templates, copied
    (tests change template bytes; the corpus is read-only)."""
    if not CORPUS.is_dir():
        pytest.fail(f"{CORPUS} is missing: check out ../shared beside this repository")
    root = tmp_path / "inputs"
    for name in ("api-cors-lambda", "backup-s3"):
        shutil.copytree(CORPUS / "cdk-examples" / name, root / name)
    loose = root / "loose"
    loose.mkdir()
    for name in ("compliant-bucket.json", "compliant-bucket.yaml", "S3_LambdaTrigger.json"):
        shutil.copy(CORPUS / "cfn-templates" / "S3" / name, loose / name)
    return root


def _scan(target: Path, settings: Settings, cache: ResultCache | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    report = api.scan([target], settings, cache=cache)
    rules = {rid: json.dumps(info.__dict__, default=str, sort_keys=True) for rid, info in report.rules.items()}
    return [f.to_dict() for f in report.findings], rules


@require_corpus()
def test_cold_and_warm_scans_give_identical_findings_and_rules(inputs: Path, tmp_path: Path):
    templates = sum(len(a.stacks) for a in load_paths([inputs]))
    assert templates == 5
    cache = ResultCache(tmp_path / "cache")
    uncached = _scan(inputs, Settings(), None)
    cold = _scan(inputs, Settings(), cache)
    assert cache.hits == 0 and cache.writes == templates
    warm_cache = ResultCache(tmp_path / "cache")
    warm_ = _scan(inputs, Settings(), warm_cache)
    assert warm_cache.hits == templates and warm_cache.misses == 0
    assert cold == uncached
    assert warm_ == cold
    reporters = {f["reported_by"] for f in cold[0]}
    assert {"cfn-lint", "cdk-audit"} <= reporters
    assert any(rid.startswith("W") for rid in cold[1])  # a cfn-lint rule described without loading it


@require_corpus()
def test_a_warm_run_loads_no_built_in_rule_and_decodes_json_plainly(inputs: Path, tmp_path: Path):
    cache = ResultCache(tmp_path / "cache")
    _scan(inputs, Settings(), cache)
    prepared = warm.prepare(Settings(), ResultCache(tmp_path / "cache"))
    assemblies = load_paths([inputs], plain_ok=prepared.plain_ok)
    kinds = {s.template_path.suffix: type(s.template) for a in assemblies for s in a.stacks}
    assert kinds[".json"] is PlainTemplate
    assert kinds[".yaml"] is not PlainTemplate  # YAML is never plain JSON: cfn-lint's decode as always
    api.check(assemblies, prepared.settings, app="x", prepared=prepared)
    assert "rules" not in prepared.checks.__dict__  # cfn-lint's collection was never built


@require_corpus()
def test_each_part_of_the_key_is_a_miss(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = inputs / "backup-s3"
    directory = tmp_path / "cache"

    def misses(settings: Settings = PACK_ONLY) -> int:
        cache = ResultCache(directory)
        api.scan([target], settings, cache=cache)
        return cache.misses

    assert misses() == 1
    assert misses() == 0  # a hit
    assert misses(PACK_ONLY.replace(regions=("eu-west-1",))) == 1  # settings
    assert misses(PACK_ONLY.replace(checks={"log-retention": {"min-days": 400}})) == 1
    # suppressions act after the engine, on every run: not part of the key
    assert misses(PACK_ONLY.replace(suppress=(Suppression("log-retention", "shipped to the SIEM", None),))) == 0

    template = target / "BackupS3Stack.template.json"
    template.write_bytes(template.read_bytes().replace(b'"Resources"', b'"Resources" '))  # template bytes
    assert misses() == 1
    assert misses() == 0

    monkeypatch.setattr(cache_key, "__version__", "99.0.0")  # cdk-audit's version
    assert misses() == 1
    monkeypatch.setattr(lint, "CFN_LINT_VERSION", "9.9.9")  # cfn-lint's version
    assert misses() == 1
    assert misses() == 0


def test_a_check_pack_edit_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Hashing a pack's bytes: an edited check (or data file) is a miss without a version bump."""
    pack = tmp_path / "site" / "extra_pack"
    pack.mkdir(parents=True)
    (pack / "__init__.py").write_text("")
    (pack / "bucket_names.py").write_text("LIMIT = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(cache_key, "pack_names", lambda: [BUILTIN_PACK, "extra_pack"])

    def key() -> str:
        cache_key._module_tree.cache_clear()
        return cache_key.run_key(PACK_ONLY, "cfg", "1.0")

    first = key()
    assert key() == first
    (pack / "bucket_names.py").write_text("LIMIT = 4\n")
    second = key()
    assert second != first
    (pack / "data.json").write_text("{}")
    assert key() not in (first, second)
    assert cache_key.run_key(PACK_ONLY, "cfg", "1.1") != cache_key.run_key(PACK_ONLY, "cfg", "1.0")
    assert cache_key.run_key(PACK_ONLY, "other .cfnlintrc", "1.0") != cache_key.run_key(PACK_ONLY, "cfg", "1.0")


@require_corpus()
def test_corrupt_entries_on_disk_never_change_findings(inputs: Path, tmp_path: Path):
    target = inputs / "api-cors-lambda"
    directory = tmp_path / "cache"
    first = _scan(target, PACK_ONLY, ResultCache(directory))
    entries = [p for p in (directory / "entries").rglob("*") if p.is_file()]
    assert len(entries) == 1
    for damage in (b"not an entry", entries[0].read_bytes()[:-3], b""):
        entries[0].write_bytes(damage)
        cache = ResultCache(directory)
        assert _scan(target, PACK_ONLY, cache) == first
        assert (cache.bad, cache.writes) == (1, 1)  # recomputed and replaced
    # verified bytes, but not what an entry holds: also recomputed
    payload = {"matches": [["E9999", "made up", "not a path", 1]], "rules": {}, "plain_json": True}
    key = entries[0].name
    entries[0].write_bytes(encode_entry(key, payload))
    cache = ResultCache(directory)
    assert _scan(target, PACK_ONLY, cache) == first
    assert (cache.bad, cache.writes) == (1, 1)
    assert ResultCache(directory).get(key) != payload


@require_corpus()
def test_a_json_file_yaml_reads_differently_is_never_decoded_plainly(tmp_path: Path):
    # YAML reads 1e3 as a string, JSON as a number: the verdict must say no
    doc = json.loads((CORPUS / "cfn-templates" / "S3" / "compliant-bucket.json").read_text())
    doc.setdefault("Metadata", {})["Scale"] = 12345
    text = json.dumps(doc, indent=1).replace("12345", "1e3")
    (tmp_path / "t.json").write_text(text)
    cache = ResultCache(tmp_path / "cache")
    cold = _scan(tmp_path / "t.json", PACK_ONLY, cache)
    prepared = warm.prepare(PACK_ONLY, ResultCache(tmp_path / "cache"))
    [assembly] = load_paths([tmp_path / "t.json"], plain_ok=prepared.plain_ok)
    assert type(assembly.stacks[0].template) is not PlainTemplate
    assert assembly.stacks[0].template["Metadata"]["Scale"] == "1e3"
    assert _scan(tmp_path / "t.json", PACK_ONLY, ResultCache(tmp_path / "cache")) == cold


@pytest.mark.synth
def test_cold_and_warm_audits_of_a_synthesized_app_are_identical(synth_cache, tmp_path: Path):
    result = synth_cache("card_gateway", "bad")
    assert result.ok, result.error
    settings = Settings()

    def audit(cache: ResultCache | None) -> tuple[dict[str, Any], str]:
        prepared = warm.prepare(settings, cache)
        assembly = load_assembly(result.output_dir, synth_warnings=result.warnings, plain_ok=prepared.plain_ok)
        report = api.check([assembly], settings, app="card_gateway", prepared=prepared, tool={})
        doc = report.to_dict()
        json_report.validate(doc)
        doc.pop("audit_seconds")
        return doc, json.dumps({k: v.__dict__ for k, v in report.rules.items()}, default=str, sort_keys=True)

    uncached = audit(None)
    assert uncached[0]["findings"]
    assert audit(ResultCache(tmp_path / "c")) == uncached
    warm_cache = ResultCache(tmp_path / "c")
    assert audit(warm_cache) == uncached
    assert warm_cache.hits >= 1 and warm_cache.misses == 0


# -- the command line --------------------------------------------------------------------


def test_no_cache_writes_nothing_and_the_default_is_the_source_root(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra").mkdir()
    template = Path(__file__).parent / "fixtures" / "templates" / "open_log_group.json"
    shutil.copy(template, repo / "infra" / "t.json")
    monkeypatch.delenv("CDK_AUDIT_CACHE_DIR", raising=False)
    monkeypatch.chdir(repo / "infra")
    assert cli("scan", "t.json", "--no-cache", "-q", "--set", "cfn-lint-rules=false").exit_code == 1
    assert not (repo / DIR_NAME).exists() and not (repo / "infra" / DIR_NAME).exists()
    r = cli("scan", "t.json", "-q", "--set", "cfn-lint-rules=false")
    assert r.exit_code == 1
    assert (repo / DIR_NAME / ".gitignore").read_text() == GITIGNORE
    assert len([p for p in (repo / DIR_NAME / "entries").rglob("*") if p.is_file()]) == 1
    elsewhere = tmp_path / "xdg" / "cdk-audit"
    assert cli("scan", "t.json", "-q", "--set", "cfn-lint-rules=false", "--cache-dir", elsewhere).exit_code == 1
    assert len([p for p in (elsewhere / "entries").rglob("*") if p.is_file()]) == 1


def test_help_documents_the_cache_options(cli):
    for command in (["run"], ["scan"], ["baseline", "write"]):
        flat = " ".join(cli(*command, "--help").output.split())
        assert "--cache-dir" in flat and "--no-cache" in flat, command


def test_an_unwritable_cache_never_fails_the_audit(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = ResultCache(blocker / "cache")
    template = Path(__file__).parent / "fixtures" / "templates" / "open_log_group.json"
    findings = _scan(template, PACK_ONLY, cache)
    assert findings == _scan(template, PACK_ONLY, None)
    assert cache.error is not None and "cannot write" in cache.error


def test_entries_age_by_use(tmp_path: Path):
    cache = ResultCache(tmp_path)
    cache.put(KEY_A, {"x": 1})
    os.utime(_entry(cache, KEY_A), (1_000_000, 1_000_000))
    cache.get(KEY_A)
    assert time.time() - _entry(cache, KEY_A).stat().st_mtime < 60


def test_a_cfnlintrc_in_the_current_directory_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """cfn-lint reads .cfnlintrc from the current directory: what it says, and its bytes, are in the key."""
    args = {"regions": ["us-east-1"], "ignore": [], "include": [], "configure": {}}
    monkeypatch.chdir(tmp_path)
    plain = lint.config_fingerprint(**args)
    (tmp_path / ".cfnlintrc").write_text("include_experimental: true\n")
    experimental = lint.config_fingerprint(**args)
    assert experimental != plain
    (tmp_path / ".cfnlintrc").write_text("include_experimental: true\n# same settings, other bytes\n")
    assert lint.config_fingerprint(**args) not in (plain, experimental)
