"""``Pulumi.<stack>.yaml`` read as the Pulumi CLI reads it, and its config as the CLI passes it.

The CLI reads stack files with go-yaml v3 (``sdk/go/common/encoding/marshal.go`` in
pulumi/pulumi), which follows YAML 1.2: ``yes``, ``no``, ``on``, ``off`` and ``y`` are strings,
only ``true``/``True``/``TRUE`` and their ``false`` forms are booleans, and a value that looks
like a date stays the text as written. Numbers follow go-yaml's resolver (``resolve.go``):
``0x1F``, ``0o17``, ``0b101``, ``1_000`` and the YAML 1.1 octal ``017`` are integers. A key set
twice in one map is an error there, and so it is here.

ruamel.yaml parses (YAML 1.2 syntax, with line numbers); this module resolves plain scalars
with go-yaml's rules and builds the values, so that what the program receives is what
``pulumi up`` would give it (``sdk/go/common/resource/config/object.go``):

- a string as written; a boolean or number as JSON text (``true``, ``4``, ``1.5``);
- a map or list as compact JSON, keys sorted, HTML-sensitive characters escaped, floats
  written as Go writes them (``4.0`` is ``4``);
- an empty value (``key:``) as ``""``;
- ``{secure: ...}`` as a placeholder (it cannot be decrypted offline) at its own position: a
  whole key's value, or a string inside the key's map or list, the rest of which stays
  readable. A key holding one is listed among the secret keys as a whole, as the CLI lists it.
  The placeholder's text written as a plain value is refused: offline, the placeholder stands
  for a secure value alone.

Every problem is a ``StackFileError`` naming the file and line, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

_CORE: Final = "tag:yaml.org,2002:"
_MERGE: Final = "<<"
# go-yaml v3's table of plain scalars that are not strings (resolve.go, resolveMapList).
_KNOWN: Final[dict[str, Any]] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
# First characters of what go-yaml may read as a number (resolve.go's 'D' and 'S' hints).
_NUMBER_START: Final = frozenset("+-0123456789")
_GO_INT: Final = re.compile(
    r"(?P<sign>[-+]?)(?:0[xX](?P<hex>[0-9a-fA-F]+)|0[oO](?P<oct>[0-7]+)|0[bB](?P<bin>[01]+)"
    r"|0(?P<old_oct>[0-7]+)|(?P<dec>0|[1-9][0-9]*))"
)
_YAML_FLOAT: Final = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT: Final = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_INT64: Final = range(-(2**63), 2**63)
# Values aliases may expand to, in all: far beyond any stack file, far below exhausting memory.
_MAX_EXPANDED: Final = 100_000
_UINT64: Final = range(2**64)
# Go's encoding/json escapes these inside strings (HTMLEscape, and the JavaScript line breaks).
_GO_ESCAPES: Final = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


# The top-level keys of a stack file (the CLI's workspace.ProjectStack): it ignores any other.
STACK_FILE_KEYS: Final = (
    "config",
    "environment",
    "secretsprovider",
    "encryptedkey",
    "encryptionsalt",
)


class StackFileError(Exception):
    """The stack file cannot be read as the Pulumi CLI would: the message names file and line."""


@dataclass(frozen=True)
class StackConfig:
    """Config as the Pulumi CLI passes it: ``namespace:key`` → text, and the secret keys."""

    values: dict[str, str]
    secret_keys: tuple[str, ...]


@dataclass(frozen=True)
class _Secure:
    """A ``{secure: <ciphertext>}`` value: only the Pulumi CLI can decrypt it."""


def read_config(path: Path, project: str, placeholder: str) -> StackConfig:
    """The ``config`` section of a stack file, keys namespaced with ``project`` as the CLI does.

    Secure values are passed as ``placeholder`` and listed as secret keys.
    """
    document = _Reader(path).document()
    if document is None:
        return StackConfig({}, ())
    if not isinstance(document.value, dict):
        raise StackFileError(f"{path}:{document.line}: a stack file is a map (config: ...)")
    misplaced = [
        f"{path}:{document.key_lines.get(key, document.line)}: {_outside_config(key)}"
        for key in document.value
        if key not in STACK_FILE_KEYS
    ]
    if misplaced:
        raise StackFileError("\n".join(misplaced))
    section = document.value.get("config")
    if section is None or section.value is None:
        return StackConfig({}, ())
    if not isinstance(section.value, dict):
        raise StackFileError(f"{path}:{section.line}: config must be a map of keys to values")
    return _passed(section.value, project, placeholder, path)


def _outside_config(key: str) -> str:
    """Why a top-level key other than the stack file's own is refused: the CLI drops it."""
    if ":" in key:
        return (
            f"{key} is outside config: the Pulumi CLI passes the program only the keys under "
            "config: and drops this one; indent it under config:"
        )
    close = difflib.get_close_matches(key.lower(), STACK_FILE_KEYS, n=1, cutoff=0.6)
    suggestion = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"unknown top-level key {key!r}{suggestion}: a stack file holds only "
        f"{', '.join(STACK_FILE_KEYS[:-1])} and {STACK_FILE_KEYS[-1]} (the Pulumi CLI drops "
        "anything else); config keys go under config: (namespace:key)"
    )


