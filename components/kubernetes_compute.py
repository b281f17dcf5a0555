"""AKS clusters attached to the workspace as Kubernetes compute targets, and the cluster side of
those the team owns.

Kubernetes online endpoints serve on them (components/endpoints.py). A cluster owned elsewhere
(``manage: false``) is only attached: its owner installs the Azure ML extension, creates the
namespace and the instance types and grants the deployment identity its role (the stack output
``kubernetesOwnerActions``, from ``settings.kubernetes.STEPS``). Attaching registers the cluster
in the workspace and changes nothing on it.

For the team's own cluster (``manage: true``) this stack also builds the cluster side, once per
cluster, before attaching it: the Azure ML extension (inference only, its router on an internal
load balancer, HTTPS from a Kubernetes secret) and the AKS trusted access role binding through
which the workspace reaches the cluster; the attach declares the instance types. The extension
and the binding are addressed in the stack's subscription, where Azure ML requires the cluster
to be.

No identity is attached with the compute: it would serve training jobs, which the program never
runs on an attached cluster; an online deployment runs as its endpoint's identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import containerservice, kubernetesconfiguration
from pulumi_azure_native import machinelearningservices as ml

from components.context import StackContext, WorkspacePlacement
from settings.kubernetes import (
    ATTACH,
    EXTENSION_NAME,
    EXTENSION_TYPE,
    KEY,
    MLWORKLOAD_ROLE,
    RELEASE_NAMESPACE,
    binding_name,
    cluster_key,
    cluster_problems,
    extension_settings,
)
from settings.loader import SettingsError
from settings.schema import InstanceTypeSettings, KubernetesClusterSettings


@dataclass(frozen=True)
class KubernetesComputesArgs:
    placement: WorkspacePlacement
    clusters: tuple[KubernetesClusterSettings, ...]
    # The workspace a managed cluster binds through AKS trusted access.
    workspace_id: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ClusterSide:
    """What this stack builds on a cluster it manages, which the attach waits for."""

    extension: kubernetesconfiguration.Extension
    trusted_access: containerservice.TrustedAccessRoleBinding


def in_stack_subscription(subscription: str, index: int, cluster: KubernetesClusterSettings) -> str:
    """The cluster's resource group, where its extension and binding are addressed (in the
    stack's subscription): `pulumi up` refuses a cluster elsewhere before touching it. A preview
    reads the cluster there (a cluster elsewhere is not found), and the offline preview, whose
    subscription stands in for the stack's, does not compare."""
    dry_run = pulumi.runtime.is_dry_run()
    if not dry_run and subscription.lower() != cluster.cluster.subscription_id:
        raise SettingsError(
            [
                f"{KEY}[{index}].clusterId: is in subscription {cluster.cluster.subscription_id}, "
                f"but the stack deploys into {subscription.lower()}: Azure ML attaches no AKS "
                f"cluster across subscriptions ({ATTACH}), so manage: true needs the cluster in "
                "the workspace's subscription"
            ]
        )
    return cluster.cluster.resource_group


def _instance_type(declared: InstanceTypeSettings) -> ml.InstanceTypeSchemaArgs:
    requests, limits = declared.resources.requests, declared.resources.limits
    gpu = {} if limits.gpu is None else {"nvidia.com/gpu": str(limits.gpu)}
    return ml.InstanceTypeSchemaArgs(
        node_selector=dict(declared.node_selector) or None,
        resources=ml.InstanceTypeSchemaResourcesArgs(
            requests={"cpu": requests.cpu, "memory": requests.memory},
            limits={"cpu": limits.cpu, "memory": limits.memory, **gpu},
        ),
    )


