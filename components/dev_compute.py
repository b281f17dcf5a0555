"""Dev-only compute: personal compute instances for experiments, clusters for large-scale work.

Each cluster's identity gets its roles from the access matrix (jobs read datastores and write to
the workspace storage); each instance's user gets theirs in AccessGrants, with the other
principals config names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import machinelearningservices as ml

from components.access import Holder, Targets, grant_all
from components.clusters import compute_cluster, node_network
from components.context import StackContext, WorkspacePlacement
from components.roles import system_principal_id
from settings.schema import ComputeClusterSettings, ComputeInstanceSettings

# Azure ML does not update an existing compute instance (its idle shutdown and schedules change
# through actions of their own, which Pulumi does not call): a change to its properties replaces
# it, as the preview then shows. It keeps its name, so the old one is deleted first.
INSTANCE_REPLACED_ON: Final = ("location", "properties")


@dataclass(frozen=True)
class DevComputeArgs:
    placement: WorkspacePlacement
    instances: tuple[ComputeInstanceSettings, ...]
    clusters: tuple[ComputeClusterSettings, ...]
    # The scopes of the stack, for the clusters' grants.
    targets: Targets


class DevCompute(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: DevComputeArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:compute:DevCompute", name, None, opts)
        placement = args.placement
        self.instances: dict[str, ml.Compute] = {}
        for instance in args.instances:
            schedules = (
                ml.ComputeSchedulesArgs(
                    compute_start_stop=[
                        ml.ComputeStartStopScheduleArgs(
                            action=schedule.action,
                            trigger_type=ml.ComputeTriggerType.CRON,
                            cron=ml.CronArgs(
                                expression=schedule.cron, time_zone=schedule.time_zone
                            ),
                            status=ml.ScheduleStatus.ENABLED,
                        )
                        for schedule in instance.schedules
                    ]
                )
                if instance.schedules
                else None
            )
            self.instances[instance.name] = ml.Compute(
                f"{name}-instance-{instance.name}",
                # Compute instance names are unique per Azure region: the suffix keeps them apart.
                compute_name=context.regional_name(instance.name),
                resource_group_name=context.resource_group_name,
                workspace_name=placement.workspace_name,
                location=context.location,
                properties=ml.ComputeInstanceArgs(
                    compute_type="ComputeInstance",
                    description=f"Personal compute instance {instance.name}",
                    disable_local_auth=True,
                    properties=ml.ComputeInstancePropertiesArgs(
                        vm_size=instance.vm_size,
                        compute_instance_authorization_type=ml.ComputeInstanceAuthorizationType.PERSONAL,
                        # Its applications (Jupyter, VS Code) answer its user only, not every
                        # workspace user with a role allowing it (the default, Shared).
                        application_sharing_policy=ml.ApplicationSharingPolicy.PERSONAL,
                        personal_compute_instance_settings=ml.PersonalComputeInstanceSettingsArgs(
                            assigned_user=ml.AssignedUserArgs(
                                object_id=instance.assigned_user_object_id,
                                tenant_id=instance.assigned_user_tenant_id or context.tenant_id,
                            )
                        ),
                        idle_time_before_shutdown=f"PT{instance.idle_shutdown_minutes}M",
                        ssh_settings=ml.ComputeInstanceSshSettingsArgs(
                            ssh_public_access=ml.SshPublicAccess.DISABLED
                        ),
                        schedules=schedules,
                        **node_network(placement),
                    ),
                ),
                tags=context.tags,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    replace_on_changes=list(INSTANCE_REPLACED_ON),
                    delete_before_replace=True,
                ),
            )

        self.clusters: dict[str, ml.Compute] = {
            cluster.name: compute_cluster(
                f"{name}-cluster-{cluster.name}",
                cluster,
                context,
                placement,
                parent=self,
                description=f"Training cluster {cluster.name}",
            )
            for cluster in args.clusters
        }
        holders = [
            Holder(
                "computeCluster",
                system_principal_id(compute.identity),
                "ServicePrincipal",
                key=f"cluster-{cluster}",
                label=f"cluster/{cluster}",
                name=f"compute cluster {cluster}",
            )
            for cluster, compute in self.clusters.items()
        ]
        self.role_assignments: list[authorization.RoleAssignment] = [
            assignment
            for _, assignment in grant_all(context, name, holders, args.targets, parent=self)
        ]
        self.instance_names: dict[str, pulumi.Output[str]] = {
            key: compute.name for key, compute in self.instances.items()
        }
        self.cluster_names: list[str] = list(self.clusters)
        self.register_outputs(
            {"instanceNames": self.instance_names, "clusterNames": self.cluster_names}
        )
