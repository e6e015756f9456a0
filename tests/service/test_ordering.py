"""Codes in the order people read them (service/ordering.py): numbers inside a code compare as
numbers. The key is checked against a second, independent writing of the order: a comparison
that walks both texts character by character."""

from __future__ import annotations

from functools import cmp_to_key

from hypothesis import given
from hypothesis import strategies as st

from service.ordering import natural_key

# Codes as the desk types them (1-103, L-7, A-010), and any text at all.
CODES = st.text(alphabet="0123456789-ALb·", max_size=10)
TEXTS = st.one_of(CODES, st.text(max_size=8))


def _sign(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def oracle(a: str, b: str) -> int:
    """-1, 0 or 1. At the first difference: two digit runs compare as numbers; a digit run comes
    before any other character (the text part before it ended first); other characters by code
    point; a text that ends first comes first. Texts equal in this order compare as they are
    written (A-010 before A-10)."""
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] in "0123456789" and b[j] in "0123456789":
            i_end, j_end = i, j
            while i_end < len(a) and a[i_end] in "0123456789":
                i_end += 1
            while j_end < len(b) and b[j_end] in "0123456789":
                j_end += 1
            if int(a[i:i_end]) != int(b[j:j_end]):
                return _sign(int(a[i:i_end]), int(b[j:j_end]))
            i, j = i_end, j_end
        elif a[i] in "0123456789":
            return -1
        elif b[j] in "0123456789":
            return 1
        elif a[i] != b[j]:
            return _sign(a[i], b[j])
        else:
            i, j = i + 1, j + 1
    if i < len(a) or j < len(b):
        return 1 if i < len(a) else -1
    return _sign(a, b)


def test_the_codes_of_the_issue_sort_as_people_read_them():
    codes = ["10-102", "1-103", "12-302", "10", "2", "L-12", "L-7", "A-10", "A-010", "A-9"]
    assert sorted(codes, key=natural_key) == [
        "1-103",
        "2",
        "10",
        "10-102",
        "12-302",
        "A-9",
        "A-010",
        "A-10",
        "L-7",
        "L-12",
    ]


@given(st.lists(TEXTS, max_size=12))
def test_the_key_sorts_as_the_oracle_does(texts):
    assert sorted(texts, key=natural_key) == sorted(texts, key=cmp_to_key(oracle))


@given(TEXTS, TEXTS)
def test_the_order_is_total_only_equal_texts_tie(a, b):
    assert (natural_key(a) == natural_key(b)) == (a == b)
    assert _sign(natural_key(a), natural_key(b)) == oracle(a, b)


@given(
    st.text(alphabet="AL-·", max_size=3),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.text(alphabet="0123456789-AL", max_size=4),
)
def test_a_number_inside_a_code_compares_as_a_number(prefix, m, n, suffix):
    # The suffix must not continue the number: after a digit run the next part is text.
    suffix = "-" + suffix
    assert _sign(natural_key(f"{prefix}{m}{suffix}"), natural_key(f"{prefix}{n}{suffix}")) == (
        _sign(m, n)
    )
