"""Architecture diagrams generated from the program: one Mermaid flowchart per stack.

Each stack is run offline (Pulumi's mock engine) and drawn from what it registers: the resource
group and the resources in it, the workspace and what it depends on, computes, endpoints, and
datastores with arrows to the storage accounts they read in other subscriptions, attached
Kubernetes computes with arrows to the AKS clusters they attach. Arrows follow
the program's own dependencies. Role assignments are not drawn (an arrow per identity and role
tangles the picture): docs/access.md lists them (offline/access_doc.py).

    python -m offline.diagram                               # print the document
    python -m offline.diagram --write docs/architecture.md  # what `make docs` runs
    python -m offline.diagram --check docs/architecture.md  # exit 1 when out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from offline.engine import MOCK_SUFFIX, ROOT, ProgramRun, Resource, stacks
from offline.imports import run_one_shot
from offline.plan import KNOWN_AFTER_APPLY, Plan, parse_arm_id
from offline.preview import run_stack
from offline.resource_types import (
    Arrow,
    Drawn,
    Edge,
    GroupNote,
    Node,
    ScopeNote,
    Shape,
    get_path,
    outbound_rules,
    resource_type,
    resource_type_at,
)

DOCUMENT: Final = Path("docs/architecture.md")
# What a stale generated document says: the one command that regenerates every one of them.
STALE: Final = (
    "is out of date with the program or the Pulumi.<stack>.yaml files: run `make docs` and "
    "commit the result"
)
# Mermaid labels: the suffix as text that needs no HTML escaping.
SUFFIX_LABEL: Final = "{suffix}"

# Mermaid's brackets for each shape of box.
_BRACKETS: Final = {
    Shape.BOX: ("[", "]"),
    Shape.CYLINDER: ("[(", ")]"),
    Shape.STADIUM: ("([", "])"),
}
# Inputs that place a resource inside another rather than making it use another.
_CONTAINMENT: Final = frozenset({"workspaceName"})
# Inputs drawn otherwise: the resource group as a frame, outbound rules as private endpoints.
_SKIPPED_INPUTS: Final = frozenset({"resourceGroupName", "managedNetwork"})


def node_id(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def label_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return text.replace(MOCK_SUFFIX, SUFFIX_LABEL).replace('"', "'")


def box(node: str, shape: Shape, lines: Sequence[str]) -> str:
    opening, closing = _BRACKETS[shape]
    return f'{node}{opening}"{label_text("<br/>".join(lines))}"{closing}'


def external_box(node: str, provider_type: str, name: str) -> str:
    """A resource outside the stack, drawn as its type's boxes are (a storage account)."""
    row = resource_type_at(provider_type)
    if row is None:
        return box(node, Shape.BOX, [provider_type, name])
    shape = row.drawn.shape if isinstance(row.drawn, Node) else Shape.BOX
    return box(node, shape, [row.label, name])


def _arrow(resource: Resource) -> Arrow | None:
    drawn = resource_type(resource.type).drawn
    return drawn.arrow if isinstance(drawn, Node | Edge) else None


def _edge_text(text: str) -> str:
    """Text safe as an unquoted Mermaid edge label (works on older renderers too)."""
    return re.sub(r"[^A-Za-z0-9 .:_-]", " ", text).strip()


@dataclass
class Graph:
    nodes: dict[str, str] = field(default_factory=dict)  # id -> node definition
    groups: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (title, ids)
    edges: set[tuple[str, str, str, str]] = field(default_factory=set)  # (from, arrow, label, to)

    def edge(self, source: str, target: str, label: str = "", *, dotted: bool = False) -> None:
        if source != target:
            self.edges.add((source, "-.->" if dotted else "-->", _edge_text(label), target))

    def group(self, group_id: str, title: str, node: str) -> None:
        self.groups.setdefault(group_id, (title, []))[1].append(node)

    def mermaid(self) -> str:
        """A Mermaid flowchart of the graph, in a stable order."""
        lines = ["flowchart LR"]
        grouped: set[str] = set()
        for group_id in sorted(self.groups):
            title, members = self.groups[group_id]
            lines.append(f'  subgraph {group_id}["{title}"]')
            lines += [f"    {self.nodes[node]}" for node in sorted(set(members))]
            lines.append("  end")
            grouped.update(members)
        lines += [f"  {self.nodes[node]}" for node in sorted(self.nodes) if node not in grouped]
        for source, arrow, label, target in sorted(self.edges):
            middle = f"{arrow}|{label}|" if label else arrow
            lines.append(f"  {source} {middle} {target}")
        return "\n".join(lines) + "\n"


