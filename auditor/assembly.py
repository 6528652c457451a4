"""Load a cloud assembly (or plain template files) into ``Assembly`` / ``Stack`` records.

Reads ``manifest.json``: every ``aws:cloudformation:stack`` artifact, nested cloud
assemblies (CDK Stages, ``assembly-*/``) and nested stacks
(``AWS::CloudFormation::Stack`` resources whose template is in the assembly).
Templates are decoded with cfn-lint's decoder so that every value knows its line (or,
where the result cache vouches for it, with plain ``json``: see ``auditor.decoding``).

Everything in an assembly is untrusted: a path (or a symlink) that escapes the
assembly directory, a missing file, a malformed manifest or metadata file, JSON nested
too deeply becomes a ``LoadError`` naming the file, never a crash and never a read
outside the directory. An unexpected error while loading one template is an error on
that template only: every other template is still loaded.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.decoding import Digest, PlainOk, PlainTemplate, positioned, read_template
from auditor.incidental import construct_path as resource_path
from auditor.jsonfile import JsonFileError, check_inside, read_json, resolved
from auditor.source import SourceIndex, creation_stack, locate

ANNOTATION_TYPES = ("aws:cdk:error", "aws:cdk:warning", "aws:cdk:info")
TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_SKIP_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}
#: files of an assembly that other stages read (report.model, validation_report): checked here
#: so that a symlink out of the assembly is refused with a message, not read
_AUX_FILES = ("tree.json", "validation-report.json")


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


@dataclass(frozen=True)
class ParseError:
    """Why a template could not be read (reported as ``template-parse-error``)."""

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
    #: why the template could not be read (the decoder's parse errors), if it could not
    parse_errors: list[ParseError] = field(default_factory=list)
    #: where the assembly's constructs were created in the user's code (shared by its stacks)
    sources: SourceIndex = field(default_factory=SourceIndex)
    #: the hash of the bytes the template was decoded from (the result cache's key), if known
    digest: Digest | None = None

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
    #: file symlinks a folder scan did not follow (they point outside the folder scanned)
    skipped_links: tuple[str, ...] = ()

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
    def __init__(self, root: Path, source_root: Path | None = None, plain_ok: PlainOk | None = None) -> None:
        self.root = root.resolve()
        self.plain_ok = plain_ok
        self.assembly = Assembly(directory=root, sources=SourceIndex(source_root))
        self.source_root = source_root
        self._seen: set[Path] = set()
        self._templates: set[Path] = set()

    def inside(self, base: Path, relative: Any, what: str, manifest: Path) -> Path | None:
        """``base/relative`` if it is a string naming a path inside the root."""
        if not isinstance(relative, str) or not relative:
            self.error(manifest, f"{what} is missing or not a string")
            return None
        try:
            candidate = (base / relative).resolve()
        except (OSError, ValueError, RuntimeError) as e:  # a NUL byte, a symlink loop (RuntimeError in 3.11)
            self.error(manifest, f"{what} {_shown(relative)} is not a usable path ({describe_error(e)})")
            return None
        if not candidate.is_relative_to(self.root):
            self.error(
                manifest, f"{what} {_shown(relative)} points outside the assembly directory; refusing to read it"
            )
            return None
        return candidate

    def error(self, file: Path | str, message: str, line: int | None = None) -> None:
        self.assembly.errors.append(LoadError(str(file).replace("\0", "\\0"), message, line))

    def read(self, path: Path, what: str) -> Any:
        """The JSON in ``path`` (inside the root), or None with an error recorded."""
        try:
            return read_json(path, root=self.root)
        except FileNotFoundError:
            self.error(path, f"{what} is missing from the assembly; re-run `cdk synth`")
        except JsonFileError as e:
            self.error(path, str(e))
        return None

    def load_manifest(self, directory: Path, prefix: str = "") -> None:
        manifest = directory / "manifest.json"
        try:
            key = resolved(manifest)
        except JsonFileError as e:
            self.error(manifest, str(e))
            return
        if key in self._seen:
            return
        self._seen.add(key)
        if not _exists(manifest):
            self.error(manifest, "no manifest.json: is this a cdk.out folder? Run `cdk synth` first")
            return
        data = self.read(manifest, "manifest.json")
        if data is None:
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
                self.guarded(manifest, f"stack {art_id!r}", self.load_stack_artifact, directory, manifest,
                             str(art_id), art, props)  # fmt: skip
            elif kind == "cdk:cloud-assembly":
                sub = self.inside(
                    directory, props.get("directoryName"), f"nested assembly {art_id!r}", manifest
                )
                if sub is not None:
                    self.load_manifest(sub, prefix)

    def guarded(self, file: Path, what: str, step: Any, *args: Any) -> None:
        """``step(*args)``; an unexpected error in it is an error on ``file``, and loading goes on."""
        try:
            step(*args)
        except Exception as e:  # one odd artifact must not stop the others from loading
            self.error(file, f"could not load {what} ({describe_error(e)}); every other stack was loaded")

    def load_stack_artifact(
        self, directory: Path, manifest: Path, art_id: str, art: dict[str, Any], props: dict[str, Any]
    ) -> None:
        path = self.inside(directory, props.get("templateFile"), f"templateFile of {art_id!r}", manifest)
        if path is None:
            return
        metadata = dict(art.get("metadata") or {}) if isinstance(art.get("metadata"), dict) else {}
        metadata_file = manifest
        extra = art.get("additionalMetadataFile")
        if extra is not None:
            extra_path = self.inside(directory, extra, f"additionalMetadataFile of {art_id!r}", manifest)
            if extra_path is not None and _exists(extra_path):
                metadata_file = extra_path
                more = self.read(extra_path, "metadata file")
                if isinstance(more, dict):
                    metadata.update(more)
        display = art.get("displayName")
        name = display if isinstance(display, str) else art_id
        stack = self.load_template(path, name, environment=str(art.get("environment") or ""))
        if stack is None:
            return
        self.guarded(metadata_file, f"the metadata of {name!r}", self.apply_metadata, stack, metadata)
        self.load_nested(stack, directory)

    def apply_metadata(self, stack: Stack, metadata: Mapping[str, Any]) -> None:
        _apply_manifest_metadata(stack, metadata)
        if self.source_root is not None:
            self.index_sources(metadata)

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
        problem = _not_a_template_file(path)
        if problem is not None:
            self.error(path, problem)
            return None
        stack = Stack(
            name=name,
            template_path=path,
            template=None,
            environment=environment,
            parent=parent,
            sources=self.assembly.sources,
        )
        try:
            decoded = read_template(path, self.plain_ok)
            template, matches, stack.digest = decoded.template, decoded.errors, decoded.digest
        except Exception as e:  # cfn-lint's decoder raised (its own errors come back as matches)
            template, matches = None, []
            stack.parse_errors = [ParseError(f"could not read this template ({describe_error(e)})")]
        if matches:
            stack.parse_errors = [_parse_error(m, path) for m in matches]
        elif stack.parse_errors:
            pass
        elif not isinstance(template, dict):
            self.error(path, "template is not a JSON/YAML object")
        else:
            stack.template = template
            for lid, res in stack.resources.items():
                p = resource_path(res)
                if p:
                    stack.construct_paths[str(lid)] = p
        self.assembly.stacks.append(stack)
        self._templates.add(path)
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
            if path is None or path in self._templates:
                continue
            nested = self.load_template(path, f"{stack.name}/{lid}", stack.environment, parent=stack.name)
            if nested is not None:
                self.load_nested(nested, directory)

    def check_aux_files(self, directory: Path) -> None:
        """Refuse (with a message) the assembly's other files that link out of it."""
        for name in _AUX_FILES:
            path = directory / name
            if not os.path.lexists(path):
                continue
            try:
                check_inside(path, self.root)
            except JsonFileError as e:
                self.error(path, str(e))


