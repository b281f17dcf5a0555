"""How the schema's validators report: every problem, each under its own key path.

Pydantic stops checking a map's cross-field rules once one of its fields fails. Here a
section's rules still judge the fields that are valid, so two independent mistakes are
reported together; the loader turns each problem into ``<key path>: <message>``.
"""

from __future__ import annotations

import difflib
import functools
import types
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from settings.names import NameRule

# Where, relative to the value being validated, and what is wrong.
Problem = tuple[tuple[str | int, ...], str]


@dataclass(frozen=True)
class Hint:
    """How errors describe a constrained value: "must be <what>", and why when it helps."""

    what: str
    why: str = ""


@dataclass(frozen=True)
class Only:
    """Marks a key valid only where another key of its map (by field name) is one of ``values``;
    with ``required``, also required there, and what to give; ``why`` it is valid only there."""

    key: str
    values: tuple[str, ...]
    required: str = ""
    why: str = ""


@dataclass(frozen=True)
class Unique:
    """Marks a list's entries distinct, ignoring case: values, or maps by name (``what`` one is)."""

    what: str = ""


def pattern(rule: NameRule, min_length: int | None = None, max_length: int | None = None) -> Any:
    return Field(pattern=rule.pattern, min_length=min_length, max_length=max_length)


def named(rule: NameRule) -> tuple[Any, ...]:
    """A string that follows ``rule``, and says so when it does not."""
    return pattern(rule), Hint(rule.what)


def problems(found: Sequence[Problem]) -> PydanticCustomError:
    """One validation error carrying several problems, each explained already."""
    return PydanticCustomError(
        "problems", "{count} problems", {"count": len(found), "found": found}
    )


def invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", "{message}", {"message": message})


