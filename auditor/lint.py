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
- ``_narrowing``: GetAtt (E1010) and DependsOn (E3005) list every resource of the
  template for each value they check (quadratic); a value naming a resource is checked
  against a context holding only that resource, with the same result.
- ``_schemas_on_first_use``: building the built-in rules parsed 14 MB of JSON (the
  instance-class tables of RDS, EC2 and more, by region); each rule now reads its
  schema file when it first runs, so a template without such resources never pays.
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

import bisect
import dataclasses
import functools
import gc
import hashlib
import inspect
import json
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
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
#: cfn-lint minor releases whose internals the fast path was checked against (the parity
#: test, fast path forced, on 1.54.0, 1.55.0/.1, 1.56.0/.3, 1.57.0/.2, 1.58.0). Not 1.53:
#: its ``Context.module_names`` counts only ``::MODULE`` resources, and ``_module_names``
#: below is 1.54+'s definition (also ``AWS::Serverless::``), so a SAM resource in a
#: template without the transform loses E1010/E6101 matches. Not 1.50-1.52: parity held,
#: but ``module_names`` is absent (1.50) or a plain field (1.51, 1.52), which
#: ``tests/test_lint_adapter.py`` does not expect.
FAST_PATH_VERSIONS = ("1.54", "1.55", "1.56", "1.57", "1.58")


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
        from cfnlint.context.conditions import Unsatisfiable as _Unsatisfiable
        from cfnlint.decode.cfn_yaml import CfnFullLoader as _CfnFullLoader
        from cfnlint.decode.cfn_yaml import NodeConstructor as _NodeConstructor
        from cfnlint.decode.cfn_yaml import SafeConstructor as _SafeConstructor  # PyYAML's, as cfn-lint uses it
        from cfnlint.decode.node import dict_node as _dict_node
        from cfnlint.graph import Graph
        from cfnlint.helpers import ensure_list as _ensure_list
        from cfnlint.helpers import is_function as _is_function
        from cfnlint.helpers import load_resource as _load_resource
        from cfnlint.jsonschema import ValidationError as _ValidationError
        from cfnlint.jsonschema._keywords import enum as _ENUM
        from cfnlint.jsonschema._utils import Unset as _Unset
        from cfnlint.jsonschema._utils import equal as _EQUAL
        from cfnlint.rules.helpers import get_value_from_path as _get_value_from_path
        from cfnlint.rules.jsonschema.CfnLintJsonSchema import CfnLintJsonSchema as _CfnLintJsonSchema
        from cfnlint.runner.template.runner import _run_template_per_config
        from cfnlint.template.template import Template
    except ImportError:  # a forced fast path on a release that moved them: stay correct
        FAST_PATH = False


Decoded = tuple[Any, list[Match]]


def decode(path: Path) -> Decoded:
    """cfn-lint's decoder (JSON or YAML, every value knowing its line) on ``path``."""
    with _linear_yaml_maps(), _gc_paused():
        template, matches = _decode(str(path))
    return template, list(matches or [])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the block runs (as it was after).

    A decode allocates two nodes and two marks per value and frees none of them, so
    each young collection finds nothing and every full one walks the whole growing
    tree: on a 20,000-resource template the collector was 60% of the decode (13.4 s
    against 4.9 s without it), and its share grows with the template. Nothing is lost:
    a cycle made in the block is collected by the next collection after it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_YAML_MAP = "tag:yaml.org,2002:map"
_YAML_MERGE = "tag:yaml.org,2002:merge"


@contextmanager
def _linear_yaml_maps() -> Iterator[None]:
    """cfn-lint's YAML map constructor, without its quadratic duplicate-key search, while
    the block runs (restored on exit; a no-op off the fast path).

    cfn-lint compares each key of a mapping with every key before it (``for key_dup in
    mapping: if key_dup == key``), so decoding a template's ``Resources`` grows with the
    square of its resources (30% of a 5,000-resource scan). ``_yaml_map`` finds the
    same duplicates by hashing: when a mapping has none (no equal keys, no ``None`` or
    unhashable key, no merge key) cfn-lint's loop would find nothing and the result is
    built exactly as cfn-lint builds it; otherwise cfn-lint's own constructor runs, so
    every parse error stays cfn-lint's, word for word.
    """
    table = _CfnFullLoader.__dict__.get("yaml_constructors")
    original = table.get(_YAML_MAP) if isinstance(table, dict) else None
    if not FAST_PATH or original is not _NodeConstructor.construct_yaml_map:  # off, moved, or already active
        yield
        return
    assert isinstance(table, dict)
    table[_YAML_MAP] = _yaml_map
    try:
        yield
    finally:
        table[_YAML_MAP] = original


