"""Resolving what a template really says: one module every check shares.

Synthesized templates wire resources together with ``Ref``, ``Fn::GetAtt``,
``Fn::Join``, ``Fn::Sub`` and ``Fn::ImportValue``. Checks that follow wiring ask this
module instead of each walking intrinsics its own way. Where a value cannot be known
at synth time (a parameter, a pseudo parameter, a condition) the answer is
``UNKNOWN`` and the check should stay silent rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
_SUB_VAR = re.compile(r"\$\{([^!}][^}]*)\}")


class _Unknown:
    """A value that cannot be known at synth time."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


def target(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at, else None.

    Pseudo parameters (``AWS::Region``) are not targets.
    """
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((key, arg),) = value.items()
    if key == "Ref" and isinstance(arg, str) and arg not in PSEUDO_PARAMETERS:
        return str(arg)
    if key == "Fn::GetAtt":
        if isinstance(arg, list) and arg and isinstance(arg[0], str):
            return str(arg[0])
        if isinstance(arg, str):
            return str(arg.split(".", 1)[0])
    return None


def getatt_attribute(value: Any) -> str | None:
    """The attribute name of a ``Fn::GetAtt`` (``Arn`` in ``[Bucket, Arn]``), else None."""
    if isinstance(value, Mapping) and len(value) == 1 and "Fn::GetAtt" in value:
        arg = value["Fn::GetAtt"]
        if isinstance(arg, list) and len(arg) >= 2 and isinstance(arg[1], str):
            return str(arg[1])
        if isinstance(arg, str) and "." in arg:
            return arg.split(".", 1)[1]
    return None


def references(value: Any) -> set[str]:
    """Every logical id that ``value`` refers to, at any depth (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    _collect_refs(value, found)
    return found


def _collect_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, Mapping):
        tgt = target(value)
        if tgt:
            found.add(tgt)
            return
        if len(value) == 1 and "Fn::Sub" in value:
            arg = value["Fn::Sub"]
            text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
            if not isinstance(variables, Mapping):
                variables = {}  # a malformed variables map (cfn-lint reports it): no names defined
            if isinstance(text, str):
                for name in _SUB_VAR.findall(text):
                    base = name.split(".", 1)[0]
                    if base not in PSEUDO_PARAMETERS and base not in variables:
                        found.add(base)
            for v in variables.values():
                _collect_refs(v, found)
            return
        for v in value.values():
            _collect_refs(v, found)
    elif isinstance(value, list):
        for v in value:
            _collect_refs(v, found)


def literal(value: Any) -> Any:
    """The plain value of ``value`` if it is known at synth time, else ``UNKNOWN``.

    Handles scalars, lists and maps of knowns, ``Fn::Join`` and ``Fn::Sub`` without
    variables. References, parameters, pseudo parameters and conditions are unknown.
    """
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list):
        items = [literal(v) for v in value]
        return UNKNOWN if any(i is UNKNOWN for i in items) else items
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                sep, parts = literal(arg[0]), literal(arg[1])
                if isinstance(sep, str) and isinstance(parts, list):
                    return sep.join(str(p) for p in parts)
                return UNKNOWN
            if key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                if isinstance(text, str) and not _SUB_VAR.search(text):
                    return text.replace("${!", "${")
                return UNKNOWN
            if key.startswith("Fn::") or key in ("Ref", "Condition"):
                return UNKNOWN
        out = {k: literal(v) for k, v in value.items()}
        return UNKNOWN if any(v is UNKNOWN for v in out.values()) else out
    return UNKNOWN


