"""The "add a page" recipe of docs/architecture.md, done once with a test-only page.

The page (staff: how many households and spaces the compound has) follows the recipe's steps
with the project's own machinery: an application function (here one that exists,
`compound.read_compound`), words in both languages, a template extending base.html, a route
with the staff dependency that calls the function and renders; and its test in both languages.
The template and words are added for the test only, so nothing here ships.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import ChoiceLoader, DictLoader

from service.actions import compound as compound_actions
from service.deps import NowDep, SessionDep
from service.web import i18n
from service.web.common import render, templates
from service.web.session import StaffDep, TranslatorDep
from tests.web.web_site import Site, resident, staff

# Step 2: the words, one key per sentence, in both languages.
WORDS = {
    "size_page.title": ("小区规模", "Size of the compound"),
    "size_page.counts": (
        "{households} 户，{spaces} 个车位",
        "{households} households, {spaces} spaces",
    ),
}
# Step 3: the template.
TEMPLATE = """{% extends "base.html" %}
{% block title %}{{ t("size_page.title") }}{% endblock %}
{% block main %}<h1>{{ t("size_page.title") }}</h1>
<p>{{ t("size_page.counts", households=size.households, spaces=size.spaces) }}</p>{% endblock %}
"""

# Step 4: the route: the role's dependency, the application function, render.
router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/size")
def size_page(
    request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep, now: NowDep
) -> Response:
    size = compound_actions.read_compound(session=session, compound=compound, now=now)
    return render(request, t, "size.html", size=size)


def _with_the_page(site: Site, monkeypatch) -> None:
    for key, words in WORDS.items():
        monkeypatch.setitem(i18n.MESSAGES, key, words)
    loader = ChoiceLoader([DictLoader({"size.html": TEMPLATE}), templates.env.loader])
    monkeypatch.setattr(templates.env, "loader", loader)
    site.make_app().include_router(router)


# Step 5: the page's test, in both languages, and for the wrong role.
def test_a_page_added_by_the_recipe_shows_in_both_languages(site, monkeypatch):
    _with_the_page(site, monkeypatch)
    chinese = staff(site).get("/staff/size")
    english = staff(site, language="en").get("/staff/size")
    assert chinese.status_code == english.status_code == 200
    assert "480 户，450 个车位" in chinese.text and '<html lang="zh-CN">' in chinese.text
    assert "480 households, 450 spaces" in english.text
    refused = resident(site).get("/staff/size")
    assert refused.status_code == 403 and "480 户" not in refused.text
