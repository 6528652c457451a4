"""Reading one template file for the load stage: its bytes once, their hash, the decode.

cfn-lint's decoder (YAML first, every value knowing its line) is what cfn-lint's rules
and every finding's line need, and it is about 20 times slower than the standard
library's ``json``: on a warm re-scan, where every template's results come from the
result cache, it would be most of the run. So:

- The bytes are read once and hashed (``Digest.sha256``, the template's part of the
  cache key), and those same bytes are decoded: a file rewritten mid-run cannot pair
  one content's results with another's hash.
- When the result cache says so (``plain_ok(sha256)``: it holds this template's results,
  recorded with a verdict that the standard library decodes these very bytes to the
  same values), the template is decoded with ``json`` into a ``PlainTemplate``. Nothing
  downstream sees a difference but speed: the values, their types and key order are the
  same, and a line number asked of it (``line_of``: cross-stack checks' findings are
  made every run) is read off the JSON text where that gives cfn-lint's exact answer
  (``json_line_of``), else from cfn-lint's decode of the same text, done then, for that
  one template (``positioned``).
- Otherwise it is cfn-lint's decode, as before, and the verdict is taken on the spot
  (``Digest.plain_json``): ``json`` on the same text must give exactly the same values
  and types (``True`` is not ``1``; YAML reads ``1e5`` as a string, JSON as a number).

A file that cannot be read, or does not decode, gets cfn-lint's own ``decode(path)``
so that its error reads as it always did; such a file is never linted, so never cached.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: whether the result cache vouches for a plain-JSON decode of the bytes with this SHA-256
PlainOk = Callable[[str], bool]


@dataclass(frozen=True)
class Digest:
    """What the result cache needs to know of the bytes a template was decoded from."""

    sha256: str
    #: ``json`` decodes these bytes to exactly cfn-lint's values (checked on cfn-lint's decode)
    plain_json: bool


@dataclass(frozen=True)
class Decoded:
    template: Any
    #: cfn-lint's parse-error matches (the template is then unusable)
    errors: list[Any]
    #: None when the bytes decoded are not known exactly (unreadable or undecodable file)
    digest: Digest | None


class PlainTemplate(dict[str, Any]):
    """A template decoded with the standard library's ``json``, whose values are known to
    equal cfn-lint's decode of the same text; ``positioned()`` is that decode, made on
    first use (for a line number) and kept."""

    def __init__(self, values: dict[str, Any], text: str) -> None:
        super().__init__(values)
        self._text = text
        self._positioned: Any = None

    def line_of(self, path: Sequence[Any]) -> int | None:
        """``assembly.line_of`` on ``positioned()``, read off the JSON text instead (cfn-lint's
        decode, just for a line, was most of a warm re-scan); ``positioned()`` when the
        text holds anything this reading does not mirror exactly."""
        if self._positioned is None:
            try:
                return json_line_of(self._text, path)
            except _Unsure:
                pass
        from auditor.assembly import line_of

        return line_of(self.positioned(), path)

    def positioned(self) -> Any:
        if self._positioned is None:
            from auditor import lint  # cfn-lint, only when a line is asked for

            template, errors = lint.decode_text(self._text)
            # the cache's verdict says this cannot fail; if it ever did, no lines, same values
            self._positioned = template if not errors and isinstance(template, dict) else dict(self)
        return self._positioned


def positioned(template: Any) -> Any:
    """``template`` with cfn-lint's positions (start marks), for line numbers and for cfn-lint."""
    return template.positioned() if isinstance(template, PlainTemplate) else template


def read_template(path: Path, plain_ok: PlainOk | None = None) -> Decoded:
    """Decode ``path``; ``plain_ok`` (from the result cache) may allow the plain JSON decode.

    Without ``plain_ok`` (no cache) no verdict is taken: it would only cost time.
    """
    from auditor import lint  # the check stage's import, deferred (see auditor.warm)

    try:
        raw = path.read_bytes()
        text = _as_text_mode_reads(raw)
    except (OSError, UnicodeDecodeError):
        return Decoded(*lint.decode(path), None)
    sha = hashlib.sha256(raw).hexdigest()
    if plain_ok is not None and plain_ok(sha):
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if isinstance(values, dict):
            return Decoded(PlainTemplate(values, text), [], Digest(sha, True))
    template, errors = lint.decode_text(text)
    if errors:  # decode the file itself, for cfn-lint's messages with the file's name
        return Decoded(*lint.decode(path), None)
    plain = plain_ok is not None and isinstance(template, dict) and _json_equal(text, template)
    return Decoded(template, [], Digest(sha, plain))