def config_values(values: Mapping[str, Any], project: str, placeholder: str) -> StackConfig:
    """Plain config values (a secure one as ``{secure: <text>}``) as the Pulumi CLI would pass
    them from a stack file holding them: what tests patch, without writing and parsing a file."""
    return _passed({key: _node(value) for key, value in values.items()}, project, placeholder)


def _node(value: Any) -> _Node:
    if isinstance(value, Mapping):
        return _Node({str(key): _node(item) for key, item in value.items()}, 0)
    if isinstance(value, list | tuple):
        return _Node([_node(item) for item in value], 0)
    return _Node(value, 0)


def _passed(
    section: Mapping[str, _Node], project: str, placeholder: str, path: Path | str = "<values>"
) -> StackConfig:
    values: dict[str, str] = {}
    secret: list[str] = []
    for key, entry in section.items():
        full_key = key if ":" in key else f"{project}:{key}"
        try:
            plain = _plain(entry)
            if placeholder and _holds_text(plain, placeholder):
                raise ValueError(
                    f"holds the text {placeholder!r}, which the offline preview passes for a "
                    "secure value it cannot decrypt: write the value itself, or set it with "
                    "`pulumi config set --secret`"
                )
            values[full_key] = _as_passed(plain, placeholder)
            if _holds_secure(plain):
                secret.append(full_key)
        except ValueError as error:
            raise StackFileError(f"{path}:{entry.line}: {full_key}: {error}") from None
        except RecursionError:
            raise StackFileError(f"{path}:{entry.line}: {full_key}: nested too deeply") from None
    return StackConfig(values, tuple(secret))


# -- values with the line they start on -----------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A value with its 1-based line: maps hold ``_Node`` values, lists hold ``_Node`` items."""

    value: Any
    line: int
    # Values in it, itself included: what expanding an alias to it costs.
    size: int = 1
    # A map's keys, each with the line it is written on.
    key_lines: Mapping[str, int] = field(default_factory=dict)


def _size(value: Any) -> int:
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return 1 + sum(item.size for item in items)


def _plain(node: _Node) -> Any:
    """The value without line numbers; ``{secure: <text>}`` maps as ``_Secure``."""
    value = node.value
    if isinstance(value, dict):
        secure = value.get("secure") if len(value) == 1 else None
        if isinstance(secure, _Node) and isinstance(secure.value, str):
            return _Secure()
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _holds_text(value: Any, text: str) -> bool:
    if isinstance(value, dict):
        return any(_holds_text(item, text) for item in value.values())
    if isinstance(value, list):
        return any(_holds_text(item, text) for item in value)
    return value == text


