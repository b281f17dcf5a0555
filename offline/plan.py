"""What a stack would create, read from an offline ``ProgramRun``.

The model behind the offline preview, the stack comparison and the architecture diagrams:

- values are shown the way ``pulumi preview`` would: what only Azure knows (subscription and
  tenant IDs, identities' principal IDs, resource IDs, URIs) is ``(known after apply)``, the
  stack's random name suffix is ``<suffix>``, and secret config values are ``[secret]``;
- the tree of components and resources, in creation order;
- the dependency critical path: the longest chain of resources that must be created one after
  another (linear time: topological order and dynamic programming).
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from offline.engine import (
    CLIENT_CONFIG,
    MOCK_SUBSCRIPTION_ID,
    MOCK_SUFFIX,
    MOCK_TENANT_ID,
    PROJECT,
    SECRET_PLACEHOLDER,
    ProgramRun,
    Resource,
    is_secret,
)
from offline.prices import LOCATION_KEY
from offline.resource_types import CostBound, get_path, resource_type
from settings.placeholders import strings
from settings.secrets import secret_strings

KNOWN_AFTER_APPLY: Final = "(known after apply)"
SUFFIX_MARKER: Final = "<suffix>"
SECRET: Final = SECRET_PLACEHOLDER
STACK_TYPE: Final = "pulumi:pulumi:Stack"

# Computed values shorter than this are not searched for inside other strings: too likely to
# match by accident (the random suffix, the shortest computed value, is handled on its own).
_MIN_COMPUTED: Final = 8
# Secrets shorter than this are only redacted where a whole value equals them.
_MIN_SECRET_SUBSTRING: Final = 4
_TOKEN_SPLIT: Final = re.compile(r"[/?&=#\s,;:'\"()<>]+")
_GUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_ARM_ID: Final = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)"
    r"/providers/(?P<namespace>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)


def _client_config_values() -> tuple[str, ...]:
    """Every value the mocked ``getClientConfig`` answers: the subscription, tenant, client..."""
    values = {MOCK_SUBSCRIPTION_ID, MOCK_TENANT_ID}
    values.update(v for v in CLIENT_CONFIG.values() if len(v) >= _MIN_COMPUTED)
    return tuple(sorted(values))


def leaf_strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value."""
    return (text for *_, text in strings(value))


class Values:
    """Turns raw values from the mock engine into what a reader may see.

    In order: a value containing a secret config value is ``[secret]``; one containing a value
    only Azure knows is ``(known after apply)``; the random suffix becomes ``<suffix>``.
    Each string is examined in linear time (whole value, its tokens and the GUIDs in it).
    """

    def __init__(self, run: ProgramRun) -> None:
        secrets = secret_strings(run.config, run.secret_keys)
        self._secret_exact = secrets
        self._secret_substrings = tuple(
            sorted(s for s in secrets if len(s) >= _MIN_SECRET_SUBSTRING)
        )
        computed: set[str] = set(_client_config_values())
        for resource in run.resources:
            if not resource.custom:
                continue
            given = set(leaf_strings(resource.inputs))
            computed.update(
                s
                for s in leaf_strings(resource.outputs)
                if s not in given and len(s) >= _MIN_COMPUTED and s != MOCK_SUFFIX
            )
        self._computed = frozenset(computed)

    def is_secret(self, text: str) -> bool:
        return text in self._secret_exact or any(s in text for s in self._secret_substrings)

    def is_computed(self, text: str) -> bool:
        """True when ``text`` holds a value that only Azure would know."""
        computed = self._computed
        if text in computed:
            return True
        if any(token in computed for token in _TOKEN_SPLIT.split(text) if token):
            return True
        return any(guid in computed for guid in _GUID.findall(text))

    def text(self, text: str) -> str:
        if self.is_secret(text):
            return SECRET
        if self.is_computed(text):
            return KNOWN_AFTER_APPLY
        return text.replace(MOCK_SUFFIX, SUFFIX_MARKER)

    def render(self, value: Any) -> Any:
        """A JSON-like value with every leaf shown as a reader may see it."""
        if is_secret(value):
            shown: Any = SECRET
        elif isinstance(value, str):
            shown = self.text(value)
        elif isinstance(value, float) and value.is_integer():
            shown = int(value)
        elif isinstance(value, Mapping):
            shown = {str(k): self.render(v) for k, v in value.items()}
        elif isinstance(value, list | tuple):
            shown = [self.render(v) for v in value]
        else:
            shown = value
        return shown

    def one_line(self, value: Any) -> str:
        """A value as a reader may see it, on one line."""
        return scalar(self.render(value))


