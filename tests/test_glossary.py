"""docs/glossary.md holds: no forbidden synonym in anything a user reads.

The words a user reads live in phrasebooks (the pages', the engine's), templates, the plans
report and the plans' names and summaries; each is scanned for every word the glossary's "not"
columns name. Code (identifiers, keys, API values) is not scanned: only its strings that are
sentences, and only in the files that hold words for people.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from service.web.i18n import MESSAGES

ROOT = Path(__file__).parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
# Python modules whose strings are said to people (the rest of each module is code).
PHRASEBOOKS = [
    "engine/phrases.py",
    "simulation/report.py",
    "simulation/metrics.py",
    "scenarios/charger_count.py",
    "service/notify/phrases.py",
]
TEMPLATES = ["service/web/templates/*.html", "simulation/report.html.j2"]
PLANS = "scenarios/plans/*.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Term:
    concept: str
    chinese: str
    english: str
    not_chinese: list[str]
    not_english: list[str]


def glossary() -> list[Term]:
    """The table under "## Terms"."""
    text = GLOSSARY.read_text().split("## Terms", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in text.splitlines() if line.startswith("|")][2:]
    terms = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        concept, chinese, english, not_zh, not_en = cells[:5]
        split = lambda cell: [word.strip() for word in cell.split(",") if word.strip()]  # noqa: E731
        terms.append(Term(concept, chinese, english, split(not_zh), split(not_en)))
    return terms


def _sentences(path: Path) -> list[str]:
    """A module's string literals that are words for people: not docstrings, not keys."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and (" " in node.value.strip() or CJK.search(node.value))
    ]


def _template_text(path: Path) -> str:
    """What a template shows, without its tags and its Jinja code."""
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", path.read_text(), flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    return re.sub(r"<[^>]*>", " ", text)


def _plan_words(path: Path) -> list[str]:
    plan = yaml.safe_load(path.read_text())
    words = [str(plan.get(key, "")) for key in ("name", "name_zh", "summary", "summary_zh")]
    for rule in plan.get("policy", {}).get("priority_rules", []):
        words += [rule.get("label", ""), rule.get("label_zh", "")]
    return words


def texts() -> list[tuple[str, str]]:
    """(where, text) for everything scanned."""
    found = [(f"MESSAGES[{key!r}]", text) for key, pair in MESSAGES.items() for text in pair]
    for name in PHRASEBOOKS:
        found += [(name, text) for text in _sentences(ROOT / name)]
    for pattern in TEMPLATES:
        found += [(str(p.relative_to(ROOT)), _template_text(p)) for p in ROOT.glob(pattern)]
    for path in ROOT.glob(PLANS):
        found += [(str(path.relative_to(ROOT)), text) for text in _plan_words(path)]
    return found


TERMS = glossary()
TEXTS = texts()


def test_the_glossary_reads_as_a_table_of_concepts():
    concepts = {term.concept for term in TERMS}
    assert {"renter", "release", "tidal street space", "priority level", "proven optimal"} <= (
        concepts
    )
    assert all(term.chinese and term.english for term in TERMS)
    # A term is never forbidden by another concept's row.
    allowed = {term.chinese for term in TERMS}
    assert not allowed & {word for term in TERMS for word in term.not_chinese}


@pytest.mark.parametrize("term", TERMS, ids=lambda term: term.concept)
def test_no_forbidden_synonym_is_shown(term):
    said = []
    for word in term.not_chinese:
        pattern = re.compile(word)
        said += [(where, word) for where, text in TEXTS if pattern.search(text)]
    for word in term.not_english:
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
        said += [(where, word) for where, text in TEXTS if pattern.search(text)]
    assert said == [], f"say {term.chinese} / {term.english}"


def test_the_scan_reads_every_source_of_words():
    # A moved file would make the scan above pass on nothing.
    sources = {where.split("[")[0] for where, _ in TEXTS}
    assert {"MESSAGES", *PHRASEBOOKS} <= sources
    assert any(where.endswith(".html") for where in sources)
    assert sum(1 for where in sources if where.startswith("scenarios/plans/")) >= 4
