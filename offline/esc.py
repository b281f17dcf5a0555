"""Pulumi ESC environments a stack imports, evaluated offline from local copies of them.

A stack file's ``environment:`` lists ESC environments (``- mlops/dev``), merged in order, later
over earlier, like an anonymous environment's ``imports``; the form ``environment: {imports:
[...], values: {...}}`` is such an environment written inline
(https://www.pulumi.com/docs/esc/guides/pulumi-iac/; ``Environment`` in pulumi/pulumi
``sdk/go/common/workspace/project.go``). What an environment's ``values.pulumiConfig`` holds
becomes the stack's config: a key without namespace is the project's, and a key the stack file
sets itself keeps the stack's value, its maps merged over the environment's key by key
(https://www.pulumi.com/docs/esc/environments/syntax/reserved-properties/pulumi-config/;
``mergeConfig`` in ``sdk/go/common/workspace/config.go``: JSON merge patch, stack over
environment).

Offline there is no Pulumi Cloud: each environment is read from a local copy of its definition
(``esc env get <project>/<env> --definition``, which writes static secrets as ciphertext),
evaluated as ESC evaluates it (pulumi/esc ``eval/eval.go``):

- ``imports`` in order, each over the ones before it, then ``values`` over them
  (https://www.pulumi.com/docs/esc/environments/syntax/top-level-keys/imports/); an import
  ``{name: {merge: false}}`` is only reachable as ``${imports.name}``; an import going round is
  an error, as in ESC;
- ``${path}`` references and interpolations, early-bound: resolved in the environment that
  writes them (https://www.pulumi.com/docs/esc/environments/syntax/interpolations-and-references/);
  ``$$`` writes a ``$``;
- ``fn::secret`` with its plaintext is a secret, whose text is dropped as it is read: it reaches
  the program as the placeholder a ``{secure: ...}`` stack value does, at its position
  (https://www.pulumi.com/docs/esc/environments/syntax/builtin-functions/fn-secret/). A string
  that interpolates a secret is one;
- what ESC computes only when it opens the environment (``fn::secret`` ciphertext, ``fn::open``
  providers, ``fn::rotate``, ``${context...}``, the other ``fn::`` functions, and values an
  environment without a local copy would give) is not resolved: such a value is passed as the
  secret placeholder (ciphertext, a ``*-secrets`` provider) or ``[unknown]`` (as ``pulumi
  config`` shows a value it has not opened: ``toPlaintext`` in ``config.go``), and listed by key.

No value of an environment appears in a message: errors name the file, the line and the path.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ruamel.yaml.events import AliasEvent, Event

from offline.stack_file import StackFileError, _Node, _Reader, config_values

# What an unresolved value that is not a secret is passed as.
UNKNOWN: Final = "[unknown]"
# Values an environment's references may expand to, in all, and the longest interpolated text:
# far beyond any environment, far below exhausting memory (a reference copies a value).
_MAX_VALUES: Final = 100_000
_MAX_TEXT: Final = 100_000
# An environment definition's top-level keys (pulumi/esc ast/environment.go).
_DEFINITION_KEYS: Final = ("imports", "values", "description")
# Top-level value keys ESC reserves for its built-in properties.
_RESERVED: Final = ("imports", "context", "environments")
# fn:: functions of ESC computed here as the values they hold, and the others it evaluates.
_SECRET_FN: Final = "fn::secret"
_FINAL_FN: Final = "fn::final"
_DYNAMIC: Final = ("fn::open", "fn::rotate")
_NOT_EVALUATED: Final = (
    "fn::concat",
    "fn::fromBase64",
    "fn::fromJSON",
    "fn::join",
    "fn::split",
    "fn::toBase64",
    "fn::toJSON",
    "fn::toString",
    "fn::validate",
)
# Environment names: letters, digits, hyphens, underscores and periods, as [org/][project/]name,
# with an optional @version or @tag (https://www.pulumi.com/docs/esc/environments/).
NAME_PATTERN: Final = r"^[\w.-]+(/[\w.-]+){0,2}(@[\w.-]+)?$"
_NAME: Final = re.compile(NAME_PATTERN, re.ASCII)


class EscError(StackFileError):
    """An environment cannot be evaluated as ESC would: the message names the file and line
    (never a value)."""


@dataclass(frozen=True)
class Unresolved:
    """A config value ESC computes only when it opens the environment."""

    key: str  # its config key path: mlops:alerts.webhooks[0]
    why: str  # fn::secret ciphertext, fn::open::azure-secrets, ...
    stand_in: str  # what the program receives for it


@dataclass(frozen=True)
class Resolved:
    """A stack's config with its environments' ``pulumiConfig``, as the CLI would pass it."""

    values: dict[str, str]
    secret_keys: tuple[str, ...]
    # Environments imported (directly or not) that have no local copy, as written.
    missing: tuple[str, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()

    def notice(self) -> list[str]:
        """What the preview could not resolve, by name: empty when it resolved everything."""
        lines: list[str] = []
        if self.missing:
            give = " ".join(f"--environment-file {name}=PATH" for name in self.missing)
            lines.append(
                f"Not resolved offline: environment {', '.join(self.missing)} (no local copy: "
                f"give {give}; docs/preview.md: Pulumi ESC environments): the preview runs "
                "without its values"
            )
        if self.unresolved:
            found = "; ".join(
                f"{u.key} ({u.why}: previewed as {u.stand_in})" for u in self.unresolved
            )
            lines.append(
                f"Not resolved offline (ESC computes them when it opens the environment): {found}"
            )
        return lines

    def explain(self, problems: Sequence[str]) -> list[str]:
        """The notice, with the keys of ``problems`` a missing environment would likely give."""
        lines = self.notice()
        likely = self.likely(problems)
        if self.missing and likely:
            lines.insert(1, f"  which would likely provide: {', '.join(likely)}")
        return lines

    def likely(self, problems: Sequence[str]) -> list[str]:
        """Keys of settings problems a missing environment could give: a key no one gives, or
        one missing below a map (an environment's list does not reach into the stack's: a list
        is replaced whole)."""
        found: list[str] = []
        for problem in problems:
            path, _, message = problem.partition(": ")
            top = re.split(r"[.\[]", path, maxsplit=1)[0]
            if ":" not in top or not message.startswith("is required"):
                continue
            if (top not in self.values or "[" not in path) and path not in found:
                found.append(path)
        return found


def resolve(
    stack_file: Path,
    values: Mapping[str, str],
    secret_keys: Sequence[str],
    files: Mapping[str, Path],
    *,
    project: str,
    placeholder: str,
) -> Resolved:
    """The stack file's config (``values``, as the CLI passes it) with the ``pulumiConfig`` of
    the environments it imports, each read from its local copy in ``files`` (name → path)."""
    definition, written_maps = _stack_environment(stack_file)
    if definition is None:
        return Resolved(dict(values), tuple(secret_keys))
    maps = {key if ":" in key else f"{project}:{key}" for key in written_maps}
    evaluation = _Evaluation(files)
    try:
        opened = _Environment(evaluation, definition).evaluate()
        config = opened.value.get("pulumiConfig") if isinstance(opened.value, dict) else None
        given, unresolved = _given(config, values, maps, project, placeholder)
    except RecursionError:
        raise EscError(f"{stack_file}: environments nested too deeply to evaluate") from None
    try:
        passed = config_values(given, project, placeholder)
    except StackFileError as error:
        reason = str(error).removeprefix("<values>:0: ")
        raise EscError(f"{stack_file}: environment pulumiConfig: {reason}") from None
    return Resolved(
        {**values, **passed.values},
        tuple(dict.fromkeys([*secret_keys, *passed.secret_keys])),
        tuple(evaluation.missing),
        tuple(unresolved),
    )


def _given(
    config: Any, values: Mapping[str, str], maps: set[str], project: str, placeholder: str
) -> tuple[dict[str, Any], list[Unresolved]]:
    """What the environments' ``pulumiConfig`` gives the stack: each key namespaced, a key the
    stack file sets keeping the stack's value (its map merged over the environment's), secrets
    as ``{secure: ...}``; and the values not resolved offline."""
    given: dict[str, Any] = {}
    unresolved: list[Unresolved] = []
    if isinstance(config, _Unknown):
        unresolved.append(Unresolved("pulumiConfig", config.why, _stand_in(config, placeholder)))
    elif isinstance(config, dict):
        for key, found in config.items():
            full = key if ":" in key else f"{project}:{key}"
            stack = values.get(full)
            value = found
            if stack is not None:
                written = _stack_value(stack, placeholder) if full in maps else None
                if not isinstance(written, dict) or not isinstance(found, dict):
                    continue  # the stack's own value wins whole
                value = _merge(written, found)
            unresolved += _unknowns(value, full, placeholder)
            given[full] = _plain(value)
    return given, unresolved


def canonical(name: str) -> str:
    """An environment's name as ESC resolves it: ``project/env`` (``foo`` is ``default/foo``),
    without organization or version (a local copy is one version)."""
    parts = name.split("@", 1)[0].split("/")
    if len(parts) == 1:
        parts = ["default", *parts]
    return "/".join(parts[-2:])


# -- values offline -------------------------------------------------------------------------------


class _Secret:
    """A secret whose text was dropped as it was read."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<secret>"