def sub_text(value: Any) -> str | None:
    """``value`` written as one ``Fn::Sub``-style string, or None if it cannot be.

    Literals stay as they are, ``Ref X`` becomes ``${X}`` and ``Fn::GetAtt [X, A]``
    ``${X.A}`` (pseudo parameters too: ``${AWS::Partition}``); ``Fn::Join`` and
    ``Fn::Sub`` are flattened. Two values with the same text name the same thing, so a
    check can tell that a log group named ``/aws/lambda/${Fn}`` belongs to function
    ``Fn``. Anything else (``Fn::If``, ``Fn::ImportValue``, ``Fn::Select``) gives None.
    """
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    ((key, arg),) = value.items()
    if key == "Ref" and isinstance(arg, str):
        return "${" + arg + "}"
    if key == "Fn::GetAtt":
        tgt, attr = target(value), getatt_attribute(value)
        return "${" + f"{tgt}.{attr}" + "}" if tgt and attr else None
    if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        sep = arg[0] if isinstance(arg[0], str) else None
        parts = [sub_text(p) for p in arg[1]]
        if sep is None or any(p is None for p in parts):
            return None
        return sep.join(str(p) for p in parts)
    if key == "Fn::Sub":
        text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
        if not isinstance(text, str) or not isinstance(variables, Mapping):
            return None
        rendered = {str(k): sub_text(v) for k, v in variables.items()}
        if any(v is None for v in rendered.values()):
            return None
        return _SUB_VAR.sub(lambda m: str(rendered.get(m.group(1), m.group(0))), text)
    return None


def is_true(value: Any) -> bool:
    """CloudFormation booleans arrive as ``true`` or ``"true"``."""
    v = literal(value)
    return v is True or (isinstance(v, str) and v.lower() == "true")


def is_false(value: Any) -> bool:
    v = literal(value)
    return v is False or (isinstance(v, str) and v.lower() == "false")


def as_int(value: Any) -> int | None:
    """An integer property (``7`` or ``"7"``), or None if absent or unknown."""
    v = literal(value)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    return None


def name_matches(value: Any, pattern: str) -> bool:
    """A literal name that a non-empty regex finds; an unknown name never matches."""
    name = literal(value)
    return bool(pattern) and isinstance(name, str) and re.search(pattern, name) is not None


def selected(resource: Mapping[str, Any], mode: str, tag: str, name_property: str, pattern: str) -> bool | None:
    """The selector checks share for "which resources must comply": ``all``, ``tagged``
    (tag ``tag`` is true) or ``named`` (the literal ``name_property`` matches ``pattern``).
    None for any other mode, which the check decides itself."""
    if mode == "all":
        return True
    if mode == "tagged":
        return is_true(tags(resource).get(tag))
    if mode == "named":
        return name_matches(properties(resource).get(name_property), pattern)
    return None


def tags(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's tags as a dict (``Key``/``Value`` lists and plain maps both)."""
    props = resource.get("Properties")
    if not isinstance(props, Mapping):
        return {}
    raw = props.get("Tags")
    out: dict[str, Any] = {}
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping) and isinstance(item.get("Key"), str):
                out[str(item["Key"])] = literal(item.get("Value"))
    elif isinstance(raw, Mapping):
        for k, v in raw.items():
            out[str(k)] = literal(v)
    return out


def properties(resource: Any) -> Mapping[str, Any]:
    """A resource's ``Properties``, or an empty map if absent or malformed."""
    if isinstance(resource, Mapping):
        props = resource.get("Properties")
        if isinstance(props, Mapping):
            return props
    return {}