def _yaml_map(loader: Any, node: Any) -> Any:
    pairs = node.value
    if (
        len(pairs) < _KEY_INDEX_MIN
        or getattr(node, "using_merge", False)
        or any(key_node.tag == _YAML_MERGE for key_node, _ in pairs)
    ):
        return _NodeConstructor.construct_yaml_map(loader, node)
    loader.flatten_mapping(node)  # as cfn-lint does first (without merge keys: tags only)
    seen: set[Any] = set()
    for key_node, value_node in node.value:  # constructed in cfn-lint's order (same errors first)
        key = loader.construct_object(key_node, False)
        loader.construct_object(value_node, False)
        try:
            if key is None or key in seen:
                return _NodeConstructor.construct_yaml_map(loader, node)  # cfn-lint's error, exactly
            seen.add(key)
        except TypeError:  # unhashable: cfn-lint reports it
            return _NodeConstructor.construct_yaml_map(loader, node)
    (obj,) = _SafeConstructor.construct_yaml_map(loader, node)
    return _dict_node(obj, node.start_mark, node.end_mark, getattr(node, "using_merge", False))


def known_regions() -> tuple[str, ...]:
    """The regions cfn-lint validates against (its schemas ship for these), plus
    ``ALL_REGIONS``, which cfn-lint reads as every one of them."""
    import cfnlint.helpers  # a public module, but reached only from this adapter

    return (*cfnlint.helpers.REGIONS, "ALL_REGIONS")


def decode_text(text: str) -> Decoded:
    """cfn-lint's decoder on a file's content (as ``open(path, encoding="utf-8")`` reads
    it): the same template as ``decode(path)`` (a file's name appears only in error
    messages; for those, decode the file itself)."""
    with _linear_yaml_maps(), _gc_paused():
        template, matches = decode_str(text)
    return template, list(matches or [])


@functools.cache
def builtin_rules() -> dict[str, CloudFormationLintRule]:
    """cfn-lint's built-in rules by id (loaded once per process)."""
    return dict(_builtin_collection().data)


def _builtin_collection() -> Rules:
    with _schemas_on_first_use():
        rules = Rules.create_from_directory(str(Path(cfnlint.rules.__file__).parent))
    for rule in rules.data.values():
        load_unguarded_schemas(rule)
    return rules


def load_unguarded_schemas(rule: Any) -> None:
    """Read now each deferred schema of ``rule`` that no ``_SchemaOnFirstUse`` would read
    on first use (a rule class of a future cfn-lint that keeps it elsewhere)."""
    for name, value in list(vars(rule).items()):
        if isinstance(value, _DeferredSchema) and not _guarded(rule, name):
            vars(rule)[name] = value.load()


class _DeferredSchema:
    """A schema file of cfn-lint's, read when a rule first uses it (``_schemas_on_first_use``)."""

    __slots__ = ("filename", "package")

    def __init__(self, package: Any, filename: str = "us-east-1.json") -> None:  # load_resource's signature
        self.package, self.filename = package, filename

    def load(self) -> Any:
        return _load_resource(self.package, filename=self.filename)


class _SchemaOnFirstUse:
    """``CfnLintJsonSchema._schema``: the instance's own value, a deferred one read on first get."""

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            value = obj.__dict__["_schema"]
        except KeyError:
            raise AttributeError("_schema") from None
        if isinstance(value, _DeferredSchema):
            value = obj.__dict__["_schema"] = value.load()
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__["_schema"] = value


if FAST_PATH and "_schema" not in vars(_CfnLintJsonSchema):
    _CfnLintJsonSchema._schema = _SchemaOnFirstUse()


def _guarded(rule: Any, name: str) -> bool:
    return name == "_schema" and isinstance(inspect.getattr_static(type(rule), "_schema", None), _SchemaOnFirstUse)


