"""One template's results in the result cache: what an entry holds, and reading it back.

An entry holds what cfn-lint's run over one template's bytes produced, in a form that
does not depend on where the template sits: each match's rule id, message, path and
line. Not whole ``Finding``s: a finding also carries the stack's name, the template's
file and the resources' construct paths, which come from the manifest, not from the
template's bytes; the engine rebuilds findings from the matches with the current ones
(``engine._finding``), exactly as it does for fresh matches.

With the matches, an entry keeps what the cfn-lint rule ids among them mean
(``RuleInfo``), so that a warm run can describe them without loading cfn-lint's 300
built-in rules, and the decode verdict (``plain_json``) that lets the load stage read
the same bytes with plain ``json`` next time (``auditor.decoding``).

Everything read back is checked for shape as well (the storage layer checks the bytes):
an entry that does not decode to exactly these types is a miss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.cache import ResultCache
from auditor.cache_key import entry_key
from auditor.catalog import RuleInfo
from auditor.findings import Reporter, Severity

#: one step of a match's path: a key or a list index (anything else is not cached)
PathPart = str | int


@dataclass(frozen=True)
class TemplateMatch:
    """One cfn-lint match on a template, independent of the stack it belongs to."""

    rule_id: str
    message: str
    path: tuple[PathPart, ...]
    line: int | None


@dataclass(frozen=True)
class TemplateResult:
    matches: tuple[TemplateMatch, ...]
    #: what the ids in ``matches`` that are not our checks mean (cfn-lint's rules)
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    #: plain ``json`` decodes the template's bytes to exactly cfn-lint's values
    plain_json: bool = False


class TemplateResults:
    """The cache's entries for one run's key (``auditor.cache_key.run_key``), by template hash.

    Each hash is looked up at most once per run: the load stage asks first (may it
    decode plainly?), the engine then gets the same answer even if another process
    evicted the file in between. ``cache=None``: entries in memory only, for one run
    (``run --no-cache`` still lints templates while synth runs: ``auditor.prelint``).
    """

    def __init__(self, cache: ResultCache | None, run_key: str) -> None:
        self.cache = cache
        self.run_key = run_key
        self._seen: dict[str, TemplateResult | None] = {}

    def get(self, sha256: str) -> TemplateResult | None:
        if sha256 not in self._seen:
            if self.cache is None:
                return None
            payload = self.cache.get(entry_key(self.run_key, sha256))
            result = decode_result(payload) if payload is not None else None
            if payload is not None and result is None:
                self.cache.bad += 1  # verified bytes, wrong shape: recomputed and replaced
            self._seen[sha256] = result
        return self._seen[sha256]

    def plain_ok(self, sha256: str) -> bool:
        """Whether the load stage may decode these bytes with plain ``json`` (their results are here)."""
        hit = self.get(sha256)
        return hit is not None and hit.plain_json

    def put(self, sha256: str, result: TemplateResult) -> None:
        if self.cache is not None and (payload := encode_result(result)) is not None:
            self.cache.put(entry_key(self.run_key, sha256), payload)
        self._seen[sha256] = result


def match_of(rule_id: str, message: str, path: Sequence[Any], line: int | None) -> TemplateMatch:
    """A match as the cache keeps it; ``str`` subclasses (cfn-lint's nodes) become ``str``."""
    parts = tuple(str(p) if isinstance(p, str) else p for p in path)
    return TemplateMatch(str(rule_id), str(message), parts, line)


def encode_result(result: TemplateResult) -> dict[str, Any] | None:
    """JSON data for ``result``, or None if it holds something JSON would not give back as it was."""
    matches = []
    for m in result.matches:
        if not all(type(p) in (str, int) for p in m.path) or not (m.line is None or type(m.line) is int):
            return None  # e.g. a YAML date or float key on the path: not worth a lossy entry
        matches.append([m.rule_id, m.message, list(m.path), m.line])
    rules = {rid: _info_data(info) for rid, info in sorted(result.rules.items())}
    return {"matches": matches, "rules": rules, "plain_json": result.plain_json}


def decode_result(payload: Any) -> TemplateResult | None:
    """The ``TemplateResult`` in ``payload``, or None if it is not exactly what ``encode_result`` writes."""
    try:
        if not isinstance(payload, dict) or set(payload) != {"matches", "rules", "plain_json"}:
            return None
        matches = []
        for item in payload["matches"]:
            rule_id, message, path, line = item
            ok = (
                type(rule_id) is str
                and type(message) is str
                and type(path) is list
                and all(type(p) in (str, int) for p in path)
                and (line is None or type(line) is int)
            )
            if not ok:
                return None
            matches.append(TemplateMatch(rule_id, message, tuple(path), line))
        rules = {}
        for rid, data in payload["rules"].items():
            info = _info_of(data)
            if info is None or info.id != rid:
                return None
            rules[rid] = info
        plain = payload["plain_json"]
        if type(plain) is not bool:
            return None
        return TemplateResult(tuple(matches), rules, plain)
    except (TypeError, ValueError, AttributeError):  # wrong arity, not a mapping, not iterable
        return None


_INFO_TEXT = ("id", "slug", "title", "description", "doc", "remediation")


def _info_data(info: RuleInfo) -> dict[str, Any]:
    return {
        **{k: getattr(info, k) for k in _INFO_TEXT},
        "severity": str(info.severity),
        "reported_by": str(info.reported_by),
        "url": info.url,
        "tags": list(info.tags),
    }


def _info_of(data: Any) -> RuleInfo | None:
    if not isinstance(data, dict) or set(data) != {*_INFO_TEXT, "severity", "reported_by", "url", "tags"}:
        return None
    if not all(type(data[k]) is str for k in _INFO_TEXT):
        return None
    if not (data["url"] is None or type(data["url"]) is str):
        return None
    if type(data["tags"]) is not list or not all(type(t) is str for t in data["tags"]):
        return None
    return RuleInfo(
        **{k: data[k] for k in _INFO_TEXT},
        severity=Severity(data["severity"]),
        reported_by=Reporter(data["reported_by"]),
        url=data["url"],
        tags=tuple(data["tags"]),
    )
