"""Pulumi config → Settings, with every problem reported at once under its key path.

A problem names the key as a user writes it (``mlops:computeClusters[1].maxNodes``) and says
what would be valid. ``SettingsError`` is a ``pulumi.RunError``: `pulumi up` prints the message
alone, without a traceback, and no resource has been registered.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, get_args, get_origin

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from settings.names import PREFIX, Names
from settings.profiles import PROFILES
from settings.schema import NAMESPACE, Settings
from settings.validation import (
    choices,
    constraint,
    did_you_mean,
    hint,
    key_path,
    type_name,
    unwrap,
)

# Values that look like credentials must live in secret config, never in a stack file.
_SECRET_LOOKING: Final = re.compile(
    r"(AccountKey=|SharedAccessSignature=|sig=[A-Za-z0-9%]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY"
    r"|^[A-Za-z0-9+/]{86}==$)"
)
_STACK_NAME: Final = re.compile(r"[\w.-]+")
# The resource group is rg-<prefix>-mlops-<stack>: Azure allows 90 characters.
_LONGEST_STACK: Final = 90 - len("rg-xxxxxxxxxx-mlops-")


class SettingsError(pulumi.RunError):
    """The stack's config is invalid; ``problems`` lists every finding, one per key path."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "Invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in self.problems)
        )


CONFIG_KEYS: Final[Mapping[str, FieldInfo]] = {
    field.alias or name: field for name, field in Settings.model_fields.items()
}


def _model_at(annotation: Any) -> Any:
    """The model or annotation that a map key or list index steps into."""
    annotation = unwrap(annotation)
    if get_origin(annotation) is tuple:
        return unwrap(get_args(annotation)[0])
    if get_origin(annotation) is dict:
        return unwrap(get_args(annotation)[1])
    return annotation