class KubernetesComputes(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: KubernetesComputesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        problems = cluster_problems(args.clusters)
        if problems:
            raise SettingsError(problems)
        super().__init__("mlops:compute:KubernetesComputes", name, None, opts)
        sides: dict[str, ClusterSide] = {}
        for index, cluster in enumerate(args.clusters):
            if cluster.manage and cluster.cluster.id.lower() not in sides:
                side = self._cluster_side(name, context, args, index, cluster)
                sides[cluster.cluster.id.lower()] = side
        self.cluster_sides: dict[str, ClusterSide] = sides
        self.computes: dict[str, ml.Compute] = {
            cluster.name: self._attach(name, context, args, cluster, sides)
            for cluster in args.clusters
        }
        self.ids: dict[str, pulumi.Output[str]] = {
            key: compute.id for key, compute in self.computes.items()
        }
        self.register_outputs({"computeIds": self.ids})

    def _cluster_side(
        self,
        name: str,
        context: StackContext,
        args: KubernetesComputesArgs,
        index: int,
        cluster: KubernetesClusterSettings,
    ) -> ClusterSide:
        assert cluster.extension is not None, "settings require an extension with manage: true"
        assert args.workspace_id is not None, "a managed cluster binds the workspace"
        aks, key = cluster.cluster, cluster_key(cluster)
        group = pulumi.Output.from_input(context.subscription_id).apply(
            lambda subscription: in_stack_subscription(subscription, index, cluster)
        )
        # Its region, which the extension's settings name (as `az k8s-extension create` reads
        # it); reading the cluster also shows at preview that it exists.
        located = containerservice.get_managed_cluster_output(
            resource_group_name=group, resource_name=aks.name
        )
        # https://learn.microsoft.com/azure/machine-learning/how-to-deploy-kubernetes-extension
        extension = kubernetesconfiguration.Extension(
            f"{name}-{key}-extension",
            extension_name=EXTENSION_NAME,
            cluster_rp="Microsoft.ContainerService",
            cluster_resource_name="managedClusters",
            cluster_name=aks.name,
            resource_group_name=group,
            extension_type=EXTENSION_TYPE,
            # The Azure ML extension is cluster-scoped, released into its azureml namespace.
            scope=kubernetesconfiguration.ScopeArgs(
                cluster=kubernetesconfiguration.ScopeClusterArgs(
                    release_namespace=RELEASE_NAMESPACE
                )
            ),
            # https://learn.microsoft.com/azure/aks/deploy-extensions-az-cli#optional-parameters:
            # minor versions (fixes, patched images) follow the stable train.
            auto_upgrade_minor_version=True,
            release_train="stable",
            identity=kubernetesconfiguration.IdentityArgs(
                type=kubernetesconfiguration.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            configuration_settings=located.location.apply(
                lambda location: extension_settings(cluster, str(location))
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Uninstalling it takes down every Kubernetes online deployment on the cluster,
                # other workspaces' too: the program never does. Removing the entry (or manage)
                # leaves it installed; uninstall it on purpose with az k8s-extension delete.
                retain_on_delete=True,
            ),
        )
        # https://learn.microsoft.com/azure/aks/trusted-access-feature: the workspace's system
        # identity reaches the API server through AKS, also with local accounts disabled or
        # authorized IP ranges. One binding per workspace; it goes with the workspace.
        trusted_access = containerservice.TrustedAccessRoleBinding(
            f"{name}-{key}-trusted-access",
            resource_group_name=group,
            resource_name_=aks.name,
            trusted_access_role_binding_name=binding_name(context.assignment_seed),
            roles=[MLWORKLOAD_ROLE],
            source_resource_id=args.workspace_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return ClusterSide(extension, trusted_access)

    def _attach(
        self,
        name: str,
        context: StackContext,
        args: KubernetesComputesArgs,
        cluster: KubernetesClusterSettings,
        sides: dict[str, ClusterSide],
    ) -> ml.Compute:
        side = sides.get(cluster.cluster.id.lower()) if cluster.manage else None
        declared = cluster.declared_instance_types
        managed = " (its extension and trusted access managed by this stack)" if side else ""
        depends_on: Sequence[pulumi.Resource] = (
            [side.extension, side.trusted_access] if side else []
        )
        return ml.Compute(
            f"{name}-{cluster.name}",
            # Endpoints and the release pipeline name the compute: it keeps its config name.
            compute_name=cluster.name,
            resource_group_name=context.resource_group_name,
            workspace_name=args.placement.workspace_name,
            location=context.location,
            # https://learn.microsoft.com/azure/machine-learning/how-to-attach-kubernetes-to-workspace
            properties=ml.KubernetesArgs(
                compute_type="Kubernetes",
                description=(
                    f"AKS cluster {cluster.cluster.name} (namespace {cluster.namespace}), "
                    f"attached for Kubernetes online endpoints{managed}"
                ),
                resource_id=cluster.cluster.id,
                # A managed cluster's instance types travel with the attach (the REST API's
                # KubernetesProperties.instanceTypes), the first being its default.
                properties=ml.KubernetesPropertiesArgs(
                    namespace=cluster.namespace,
                    instance_types={t.name: _instance_type(t) for t in declared} or None,
                    default_instance_type=declared[0].name if declared else None,
                ),
            ),
            tags=context.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                # Attaching a managed cluster needs its extension, and its trusted access for a
                # cluster without local accounts: both first, so one `pulumi up` does it all.
                depends_on=list(depends_on) or None,
                # Deleting a compute takes an underlyingResourceAction (Delete or Detach), and
                # which one the provider sends could not be established: the program never
                # deletes an attachment, so nothing it does can reach the cluster itself. A
                # cluster removed from config is detached by hand (az ml compute detach).
                retain_on_delete=True,
            ),
        )
