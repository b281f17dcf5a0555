"""Secret config: which values may be secret, what stands in offline, and what must be secret.

Pulumi marks a config key secret as a whole. ``pulumi config set --secret --path
'mlops:alerts.webhooks[0]' <url>`` encrypts that one value in the stack file (``{secure: …}``)
and lists the whole key ``mlops:alerts`` among the secret keys; ``pulumi up`` passes the
program the key's value decrypted. The offline preview cannot decrypt: it passes
``SECRET_PLACEHOLDER`` at each secure value's position and the rest of the key as written.

The rules, applied by ``settings.loader``:

1. A value that may carry a credential is declared on its field with ``Credential`` (today
   ``mlops:alerts.webhooks[*]``). There a secret is accepted; where the offline preview cannot
   read it, the loader stands in the marker's valid value, so validation and the program run.
2. A key whose value holds such a field may be secret as a whole. Offline it cannot be read at
   all: the loader stands in ``whole_stand_in`` (one stand-in per credential), and the offline
   preview says so (``unreadable``), recommending the ``--path`` form.
3. Any other secret is refused: it holds no credential, and belongs in plain config, where
   reviewers and the offline preview read it.
4. A credential in plain config is refused: a URL that carries a token (``TOKEN_FORMS``,
   ``TOKEN_PARAMETERS``, a user name or password before the host) or text that looks like a
   key (``CREDENTIAL_TEXT``). At a ``Credential`` position the message gives the
   ``pulumi config set --secret --path`` command. No message shows the value.

Problems never show a secret value either (``redact``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Union, get_args, get_origin
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from settings.placeholders import strings
from settings.validation import unwrap

# What the offline preview passes for a value it cannot decrypt, and how every output shows a
# secret.
SECRET_PLACEHOLDER: Final = "[secret]"
# The JSON Schema of a secure value in a stack file.
SECURE_SCHEMA: Final = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
    "description": "A secret value, as `pulumi config set --secret` writes it.",
}
# A list's entry, in a key path pattern.
EACH: Final = "[*]"


@dataclass(frozen=True)
class Credential:
    """Marks a value that may carry a credential (a webhook URL with its token).

    It may be secret config, set with ``pulumi config set --secret --path '<key path>'
    '<argument>'``; in plain config a value with a token is refused. ``stand_in`` is a valid
    value with ``{n}`` in it: the loader stands in ``stand_in.format(n=1)``, ``n=2`` … for the
    secrets the offline preview cannot read.
    """

    stand_in: str
    argument: str = "<value>"

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        # Editors: a secure value, or a plain one without a token.
        plain = handler(core_schema)
        return {"anyOf": [{**plain, "not": {"pattern": token_pattern()}}, SECURE_SCHEMA]}


# -- which values may be secret -------------------------------------------------------------------

Position = tuple[str, ...]


def _positions(annotation: Any, found: Sequence[Any]) -> Iterator[tuple[Position, Credential]]:
    marker = next((m for m in found if isinstance(m, Credential)), None)
    if marker is not None:
        yield (), marker
        return
    annotation = unwrap(annotation)
    if get_origin(annotation) is tuple and get_args(annotation):
        entry = FieldInfo.from_annotation(get_args(annotation)[0])
        for path, inner in _positions(entry.annotation, entry.metadata):
            yield (EACH, *path), inner
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from _model_positions(annotation)


def _own(field: FieldInfo) -> list[Any]:
    """A field's own markers, those of an optional ``Annotated`` type included (not those of
    its list's entries)."""
    found = list(field.metadata)
    if get_origin(field.annotation) in (Union, types.UnionType):
        for member in get_args(field.annotation):
            found += getattr(member, "__metadata__", ())
    return found


@functools.cache
def _model_positions(model: type[BaseModel]) -> tuple[tuple[Position, Credential], ...]:
    return tuple(
        ((field.alias or name, *path), marker)
        for name, field in model.model_fields.items()
        for path, marker in _positions(field.annotation, _own(field))
    )


def positions(field: FieldInfo | None) -> tuple[tuple[Position, Credential], ...]:
    """Where a config key's value may carry a credential, as key path patterns below the key
    (``("webhooks", EACH)``; ``()`` for the value itself), each with its marker."""
    if field is None:
        return ()
    return tuple(_positions(field.annotation, _own(field)))