class _Drawing:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.graph = Graph()
        self.ids: dict[str, str] = {}  # urn -> node id
        self.external: dict[str, str] = {}  # lower-case storage account id -> node id

    def node_for(self, resource: Resource) -> str | None:
        return self.ids.get(resource.urn)

    def draw(self) -> Graph:
        customs = [r for r in self.plan.run.resources if r.custom]
        boxes: list[tuple[Resource, Node]] = []
        for resource in customs:
            drawn = resource_type(resource.type).drawn
            if isinstance(drawn, Node):
                boxes.append((resource, drawn))
        for resource, _ in sorted(boxes, key=lambda box: box[0].urn):
            self.ids[resource.urn] = node_id("r", resource.name)
        self._group(customs, boxes)
        for resource, _ in boxes:
            self._dependencies(resource)
        for resource in customs:
            match _arrow(resource):
                case Arrow.READS_STORAGE:
                    self._datastore(resource)
                case Arrow.PRIVATE_ENDPOINT:
                    self._outbound_rule(resource)
                case Arrow.DIAGNOSTICS:
                    self._diagnostics(resource)
                case Arrow.ALERTS:
                    self._alerts(resource)
                case Arrow.ATTACHES:
                    self._attached_cluster(resource)
        return self.graph

    def _group(self, customs: Sequence[Resource], boxes: Sequence[tuple[Resource, Node]]) -> None:
        groups: dict[Any, Resource] = {}
        notes: dict[str, dict[str, None]] = {}  # urn -> its notes, once each, in order
        group_notes: dict[Any, dict[str, None]] = {}  # group name -> its notes, likewise
        for resource in customs:
            group = resource.inputs.get("resourceGroupName") or self._group_of_scope(resource)
            drawn = resource_type(resource.type).drawn
            if drawn is Drawn.AS_GROUP:
                groups[resource.inputs.get("resourceGroupName")] = resource
            elif isinstance(drawn, ScopeNote):
                scope = resource.inputs.get("scope")
                noted = self.plan.resource_for_id(scope) if isinstance(scope, str) else None
                if noted is not None:
                    notes.setdefault(noted.urn, {})[drawn.note] = None
            elif isinstance(drawn, GroupNote):
                group_notes.setdefault(group, {})[drawn.note] = None
        for resource, drawn in boxes:
            node = self.ids[resource.urn]
            self.graph.nodes[node] = self._resource_box(
                resource, drawn, node, notes.get(resource.urn, {})
            )
            group = resource.inputs.get("resourceGroupName")
            owner = groups.get(group)
            if owner is None:
                continue
            group_id = node_id("rg", owner.name)
            title = f"{resource_type(owner.type).label} {label_text(str(group))}"
            title += "".join(f" ({note})" for note in group_notes.get(group, {}))
            self.graph.group(group_id, title, node)

    def _resource_box(
        self, resource: Resource, drawn: Node, node: str, notes: Iterable[str]
    ) -> str:
        label = resource_type(resource.type).label
        if drawn.label_by is not None:
            chosen = get_path(resource.inputs, drawn.label_by.path)
            label = drawn.label_by.labels.get(str(chosen), label)
        name = self.plan.physical_name(resource) or resource.name
        if name == KNOWN_AFTER_APPLY:
            name = resource.name
        lines = [label, name.replace("<suffix>", SUFFIX_LABEL)]
        detail = get_path(resource.inputs, drawn.detail) if drawn.detail is not None else None
        if detail:
            lines.append(str(detail))
        lines += [f"({note})" for note in notes]
        return box(node, drawn.shape, lines)

    def _dependencies(self, resource: Resource) -> None:
        node = self.ids[resource.urn]
        for key, urns in sorted(resource.property_dependencies.items()):
            if key in _SKIPPED_INPUTS:
                continue
            for urn in urns:
                target = self.ids.get(urn)
                if target is None:
                    continue
                if key in _CONTAINMENT:
                    self.graph.edge(target, node)
                else:
                    self.graph.edge(node, target, key)

    def _external_account(self, account_id: str) -> str | None:
        ref = parse_arm_id(account_id)
        if ref is None:
            return None
        own = self.plan.resource_for_id(ref.account_id)
        if own is not None:
            return self.ids.get(own.urn)
        key = ref.account_id.lower()
        node = self.external.get(key)
        if node is None:
            # Storage account names are globally unique; a cluster's is unique in its group.
            node = node_id("ext", ref.name)
            self.external[key] = node
            self.graph.nodes[node] = external_box(node, ref.provider, ref.name)
            group_id = node_id("sub", f"{ref.subscription}_{ref.group}")
            title = label_text(f"Subscription {ref.subscription}, resource group {ref.group}")
            self.graph.group(group_id, title, node)
        return node

    def _datastore(self, resource: Resource) -> None:
        props: Any = resource.inputs.get("properties") or {}
        account, subscription, group = (
            get_path(props, "accountName"),
            get_path(props, "subscriptionId"),
            get_path(props, "resourceGroup"),
        )
        if not (isinstance(account, str) and isinstance(subscription, str)):
            return
        account_id = (
            f"/subscriptions/{subscription}/resourceGroups/{group}"
            f"/providers/Microsoft.Storage/storageAccounts/{account}"
        )
        target = self._external_account(account_id)
        container = get_path(props, "containerName") or get_path(props, "filesystem") or ""
        if target is not None:
            self.graph.edge(self.ids[resource.urn], target, f"reads {container}")

    def _attached_cluster(self, resource: Resource) -> None:
        """A Kubernetes compute: an arrow to the cluster it attaches, in its owner's group."""
        cluster = get_path(resource.inputs, "properties.resourceId")
        if not isinstance(cluster, str):
            return  # a compute instance or cluster the workspace runs itself
        target = self._external_account(cluster)
        namespace = get_path(resource.inputs, "properties.properties.namespace") or ""
        if target is not None:
            self.graph.edge(self.ids[resource.urn], target, f"namespace {namespace}")

    def _outbound_rule(self, workspace: Resource) -> None:
        source = self.ids[workspace.urn]
        for _, rule in outbound_rules(workspace):
            destination = get_path(rule, "destination.serviceResourceId")
            if not isinstance(destination, str):
                continue  # an FQDN rule: drawn in docs/network.md
            target = self._external_account(destination)
            subresource = get_path(rule, "destination.subresourceTarget")
            if target is not None:
                self.graph.edge(source, target, f"private endpoint {subresource}", dotted=True)

    def _diagnostics(self, resource: Resource) -> None:
        source, target = (
            self.plan.resource_for_id(value) if isinstance(value, str) else None
            for value in (resource.inputs.get("resourceUri"), resource.inputs.get("workspaceId"))
        )
        if source is not None and target is not None:
            a, b = self.node_for(source), self.node_for(target)
            if a is not None and b is not None:
                self.graph.edge(a, b, "diagnostics", dotted=True)

    def _group_of_scope(self, resource: Resource) -> Any:
        """The resource group a resource extends through its ``scope`` (a budget)."""
        scope = resource.inputs.get("scope")
        owner = self.plan.resource_for_id(scope) if isinstance(scope, str) else None
        return owner.inputs.get("resourceGroupName") if owner is not None else None

    def _alerts(self, resource: Resource) -> None:
        """An alert rule: from what it watches (or its parent) to the action groups it notifies."""
        actions: Any = resource.inputs.get("actions")
        groups = (
            [get_path(a, "actionGroupId") for a in actions]
            if isinstance(actions, list)
            else get_path(actions, "actionGroups") or []
        )
        targets = [self._node_of_id(g) for g in groups]
        scopes: Any = resource.inputs.get("scopes") or []
        for scope in scopes:
            source = self._node_of_id(scope)
            for target in targets:
                if source is not None and target is not None:
                    self.graph.edge(source, target, "alerts", dotted=True)

    def _node_of_id(self, value: Any) -> str | None:
        """The box of the resource an ID names, or of the nearest resource above it."""
        parts = value.split("/") if isinstance(value, str) else []
        for end in range(len(parts), 0, -1):
            owner = self.plan.resource_for_id("/".join(parts[:end]))
            if owner is not None:
                return self.node_for(owner)
        return None


