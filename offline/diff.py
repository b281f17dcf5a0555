"""What a change does to a stack: two plans of it compared, resource by resource.

The base plan stands for the state the last ``pulumi up`` left (the program and stack file at a
git ref); the new plan for what the next one would do. As ``pulumi preview --diff`` would say:

- a resource is the same when its URN is unchanged, or when one of its aliases names the old
  URN (moved, e.g. under another component): never a delete and a create;
- its inputs are compared property by property (``sku.name``, ``tags.owner``, ``logs[0]``),
  skipping what ``ignoreChanges`` names; ``location`` is compared as azure-native does
  (``West Europe`` is ``westeurope``);
- it is replaced when an input in its type's replace keys changes (``offline.resource_types``:
  the Azure name, location, resource group, and what the provider marks as forcing
  replacement), updated when another input changes;
- changes Azure refuses in place, and deletions or replacements of protected resources (Pulumi
  stops on them), are flagged;
- values are shown as a reader may see them: secrets as ``[secret]``, a value another resource
  holds as ``name.path`` (``ml-storage.id``), and a value only Azure will know as
  ``(known after apply)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from offline.engine import MOCK_SUFFIX, Resource, is_secret
from offline.plan import KNOWN_AFTER_APPLY, SECRET, Plan, scalar
from offline.resource_types import ANY_INPUT, get_path, resource_type


class Op(Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    SAME = "same"


# Pulumi's symbols, and the order its summary lists the operations in.
SYMBOLS: Final[Mapping[Op, str]] = {
    Op.CREATE: "+",
    Op.UPDATE: "~",
    Op.DELETE: "-",
    Op.REPLACE: "+-",
    Op.SAME: " ",
}
SUMMARY_OPS: Final = (Op.CREATE, Op.UPDATE, Op.DELETE, Op.REPLACE)
_ABSENT: Final = object()
# Output values shorter than this are not taken for references to another resource.
_MIN_REFERENCE: Final = 8


@dataclass(frozen=True)
class PropertyChange:
    """One input that changes; values as a reader may see them, None when unset."""

    path: str
    before: str | None
    after: str | None
    replaces: bool


@dataclass(frozen=True)
class OptionChange:
    """A resource option that changes: Pulumi records it in state, Azure is not called."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class Refusal:
    """A change that ``pulumi up`` would not carry out: who refuses it, and why."""

    by: str  # Azure or Pulumi
    reason: str


