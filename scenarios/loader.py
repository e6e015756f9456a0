"""Read a scenario file and report every problem with its path, e.g. `spaces[12].size: ...`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine import Instance
from scenarios.errors import ScenarioError
from scenarios.mapping import to_instance, to_plan
from scenarios.schema import PlanFile, ScenarioFile
from simulation.model import Plan

BUNDLED = Path(__file__).resolve().parent
LAIYANG = BUNDLED / "laiyang-xinjiayuan.yaml"
PLANS = BUNDLED / "plans"


# libyaml's parser, where installed, reads the bundled night about 7x faster than pure Python.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """A YAML mapping with a key twice is almost always a typo; PyYAML would keep the last
    silently."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"a key must be a plain value, not {type(key).__name__}",
                    key_node.start_mark,
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 reads an unquoted 22:10 as the base-60 integer 1330. Clock times are what these files
# hold, so integers are resolved without the base-60 form and 22:10 stays the string "22:10".
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def _reject_duplicate_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"key {key!r} appears twice in one object")
        document[key] = value
    return document


def read_document(path: Path, what: str = "scenario") -> Any:
    source = str(path)

    def failure(message: str) -> ScenarioError:
        return ScenarioError(source, [("", message)], what)

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise failure("no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise failure(f"cannot be read: {error}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text, object_pairs_hook=_reject_duplicate_json_keys)
        except json.JSONDecodeError as error:
            raise failure(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
        except ValueError as error:
            raise failure(str(error)) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise failure(f"{where}{problem}") from None


class _CompactDumper(yaml.SafeDumper):
    """Writes each space, household (with its cars) and request on one line, so a 500-entry file
    stays readable."""

    def ignore_aliases(self, data: Any) -> bool:
        # Anchors would make a hand-edited file's entries depend on each other.
        return True


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _represent_mapping(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.MappingNode:
    # Up to a household: a mapping holding a list of cars, each with a list of needs.
    one_line = _depth(data) <= 4 and len(data) > 1 and "name" not in data
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=one_line)


_CompactDumper.add_representer(dict, _represent_mapping)


def write_document(document: dict[str, Any], path: Path | None) -> str:
    """The document as JSON (for a .json path) or compact YAML; written to `path` when given."""
    if path is not None and path.suffix.lower() == ".json":
        text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    else:
        text = yaml.dump(
            document, Dumper=_CompactDumper, allow_unicode=True, sort_keys=False, width=200
        )
    if path is not None:
        path.write_text(text, encoding="utf-8")
    return text


def parse_scenario(document: Any, source: str = "scenario") -> ScenarioFile:
    if not isinstance(document, dict):
        raise ScenarioError(
            source,
            [
                (
                    "",
                    "the top level must be a mapping with name, night, policy, spaces, "
                    "households, requests",
                )
            ],
        )
    try:
        scenario = ScenarioFile.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(
            source, [(_path(e["loc"]), _message(e)) for e in error.errors()]
        ) from None
    problems = list(reference_problems(scenario))
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | Path) -> tuple[ScenarioFile, Instance]:
    """The validated file and the engine instance it describes; ScenarioError otherwise."""
    path = Path(path)
    scenario = parse_scenario(read_document(path), str(path))
    return scenario, to_instance(scenario, str(path))


def load_plan(path: str | Path) -> Plan:
    """A plan file for `parking simulate`; ScenarioError (saying "plan") otherwise."""
    path = Path(path)
    document = read_document(path, "plan")
    if not isinstance(document, dict):
        raise ScenarioError(
            str(path), [("", "the top level must be a mapping with name, policy and pools")], "plan"
        )
    try:
        plan = PlanFile.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(
            str(path), [(_path(e["loc"]), _message(e)) for e in error.errors()], "plan"
        ) from None
    return to_plan(plan, str(path))


def reference_problems(scenario: ScenarioFile) -> Iterable[tuple[str, str]]:
    """Unique ids, and every reference pointing at something that exists."""
    households = yield from _unique("households", [h.id for h in scenario.households])
    spaces = yield from _unique("spaces", [s.id for s in scenario.spaces])
    requests = yield from _unique("requests", [r.id for r in scenario.requests])
    for i, space in enumerate(scenario.spaces):
        if space.renter is not None and space.renter not in households:
            yield f"spaces[{i}].renter", f"no household {space.renter!r}"
        if space.released and space.renter is None:
            yield f"spaces[{i}].released", "only a rented space (one with a renter) can be released"
        if space.windows is None and space.kind not in scenario.policy.windows:
            yield (
                f"spaces[{i}].windows",
                f"no windows given, and policy.windows has none for kind {space.kind!r}",
            )
    known_compounds = {h.compound for h in scenario.households if h.compound}
    for i, space in enumerate(scenario.spaces):
        for compound in space.compounds:
            if compound not in known_compounds:
                yield f"spaces[{i}].compounds", f"no household belongs to compound {compound!r}"
    for i, request in enumerate(scenario.requests):
        if request.household not in households:
            yield f"requests[{i}].household", f"no household {request.household!r}"
    seen_history: dict[str, int] = {}
    for i, entry in enumerate(scenario.history):
        if entry.household not in households:
            yield f"history[{i}].household", f"no household {entry.household!r}"
        elif entry.household in seen_history:
            yield (
                f"history[{i}].household",
                f"{entry.household!r} already has an entry at "
                f"history[{seen_history[entry.household]}]",
            )
        seen_history.setdefault(entry.household, i)
        if entry.last_space is not None and entry.last_space not in spaces:
            yield f"history[{i}].last_space", f"no space {entry.last_space!r}"
    seen_pins: dict[tuple[str, str], int] = {}
    for i, pin in enumerate(scenario.pins):
        if pin.request not in requests:
            yield f"pins[{i}].request", f"no request {pin.request!r}"
        if pin.space not in spaces:
            yield f"pins[{i}].space", f"no space {pin.space!r}"
        key = (pin.request, pin.space)
        if key in seen_pins:
            yield (
                f"pins[{i}]",
                f"request {pin.request!r} and space {pin.space!r} are already pinned at "
                f"pins[{seen_pins[key]}]",
            )
        seen_pins.setdefault(key, i)


def _unique(section: str, ids: list[str]):
    first: dict[str, int] = {}
    for i, item in enumerate(ids):
        if item in first:
            yield f"{section}[{i}].id", f"duplicate id {item!r} (first at {section}[{first[item]}])"
        else:
            first[item] = i
    return set(first)


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: dict[str, Any]) -> str:
    kind, given = error["type"], error.get("input")
    if kind == "literal_error":
        allowed = error["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        return f"{given!r} is not one of {allowed}"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see `parking schema`)"
    if kind == "missing":
        return "required but missing"
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, ")
    return (
        f"{error['msg']} (got {given!r})" if not isinstance(given, (dict, list)) else error["msg"]
    )
