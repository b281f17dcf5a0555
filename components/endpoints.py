"""Preprocessing and scoring endpoints that the ML release pipeline deploys models into.

Online endpoints are managed online endpoints, or Kubernetes online endpoints on an attached AKS
cluster (components/kubernetes_compute.py). Batch endpoints get a scale-to-zero cluster of their
own for their deployments. Model deployments are not managed here.

With mlops:endpointLogs, every managed online endpoint gets a diagnostic setting that sends its
traffic, console and event logs to the stack's Log Analytics workspace, in resource-specific
tables (settings.endpoint_logs); Kubernetes online endpoints and batch endpoints get none.

Identities: every endpoint has a system-assigned identity. For a managed online endpoint Azure ML
itself grants that identity what a deployment needs (AcrPull, Storage Blob Data Reader...) when
the endpoint is created, so the program must not create those assignments again (a second
identical assignment fails with RoleAssignmentExists); the program grants it read on the shared
model registry, whose models it serves. A batch deployment runs on its cluster,
whose identity gets the job roles of the access matrix here: read on every datastore, write on
the workspace storage; AcrPull Azure ML grants it (see components/access.py). A Kubernetes online
endpoint's identity gets what a managed one's does (the access matrix's kubernetesEndpoint kind):
Azure ML grants the system-assigned identity of every online endpoint what its deployments need,
and the program read on the model registry; its deployments pull from the cluster's nodes.
https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online-auth#automatic-role-assignment-for-endpoint-identity
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization, monitor
from pulumi_azure_native import machinelearningservices as ml

from components.access import Holder, Principal, Targets, grant_all
from components.clusters import compute_cluster
from components.context import StackContext, WorkspacePlacement
from components.roles import system_principal_id
from settings.endpoint_logs import CATEGORIES
from settings.schema import EndpointSettings

# What the endpoint serves, for reviewers and cost reports.
PURPOSE_TAG = "purpose"
# Key auth is an explicit, reviewed opt-out from Entra ID tokens: the policy pack accepts it only
# on an endpoint carrying this tag.
KEY_AUTH_TAG = "allowKeyAuth"


@dataclass(frozen=True)
class EndpointsArgs:
    placement: WorkspacePlacement
    endpoints: tuple[EndpointSettings, ...]
    public_network_access: bool
    # The scopes of the stack, for the batch clusters' grants.
    targets: Targets
    # Attached Kubernetes computes by config name → their ARM IDs.
    kubernetes_computes: Mapping[str, pulumi.Input[str]] = field(
        default_factory=dict[str, pulumi.Input[str]]
    )
    # The Log Analytics workspace every managed online endpoint sends its logs to
    # (mlops:endpointLogs); None: they send them nowhere.
    log_analytics_id: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class EndpointInfo:
    """What the ML release pipeline needs of an endpoint."""

    name: pulumi.Output[str]
    scoring_uri: pulumi.Output[str]
    # managedOnline, kubernetesOnline or batch: what the deployment the pipeline creates is.
    serving: str
    # The compute its deployments run on: the attached cluster's or the batch cluster's name.
    compute: str | None


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
        # Managed online endpoints whose logs go to Log Analytics: their diagnostic settings, and
        # the name their logs carry (EndpointName, the endpoint's Azure name).
        self.diagnostics: dict[str, monitor.DiagnosticSetting] = {}
        self.logged_as: dict[str, pulumi.Output[str]] = {}
        # Online endpoints in config order, each with its kind of principal in the matrix.
        online: dict[str, tuple[Principal, ml.OnlineEndpoint]] = {}
        self.info: dict[str, EndpointInfo] = {}

        for endpoint in args.endpoints:
            description = endpoint.description or f"{endpoint.purpose} endpoint {endpoint.name}"
            tags = {**context.tags, PURPOSE_TAG: endpoint.purpose}
            if endpoint.auth_mode == "Key":
                tags[KEY_AUTH_TAG] = "true"
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
            compute = endpoint.kubernetes_cluster
            if compute is not None:
                # https://learn.microsoft.com/azure/machine-learning/reference-yaml-endpoint-online:
                # publicNetworkAccess applies to managed endpoints only; a Kubernetes endpoint is
                # reached through its cluster's inference router, on the owner's network. The
                # typed dict, unlike OnlineEndpointPropertiesArgs, adds no default 'Enabled'.
                resource = ml.OnlineEndpoint(
                    f"{name}-{endpoint.name}",
                    properties=ml.OnlineEndpointPropertiesArgsDict(
                        auth_mode=endpoint.auth_mode,
                        description=description,
                        compute=args.kubernetes_computes[compute],
                    ),
                    **placed,
                )
                # Its identity pulls models like a managed endpoint's, from the cluster's
                # nodes in the team's network: the matrix's kubernetesEndpoint rows.
                online[endpoint.name] = ("kubernetesEndpoint", resource)
            elif endpoint.cluster is None:
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
                online[endpoint.name] = ("onlineEndpoint", resource)
                if args.log_analytics_id is not None:
                    self.diagnostics[endpoint.name] = _endpoint_logs(
                        f"{name}-{endpoint.name}-logs", resource, args.log_analytics_id, self
                    )
                    self.logged_as[endpoint.name] = resource.name
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
                compute = endpoint.cluster.name
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
                serving=endpoint.serving,
                compute=compute,
            )

        holders = [
            Holder(
                "batchCluster",
                system_principal_id(cluster.identity),
                "ServicePrincipal",
                key=f"{endpoint}-cluster",
                label=f"batch-cluster/{endpoint}",
                name=f"batch endpoint {endpoint}'s cluster",
            )
            for endpoint, cluster in self.batch_clusters.items()
        ] + [
            # Either kind keeps the key, label and name its assignments were always named by.
            Holder(
                kind,
                system_principal_id(resource.identity),
                "ServicePrincipal",
                key=endpoint,
                label=f"online-endpoint/{endpoint}",
                name=f"online endpoint {endpoint}",
            )
            for endpoint, (kind, resource) in online.items()
        ]
        self.role_assignments: list[authorization.RoleAssignment] = [
            assignment
            for _, assignment in grant_all(context, name, holders, args.targets, parent=self)
        ]

        self.register_outputs(
            {
                "endpointNames": {key: info.name for key, info in self.info.items()},
                "scoringUris": {key: info.scoring_uri for key, info in self.info.items()},
            }
        )


def _endpoint_logs(
    resource_name: str,
    endpoint: ml.OnlineEndpoint,
    log_analytics_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> monitor.DiagnosticSetting:
    """A managed online endpoint's traffic, console and event logs, to Log Analytics.

    Each category Microsoft lists for the type, by name (settings.endpoint_logs cites the page
    next to each); no metrics: the endpoint's platform metrics stay in Azure Monitor, where its
    metric alert rules read them, and copying them would be billed as ingestion too
    (https://learn.microsoft.com/azure/azure-monitor/platform/diagnostic-settings#controlling-costs).
    """
    return monitor.DiagnosticSetting(
        resource_name,
        name="to-log-analytics",
        resource_uri=endpoint.id,
        workspace_id=log_analytics_id,
        # Resource-specific tables (AmlOnlineEndpointTrafficLog...), which the alert catalogue's
        # query reads, rather than AzureDiagnostics:
        # https://learn.microsoft.com/azure/azure-monitor/essentials/resource-logs#resource-specific
        log_analytics_destination_type="Dedicated",
        logs=[
            monitor.DiagnosticsLogSettingsArgs(category=category.name, enabled=True)
            for category in CATEGORIES
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )
