"""mlops: one Azure ML environment (dev, qa or prod) per Pulumi stack."""

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization

import settings
from components.context import StackContext
from components.datastore_links import DatastoreLinks, DatastoreLinksArgs
from components.dev_compute import DevCompute, DevComputeArgs
from components.endpoints import Endpoints, EndpointsArgs
from components.environment_group import EnvironmentGroup, EnvironmentGroupArgs
from components.inbound_network import InboundPrivateEndpoints, InboundPrivateEndpointsArgs
from components.shared_key_vault import SharedKeyVault, SharedKeyVaultArgs
from components.workspace_stack import WorkspaceStack, WorkspaceStackArgs
from settings.names import SUFFIX_LENGTH

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

# The Key Vault, created here or adopted from another stack; the workspace and everything it
# depends on, with its managed network; the datastores it reads; with private inbound, the
# private endpoints clients reach them through.
vault = SharedKeyVault(
    "key-vault",
    context,
    SharedKeyVaultArgs(
        deny_public_network=stack_settings.network.managed,
        existing=stack_settings.key_vault.existing,
    ),
)
ml = WorkspaceStack(
    "ml",
    context,
    WorkspaceStackArgs(
        environment=stack_settings.environment,
        key_vault_id=vault.id,
        storage=stack_settings.storage,
        network=stack_settings.network,
        container_registry=stack_settings.container_registry,
        access=stack_settings.access,
        log_retention_days=profile.log_retention_days,
        blob_soft_delete_days=profile.soft_delete_days,
        blob_versioning=profile.blob_versioning,
        zone_redundant_registry=profile.zone_redundant_registry,
        datastores=stack_settings.datastores,
        batch_endpoints=any(e.kind == "batch" for e in stack_settings.endpoints),
    ),
)
datastores = DatastoreLinks(
    "datastores",
    context,
    DatastoreLinksArgs(
        workspace_name=ml.workspace_name,
        workspace_principal_id=ml.principal_id,
        datastores=stack_settings.datastores,
    ),
)
network = stack_settings.network
# Settings give a subnet and a DNS mode exactly when inbound is private.
if network.subnet is not None and network.private_dns is not None:
    InboundPrivateEndpoints(
        "inbound",
        context,
        InboundPrivateEndpointsArgs(
            subnet=network.subnet,
            dns=network.private_dns,
            workspace_id=ml.workspace_id,
            storage_account_id=ml.storage_account.id,
            key_vault_id=vault.vault.id if vault.vault is not None else None,
            registry_id=ml.registry.id if ml.registry is not None else None,
            workspace_principal_id=ml.principal_id,
        ),
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
        ),
    )
    if profile.allows_compute
    else None
)
endpoints = Endpoints(
    "endpoints",
    context,
    EndpointsArgs(
        placement=ml.placement,
        endpoints=stack_settings.endpoints,
        public_network_access=not stack_settings.network.private_inbound,
        storage_account_id=ml.storage_account.id,
        registry_id=ml.registry_id,
    ),
)

pulumi.export("environment", stack_settings.environment)
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
