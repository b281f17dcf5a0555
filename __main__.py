"""mlops: one Azure ML environment (dev, qa or prod) per Pulumi stack, and the shared stack
with the Azure ML registry they promote models through."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization

import settings
from components.access_grants import people
from components.container_registry import ContainerRegistryArgs, SharedContainerRegistry
from components.context import StackContext
from components.datastore_links import DatastoreLinks, DatastoreLinksArgs
from components.defender import Defender
from components.dev_compute import DevCompute, DevComputeArgs
from components.encryption import Encryption, encryption_args
from components.endpoints import Endpoints, EndpointsArgs
from components.environment_group import EnvironmentGroup, EnvironmentGroupArgs
from components.image_build import ImageBuildArgs, ImageBuildCompute
from components.inbound_network import private_endpoints
from components.kubernetes_compute import KubernetesComputes, KubernetesComputesArgs
from components.managed_network import pending_approvals
from components.model_registry import ModelRegistry, ModelRegistryArgs
from components.monitoring import Monitoring, MonitoringArgs, WatchedEndpoint, first_of_month
from components.shared_key_vault import SharedKeyVault, SharedKeyVaultArgs
from components.shared_stack import SharedStack, SharedStackArgs
from components.workspace_stack import WorkspaceStack, WorkspaceStackArgs
from settings.kubernetes import owner_actions
from settings.names import SUFFIX_LENGTH
from settings.schema import IMAGE_BUILDER, batch_storage_endpoints
from settings.shared_stack import (
    MODEL_REGISTRY_NAME_OUTPUT,
    SHARED_OUTPUTS,
    SharedPart,
    qualified,
)

stack_settings = settings.from_pulumi()
# What this environment differs in (compute, protection, retention), as plain values.
profile = stack_settings.profile
client = authorization.get_client_config_output()

# Shared pieces: the resource group and the stack's name suffix (kept in state, so names never
# change), then what every component shares.
group = EnvironmentGroup(
    "environment",
    EnvironmentGroupArgs(
        name=stack_settings.names.resource_group,
        location=stack_settings.location,
        tags=stack_settings.all_tags,
        protect=profile.protect,
    ),
)
suffix = random.RandomString(
    "name-suffix",
    length=SUFFIX_LENGTH,
    special=False,
    upper=False,
    # Azure refuses compute instance names whose last hyphen is followed by digits only.
    min_lower=1,
    opts=pulumi.ResourceOptions(protect=profile.protect),
)
context = StackContext(
    location=stack_settings.location,
    tags=stack_settings.all_tags,
    tenant_id=client.tenant_id,
    subscription_id=client.subscription_id,
    resource_group_name=group.name,
    resource_group_id=group.id,
    names=stack_settings.names,
    name_suffix=suffix.result,
    assignment_seed=stack_settings.assignment_seed,
    protect=profile.protect,
)

# Who is told when the stack breaks or overspends: its action group and the budget of its
# resource group; an environment's alert rules add what they watch (below).
alerting = MonitoringArgs(
    alerts=stack_settings.alerts,
    thresholds=profile.alert_thresholds,
    budget=stack_settings.cost_budget,
    budget_start=first_of_month(datetime.now(UTC)),
)

# The shared stack: the Azure ML registry dev, qa and prod promote models through, optionally
# the Key Vault and container registry they adopt (their existingId), and who is told when it
# overspends. Nothing else. What it creates refuses public traffic: workspaces reach it through
# their managed networks' private endpoints.
if not profile.has_workspace:
    shared_vault = (
        SharedKeyVault("key-vault", context, SharedKeyVaultArgs(deny_public_network=True))
        if stack_settings.key_vault.mode == "create"
        else None
    )
    shared_images = (
        SharedContainerRegistry(
            "container-registry",
            context,
            ContainerRegistryArgs(
                sku=stack_settings.container_registry.sku,
                private=True,
                zone_redundant=profile.zone_redundant_registry,
            ),
        )
        if stack_settings.container_registry.mode == "create"
        else None
    )
    registry = ModelRegistry(
        "model-registry",
        context,
        ModelRegistryArgs(
            regions=stack_settings.model_registry.regions,
            public_network_access=profile.model_registry_public,
            zone_redundant=profile.zone_redundant_registry,
        ),
    )
    # Clients in the team's network (the promotion runner, people sharing models) reach the
    # private registry, its storage and its container registry through private endpoints.
    private_endpoints(
        "registry-clients",
        context,
        stack_settings.network,
        {
            "modelRegistry": [("", registry.id)],
            "modelRegistryStorage": list(registry.storage_account_ids.items()),
            "modelRegistryAcr": [("", registry.container_registry_id)],
        },
    )
    monitoring = Monitoring("monitoring", context, alerting)
    # What dev, qa and prod read through their stack reference (mode: shared), by output name
    # (settings.shared_stack); the registry's storage by region.
    exported: dict[SharedPart, pulumi.Input[Any] | None] = {
        "modelRegistry": registry.id,
        "modelRegistryStorage": registry.storage_account_ids,
        "modelRegistryAcr": registry.container_registry_id,
        "keyVault": shared_vault.id if shared_vault else None,
        "containerRegistry": shared_images.id if shared_images else None,
    }
    for part, value in exported.items():
        pulumi.export(SHARED_OUTPUTS[part].output, value)
    pulumi.export(MODEL_REGISTRY_NAME_OUTPUT, registry.name)
    pulumi.export("modelRegistryDiscoveryUrl", registry.discovery_url)
else:
    # What this stack uses but never manages (the model registry, an adopted Key Vault or
    # container registry): the shared stack's outputs, read through a stack reference, or IDs
    # in config.
    referenced = stack_settings.referenced_stack
    shared = SharedStack(
        "shared-stack",
        SharedStackArgs(
            stack=(
                qualified(referenced, pulumi.get_organization(), pulumi.get_project())
                if referenced
                else None
            ),
            location=stack_settings.location,
            model_registry=stack_settings.model_registry,
            key_vault=stack_settings.key_vault,
            container_registry=stack_settings.container_registry,
        ),
    )
    # The Key Vault, created here or adopted from another stack; the workspace and everything it
    # depends on, with its managed network and the roles of the people and pipelines config names;
    # the datastores it reads; with private inbound, the private endpoints clients reach them
    # through. Every role comes from the access matrix (components/access.py), on the scopes
    # ml.targets.
    vault = SharedKeyVault(
        "key-vault",
        context,
        SharedKeyVaultArgs(
            deny_public_network=stack_settings.network.isolated,
            existing=shared.key_vault,
        ),
    )
    # With mlops:encryption, the customer-managed key and the identity that reaches it, before
    # the workspace, its storage and registry that are created with it.
    encryption = (
        Encryption(
            "encryption",
            context,
            encryption_args(
                stack_settings.encryption,
                stack_settings.key_vault,
                vault,
                encrypts_registry=stack_settings.encrypts_registry,
            ),
        )
        if stack_settings.encryption.enabled
        else None
    )
    ml = WorkspaceStack(
        "ml",
        context,
        WorkspaceStackArgs(
            key_vault_id=vault.id,
            key_vault_subscription_id=vault.subscription_id,
            storage=stack_settings.storage,
            network=stack_settings.network,
            container_registry=stack_settings.container_registry,
            adopted_registry=shared.container_registry,
            people=people(
                stack_settings.access,
                stack_settings.compute_instances,
                stack_settings.release_pipeline,
            ),
            datastores=stack_settings.datastores,
            log_retention_days=profile.log_retention_days,
            blob_soft_delete_days=profile.soft_delete_days,
            blob_versioning=profile.blob_versioning,
            zone_redundant_registry=profile.zone_redundant_registry,
            batch_endpoints=any(e.kind == "batch" for e in stack_settings.endpoints),
            model_registry=shared.model_registry,
            shares_models=profile.shares_models,
            image_build_compute=IMAGE_BUILDER if stack_settings.builds_images else None,
            customer_key=encryption.customer_key if encryption else None,
            high_business_impact=stack_settings.high_business_impact,
            regulated=stack_settings.compliance == "regulated",
        ),
    )
    # mlops:defender.aiServices: the subscription's Defender for AI services plan (kept when the
    # stack goes: it is the subscription's, components/defender.py).
    if stack_settings.defender.ai_services:
        Defender("defender", context)
    builder = (
        ImageBuildCompute(
            "image-build",
            context,
            ImageBuildArgs(
                placement=ml.placement, image_build=stack_settings.image_build, targets=ml.targets
            ),
        )
        if stack_settings.builds_images
        else None
    )
    datastores = DatastoreLinks(
        "datastores",
        context,
        DatastoreLinksArgs(
            workspace_name=ml.workspace_name,
            workspace_principal_id=ml.principal_id,
            datastores=stack_settings.datastores,
            targets=ml.targets,
        ),
    )
    # With private inbound, the private endpoints clients reach the workspace and its
    # dependencies through (settings give a subnet and DNS mode exactly then).
    private_endpoints(
        "inbound",
        context,
        stack_settings.network,
        {
            "workspace": [("", ml.workspace_id)],
            "storage": [("", ml.storage_account.id)],
            "keyVault": [("", vault.vault.id)] if vault.vault is not None else [],
            "registry": [("", ml.registry.id)] if ml.registry is not None else [],
            "batchStorage": (
                [("", ml.storage_account.id)]
                if batch_storage_endpoints(stack_settings.network, stack_settings.endpoints)
                else []
            ),
        },
        workspace_principal_id=ml.principal_id,
    )

    # What this environment adds: compute for experiments and training (if allowed), endpoints.
    compute = (
        DevCompute(
            "dev-compute",
            context,
            DevComputeArgs(
                placement=ml.placement,
                instances=stack_settings.compute_instances,
                clusters=stack_settings.compute_clusters,
                targets=ml.targets,
            ),
        )
        if profile.allows_compute
        else None
    )
    # Attached AKS clusters (any environment: they serve, never train), for Kubernetes endpoints.
    attached = (
        KubernetesComputes(
            "kubernetes",
            context,
            KubernetesComputesArgs(
                placement=ml.placement,
                clusters=stack_settings.kubernetes_clusters,
                workspace_id=ml.workspace_id,
            ),
        )
        if stack_settings.kubernetes_clusters
        else None
    )
    endpoints = Endpoints(
        "endpoints",
        context,
        EndpointsArgs(
            placement=ml.placement,
            endpoints=stack_settings.endpoints,
            public_network_access=not stack_settings.network.private_inbound,
            targets=ml.targets,
            kubernetes_computes=attached.ids if attached else {},
            # mlops:endpointLogs: managed online endpoints' logs, to this Log Analytics.
            log_analytics_id=(
                ml.log_analytics.id if stack_settings.endpoint_logs.enabled else None
            ),
        ),
    )

    # Who is told when the environment breaks or overspends: alert rules on the workspace and the
    # endpoints, a budget on the resource group.
    monitoring = Monitoring(
        "monitoring",
        context,
        replace(
            alerting,
            workspace_id=ml.workspace_id,
            log_analytics_id=ml.log_analytics.id,
            # Kubernetes online endpoints publish no Azure Monitor metrics, so no metric alert
            # could fire for them: they report to Application Insights instead (README).
            online_endpoints=tuple(
                WatchedEndpoint(
                    e.name,
                    endpoints.endpoints[e.name].id,
                    e.deployments,
                    logged_as=endpoints.logged_as.get(e.name),
                )
                for e in stack_settings.endpoints
                if e.serving == "managedOnline"
            ),
            batch_clusters={e.name: e.cluster.name for e in stack_settings.endpoints if e.cluster},
        ),
    )

    pulumi.export("workspaceName", ml.workspace_name)
    pulumi.export("workspaceId", ml.workspace_id)
    pulumi.export("studioUrl", ml.studio_url)
    pulumi.export("keyVaultUri", vault.uri)
    pulumi.export("storageAccountName", ml.storage_account.name)
    pulumi.export("containerRegistryLoginServer", ml.registry_login_server)
    pulumi.export("datastoreNames", datastores.datastore_names)
    pulumi.export("computeInstanceNames", compute.instance_names if compute else {})
    pulumi.export("computeClusterNames", compute.cluster_names if compute else [])
    pulumi.export("imageBuildCompute", builder.name if builder else None)
    # Outbound private endpoints that stay Pending until someone else approves them (README).
    pulumi.export(
        "pendingApprovals", pending_approvals(stack_settings.network, shared.model_registry)
    )
    pulumi.export("endpointNames", {key: info.name for key, info in endpoints.info.items()})
    pulumi.export("scoringUris", {key: info.scoring_uri for key, info in endpoints.info.items()})
    # What the release pipeline deploys into each endpoint, and where: it creates managed or
    # Kubernetes online deployments with app_insights_enabled, which report to this Application
    # Insights (the workspace's).
    pulumi.export(
        "endpointServing",
        {
            key: {"serving": info.serving, "compute": info.compute}
            for key, info in endpoints.info.items()
        },
    )
    pulumi.export(
        "kubernetesComputes",
        {
            c.name: {"namespace": c.namespace, "instanceTypes": list(c.instance_type_names)}
            for c in stack_settings.kubernetes_clusters
        },
    )
    # What is done by hand on each attached cluster before it serves (settings.kubernetes): all
    # of its cluster side for one owned elsewhere, what is left for one this stack manages.
    if stack_settings.kubernetes_clusters:
        pulumi.export(
            "kubernetesOwnerActions",
            {c.name: owner_actions(c) for c in stack_settings.kubernetes_clusters},
        )
    pulumi.export("applicationInsightsId", ml.application_insights.id)
    pulumi.export("alertRuleNames", monitoring.rule_names)
    # Where the release pipeline deploys registry models from (azureml://registries/<name>/...).
    used = shared.model_registry
    pulumi.export(MODEL_REGISTRY_NAME_OUTPUT, used.registry.name if used else None)
    # Where the registry, vault and container registry this stack uses came from.
    pulumi.export("sharedFrom", shared.sources)

pulumi.export("environment", stack_settings.environment)
pulumi.export("resourceGroupName", group.name)
pulumi.export("budgetName", monitoring.budget.name)