def mermaid(plan: Plan) -> str:
    """The stack's flowchart, in a stable order."""
    return _Drawing(plan).draw().mermaid()


def ordered_stacks(names: Iterable[str] | None = None) -> list[str]:
    """Stacks (every stack file's by default) in promotion order (dev, qa, prod), others after
    them by name."""
    order = {"dev": 0, "qa": 1, "prod": 2}
    return sorted(
        stacks() if names is None else names,
        key=lambda stack: (order.get(stack, len(order)), stack),
    )


def stack_plans(runs: Mapping[str, ProgramRun] | None = None) -> Iterator[tuple[str, Plan]]:
    """Each stack's plan in promotion order: from ``runs`` when given (tests pass the session's
    runs), else every stack file evaluated."""
    for stack in ordered_stacks(runs):
        yield stack, Plan(run_stack(stack) if runs is None else runs[stack])


def stack_document(
    head: Sequence[str],
    draw: Callable[[Plan], str],
    runs: Mapping[str, ProgramRun] | None = None,
) -> str:
    """``head``, then a Mermaid diagram per stack drawn by ``draw``, in promotion order."""
    sections = list(head)
    for stack, plan in stack_plans(runs):
        sections += ["", f"## {stack}", "", "```mermaid", draw(plan).rstrip("\n"), "```"]
    return "\n".join(sections) + "\n"


