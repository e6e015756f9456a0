"""The pages in Chinese hold no English: every page, signed in as each role, with the words a
reader meets (text, labels for screen readers, titles, placeholders).

English that is data or a format stays: plates, household and space codes, user names, the
compound's scenario name, file formats and CSV column names (a CSV header is written in them).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from service.web.i18n import MESSAGES, Translator
from tests.web.test_pages import RESIDENT_PAGES, STAFF_PAGES
from tests.web.web_site import PUBLISHED, resident, staff

# Words a Chinese page may show: a key's name (Tab), formats and CSV columns.
ALLOWED = {"Tab", "CSV", "UTF", "GBK", "code", "x", "y", "tags", "has_space", "disabled", "elderly"}
DATA = [
    re.compile(r"[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}"),  # a plate: 沪A12345, 沪AD12345
    re.compile(r"\b[A-Z]{1,3}-\d{1,4}\b"),  # a space code: A-001, L-017
    re.compile(r"\blaiyang(/[\w-]+)?\b"),  # the compound and its user names
    re.compile(r"Laiyang Xinjiayuan[^;]*"),  # the scenario's name, as it was imported
    re.compile(r"\bstaff\b"),  # the demo's staff user name, in the log
    re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b"),  # a ballot's receipt code
]
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


class _Words(HTMLParser):
    """Text and the attributes read aloud or shown, outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [
            value or ""
            for name, value in attrs
            if name in ("aria-label", "title", "alt", "placeholder")
        ]
        if tag == "input" and ("type", "submit") in attrs:
            self.parts += [value or "" for name, value in attrs if name == "value"]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


# An element marked as English (the language switcher's "English") is English on purpose.
MARKED_ENGLISH = re.compile(r"<(\w+)\b[^>]*\blang=\"en\"[^>]*>.*?</\1>", re.S)


def english_in(page: str) -> set[str]:
    reader = _Words()
    reader.feed(MARKED_ENGLISH.sub(" ", page))
    text = " ".join(reader.parts)
    for pattern in DATA:
        text = pattern.sub(" ", text)
    return {word for word in WORD.findall(text) if word not in ALLOWED}


def test_no_chinese_page_holds_english(site):
    pages = [
        (resident(site, language="zh"), RESIDENT_PAGES),
        (resident(site, "refused tonight", "zh"), [f"/tonight?evening={PUBLISHED}"]),
        (staff(site, "zh"), STAFF_PAGES),
    ]
    found = {}
    for browser, paths in pages:
        for path in paths:
            words = english_in(browser.get(path).text)
            if words:
                found[path] = sorted(words)
    assert found == {}


def test_the_check_finds_english():
    assert english_in("<p>车位 A-001 由 沪A12345 使用</p>") == set()
    assert english_in("<p>night 2026-11-24: run 2, optimal</p>") == {"night", "run", "optimal"}
    assert english_in('<a aria-label="Site map">地图</a>') == {"Site", "map"}
    assert english_in('<a lang="en" href="/language/en">English</a>') == set()


def test_no_chinese_phrase_holds_english():
    # Pages show only some phrases on the demo's night; the phrasebook holds them all.
    found = {
        key: english_in(f"<p>{re.sub(r'{[^}]*}', ' ', chinese)}</p>")
        for key, (chinese, _) in MESSAGES.items()
    }
    assert {key: words for key, words in found.items() if words} == {}


def test_english_counts_agree_with_their_nouns_and_phrases_become_sentences():
    english, chinese = Translator("en"), Translator("zh")
    assert english("gate.count", count=1) == "1 car"
    assert english("gate.count", count=2) == "2 cars"
    assert chinese("gate.count", count=1) == "共 1 辆车"
    assert english.sentence("arrives 15:55 but street spaces open at 19:00") == (
        "Arrives 15:55 but street spaces open at 19:00."
    )
    assert chinese.sentence("15:55 到达") == "15:55 到达。"
    assert chinese.sentence("arrives 15:55", "en") == "Arrives 15:55."
