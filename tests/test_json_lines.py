"""A finding's line on a template read with plain ``json`` (``decoding.json_line_of``) is the
line cfn-lint's decode gives it (``assembly.line_of``), on every JSON template of the corpus
and on text shaped to trip a hand-written reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import lint
from auditor.assembly import line_of
from auditor.decoding import PlainTemplate, _json_equal, _Unsure, json_line_of
from tests.conftest import CORPUS, require_corpus


def _paths(template: dict[str, Any]) -> Iterator[list[Any]]:
    """What checks ask for (a resource, its properties, values inside them), and misses."""
    yield from ([], ["Resources"], ["Nope"], [0], ["Resources", "NoSuchResource", "Properties"])
    for section in ("Parameters", "Conditions", "Outputs", "Mappings", "Metadata"):
        for name in list(template.get(section) or {})[:5]:
            yield [section, name]
    for lid, res in list((template.get("Resources") or {}).items()):
        yield ["Resources", lid]
        yield ["Resources", lid, "Metadata", "aws:cdk:path"]
        props = res.get("Properties") if isinstance(res, dict) else None
        yield ["Resources", lid, "Properties"]
        for key, value in list((props or {}).items())[:8] if isinstance(props, dict) else ():
            here = ["Resources", lid, "Properties", key]
            yield here
            yield [*here, "Missing"]
            if isinstance(value, list):
                yield from ([*here, 0], [*here, len(value) - 1], [*here, len(value)], [*here, "x"])
                if value and isinstance(value[0], dict):
                    yield from ([*here, 0, k] for k in list(value[0])[:3])
            elif isinstance(value, dict):
                yield from ([*here, k] for k in list(value)[:3])
                yield [*here, 0]


def _json_templates() -> list[Path]:
    found = sorted((CORPUS / "cdk-examples").rglob("*.template.json"))
    return found + sorted((CORPUS / "cfn-templates").rglob("*.json"))


@require_corpus()
def test_lines_on_every_json_template_of_the_corpus_are_cfn_lints() -> None:
    compared = files = 0
    for path in _json_templates():
        text = path.read_text(encoding="utf-8")
        positioned, errors = lint.decode_text(text)
        if errors or not isinstance(positioned, dict) or not _json_equal(text, positioned):
            continue  # never read with plain json (the cache's verdict is no)
        files += 1
        for p in _paths(positioned):
            try:
                fast = json_line_of(text, p)
            except _Unsure:
                continue
            assert fast == line_of(positioned, p), (str(path), p)
            compared += 1
    assert files > 150 and compared > 20_000, (files, compared)


ODD = (
    '\n\n  {"Resources" :{\n"A":{"Type":"X","Properties":{"S":"a \\" } ] , \\\\","L":[ 1 ,\n'
    '{"k":\n"v"}, [ ], null,true ,\n 2.5 ],"E":{},\n"U":"\\u2028 \\u00e9 \\/"}},\n'
    '"B" : { "Type" : "Y" , "Properties" : { "N" : 5 } } } , "Outputs": {"O": {"Value": ""}}}\n'
)


@pytest.mark.parametrize(
    "path",
    [[], ["Resources"], ["Resources", "A"], ["Resources", "A", "Properties", "S"], ["Resources", "A", "Properties",
     "L"], ["Resources", "A", "Properties", "L", 1], ["Resources", "A", "Properties", "L", 1, "k"], ["Resources",
     "A", "Properties", "L", 2], ["Resources", "A", "Properties", "L", 3], ["Resources", "A", "Properties", "L", 5],
     ["Resources", "A", "Properties", "L", 6], ["Resources", "A", "Properties", "E", "x"], ["Resources", "A",
     "Properties", "U"], ["Resources", "B", "Properties", "N"], ["Resources", "B", "Properties", "N", "deeper"],
     ["Outputs", "O", "Value"], ["Resources", "A", "Properties", "L", True], ["Resources", None]],
)  # fmt: skip
def test_odd_spacing_and_strings(path: list[Any]) -> None:
    positioned, errors = lint.decode_text(ODD)
    assert not errors and _json_equal(ODD, positioned)
    plain = PlainTemplate(json.loads(ODD), ODD)
    assert plain.line_of(path) == line_of(positioned, path)


def test_yaml_only_line_breaks_ask_cfn_lint() -> None:
    text = '{"Resources": {"A": {"Type": "X", "Properties": {"D": "a\u2028b", "N": "c"}}}}'
    positioned, _ = lint.decode_text(text)
    with pytest.raises(_Unsure):
        json_line_of(text, ["Resources", "A", "Properties", "N"])
    assert PlainTemplate(json.loads(text), text).line_of(["Resources", "A", "Properties", "N"]) == line_of(
        positioned, ["Resources", "A", "Properties", "N"]
    )
