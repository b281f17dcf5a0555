"""Values still the example's: the one rule that says which config values are placeholders.

The repository's stack files are examples: their IDs, names and address ranges stand for a
team's own and must be replaced before `pulumi up`. A config value (a plain key's value, or
any string inside a structured key's map or list) is a placeholder when it

1. contains a GUID whose first 24 hex digits are zero (``00000000-0000-0000-0000-0000xxxxxxxx``,
   such as ``00000000-0000-0000-0000-00000000d5a1``): the examples' principal, object,
   subscription and tenant IDs. No real Entra ID object or Azure subscription has one;
2. has no whitespace and contains ``example`` in any case: a name, resource ID, e-mail address,
   host name or URL still the example's (``stdataplatformexample``,
   ``mlr-contoso-shared-example``, ``ml-platform@contoso.example``; ``.example`` is a domain
   reserved for documentation, RFC 2606). Text with spaces (a description) is never one;
3. is an IP address or range inside an address block reserved for documentation:
   ``192.0.2.0/24``, ``198.51.100.0/24``, ``203.0.113.0/24`` (RFC 5737) or ``2001:db8::/32``
   (RFC 3849), e.g. ``clientIpRanges: [203.0.113.0/24]``.

Secret values are never examined (nor shown). The offline preview and ``pulumi preview`` list
placeholders as a warning; `pulumi up` refuses them (``settings.loader.from_pulumi``), so
nothing is created with them.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

_ZERO_GUID: Final = re.compile(
    r"(?<![0-9a-f])00000000-0000-0000-0000-0000[0-9a-f]{8}(?![0-9a-f])", re.IGNORECASE
)
_EXAMPLE: Final = re.compile(r"example", re.IGNORECASE)
DOCUMENTATION_RANGES: Final = tuple(
    ipaddress.ip_network(block)
    for block in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


@dataclass(frozen=True)
class Placeholder:
    """A key path (``mlops:access[0].principalId``) whose value is still the example's."""

    key: str
    why: str

    def __str__(self) -> str:
        return f"{self.key} ({self.why})"


def reason(value: str) -> str | None:
    """Why ``value`` is a placeholder (see the module's rule), or None when it is not one."""
    if _ZERO_GUID.search(value):
        return "an all-zero example GUID"
    if not any(c.isspace() for c in value) and _EXAMPLE.search(value):
        return "an `example` name"
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    if any(
        network.version == block.version and network.subnet_of(block)  # type: ignore[arg-type]
        for block in DOCUMENTATION_RANGES
    ):
        return "a documentation address range"
    return None


Steps = tuple[str | int, ...]


def strings(value: Any, path: str = "", steps: Steps = ()) -> Iterator[tuple[Steps, str, str]]:
    """Every string inside a config value (or any JSON-like value): its steps below the value,
    its key path (``mlops:access[0].principalId``, given the key as ``path``) and its text."""
    if isinstance(value, str):
        yield steps, path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}", (*steps, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]", (*steps, index))


def _decoded(raw: str) -> Any:
    """A structured key's value as Pulumi passes it (JSON text); a plain value as it is."""
    if raw.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            return raw
    return raw


def find(config: Mapping[str, str], secret_keys: Sequence[str] = ()) -> tuple[Placeholder, ...]:
    """Every placeholder in a stack's config (keys as ``namespace:key``, values as Pulumi passes
    them), by key path in the config's order; secret keys are skipped."""
    found: list[Placeholder] = []
    for key, raw in config.items():
        if key in secret_keys or not isinstance(raw, str):
            continue
        for _, path, text in strings(_decoded(raw), key):
            why = reason(text)
            if why is not None:
                found.append(Placeholder(path, why))
    return tuple(found)


def refusals(placeholders: Sequence[Placeholder]) -> list[str]:
    """The problems `pulumi up` reports, one per placeholder key."""
    return [
        f"{p.key}: is still the example's placeholder ({p.why}): replace it with the real value "
        "before `pulumi up` (`pulumi preview` only warns)"
        for p in placeholders
    ]
