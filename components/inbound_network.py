"""Inbound private endpoints: how people and pipelines in the team's network reach a private
workspace.

With ``mlops:network.inbound: private`` the workspace, its storage, a created Key Vault and a
created registry refuse public network access. Each gets a private endpoint in the configured
subnet, for the sub-resources and DNS zones of ``settings.private_link``. Their DNS records:

- ``create``: the zones are created in the stack's resource group and linked to the subnet's
  virtual network;
- ``existing``: a hub's zones, by ID;
- ``policy``: no zone group here; Azure Policy adds one, as landing zones do. The endpoint is
  tagged ``dnsByPolicy: "true"``, the explicit marker the policy pack accepts instead.

Endpoints are created in the stack's resource group and region: Azure places a private endpoint
in its virtual network's subscription and region, so the subnet must be there too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
from pulumi_azure_native import authorization, network, privatedns

from components.context import StackContext
from settings.names import ArmId
from settings.private_link import (
    DNS_BY_POLICY_TAG,
    INBOUND_ENDPOINTS,
    PRIVATE_DNS_ZONES,
    STUDIO_STORAGE_GROUPS,
    Target,
    zones_for,
)
from settings.schema import NetworkSettings, PrivateDnsSettings

# Private DNS zones and their virtual network links are global resources.
GLOBAL: Final = "global"


@dataclass(frozen=True)
class InboundPrivateEndpointsArgs:
    subnet: ArmId
    dns: PrivateDnsSettings
    # What the endpoints connect to, by target: (label, resource ID) pairs, the label telling
    # apart endpoints of one target ("" for the only one). Only what the stack creates: an
    # adopted vault or registry is reached through its owner's endpoints.
    targets: Mapping[Target, Sequence[tuple[str, pulumi.Input[str]]]]
    # The workspace identity reads the storage endpoints the studio uses (None: no workspace).
    workspace_principal_id: pulumi.Input[str] | None = None


def grant_studio_reader(
    context: StackContext,
    resource_name: str,
    *,
    endpoint: network.PrivateEndpoint,
    endpoint_label: str,
    workspace_principal_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> authorization.RoleAssignment:
    """Reader for the workspace identity on a storage private endpoint of the client network.

    When the workspace storage refuses public network access, the studio reaches it through the
    client network's blob and file endpoints, and the workspace's managed identity needs Reader
    on each (not on the managed network's own endpoints):
    https://learn.microsoft.com/azure/machine-learning/how-to-managed-network#azure-machine-learning-studio
    """
    return context.grant(
        resource_name,
        role="Reader",
        scope=endpoint.id,
        scope_label=endpoint_label,
        principal_id=workspace_principal_id,
        principal_label="workspace",
        principal_type="ServicePrincipal",
        parent=parent,
        description=f"Azure ML studio: the workspace identity reads the {endpoint_label}",
    )


def private_endpoints(
    name: str,
    context: StackContext,
    network: NetworkSettings,
    targets: Mapping[Target, Sequence[tuple[str, pulumi.Input[str]]]],
    workspace_principal_id: pulumi.Input[str] | None = None,
) -> InboundPrivateEndpoints | None:
    """The endpoints to ``targets`` where inbound is private (settings then give a subnet and a
    DNS mode), else None."""
    if network.subnet is None or network.private_dns is None:
        return None
    return InboundPrivateEndpoints(
        name,
        context,
        InboundPrivateEndpointsArgs(
            network.subnet, network.private_dns, targets, workspace_principal_id
        ),
    )


class InboundPrivateEndpoints(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: InboundPrivateEndpointsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:network:InboundPrivateEndpoints", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        endpoints = [
            (endpoint, label, target_id)
            for endpoint in INBOUND_ENDPOINTS
            for label, target_id in args.targets.get(endpoint.target, ())
        ]
        zone_ids = self._zones(name, context, args, zones_for({e.target for e, *_ in endpoints}))
        by_policy = args.dns.mode == "policy"
        tags = {**context.tags, DNS_BY_POLICY_TAG: "true"} if by_policy else dict(context.tags)

        self.endpoints: dict[str, network.PrivateEndpoint] = {}
        self.zone_groups: dict[str, network.PrivateDnsZoneGroup] = {}
        self.role_assignments: list[authorization.RoleAssignment] = []
        for endpoint, label, target_id in endpoints:
            group = endpoint.group
            key = f"{group}-{label}" if label else group
            created = network.PrivateEndpoint(
                f"{name}-{key}",
                private_endpoint_name=context.unique_name(
                    functools.partial(context.names.private_endpoint, group=key)
                ),
                resource_group_name=context.resource_group_name,
                location=context.location,
                # Only the subnet's ID: SubnetArgs would add its defaults for the subnet's own
                # network policies, which are the network team's to set.
                subnet=network.SubnetArgsDict(id=args.subnet.id),
                private_link_service_connections=[
                    network.PrivateLinkServiceConnectionArgs(
                        name=group,
                        private_link_service_id=target_id,
                        group_ids=[group],
                    )
                ],
                tags=tags,
                opts=child,
            )
            self.endpoints[key] = created
            if not by_policy:
                self.zone_groups[key] = network.PrivateDnsZoneGroup(
                    f"{name}-{key}-dns",
                    private_dns_zone_group_name="default",
                    private_endpoint_name=created.name,
                    resource_group_name=context.resource_group_name,
                    private_dns_zone_configs=[
                        network.PrivateDnsZoneConfigArgs(
                            name=PRIVATE_DNS_ZONES[zone].replace(".", "-"),
                            private_dns_zone_id=zone_ids[zone],
                        )
                        for zone in endpoint.zones
                    ],
                    opts=child,
                )
            studio = endpoint.target == "storage" and group in STUDIO_STORAGE_GROUPS
            if studio and args.workspace_principal_id is not None:
                self.role_assignments.append(
                    grant_studio_reader(
                        context,
                        f"{name}-{group}-reader",
                        endpoint=created,
                        endpoint_label=f"storage {group} private endpoint",
                        workspace_principal_id=args.workspace_principal_id,
                        parent=self,
                    )
                )
        self.register_outputs({"endpointIds": {k: v.id for k, v in self.endpoints.items()}})

    def _zones(
        self, name: str, context: StackContext, args: InboundPrivateEndpointsArgs, keys: list[str]
    ) -> Mapping[str, pulumi.Input[str]]:
        """The ID of each zone the endpoints need: created, given, or none (mode policy)."""
        if args.dns.mode == "existing":
            given = args.dns.zone_ids
            assert given is not None, "settings require zoneIds with mode: existing"
            found = {key: getattr(given, key) for key in keys}
            assert all(found.values()), "settings require every zone the endpoints need"
            return {key: zone.id for key, zone in found.items()}
        if args.dns.mode == "policy":
            return {}
        vnet = args.subnet.parent
        assert vnet is not None, "a subnet's ID names its virtual network"
        child = pulumi.ResourceOptions(parent=self)
        created: dict[str, pulumi.Input[str]] = {}
        for key in keys:
            zone = privatedns.PrivateZone(
                f"{name}-zone-{key}",
                private_zone_name=PRIVATE_DNS_ZONES[key],
                resource_group_name=context.resource_group_name,
                location=GLOBAL,
                tags=context.tags,
                opts=child,
            )
            privatedns.VirtualNetworkLink(
                f"{name}-zone-{key}-link",
                virtual_network_link_name=vnet.name,
                private_zone_name=zone.name,
                resource_group_name=context.resource_group_name,
                location=GLOBAL,
                virtual_network=privatedns.SubResourceArgs(id=vnet.id),
                # Records come from the endpoints' zone groups, not from VM registration.
                registration_enabled=False,
                tags=context.tags,
                opts=child,
            )
            created[key] = zone.id
        return created
