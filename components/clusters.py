"""Azure ML compute clusters, shared by dev training clusters, batch endpoints and the image
build compute; and where any compute's nodes sit on the network (``node_network``)."""

from __future__ import annotations

from typing import Any, Final

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
# A node pool's virtual network is chosen when it is created (the team's subnet, with
# customerManaged): a cluster moved to another subnet is replaced. Only where there is one, so
# that a stack on a managed network keeps its options as they were.
SUBNET_REPLACES: Final = "properties.properties.subnet"


def node_network(placement: WorkspacePlacement) -> dict[str, Any]:
    """The network properties of a compute's nodes (a cluster's or an instance's): in the team's
    subnet with no public IP (customerManaged), or, on a managed network, no public IP either.
    https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet#compute-instancecluster-or-serverless-compute-with-no-public-ip"""
    if placement.compute_subnet is None:
        return {"enable_node_public_ip": not placement.managed_network}
    return {
        "enable_node_public_ip": False,
        "subnet": ml.ResourceIdArgs(id=placement.compute_subnet),
    }


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
                **node_network(placement),
            ),
        ),
        tags=context.tags,
        opts=pulumi.ResourceOptions(
            parent=parent,
            replace_on_changes=[
                *CLUSTER_REPLACED_ON,
                *((SUBNET_REPLACES,) if placement.compute_subnet else ()),
            ],
            delete_before_replace=True,
        ),
    )
