"""The cfn-lint adapter: every use of cfn-lint's internals lives here, and only here.

cdk-audit runs cfn-lint's built-in rules and our checks (cfn-lint rules) through
cfn-lint's Python API. cfn-lint's public entry point (``run_template_by_data``) is
correct but slow on CDK templates; profiling showed where its time goes, and the fast
path below removes those costs without changing a single match:

- ``LazyTemplate``: cfn-lint's ``Template`` builds its condition solver (sympy),
  dependency graph and validation context up front; for CDK templates the solver alone
  was ~15% of the run, because every template carries the same ``CDKMetadataAvailable``
  condition (an ``Fn::Or`` of ~30 region ``Fn::Equals``). Here each part is built on
  first use (our own checks never use them), and the solver is shared between templates
  whose Conditions/Parameters/Rules sections are identical (a pure function of them).
- ``fast_cfn_lint``: cfn-lint's JSON-schema rules call ``Validator.extend`` per
  resource, and each call builds a brand-new dataclass (~13% of the run): the classes
  are memoized on what defines them. Every step down a template ``evolve``s a context
  and a validator, each calling ``dataclasses.fields`` (~10%): looked up once per class.
- ``_dedup``: cfn-lint's own de-duplication compares each match with every earlier one
  (quadratic on big templates); here matches are bucketed by a hashable key first.

The fast path reaches into private names (``_run_template_per_config``, the
validators' module-level ``create``, ``Template.__init__`` skipped), so it is used only
on the cfn-lint releases it was checked against (``FAST_PATH_VERSIONS``; the parity
test ``tests/test_builtin_parity.py`` compares it with plain cfn-lint). On any other
release every template goes through the public API: slower, same findings.
``CDK_AUDIT_CFN_LINT_FAST=0`` forces the public path, ``=1`` the fast one.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cfnlint.rules
from cfnlint.config import ConfigMixIn
from cfnlint.decode import decode as _decode
from cfnlint.decode import decode_str
from cfnlint.match import Match
from cfnlint.rules import CloudFormationLintRule, Rules
from cfnlint.runner import run_template_by_data
from cfnlint.version import __version__ as _cfn_lint_version

#: the cfn-lint that runs (part of the result cache's key)
CFN_LINT_VERSION: str = _cfn_lint_version
#: cfn-lint minor releases whose internals the fast path was checked against
FAST_PATH_VERSIONS = ("1.58",)


def fast_path_enabled(version: str, forced: str | None = None) -> bool:
    """Whether the fast path may run on cfn-lint ``version`` (``forced``: "0" or "1" decides)."""
    if forced in ("0", "1"):
        return forced == "1"
    return ".".join(version.split(".")[:2]) in FAST_PATH_VERSIONS


FAST_PATH = fast_path_enabled(CFN_LINT_VERSION, os.environ.get("CDK_AUDIT_CFN_LINT_FAST"))

if FAST_PATH:  # private modules: imported only where they were checked
    try:
        import cfnlint.conditions
        import cfnlint.context.context
        import cfnlint.helpers
        import cfnlint.jsonschema._filter
        import cfnlint.jsonschema.validators as _cfn_validators
        from cfnlint.context import create_context_for_template
        from cfnlint.graph import Graph
        from cfnlint.runner.template.runner import _run_template_per_config
        from cfnlint.template.template import Template
    except ImportError:  # a forced fast path on a release that moved them: stay correct
        FAST_PATH = False


Decoded = tuple[Any, list[Match]]


def decode(path: Path) -> Decoded:
    """cfn-lint's decoder (JSON or YAML, every value knowing its line) on ``path``."""
    template, matches = _decode(str(path))
    return template, list(matches or [])


def decode_text(text: str) -> Decoded:
    """cfn-lint's decoder on a file's content (as ``open(path, encoding="utf-8")`` reads
    it): the same template as ``decode(path)`` (a file's name appears only in error
    messages; for those, decode the file itself)."""
    template, matches = decode_str(text)
    return template, list(matches or [])


@functools.cache
def builtin_rules() -> dict[str, CloudFormationLintRule]:
    """cfn-lint's built-in rules by id (loaded once per process)."""
    return dict(_builtin_collection().data)


def _builtin_collection() -> Rules:
    return Rules.create_from_directory(str(Path(cfnlint.rules.__file__).parent))


def rule_set(ours: Sequence[CloudFormationLintRule], with_builtins: bool) -> Rules:
    """A fresh rule collection: cfn-lint's built-ins (when asked) plus ``ours``."""
    rules = _builtin_collection() if with_builtins else Rules()
    for rule in ours:
        rules.register(rule)
    return rules


def make_config(
    rules: Rules,
    *,
    regions: Sequence[str],
    ignore: Sequence[str],
    include: Sequence[str],
    configure: Mapping[str, Mapping[str, Any]],
) -> ConfigMixIn:
    """cfn-lint's run configuration. Every rule these settings enable is "mandatory", so
    a template's cfn-lint ``ignore_checks`` metadata does not drop its matches:
    cdk-audit's suppression stage marks them suppressed instead, and they stay reported."""
    args = _config_args(regions, ignore, include, configure)
    config = ConfigMixIn([], **args)
    enabled = [rid for rid, r in rules.data.items() if rules.is_rule_enabled(r, config)]
    return ConfigMixIn([], **args, mandatory_checks=enabled)


