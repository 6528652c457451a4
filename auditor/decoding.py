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
  same, and a line number asked of it (``positioned``) comes from cfn-lint's decode of
  the same text, done then, for that one template.
- Otherwise it is cfn-lint's decode, as before, and the verdict is taken on the spot
  (``Digest.plain_json``): ``json`` on the same text must give exactly the same values
  and types (``True`` is not ``1``; YAML reads ``1e5`` as a string, JSON as a number).

A file that cannot be read, or does not decode, gets cfn-lint's own ``decode(path)``
so that its error reads as it always did; such a file is never linted, so never cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
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