def _as_text_mode_reads(raw: bytes) -> str:
    """The text ``open(path, encoding="utf-8").read()`` gives: universal newlines."""
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _json_equal(text: str, template: Any) -> bool:
    try:
        values = json.loads(text)
    except (ValueError, RecursionError):
        return False
    try:
        return same(values, template)
    except RecursionError:
        return False


def same(a: Any, b: Any) -> bool:
    """Equal values of equal kinds, keys in the same order: ``1 == 1.0 == True`` is not enough.

    ``str`` subclasses (cfn-lint's ``str_node``) count as ``str``, ``dict``/``list``
    subclasses as theirs: nothing downstream tells them apart but by their positions.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str):
        return isinstance(b, str) and str(a) == str(b)
    if type(a) in (int, float) or a is None:
        return type(a) is type(b) and a == b
    return False  # anything else (a YAML date, bytes): not plain JSON


class _Unsure(Exception):
    """The JSON text has something ``json_line_of`` does not mirror: ask cfn-lint's decode."""


_SPACE = re.compile(r"[ \t\n\r]*")
#: line breaks to YAML (so to cfn-lint's decoder, which reads JSON as YAML) but not to ``count("\n")``
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_DECODER = json.JSONDecoder()
_SCANSTRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def json_line_of(text: str, path: Sequence[Any]) -> int | None:
    """The line ``assembly.line_of`` gives for ``path`` in cfn-lint's decode of JSON ``text``.

    cfn-lint's decoder gives a position to every mapping, list and string (the first
    character of its JSON value: ``{``, ``[``, ``"``) and none to numbers, booleans and
    null; ``line_of`` takes the deepest positioned node on the path. Here the path is
    followed through the text itself, skipping the values before each key with the
    standard library's decoder. Raises ``_Unsure`` on anything else (a key that is not
    a plain string or index, malformed text, YAML-only line breaks).
    """
    if _OTHER_BREAKS.search(text):
        raise _Unsure
    pos, line = _skip(text, 0), None
    try:
        for key in path:
            if isinstance(key, bool) or not isinstance(key, str | int):  # True is list index 1 to line_of
                raise _Unsure
            char = text[pos]
            if char in '{["':
                line = pos
            if char == "{" and isinstance(key, str):
                found = _member(text, pos, key)
            elif char == "[" and isinstance(key, int):
                found = _item(text, pos, key)
            else:
                found = None
            if found is None:
                return _line(text, line)
            pos = found
        return _line(text, pos if text[pos] in '{["' else line)
    except (IndexError, ValueError) as e:  # malformed: cfn-lint's decode would not have vouched for it
        raise _Unsure from e


def _line(text: str, pos: int | None) -> int | None:
    return None if pos is None else text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int) -> int:
    """Past the JSON whitespace at ``pos``."""
    match = _SPACE.match(text, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _after(text: str, pos: int, char: str) -> int:
    pos = _skip(text, pos)
    if text[pos] != char:
        raise ValueError(f"expected {char!r} at {pos}")
    return _skip(text, pos + 1)


def _member(text: str, pos: int, key: str) -> int | None:
    """Where the value of ``key`` starts in the object at ``pos`` (None: no such key)."""
    pos = _skip(text, pos + 1)
    if text[pos] == "}":
        return None
    while True:
        if text[pos] != '"':
            raise ValueError(f"expected a key at {pos}")
        name, pos = _SCANSTRING(text, pos + 1)
        pos = _after(text, pos, ":")
        if name == key:
            return pos
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] == "}":
            return None
        pos = _after(text, pos, ",")


def _item(text: str, pos: int, index: int) -> int | None:
    """Where item ``index`` starts in the array at ``pos`` (None: no such item)."""
    pos = _skip(text, pos + 1)
    if text[pos] == "]" or index < 0:
        return None
    for _ in range(index):
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos] == "]":
            return None
        pos = _after(text, pos, ",")
    return pos
