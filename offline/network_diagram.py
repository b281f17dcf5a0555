"""Network diagrams generated from the program: one Mermaid flowchart per stack.

Each stack is run offline (Pulumi's mock engine) and drawn from what it registers: who may reach
the workspace and its dependencies from the internet, the private endpoints in the team's subnet
and what each connects to, where their DNS records live (zones the stack creates and the
virtual network they answer for, a hub's zones, or Azure Policy), and the workspace's managed
network with its outbound rules: private endpoints to storage accounts, FQDN rules to approved
hosts. What each resource type is in the drawing comes from ``offline/resource_types.py``.

    python -m offline.network_diagram                          # print the document
    python -m offline.network_diagram --write docs/network.md  # what `make docs` runs
    python -m offline.network_diagram --check docs/network.md  # exit 1 when out of date
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from offline.diagram import (
    SUFFIX_LABEL,
    Graph,
    box,
    cli,
    example_sections,
    external_box,
    label_text,
    node_id,
    stack_document,
)
from offline.engine import ProgramRun, Resource
from offline.imports import run_one_shot
from offline.plan import KNOWN_AFTER_APPLY, Plan, parse_arm_id
from offline.resource_types import (
    DNS_BY_POLICY,
    NetworkPart,
    Shape,
    get_path,
    outbound_rules,
    resource_type,
)

DOCUMENT: Final = Path("docs/network.md")
INTERNET: Final = "internet"
AZURE_POLICY: Final = "azure_policy"
# Where a workspace on the team's network (customerManaged) runs its compute.
TEAM_COMPUTE_SUBNET: Final = "serverlessComputeSettings.serverlessComputeCustomSubnet"
# What an attached AKS cluster's nodes reach through the stack's private endpoints, by
# sub-resource, for a Kubernetes online deployment (settings.journeys, kubernetesServing).
CLUSTER_REACHES: Final = {"amlworkspace": "workspace API", "registry": "image", "blob": "model"}


class _NetworkDrawing:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.graph = Graph()
        self.ids: dict[str, str] = {}  # urn -> node id of the stack's resources drawn
        self.clusters: list[str] = []  # node ids of the attached AKS clusters drawn

    def draw(self) -> Graph:
        customs = [r for r in self.plan.run.resources if r.custom]
        for resource in customs:
            if resource_type(resource.type).public_access is not None:
                self._reachable(resource)
        by_part: dict[NetworkPart, list[Resource]] = {part: [] for part in NetworkPart}
        for resource in customs:
            part = resource_type(resource.type).network
            if part is not None:
                by_part[part].append(resource)
        for zone in by_part[NetworkPart.DNS_ZONE]:
            self._box(zone, [f"zone {zone.inputs.get('privateZoneName')}"])
        for endpoint in by_part[NetworkPart.PRIVATE_ENDPOINT]:
            self._endpoint(endpoint)
        for group in by_part[NetworkPart.DNS_ZONE_GROUP]:
            self._zone_group(group)
        for link in by_part[NetworkPart.ZONE_LINK]:
            self._zone_link(link)
        for workspace in by_part[NetworkPart.WORKSPACE]:
            self._managed_network(workspace)
            self._team_compute(workspace)
        for endpoint in by_part[NetworkPart.PRIVATE_ENDPOINT]:
            self._cluster_paths(endpoint)
        return self.graph

    # -- boxes ----------------------------------------------------------------------------------

    def _box(self, resource: Resource, lines: Sequence[str], shape: Shape = Shape.BOX) -> str:
        """A box of the stack's own, in its resource group."""
        node = self.ids.get(resource.urn)
        if node is not None:
            return node
        node = self.ids[resource.urn] = node_id("r", resource.name)
        name = self.plan.physical_name(resource) or resource.name
        shown = resource.name if name == KNOWN_AFTER_APPLY else name
        label = [resource_type(resource.type).label, shown.replace("<suffix>", SUFFIX_LABEL)]
        self.graph.nodes[node] = box(node, shape, [*label, *lines])
        group = str(resource.inputs.get("resourceGroupName"))
        self.graph.group(node_id("rg", group), f"Resource group {label_text(group)}", node)
        return node

    def _external(self, resource_id: str) -> str | None:
        """A box for a resource outside the stack, in a frame of its subscription and group."""
        own = self.plan.resource_for_id(resource_id)
        if own is not None:
            return self.ids.get(own.urn)
        ref = parse_arm_id(resource_id)
        if ref is None:
            return None
        node = node_id("ext", f"{ref.provider}_{ref.name}")
        if node not in self.graph.nodes:
            self.graph.nodes[node] = external_box(node, ref.provider, ref.name)
            title = label_text(f"Subscription {ref.subscription}, resource group {ref.group}")
            self.graph.group(node_id("sub", f"{ref.subscription}_{ref.group}"), title, node)
        return node

    def _special(self, node: str, text: str) -> str:
        """A node that is no resource: the internet, Azure Policy."""
        self.graph.nodes.setdefault(node, box(node, Shape.STADIUM, [text]))
        return node

    # -- what reaches what ----------------------------------------------------------------------

    def _reachable(self, resource: Resource) -> None:
        """A resource that accepts or refuses public traffic; the internet reaches it if it may."""
        compute = get_path(resource.inputs, "properties.compute")
        if isinstance(compute, str):
            self._kubernetes_endpoint(resource, compute)
            return
        path = resource_type(resource.type).public_access or ""
        access = get_path(resource.inputs, path)
        # A storage firewall denying by default admits only its resource instance rules.
        firewall: Any = resource.inputs.get("networkRuleSet") or {}
        firewalled = access != "Disabled" and firewall.get("defaultAction") == "Deny"
        shown = (
            "public access: disabled"
            if access == "Disabled"
            else "public access: resource instances only"
            if firewalled
            else "public access: enabled"
        )
        node = self._box(resource, [shown], _shape(resource))
        if firewalled:
            for rule in firewall.get("resourceAccessRules") or ():
                source = self._external(str(rule.get("resourceId")))
                if source is not None:
                    self.graph.edge(source, node, "resource instance rule")
        elif access != "Disabled":
            self.graph.edge(self._special(INTERNET, "Internet"), node, "public network access")

    def _kubernetes_endpoint(self, endpoint: Resource, compute_id: str) -> None:
        """A Kubernetes online endpoint has no public network access of its own: callers reach
        it through its cluster's inference router (azureml-fe), in the cluster's network."""
        node = self._box(endpoint, ["through its cluster's inference router"], _shape(endpoint))
        compute = self.plan.resource_for_id(compute_id)
        cluster_id = get_path(compute.inputs, "properties.resourceId") if compute else None
        cluster = self._external(cluster_id) if isinstance(cluster_id, str) else None
        if cluster is not None and isinstance(cluster_id, str):
            name = cluster_id.rstrip("/").rsplit("/", 1)[-1]
            self.graph.nodes[cluster] = box(cluster, Shape.BOX, ["AKS cluster", name])
            self.graph.edge(cluster, node, "inference router azureml-fe")
            self.clusters.append(cluster)

    def _cluster_paths(self, endpoint: Resource) -> None:
        """The attached clusters' nodes reach the workspace, its registry and storage through
        the stack's private endpoints, as they are in the team's network."""
        connections: Any = endpoint.inputs.get("privateLinkServiceConnections") or [{}]
        groups = get_path(connections[0], "groupIds")
        reached = [CLUSTER_REACHES[g] for g in groups or () if g in CLUSTER_REACHES]
        node = self.ids.get(endpoint.urn)
        if node is None or not reached or not endpoint.name.startswith("inbound-"):
            return
        for cluster in dict.fromkeys(self.clusters):
            self.graph.edge(cluster, node, f"nodes: {', '.join(reached)}")

    def _in_subnet(self, node: str, subnet: Any) -> None:
        """Frame ``node`` in the team's subnet the ID names (endpoints and compute alike)."""
        ref = parse_arm_id(subnet) if isinstance(subnet, str) else None
        if ref is not None:
            subnet_name = ref.rest.rsplit("/", 1)[-1]
            title = label_text(
                f"Subnet {subnet_name} of virtual network {ref.name} (resource group "
                f"{ref.group}, subscription {ref.subscription})"
            )
            self.graph.group(node_id("subnet", f"{ref.name}_{subnet_name}"), title, node)

    def _endpoint(self, endpoint: Resource) -> None:
        subnet = get_path(endpoint.inputs, "subnet.id")
        connections: Any = endpoint.inputs.get("privateLinkServiceConnections") or [{}]
        target_id, groups = (
            get_path(connections[0], k) for k in ("privateLinkServiceId", "groupIds")
        )
        group = ", ".join(map(str, groups)) if isinstance(groups, list) else "?"
        node = self.ids[endpoint.urn] = node_id("pe", endpoint.name)
        self.graph.nodes[node] = box(node, Shape.BOX, ["Private endpoint", group])
        self._in_subnet(node, subnet)
        target = self._external(target_id) if isinstance(target_id, str) else None
        if target is not None:
            self.graph.edge(node, target, f"private link {group}")
        if get_path(endpoint.inputs, DNS_BY_POLICY) == "true":
            policy = self._special(AZURE_POLICY, "Azure Policy of the landing zone")
            self.graph.edge(node, policy, "DNS records", dotted=True)

    def _zone_group(self, group: Resource) -> None:
        endpoint = self._depended_on(group, "privateEndpointName")
        configs = group.inputs.get("privateDnsZoneConfigs")
        if endpoint is None or not isinstance(configs, list):
            return
        for config in configs:
            zone_id = get_path(config, "privateDnsZoneId")
            zone = self._external(zone_id) if isinstance(zone_id, str) else None
            if zone is not None:
                self.graph.edge(endpoint, zone, "DNS records", dotted=True)

    def _zone_link(self, link: Resource) -> None:
        zone = self._depended_on(link, "privateZoneName")
        network = get_path(link.inputs, "virtualNetwork.id")
        target = self._external(network) if isinstance(network, str) else None
        if zone is not None and target is not None:
            self.graph.edge(zone, target, "answers for", dotted=True)

    def _managed_network(self, workspace: Resource) -> None:
        isolation = get_path(workspace.inputs, "managedNetwork.isolationMode")
        if not isinstance(isolation, str) or isolation == "Disabled":
            return
        source = self._box(workspace, [])
        node = node_id("mn", workspace.name)
        self.graph.nodes[node] = box(node, Shape.BOX, ["Managed network", isolation])
        self.graph.edge(source, node, "compute and endpoints")
        if isolation == "AllowInternetOutbound":
            self.graph.edge(node, self._special(INTERNET, "Internet"), "any host", dotted=True)
        for name, rule in outbound_rules(workspace):
            destination = rule.get("destination")
            if isinstance(destination, str):  # an FQDN rule
                host = node_id("fqdn", destination)
                self.graph.nodes[host] = box(host, Shape.STADIUM, [destination])
                self.graph.group("approved_hosts", "Internet: approved hosts", host)
                self.graph.edge(node, host, f"FQDN rule {name}", dotted=True)
                continue
            target_id = get_path(rule, "destination.serviceResourceId")
            target = self._external(target_id) if isinstance(target_id, str) else None
            subresource = get_path(rule, "destination.subresourceTarget")
            if target is not None:
                self.graph.edge(node, target, f"private endpoint {subresource}", dotted=True)

    def _team_compute(self, workspace: Resource) -> None:
        """With the team's network (customerManaged), the compute in its subnet, no public IP:
        it reaches the workspace's dependencies through the private endpoints drawn."""
        subnet = get_path(workspace.inputs, TEAM_COMPUTE_SUBNET)
        if not isinstance(subnet, str):
            return
        node = node_id("tc", workspace.name)
        lines = ["Compute, no public IP", "clusters, instances, serverless jobs"]
        self.graph.nodes[node] = box(node, Shape.BOX, lines)
        self._in_subnet(node, subnet)
        self.graph.edge(self._box(workspace, []), node, "compute (the team's network)")

    def _depended_on(self, resource: Resource, key: str) -> str | None:
        """The drawn node of the resource that ``resource``'s input ``key`` comes from."""
        for urn in resource.property_dependencies.get(key, ()):
            if urn in self.ids:
                return self.ids[urn]
        return None