def _config_args(
    regions: Sequence[str], ignore: Sequence[str], include: Sequence[str], configure: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    return dict(
        regions=list(regions),
        ignore_checks=list(ignore),
        include_checks=list(include),
        configure_rules={k: dict(v) for k, v in configure.items()},
    )


#: configuration values that name files whose content changes what cfn-lint reports
_FILE_VALUED = ("override_spec", "custom_rules", "append_rules", "registry_schemas")
_CFN_LINT_DIR = Path(cfnlint.__file__).resolve().parent


def config_fingerprint(
    *,
    regions: Sequence[str],
    ignore: Sequence[str],
    include: Sequence[str],
    configure: Mapping[str, Mapping[str, Any]],
) -> str:
    """Everything cfn-lint's configuration for these arguments holds, as text, for the
    result cache's key: our arguments, plus whatever a ``.cfnlintrc`` (home or current
    directory) adds, that file's bytes, and the bytes of the files it names (a spec
    override, custom or appended rules; cfn-lint's own, pinned by its version, aside).
    Built without loading a single rule (``make_config``'s ``mandatory_checks`` follow
    from the rules, which the versions in the key pin)."""
    config = ConfigMixIn([], **_config_args(regions, ignore, include, configure))
    parts = [repr(config)]
    files = [getattr(config, a, None) for a in ("_user_config_file", "_project_config_file", "_custom_config_file")]
    if any(files):  # only a configuration file can name other files
        parts.extend(_file_digest(f) for f in files)
        for name in _FILE_VALUED:
            value = getattr(config, name, None)
            parts.extend(_file_digest(v) for v in (value if isinstance(value, list | tuple) else [value]))
    return "\n".join(parts)


def _file_digest(value: Any) -> str:
    if not value or not isinstance(value, str | os.PathLike):
        return ""
    path = Path(value)
    try:
        if path.resolve().is_relative_to(_CFN_LINT_DIR):
            return str(path)
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        h = hashlib.sha256()
        for f in found:
            h.update(str(f).encode() + b"\0" + f.read_bytes())
        return f"{path}={h.hexdigest()}"
    except OSError:
        return f"{path}=unreadable"


def lint_template(template: Any, config: ConfigMixIn, rules: Rules) -> Iterator[Match]:
    """Every match of ``rules`` on a decoded template: exactly ``run_template_by_data``."""
    if not FAST_PATH or not isinstance(template, dict) or "Transform" in template:
        yield from run_template_by_data(template, config, rules)
        return
    config.set_template_args(template)
    cfn = LazyTemplate(None, template, config.regions, config.parameters)
    yield from _dedup(_run_template_per_config(cfn, config, rules))


def _dedup(matches: Iterator[Match]) -> Iterator[Match]:
    """cfn-lint's ``_dedup`` (first of equal matches, in order), linear instead of quadratic."""
    seen: dict[tuple[Any, ...], list[Match]] = {}
    for match in matches:
        key = (match.message, match.rule.id, match.linenumber, match.columnnumber, match.filename)
        bucket = seen.setdefault(key, [])
        if match not in bucket:
            bucket.append(match)
            yield match


@contextmanager
def fast_cfn_lint() -> Iterator[None]:
    """Make cfn-lint's per-value overheads cheap while the block runs; results unchanged.

    - ``Validator.extend`` calls the module-level ``create`` of
      ``cfnlint.jsonschema.validators``, which builds a new dataclass each time; two
      calls with equal keyword functions, function filter and resolvers make
      equivalent classes, so the first one is reused.
    - ``Context``/``Path``/``Validator``/``FunctionFilter.evolve`` call
      ``dataclasses.fields(cls)`` on every step down a template (~10% of the run);
      a class's fields never change, so they are looked up once per class.

    Restored on exit, so plain cfn-lint in the same process is untouched. A no-op off
    the fast path.
    """
    if not FAST_PATH or getattr(_cfn_validators.create, "_cdk_audit_memo", False):  # off, or already active
        yield
        return
    original = _cfn_validators.create
    classes: dict[Any, Any] = {}

    def create(validators: Any = None, function_filter: Any = None, fn_resolvers: Any = None) -> Any:
        try:
            key = (
                tuple((validators or {}).items()),
                None if function_filter is None else _hashable(vars(function_filter)),
                tuple((fn_resolvers or {}).items()),
            )
            hash(key)
        except TypeError:
            return original(validators, function_filter, fn_resolvers)
        cls = classes.get(key)
        if cls is None:
            if len(classes) > 4096:
                classes.clear()
            cls = classes[key] = original(validators, function_filter, fn_resolvers)
        return cls

    create._cdk_audit_memo = True  # type: ignore[attr-defined]  # marks the memo as active
    fields = _cached_fields()
    users = (cfnlint.context.context, cfnlint.jsonschema._filter, _cfn_validators)
    modules = [m for m in users if getattr(m, "fields", None) is dataclasses.fields]
    context_cls = cfnlint.context.context.Context
    module_names = context_cls.__dict__.get("module_names")
    _cfn_validators.create = create
    for m in modules:
        m.fields = fields
    if isinstance(module_names, functools.cached_property):
        context_cls.module_names = property(_module_names)
    try:
        yield
    finally:
        _cfn_validators.create = original
        for m in modules:
            m.fields = dataclasses.fields
        if module_names is not None:
            context_cls.module_names = module_names


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _cached_fields() -> Callable[[Any], tuple[dataclasses.Field[Any], ...]]:
    by_class: dict[type, tuple[dataclasses.Field[Any], ...]] = {}

    def fields(class_or_instance: Any) -> tuple[dataclasses.Field[Any], ...]:
        if not isinstance(class_or_instance, type):
            return dataclasses.fields(class_or_instance)
        cached = by_class.get(class_or_instance)
        if cached is None:
            cached = by_class[class_or_instance] = dataclasses.fields(class_or_instance)
        return cached

    return fields


_MODULE_NAMES: dict[int, tuple[Any, tuple[str, ...]]] = {}


def _module_names(context: Any) -> tuple[str, ...]:
    """``Context.module_names``, computed once per template rather than per context.

    cfn-lint caches it on each ``Context``, but evolves a new context at every step
    down a template, so each one scans every resource again: quadratic (12% of a
    2,000-resource run). Every context of a template shares one ``resources`` map.
    """
    resources = context.resources
    hit = _MODULE_NAMES.get(id(resources))
    if hit is not None and hit[0] is resources:
        return hit[1]
    names = tuple(
        name
        for name, resource in resources.items()
        if resource.type.endswith("::MODULE") or resource.type.startswith("AWS::Serverless::")
    )
    if len(_MODULE_NAMES) > 64:
        _MODULE_NAMES.clear()
    _MODULE_NAMES[id(resources)] = (resources, names)
    return names


_CONDITIONS_CACHE: dict[str, Any] = {}
_CONDITIONS_CACHE_MAX = 256


def _shared_conditions(cfn: Any) -> Any:
    """cfn-lint's ``Conditions`` for ``cfn``, shared between identical sections."""
    tpl = cfn.template
    try:
        key = json.dumps([tpl.get("Conditions"), tpl.get("Parameters"), tpl.get("Rules")], default=repr)
    except (TypeError, ValueError, RecursionError):  # unusual keys: build it, do not share it
        return cfnlint.conditions.Conditions(cfn)
    cached = _CONDITIONS_CACHE.get(key)
    if cached is None:
        if len(_CONDITIONS_CACHE) >= _CONDITIONS_CACHE_MAX:
            _CONDITIONS_CACHE.clear()
        cached = _CONDITIONS_CACHE[key] = cfnlint.conditions.Conditions(cfn)
    return cached


_LAZY = frozenset({"transform_pre", "conditions", "graph", "context"})


class LazyTemplate(Template if FAST_PATH else object):  # type: ignore[misc]
    """cfn-lint's ``Template`` with its costly parts built on first use.

    Same attributes, same values: ``conditions``, ``graph``, ``context`` and
    ``transform_pre`` are computed exactly as ``Template.__init__`` computes them, only
    later (or never). Only for templates without a ``Transform`` (a transform rewrites
    the template and rebuilds those parts itself).
    """

    def __init__(
        self,
        filename: str | None,
        template: dict[str, Any],
        regions: list[str] | None = None,
        parameter_sets: list[Any] | None = None,
    ) -> None:
        # Deliberately not calling Template.__init__: it builds everything eagerly.
        self.regions = regions or [cfnlint.helpers.REGION_PRIMARY]
        self.filename = filename
        self.template = template
        self.yaml_aliases = list(getattr(template, "yaml_aliases", []))
        self._parameter_sets = parameter_sets
        self.search_deep_keys = functools.lru_cache()(self.search_deep_keys)  # type: ignore[has-type]

    def __getattr__(self, name: str) -> Any:  # only called for attributes not yet set
        if name not in _LAZY or name in self.__dict__.setdefault("_building", set()):
            raise AttributeError(name)  # as Template would while it is still building that part
        self._building.add(name)
        try:
            if name == "transform_pre":
                # Filled in place, key by key and with the unwrapped search, as
                # Template.__init__ does (the search itself reads transform_pre["Globals"]).
                pre: dict[str, Any] = self.__dict__.setdefault("transform_pre", {"Globals": {}})
                search = functools.partial(Template.search_deep_keys, self)
                for key in ("Ref", "Fn::Sub", "Fn::If", "Fn::FindInMap"):
                    pre[key] = search(key)
                pre["Transform"] = cfnlint.helpers.ensure_list(self.template.get("Transform", []))
                pre["Fn::ForEach"] = search(cfnlint.helpers.FUNCTION_FOR_EACH)
                return pre
            if name == "conditions":
                value: Any = _shared_conditions(self)
            elif name == "graph":
                self.__dict__["graph"] = None  # Template sets it before building the graph
                value = _graph(self)
            else:
                value = create_context_for_template(self)
                if self.__dict__.get("_parameter_sets"):
                    value = value.evolve(parameter_sets=self._parameter_sets)
            self.__dict__[name] = value
            return value
        finally:
            self._building.discard(name)

    def get_valid_getatts(self) -> Any:
        # cfn-lint rebuilds this from every resource on each Fn::GetAtt it checks:
        # quadratic in the template's size (18% of a 2,000-resource run). It depends only
        # on the resources and regions, which never change here; callers only read it.
        cached = self.__dict__.get("_valid_getatts")
        if cached is None:
            cached = self.__dict__["_valid_getatts"] = super().get_valid_getatts()
        return cached


def _graph(cfn: Any) -> Any:
    try:  # Template.__init__ swallows the same errors and leaves graph None
        return Graph(cfn)
    except Exception:
        return None