@dataclass(frozen=True)
class Change:
    """What happens to one resource."""

    op: Op
    resource: Resource  # as it will be; as it was, for a delete
    properties: tuple[PropertyChange, ...] = ()
    options: tuple[OptionChange, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    # The base URN, when the resource was known there by another (an alias).
    moved_from: str | None = None

    @property
    def replaced_by(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.properties if p.replaces)

    @property
    def noteworthy(self) -> bool:
        """Worth a line in the diff: an operation, a moved resource or a changed option."""
        return self.op is not Op.SAME or bool(self.moved_from or self.options)


@dataclass(frozen=True)
class Diff:
    """Every resource of the new plan and every resource only the base had."""

    before: Plan | None  # None: the base had no such stack, the stack itself is created too
    after: Plan
    changes: tuple[Change, ...]

    @property
    def stack(self) -> str:
        return self.after.stack

    @property
    def new_stack(self) -> bool:
        return self.before is None

    def count(self, op: Op) -> int:
        return sum(1 for change in self.changes if change.op is op) + (
            1 if op is (Op.CREATE if self.new_stack else Op.SAME) else 0
        )

    @property
    def refusals(self) -> list[tuple[Change, Refusal]]:
        return [(change, refusal) for change in self.changes for refusal in change.refusals]

    def summary_lines(self) -> list[str]:
        """Pulumi's words: ``+ 2 to create``, ``~ 1 to update``... and the changes in total."""
        lines = [
            f"{SYMBOLS[op]} {self.count(op)} to {op.value}" for op in SUMMARY_OPS if self.count(op)
        ]
        total = sum(self.count(op) for op in SUMMARY_OPS)
        unchanged = self.count(Op.SAME)
        if not total:
            return [f"No changes. {unchanged} unchanged"]
        plural = "s" if total != 1 else ""
        return [*lines, f"{total} change{plural}. {unchanged} unchanged"]


def diff_plans(before: Plan | None, after: Plan) -> Diff:
    """What ``pulumi up`` of ``after`` would do to the state ``before`` left (None: no stack)."""
    old = before.resources if before is not None else {}
    matched: dict[str, Resource] = {urn: old[urn] for urn in after.resources if urn in old}
    claimed = {resource.urn for resource in matched.values()}
    moved: dict[str, str] = {}
    for resource in after.run.resources:
        if resource.urn in matched:
            continue
        previous = next((a for a in resource.aliases if a in old and a not in claimed), None)
        if previous is not None:
            matched[resource.urn] = old[previous]
            claimed.add(previous)
            moved[resource.urn] = previous
    # What a created or replaced resource will compute is unknown until Azure answers: inputs
    # holding it change too (and may force replacements in turn), until nothing new is unknown.
    shown = _Shown(before, after)
    while True:
        changes = [
            Change(Op.CREATE, resource)
            if resource.urn not in matched
            else _compare(matched[resource.urn], resource, shown, moved.get(resource.urn))
            for _, resource in after.walk()
        ]
        unknown = {
            value
            for change in changes
            if change.op in (Op.CREATE, Op.REPLACE)
            for value in _computed(change.resource)
        }
        if unknown <= shown.unknown:
            break
        shown.unknown |= unknown
    if before is not None:
        for _, resource in before.walk():
            if resource.urn not in claimed:
                changes.append(Change(Op.DELETE, resource, refusals=_protected(resource, "delete")))
    return Diff(before, after, tuple(changes))


def compare_properties(
    left: Plan, right: Plan
) -> Callable[[Resource, Resource], tuple[PropertyChange, ...]]:
    """Every input that differs between a resource of one stack and its twin in another.

    Values that differ only because they belong to another stack (IDs, the names in them) are
    left out when they are shown alike (``ml-storage.id`` on both sides). Each stack's values
    are labelled once, for every pair of twins compared.
    """
    shown = _Shown(left, right, compare=True)

    def differences(a: Resource, b: Resource) -> tuple[PropertyChange, ...]:
        found: list[PropertyChange] = []
        for path, before, after in _differences(a.inputs, b.inputs, lambda _: False):
            old = None if before is _ABSENT else shown.before(before)
            new = None if after is _ABSENT else shown.after(after)
            if old != new:
                found.append(PropertyChange(path, old, new, replaces=False))
        return tuple(found)

    return differences


def _protected(resource: Resource, what: str) -> tuple[Refusal, ...]:
    if not resource.protect:
        return ()
    return (Refusal("Pulumi", f"protected, it is not {what}d; unprotect it first (mlops:protect)"),)


def _compare(old: Resource, new: Resource, shown: _Shown, moved_from: str | None) -> Change:
    row = resource_type(new.type)
    found = [
        (path, before, after)
        for path, before, after in _differences(old.inputs, new.inputs, shown.is_unknown)
        if not _ignored(path, new.ignore_changes) and not _same_location(path, before, after)
    ]
    keys = row.replace_keys
    properties = tuple(
        PropertyChange(
            path,
            None if before is _ABSENT else shown.before(before),
            None if after is _ABSENT else shown.after(after),
            replaces=ANY_INPUT in keys or any(_within(path, key) for key in keys),
        )
        for path, before, after in found
    )
    op = Op.SAME
    if properties:
        op = Op.REPLACE if any(p.replaces for p in properties) else Op.UPDATE
    refusals: tuple[Refusal, ...] = ()
    if op is Op.REPLACE:
        refusals = _protected(old, "replace")
    elif op is Op.UPDATE:
        refusals = tuple(
            Refusal("Azure", f"{refusal.path}: {refusal.why}")
            for refusal in row.refused
            if refusal.refuses(
                get_path(old.inputs, refusal.path), get_path(new.inputs, refusal.path)
            )
        )
    return Change(op, new, properties, _options(old, new), refusals, moved_from)


def _options(old: Resource, new: Resource) -> tuple[OptionChange, ...]:
    def shown(resource: Resource) -> dict[str, str]:
        return {
            "protect": scalar(resource.protect),
            "retainOnDelete": scalar(resource.retain_on_delete),
            "deleteBeforeReplace": scalar(resource.delete_before_replace),
            "ignoreChanges": ", ".join(sorted(resource.ignore_changes)) or "-",
        }

    before, after = shown(old), shown(new)
    return tuple(
        OptionChange(name, before[name], after[name])
        for name in before
        if before[name] != after[name]
    )


def _differences(
    old: Any, new: Any, unknown: Callable[[str], bool], path: str = ""
) -> Iterator[tuple[str, Any, Any]]:
    """(path, old, new) where two input values differ or the new one is not known yet.

    ``_ABSENT`` stands for an unset value.
    """
    if old == new and not any(unknown(leaf) for leaf in _leaves(new) if isinstance(leaf, str)):
        return
    # A map on both sides, or added or removed whole: property by property, as pulumi shows it.
    maps = [side for side in (old, new) if side is not _ABSENT]
    if maps and all(isinstance(m, Mapping) and m and not is_secret(m) for m in maps):
        keys: set[Any] = set().union(*maps)
        for key in sorted(keys, key=str):
            inner = f"{path}.{key}" if path else str(key)
            before, after = (
                side.get(key, _ABSENT) if side is not _ABSENT else _ABSENT for side in (old, new)
            )
            yield from _differences(before, after, unknown, inner)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from _differences(before, after, unknown, f"{path}[{index}]")
    else:
        yield path, old, new


def _within(path: str, key: str) -> bool:
    """``path`` is ``key`` or lies inside it (``sku.name`` in ``sku``, ``logs[0]`` in ``logs``)."""
    return path == key or path.startswith((f"{key}.", f"{key}["))


def _ignored(path: str, ignore_changes: tuple[str, ...]) -> bool:
    return any(_within(path, ignored) for ignored in ignore_changes)


def _same_location(path: str, before: Any, after: Any) -> bool:
    """azure-native compares locations without case and spaces (``West Europe``, ``westeurope``)."""

    def normal(value: Any) -> Any:
        return value.replace(" ", "").lower() if isinstance(value, str) else value

    return path == "location" and normal(before) == normal(after)


class _Shown:
    """Values as a reader may see them, on each side of the diff."""

    def __init__(self, before: Plan | None, after: Plan, *, compare: bool = False) -> None:
        self.plans = (before, after)
        # Comparing two stacks rather than two states of one: each side names its own values.
        self.compare = compare
        self.labels = (_labels(before) if before is not None else {}, _labels(after))
        # Values created or replaced resources will compute: unknown on the new side.
        self.unknown: set[str] = set()

    def is_unknown(self, value: str) -> bool:
        """True when a new value holds one only Azure will know (an ID inside a scope too)."""
        return any(part in value for part in self.unknown)

    def before(self, value: Any) -> str:
        return scalar(self._render(value, 0))

    def after(self, value: Any) -> str:
        return scalar(self._render(value, 1))

    def _render(self, value: Any, side: int) -> Any:
        plan = self.plans[side]
        assert plan is not None, "a value is only shown for a side that has a plan"
        if is_secret(value):
            return SECRET
        if isinstance(value, Mapping):
            return {str(k): self._render(v, side) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render(v, side) for v in value]
        if not isinstance(value, str):
            return plan.values.render(value)
        return self._text(plan, value, side)

    def _text(self, plan: Plan, value: str, side: int) -> str:
        if plan.values.is_secret(value):
            return SECRET
        if side == 1 and self.is_unknown(value):
            return KNOWN_AFTER_APPLY
        label = self.labels[side].get(value)
        if label is not None and (side == 0 or self.compare or self.labels[0].get(value) == label):
            return label
        if label is not None:
            return KNOWN_AFTER_APPLY  # held by a resource that does not exist yet
        return plan.values.text(value)


def _computed(resource: Resource) -> Iterator[str]:
    """Values Azure (or a provider) computes for a resource: outputs it was not given."""
    given = set(_leaves(resource.inputs))
    for _, value in _paths(resource.outputs):
        long_enough = isinstance(value, str) and (
            len(value) >= _MIN_REFERENCE or value == MOCK_SUFFIX
        )
        if long_enough and value not in given:
            yield value


def _labels(plan: Plan) -> dict[str, str]:
    """Values Azure computes for this plan's resources, as ``name.path`` (``ml-storage.id``)."""
    found: dict[str, str] = {}
    for resource in plan.run.resources:
        if not resource.custom:
            continue
        computed = set(_computed(resource)) - {MOCK_SUFFIX}  # the suffix is shown as <suffix>
        for path, value in _paths(resource.outputs):
            if value in computed:
                found.setdefault(value, f"{resource.name}.{path}")
    return found


def _paths(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) for every leaf, ``id`` first."""
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: (k != "id", str(k)))
        for key in keys:
            yield from _paths(value[key], f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, f"{path}[{index}]")
    else:
        yield path, value


def _leaves(value: Any) -> Iterator[Any]:
    for _, leaf in _paths(value):
        yield leaf
