"""mlops: one Azure ML environment (dev, qa or prod) per Pulumi stack."""

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization

import settings
from components.clusters import ClusterPlacement
from components.datastore_links import DatastoreLinks, DatastoreLinksArgs
from components.dev_compute import DevCompute, DevComputeArgs
from components.endpoints import Endpoints, EndpointsArgs
from components.environment_group import EnvironmentGroup, EnvironmentGroupArgs
from components.shared_key_vault import SharedKeyVault, SharedKeyVaultArgs
from components.workspace_stack import WorkspaceStack, WorkspaceStackArgs

config = settings.from_pulumi()
names = config.names
tags = config.all_tags
client = authorization.get_client_config_output()

# Shared pieces: the resource group, the stack's name suffix (kept in state, so names never
# change), and the Key Vault, created here or adopted from another stack.
group = EnvironmentGroup(
    "environment",
    EnvironmentGroupArgs(names.resource_group, config.location, tags, config.protect),
)
suffix = random.RandomString(
    "name-suffix",
    length=settings.SUFFIX_LENGTH,
    special=False,
    upper=False,
    # Azure refuses compute instance names whose last hyphen is followed by digits only.
    min_lower=1,
    opts=pulumi.ResourceOptions(protect=config.protect),
).result
vault = SharedKeyVault(
    "key-vault",
    SharedKeyVaultArgs(
        resource_group_name=group.name,
        location=config.location,
        tenant_id=client.tenant_id,
        tags=tags,
        vault_name=suffix.apply(names.key_vault),
        deny_public_network=config.network.managed,
        existing=config.key_vault.existing,
        protect=config.protect,
    ),
)

# The workspace and everything it depends on.
ml = WorkspaceStack(
    "ml",
    WorkspaceStackArgs(
        environment=config.environment,
        location=config.location,
        tags=tags,
        resource_group_name=group.name,
        resource_group_id=group.id,
        subscription_id=client.subscription_id,
        tenant_id=client.tenant_id,
        key_vault_id=vault.id,
        names=names,
        name_suffix=suffix,
        storage=config.storage,
        network=config.network,
        container_registry=config.container_registry,
        access=config.access,
        assignment_seed=config.assignment_seed,
        protect=config.protect,
    ),
)
datastores = DatastoreLinks(
    "datastores",
    DatastoreLinksArgs(
        resource_group_name=group.name,
        workspace_name=ml.workspace_name,
        workspace_principal_id=ml.principal_id,
        datastores=config.datastores,
        approved_outbound_only=config.network.isolation == "AllowOnlyApprovedOutbound",
        assignment_seed=config.assignment_seed,
    ),
)

# What this environment adds: compute for experiments and training (dev only), endpoints.
placement = ClusterPlacement(
    resource_group_name=group.name,
    workspace_name=ml.workspace_name,
    location=config.location,
    tags=tags,
    managed_network=config.network.managed,
)
compute = (
    DevCompute(
        "dev-compute",
        DevComputeArgs(
            placement=placement,
            tenant_id=client.tenant_id,
            name_suffix=suffix,
            instances=config.compute_instances,
            clusters=config.compute_clusters,
        ),
    )
    if config.environment == "dev"
    else None
)
endpoints = Endpoints(
    "endpoints",
    EndpointsArgs(
        placement=placement,
        endpoints=config.endpoints,
        name_suffix=suffix,
        public_network_access=config.network.public_network_access,
        subscription_id=client.subscription_id,
        storage_account_id=ml.storage_account.id,
        registry_id=ml.registry_id,
        assignment_seed=config.assignment_seed,
    ),
)

pulumi.export("environment", config.environment)
pulumi.export("resourceGroupName", group.name)
pulumi.export("workspaceName", ml.workspace_name)
pulumi.export("workspaceId", ml.workspace_id)
pulumi.export("studioUrl", ml.studio_url)
pulumi.export("keyVaultUri", vault.uri)
pulumi.export("storageAccountName", ml.storage_account.name)
pulumi.export("containerRegistryLoginServer", ml.registry_login_server)
pulumi.export("datastoreNames", datastores.datastore_names)
pulumi.export("computeInstanceNames", compute.instance_names if compute else {})
pulumi.export("computeClusterNames", compute.cluster_names if compute else [])
pulumi.export("endpointNames", {key: info.name for key, info in endpoints.info.items()})
pulumi.export("scoringUris", {key: info.scoring_uri for key, info in endpoints.info.items()})