# Example stacks the pipelines do not deploy, drawn after the stacks (docs/examples/).
EXAMPLES: Final = ROOT / "docs" / "examples"
# Examples previewed as another stack than their file's name says: a stack name is part of every
# physical name, and "prodregulated" leaves no room for them (Key Vault names take 24 characters).
EXAMPLE_STACKS: Final = {"prod-regulated": "prod"}


def example_stack(example: str) -> str:
    """The stack an example stack file (``Pulumi.<example>.yaml``) is previewed as."""
    return EXAMPLE_STACKS.get(example, example)


def example_sections(draw: Callable[[Plan], str] | None = None) -> list[str]:
    """A diagram of each example stack file, after the stacks': drawn by ``draw`` (the
    architecture's by default)."""
    sections: list[str] = []
    for stack in stacks(EXAMPLES):
        config_file = EXAMPLES / f"Pulumi.{stack}.yaml"
        plan = Plan(run_stack(example_stack(stack), config_file=config_file))
        source = f"examples/Pulumi.{stack}.yaml"
        sections += ["", f"## Example: {stack}", "", f"Drawn from [{source}]({source}).", ""]
        sections += ["```mermaid", (draw or mermaid)(plan).rstrip("\n"), "```"]
    return sections


def document(runs: Mapping[str, ProgramRun] | None = None) -> str:
    """docs/architecture.md: one diagram per stack (of ``runs``, else of every stack file)."""
    head = [
        "# Architecture",
        "",
        "<!-- Generated by `make docs` (python -m offline.diagram) from the program itself: do not",
        "     edit by hand. tests/test_diagram.py fails when this file is out of date. -->",
        "",
        "One diagram per stack, drawn from what the program registers when it runs offline under",
        "Pulumi's mock engine. Solid arrows: a resource uses another (labelled with the input), or",
        "the workspace hosts it. Dotted arrows: a private endpoint of the managed network,",
        "diagnostics, alert rules on a resource notifying the action group. Role assignments are",
        "not drawn: who may do what, and why, is in [access.md](access.md).",
        f"`{SUFFIX_LABEL}` is the stack's random name suffix.",
        "Storage accounts outside the resource group are the datastores' sources, usually in",
        "other subscriptions. `(delete lock)` marks a resource locked against deletion. The",
        "network (private endpoints, DNS, outbound rules) is drawn in [network.md](network.md).",
    ]
    return stack_document(head, mermaid, runs).rstrip("\n") + "\n".join(example_sections()) + "\n"


def cli(
    argv: Sequence[str] | None, prog: str, description: str | None, text: Callable[[], str]
) -> int:
    """Print a generated document, ``--write`` it, or ``--check`` that a file is current."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", type=Path, help="write the document to this file")
    action.add_argument("--check", type=Path, help="exit 1 when this file is out of date")
    args = parser.parse_args(argv)
    generated = text()
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(generated, encoding="utf-8")
        print(f"wrote {args.write}")
    elif args.check is not None:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != generated:
            print(f"{args.check} {STALE}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(generated)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return cli(argv, "python -m offline.diagram", __doc__, document)


if __name__ == "__main__":
    run_one_shot(main)
