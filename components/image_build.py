"""The compute cluster Azure ML builds environment images on.

"When the Azure Container Registry for your workspace is behind a virtual network, it can't be
used to directly build Docker images. Instead, configure your workspace to use a compute cluster
or compute instance to build images"
(https://learn.microsoft.com/azure/machine-learning/how-to-managed-network#configure-image-builds):
with a managed network the program makes the registry refuse public traffic, and serverless
builds work only while the storage and registry are under no network restriction
(https://learn.microsoft.com/azure/machine-learning/how-to-secure-workspace-vnet#enable-azure-container-registry-acr,
where "Only a CPU SKU is supported"). So wherever the workspace has a managed network and a
container registry, the workspace's ``imageBuildCompute`` names this cluster, which scales to
zero; its identity gets the access matrix's image-builder roles (the build context on the
workspace storage, AcrPush on the registry).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from components.access import Holder, Targets, grant_all
from components.clusters import compute_cluster
from components.context import StackContext, WorkspacePlacement
from components.roles import system_principal_id
from settings.schema import IMAGE_BUILDER, ComputeClusterSettings, ImageBuildSettings


@dataclass(frozen=True)
class ImageBuildArgs:
    placement: WorkspacePlacement
    image_build: ImageBuildSettings
    # The scopes of the stack, for the cluster's grants.
    targets: Targets


class ImageBuildCompute(pulumi.ComponentResource):
    """Exposes ``name``, the compute the workspace's ``imageBuildCompute`` names."""

    def __init__(
        self,
        name: str,
        context: StackContext,
        args: ImageBuildArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:compute:ImageBuildCompute", name, None, opts)
        cluster = ComputeClusterSettings.model_validate(
            {
                "name": IMAGE_BUILDER,
                "vmSize": args.image_build.vm_size,
                "maxNodes": args.image_build.max_nodes,
            }
        )
        self.cluster = compute_cluster(
            f"{name}-cluster",
            cluster,
            context,
            args.placement,
            parent=self,
            description="Builds the workspace's environment images",
        )
        builder = Holder(
            "imageBuilder",
            system_principal_id(self.cluster.identity),
            "ServicePrincipal",
            key="image-builder",
            label="image-builder",
            name="the image build cluster",
        )
        self.role_assignments: list[authorization.RoleAssignment] = [
            assignment
            for _, assignment in grant_all(context, name, (builder,), args.targets, parent=self)
        ]
        self.name: str = IMAGE_BUILDER
        self.register_outputs({"name": self.name})
