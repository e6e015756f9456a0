"""The words of the reasons for a refusal, in English and in Simplified Chinese.

`engine.explain` decides what is true (which rule excludes how many spaces, which spaces open too
late, who holds the fitting ones); a phrasebook only says it. Both phrasebooks say the same facts.
"""

from __future__ import annotations

# (what a space with the feature is, what one without it is)
_FEATURES_EN = {
    "ev_charger": ("has an EV charger", "has no EV charger"),
    "accessible": ("is accessible", "is not accessible"),
    "covered": ("is covered", "is not covered"),
    "fast_charger": ("has a fast charger", "has no fast charger"),
    "ebike_charger": ("has an e-bike socket", "has no e-bike socket"),
}
_FEATURES_ZH = {
    "ev_charger": ("有充电桩", "没有充电桩"),
    "accessible": ("是无障碍车位", "不是无障碍车位"),
    "covered": ("有顶棚", "没有顶棚"),
    "fast_charger": ("有快充桩", "没有快充桩"),
    "ebike_charger": ("有电动自行车充电插座", "没有电动自行车充电插座"),
}
_KINDS_ZH = {"rented": "小区出租", "street": "潮汐", "charger": "充电桩"}
_SIZES_ZH = {"small": "小型", "standard": "标准", "large": "大型"}


def count_noun(n: int, noun: str) -> str:
    """A count and its noun, plural unless one: "1 space", "3 spaces"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


class English:
    """The engine's own words (the CLI, the API, the scenario tools).

    Each method returns one phrase, lower case and without a full stop, from facts already
    decided by `engine.explain` and `engine.rules`: `count` is a number of spaces, `kinds` their
    kinds as one phrase (`kinds`), clock times are "HH:MM" strings. The examples are English;
    `Chinese` says the same facts with the same numbers and times.
    """

    def join(self, phrases: list[str]) -> str:
        """Phrases as one sentence: "a", "a and b", "a, b, and c" (and "a, and b" when a phrase
        has an "and" of its own)."""
        if len(phrases) <= 1:
            return "".join(phrases)
        if len(phrases) == 2 and not any(" and " in phrase for phrase in phrases):
            return " and ".join(phrases)
        if len(phrases) == 2:
            return f"{phrases[0]}, and {phrases[1]}"
        return ", ".join(phrases[:-1]) + ", and " + phrases[-1]

    def kinds(self, kinds: list[str]) -> str:
        """Space kinds as one label: "rented/street"."""
        return "/".join(kinds)

    def own_hours(self, kind: str) -> str:
        """The label of spaces of a kind with hours of their own: "rented (own hours)"."""
        return f"{kind} (own hours)"

    def feature(self, feature: str, present: bool) -> str:
        """What a space with (or without) the feature is: "has an EV charger"."""
        words = feature.replace("_", " ")
        has, lacks = _FEATURES_EN.get(feature, (f"has {words}", f"lacks {words}"))
        return has if present else lacks

    def _spaces(self, count: int, kinds: str) -> str:
        """Count, spaces and verb: "1 street space is", "3 street spaces are"."""
        return f"{count_noun(count, f'{kinds} space')} {'is' if count == 1 else 'are'}"

    def no_spaces(self) -> str:
        """The plan has no spaces at all."""
        return "there are no spaces in this plan"

    def in_other_compounds(self, count: int) -> str:
        """Spaces the request's compound may not use: "3 spaces belong to other compounds"."""
        return f"{count_noun(count, 'space')} belong{'s' if count == 1 else ''} to other compounds"

    def not_released(self, count: int, kinds: str) -> str:
        """Rule.POOL: "1 rented space is not released tonight"."""
        return f"{self._spaces(count, kinds)} not released tonight"

    def another_compound(self, count: int, kinds: str) -> str:
        """Rule.COMPOUND: "2 street spaces belong to another compound"."""
        return (
            f"{count_noun(count, f'{kinds} space')} belong{'s' if count == 1 else ''} "
            "to another compound"
        )

    def too_small(self, count: int, kinds: str, size: str) -> str:
        """Rule.SIZE: "1 street space is too small for a large car"."""
        return f"{self._spaces(count, kinds)} too small for a {size} car"

    def lacking(self, count: int, kinds: str, features: list[str]) -> str:
        """Rule.FEATURES: "1 rented space has no EV charger", "none of 2 street spaces has an EV
        charger"."""
        if count == 1:
            return (
                f"1 {kinds} space {self.join([self.feature(f, present=False) for f in features])}"
            )
        having = self.join([self.feature(f, present=True) for f in features])
        return f"none of {count} {kinds} spaces {having}"

    def kept_for_charging(self, count: int, kinds: str) -> str:
        """Rule.CHARGING_ONLY: "3 charger spaces are kept for charging"."""
        return f"{self._spaces(count, kinds)} kept for charging"

    def too_far(self, count: int, kinds: str, metres: int) -> str:
        """Rule.WALK: "2 street spaces are more than 400 m from your building"."""
        return f"{self._spaces(count, kinds)} more than {metres} m from your building"

    def excluded_by_staff(self, count: int) -> str:
        """Rule.FORBIDDEN: "staff have excluded 1 space for this request"."""
        return f"staff have excluded {count_noun(count, 'space')} for this request"

    def opens_too_late(self, arrive: str, openings: list[tuple[str, str]]) -> str:
        """Rule.WINDOW, spaces that open after the arrival, by (kinds, opening time): "arrives
        20:00 but rented spaces open at 22:00"."""
        opening = self.join([f"{kinds} spaces open at {time}" for kinds, time in openings])
        return f"arrives {arrive} but {opening}"

    def closes_too_early(self, depart: str, closings: list[tuple[str, str]]) -> str:
        """Rule.WINDOW, spaces that close before the departure, by (kinds, closing time):
        "departs 08:30 but street spaces must be empty by 07:00"."""
        closing = self.join([f"{kinds} spaces must be empty by {time}" for kinds, time in closings])
        return f"departs {depart} but {closing}"

    def not_shared_at(self, kinds: str, arrive: str) -> str:
        """Rule.WINDOW, spaces closed at the arrival: "street spaces are not shared at 12:00"."""
        return f"{kinds} spaces are not shared at {arrive}"

    def no_household_space(self) -> str:
        """A household cap of zero."""
        return "the plan gives no shared space to a household"

    def household_full(self, held: int) -> str:
        """The household holds as many shared spaces as the cap allows."""
        return (
            f"your household already has {count_noun(held, 'shared space')} tonight, "
            "the most the plan allows"
        )

    def no_household_charging(self) -> str:
        """A charging cap of zero."""
        return "the plan gives no charging session to a household"

    def charging_full(self, held: int) -> str:
        """The household holds as many charging sessions as the charging cap allows."""
        return (
            f"your household already has {count_noun(held, 'charging session')} tonight, "
            "the most the plan allows"
        )

    def all_taken(
        self, fitting: int, arrive: str, depart: str, takers: list[tuple[int, int]], level: int
    ) -> str:
        """Spaces fit, but all were taken; `takers` are (priority level, requests), highest level
        first, and `level` is this request's."""
        levels = self.join([f"priority {lv} ({n})" for lv, n in takers])
        return (
            f"{count_noun(fitting, 'space')} {'fits' if fitting == 1 else 'fit'} "
            f"this car from {arrive} to {depart}; "
            f"all were taken for that time by requests of {levels} "
            f"(this request is priority {level})"
        )


