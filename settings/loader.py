"""Pulumi config → Settings, with every problem reported at once under its key path.

A problem names the key as a user writes it (``mlops:computeClusters[1].maxNodes``) and says
what would be valid. ``SettingsError`` is a ``pulumi.RunError``: `pulumi up` prints the message
alone, without a traceback, and no resource has been registered.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, get_origin

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from settings import placeholders, secrets
from settings.names import GUID, PREFIX, Names
from settings.schema import NAMESPACE, Settings
from settings.secrets import SECRET_PLACEHOLDER, Credential
from settings.validation import did_you_mean, key_path, unwrap

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

# The provider the program declares its resources with, and the one it does not use (the classic
# azure provider), whose keys a stack copied from another project may still carry.
PROVIDER: Final = "azure-native"
CLASSIC_PROVIDER: Final = "azure"
# Provider keys that hold a GUID, with where to find it.
PROVIDER_GUIDS: Final = {
    "subscriptionId": "the subscription's ID (`az account show --query id`)",
    "tenantId": "the Entra ID tenant's ID (`az account show --query tenantId`)",
    "clientId": "the application (client) ID of the identity Pulumi signs in as",
}
_PROVIDER_KEY: Final = re.compile(r"__config__\.get\w*\('(\w+)'\)")


@functools.cache
def provider_keys() -> tuple[str, ...]:
    """The azure-native provider's config keys (without namespace), as the installed SDK reads
    them (``pulumi_azure_native/config/vars.py``): the SDK's version is the provider's."""
    spec = importlib.util.find_spec("pulumi_azure_native")  # finds it without importing it
    locations = spec.submodule_search_locations if spec else None
    if not locations:
        raise RuntimeError("pulumi-azure-native is not installed: run `make runtime`")
    text = (Path(next(iter(locations))) / "config" / "vars.py").read_text(encoding="utf-8")
    return tuple(sorted(set(_PROVIDER_KEY.findall(text))))


def _provider_problems(namespace: str, name: str, raw: str, secret: bool) -> Iterator[str]:
    """An azure-native key the provider does not read, a classic azure key, or a provider GUID
    that is not one."""
    key, known = f"{namespace}:{name}", provider_keys()
    valid = f"the azure-native provider's keys are {', '.join(known)}"
    if namespace == CLASSIC_PROVIDER:
        if name in known:
            yield (
                f"{key}: this program uses the azure-native provider, which does not read azure: "
                f"keys (those of the classic azure provider): write {PROVIDER}:{name}"
            )
        else:
            yield (
                f"{key}: this program uses the azure-native provider, which does not read azure: "
                f"keys (those of the classic azure provider){_namespaced(name, known)}; {valid}"
            )
    elif name not in known:
        yield f"{key}: unknown key of the azure-native provider{_namespaced(name, known)}; {valid}"
    elif name in PROVIDER_GUIDS and not secret and not re.fullmatch(GUID.pattern, raw):
        yield f"{key}: must be {GUID.what}, {PROVIDER_GUIDS[name]}; got {raw!r}"


def _namespaced(name: str, known: Sequence[str]) -> str:
    """`` (did you mean azure-native:<key>?)`` for the closest provider key."""
    match = did_you_mean(name, known)
    return match.replace(" '", f" {PROVIDER}:").replace("'?", "?") if match else ""


def describe(errors: Sequence[Any]) -> Iterator[str]:
    """Each problem the schema found as ``<key path>: <what is wrong and what would be valid>``."""
    for error in errors:
        found = error["ctx"]["found"] if error["type"] == "problems" else [((), error["msg"])]
        for where, message in found:
            yield f"{key_path((*error['loc'], *where))}: {message}"


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
    config: Mapping[str, str],
    *,
    project: str,
    stack: str,
    secret_keys: Sequence[str] = (),
    refuse_placeholders: bool = False,
) -> Settings:
    """Validate a stack's config (keys as ``namespace:key``, values as Pulumi passes them).

    Raises SettingsError listing every problem; returns immutable Settings otherwise. With
    ``refuse_placeholders`` (`pulumi up`), a value still the example's (``settings.placeholders``)
    is one of the problems.
    """
    problems: list[str] = []
    if refuse_placeholders:
        problems += placeholders.refusals(placeholders.find(config, secret_keys))
    values: dict[str, Any] = {}
    reading = _Secrets(problems, refuse_placeholders)
    for key, raw in config.items():
        namespace, _, name = key.partition(":")
        if namespace in (PROVIDER, CLASSIC_PROVIDER) and key not in CONFIG_KEYS:
            problems += _provider_problems(namespace, name, raw, key in secret_keys)
            continue
        if namespace != NAMESPACE and key not in CONFIG_KEYS:
            if difflib.get_close_matches(namespace, [NAMESPACE], cutoff=0.6):
                problems.append(
                    f"{key}: unknown namespace {namespace!r} (did you mean '{NAMESPACE}:{name}'?)"
                )
            continue  # other namespaces configure providers
        value = reading.value(key, raw, key in secret_keys)
        if value is not _UNREAD:
            values[key] = value
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
    # The environment too: a section may judge a key by it (ModelRegistrySettings.mode).
    context = {"project": project, "stack": stack, "environment": environment}
    settings: Settings | None = None
    try:
        # Config keys are spelled as the stack file spells them (vmSize), never as the
        # program names them (vm_size), which code that builds sections may use.
        settings = Settings.model_validate(
            {k: v for k, v in values.items() if v is not None}, context=context, by_name=False
        )
    except ValidationError as error:
        # A required provider key given under azure: is reported there, as the key to change.
        misplaced = {
            f"{PROVIDER}:{name}"
            for namespace, _, name in (key.partition(":") for key in config)
            if namespace == CLASSIC_PROVIDER
        }
        problems += (
            problem
            for problem in describe(error.errors())
            if not any(problem.startswith(f"{key}: is required") for key in misplaced)
        )
    if problems or settings is None:
        hidden = secrets.secret_strings(config, secret_keys)
        raise SettingsError([_redacted(problem, hidden) for problem in reading.kept(problems)])
    return settings


def _redacted(problem: str, hidden: frozenset[str]) -> str:
    """A problem without any secret value in its message (its key path names no value)."""
    path, separator, message = problem.partition(": ")
    return path + separator + secrets.redact(message, hidden)


# A key whose value is not validated: its problem is said already.
_UNREAD: Final = object()
_PLAIN: Final = (
    "set it in plain config, without --secret, so that reviewers and the offline preview can "
    "read it"
)


class _Secrets:
    """Reads each key's value by the rules of secret config (``settings.secrets``): stand-ins
    where the offline preview cannot read a secret that may carry a credential, a problem for
    any other secret and for a credential in plain config.

    A path whose problem is said here (``settled``) has its other problems left out: the error
    that value would cause otherwise ("must be an https:// URL, got '[secret]'") misleads, or
    would show the credential.
    """

    def __init__(self, problems: list[str], refuse_placeholders: bool) -> None:
        self.problems = problems
        self.refuse = refuse_placeholders
        self.said: list[str] = []
        self.settled: list[str] = []

    def problem(self, path: str, message: str) -> None:
        text = f"{path}: {message}"
        self.problems.append(text)
        self.said.append(text)
        self.settled.append(path)

    def kept(self, problems: Sequence[str]) -> list[str]:
        """``problems`` without those of a settled path (but the problem that settled it)."""
        said = set(self.said)
        return [
            problem
            for problem in problems
            if problem in said
            or not any(
                problem.startswith((f"{path}:", f"{path}.", f"{path}[")) for path in self.settled
            )
        ]

    def value(self, key: str, raw: str, secret: bool) -> Any:
        field = CONFIG_KEYS.get(key)
        marked = secrets.positions(field)
        if secret and field is not None and not marked:
            self.problem(key, f"is secret, but holds no credential: {_PLAIN}")
            if raw == SECRET_PLACEHOLDER:
                return _UNREAD
        elif secret and raw == SECRET_PLACEHOLDER and field is not None:
            if not self.refuse:
                return secrets.whole_stand_in(field)  # the offline preview says it stood in
            path = secrets.example_path(key, field)
            self.problem(key, self._unread(secrets.set_command(path, marked[0][1])))
            return _UNREAD
        value = config_value(key, raw, self.problems)
        walked = list(placeholders.strings(value, key))
        read_offline = secret and any(text == SECRET_PLACEHOLDER for *_, text in walked)
        stand_ins = 0
        for steps, path, text in walked:
            marker = secrets.credential_at(field, steps)
            if secret and text == SECRET_PLACEHOLDER:
                if marker is None and marked:
                    allowed = ", ".join(
                        key + "".join("[*]" if s == secrets.EACH else f".{s}" for s in where)
                        for where, _ in marked
                    )
                    self.problem(
                        path,
                        f"is secret, but holds no credential (only {allowed} may be): {_PLAIN}",
                    )
                elif marker is None:
                    if field is not None:
                        self.settled.append(path)  # the key's problem says it
                elif self.refuse:
                    self.problem(path, self._unread(secrets.set_command(path, marker)))
                elif steps:
                    stand_ins += 1
                    _replace(value, steps, marker.stand_in.format(n=stand_ins))
            elif not secret and text == SECRET_PLACEHOLDER:
                self.problem(
                    path,
                    f"is the text {SECRET_PLACEHOLDER!r} in plain config, which stands for a "
                    "secret the offline preview cannot read: write the value itself",
                )
            elif not secret or read_offline:
                self._plain(path, text, marker)
        return value

    def _plain(self, path: str, text: str, marker: Credential | None) -> None:
        """A credential in plain config, refused without showing it."""
        reason = secrets.looks_like_credential(text)
        if reason is None:
            return
        if marker is not None:
            self.problem(
                path,
                f"looks like a credential ({reason}), in plain config: set it as a secret, "
                f"{secrets.set_command(path, marker)}",
            )
        else:
            self.problem(
                path,
                f"looks like a credential; never put secrets in plain config ({reason}), and "
                "this key takes none: remove it, and prefer identity-based access, which is all "
                "this program needs",
            )

    @staticmethod
    def _unread(command: str) -> str:
        return (
            f"is {SECRET_PLACEHOLDER!r}, what the offline preview passes for a secret it cannot "
            f"read, not a value: `pulumi up` needs the real one, set with {command}"
        )


def _replace(value: Any, steps: Sequence[str | int], text: str) -> None:
    """Put ``text`` at ``steps`` inside ``value`` (decoded JSON: dicts and lists)."""
    *inner, last = steps
    for step in inner:
        value = value[step]
    value[last] = text


def from_pulumi() -> Settings:
    """Read the running stack's config; the single place that touches Pulumi config.

    Outside a preview (`pulumi up`) a value still the example's is refused before any resource
    is registered; `pulumi preview` accepts it, and the offline preview lists it as a warning.
    """
    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = [
        *runtime_config.get_config_secret_keys_env(),
        *(key for key in config if runtime_config.is_config_secret(key)),
    ]
    values = {key: str(value) for key, value in config.items()}
    preview = pulumi.runtime.is_dry_run()
    loaded = load(
        values,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        secret_keys=secret_keys,
        refuse_placeholders=not preview,
    )
    found = placeholders.find(values, secret_keys)
    if preview and found:
        pulumi.log.warn(
            f"Placeholders ({len(found)}), still the example's: `pulumi up` refuses them: "
            + ", ".join(p.key for p in found)
        )
    return loaded