def did_you_mean(value: str, candidates: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, ignoring case and spaces."""
    by_key = {candidate.casefold().replace(" ", ""): candidate for candidate in candidates}
    match = difflib.get_close_matches(
        value.casefold().replace(" ", ""), list(by_key), n=1, cutoff=0.6
    )
    return f" (did you mean {by_key[match[0]]!r}?)" if match else ""


def type_name(value: object) -> str:
    kinds = ((bool, "a boolean"), (int | float, "a number"), (str, "a string"))
    kinds += ((list, "a list"), (dict, "a map"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


def _either(values: Sequence[str]) -> str:
    return " or ".join(filter(None, (", ".join(values[:-1]), values[-1])))


def _when(model: type[BaseModel], marker: Only) -> str:
    """``<key>: <value> or <value>``: where an ``Only`` key is valid, as the config spells it."""
    return f"{model.model_fields[marker.key].alias or marker.key}: {_either(marker.values)}"


def condition(model: type[BaseModel], name: str) -> str:
    """What a field's ``Only`` marker says, in a reader's words (docs and editors alike)."""
    for field, _, marker in _markers(model):
        if field == name and isinstance(marker, Only):
            required = ", and required there" if marker.required else ""
            return f"Only with {_when(model, marker)}{required}."
    return ""


def _editor_rules(schema: dict[str, Any], model: type[Section]) -> None:
    """The ``Only`` markers in the JSON Schema too, so editors flag what the loader refuses: a
    key given where its condition does not hold, or left out where it is required."""
    rules: list[dict[str, Any]] = []
    properties = schema.get("properties", {})
    for name, alias, marker in _markers(model):
        if not isinstance(marker, Only):
            continue
        field = model.model_fields[marker.key]
        # The schema names fields by their aliases unless asked for their Python names.
        by_alias = alias in properties
        key, when = (alias, field.alias or marker.key) if by_alias else (name, marker.key)
        values = list(marker.values)
        # A condition key left out has its default, or (mlops:environment) the loader's.
        defaulted = not field.is_required() and field.get_default() in marker.values
        present = {"required": [when], "properties": {when: {"enum": values}}}
        holds = {"anyOf": [present, {"not": {"required": [when]}}]} if defaulted else present
        refused = {"required": [when], "properties": {when: {"not": {"enum": values}}}}
        if not defaulted and not field.is_required():
            refused = {"anyOf": [refused, {"not": {"required": [when]}}]}
        unset = {"properties": {key: {"enum": [None, []]}}}
        rules.append({"if": refused, "then": unset})
        if marker.required:
            rules.append({"if": holds, "then": {"required": [key], "not": unset}})
        described = properties[key]
        described["description"] = f"{described.get('description', '')} {condition(model, name)}"
    if rules:
        schema["allOf"] = rules


# YAML lists arrive as lists; settings keep them immutable, as tuples.
Listed: Final = BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)
_CONFIG: Final = ConfigDict(
    alias_generator=to_camel,
    validate_by_name=True,
    validate_by_alias=True,
    extra="forbid",
    frozen=True,
    strict=True,
    # Field descriptions are the attribute docstrings: they feed the JSON Schema and the docs.
    use_attribute_docstrings=True,
    # Azure's name rules use look-aheads, which pydantic's default regex engine lacks.
    regex_engine="python-re",
    json_schema_extra=_editor_rules,
)

# A one-field model copies its field's description: looking for docstrings in a class made at run
# time would only walk the caller's stack in vain (seconds across a test run).
_ALONE_CONFIG: Final = ConfigDict(_CONFIG, use_attribute_docstrings=False, json_schema_extra=None)


class Section(BaseModel):
    """A map in the stack config: camelCase keys, unknown keys refused, immutable."""

    model_config = _CONFIG
    # Keys an earlier version read, each with what replaced it: refused with that message.
    RETIRED: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        """Rules across fields, over the valid ones by name (a failed field is absent, a failed
        list entry None); ``given`` names the fields the config sets."""
        return iter(())

    @model_validator(mode="wrap")
    @classmethod
    def _all_problems(cls, data: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        retired: list[Problem] = []
        if isinstance(data, Mapping):
            retired = [((key,), why) for key, why in cls.RETIRED.items() if key in data]
            data = {k: v for k, v in data.items() if k not in cls.RETIRED}
        try:
            section = handler(data)
        except ValidationError as error:
            if not isinstance(data, Mapping):
                raise
            failed = {e["loc"][0] for e in error.errors() if e["loc"]}
            found = retired + list(_explained(cls, error.errors()))
            found += _judged(cls, *_valid_fields(cls, data, failed, info))
            raise problems(found) from None
        found = retired + list(_judged(cls, dict(section), section.model_fields_set))
        if found:
            raise problems(found)
        return section


def _explained(model: type[Section], errors: Sequence[Any]) -> Iterator[Problem]:
    """Pydantic's errors in the words of the fields' declarations (a nested section has
    explained its own)."""
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "problems":
            yield from (((*loc, *where), message) for where, message in error["ctx"]["found"])
        elif error["type"] == "extra_forbidden":
            yield loc, _unknown_key(str(loc[-1]), list(fields))
        else:
            yield loc, _message(error, fields.get(loc[0]) if loc else None)


def _unknown_key(name: str, valid: list[str]) -> str:
    namespace, _, short = name.partition(":")
    namespaced = [key for key in valid if short and key.startswith(f"{namespace}:")]
    if namespaced:  # a stack config key (namespace:key): suggest within its namespace
        suggestion = did_you_mean(short, [key.partition(":")[2] for key in namespaced])
        return f"unknown key{suggestion}; valid keys: {', '.join(sorted(namespaced))}"
    return f"unknown key{did_you_mean(name, valid)}; valid keys: {', '.join(sorted(valid))}"


_TYPES: Final = {
    "string_type": "a string",
    "bool_type": "true or false",
    "dict_type": "a map",
    "model_type": "a map",
    "tuple_type": "a list",
    "list_type": "a list",
}


def _message(error: Mapping[str, Any], field: FieldInfo | None) -> str:
    """What is wrong and what would be valid, in the words of the field's declaration."""
    kind, value = error["type"], error.get("input")
    told = hint(field) if field else None
    low, high = (constraint(field, "ge"), constraint(field, "le")) if field else (None, None)
    listed = ", ".join(map(str, choices(field))) if field else ""
    what = told.what if told else f"one of {listed}" if listed else ""
    what = what or (f"a whole number {low}-{high}" if high is not None else "")
    why = told.why if told else ""
    if isinstance(value, str) and not value.strip() and kind.startswith(("string_", "literal")):
        return f"must not be empty; it must be {what}"
    if kind == "missing":
        return f"is required ({what})" if what else "is required"
    if kind == "literal_error":
        return f"must be one of {listed}{f' ({why})' if why else ''}; got {value!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number {low}-{high}, got {type_name(value)}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"must be between {low} and {high}, got {value}"
    if kind in ("string_too_short", "string_too_long") and field:
        length = f"{constraint(field, 'min_length')}-{constraint(field, 'max_length')}"
        return f"{value!r} must be {length} characters{f': {why}' if why else ''}"
    if kind in ("string_pattern_mismatch", "string_type") and told:
        got = repr(value) if kind.endswith("mismatch") else type_name(value)
        return f"must be {what}, got {got}"
    if kind == "bool_type" and isinstance(value, str):
        return f"must be true or false, got {value!r}"
    if kind in _TYPES:
        return f"must be {_TYPES[kind]}, got {type_name(value)}"
    return str((error.get("ctx") or {}).get("message") or error["msg"])


def _judged(model: type[Section], fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
    """The declared rules (``Only``, ``Unique``), then the section's own."""
    for name, key, marker in _markers(model):
        if isinstance(marker, Only) and marker.key in fields:
            when = _when(model, marker)
            holds = fields[marker.key] in marker.values
            # null or an empty list says nothing; a value that failed its checks was given.
            stated = name in given and (name not in fields or fields[name] not in (None, ()))
            if holds and marker.required and not stated:
                yield (key,), f"is required with {when} ({marker.required})"
            elif not holds and stated:
                yield (key,), f"is only valid with {when}{f' ({marker.why})' if marker.why else ''}"
        elif isinstance(marker, Unique):
            yield from _repeats(key, marker.what, fields.get(name) or ())
    yield from model.rules(fields, given)


@functools.cache
def _markers(model: type[BaseModel]) -> tuple[tuple[str, str, Only | Unique], ...]:
    return tuple(
        (name, field.alias or name, marker)
        for name, field in model.model_fields.items()
        for marker in metadata(field)
        if isinstance(marker, Only | Unique)
    )


def _repeats(key: str, what: str, entries: Sequence[Any]) -> Iterator[Problem]:
    if not what:
        for index, first in repeats(entries, str.lower):
            yield (key, index), f"repeats {key}[{first}] ({entries[index]!r})"
        return
    for index, first in repeats(entries, lambda entry: entry.name.lower()):
        yield (key, index, "name"), f"duplicate {what} {entries[index].name!r} (also at [{first}])"


def repeats(entries: Sequence[Any], identity: Callable[[Any], Any]) -> Iterator[tuple[int, int]]:
    """(index, index of the first) of each valid entry (not None) with an earlier one's
    identity."""
    seen: dict[Any, int] = {}
    for index, entry in enumerate(entries):
        if entry is not None and (first := seen.setdefault(identity(entry), index)) != index:
            yield index, first


def key_path(loc: Sequence[str | int]) -> str:
    """A key as a user writes it: ``mlops:computeClusters[1].maxNodes``."""
    head, *rest = loc
    text = str(head)
    for step in rest:
        if step == "[key]":  # pydantic marks a problem with a map's key this way
            continue
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text


def _valid_fields(
    model: type[Section], data: Mapping[str, Any], failed: set[Any], info: ValidationInfo
) -> tuple[dict[str, Any], set[str]]:
    valid: dict[str, Any] = {}
    given: set[str] = set()
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            if not field.is_required():
                valid[name] = field.get_default(call_default_factory=True)
            continue
        given.add(name)
        if key not in failed:
            valid[name] = _validated(_alone(model, name), {"value": data[key]}, info)
        elif isinstance(data[key], list) and (entry := _entry_type(field)) is not None:
            entries: list[Any] = data[key]
            valid[name] = tuple(_validated(entry, item, info) for item in entries)
    return valid, given


def _validated(model: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """The validated value, or None where it is invalid."""
    try:
        # Config spells keys as the stack file does (vmSize), never by Python name (vm_size).
        validated = model.model_validate(value, context=info.context, by_name=False)
    except ValidationError:
        return None
    return getattr(validated, "value", validated)


@functools.cache
def _alone(model: type[Section], name: str) -> type[BaseModel]:
    """A model of one field, to validate that field on its own."""
    field = model.model_fields[name]
    # Without any alias: the one field is given as ``value`` (with validate_by_name off, a kept
    # validation alias would make every value of an aliased field look missing).
    unaliased = FieldInfo.merge_field_infos(
        field, alias=None, validation_alias=None, serialization_alias=None
    )
    alone: Any = (field.annotation, unaliased)
    return create_model(f"{model.__name__}_{name}", __config__=_ALONE_CONFIG, value=alone)


def _entry_type(field: FieldInfo) -> type[Section] | None:
    args = get_args(field.annotation)
    if get_origin(field.annotation) is tuple and args and isinstance(args[0], type):
        return args[0] if issubclass(args[0], Section) else None
    return None


# Reading the declarations: the loader's messages and the generated docs describe fields alike.


def unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``; ``Annotated[X, ...]`` → ``X``."""
    while True:
        if hasattr(annotation, "__metadata__"):
            annotation = annotation.__origin__
        elif get_origin(annotation) in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def metadata(field: FieldInfo) -> list[Any]:
    """The field's constraints and hints, including those of an optional ``Annotated`` type."""
    found = list(field.metadata)
    for member in get_args(field.annotation):
        for item in getattr(member, "__metadata__", ()):
            # A list's entries declare theirs with Field(...), which holds them in turn.
            found += item.metadata if isinstance(item, FieldInfo) else [item]
    return found


def constraint(field: FieldInfo, name: str) -> Any:
    return next((getattr(m, name) for m in metadata(field) if hasattr(m, name)), None)


def hint(field: FieldInfo) -> Hint | None:
    return next((m for m in metadata(field) if isinstance(m, Hint)), None)


def choices(field: FieldInfo) -> tuple[Any, ...]:
    annotation = unwrap(field.annotation)
    return get_args(annotation) if get_origin(annotation) is Literal else ()
