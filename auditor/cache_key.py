"""What a cached template result depends on, as one key.

A template's results (cfn-lint's built-in rules and our template-scoped checks) are a
function of:

- the template file's bytes (their SHA-256: the line numbers come from them too);
- the settings, less what cannot change a template-scoped result (``suppress``: the
  suppression stage runs after the engine, on every run);
- cfn-lint's effective configuration beyond our own arguments (a ``.cfnlintrc`` in the
  home or current directory can add rules or override the spec);
- the code: cdk-audit's version *and* a hash of its own source files, cfn-lint's
  version, the Python version, and, for every check pack (the built-in
  ``auditor.checks`` and each ``cdk_audit.checks`` entry point), its version and a hash
  of every file in it. Hashing the bytes makes an edited check or data table a miss
  even without a version bump (the way a developer works).

The per-run part is hashed once (``run_key``); each template then only adds its own
hash (``entry_key``). Whether cfn-lint's fast path is on (``CDK_AUDIT_CFN_LINT_FAST``)
is left out on purpose: both paths give the same matches (``tests/test_builtin_parity.py``),
so a cache written by one serves the other.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.config import Settings
from auditor.registry import BUILTIN_PACK, pack_names

#: what an entry holds and how it is read (``auditor.template_cache``); bump on any change
ENTRY_FORMAT = 1
#: settings that act after the engine, on every run, so never on a template's cached results
_AFTER_THE_ENGINE = ("suppress",)


def settings_key(settings: Settings) -> dict[str, Any]:
    return {k: v for k, v in settings.to_dict().items() if k not in _AFTER_THE_ENGINE}


def run_key(settings: Settings, cfn_lint_config: str, cfn_lint_version: str) -> str:
    """The key part shared by every template of a run.

    ``cfn_lint_config``: ``auditor.lint.config_fingerprint`` of the configuration the
    engine builds from these settings; ``cfn_lint_version``: the cfn-lint that runs.
    """
    parts = {
        "format": ENTRY_FORMAT,
        "cdk_audit": {"version": __version__, "source": _auditor_source()},
        "cfn_lint": {"version": cfn_lint_version, "config": cfn_lint_config},
        "python": list(sys.version_info[:2]),
        "packs": pack_fingerprints(),
        "settings": settings_key(settings),
    }
    return _sha256(json.dumps(parts, sort_keys=True, default=str).encode())


def entry_key(run: str, template_sha256: str) -> str:
    """The key of one template's results under the run key ``run``."""
    return _sha256(f"{run}\n{template_sha256}".encode())


def pack_fingerprints() -> dict[str, dict[str, str | None]]:
    """Each check pack's version (of the distribution that ships it) and a hash of its files."""
    return {
        name: {"version": __version__ if name == BUILTIN_PACK else _dist_version(name), "source": _module_tree(name)}
        for name in pack_names()
    }


@cache
def _auditor_source() -> str:
    return tree_digest([Path(__file__).resolve().parent])


@cache
def _module_tree(name: str) -> str:
    """A hash of every file of the package or module ``name`` (found without importing it)."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return "missing"
    if spec.submodule_search_locations:
        return tree_digest([Path(p) for p in spec.submodule_search_locations])
    return tree_digest([Path(spec.origin)]) if spec.origin else "unknown"


def tree_digest(roots: list[Path]) -> str:
    """SHA-256 over the relative names and bytes of every file below ``roots``
    (compiled-bytecode folders aside: they follow from the sources)."""
    h = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            rel = path.name if path == root else path.relative_to(root).as_posix()
            data = path.read_bytes()
            h.update(f"{rel}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


def _dist_version(module: str) -> str | None:
    top = module.split(".", 1)[0]
    for dist in packages_distributions().get(top, []):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
