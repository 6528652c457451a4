"""Load a cloud assembly (or plain template files) into ``Assembly`` / ``Stack`` records.

Reads ``manifest.json``: every ``aws:cloudformation:stack`` artifact, nested cloud
assemblies (CDK Stages, ``assembly-*/``) and nested stacks
(``AWS::CloudFormation::Stack`` resources whose template is in the assembly).
Templates are decoded with cfn-lint's decoder so that every value knows its line.

Paths inside a manifest are untrusted: one that escapes the assembly directory, a
missing file or a malformed manifest becomes a ``LoadError`` naming the file, never a
crash and never a read outside the directory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.incidental import construct_path as resource_path
from auditor.lint import decode
from auditor.source import SourceIndex, creation_stack, locate

ANNOTATION_TYPES = ("aws:cdk:error", "aws:cdk:warning", "aws:cdk:info")
TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_SKIP_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


@dataclass
class Annotation:
    level: str  # error | warning | info
    message: str
    construct_path: str
    logical_id: str | None = None


@dataclass(frozen=True)
class LoadError:
    """A problem with the assembly itself (reported as ``assembly-error``)."""

    file: str
    message: str
    line: int | None = None


@dataclass
class Stack:
    name: str
    template_path: Path
    template: dict[str, Any] | None
    environment: str = ""
    construct_paths: dict[str, str] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    parent: str | None = None
    #: the decoder's parse errors (cfn-lint ``Match`` objects), if any
    parse_errors: list[Any] = field(default_factory=list)
    #: where the assembly's constructs were created in the user's code (shared by its stacks)
    sources: SourceIndex = field(default_factory=SourceIndex)

    @property
    def resources(self) -> Mapping[str, Any]:
        res = self.template.get("Resources") if isinstance(self.template, Mapping) else None
        return res if isinstance(res, Mapping) else {}


@dataclass
class Assembly:
    directory: Path | None
    stacks: list[Stack] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    manifest_version: str | None = None
    #: ``[WARNING]`` lines (deprecations) the synth that wrote it printed (``run`` only)
    synth_warnings: tuple[str, ...] = ()
    sources: SourceIndex = field(default_factory=SourceIndex)

    def stack(self, name: str) -> Stack | None:
        return next((s for s in self.stacks if s.name == name), None)

    def locate(self, construct_path: str) -> tuple[Stack, str | None] | None:
        """The stack holding ``construct_path`` and the logical id of the resource there
        (the construct's own CloudFormation resource, or its first resource below it)."""
        cpath = construct_path.strip("/")
        best: tuple[Stack, str | None] | None = None
        for st in reversed(self.stacks):  # nested stacks (loaded later) before parents
            inside = sorted(
                (p, lid) for lid, p in st.construct_paths.items() if p == cpath or p.startswith(cpath + "/")
            )
            if inside:
                return st, min(inside, key=lambda pl: _closeness(cpath, pl[0]))[1]
            if (cpath == st.name or cpath.startswith(st.name + "/")) and (
                best is None or len(st.name) > len(best[0].name)
            ):
                best = (st, None)
        return best

    def exports(self) -> dict[str, tuple[Stack, str, Any]]:
        """Export name -> (stack, output id, output value) across every stack."""
        out: dict[str, tuple[Stack, str, Any]] = {}
        for st in self.stacks:
            outputs = st.template.get("Outputs") if isinstance(st.template, Mapping) else None
            if not isinstance(outputs, Mapping):
                continue
            for oid, o in outputs.items():
                export = o.get("Export") if isinstance(o, Mapping) else None
                name = export.get("Name") if isinstance(export, Mapping) else None
                if isinstance(name, str):
                    out[name] = (st, str(oid), o.get("Value"))
        return out


def _closeness(cpath: str, path: str) -> tuple[int, int, str]:
    """How directly a resource at ``path`` is the construct ``cpath``'s own: fewest steps
    that are not CDK's default child (``Resource``, ``Default``) first, then the shallowest,
    then path order. So ``Bastion/Resource/Resource`` beats ``Bastion/Resource/InstanceProfile``,
    and a FargateService's ``Service/Service`` beats its ``Service/SecurityGroup/Resource``."""
    steps = path[len(cpath) + 1 :].split("/") if path != cpath else []
    return sum(1 for s in steps if s not in ("Resource", "Default")), len(steps), path


class _Loader:
    def __init__(self, root: Path, source_root: Path | None = None) -> None:
        self.root = root.resolve()
        self.assembly = Assembly(directory=root, sources=SourceIndex(source_root))
        self.source_root = source_root
        self._seen: set[Path] = set()

    def inside(self, base: Path, relative: Any, what: str, manifest: Path) -> Path | None:
        """``base/relative`` if it is a string naming a path inside the root."""
        if not isinstance(relative, str) or not relative:
            self.error(manifest, f"{what} is missing or not a string")
            return None
        candidate = (base / relative).resolve()
        if not candidate.is_relative_to(self.root):
            self.error(
                manifest, f"{what} {relative!r} points outside the assembly directory; refusing to read it"
            )
            return None
        return candidate

    def error(self, file: Path, message: str, line: int | None = None) -> None:
        self.assembly.errors.append(LoadError(str(file), message, line))

    def load_manifest(self, directory: Path, prefix: str = "") -> None:
        manifest = directory / "manifest.json"
        if manifest.resolve() in self._seen:
            return
        self._seen.add(manifest.resolve())
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.error(manifest, "no manifest.json: is this a cdk.out folder? Run `cdk synth` first")
            return
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            self.error(manifest, f"manifest.json is not valid JSON: {e}")
            return
        if not isinstance(data, dict) or not isinstance(data.get("artifacts", {}), dict):
            self.error(manifest, "manifest.json has no 'artifacts' object")
            return
        if self.assembly.manifest_version is None and isinstance(data.get("version"), str):
            self.assembly.manifest_version = data["version"]
        for art_id, art in data.get("artifacts", {}).items():
            if not isinstance(art, dict):
                self.error(manifest, f"artifact {art_id!r} is not an object")
                continue
            raw_props = art.get("properties")
            props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
            kind = art.get("type")
            if kind == "aws:cloudformation:stack":
                self.load_stack_artifact(directory, manifest, str(art_id), art, props)
            elif kind == "cdk:cloud-assembly":
                sub = self.inside(
                    directory, props.get("directoryName"), f"nested assembly {art_id!r}", manifest
                )
                if sub is not None:
                    self.load_manifest(sub, prefix)

    def load_stack_artifact(
        self, directory: Path, manifest: Path, art_id: str, art: dict[str, Any], props: dict[str, Any]
    ) -> None:
        path = self.inside(directory, props.get("templateFile"), f"templateFile of {art_id!r}", manifest)
        if path is None:
            return
        metadata = dict(art.get("metadata") or {}) if isinstance(art.get("metadata"), dict) else {}
        extra = art.get("additionalMetadataFile")
        if extra is not None:
            extra_path = self.inside(directory, extra, f"additionalMetadataFile of {art_id!r}", manifest)
            if extra_path is not None and extra_path.is_file():
                try:
                    more = json.loads(extra_path.read_text(encoding="utf-8"))
                    if isinstance(more, dict):
                        metadata.update(more)
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                    self.error(extra_path, f"metadata file is not valid JSON: {e}")
        display = art.get("displayName")
        name = display if isinstance(display, str) else art_id
        stack = self.load_template(path, name, environment=str(art.get("environment") or ""))
        if stack is None:
            return
        _apply_manifest_metadata(stack, metadata)
        if self.source_root is not None:
            self.index_sources(metadata)
        self.load_nested(stack, directory)

    def index_sources(self, metadata: Mapping[str, Any]) -> None:
        """Creation stacks (``aws:cdk:creationStack``) as source locations. A stack's
        metadata also holds its nested stacks' constructs, so the index is assembly-wide."""
        assert self.source_root is not None
        for cpath, entries in metadata.items():
            trace = creation_stack(entries)
            location = locate(trace, self.source_root) if trace is not None else None
            if location is not None:
                self.assembly.sources.add(str(cpath), location)

    def load_template(
        self, path: Path, name: str, environment: str = "", parent: str | None = None
    ) -> Stack | None:
        if not path.is_file():
            self.error(path, "template file is missing from the assembly; re-run `cdk synth`")
            return None
        template, matches = decode(path)
        stack = Stack(
            name=name,
            template_path=path,
            template=template,
            environment=environment,
            parent=parent,
            sources=self.assembly.sources,
        )
        if matches:
            stack.parse_errors = list(matches)
            stack.template = None
        elif not isinstance(template, dict):
            self.error(path, "template is not a JSON/YAML object")
            stack.template = None
        for lid, res in stack.resources.items():
            p = resource_path(res)
            if p:
                stack.construct_paths[str(lid)] = p
        self.assembly.stacks.append(stack)
        return stack

    def load_nested(self, stack: Stack, directory: Path) -> None:
        for lid, res in stack.resources.items():
            if not isinstance(res, Mapping) or res.get("Type") != "AWS::CloudFormation::Stack":
                continue
            meta = res.get("Metadata") if isinstance(res.get("Metadata"), Mapping) else {}
            asset = meta.get("aws:asset:path") if meta else None
            if not isinstance(asset, str) or not asset.endswith(".template.json"):
                continue  # a nested stack from a URL: not in this assembly
            path = self.inside(directory, asset, f"nested stack {lid!r} of {stack.name}", stack.template_path)
            if path is None or path in {s.template_path for s in self.assembly.stacks}:
                continue
            nested = self.load_template(path, f"{stack.name}/{lid}", stack.environment, parent=stack.name)
            if nested is not None:
                self.load_nested(nested, directory)


def _apply_manifest_metadata(stack: Stack, metadata: Mapping[str, Any]) -> None:
    """Construct paths for resources without ``aws:cdk:path``, and the annotations."""
    for cpath, entries in metadata.items():
        if not isinstance(entries, list):
            continue
        clean = str(cpath).lstrip("/")
        logical = next(
            (str(e["data"]) for e in entries if isinstance(e, dict) and e.get("type") == "aws:cdk:logicalId"),
            None,
        )
        if logical and logical not in stack.construct_paths:
            stack.construct_paths[logical] = clean
        for e in entries:
            if isinstance(e, dict) and e.get("type") in ANNOTATION_TYPES:
                data = e.get("data")
                text = data if isinstance(data, str) else json.dumps(data)
                level = str(e["type"]).rsplit(":", 1)[1]
                stack.annotations.append(Annotation(level, text, clean, logical))


def load_assembly(
    directory: Path, synth_warnings: Sequence[str] = (), source_root: Path | None = None
) -> Assembly:
    """Load the cloud assembly in ``directory`` (a ``cdk.out`` folder); ``synth_warnings``:
    what the synth that wrote it printed (CDK keeps deprecations out of the assembly);
    ``source_root``: read CDK's creation stacks into source locations relative to it."""
    loader = _Loader(directory, source_root)
    loader.assembly.synth_warnings = tuple(synth_warnings)
    loader.load_manifest(directory)
    return loader.assembly


def _looks_like_template(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return False
    return "Resources" in head or "AWSTemplateFormatVersion" in head


def _walk(directory: Path) -> Iterator[Path]:
    """Files below ``directory``; each cloud assembly found yields its manifest only."""
    if (directory / "manifest.json").is_file():
        yield directory / "manifest.json"
        return
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            if entry.name not in _SKIP_DIRS:
                yield from _walk(entry)
        elif entry.is_file() and entry.suffix.lower() in TEMPLATE_SUFFIXES:
            yield entry


def load_paths(paths: Iterable[Path], source_root: Path | None = None) -> list[Assembly]:
    """What ``cdk-audit scan`` reads: assemblies, template files, and folders of both.

    Each cloud assembly is its own ``Assembly``; loose template files are gathered
    into one ``Assembly`` without a directory, each file a ``Stack`` named by its path.
    """
    assemblies: list[Assembly] = []
    loose = _Loader(Path("/"))
    loose.assembly.directory = None
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in _walk(path):
                if found.name == "manifest.json":
                    assemblies.append(load_assembly(found.parent, source_root=source_root))
                elif _looks_like_template(found):
                    _load_loose(loose, found, must_be_template=False)
        elif path.is_file():
            _load_loose(loose, path, must_be_template=True)
        else:
            loose.error(path, "no such file or directory")
    if loose.assembly.stacks or loose.assembly.errors:
        assemblies.append(loose.assembly)
    return assemblies


def _load_loose(loader: _Loader, path: Path, must_be_template: bool) -> None:
    stack = loader.load_template(path, str(path))
    if stack is None or must_be_template or stack.parse_errors:
        return
    tpl = stack.template
    if not (isinstance(tpl, dict) and ("Resources" in tpl or "AWSTemplateFormatVersion" in tpl)):
        loader.assembly.stacks.remove(stack)  # some other JSON/YAML file in the folder


def line_of(template: Any, path: Iterable[Any]) -> int | None:
    """The 1-based line of the deepest node on ``path`` that carries a position."""
    node, line = template, None
    for key in path:
        mark = getattr(node, "start_mark", None)
        if mark is not None:
            line = mark.line + 1
        if (isinstance(node, Mapping) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        ):
            node = node[key]
        else:
            return line
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else line
