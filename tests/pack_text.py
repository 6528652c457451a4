"""The text the check pack writes, collected from its source: every check's remediation and
every message template (the string literals and f-strings of checks/*.py that read as a
message), so tests can hold all of it to the same rules, whatever finding produces it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from auditor.registry import check_classes

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ROOT / "checks"

#: what a placeholder ({days}, {min_days}) becomes: a name the translator keeps as it is
SENTINEL = "QQ9QQ"
#: metadata that is no message (the catalogue's words, and configuration help)
_NOT_MESSAGES = {"description", "shortdesc", "source_url", "config_spec", "tags", "id", "slug"}
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Template:
    where: str  # file:line
    slug: str
    text: str  # placeholders as SENTINEL
    placeholders: int


def _is_docstring(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    parent = parents.get(id(node))
    if not isinstance(parent, ast.Expr):
        return False
    owner = parents.get(id(parent))
    return isinstance(owner, ast.Module | ast.ClassDef | ast.FunctionDef) and owner.body[0] is parent


def _under_metadata(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    while (node := parents.get(id(node))) is not None:  # type: ignore[assignment]
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            return any(isinstance(t, ast.Name) and t.id in _NOT_MESSAGES for t in targets)
    return False


def _text(node: ast.AST) -> tuple[str, int] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        fields = len(_FORMAT_FIELD.findall(node.value))  # str.format templates (backup-retention's fixes)
        return _FORMAT_FIELD.sub(SENTINEL, node.value), fields
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) else SENTINEL for v in node.values]
        return "".join(str(p) for p in parts), sum(1 for v in node.values if not isinstance(v, ast.Constant))
    return None


def message_templates() -> list[Template]:
    """String literals of the pack that are messages: at least 20 characters holding ``; ``
    (what is wrong; the fix) or a code span, neither docstrings nor catalogue metadata."""
    slugs = {Path(c.__module__.replace(".", "/")).name: c.slug for c in check_classes()}
    out = []
    for path in sorted(CHECKS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(parents.get(id(node)), ast.JoinedStr):
                continue  # a piece of an f-string: judged whole
            got = _text(node)
            if got is None or _is_docstring(node, parents) or _under_metadata(node, parents):
                continue
            text, fields = got
            if len(text) >= 20 and ("; " in text or "`" in text):
                where = f"{path.name}:{getattr(node, 'lineno', 0)}"
                out.append(Template(where, slugs.get(path.stem, ""), text, fields))
    return out


def remediations() -> list[tuple[str, str]]:
    return [(c.slug, c.remediation) for c in check_classes() if c.remediation]