def _locate(
    loc: Sequence[str | int], root: type[BaseModel] = Settings
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model holding the last step of ``loc``, and that step's field."""
    model: Any = root
    field: FieldInfo | None = None
    for position, step in enumerate(loc):
        holder = model
        last = position == len(loc) - 1
        if isinstance(step, int):
            # A list entry: the list's field declares its entries' constraints and hints.
            model = _model_at(model)
            if last:
                return holder, field
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            model, field = _model_at(model), None
            continue
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        field = fields.get(step)
        model = _model_at(field.annotation) if field else None
        if last:
            return holder, field
    return None, field


def _unknown_key(loc: Sequence[str | int], root: type[BaseModel] = Settings) -> str:
    holder, _ = _locate(loc, root)
    valid = sorted(f.alias or n for n, f in (holder or root).model_fields.items())
    name = str(loc[-1])
    if len(loc) == 1:  # a stack config key: suggest within its namespace
        namespace, _, name = name.partition(":")
        valid = [key for key in valid if key.startswith(f"{namespace}:")]
        short = [key.partition(":")[2] for key in valid]
        return f"unknown key{did_you_mean(name, short)}; valid keys: {', '.join(valid)}"
    return f"unknown key{did_you_mean(name, valid)}; valid keys: {', '.join(valid)}"


_TYPES: Final = {
    "string_type": "a string",
    "bool_type": "true or false",
    "dict_type": "a map",
    "model_type": "a map",
    "tuple_type": "a list",
    "list_type": "a list",
}


def _message(  # noqa: PLR0911
    error: Mapping[str, Any], loc: Sequence[str | int], root: type[BaseModel] = Settings
) -> str:
    """What is wrong and what would be valid, in the words of the field's declaration."""
    kind, value = error["type"], error.get("input")
    _, field = _locate(loc, root)
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
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
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


def describe(
    errors: Sequence[Any], base: tuple[str | int, ...] = (), root: type[BaseModel] = Settings
) -> Iterator[str]:
    """Each pydantic error as ``<key path>: <what is wrong and what would be valid>``.

    ``root`` is the model the config keys belong to (the bootstrap program has its own).
    """
    for error in errors:
        loc = (*base, *error["loc"])
        if error["type"] == "problems":
            yield from describe(error["ctx"]["errors"], loc, root)
            for where, message in error["ctx"]["found"]:
                yield f"{key_path((*loc, *where))}: {message}"
        else:
            yield f"{key_path(loc)}: {_message(error, loc, root)}"


def _decode(key: str, raw: str, problems: list[str]) -> Any:
    """Pulumi hands structured config to programs as JSON text."""
    if not raw.strip():  # Pulumi passes an empty (null) YAML value as ""
        problems.append(f"{key}: is empty: give a YAML map or list, or remove the key")
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        problems.append(f"{key}: must be a YAML map or list, got a plain string")
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        problems.append(
            f"{key}: holds a number with too many digits to read; numbers here are small whole "
            "numbers such as maxNodes: 4"
        )
    return None


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def config_value(
    key: str, raw: str, problems: list[str], keys: Mapping[str, FieldInfo] = CONFIG_KEYS
) -> Any:
    """A config value as the model reads it: structured keys decoded, booleans as booleans.

    ``keys`` maps each config key to its field (the bootstrap program passes its own).
    """
    field = keys.get(key)
    annotation = unwrap(field.annotation) if field else str
    if annotation is bool:
        return {"true": True, "false": False}.get(raw, raw)
    if get_origin(annotation) in (tuple, dict) or (
        isinstance(annotation, type) and issubclass(annotation, BaseModel)
    ):
        return _decode(key, raw, problems)
    return raw


def load(
    config: Mapping[str, str], *, project: str, stack: str, secret_keys: Sequence[str] = ()
) -> Settings:
    """Validate a stack's config (keys as ``namespace:key``, values as Pulumi passes them).

    Raises SettingsError listing every problem; returns immutable Settings otherwise.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, raw in config.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE and key not in CONFIG_KEYS:
            if difflib.get_close_matches(namespace, [NAMESPACE], cutoff=0.6):
                problems.append(
                    f"{key}: unknown namespace {namespace!r} (did you mean '{NAMESPACE}:{name}'?)"
                )
            continue  # other namespaces configure providers
        values[key] = config_value(key, raw, problems)
        if key not in secret_keys:
            problems += [
                f"{path}: looks like a credential; never put secrets in plain config "
                "(use `pulumi config set --secret`, and prefer identity-based access)"
                for path, text in _strings(values[key], key)
                if _SECRET_LOOKING.search(text)
            ]
    if len(stack) > _LONGEST_STACK or not _STACK_NAME.fullmatch(stack):
        problems.append(
            f"stack name: {stack!r} must be at most {_LONGEST_STACK} letters, digits, '-', '_' or "
            "'.': it names the resource group rg-<prefix>-mlops-<stack>, which Azure limits to "
            "90 characters"
        )
    environment = values.setdefault(f"{NAMESPACE}:environment", stack)
    prefix = values.get(f"{NAMESPACE}:prefix")
    if isinstance(prefix, str) and re.fullmatch(PREFIX.pattern, prefix):
        too_long = Names(prefix=prefix, environment=str(environment), stack=stack).too_long()
        if too_long is not None:
            problems.append(f"{NAMESPACE}:prefix: {too_long}")
    context = {
        "project": project,
        "stack": stack,
        "environment": environment,
        "profile": PROFILES.get(environment, PROFILES["dev"]),
    }
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(
            {k: v for k, v in values.items() if v is not None}, context=context
        )
    except ValidationError as error:
        problems += describe(error.errors())
    if problems or settings is None:
        raise SettingsError(problems)
    return settings


def from_pulumi() -> Settings:
    """Read the running stack's config; the single place that touches Pulumi config."""
    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = [
        *runtime_config.get_config_secret_keys_env(),
        *(key for key in config if runtime_config.is_config_secret(key)),
    ]
    return load(
        {key: str(value) for key, value in config.items()},
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        secret_keys=secret_keys,
    )