@dataclass
class TemplateIndex:
    """A template indexed once: resources by type and who refers to whom.

    Build it with ``index(template)``; it is cached per template object so every
    check shares one walk.
    """

    resources: dict[str, Mapping[str, Any]]
    by_type: dict[str, list[str]] = field(default_factory=dict)
    #: logical id -> ids of the resources whose Properties refer to it
    referrers: dict[str, set[str]] = field(default_factory=dict)

    def of_type(self, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for t in types:
            for lid in self.by_type.get(t, ()):
                yield lid, self.resources[lid]

    def type_of(self, logical_id: str | None) -> str | None:
        res = self.resources.get(logical_id or "")
        return str(res.get("Type")) if isinstance(res, Mapping) and isinstance(res.get("Type"), str) else None

    def referring(self, logical_id: str, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Resources (optionally of ``types``) whose properties refer to ``logical_id``."""
        for lid in sorted(self.referrers.get(logical_id, ())):
            res = self.resources[lid]
            if not types or res.get("Type") in types:
                yield lid, res


_INDEX_CACHE: dict[int, tuple[Any, TemplateIndex]] = {}


def index(template: Mapping[str, Any]) -> TemplateIndex:
    """The shared index of ``template`` (a decoded template dict)."""
    cached = _INDEX_CACHE.get(id(template))
    if cached is not None and cached[0] is template:
        return cached[1]
    raw = template.get("Resources") if isinstance(template, Mapping) else None
    resources = (
        {str(k): v for k, v in raw.items() if isinstance(v, Mapping)} if isinstance(raw, Mapping) else {}
    )
    idx = TemplateIndex(resources=resources)
    for lid, res in resources.items():
        rtype = res.get("Type")
        if isinstance(rtype, str):
            idx.by_type.setdefault(rtype, []).append(lid)
        for ref in references(res.get("Properties")):
            if ref in resources and ref != lid:
                idx.referrers.setdefault(ref, set()).add(lid)
    if len(_INDEX_CACHE) > 64:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[id(template)] = (template, idx)
    return idx


#: the port a database engine listens on when its template sets no ``Port``
ENGINE_DEFAULT_PORTS: tuple[tuple[str, int], ...] = (
    ("aurora-postgresql", 5432),
    ("aurora-mysql", 3306),
    ("aurora", 3306),  # Aurora MySQL 5.6 compatible
    ("postgres", 5432),
    ("mysql", 3306),
    ("mariadb", 3306),
    ("sqlserver", 1433),  # sqlserver-ee, -se, -ex, -web
    ("oracle", 1521),  # oracle-ee, -se2, -ee-cdb, -se2-cdb
    ("docdb", 27017),
    ("neptune", 8182),
)
#: database types whose port CDK writes as a ``Fn::GetAtt`` (``db.connections``): the attribute,
#: the property that sets the port, and the engine to assume when the resource names none
_PORT_ATTRIBUTES: dict[str, tuple[str, str, str | None]] = {
    "AWS::RDS::DBInstance": ("Endpoint.Port", "Port", None),
    "AWS::RDS::DBCluster": ("Endpoint.Port", "Port", None),
    "AWS::DocDB::DBCluster": ("Port", "Port", "docdb"),
    "AWS::Neptune::DBCluster": ("Port", "DBPort", "neptune"),
}


def engine_default_port(engine: Any) -> int | None:
    """The default port of a database engine name (``aurora-postgresql`` -> 5432), else None."""
    name = literal(engine)
    if not isinstance(name, str):
        return None
    name = name.lower()
    for prefix, port in ENGINE_DEFAULT_PORTS:
        if name.startswith(prefix):
            return port
    return None


def attribute_value(idx: TemplateIndex, logical_id: str, attribute: str) -> Any:
    """What ``Fn::GetAtt [logical_id, attribute]`` is, when the template fixes it; else ``UNKNOWN``.

    Known today: a database's port (``Endpoint.Port`` of an RDS instance or cluster,
    ``Port`` of a DocumentDB or Neptune cluster), which is its ``Port`` (Neptune: ``DBPort``)
    property or, when absent, its engine's default port (``ENGINE_DEFAULT_PORTS``). An RDS
    instance of a cluster listens on the cluster's port.
    """
    res = idx.resources.get(logical_id)
    rtype = res.get("Type") if isinstance(res, Mapping) else None
    spec = _PORT_ATTRIBUTES.get(str(rtype))
    if res is None or spec is None or attribute != spec[0]:
        return UNKNOWN
    props = properties(res)
    if spec[1] in props:
        port = as_int(props[spec[1]])
        return port if port is not None else UNKNOWN
    cluster = target(props.get("DBClusterIdentifier"))
    if rtype == "AWS::RDS::DBInstance" and cluster is not None and idx.type_of(cluster) == "AWS::RDS::DBCluster":
        return attribute_value(idx, cluster, "Endpoint.Port")
    engine = props.get("Engine", spec[2])
    port = engine_default_port(engine)
    return port if port is not None else UNKNOWN


def resolved(value: Any, idx: TemplateIndex) -> Any:
    """``literal(value)``, except that a ``Fn::GetAtt`` the template fixes (``attribute_value``)
    is its value rather than ``UNKNOWN``."""
    tgt, attr = target(value), getatt_attribute(value)
    if tgt is not None and attr is not None:
        return attribute_value(idx, tgt, attr)
    return literal(value)