_SECRET: Final = _Secret()
_MISSING: Final = object()


@dataclass(frozen=True)
class _Unknown:
    """A value ESC computes only when it opens the environment."""

    why: str
    secret: bool


def _stand_in(value: _Unknown, placeholder: str) -> str:
    return placeholder if value.secret else UNKNOWN


def _plain(value: Any) -> Any:
    """A value as ``config_values`` takes it: a secret as ``{secure: ...}``."""
    if value is _SECRET or (isinstance(value, _Unknown) and value.secret):
        return {"secure": ""}
    if isinstance(value, _Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _stack_value(text: str, placeholder: str) -> Any:
    """A stack map's value as the CLI passes it (JSON), each secure value (the placeholder) a
    secret; None if it is not JSON."""

    def read(item: Any) -> Any:
        if item == placeholder:
            return _SECRET
        if isinstance(item, dict):
            return {key: read(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [read(inner) for inner in item]
        return item

    try:
        return read(json.loads(text))
    except ValueError:
        return None


def _merge(top: Any, base: Any) -> Any:
    """``top`` merged over ``base`` (JSON merge patch without deletion, as ESC and the CLI
    merge): maps key by key, anything else replaced whole."""
    if not isinstance(top, dict) or not isinstance(base, dict):
        return base if top is _MISSING else top
    merged = dict(base)
    for key, value in top.items():
        merged[key] = _merge(value, base.get(key, _MISSING))
    return merged


def _unknowns(value: Any, path: str, placeholder: str) -> Iterator[Unresolved]:
    if isinstance(value, _Unknown):
        yield Unresolved(path, value.why, _stand_in(value, placeholder))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unknowns(item, f"{path}.{key}", placeholder)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknowns(item, f"{path}[{index}]", placeholder)


# -- reading definitions --------------------------------------------------------------------------


class _DefinitionReader(_Reader):
    """An environment definition read as ESC reads it: YAML without aliases (ESC refuses them),
    and no error quoting a value (it may be a secret)."""

    def _node(self, event: Event, events: Iterator[Event]) -> _Node:
        if isinstance(event, AliasEvent):
            raise EscError(
                f"{self.path}:{self._line(event)}: aliases (*{event.anchor}) are not supported "
                "in an environment definition: ESC refuses them; write the value again"
            )
        return super()._node(event, events)

    def _scalar(self, event: Any) -> Any:
        try:
            return super()._scalar(event)
        except StackFileError:
            raise EscError(
                f"{self.path}:{self._line(event)}: a value does not read as its tag says (not "
                "shown: it may be a secret)"
            ) from None


@dataclass(frozen=True)
class _Import:
    name: str
    merge: bool
    line: int


@dataclass(frozen=True)
class _Definition:
    where: str  # the file, for messages
    imports: tuple[_Import, ...]
    values: _Node | None  # a map


def _definition(node: _Node | None, where: str) -> _Definition:
    """An environment definition (``imports``, ``values``) from its YAML."""
    if node is None or node.value is None:
        return _Definition(where, (), None)
    if not isinstance(node.value, dict):
        raise EscError(
            f"{where}:{node.line}: an environment definition is a map (imports:, values:)"
        )
    for key in node.value:
        if key not in _DEFINITION_KEYS:
            close = difflib.get_close_matches(key, _DEFINITION_KEYS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise EscError(
                f"{where}:{node.key_lines.get(key, node.line)}: unknown top-level key {key!r}"
                f"{hint}: an environment definition holds imports, values and description"
            )
    imports = node.value.get("imports")
    values = node.value.get("values")
    found: list[_Import] = []
    if imports is not None and imports.value is not None:
        if not isinstance(imports.value, list):
            raise EscError(f"{where}:{imports.line}: imports must be a list of environment names")
        found = [_import(item, index, where) for index, item in enumerate(imports.value)]
    if values is None or values.value is None:
        return _Definition(where, tuple(found), None)
    if not isinstance(values.value, dict):
        raise EscError(f"{where}:{values.line}: values must be a map (key: value)")
    for key, item in values.value.items():
        line = values.key_lines.get(key, values.line)
        if key in _RESERVED:
            raise EscError(f"{where}:{line}: values.{key}: {key!r} is a reserved key in ESC")
        if key.lower().startswith("fn::"):
            raise EscError(f"{where}:{line}: {key} is not allowed at the top level of values")
        if key == "pulumiConfig" and _literal(item) and not isinstance(item.value, dict):
            raise EscError(
                f"{where}:{item.line}: values.pulumiConfig must be a map of config keys "
                "(namespace:key) to their values"
            )
    return _Definition(where, tuple(found), values)


def _literal(node: _Node) -> bool:
    """Whether a node is written as its value (not a reference or a function call)."""
    if isinstance(node.value, str):
        return "${" not in node.value
    if isinstance(node.value, dict):
        return not any(key.lower().startswith("fn::") for key in node.value)
    return True


def _import(item: _Node, index: int, where: str) -> _Import:
    """``- name`` or ``- name: {merge: false}``."""
    wrong = (
        f"{where}:{item.line}: imports[{index}] must be an environment name (project/name), or "
        "{name: {merge: false}}"
    )
    name, merge = item.value, True
    if isinstance(item.value, dict):
        if len(item.value) != 1:
            raise EscError(wrong)
        ((name, options),) = item.value.items()
        if options.value is not None:
            merged = options.value.get("merge") if isinstance(options.value, dict) else None
            if merged is None or set(options.value) != {"merge"}:
                raise EscError(
                    f"{where}:{options.line}: imports[{index}]: the options are "
                    "{merge: true|false}"
                )
            if not isinstance(merged.value, bool):
                raise EscError(
                    f"{where}:{merged.line}: imports[{index}].merge must be true or false"
                )
            merge = merged.value
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise EscError(wrong)
    return _Import(name, merge, item.line)


def _stack_environment(path: Path) -> tuple[_Definition | None, frozenset[str]]:
    """A stack file's ``environment:`` as an environment definition (None without one), and the
    config keys it writes as maps."""
    try:
        stat = path.stat()
    except OSError:
        return None, frozenset()
    return _stack_environment_of(
        path, (stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)
    )


@functools.lru_cache(maxsize=64)
def _stack_environment_of(
    path: Path, version: tuple[int, ...]
) -> tuple[_Definition | None, frozenset[str]]:
    del version  # the cache key: a file written again is read again
    document = _Reader(path).document()
    if document is None or not isinstance(document.value, dict):
        return None, frozenset()
    config = document.value.get("config")
    maps = frozenset(
        key
        for key, node in (config.value.items() if config and isinstance(config.value, dict) else ())
        if isinstance(node.value, dict) and set(node.value) != {"secure"}  # not a secure value
    )
    found = document.value.get("environment")
    if found is None or found.value is None:
        return None, maps
    if isinstance(found.value, dict):
        return _definition(found, str(path)), maps
    if not isinstance(found.value, list):
        raise EscError(
            f"{path}:{found.line}: environment must be a list of ESC environment names "
            "(- project/name), or an environment definition (imports:, values:)"
        )
    names: list[_Import] = []
    for index, item in enumerate(found.value):
        if not isinstance(item.value, str) or not _NAME.fullmatch(item.value):
            raise EscError(
                f"{path}:{item.line}: environment[{index}] must be an ESC environment name "
                "(project/name: letters, digits, '-', '_' and '.')"
            )
        names.append(_Import(item.value, True, item.line))
    return _Definition(str(path), tuple(names), None), maps


# -- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Opened:
    value: Any
    complete: bool  # False when an import (at any depth) has no local copy


class _Evaluation:
    """Environments opened from their local copies, each once."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self.files: dict[str, Path] = {}
        for name, path in files.items():
            key = canonical(name)
            if key in self.files and self.files[key] != path:
                raise EscError(
                    f"two local copies of environment {key}: {self.files[key]} and {path}"
                )
            self.files[key] = path
        self.opened: dict[str, _Opened] = {}
        self.opening: list[str] = []
        self.missing: list[str] = []
        self.sizes: dict[int, tuple[int, Any]] = {}

    def open(self, name: str, where: str) -> _Opened | None:
        key = canonical(name)
        path = self.files.get(key)
        if path is None:
            if name not in self.missing:
                self.missing.append(name)
            return None
        if key in self.opening:
            raise EscError(f"{where}: cyclic import of {name} ({' → '.join([*self.opening, key])})")
        if key not in self.opened:
            if not path.is_file():
                raise EscError(f"{path}: no such file (the local copy of environment {name})")
            self.opening.append(key)
            try:
                document = _DefinitionReader(path).document()
                opened = _Environment(self, _definition(document, str(path))).evaluate()
            finally:
                self.opening.pop()
            self.opened[key] = opened
        return self.opened[key]

    def counted(self, value: Any, where: str) -> Any:
        """``value``, a new map or list, within the limit of values in all."""
        items = value.values() if isinstance(value, dict) else value
        size = 1 + sum(self.size(item) for item in items)
        if size > _MAX_VALUES:
            raise EscError(f"{where}: values expand to over {_MAX_VALUES} (references copy them)")
        self.sizes[id(value)] = (size, value)
        return value

    def size(self, value: Any) -> int:
        if isinstance(value, dict | list):
            return self.sizes[id(value)][0] if id(value) in self.sizes else 1
        return 1


Accessor = str | int


class _Environment:
    """One environment's evaluation: its imports merged, then its values over them."""

    def __init__(self, evaluation: _Evaluation, definition: _Definition) -> None:
        self.evaluation = evaluation
        self.definition = definition
        self.base: Any = _MISSING
        self.imported: dict[str, Any] = {}
        self.complete = True
        self.memo: dict[tuple[int, int], tuple[Any, Any]] = {}
        self.active: set[tuple[int, int]] = set()

    def where(self, node: _Node) -> str:
        return f"{self.definition.where}:{node.line}"

    def evaluate(self) -> _Opened:
        for entry in self.definition.imports:
            opened = self.evaluation.open(entry.name, f"{self.definition.where}:{entry.line}")
            if opened is None:
                self.complete = False
                self.imported[entry.name] = _Unknown(f"environment {entry.name} not read", False)
                continue
            self.complete = self.complete and opened.complete
            self.imported[entry.name] = opened.value
            if entry.merge:
                merged = _merge(opened.value, self.base)
                self.base = self._counted(merged, self.definition.where)
        values = self.definition.values
        if values is None:
            return _Opened({} if self.base is _MISSING else self.base, self.complete)
        return _Opened(self.value(values, self.base), self.complete)

    def _counted(self, value: Any, where: str) -> Any:
        if isinstance(value, dict | list) and id(value) not in self.evaluation.sizes:
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                self._counted(item, where)
            return self.evaluation.counted(value, where)
        return value

    def value(self, node: _Node, base: Any) -> Any:
        """The value at ``node`` merged over ``base``, the imports' value at its path."""
        key = (id(node), id(base))
        if key in self.memo:
            return self.memo[key][0]
        if key in self.active:
            raise EscError(f"{self.where(node)}: cyclic reference: the value refers to itself")
        self.active.add(key)
        try:
            value = self._counted(_merge(self._evaluated(node, base), base), self.where(node))
        finally:
            self.active.discard(key)
        self.memo[key] = (value, base)
        return value

    def _evaluated(self, node: _Node, base: Any) -> Any:
        value = node.value
        if isinstance(value, dict):
            call = _call(value)
            if call is not None:
                return self._function(call, value[call], node)
            self._check_calls(node)
            return {
                key: self.value(
                    item, base.get(key, _MISSING) if isinstance(base, dict) else _MISSING
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.value(item, _MISSING) for item in value]
        if isinstance(value, str):
            parts = self._template(value, node)
            if not parts:
                return ""
            if len(parts) == 1 and parts[0][1] is None:
                return parts[0][0]
            if len(parts) == 1 and parts[0][0] == "":
                return self._resolve(parts[0][1] or (), node)
            return self._interpolate(parts, node)
        return value

    def _check_calls(self, node: _Node) -> None:
        for key in node.value:
            if key.lower().startswith("fn::"):
                raise EscError(
                    f"{self.where(node)}: {key} must be the only key of its map (a function call)"
                )

    def _function(self, name: str, argument: _Node, node: _Node) -> Any:
        if name == _SECRET_FN:
            text = argument.value
            if isinstance(text, str) and all(
                access is None for _, access in self._template(text, node)
            ):
                return _SECRET  # the plaintext, dropped here
            cipher = text.get("ciphertext") if isinstance(text, dict) and len(text) == 1 else None
            if cipher is not None and isinstance(cipher.value, str):
                return _Unknown("fn::secret ciphertext", True)
            raise EscError(
                f"{self.where(node)}: fn::secret takes a string (the plaintext, before ESC "
                "encrypts it) or {ciphertext: ...}; not shown"
            )
        if name == _FINAL_FN:
            return self.value(argument, _MISSING)
        kind = next((fn for fn in _DYNAMIC if name == fn or name.startswith(f"{fn}::")), None)
        if kind is not None:
            provider = name[len(kind) + 2 :]
            if not provider and isinstance(argument.value, dict):
                given = argument.value.get("provider")
                provider = given.value if given is not None and isinstance(given.value, str) else ""
            label = f"{kind}::{provider}" if provider else kind
            # The providers that read secret stores are named for them (azure-secrets, ...).
            return _Unknown(label, provider.endswith("-secrets"))
        if name in _NOT_EVALUATED:
            inputs = self.value(argument, _MISSING)
            return _Unknown(f"{name}, not evaluated offline", _holds_secret(inputs))
        raise EscError(
            f"{self.where(node)}: {name}: 'fn::' is a reserved prefix, and ESC has no such function"
        )

    def _template(self, text: str, node: _Node) -> list[tuple[str, tuple[Accessor, ...] | None]]:
        try:
            return _template(text)
        except ValueError as error:
            raise EscError(f"{self.where(node)}: {error}") from None

    def _interpolate(
        self, parts: list[tuple[str, tuple[Accessor, ...] | None]], node: _Node
    ) -> Any:
        texts: list[str] = []
        secret = False
        unknown: _Unknown | None = None
        length = 0
        for text, access in parts:
            texts.append(text)
            length += len(text)
            if access is None:
                continue
            found = _text(self._resolve(access, node))
            secret = secret or found.secret
            unknown = unknown or found.unknown
            texts.append(found.text)
            length += len(found.text)
            if length > _MAX_TEXT:
                raise EscError(f"{self.where(node)}: interpolates over {_MAX_TEXT} characters")
        if unknown is not None:
            return _Unknown(unknown.why, secret or unknown.secret)
        return _SECRET if secret else "".join(texts)

    def _resolve(self, access: tuple[Accessor, ...], node: _Node) -> Any:
        """What ``${access}``, written at ``node``, refers to."""
        shown = "${" + _shown(access) + "}"
        first = access[0]
        if first == "context":
            return _Unknown(f"{shown}, known when ESC opens the environment", False)
        if first == "imports":
            return self._walk_value(self.imported, access, 1, node, shown)
        if first == "environments":
            if len(access) < 3 or not all(isinstance(a, str) for a in access[1:3]):
                raise EscError(f"{self.where(node)}: {shown}: environments.<project>.<name>...")
            name = f"{access[1]}/{access[2]}"
            opened = self.evaluation.open(name, self.where(node))
            if opened is None:
                return _Unknown(f"{shown}: environment {name} not read", False)
            return self._walk_value(opened.value, access, 3, node, shown)
        current: Any = self.definition.values
        if current is None:
            current = {} if self.base is _MISSING else self.base
        base = self.base
        index = 0
        while index < len(access):
            step = access[index]
            if not isinstance(current, _Node):
                return self._walk_value(current, access, index, node, shown)
            if isinstance(current.value, dict) and _call(current.value) is None:
                if not isinstance(step, str):
                    raise EscError(f"{self.where(node)}: {shown}: a map has no element [{step}]")
                if step in current.value:
                    base = base.get(step, _MISSING) if isinstance(base, dict) else _MISSING
                    current = current.value[step]
                    index += 1
                elif isinstance(base, dict):
                    current = base  # not written here: the imports' value (JSON merge patch)
                else:
                    return self._missing(shown, step, current.value, node)
            elif isinstance(current.value, list):
                if not isinstance(step, int) or not 0 <= step < len(current.value):
                    raise EscError(f"{self.where(node)}: {shown}: no element {step!r} in the list")
                current, base = current.value[step], _MISSING
                index += 1
            else:
                current = self.value(current, base)
        return self.value(current, base) if isinstance(current, _Node) else current

    def _walk_value(
        self, value: Any, access: tuple[Accessor, ...], start: int, node: _Node, shown: str
    ) -> Any:
        for step in access[start:]:
            if isinstance(value, _Unknown):
                return value
            if isinstance(value, dict) and isinstance(step, str):
                if step not in value:
                    return self._missing(shown, step, value, node)
                value = value[step]
            elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
                value = value[step]
            else:
                raise EscError(
                    f"{self.where(node)}: {shown}: no {step!r} there (not a map or list that "
                    "holds it)"
                )
        return value

    def _missing(self, shown: str, step: Accessor, there: Mapping[str, Any], node: _Node) -> Any:
        if not self.complete:
            return _Unknown(f"{shown}, maybe from an environment not read", False)
        close = difflib.get_close_matches(str(step), [str(k) for k in there], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise EscError(f"{self.where(node)}: {shown}: unknown property {step!r}{hint}")


def _call(value: Mapping[str, Any]) -> str | None:
    """The function a one-key map calls (``fn::...``), if it is a call."""
    if len(value) != 1:
        return None
    (key,) = value
    return key if key.lower().startswith("fn::") else None


def _holds_secret(value: Any) -> bool:
    if value is _SECRET or (isinstance(value, _Unknown) and value.secret):
        return True
    if isinstance(value, dict):
        return any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


@dataclass(frozen=True)
class _Text:
    text: str
    secret: bool
    unknown: _Unknown | None


def _text(value: Any) -> _Text:
    """A value as ESC interpolates it (``toString`` in pulumi/esc ``eval/value.go``)."""
    if value is _SECRET:
        return _Text("", True, None)
    if isinstance(value, _Unknown):
        return _Text("", value.secret, value)
    if value is None:
        return _Text("", False, None)
    if isinstance(value, bool):
        return _Text("true" if value else "false", False, None)
    if isinstance(value, int | float):
        return _Text(_number(value), False, None)
    if isinstance(value, str):
        return _Text(value, False, None)
    if isinstance(value, list):
        items = [_text(item) for item in value]
        joined = ",".join(json.dumps(item.text, ensure_ascii=False) for item in items)
    else:
        items = [_text(item) for _, item in sorted(value.items())]
        keys = [json.dumps(key, ensure_ascii=False) for key in sorted(value)]
        joined = ",".join(
            f"{key}={json.dumps(item.text, ensure_ascii=False)}"
            for key, item in zip(keys, items, strict=True)
        )
    secret = any(item.secret for item in items)
    unknown = next((item.unknown for item in items if item.unknown), None)
    return _Text(joined, secret, unknown)


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value) if isinstance(value, int) else repr(value)


def _shown(access: Sequence[Accessor]) -> str:
    """A property path as written (``a.b[0]["c.d"]``)."""
    text = ""
    for step in access:
        if isinstance(step, int):
            text += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_$][\w$-]*", step) and text:
            text += f".{step}"
        elif re.fullmatch(r"[A-Za-z_$][\w$-]*", step):
            text += step
        else:
            text += "[" + json.dumps(step) + "]"
    return text


# -- ${...} ---------------------------------------------------------------------------------------


def _template(text: str) -> list[tuple[str, tuple[Accessor, ...] | None]]:
    """A string's parts: (text before, the reference after it or None), as ESC parses them
    (pulumi/esc ``ast/interpolation.go``, ``ast/property.go``); ValueError says what is wrong."""
    parts: list[tuple[str, tuple[Accessor, ...] | None]] = []
    written: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$$", index):
            written.append("$")
            index += 2
        elif text.startswith("${", index):
            access, index = _access(text, index + 2)
            parts.append(("".join(written), access))
            written = []
        else:
            written.append(text[index])
            index += 1
    if written:
        parts.append(("".join(written), None))
    return parts


def _access(text: str, index: int) -> tuple[tuple[Accessor, ...], int]:
    """The property path of ``${...}`` starting at ``index``, and where it ends."""
    found: list[Accessor] = []
    while True:
        if index >= len(text) or text[index].isspace():
            raise ValueError("missing closing brace '}' in an interpolation ${...}")
        character = text[index]
        if character == "}":
            index += 1
            break
        if character == "[":
            step, index = _subscript(text, index + 1, first=not found)
            found.append(step)
            continue
        if character == ".":
            index += 1
        start = index
        while index < len(text) and text[index] not in ".[}" and not text[index].isspace():
            index += 1
        if index == start:
            raise ValueError("a property name in ${...} must not be empty")
        found.append(text[start:index])
    if not found:
        raise ValueError("${} refers to nothing: write a property path")
    return tuple(found), index


def _subscript(text: str, index: int, *, first: bool) -> tuple[Accessor, int]:
    """``["key"]`` or ``[0]``, from after its ``[``."""
    if index < len(text) and text[index] == '"':
        index += 1
        key: list[str] = []
        while index < len(text) and text[index] != '"':
            if text[index] == "\\" and text[index + 1 : index + 2] == '"':
                index += 1
            key.append(text[index])
            index += 1
        if index >= len(text):
            raise ValueError("a key subscript in ${...} is missing its closing quote '\"'")
        if not key:
            raise ValueError("a key subscript in ${...} must not be empty")
        step: Accessor = "".join(key)
        index += 1
    else:
        start = index
        while index < len(text) and text[index] not in "].[}" and not text[index].isspace():
            index += 1
        digits = text[start:index]
        if not digits.isdigit():
            raise ValueError("a numeric subscript in ${...} must be a non-negative integer")
        if first:
            raise ValueError("${...} starts with a property name or key, not an index")
        step = int(digits)
    if index >= len(text) or text[index] != "]":
        raise ValueError("a subscript in ${...} is missing its closing bracket ']'")
    return step, index + 1