@contextmanager
def _schemas_on_first_use() -> Iterator[None]:
    """While cfn-lint builds its rules: each JSON-schema rule's schema file is read when the
    rule first runs, not when it is built (a no-op off the fast path).

    Building the 329 built-in rules parsed 14 MB of JSON, 0.2 s of the 0.36 s it took:
    mostly the instance-class tables of RDS, EC2 and other services, by region, which a
    rule needs only on a template with such a resource. A template's findings are the
    same (the rule reads the same file, later); a run that lints one template (one of a
    cached app changed) no longer pays for tables it never uses.
    """
    module = sys.modules.get("cfnlint.rules.jsonschema.CfnLintJsonSchema")
    if not FAST_PATH or module is None or getattr(module, "load_resource", None) is not _load_resource:
        yield
        return
    setattr(module, "load_resource", _DeferredSchema)  # noqa: B010 (a module's global, not typed)
    try:
        yield
    finally:
        setattr(module, "load_resource", _load_resource)  # noqa: B010


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
    with (
        _cheap_uniqueness_compares(rules),
        _indexed_subnet_overlaps(rules),
        _narrowed_lookups(rules),
        _keyword_dispatch(rules),
    ):
        yield from _dedup(_run_template_per_config(cfn, config, rules))


#: cfn-lint's rule that compares every pair of same-type resources' primary identifiers
_UNIQUENESS_RULE = "E3019"


@contextmanager
def _cheap_uniqueness_compares(rules: Rules) -> Iterator[None]:
    """E3019 with a cheap ``equal`` while the block runs (its own is restored after).

    E3019 compares each resource's primary identifiers with those of every earlier
    resource of its type (``for seen in seens: if equal(seen.instance, ...)``): k² calls
    of cfn-lint's ``equal`` for k log groups named in the template, each a recursive walk.
    The loop stays (it is cfn-lint's; the count of comparisons does not change) but each
    comparison becomes a lookup and a tuple comparison (``_canonical_equal``).
    """
    rule = rules.data.get(_UNIQUENESS_RULE) if FAST_PATH else None
    method = getattr(type(rule), "_validate_resource_type_uniqueness", None)
    names = getattr(method, "__globals__", None)
    if not isinstance(names, dict) or names.get("equal") is not _EQUAL:
        yield
        return
    canonical: dict[int, tuple[Any, Any]] = {}
    names["equal"] = functools.partial(_canonical_equal, canonical)
    try:
        yield
    finally:
        names["equal"] = _EQUAL


#: cfn-lint's rule that compares every subnet's CIDR with every earlier subnet's of its VPC
_SUBNET_RULE = "E3060"


@contextmanager
def _indexed_subnet_overlaps(rules: Rules) -> Iterator[None]:
    """E3060 with its subnets indexed by address while the block runs.

    E3060 (``VpcSubnetOverlap.validate``) walks every earlier subnet of the VPC for each
    subnet, evolving a validator and a context for each pair before it compares the two
    CIDRs: k² for k subnets (2,500 in a 20,000-resource template). ``_subnet_overlaps``
    is that method, line for line, except that the walk visits only the earlier subnets
    it could report: every one saved under conditions (cfn-lint's own code decides
    those), and the unconditioned ones whose CIDR overlaps (found in an index). For an
    unconditioned one, cfn-lint's evolving cannot fail (no conditions to pin) and only
    an overlap yields anything, so skipping the others changes nothing.
    """
    rule = rules.data.get(_SUBNET_RULE) if FAST_PATH else None
    if type(rule).__name__ != "VpcSubnetOverlap" or not callable(getattr(rule, "_create_network", None)):
        yield
        return
    rule.validate = functools.partial(_subnet_overlaps, rule)  # type: ignore[union-attr]
    try:
        yield
    finally:
        del rule.validate  # type: ignore[union-attr]