def scalar(value: Any) -> str:
    """A rendered value on one line."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


@dataclass(frozen=True)
class ArmRef:
    subscription: str
    group: str
    provider: str
    name: str
    rest: str

    @property
    def account_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.group}"
            f"/providers/{self.provider}/{self.name}"
        )


def parse_arm_id(value: str) -> ArmRef | None:
    match = _ARM_ID.match(value)
    if match is None:
        return None
    return ArmRef(
        subscription=match["subscription"],
        group=match["group"],
        provider=f"{match['namespace']}/{match['type']}",
        name=match["name"],
        rest=match["rest"] or "",
    )


def _role_names() -> dict[str, str]:
    try:
        from settings.roles import BUILT_IN_ROLES  # the program's own table  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the program always ships settings.py
        return {}
    return {guid.lower(): name for name, guid in BUILT_IN_ROLES.items()}


@dataclass(frozen=True)
class CriticalPath:
    """The longest chain of custom resources that must be created one after another."""

    urns: tuple[str, ...]
    # For each custom resource: the length of the longest chain ending with it (its "wave").
    depth: Mapping[str, int]


def critical_path(resources: Sequence[Resource]) -> CriticalPath:
    """Longest path in the dependency DAG, in time linear in resources plus dependencies.

    Custom resources weigh 1. A dependency on a component means waiting for everything under
    it, so each component is a zero-weight node that every child points to; dependencies on
    it (of resources outside it) point from it. Dependencies on resources that were not
    registered (the stack) are ignored.
    """
    by_urn = {r.urn: r for r in resources}
    successors: dict[str, list[str]] = {urn: [] for urn in by_urn}
    indegree: dict[str, int] = dict.fromkeys(by_urn, 0)

    def edge(before: str, after: str) -> None:
        successors[before].append(after)
        indegree[after] += 1

    def is_ancestor(candidate: str, urn: str) -> bool:
        parent = by_urn[urn].parent
        seen = 0
        while parent in by_urn and seen <= len(by_urn):
            if parent == candidate:
                return True
            parent = by_urn[parent].parent
            seen += 1
        return False

    for resource in resources:
        if resource.parent in by_urn and not by_urn[resource.parent].custom:
            edge(resource.urn, resource.parent)
        if not resource.custom:
            continue
        for dependency in dict.fromkeys(resource.dependencies):
            target = by_urn.get(dependency)
            if target is None or dependency == resource.urn:
                continue
            # Waiting for one's own enclosing component would wait for oneself.
            if not target.custom and is_ancestor(dependency, resource.urn):
                continue
            edge(dependency, resource.urn)

    best: dict[str, int] = {}
    previous: dict[str, str | None] = {}
    queue = deque(sorted(urn for urn, count in indegree.items() if count == 0))
    for urn in queue:
        best[urn] = 1 if by_urn[urn].custom else 0
        previous[urn] = None
    visited = 0
    while queue:
        urn = queue.popleft()
        visited += 1
        for after in successors[urn]:
            weight = 1 if by_urn[after].custom else 0
            candidate = best[urn] + weight
            current = best.get(after)
            better = current is None or candidate > current
            tie = current == candidate and urn < (previous.get(after) or "")
            if better or tie:
                best[after] = candidate
                previous[after] = urn
            indegree[after] -= 1
            if indegree[after] == 0:
                queue.append(after)
    if visited != len(by_urn):
        stuck = sorted(urn for urn, count in indegree.items() if count > 0)
        raise ValueError(f"dependency cycle among {', '.join(stuck[:5])}")

    customs = [urn for urn in by_urn if by_urn[urn].custom]
    if not customs:
        return CriticalPath((), {})
    end = min(customs, key=lambda urn: (-best[urn], urn))
    chain: list[str] = []
    cursor: str | None = end
    while cursor is not None:
        if by_urn[cursor].custom:
            chain.append(cursor)
        cursor = previous.get(cursor)
    chain.reverse()
    return CriticalPath(tuple(chain), {urn: best[urn] for urn in customs})


Setting = tuple[str, str]


class Plan:
    """One stack's offline run, ready to be shown: tree, settings, summary and outputs."""

    def __init__(self, run: ProgramRun) -> None:
        self.run = run
        self.stack = run.stack
        self.values = Values(run)
        self.resources: dict[str, Resource] = {r.urn: r for r in run.resources}
        self.stack_urn = f"urn:pulumi:{run.stack}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{run.stack}"
        self.path = critical_path(run.resources)
        self._by_id: dict[str, Resource] = {}
        self._by_principal: dict[str, Resource] = {}
        for resource in run.resources:
            if not resource.custom:
                continue
            raw_id = resource.outputs.get("id")
            if isinstance(raw_id, str) and raw_id:
                self._by_id.setdefault(raw_id.lower(), resource)
            principal = get_path(resource.outputs, "identity.principalId")
            if isinstance(principal, str) and principal:
                self._by_principal[principal] = resource
        self._roles = _role_names()

    # -- the tree ---------------------------------------------------------------------------

    @cached_property
    def children(self) -> dict[str, list[str]]:
        """Children of each URN (the stack's included), in creation order."""
        tree: dict[str, list[str]] = {self.stack_urn: []}
        for resource in self.run.resources:
            parent = resource.parent if resource.parent in self.resources else self.stack_urn
            tree.setdefault(parent, []).append(resource.urn)
        rank = self._rank
        for urns in tree.values():
            urns.sort(key=lambda urn: (rank[urn], self.resources[urn].type, urn))
        return tree

    @cached_property
    def _rank(self) -> dict[str, int]:
        """Custom resources: their wave; components: the earliest wave beneath them."""
        rank: dict[str, int] = dict(self.path.depth)
        for resource in self.run.resources:
            if not resource.custom:
                rank.setdefault(resource.urn, 1 << 30)
        for resource in self.run.resources:
            if not resource.custom:
                continue
            parent = resource.parent
            while parent in self.resources:  # up the chain of components (it is short)
                rank[parent] = min(rank[parent], rank[resource.urn])
                parent = self.resources[parent].parent
        return rank

    def walk(self) -> Iterator[tuple[tuple[bool, ...], Resource]]:
        """Depth-first, in creation order: (is-last flags from the top, resource)."""
        stack: list[tuple[tuple[bool, ...], str]] = []
        top = self.children.get(self.stack_urn, [])
        stack.extend(((i == len(top) - 1,), urn) for i, urn in reversed(list(enumerate(top))))
        while stack:
            flags, urn = stack.pop()
            yield flags, self.resources[urn]
            kids = self.children.get(urn, [])
            stack.extend(
                ((*flags, i == len(kids) - 1), kid) for i, kid in reversed(list(enumerate(kids)))
            )

    # -- names and references ---------------------------------------------------------------

    def physical_name(self, resource: Resource) -> str | None:
        """The Azure name, when the program sets it; ``(known after apply)`` when Azure picks it."""
        if not resource.custom:
            return None
        name = resource.outputs.get("name")
        if not isinstance(name, str):
            return None
        given = {v for v in resource.inputs.values() if isinstance(v, str)}
        if name in given:
            return self.values.text(name)
        # A type the engine does not know: its own name is the one ``...Name`` input that is
        # not a reference to another resource (``lockName`` beside ``resourceGroupName``).
        own = [
            value
            for key, value in sorted(resource.inputs.items())
            if key.endswith("Name")
            and isinstance(value, str)
            and not resource.property_dependencies.get(key)
        ]
        return self.values.text(own[0]) if len(own) == 1 else KNOWN_AFTER_APPLY

    def reference(self, value: Any) -> str:
        """A resource ID of this stack as ``→ logical-name``; anything else as a reader sees it."""
        if isinstance(value, str):
            target = self._by_id.get(value.lower())
            if target is not None:
                return f"→ {target.name}"
        return self.values.one_line(value)

    def resource_for_id(self, value: str) -> Resource | None:
        return self._by_id.get(value.lower())

    def principal(self, resource: Resource) -> str:
        principal_id = resource.inputs.get("principalId")
        kind = resource.inputs.get("principalType")
        if isinstance(principal_id, str):
            owner = self._by_principal.get(principal_id)
            if owner is not None:
                return f"identity of {owner.name}"
        shown = self.values.one_line(principal_id)
        return f"{kind} {shown}" if isinstance(kind, str) else shown

    def role_name(self, resource: Resource) -> str:
        definition = resource.inputs.get("roleDefinitionId")
        if not isinstance(definition, str):
            return self.values.one_line(definition)
        guid = definition.rsplit("/", 1)[-1].lower()
        return self._roles.get(guid, guid)

    def scope(self, value: Any) -> str:
        """A scope: ``→ logical-name`` for this stack's resources; external IDs shortened."""
        if not isinstance(value, str):
            return self.values.one_line(value)
        target = self._by_id.get(value.lower())
        if target is not None:
            return f"→ {target.name}"
        return self.external(value)

    def external(self, value: str) -> str:
        """``account/child path (group, subscription)`` for an ID outside the stack."""
        ref = parse_arm_id(value)
        if ref is None:
            return self.values.one_line(value)
        rest = ref.rest.replace("/blobServices/default", "")
        where = self.values.text(f"{ref.group}, subscription {ref.subscription}")
        return f"{ref.name}{rest} ({where})"

    # -- settings ---------------------------------------------------------------------------

    def settings(self, resource: Resource) -> list[Setting]:
        """The settings that matter for a resource, as (label, value) pairs."""
        if not resource.custom:
            return []
        pairs = resource_type(resource.type).settings(self, resource)
        return [(label, self.values.one_line(value)) for label, value in pairs if value is not None]

    # -- summary and outputs ----------------------------------------------------------------

    def cost_bounds(self) -> list[tuple[Resource, CostBound]]:
        """Each resource that scales with nodes, with the most it can run in a month, priced in
        the stack's region (``azure-native:location``)."""
        location = self.run.config.get(LOCATION_KEY)
        found = []
        for resource in self.run.resources:
            kind = resource_type(resource.type)
            bound = kind.cost_bound(resource, location) if resource.custom else None
            if bound is not None:
                found.append((resource, bound))
        return found

    def counts(self) -> list[tuple[str, int]]:
        counter = Counter(r.type for r in self.run.resources if r.custom)
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))

    @property
    def custom_count(self) -> int:
        return sum(1 for r in self.run.resources if r.custom)

    @property
    def component_count(self) -> int:
        return sum(1 for r in self.run.resources if not r.custom)

    def critical_chain(self) -> list[Resource]:
        return [self.resources[urn] for urn in self.path.urns]

    def outputs(self) -> dict[str, Any]:
        return {
            key: SECRET if key in self.run.secret_outputs else self.values.render(value)
            for key, value in sorted(self.run.outputs.items())
        }

    def config(self) -> dict[str, Any]:
        """The stack's config as the program saw it; secret keys as ``[secret]``."""
        shown: dict[str, Any] = {}
        for key in sorted(self.run.config):
            if key in self.run.secret_keys:
                shown[key] = SECRET
                continue
            raw = self.run.config[key]
            try:
                decoded = json.loads(raw)
            except (json.JSONDecodeError, RecursionError):
                decoded = raw
            if not isinstance(decoded, dict | list):
                decoded = raw
            shown[key] = self.values.render(decoded)
        return shown

    def options(self, resource: Resource) -> list[str]:
        """Resource options worth a reader's attention, as short flags."""
        flags = []
        if resource.protect:
            flags.append("protect")
        if resource.retain_on_delete:
            flags.append("retainOnDelete")
        if resource.delete_before_replace:
            flags.append("deleteBeforeReplace")
        if resource.ignore_changes:
            flags.append("ignoreChanges: " + ", ".join(resource.ignore_changes))
        if resource.replace_on_changes:
            # The properties are in the JSON preview: a text line stays readable.
            flags.append(f"replaceOnChanges ({len(resource.replace_on_changes)} properties)")
        return flags