def _holds_secure(value: Any) -> bool:
    if isinstance(value, _Secure):
        return True
    if isinstance(value, dict):
        return any(_holds_secure(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secure(item) for item in value)
    return False


class _Reader:
    """Builds the first document of a YAML stream from ruamel.yaml's events."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.anchors: dict[str, _Node] = {}
        self.expanded = 0

    def document(self) -> _Node | None:
        try:
            text = self.path.read_text(encoding="utf-8-sig")  # the CLI strips a UTF-8 BOM too
        except UnicodeDecodeError:
            raise StackFileError(f"{self.path}: is not UTF-8 text") from None
        except OSError as error:
            raise StackFileError(f"{self.path}: cannot be read ({error.strerror})") from None
        events = YAML(typ="safe", pure=True).parse(text)
        try:
            return self._first_document(events)
        except MarkedYAMLError as error:
            raise StackFileError(self._syntax(error)) from None
        except RecursionError:
            raise StackFileError(f"{self.path}: values nested too deeply to read") from None
        except YAMLError as error:
            raise StackFileError(f"{self.path}: {str(error).splitlines()[0]}") from None

    def _syntax(self, error: MarkedYAMLError) -> str:
        mark = error.problem_mark or error.context_mark
        where = f"{self.path}:{mark.line + 1}:{mark.column + 1}" if mark else str(self.path)
        what = "; ".join(part for part in (error.context, error.problem) if part)
        return f"{where}: invalid YAML: {what}"

    def _first_document(self, events: Iterator[Event]) -> _Node | None:
        for event in events:
            if isinstance(event, StreamStartEvent | DocumentStartEvent):
                continue
            if isinstance(event, StreamEndEvent | DocumentEndEvent):
                return None  # an empty document; the CLI reads only the first one
            return self._node(event, events)
        return None

    def _line(self, event: Event) -> int:
        return event.start_mark.line + 1 if event.start_mark else 0

    def _node(self, event: Event, events: Iterator[Event]) -> _Node:
        if isinstance(event, AliasEvent):
            found = self.anchors.get(event.anchor)
            if found is None:
                raise StackFileError(
                    f"{self.path}:{self._line(event)}: unknown alias *{event.anchor}"
                )
            # Aliases of aliases grow a document exponentially (a "YAML bomb"); go-yaml refuses
            # excessive aliasing too.
            self.expanded += found.size
            if self.expanded > _MAX_EXPANDED:
                raise StackFileError(
                    f"{self.path}:{self._line(event)}: aliases expand to over {_MAX_EXPANDED} "
                    "values"
                )
            return found
        if isinstance(event, ScalarEvent):
            node = _Node(self._scalar(event), self._line(event))
        elif isinstance(event, SequenceStartEvent):
            items = self._sequence(events)
            node = _Node(items, self._line(event), _size(items))
        elif isinstance(event, MappingStartEvent):
            entries, key_lines = self._mapping(events)
            node = _Node(entries, self._line(event), _size(entries), key_lines)
        else:  # pragma: no cover - the parser yields nothing else inside a document
            raise StackFileError(f"{self.path}:{self._line(event)}: unexpected {event}")
        if event.anchor:
            self.anchors[event.anchor] = node
        return node

    def _sequence(self, events: Iterator[Event]) -> list[_Node]:
        items: list[_Node] = []
        for event in events:
            if isinstance(event, SequenceEndEvent):
                break
            items.append(self._node(event, events))
        return items

    def _mapping(self, events: Iterator[Event]) -> tuple[dict[str, _Node], dict[str, int]]:
        found: dict[str, _Node] = {}
        key_lines: dict[str, int] = {}
        first_line: dict[str, int] = {}
        merged: list[_Node] = []
        for event in events:
            if isinstance(event, MappingEndEvent):
                break
            line = self._line(event)
            is_merge = (
                isinstance(event, ScalarEvent)
                and event.value == _MERGE
                and event.tag is None
                and event.style is None
            )
            key_node = self._node(event, events)
            value_node = self._node(next(events), events)
            if isinstance(key_node.value, dict | list):
                raise StackFileError(f"{self.path}:{line}: a map key must be a plain value")
            if is_merge:
                merged.append(value_node)
                continue
            key = _key_text(key_node.value)
            # go-yaml compares keys as written (decode.go: "mapping key ... already defined").
            raw = event.value if isinstance(event, ScalarEvent) else key
            if raw in first_line:
                raise StackFileError(
                    f"{self.path}:{line}: duplicate key {raw!r} (first set at line "
                    f"{first_line[raw]}): the Pulumi CLI refuses a map that sets a key twice"
                )
            first_line[raw] = line
            found[key] = value_node
            key_lines[key] = line
        # Merged keys fill in what the map does not set itself, earlier merges first.
        for source in merged:
            for mapping in source.value if isinstance(source.value, list) else [source]:
                if not isinstance(mapping.value, dict):
                    raise StackFileError(
                        f"{self.path}:{mapping.line}: << merges maps, or a list of maps"
                    )
                for key, item in mapping.value.items():
                    found.setdefault(key, item)
                    key_lines.setdefault(key, mapping.key_lines.get(key, mapping.line))
        return found, key_lines

    def _scalar(self, event: ScalarEvent) -> Any:
        tag, text = event.tag, event.value
        where = f"{self.path}:{self._line(event)}"
        if tag is None or tag == "!":
            # Only plain scalars are resolved: quoted and block scalars are strings.
            return _resolve(text) if event.style is None and tag is None else text
        kind = tag.removeprefix(_CORE) if tag.startswith(_CORE) else None
        if kind in ("str", "timestamp"):
            return text  # go-yaml hands timestamps to untyped values as the text written
        if kind == "binary":
            try:
                return base64.b64decode(text, validate=False).decode("utf-8", "replace")
            except binascii.Error:
                raise StackFileError(f"{where}: !!binary {text!r} is not base64") from None
        if kind in ("int", "float", "bool", "null"):
            value = _resolve(text)
            if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
                return float(value)
            expected = {"int": int, "float": float, "bool": bool, "null": type(None)}[kind]
            if type(value) is not expected:
                raise StackFileError(f"{where}: cannot read {text!r} as !!{kind}")
            return value
        return text  # a tag only other tools know: go-yaml keeps the text


# -- go-yaml v3's resolution of plain scalars ------------------------------------------------------


def _resolve(text: str) -> Any:
    """What go-yaml v3 makes of an untagged plain scalar (resolve.go, ``resolve``)."""
    if text in _KNOWN:
        return _KNOWN[text]
    if text[0] == ".":
        return float(text) if _DOT_FLOAT.fullmatch(text) else text
    if text[0] not in _NUMBER_START:
        return text
    plain = text.replace("_", "")
    number = _go_int(plain)
    if number is not None:
        return number
    if _YAML_FLOAT.fullmatch(plain):
        value = float(plain)
        return value if math.isfinite(value) else text  # Go reports the overflow: a string
    return text


def _go_int(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)``, else ``ParseUint`` (no sign), else None."""
    match = _GO_INT.fullmatch(text)
    if match is None:
        return None
    for group, base in (("hex", 16), ("oct", 8), ("bin", 2), ("old_oct", 8), ("dec", 10)):
        digits = match[group]
        if digits is not None:
            value = int(digits, base)
            break
    else:  # pragma: no cover - the pattern always matches one group
        return None
    if match["sign"] == "-":
        value = -value
    if value in _INT64 or (not match["sign"] and value in _UINT64):
        return value
    return None


# -- as the Pulumi CLI passes values to the program -----------------------------------------------


def _key_text(key: Any) -> str:
    """A map key as Go prints it (``fmt.Sprintf("%v", key)``)."""
    if isinstance(key, str):
        return key
    if key is None:
        return "<nil>"
    return _go_json(key)


def _go_float(value: float) -> str:
    """A float as Go's encoding/json writes it: shortest form, exponent only far from 1."""
    if not math.isfinite(value):
        raise ValueError(
            f"{value} is not a number JSON can hold (the Pulumi CLI refuses .nan and .inf)"
        )
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(value)  # shortest digits, e.g. 1e+21 or 1.5e-07
        return re.sub(r"e-0(\d)$", r"e-\1", text)
    return format(Decimal(repr(value)).normalize(), "f")


def _go_json(value: Any, placeholder: str = "") -> str:
    """JSON text as Go's encoding/json writes the decoded value: compact, keys sorted."""
    if isinstance(value, _Secure):
        return json.dumps(placeholder)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for character, escaped in _GO_ESCAPES.items():
            text = text.replace(character, escaped)
        return text
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{_go_json(k)}:{_go_json(v, placeholder)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_go_json(item, placeholder) for item in value) + "]"
    raise ValueError(f"unexpected value {value!r}")  # pragma: no cover


def _as_passed(value: Any, placeholder: str) -> str:
    """A top-level config value as the program receives it (object.go, ``MarshalString``)."""
    if value is None:
        return ""  # go-yaml leaves an empty value unset: the CLI passes ""
    if isinstance(value, _Secure):
        return placeholder
    if isinstance(value, str):
        return value
    return _go_json(value, placeholder)
