"""CDK's own annotations (``aws:cdk:error`` / ``warning`` / ``info`` metadata) as matches
located at the construct they name; shared by the cdk-error and cdk-warning checks."""

from __future__ import annotations

from auditor.assembly import Assembly
from auditor.findings import AssemblyMatch


def annotation_matches(assembly: Assembly, level: str) -> list[AssemblyMatch]:
    """One match per ``aws:cdk:<level>`` annotation, located at its construct."""
    out = []
    for stack in assembly.stacks:
        for ann in stack.annotations:
            if ann.level != level:
                continue
            lid = ann.logical_id
            if lid is None:
                located = assembly.locate(ann.construct_path)
                lid = located[1] if located and located[0] is stack else None
            path: list[str | int] = ["Resources", lid] if lid else []
            out.append(AssemblyMatch(stack.name, path, ann.message, ann.construct_path))
    return out
