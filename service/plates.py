"""Chinese number plates: one normal form for every spelling of a plate, and what is wrong with a
text that is no plate.

The normal form is what is printed on the plate without its separator dot, in upper case:
``沪A12345`` for 沪A·12345, ``沪AD12345`` for a new-energy plate. It is the form gate cameras and
the traffic police's own records use, and leaving the dot out leaves nothing to spell two ways
(the dot has look-alikes: ・ • ∙ ⋅ . -). `canonical` gives the normal form of any text (it never
fails: the desk's look-up and the migration of stored plates use it); `normal_plate` also checks
that the text is a plate, and says what is wrong when it is not.

Plates taken (GA 36, the national standard):

- ordinary: a province's abbreviation, the issuing office's letter, 5 letters or digits
  (沪A12345, 沪NWCAA7); plates use no I and no O (they read as 1 and 0);
- new energy: 6 after the office's letter, either D or F (pure electric, other; since 2021 also
  A B C E and G H J K) then a letter or digit and 4 digits (沪AD12345, small cars), or 5 digits
  then D or F (沪A12345D, large vehicles);
- special: 4 letters or digits then 学 (driving school), 警 (police), 领 (consulate), 挂
  (trailer), 港 or 澳 (cross-border, 粤Z1234港); and embassy plates, 使 and 6 digits (使014578).

Not taken: military and armed-police plates (their own formats, not issued to residents), and
temporary paper permits (no fixed format).
"""

from __future__ import annotations

import unicodedata

# The 31 provinces, regions and municipalities of the mainland, by their plates' abbreviation.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Traditional forms typed on Hong Kong, Macau or Taiwan keyboards: the same plate.
_TRADITIONAL = str.maketrans("滬遼魯蘇陝閩貴粵寧瓊雲晉贛學領掛", "沪辽鲁苏陕闽贵粤宁琼云晋赣学领挂")
# Written between the office's letter and the serial, or typed for it: never part of the plate.
_SEPARATORS = frozenset("·・•∙⋅.。-‐‒–—―_/\\")
# Invisible characters: format (zero-width, direction overrides), control, spacing, combining.
_INVISIBLE = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
SERIAL = frozenset(LETTERS + "0123456789")
OFFICE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
SUFFIXES = "学警领挂港澳"
NEW_ENERGY_FIRST = frozenset("DABCEFGHJK")
NEW_ENERGY_LAST = frozenset("DF")
EMBASSY = "使"


class PlateError(ValueError):
    """A text that is no plate; `code` names the problem (``plate_province``), `message` says it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def canonical(text: str) -> str:
    """The normal form of a plate however it was typed: compatibility forms folded (NFKC:
    fullwidth letters and digits), traditional province characters simplified, upper case,
    without separators, spaces or invisible characters (zero-width, direction overrides, NUL).
    Any text has one; it is a plate only if `normal_plate` accepts it."""
    folded = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL).upper()
    return "".join(
        c for c in folded if c not in _SEPARATORS and unicodedata.category(c) not in _INVISIBLE
    )


def _named(character: str) -> str:
    """A character as a message shows it; a look-alike (Cyrillic А for A) by its name."""
    if character.isascii():
        return repr(character)
    name = unicodedata.name(character, "")
    shown = "" if not name or name.startswith("CJK") else f", {name}"
    return f"{character!r} (U+{ord(character):04X}{shown})"


def normal_plate(text: str) -> str:
    """The plate's normal form, or PlateError saying what is wrong with it."""
    plate = canonical(text)
    if not plate:
        raise PlateError("plate_empty", "is empty")
    if plate[0] == EMBASSY:
        if len(plate) == 7 and plate[1:].isascii() and plate[1:].isdigit():
            return plate
        raise PlateError(
            "plate_embassy", f"{plate}: an embassy plate is 使 and 6 digits (使014578)"
        )
    if plate[0] not in PROVINCES:
        raise PlateError(
            "plate_province",
            f"{plate} starts with {_named(plate[0])}, not a province's abbreviation "
            "(京, 沪, 粤, ...)",
        )
    if len(plate) < 2 or plate[1] not in OFFICE:
        found = _named(plate[1]) if len(plate) > 1 else "nothing"
        raise PlateError(
            "plate_office",
            f"{plate}: after {plate[0]} comes the issuing office's letter (A to Z), not {found}",
        )
    prefix, serial = plate[:2], plate[2:]
    for position, c in enumerate(serial):
        if c in SUFFIXES and position == len(serial) - 1:
            continue
        if c in "IO":
            raise PlateError(
                "plate_io",
                f"{plate} has the letter {c}, which plates never use (they read as 1 and 0)",
            )
        if c not in SERIAL:
            raise PlateError(
                "plate_character",
                f"{plate} holds {_named(c)}, which is not a plate's letter or digit"
                + (f" ({c} only ends a plate: 沪A1234{c})" if c in SUFFIXES else ""),
            )
    if len(serial) == 5:
        return plate  # ordinary, or 4 and a special plate's character
    if len(serial) == 6:
        small = serial[0] in NEW_ENERGY_FIRST and serial[2:].isdigit()
        large = serial[:5].isdigit() and serial[5] in NEW_ENERGY_LAST
        if small or large:
            return plate
        raise PlateError(
            "plate_new_energy",
            f"{plate} has 6 characters after {prefix}, as a new-energy plate, but those begin "
            f"with D or F and end in 4 digits ({prefix}D12345) or are 5 digits and D or F "
            f"({prefix}12345D)",
        )
    raise PlateError(
        "plate_length",
        f"{plate} has {len(serial)} characters after {prefix}; an ordinary plate has 5 "
        f"({prefix}12345), a new-energy plate 6 ({prefix}D12345)",
    )