class Chinese(English):
    """简体中文: the same facts for residents who read Chinese first.

    Every method of `English` is said again here (the helpers `_spaces` aside), with the same
    arguments.
    """

    def join(self, phrases: list[str]) -> str:
        return "；".join(phrases)

    def _list(self, parts: list[str]) -> str:
        return "、".join(parts)

    def kinds(self, kinds: list[str]) -> str:
        return "/".join(_KINDS_ZH.get(kind, kind) for kind in kinds)

    def own_hours(self, kind: str) -> str:
        return f"{_KINDS_ZH.get(kind, kind)}（自定时段）"

    def feature(self, feature: str, present: bool) -> str:
        has, lacks = _FEATURES_ZH.get(feature, (f"有{feature}", f"没有{feature}"))
        return has if present else lacks

    def no_spaces(self) -> str:
        return "这个方案里没有车位"

    def in_other_compounds(self, count: int) -> str:
        return f"{count} 个车位属于其他小区"

    def not_released(self, count: int, kinds: str) -> str:
        return f"{count} 个{kinds}车位今晚没有让出"

    def another_compound(self, count: int, kinds: str) -> str:
        return f"{count} 个{kinds}车位属于另一个小区"

    def too_small(self, count: int, kinds: str, size: str) -> str:
        return f"{count} 个{kinds}车位停不下{_SIZES_ZH.get(size, size)}车"

    def lacking(self, count: int, kinds: str, features: list[str]) -> str:
        if count == 1:
            return (
                f"1 个{kinds}车位{self._list([self.feature(f, present=False) for f in features])}"
            )
        having = self._list([self.feature(f, present=True) for f in features])
        return f"{count} 个{kinds}车位中没有一个{having}"

    def kept_for_charging(self, count: int, kinds: str) -> str:
        return f"{count} 个{kinds}车位仅供充电"

    def too_far(self, count: int, kinds: str, metres: int) -> str:
        return f"{count} 个{kinds}车位离您的楼超过 {metres} 米"

    def excluded_by_staff(self, count: int) -> str:
        return f"物业为这个申请排除了 {count} 个车位"

    def opens_too_late(self, arrive: str, openings: list[tuple[str, str]]) -> str:
        opening = self._list([f"{kinds}车位 {time} 才开放" for kinds, time in openings])
        return f"{arrive} 到达，但{opening}"

    def closes_too_early(self, depart: str, closings: list[tuple[str, str]]) -> str:
        closing = self._list([f"{kinds}车位须在 {time} 前空出" for kinds, time in closings])
        return f"{depart} 离开，但{closing}"

    def not_shared_at(self, kinds: str, arrive: str) -> str:
        return f"{kinds}车位在 {arrive} 不共享"

    def no_household_space(self) -> str:
        return "这个方案不给住户分配共享车位"

    def household_full(self, held: int) -> str:
        return f"您的住户今晚已有 {held} 个共享车位，已达方案上限"

    def no_household_charging(self) -> str:
        return "这个方案不给住户安排充电时段"

    def charging_full(self, held: int) -> str:
        return f"您的住户今晚已有 {held} 个充电时段，已达方案上限"

    def all_taken(
        self, fitting: int, arrive: str, depart: str, takers: list[tuple[int, int]], level: int
    ) -> str:
        levels = self._list([f"优先级 {lv} 的申请（{n} 个）" for lv, n in takers])
        return (
            f"{fitting} 个车位适合这辆车从 {arrive} 停到 {depart}；这段时间都已安排给"
            f"{levels}（您的申请为优先级 {level}）"
        )


ENGLISH = English()
"""The English phrasebook, the engine's default."""
CHINESE = Chinese()
"""The Simplified Chinese phrasebook (the service's residents' pages)."""