def _exists(path: Path) -> bool:
    """Whether anything (a dangling symlink too) is at ``path``; never raises."""
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def _not_a_template_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a template, or None if it can."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "template file is missing from the assembly; re-run `cdk synth`"
    except (OSError, ValueError) as e:
        return f"cannot read the template file ({describe_error(e)})"
    if stat.S_ISDIR(mode):
        return "this is a folder, not a template file; point templateFile at the .template.json file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device); refusing to read it"
    return None


def _parse_error(match: Any, path: Path) -> ParseError:
    message = str(getattr(match, "message", match))
    if "{filename}" in message:  # cfn-lint's message for bytes that are not UTF-8 leaves this unfilled
        message = f"{path.name} is not UTF-8 text; save the template as UTF-8"
    line = getattr(match, "linenumber", None)
    return ParseError(message, line if isinstance(line, int) else None)


def describe_error(e: BaseException) -> str:
    """An unexpected error in one line of a finding's message: its type and (shortened) text."""
    text = str(e).replace("\0", "\\0")
    if len(text) > 300:
        text = text[:300] + "…"
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _shown(value: str) -> str:
    return repr(value if len(value) <= 300 else value[:300] + "…")


def _apply_manifest_metadata(stack: Stack, metadata: Mapping[str, Any]) -> None:
    """Construct paths for resources without ``aws:cdk:path``, and the annotations."""
    for cpath, entries in metadata.items():
        if not isinstance(entries, list):
            continue
        clean = str(cpath).lstrip("/")
        logical = next(
            (
                str(e["data"])
                for e in entries
                if isinstance(e, dict)
                and e.get("type") == "aws:cdk:logicalId"
                and isinstance(e.get("data"), str | int)
                and not isinstance(e.get("data"), bool)
            ),
            None,
        )
        if logical and logical not in stack.construct_paths:
            stack.construct_paths[logical] = clean
        for e in entries:
            if isinstance(e, dict) and e.get("type") in ANNOTATION_TYPES:
                level = str(e["type"]).rsplit(":", 1)[1]
                stack.annotations.append(Annotation(level, _annotation_text(e.get("data"), level), clean, logical))


