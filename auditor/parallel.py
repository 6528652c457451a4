"""Linting many templates fast, with exactly cfn-lint's results.

Profiling ``cdk-audit scan`` over 113 synthesized templates showed where cfn-lint's
time goes, and each lever here removes a cost without changing a single match:

- ``LazyTemplate``: cfn-lint's ``Template`` builds its condition solver (sympy),
  dependency graph and validation context up front; for CDK templates the solver alone
  was ~15% of the run, because every template carries the same ``CDKMetadataAvailable``
  condition (an ``Fn::Or`` of ~30 region ``Fn::Equals``, pairwise constraints in
  sympy). Here each part is built on first use (our own checks never use them), and the
  solver is shared between templates whose Conditions/Parameters/Rules sections are
  identical (it is a pure function of those sections and never mutated after build).
- ``fast_cfn_lint``: cfn-lint's JSON-schema rules call ``Validator.extend`` per
  resource, and each call builds a brand-new dataclass (~1.5 ms of ``exec``; ~13% of
  the run): the classes are memoized on what defines them. Every step down a template
  ``evolve``s a context and a validator, each calling ``dataclasses.fields`` (~10%):
  looked up once per class.
- ``map_indexed``: templates are independent, so a ``fork`` pool spreads them over the
  cores; forked after rules and schemas are loaded and templates decoded, so workers
  start warm and nothing is pickled on the way in. Only worth it for enough work.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import cfnlint.conditions
import cfnlint.context.context
import cfnlint.helpers
import cfnlint.jsonschema._filter
import cfnlint.jsonschema.validators as _cfn_validators
from cfnlint.config import ConfigMixIn
from cfnlint.context import create_context_for_template
from cfnlint.graph import Graph
from cfnlint.match import Match
from cfnlint.rules import Rules
from cfnlint.runner.template.runner import _dedup, _run_template_per_config, run_template_by_data
from cfnlint.template.template import Template

T = TypeVar("T")
R = TypeVar("R")

#: estimated serial seconds of work below which a process pool costs more than it saves
MIN_PARALLEL_SECONDS = 1.0
#: rough cost per resource (measured on the corpus, 2 cores) to make that estimate
SECONDS_PER_RESOURCE = {"full": 0.008, "pack": 0.0003}

#: cfn-lint modules that call ``dataclasses.fields`` per value (imported by name)
_FIELDS_USERS = (cfnlint.context.context, cfnlint.jsonschema._filter, _cfn_validators)

_CONDITIONS_CACHE: dict[str, Any] = {}
_CONDITIONS_CACHE_MAX = 256


def _shared_conditions(cfn: Template) -> Any:
    """cfn-lint's ``Conditions`` for ``cfn``, shared between identical sections."""
    tpl = cfn.template
    try:
        key = json.dumps([tpl.get("Conditions"), tpl.get("Parameters"), tpl.get("Rules")], default=repr)
    except (TypeError, ValueError):  # unusual keys: build it, do not share it
        return cfnlint.conditions.Conditions(cfn)
    cached = _CONDITIONS_CACHE.get(key)
    if cached is None:
        if len(_CONDITIONS_CACHE) >= _CONDITIONS_CACHE_MAX:
            _CONDITIONS_CACHE.clear()
        cached = _CONDITIONS_CACHE[key] = cfnlint.conditions.Conditions(cfn)
    return cached


class LazyTemplate(Template):
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
        self.search_deep_keys = functools.lru_cache()(self.search_deep_keys)  # type: ignore[method-assign]

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


_LAZY = frozenset({"transform_pre", "conditions", "graph", "context"})


def _graph(cfn: Template) -> Graph | None:
    try:  # Template.__init__ swallows the same errors and leaves graph None
        return Graph(cfn)
    except Exception:
        return None


def lint_template(template: Any, config: ConfigMixIn, rules: Rules) -> Iterator[Match]:
    """``cfnlint.runner.template.runner.run_template_by_data``, with a ``LazyTemplate``."""
    if not isinstance(template, dict) or "Transform" in template:
        yield from run_template_by_data(template, config, rules)
        return
    config.set_template_args(template)
    cfn = LazyTemplate(None, template, config.regions, config.parameters)
    yield from _dedup(_run_template_per_config(cfn, config, rules))


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

    Restored on exit, so plain cfn-lint in the same process is untouched.
    """
    if getattr(_cfn_validators.create, "_cdk_audit_memo", False):  # already active (nested or forked)
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

    create._cdk_audit_memo = True  # type: ignore[attr-defined]
    fields = _cached_fields()
    modules = [m for m in _FIELDS_USERS if getattr(m, "fields", None) is dataclasses.fields]
    module_names = _CONTEXT.__dict__.get("module_names")
    _cfn_validators.create = create
    for m in modules:
        m.fields = fields  # type: ignore[attr-defined]
    if isinstance(module_names, functools.cached_property):
        _CONTEXT.module_names = property(_module_names)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        _cfn_validators.create = original
        for m in modules:
            m.fields = dataclasses.fields  # type: ignore[attr-defined]
        if module_names is not None:
            _CONTEXT.module_names = module_names  # type: ignore[method-assign]


_CONTEXT = cfnlint.context.context.Context
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


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def worth_parallel(resources: int, tasks: int, full: bool, jobs: int | None) -> int:
    """How many processes to use: 1 unless the work clearly outweighs a pool's start-up.

    ``jobs``: None or 0 for automatic, 1 to force serial, N to use up to N processes.
    """
    if jobs == 1 or tasks < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if jobs:
        return max(1, min(jobs, tasks))
    estimate = resources * SECONDS_PER_RESOURCE["full" if full else "pack"]
    if estimate < MIN_PARALLEL_SECONDS:
        return 1
    return max(1, min(default_jobs(), tasks))


_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run_one(i: int) -> tuple[int, Any]:
    assert _WORK is not None  # set by map_indexed before the fork
    fn, items = _WORK
    return i, fn(items[i])


def map_indexed(fn: Callable[[T], R], items: Sequence[T], jobs: int, weights: Sequence[float]) -> list[R]:
    """``[fn(x) for x in items]``, over ``jobs`` forked processes when ``jobs > 1``.

    Heaviest items go first so the last one to finish is a small one. ``fn`` and
    ``items`` reach the workers through the fork itself; only results are pickled.
    """
    if jobs <= 1 or len(items) < 2:
        return [fn(x) for x in items]
    global _WORK
    order = sorted(range(len(items)), key=lambda i: -weights[i])
    results: list[Any] = [None] * len(items)
    _WORK = (fn, items)
    gc.freeze()  # keep the parent's objects out of the children's GC: fewer copied pages
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for i, result in pool.imap_unordered(_run_one, order, chunksize=1):
                results[i] = result
    finally:
        gc.unfreeze()
        _WORK = None
    return results
