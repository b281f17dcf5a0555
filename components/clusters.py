"""Azure ML compute clusters, shared by dev training clusters and batch endpoints."""

from __future__ import annotations

from typing import Final

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from components.context import StackContext, WorkspacePlacement
from settings.schema import ComputeClusterSettings

# What Azure ML does not change on an existing cluster: a change to one replaces the cluster, as
# the preview then shows. Scale settings update in place (the REST spec's Compute_Update takes
# them), and so does the identity (`az ml compute update`); disableLocalAuth is create-only in
# the spec. The cluster keeps its name, so the old one is deleted first.
CLUSTER_REPLACED_ON: Final = (
    "location",
    "properties.disableLocalAuth",
    "properties.properties.vmSize",
    "properties.properties.vmPriority",
    "properties.properties.osType",
    "properties.properties.remoteLoginPortPublicAccess",
    "properties.properties.enableNodePublicIp",
)


def compute_cluster(
    resource_name: str,
    cluster: ComputeClusterSettings,
    context: StackContext,
    placement: WorkspacePlacement,
    *,
    parent: pulumi.Resource,
    description: str,
) -> ml.Compute:
    return ml.Compute(
        resource_name,
        compute_name=cluster.name,
        resource_group_name=context.resource_group_name,
        workspace_name=placement.workspace_name,
        location=context.location,
        identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
        properties=ml.AmlComputeArgs(
            compute_type="AmlCompute",
            description=description,
            disable_local_auth=True,
            properties=ml.AmlComputePropertiesArgs(
                vm_size=cluster.vm_size,
                vm_priority=ml.VmPriority.LOW_PRIORITY
                if cluster.low_priority
                else ml.VmPriority.DEDICATED,
                os_type=ml.OsType.LINUX,
                scale_settings=ml.ScaleSettingsArgs(
                    min_node_count=cluster.min_nodes,
                    max_node_count=cluster.max_nodes,
                    node_idle_time_before_scale_down=f"PT{cluster.idle_seconds_before_scale_down}S",
                ),
                remote_login_port_public_access=ml.RemoteLoginPortPublicAccess.DISABLED,
                enable_node_public_ip=not placement.managed_network,
            ),
        ),
        tags=context.tags,
        opts=pulumi.ResourceOptions(
            parent=parent,
            replace_on_changes=list(CLUSTER_REPLACED_ON),
            delete_before_replace=True,
        ),
    )