def _annotation_text(data: Any, level: str) -> str:
    if isinstance(data, str) and data.strip():
        return data
    if data is None or data == "":
        return f"CDK recorded an {level} annotation on this construct without a message (see the synth output)"
    try:
        return json.dumps(data, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(data)


def load_assembly(
    directory: Path,
    synth_warnings: Sequence[str] = (),
    source_root: Path | None = None,
    plain_ok: PlainOk | None = None,
) -> Assembly:
    """Load the cloud assembly in ``directory`` (a ``cdk.out`` folder); ``synth_warnings``:
    what the synth that wrote it printed (CDK keeps deprecations out of the assembly);
    ``source_root``: read CDK's creation stacks into source locations relative to it;
    ``plain_ok``: the result cache's say on decoding a template with plain ``json``."""
    loader = _Loader(directory, source_root, plain_ok)
    loader.assembly.synth_warnings = tuple(synth_warnings)
    manifest = directory / "manifest.json"
    loader.guarded(manifest, "the assembly", loader.load_manifest, directory)
    loader.guarded(manifest, "the assembly", loader.check_aux_files, directory)
    return loader.assembly


def _looks_like_template(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(200_000).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return False
    return "Resources" in head or "AWSTemplateFormatVersion" in head


def _walk(directory: Path, top: Path, follow_symlinks: bool, skipped: list[str]) -> Iterator[Path]:
    """Files below ``directory``; each cloud assembly found yields its manifest only.
    Folder symlinks are never followed; file symlinks only when they stay inside ``top``
    (or ``follow_symlinks``): the others are listed in ``skipped``."""
    manifest = directory / "manifest.json"
    if _exists(manifest) and not manifest.is_dir():
        yield manifest
        return
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            is_link = entry.is_symlink()
            if entry.is_dir() and not is_link:
                if entry.name not in _SKIP_DIRS:
                    yield from _walk(entry, top, follow_symlinks, skipped)
                continue
            if entry.suffix.lower() not in TEMPLATE_SUFFIXES or not entry.is_file():
                continue
        except OSError:  # a name the file system will not stat: not a template
            continue
        if is_link and not follow_symlinks and not _inside(entry, top):
            skipped.append(str(entry))
            continue
        yield entry


def _inside(path: Path, top: Path) -> bool:
    try:
        return resolved(path).is_relative_to(resolved(top))
    except JsonFileError:
        return False


def load_paths(
    paths: Iterable[Path],
    source_root: Path | None = None,
    *,
    follow_symlinks: bool = False,
    plain_ok: PlainOk | None = None,
) -> list[Assembly]:
    """What ``cdk-audit scan`` reads: assemblies, template files, and folders of both.

    Each cloud assembly is its own ``Assembly``; loose template files are gathered
    into one ``Assembly`` without a directory, each file a ``Stack`` named by its path.
    A folder's file symlinks that point outside it are skipped unless ``follow_symlinks``
    (listed in the loose assembly's ``skipped_links``).
    """
    assemblies: list[Assembly] = []
    loose = _Loader(Path("/"), None, plain_ok)
    loose.assembly.directory = None
    skipped: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in _walk(path, path, follow_symlinks, skipped):
                if found.name == "manifest.json":
                    assemblies.append(load_assembly(found.parent, source_root=source_root, plain_ok=plain_ok))
                elif _looks_like_template(found):
                    loose.guarded(found, "this file", _load_loose, loose, found, False)
        elif _exists(path):
            loose.guarded(path, "this file", _load_loose, loose, path, True)
        else:
            loose.error(path, "no such file or directory")
    loose.assembly.skipped_links = tuple(skipped)
    if loose.assembly.stacks or loose.assembly.errors or skipped:
        assemblies.append(loose.assembly)
    return assemblies


def _load_loose(loader: _Loader, path: Path, must_be_template: bool) -> None:
    stack = loader.load_template(path, _loose_name(path))
    if stack is None or must_be_template or stack.parse_errors:
        return
    tpl = stack.template
    if not (isinstance(tpl, dict) and ("Resources" in tpl or "AWSTemplateFormatVersion" in tpl)):
        loader.assembly.stacks.remove(stack)  # some other JSON/YAML file in the folder


def _loose_name(path: Path) -> str:
    """A loose template's stack name: its path, relative to the current folder when it is
    inside it, so that fingerprints (which use the name) do not depend on the checkout."""
    try:
        return os.path.relpath(path) if Path(os.path.abspath(path)).is_relative_to(Path.cwd()) else str(path)
    except (ValueError, OSError):
        return str(path)


def line_of(template: Any, path: Iterable[Any]) -> int | None:
    """The 1-based line of the deepest node on ``path`` that carries a position."""
    if isinstance(template, PlainTemplate):
        return template.line_of(list(path))
    node, line = positioned(template), None
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