def credential_at(field: FieldInfo | None, steps: Sequence[str | int]) -> Credential | None:
    """The ``Credential`` marker of the value at ``steps`` below a key, if it may be one."""
    for path, marker in positions(field):
        if len(path) == len(steps) and all(
            want == (EACH if isinstance(step, int) else step)
            for want, step in zip(path, steps, strict=True)
        ):
            return marker
    return None


def whole_stand_in(field: FieldInfo) -> Any:
    """What stands in for a key that is secret as a whole where it cannot be read: its
    credentials, one of each, at their stand-ins, and nothing else."""
    value: Any = None
    for path, marker in positions(field):
        value = _with(value, path, marker.stand_in.format(n=1))
    return value


def _with(value: Any, path: Position, leaf: str) -> Any:
    if not path:
        return leaf if value is None else value
    head, *rest = path
    if head == EACH:
        return [_with(None, tuple(rest), leaf)] if value is None else value
    found = dict(value or {})
    found[head] = _with(found.get(head), tuple(rest), leaf)
    return found


def example_path(key: str, field: FieldInfo) -> str:
    """The key path of a key's first credential (``mlops:alerts.webhooks[0]``)."""
    path, _ = positions(field)[0]
    text = key
    for step in path:
        text += "[0]" if step == EACH else f".{step}"
    return text


def set_command(path: str, marker: Credential) -> str:
    """The command that sets one value secret, without the value."""
    return f"`pulumi config set --secret --path '{path}' '{marker.argument}'`"


@dataclass(frozen=True)
class Unreadable:
    """A key secret as a whole, which the offline preview cannot read: what stood in for it."""

    key: str
    stand_in: Any
    command: str

    def __str__(self) -> str:
        return (
            f"{self.key} is secret as a whole: the offline preview cannot read it, and previews "
            f"it as `{json.dumps(self.stand_in)}`. Keep the key plain and only its credentials "
            f"secret, each on its own: {self.command}"
        )


def unreadable(
    config: Mapping[str, str], secret_keys: Sequence[str], fields: Mapping[str, FieldInfo]
) -> tuple[Unreadable, ...]:
    """The keys secret as a whole that the offline preview cannot read and stands in for."""
    found: list[Unreadable] = []
    for key, raw in config.items():
        field = fields.get(key)
        if key in secret_keys and raw == SECRET_PLACEHOLDER and field and positions(field):
            marker = positions(field)[0][1]
            command = set_command(example_path(key, field), marker)
            found.append(Unreadable(key, whole_stand_in(field), command))
    return tuple(found)


# -- credentials in plain config ------------------------------------------------------------------


@dataclass(frozen=True)
class TokenForm:
    """URLs that carry a token in their path: at ``host`` or a subdomain of it, under ``path``."""

    what: str
    host: str
    path: str = "/"


_IN_PATH: Final = "carries its token in its path"
TOKEN_FORMS: Final = (
    TokenForm(f"a Slack webhook URL {_IN_PATH}", "hooks.slack.com", "/services/"),
    TokenForm(f"a Slack workflow URL {_IN_PATH}", "hooks.slack.com", "/workflows/"),
    TokenForm(f"a Slack trigger URL {_IN_PATH}", "hooks.slack.com", "/triggers/"),
    TokenForm(f"a Teams webhook URL {_IN_PATH}", "webhook.office.com"),
    TokenForm(f"a Teams webhook URL {_IN_PATH}", "outlook.office.com", "/webhook"),
    TokenForm("a Logic Apps or Power Automate URL carries a sig= token", "logic.azure.com"),
    TokenForm(f"a Discord webhook URL {_IN_PATH}", "discord.com", "/api/webhooks/"),
    TokenForm(f"a Discord webhook URL {_IN_PATH}", "discordapp.com", "/api/webhooks/"),
    TokenForm("a PagerDuty integration URL carries its key in its path", "events.pagerduty.com"),
    TokenForm(f"a Zapier webhook URL {_IN_PATH}", "hooks.zapier.com", "/hooks/"),
)
# Query (or fragment) parameters whose value is a credential, by name (any case, URL-decoded),
# and the endings that make a name one (x-api-key, auth_token, client_secret).
TOKEN_PARAMETERS: Final = ("sig", "code", "key", "sas", "auth", "jwt", "pwd", "passwd")
TOKEN_PARAMETER_ENDINGS: Final = (
    "token",
    "secret",
    "signature",
    "password",
    "apikey",
    "api_key",
    "api-key",
    "authorization",
)
# Text that looks like a key: connection strings, SAS signatures, PEM private keys, a storage
# account key (88 characters of base64).
CREDENTIAL_TEXT: Final = re.compile(
    r"(AccountKey=|SharedAccessSignature=|sig=[A-Za-z0-9%]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY"
    r"|^[A-Za-z0-9+/]{86}==$)"
)
_URL: Final = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)


