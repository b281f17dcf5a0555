"""Preprocessing and scoring endpoints that the ML release pipeline deploys models into.

Online endpoints are managed online endpoints. Batch endpoints get a scale-to-zero cluster of
their own for their deployments. Model deployments are not managed here.

Identities: every endpoint has a system-assigned identity. For a managed online endpoint Azure ML
itself grants that identity AcrPull on the workspace registry and Storage Blob Data Reader on the
workspace storage when the endpoint is created, so the program must not create those assignments
again (a second identical assignment fails with RoleAssignmentExists). A batch deployment runs on
its cluster, whose identity gets the same two roles here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import machinelearningservices as ml

from components.clusters import compute_cluster
from components.context import StackContext, WorkspacePlacement
from components.roles import system_principal_id
from settings.schema import EndpointSettings


@dataclass(frozen=True)
class EndpointsArgs:
    placement: WorkspacePlacement
    endpoints: tuple[EndpointSettings, ...]
    public_network_access: bool
    # What a batch deployment's cluster reads models from and pulls images from.
    storage_account_id: pulumi.Input[str]
    registry_id: pulumi.Input[str] | None


@dataclass(frozen=True)
class EndpointInfo:
    """What the ML release pipeline needs of an endpoint."""

    name: pulumi.Output[str]
    scoring_uri: pulumi.Output[str]


class Endpoints(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: EndpointsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:endpoints:Endpoints", name, None, opts)
        placement = args.placement
        identity = ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED)
        self.endpoints: dict[str, ml.OnlineEndpoint | ml.BatchEndpoint] = {}
        self.batch_clusters: dict[str, ml.Compute] = {}
        self.role_assignments: list[authorization.RoleAssignment] = []
        self.info: dict[str, EndpointInfo] = {}

        for endpoint in args.endpoints:
            description = endpoint.description or f"{endpoint.purpose} endpoint {endpoint.name}"
            tags = {**context.tags, "purpose": endpoint.purpose}
            if endpoint.auth_mode == "Key":
                # Key auth is an explicit, reviewed opt-out from Entra ID tokens: mark it.
                tags["allowKeyAuth"] = "true"
            placed: dict[str, Any] = {
                # Endpoint names are unique per Azure region: the suffix keeps them apart.
                "endpoint_name": context.regional_name(endpoint.name),
                "resource_group_name": context.resource_group_name,
                "workspace_name": placement.workspace_name,
                "location": context.location,
                "identity": identity,
                "tags": tags,
                "opts": pulumi.ResourceOptions(parent=self),
            }
            resource: ml.OnlineEndpoint | ml.BatchEndpoint
            if endpoint.cluster is None:
                resource = ml.OnlineEndpoint(
                    f"{name}-{endpoint.name}",
                    properties=ml.OnlineEndpointPropertiesArgs(
                        auth_mode=endpoint.auth_mode,
                        description=description,
                        public_network_access=(
                            ml.PublicNetworkAccessType.ENABLED
                            if args.public_network_access
                            else ml.PublicNetworkAccessType.DISABLED
                        ),
                    ),
                    **placed,
                )
            else:  # settings give every batch endpoint, and only those, a cluster
                cluster = compute_cluster(
                    f"{name}-{endpoint.name}-cluster",
                    endpoint.cluster,
                    context,
                    placement,
                    parent=self,
                    description=f"Runs the deployments of batch endpoint {endpoint.name}",
                )
                self.batch_clusters[endpoint.name] = cluster
                self._grant_runtime_roles(name, endpoint.name, cluster, context, args)
                resource = ml.BatchEndpoint(
                    f"{name}-{endpoint.name}",
                    properties=ml.BatchEndpointPropertiesArgs(
                        auth_mode=endpoint.auth_mode, description=description
                    ),
                    **placed,
                )
            self.endpoints[endpoint.name] = resource
            self.info[endpoint.name] = EndpointInfo(
                name=resource.name,
                scoring_uri=resource.properties.apply(lambda p: p.scoring_uri or ""),
            )

        self.register_outputs(
            {
                "endpointNames": {key: info.name for key, info in self.info.items()},
                "scoringUris": {key: info.scoring_uri for key, info in self.info.items()},
            }
        )

    def _grant_runtime_roles(
        self,
        name: str,
        endpoint: str,
        cluster: ml.Compute,
        context: StackContext,
        args: EndpointsArgs,
    ) -> None:
        """Pull images and read models: the least a batch deployment's cluster needs."""
        grants: list[tuple[str, pulumi.Input[str], str]] = [
            ("storage", args.storage_account_id, "Storage Blob Data Reader")
        ]
        if args.registry_id is not None:
            grants.append(("registry", args.registry_id, "AcrPull"))
        for scope_label, scope, role in grants:
            self.role_assignments.append(
                context.grant(
                    f"{name}-{endpoint}-{scope_label}-role",
                    role=role,
                    scope=scope,
                    scope_label=scope_label,
                    principal_id=system_principal_id(cluster.identity),
                    principal_label=f"batch-cluster/{endpoint}",
                    principal_type="ServicePrincipal",
                    parent=self,
                    description=f"Batch endpoint {endpoint}: {role}",
                )
            )