def _subnet_overlaps(rule: Any, validator: Any, keywords: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """cfn-lint 1.58's ``VpcSubnetOverlap.validate``, walking ``_SubnetIndex.candidates``."""
    for vpc_id, vpc_validator in _get_value_from_path(validator=validator, instance=instance, path=deque(["VpcId"])):
        if not isinstance(vpc_id, str | dict):
            return
        fn_k, fn_v = _is_function(vpc_id)
        if fn_k == "Fn::GetAtt":
            vpc_id = _ensure_list(fn_v)[0].split(".")[0]
        elif fn_k == "Ref":
            vpc_id = fn_v
        elif fn_k:
            return  # a function that cannot be resolved
        if not validator.is_type(vpc_id, "string"):
            return
        if vpc_id not in rule._subnets:
            rule._subnets[vpc_id] = []
        saved = _SubnetIndex.of(rule, vpc_id)
        for key in ["CidrBlock", "Ipv6CidrBlock"]:
            for cidr_block, cidr_block_validator in _get_value_from_path(
                validator=vpc_validator, instance=instance, path=deque([key])
            ):
                cidr_network = rule._create_network(cidr_block)
                if not cidr_network:
                    continue
                for saved_subnet, conditions in saved.candidates(cidr_network):
                    try:
                        cidr_block_validator.evolve(
                            context=cidr_block_validator.context.evolve(
                                conditions=cidr_block_validator.context.conditions.evolve(conditions)
                            )
                        )
                    except _Unsatisfiable:
                        continue
                    if rule._validate_subnets(cidr_network, saved_subnet):
                        yield _ValidationError(
                            f"{str(cidr_network)!r} overlaps with {str(saved_subnet)!r}",
                            rule=rule,
                            path=deque(list(cidr_block_validator.context.path.path)[1:]),
                        )
                saved.append((cidr_network, cidr_block_validator.context.conditions.status))


class _SubnetIndex:
    """One VPC's saved subnets (``rule._subnets[vpc]``, which it appends to), indexed:
    CIDR blocks either nest or are disjoint, so the blocks overlapping N are those that
    contain N's first address at a prefix no longer than N's, and those that start
    inside N at a longer prefix."""

    def __init__(self, subnets: list[Any]) -> None:
        self.subnets = subnets
        self.size = 0  # entries indexed
        self.conditional: list[int] = []  # positions saved under conditions
        self.at: dict[tuple[int, int, int], list[int]] = {}  # (version, prefix, first address) -> positions
        self.starts: dict[tuple[int, int], list[int]] = {}  # (version, prefix) -> sorted first addresses
        for position, entry in enumerate(subnets):
            self._index(position, entry)

    @classmethod
    def of(cls, rule: Any, vpc_id: Any) -> _SubnetIndex:
        subnets = rule._subnets[vpc_id]
        indexes: dict[int, _SubnetIndex] = rule.__dict__.setdefault("_cdk_audit_subnet_index", {})
        index = indexes.get(id(subnets))
        if index is None or index.subnets is not subnets or index.size != len(subnets):
            if len(indexes) > 1024:
                indexes.clear()
            index = indexes[id(subnets)] = cls(subnets)
        return index

    def append(self, entry: Any) -> None:
        self.subnets.append(entry)
        self._index(len(self.subnets) - 1, entry)

    def _index(self, position: int, entry: Any) -> None:
        self.size += 1
        network, conditions = entry
        if conditions:
            self.conditional.append(position)
            return
        first = int(network.network_address)
        self.at.setdefault((network.version, network.prefixlen, first), []).append(position)
        bisect.insort(self.starts.setdefault((network.version, network.prefixlen), []), first)

    def candidates(self, network: Any) -> list[Any]:
        """The saved entries, in saving order, that cfn-lint's walk could report for ``network``."""
        version, prefix = network.version, network.prefixlen
        first, last = int(network.network_address), int(network.broadcast_address)
        width = network.max_prefixlen
        found = list(self.conditional)
        for (v, p), starts in self.starts.items():
            if v != version:
                continue
            if p <= prefix:  # a block as big or bigger: it holds our first address
                start = first >> (width - p) << (width - p)
                found.extend(self.at.get((v, p, start), ()))
            else:  # a smaller block: it starts inside ours
                lo, hi = bisect.bisect_left(starts, first), bisect.bisect_right(starts, last)
                for start in dict.fromkeys(starts[lo:hi]):
                    found.extend(self.at[(v, p, start)])
        return [self.subnets[i] for i in sorted(found)]


_NOT_PLAIN = object()


def _canonical_equal(cache: dict[int, tuple[Any, Any]], one: Any, two: Any) -> bool:
    """cfn-lint's ``equal(one, two)``, by comparing canonical forms where both have one.

    On values built only of dicts, lists and strings that are not boolean words
    (``true``/``false``: ``equal`` compares those as booleans) and do not start with
    ``[`` or ``{`` (``equal`` compares a string with a container as ``str(a) == str(b)``),
    ``equal`` is plain structural equality: dicts by keys and equal values, lists by
    length and equal items, strings by text. Anything else is cfn-lint's ``equal``.
    """
    a, b = _canonical(cache, one), _canonical(cache, two)
    if a is _NOT_PLAIN or b is _NOT_PLAIN:
        return bool(_EQUAL(one, two))
    return bool(a == b)


def _canonical(cache: dict[int, tuple[Any, Any]], value: Any) -> Any:
    hit = cache.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    form = _canonical_form(value)
    if isinstance(value, dict | list):  # the objects E3019 keeps comparing; held, so ids stay theirs
        if len(cache) > 100_000:
            cache.clear()
        cache[id(value)] = (value, form)
    return form


def _canonical_form(value: Any) -> Any:
    if isinstance(value, str):
        if value.lower() in _BOOLEAN_WORDS or value.startswith(("[", "{")):
            return _NOT_PLAIN
        return ("s", str(value))
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            form = _canonical_form(v)
            if form is _NOT_PLAIN:
                return _NOT_PLAIN
            items.append((k, form))
        return ("d", frozenset(items))
    if isinstance(value, list | tuple):
        forms = tuple(_canonical_form(v) for v in value)
        return _NOT_PLAIN if any(f is _NOT_PLAIN for f in forms) else ("l", forms)
    return _NOT_PLAIN


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
    - the JSON-schema ``enum`` keyword compares a value with each allowed one in
      Python; cfn-lint checks every ``Ref`` against an enum of every parameter and
      resource, and every ``Fn::GetAtt`` against one of every resource, so that is
      quadratic in the template's size (see ``_fast_enum``). That ``Ref`` enum is
      ``Context.refs``, a new list of every name per ``Ref``: built once per set of
      names instead (``_refs``).

    Restored on exit, so plain cfn-lint in the same process is untouched. A no-op off
    the fast path.
    """
    if not FAST_PATH or getattr(_cfn_validators.create, "_cdk_audit_memo", False):  # off, or already active
        yield
        return
    original = _cfn_validators.create
    classes: dict[Any, Any] = {}

    def create(validators: Any = None, function_filter: Any = None, fn_resolvers: Any = None) -> Any:
        if isinstance(validators, Mapping) and (fast := _fast_enum(validators.get("enum"))) is not None:
            validators = {**validators, "enum": fast}
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
    refs = context_cls.__dict__.get("refs")
    _cfn_validators.create = create
    # A validator made without a template (``extend(...)(schema)``, once per resource and
    # property check) gets ``Template(None, {})`` and usually swaps it for the real one at
    # once: building its graph and condition solver was 4% of a big run. The lazy
    # template has the same values and builds them only if asked (``LazyTemplate``).
    default_template = getattr(_cfn_validators, "Template", None)
    if default_template is Template:
        _cfn_validators.Template = LazyTemplate
    for m in modules:
        m.fields = fields
    if isinstance(module_names, functools.cached_property):
        context_cls.module_names = property(_module_names)
    if isinstance(refs, property) and refs.fget is not None:
        context_cls.refs = property(functools.partial(_refs, refs.fget))
    try:
        yield
    finally:
        _cfn_validators.create = original
        if default_template is Template:
            _cfn_validators.Template = Template
        for m in modules:
            m.fields = dataclasses.fields
        _ENUM_INDEXES.clear()
        _FAST_ENUMS.clear()
        if module_names is not None:
            context_cls.module_names = module_names
        if refs is not None:
            context_cls.refs = refs
        _REFS.clear()


#: cfn-lint's rule that runs its child rules on each ``cfnLint`` keyword of a schema
_KEYWORD_RULE = "E1101"


@contextmanager
def _keyword_dispatch(rules: Rules) -> Iterator[None]:
    """E1101 finding its child rules by keyword while the block runs.

    ``CfnLint.cfnLint`` runs for every value whose schema names ``cfnLint`` keywords,
    and for each keyword walks every child rule and each of its keywords to find the
    ones that match (about 10% of a big run, in that loop alone). ``_dispatching`` is
    that method with the walk done once: the same rules, in the same order, the same
    number of times, for each keyword."""
    rule = rules.data.get(_KEYWORD_RULE) if FAST_PATH else None
    cls: Any = type(rule)
    method = cls.__dict__.get("cfnLint")
    if cls.__name__ != "CfnLint" or not callable(method) or hasattr(method, "_cdk_audit_dispatch"):
        yield
        return
    cls.cfnLint = _dispatching
    try:
        yield
    finally:
        cls.cfnLint = method


def _dispatching(self: Any, validator: Any, keywords: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``CfnLint.cfnLint``, its nested search replaced by ``_by_keyword`` (the method is the
    same in cfn-lint 1.54, 1.55 and 1.58, the releases compared; ``tests/test_scale.py``
    and ``tests/test_builtin_parity.py`` compare results on the installed one)."""
    validator = validator.evolve(function_filter=validator.function_filter.evolve(add_cfn_lint_keyword=False))
    index = _by_keyword(self)
    for keyword in keywords:
        for rule in index.get(keyword, ()):
            for err in rule.validate(validator, keyword, instance, schema):
                if err.rule is None and isinstance(err.validator, _Unset):
                    err.rule = rule
                yield err


_dispatching._cdk_audit_dispatch = True  # type: ignore[attr-defined]


def _by_keyword(rule: Any) -> dict[Any, list[Any]]:
    """Keyword -> the child rules that take it, in ``child_rules`` order, a rule once per
    time it lists the keyword (as cfn-lint's loop visits them). Rebuilt whenever the
    children change (cfn-lint re-links them at the start of each template's run)."""
    children = tuple(rule.child_rules.values())
    kept = rule.__dict__.get("_cdk_audit_by_keyword")
    index: dict[Any, list[Any]]
    if kept is not None and kept[0] == children:
        index = kept[1]
        return index
    index = {}
    for child in children:
        if child is None or not child.id:
            continue
        for keyword in child.keywords:
            index.setdefault(keyword, []).append(child)
    rule.__dict__["_cdk_audit_by_keyword"] = (children, index)
    return index


#: rule methods that list every resource of the template for each value they check:
#: (rule id, class name, method)
_NARROWED = (("E1010", "GetAtt", "_resolve_getatt"), ("E3005", "DependsOn", "validate"))


@contextmanager
def _narrowed_lookups(rules: Rules) -> Iterator[None]:
    """GetAtt (E1010) and DependsOn (E3005) through ``_narrowing`` while the block runs.

    cfn-lint loads its rules from their files, so their classes are reached through the
    rule objects (restored on exit, as the other per-rule levers are)."""
    patched = []
    for rule_id, class_name, name in _NARROWED if FAST_PATH else ():
        cls = type(rules.data.get(rule_id))
        method = cls.__dict__.get(name)
        if cls.__name__ == class_name and callable(method) and not hasattr(method, "_cdk_audit_narrowed"):
            patched.append((cls, name, method))
            setattr(cls, name, _narrowing(method, name))
    try:
        yield
    finally:
        for cls, name, method in patched:
            setattr(cls, name, method)


def _narrowing(method: Callable[..., Iterator[Any]], name: str) -> Callable[..., Iterator[Any]]:
    """``method`` (``GetAtt._resolve_getatt`` or ``DependsOn.validate``), run with a
    context whose ``resources`` hold only the resource named, when that is a resource of
    the template: the same errors, in O(1) instead of O(resources).

    Both methods check a name against ``list(validator.context.resources)``, built anew
    for every ``Fn::GetAtt`` and ``DependsOn`` value (and a ``GetAtt`` is checked many
    times, once per schema branch): quadratic in the template's size (10% of a
    20,000-resource run). For a plain string naming a resource (not the resource
    itself, for ``DependsOn``; not under a module or SAM prefix, which both skip), the
    check passes with either list, and the rest of each method reads only that
    resource (``resources[name]``) and the template; every other value (a missing
    name, an intrinsic function, a module's resource) runs against the whole context,
    so each error and its message (which lists every resource) is cfn-lint's.
    """
    getatt = name == "_resolve_getatt"

    @functools.wraps(method)
    def narrowed(self: Any, validator: Any, *args: Any) -> Iterator[Any]:
        context = validator.context
        resources = context.resources
        if getatt:  # (validator, key, value, instance, s, paths)
            value = args[1]
            named = value[0] if isinstance(value, list) and value else None
        else:  # (validator, s, instance, schema)
            named = args[1]
            path = context.path.path
            if len(path) > 1 and path[1] == named:  # DependsOn on itself: cfn-lint's error
                named = None
        if (
            isinstance(named, str)
            and isinstance(resources, dict)
            and len(resources) > 1
            and named in resources
            and not any(named.startswith(m) and named != m for m in context.module_names)
        ):
            validator = validator.evolve(context=context.evolve(resources={named: resources[named]}))
        return method(self, validator, *args)

    narrowed._cdk_audit_narrowed = True  # type: ignore[attr-defined]
    return narrowed


#: enums at least this long are looked up in a set (shorter ones: cfn-lint's loop is cheaper)
_ENUM_INDEX_MIN = 64
_ENUM_INDEXES: dict[tuple[Any, ...], tuple[list[Any], frozenset[str] | None]] = {}
_FAST_ENUMS: dict[Any, Callable[..., Iterator[Any]]] = {}
_BOOLEAN_WORDS = ("true", "false")
#: cfn-lint rules whose ``enum`` keyword yields only what cfn-lint's ``enum`` yields
#: (E3030 hands parameters' values to W2030, which re-labels the same errors)
_ENUM_RULES = frozenset({"E3030", "W2030"})


def _fast_enum(keyword: Any) -> Callable[..., Iterator[Any]] | None:
    """``keyword`` (a validator's ``enum`` function) with a set lookup in front, or None
    for a function this was not checked against. One wrapper per function, so
    memoized validator classes stay shared.

    cfn-lint's ``enum`` yields nothing when ``equal(instance, each)`` holds for some
    allowed value, and ``equal`` compares two strings as ``str(a) == str(b)`` unless
    either one is ``true``/``false`` (any case), which compare as booleans. So when
    ``instance`` and every allowed value are strings and none of them is a boolean word,
    ``instance`` is allowed exactly when it is in the set of allowed values, and nothing
    is yielded. Everything else, and every value that is not allowed (its message lists
    the enum), goes through the function itself. E3030 and W2030 call that same
    ``enum`` (W2030 re-labels its errors), so they yield nothing then too.
    """
    if keyword is None or isinstance(keyword, _FastEnum):
        return None
    known = keyword is _ENUM or (
        getattr(getattr(keyword, "__self__", None), "id", None) in _ENUM_RULES
        and getattr(keyword, "__name__", None) == "enum"
        and getattr(getattr(keyword, "__func__", None), "__globals__", {}).get("enum") is _ENUM
    )
    if not known:
        return None
    try:
        fast = _FAST_ENUMS.get(keyword)
        if fast is None:
            fast = _FAST_ENUMS[keyword] = _FastEnum(keyword)
    except TypeError:  # unhashable: leave it alone
        return None
    return fast


class _FastEnum:
    __slots__ = ("keyword",)

    def __init__(self, keyword: Callable[..., Iterator[Any]]) -> None:
        self.keyword = keyword

    def __call__(self, validator: Any, enums: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if isinstance(instance, str) and instance.lower() not in _BOOLEAN_WORDS:
            allowed = _enum_index(enums)
            if allowed is not None and instance in allowed:
                return iter(())
        return self.keyword(validator, enums, instance, schema)


def _enum_index(enums: Any) -> frozenset[str] | None:
    """The set of a long enum of plain strings (None: short, or not only such strings).

    cfn-lint builds these lists afresh for each value it checks (``Context.refs``,
    ``list(context.resources)``), so they are indexed by content: a cached copy is
    reused when it equals ``enums`` element by element (the same string objects, so
    the comparison is cheap); the set is built only when the list is new.
    """
    if not isinstance(enums, list) or len(enums) < _ENUM_INDEX_MIN:
        return None
    first, last = enums[0], enums[-1]
    if not isinstance(first, str) or not isinstance(last, str):
        return None
    key = (len(enums), first, last)
    hit = _ENUM_INDEXES.get(key)
    if hit is not None and hit[0] == enums:
        return hit[1]
    plain = all(isinstance(e, str) and e.lower() not in _BOOLEAN_WORDS for e in enums)
    if len(_ENUM_INDEXES) >= 16:
        _ENUM_INDEXES.clear()
    _ENUM_INDEXES[key] = (list(enums), frozenset(enums) if plain else None)
    return _ENUM_INDEXES[key][1]


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
    if len(resources) <= 1:  # a narrowed context (``_narrowing``): cheap, and new each time, so never cached
        return _modules_of(resources)
    hit = _MODULE_NAMES.get(id(resources))
    if hit is not None and hit[0] is resources:
        return hit[1]
    names = _modules_of(resources)
    if len(_MODULE_NAMES) > 64:
        _MODULE_NAMES.clear()
    _MODULE_NAMES[id(resources)] = (resources, names)
    return names


def _modules_of(resources: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        name
        for name, resource in resources.items()
        if resource.type.endswith("::MODULE") or resource.type.startswith("AWS::Serverless::")
    )


_REFS: dict[tuple[int, ...], tuple[tuple[Any, ...], tuple[int, ...], list[str]]] = {}


def _refs(build: Callable[[Any], list[str]], context: Any) -> list[str]:
    """``Context.refs`` (every parameter, resource, pseudo parameter and resolved ref
    name, in that order), built once per set of those names rather than per ``Ref``.

    Every context of a template shares its ``parameters`` and ``resources`` maps, and
    a context never changes them; the cache keeps the maps it was built from (so an id
    is never reused while cached) and their sizes. Its one reader, the ``refs``
    ``dynamicValidation`` keyword, only reads the list.
    """
    parts = (context.parameters, context.resources, context.pseudo_parameters, context.ref_values)
    if len(context.resources) <= 1:  # a narrowed context (``_narrowing``): new each time, so never cached
        return build(context)
    key = tuple(id(p) for p in parts)
    sizes = tuple(len(p) for p in parts)
    hit = _REFS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], parts, strict=True)) and hit[1] == sizes:
        return hit[2]
    value = build(context)
    if len(_REFS) > 64:
        _REFS.clear()
    _REFS[key] = (parts, sizes, value)
    return value


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
#: mappings at least this big are searched through a key index (smaller ones: a scan is cheaper)
_KEY_INDEX_MIN = 32
_MISSING = object()


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

    def get_location_yaml(self, text: Any, path: Any) -> Any:
        # cfn-lint finds the key a match points at by comparing it with every key of its
        # mapping (``for key in text: if key == path[0]``): a match on a resource
        # (``["Resources", id]``) scans every resource, quadratic in the template's size.
        # In a dict at most one key equals ``path[0]`` and hashing finds that same key, so
        # big mappings look it up in a key index instead; anything else (lists, small or
        # odd mappings, unhashable keys) goes through cfn-lint's own code unchanged.
        if not path or not isinstance(text, dict) or len(text) < _KEY_INDEX_MIN:
            return super().get_location_yaml(text, path)
        try:
            key = self._stored_key(text, path[0])
        except TypeError:  # an unhashable path element: cfn-lint's scan decides
            return super().get_location_yaml(text, path)
        result = None
        if len(path) > 1:
            with suppress(KeyError, TypeError):  # as cfn-lint: a path into a missing key or a string
                result = self.get_location_yaml(text[path[0]], path[1:])
        if not result and key is not _MISSING:
            with suppress(AttributeError):  # a key without a position (an int key): as cfn-lint
                result = self._loc(key)
        return result

    def _stored_key(self, mapping: dict[Any, Any], wanted: Any) -> Any:
        """The key object of ``mapping`` equal to ``wanted`` (it carries the position), or
        ``_MISSING``; from an index of the mapping's keys built once per mapping."""
        indexes: dict[int, tuple[dict[Any, Any], int, dict[Any, Any]]] = self.__dict__.setdefault("_key_indexes", {})
        hit = indexes.get(id(mapping))
        if hit is None or hit[0] is not mapping or hit[1] != len(mapping):
            hit = indexes[id(mapping)] = (mapping, len(mapping), {k: k for k in mapping})
        key = hit[2].get(wanted, _MISSING)
        if key is _MISSING and wanted in mapping:  # the mapping changed since: index it again
            hit = indexes[id(mapping)] = (mapping, len(mapping), {k: k for k in mapping})
            key = hit[2].get(wanted, _MISSING)
        return key


def _graph(cfn: Any) -> Any:
    try:  # Template.__init__ swallows the same errors and leaves graph None
        return Graph(cfn)
    except Exception:
        return None