def _decoded(text: str) -> str:
    """``text`` URL-decoded until it stops changing (a few rounds: double encoding too)."""
    for _ in range(4):
        decoded = unquote(text).replace("\\/", "/")
        if decoded == text:
            break
        text = decoded
    return text


def _token_parameter(name: str) -> bool:
    name = name.strip().lower()
    return name in TOKEN_PARAMETERS or name.endswith(TOKEN_PARAMETER_ENDINGS)


def token_reason(text: str) -> str | None:
    """Why a URL in ``text`` carries a credential, without showing it; None when none does."""
    for match in _URL.finditer(_decoded(text)):
        try:
            url = urlsplit(match.group())
            host = (url.hostname or "").rstrip(".")
        except ValueError:  # an unreadable port or address: judge what can be read
            url, host = urlsplit(match.group().split("@")[-1]), ""
        if "@" in url.netloc:
            return "it carries a user name or password before its host"
        path = url.path.lower()
        for form in TOKEN_FORMS:
            if (host == form.host or host.endswith(f".{form.host}")) and path.startswith(form.path):
                return form.what
        for part in re.split(r"[?&;#]", f"{url.query}&{url.fragment}"):
            name, equals, value = part.partition("=")
            if equals and value.strip() and _token_parameter(name):
                return f"its parameter {name.strip().lower()}= carries a token"
    return None


def _any_case(text: str) -> str:
    """A JSON Schema pattern (no flags there) matching ``text`` in any case."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c).replace("\\-", "-")
        for c in text
    )


@functools.cache
def token_pattern() -> str:
    """What ``token_reason`` refuses, as written (not URL-encoded), for editors' JSON Schema."""
    scheme = r"^[a-zA-Z][a-zA-Z0-9+.-]*://"
    forms = "|".join(
        f"([^/?#@]*\\.)?{_any_case(form.host)}\\.?(:[0-9]*)?{_any_case(form.path)}"
        for form in TOKEN_FORMS
    )
    names = "|".join(_any_case(name) for name in TOKEN_PARAMETERS)
    endings = "|".join(_any_case(ending) for ending in TOKEN_PARAMETER_ENDINGS)
    parameter = f"[?&;#]\\s*({names}|[^=&;#]*({endings}))\\s*=\\s*[^\\s&;#]"
    return f"{scheme}([^/?#]*@|({forms}))|{parameter}"


def looks_like_credential(text: str) -> str | None:
    """Why ``text`` looks like a credential, without showing it; None when it does not."""
    reason = token_reason(text)
    if reason is not None:
        return reason
    if CREDENTIAL_TEXT.search(text):
        return "it reads like a key, a signature or a connection string"
    return None


# -- never shown ----------------------------------------------------------------------------------


def secret_strings(config: Mapping[str, str], secret_keys: Sequence[str]) -> frozenset[str]:
    """The clear text of the secret keys: each whole value and every string inside it."""
    found: set[str] = set()
    for key in secret_keys:
        raw = config.get(key)
        if not isinstance(raw, str):
            continue
        found.add(raw)
        with contextlib.suppress(ValueError, RecursionError):
            found.update(text for *_, text in strings(json.loads(raw)))
    return frozenset(s for s in found if s and s != SECRET_PLACEHOLDER)


# Shorter secrets are hidden only where a message quotes them whole: text too short to search for.
_MIN_SEARCHED: Final = 4


def redact(text: str, secrets: frozenset[str]) -> str:
    """``text`` with every secret replaced by ``[secret]``: quoted whole, or inside it."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(repr(secret), SECRET_PLACEHOLDER)
        text = text.replace(json.dumps(secret), SECRET_PLACEHOLDER)
        if len(secret) >= _MIN_SEARCHED:
            text = text.replace(secret, SECRET_PLACEHOLDER)
    return text