def _shape(resource: Resource) -> Shape:
    drawn = resource_type(resource.type).drawn
    return getattr(drawn, "shape", Shape.BOX)


def mermaid(plan: Plan) -> str:
    """The stack's network as a flowchart, in a stable order."""
    return _NetworkDrawing(plan).draw().mermaid()


def document(runs: Mapping[str, ProgramRun] | None = None) -> str:
    """docs/network.md: one network diagram per stack (of ``runs``, else of every stack file)."""
    head = [
        "# Network",
        "",
        "<!-- Generated by `make docs` (python -m offline.network_diagram) from the program",
        "     itself: do not edit by hand. tests/test_network.py fails when stale. -->",
        "",
        "One diagram per stack, drawn from what the program registers when it runs offline under",
        "Pulumi's mock engine. Solid arrows: traffic the resource accepts (from the internet, or",
        "through a private endpoint in the team's subnet). Dotted arrows: where an endpoint's DNS",
        "records live, the virtual network a zone the stack creates answers for, and the managed",
        "network's outbound rules the program sets (Azure ML adds its own required rules, not",
        f"drawn). `{SUFFIX_LABEL}` is the stack's random name suffix. See the docs' Networking",
        "section for what each mode means for people and pipelines. The example stacks",
        "(docs/examples) follow the repository's.",
    ]
    drawn = stack_document(head, mermaid, runs).rstrip("\n")
    return drawn + "\n".join(example_sections(mermaid)) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    return cli(argv, "python -m offline.network_diagram", __doc__, document)


if __name__ == "__main__":
    run_one_shot(main)
