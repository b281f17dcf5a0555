"""Existing AKS clusters, attached to the workspace as Kubernetes compute targets.

Kubernetes online endpoints serve on them (components/endpoints.py). The program only attaches:
each cluster belongs to its owner, who installs the Azure ML extension, creates the namespace and
the instance types, and grants the deployment identity its role on the cluster (see the README,
"Serving on an attached AKS cluster"). Attaching registers the cluster in the workspace and
changes nothing on it.

No identity is attached with the compute: it would serve training jobs, which the program never
runs on an attached cluster; an online deployment runs as its endpoint's identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.context import StackContext, WorkspacePlacement
from settings.schema import KubernetesClusterSettings


@dataclass(frozen=True)
class KubernetesComputesArgs:
    placement: WorkspacePlacement
    clusters: tuple[KubernetesClusterSettings, ...]


class KubernetesComputes(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: KubernetesComputesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:compute:KubernetesComputes", name, None, opts)
        self.computes: dict[str, ml.Compute] = {
            cluster.name: ml.Compute(
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
                        "attached for Kubernetes online endpoints"
                    ),
                    resource_id=cluster.cluster.id,
                    properties=ml.KubernetesPropertiesArgs(namespace=cluster.namespace),
                ),
                tags=context.tags,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # Deleting a compute takes an underlyingResourceAction (Delete or Detach), and
                    # which one the provider sends could not be established: the program never
                    # deletes an attachment, so nothing it does can reach the owner's cluster. A
                    # cluster removed from config is detached by hand (az ml compute detach).
                    retain_on_delete=True,
                ),
            )
            for cluster in args.clusters
        }
        self.ids: dict[str, pulumi.Output[str]] = {
            key: compute.id for key, compute in self.computes.items()
        }
        self.register_outputs({"computeIds": self.ids})
