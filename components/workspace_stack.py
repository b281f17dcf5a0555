"""One environment's Azure ML workspace and what it depends on.

Storage account, Log Analytics with workspace-based Application Insights, the container
registry (none, created, or adopted: the shared stack's or another), the workspace itself
with its managed network and outbound rules, and, in a component of their own, the role
assignments of the principals config names (``mlops:access``, the release pipeline, compute
instances' users). In a protected stack the storage account, Log Analytics workspace and created
registry carry delete locks. ``targets`` are the scopes the access matrix grants on: this
stack's resources and the datastores' containers.

With a managed network the storage account and a Premium registry refuse public network
access: Azure ML creates its own private endpoints to them only then
(https://learn.microsoft.com/azure/machine-learning/how-to-managed-network, "List of required
rules"), and with private inbound the client network reaches them through private endpoints too.
With the team's network instead (``customerManaged``) they refuse it as well: the workspace has
no managed network, its compute (serverless jobs too) runs in the team's subnet with no public IP
and reaches them through the inbound private endpoints
(https://learn.microsoft.com/azure/machine-learning/how-to-secure-workspace-vnet), and the
workspace is tagged ``customerManagedNetwork`` for reviewers and the policy pack.
The exception: where models are shared to the model registry (dev), the storage firewall admits
that registry as a resource instance, which only the public endpoint (denying everything else)
honours, and the managed network gets the storage's private endpoints as rules of its own.

With a customer-managed key (``mlops:encryption``, components/encryption.py) the storage account,
a created registry where Azure supports it, and the workspace take the key through the encryption
identity, each created after that identity's role on the key's vault; the workspace keeps its
system-assigned identity beside it. ``mlops:highBusinessImpact`` creates the workspace with
``hbiWorkspace``. Both are chosen at creation (concept-customer-managed-keys).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    containerregistry,
    machinelearningservices,
    monitor,
    operationalinsights,
    storage,
)

from components.access import Holder, stack_targets
from components.access_grants import AccessGrants, AccessGrantsArgs
from components.container_registry import ContainerRegistryArgs, create_container_registry
from components.context import StackContext, WorkspacePlacement
from components.encryption import CustomerManagedKey
from components.managed_network import managed_network, outbound_rules
from components.roles import system_principal_id
from components.shared_stack import Adopted, UsedModelRegistry
from settings.schema import DatastoreSettings, NetworkSettings, RegistrySettings, StorageSettings

# Marks the workspace storage when config allows shared keys: the policy pack accepts
# allowSharedKeyAccess: true only on an account carrying it.
SHARED_KEY_TAG = "allowSharedKeyAccess"
# Marks a workspace the team's network isolates (mlops:network.isolation: customerManaged): the
# policy pack then asks it to prove itself private instead of having a managed network.
CUSTOMER_MANAGED_NETWORK_TAG = "customerManagedNetwork"
EGRESS_FIREWALL_TAG = "egressFirewall"
# On a regulated workspace (mlops:compliance: regulated): the policy pack's compliance area
# requires its controls there.
COMPLIANCE_TAG = "compliance"


@dataclass(frozen=True)
class WorkspaceStackArgs:
    key_vault_id: pulumi.Input[str]
    # The subscription that holds the vault (another one when a shared vault is adopted).
    key_vault_subscription_id: pulumi.Input[str]
    storage: StorageSettings
    network: NetworkSettings
    container_registry: RegistrySettings
    # The principals config names, whose roles come from the access matrix.
    people: tuple[Holder, ...]
    # The datastores: their containers are scopes of the matrix's datastore rows, and the managed
    # network reaches each account through a private endpoint rule the workspace needs at creation.
    datastores: tuple[DatastoreSettings, ...]
    log_retention_days: int
    # Days a deleted blob or container can be restored.
    blob_soft_delete_days: int
    # Blob versions keep every overwritten model and dataset recoverable.
    blob_versioning: bool
    # A created Premium registry is zone redundant.
    zone_redundant_registry: bool = False
    # Batch endpoints need the workspace storage's queues and tables in the managed network.
    batch_endpoints: bool = False
    # The shared Azure ML registry models are promoted through: a scope of the access matrix,
    # reached (with its storage and container registry) through private-endpoint rules of the
    # managed network.
    model_registry: UsedModelRegistry | None = None
    # The compute Azure ML builds environment images on (components.image_build), if any.
    image_build_compute: str | None = None
    # Models are shared from this workspace to the model registry (the profile's shares_models).
    shares_models: bool = False
    # The container registry adopted (mode shared or existing): the shared stack's, or by ID.
    adopted_registry: Adopted | None = None
    # The customer-managed key (mlops:encryption) the workspace, storage and registry use.
    customer_key: CustomerManagedKey | None = None
    # The workspace is created as high business impact (mlops:highBusinessImpact).
    high_business_impact: bool = False
    # The workspace is regulated (mlops:compliance): tagged so for the policy pack.
    regulated: bool = False


class WorkspaceStack(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: WorkspaceStackArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:workspace:WorkspaceStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        data = pulumi.ResourceOptions(parent=self, protect=context.protect)
        private = args.network.isolated  # see the module's docstring
        network_default = storage.DefaultAction.DENY if private else storage.DefaultAction.ALLOW
        # Sharing a model copies it out of this storage, which Azure allows only to a registry
        # the storage firewall lists as a resource instance; such rules apply to the public
        # endpoint, which then stays on, denying everything else:
        # https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation
        # ("Share assets from workspace to registry")
        model_registry = args.model_registry.registry if args.model_registry else None
        sharing_to = model_registry if args.shares_models and private else None
        # Laptops and hosted runners upload local code, data and models into this storage (the
        # CLI and SDK): their public addresses pass its firewall, denying everything else.
        # https://learn.microsoft.com/azure/storage/common/storage-network-security#grant-access-from-an-internet-ip-range
        clients = args.network.client_ip_ranges if private else ()
        storage_public = sharing_to is not None or bool(clients)
        # The team's subnet compute runs in (customerManaged), else None.
        subnet = args.network.compute_subnet if args.network.customer_managed else None
        compute_subnet = subnet.id if subnet is not None else None
        # What takes the customer-managed key is created after its identity may use it: Azure
        # checks the key then.
        key = args.customer_key
        keyed = (
            pulumi.ResourceOptions.merge(data, pulumi.ResourceOptions(depends_on=list(key.ready)))
            if key is not None
            else data
        )

        self.storage_account = storage.StorageAccount(
            f"{name}-storage",
            account_name=context.unique_name(context.names.storage_account),
            resource_group_name=context.resource_group_name,
            location=context.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=f"Standard_{args.storage.replication}"),
            access_tier=storage.AccessTier.HOT,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            enable_https_traffic_only=True,
            allow_blob_public_access=False,
            # Entra ID only, unless config opts out (Azure ML labels Entra-only storage preview):
            # https://learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage
            allow_shared_key_access=args.storage.shared_key_access,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            encryption=storage_encryption(key),
            # A new account takes a customer-managed key through a user-assigned identity:
            # https://learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-new-account
            identity=(
                storage.IdentityArgs(
                    type=storage.IdentityType.USER_ASSIGNED,
                    user_assigned_identities=[key.identity_id],
                )
                if key is not None
                else None
            ),
            public_network_access="Disabled" if private and not storage_public else "Enabled",
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action=network_default,
                bypass="AzureServices",
                ip_rules=[
                    storage.IPRuleArgs(i_p_address_or_range=ip_range, action=storage.Action.ALLOW)
                    for ip_range in clients
                ]
                or None,
                resource_access_rules=(
                    [
                        storage.ResourceAccessRuleArgs(
                            tenant_id=context.tenant_id, resource_id=sharing_to.id
                        )
                    ]
                    if sharing_to is not None
                    else None
                ),
            ),
            tags=(
                {**context.tags, SHARED_KEY_TAG: "true"}
                if args.storage.shared_key_access
                else context.tags
            ),
            opts=keyed,
        )
        self.storage_lock = context.lock(f"{name}-storage-lock", self.storage_account, parent=self)

        soft_delete = storage.DeleteRetentionPolicyArgs(
            enabled=True,
            days=args.blob_soft_delete_days,
        )
        self.blob_service = storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.storage_account.name,
            resource_group_name=context.resource_group_name,
            blob_services_name="default",
            delete_retention_policy=soft_delete,
            container_delete_retention_policy=soft_delete,
            is_versioning_enabled=args.blob_versioning,
            opts=child,
        )

        self.log_analytics = operationalinsights.Workspace(
            f"{name}-logs",
            workspace_name=context.unique_name(context.names.log_analytics),
            resource_group_name=context.resource_group_name,
            location=context.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.log_retention_days,
            features=operationalinsights.WorkspaceFeaturesArgs(
                enable_log_access_using_only_resource_permissions=True
            ),
            tags=context.tags,
            opts=data,
        )
        self.logs_lock = context.lock(f"{name}-logs-lock", self.log_analytics, parent=self)

        self.application_insights = applicationinsights.Component(
            f"{name}-insights",
            resource_name_=context.unique_name(context.names.application_insights),
            resource_group_name=context.resource_group_name,
            location=context.location,
            kind="web",
            application_type=applicationinsights.ApplicationType.WEB,
            ingestion_mode=applicationinsights.IngestionMode.LOG_ANALYTICS,
            workspace_resource_id=self.log_analytics.id,
            tags=context.tags,
            opts=child,
        )

        self.registry: containerregistry.Registry | None = None
        registry = args.container_registry
        self.registry_id: pulumi.Output[str] | None = None
        self.registry_login_server: pulumi.Output[str] | None = None
        registry_subscription: pulumi.Input[str] = context.subscription_id
        self.registry_lock: pulumi.Resource | None = None
        if registry.mode == "create":
            self.registry, self.registry_lock = create_container_registry(
                name,
                context,
                ContainerRegistryArgs(
                    sku=registry.sku,
                    private=private,
                    zone_redundant=args.zone_redundant_registry,
                    customer_key=key if key is not None and key.encrypts_registry else None,
                ),
                parent=self,
            )
            self.registry_id = self.registry.id
            self.registry_login_server = self.registry.login_server
        elif args.adopted_registry is not None:
            adopted = args.adopted_registry
            registry_subscription = adopted.subscription_id
            self.registry_id = pulumi.Output.from_input(adopted.id)
            # Registry login servers are <lowercase name>.azurecr.io in Azure's public cloud.
            self.registry_login_server = pulumi.Output.from_input(adopted.name).apply(
                lambda name: f"{name.lower()}.azurecr.io"
            )

        workspace_tags = (
            {**context.tags, COMPLIANCE_TAG: "regulated"} if args.regulated else context.tags
        )
        self.workspace = machinelearningservices.Workspace(
            f"{name}-workspace",
            workspace_name=context.unique_name(context.names.workspace),
            resource_group_name=context.resource_group_name,
            location=context.location,
            kind="Default",
            friendly_name=f"MLOps {context.names.display}",
            description=f"Azure ML workspace for the {context.names.display} environment",
            sku=machinelearningservices.SkuArgs(
                name="Basic", tier=machinelearningservices.SkuTier.BASIC
            ),
            # With a customer-managed key, the encryption identity beside the system-assigned one
            # (which keeps the roles Azure ML gave it).
            identity=machinelearningservices.ManagedServiceIdentityArgs(
                type=machinelearningservices.ManagedServiceIdentityType.SYSTEM_ASSIGNED
            )
            if key is None
            else machinelearningservices.ManagedServiceIdentityArgs(
                type=machinelearningservices.ManagedServiceIdentityType.SYSTEM_ASSIGNED_USER_ASSIGNED,
                user_assigned_identities=[key.identity_id],
            ),
            # https://learn.microsoft.com/azure/machine-learning/concept-customer-managed-keys
            encryption=(
                machinelearningservices.EncryptionPropertyArgs(
                    status=machinelearningservices.EncryptionStatus.ENABLED,
                    key_vault_properties=machinelearningservices.KeyVaultPropertiesArgs(
                        key_vault_arm_id=key.vault_id, key_identifier=key.key_version_id
                    ),
                    identity=machinelearningservices.IdentityForCmkArgs(
                        user_assigned_identity=key.identity_id
                    ),
                )
                if key is not None
                else None
            ),
            # Metadata encrypted on Azure ML's side, as Microsoft recommends (classic: false).
            enable_service_side_cmk_encryption=(
                True if key is not None and key.service_side else None
            ),
            # https://learn.microsoft.com/azure/machine-learning/concept-customer-managed-keys#high-business-impact-hbi-configuration
            hbi_workspace=True if args.high_business_impact else None,
            storage_account=self.storage_account.id,
            key_vault=args.key_vault_id,
            application_insights=self.application_insights.id,
            container_registry=self.registry_id,
            system_datastores_auth_mode=machinelearningservices.SystemDatastoresAuthMode.IDENTITY,
            public_network_access=args.network.public_network_access,
            managed_network=managed_network(
                args.network,
                outbound_rules(
                    args.network,
                    args.datastores,
                    workspace_storage_id=self.storage_account.id,
                    batch_endpoints=args.batch_endpoints,
                    model_registry=args.model_registry,
                    workspace_storage_public=storage_public,
                ),
            ),
            # Where the registry is behind the network, it cannot build images itself.
            image_build_compute=args.image_build_compute,
            # Builds the managed network with the workspace, so the first compute does not
            # wait (about 30 minutes) for it.
            provision_network_now=args.network.managed or None,
            # On the team's network, serverless jobs run in its subnet too, with no public IP:
            # https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet#compute-instancecluster-or-serverless-compute-with-no-public-ip
            serverless_compute_settings=(
                machinelearningservices.ServerlessComputeSettingsArgs(
                    serverless_compute_custom_subnet=compute_subnet,
                    serverless_compute_no_public_ip=True,
                )
                if compute_subnet is not None
                else None
            ),
            v1_legacy_mode=False,
            tags=(
                {
                    **workspace_tags,
                    CUSTOMER_MANAGED_NETWORK_TAG: "true",
                    # Who filters egress (prod requires it): reviewers and the policy pack see it.
                    **(
                        {EGRESS_FIREWALL_TAG: egress.id}
                        if (egress := args.network.egress_firewall)
                        else {}
                    ),
                }
                if args.network.customer_managed
                else workspace_tags
            ),
            opts=keyed,
        )
        self.diagnostics = monitor.DiagnosticSetting(
            f"{name}-workspace-diagnostics",
            name="to-log-analytics",
            resource_uri=self.workspace.id,
            workspace_id=self.log_analytics.id,
            # Resource-specific tables (AmlComputeJobEvent...), which the batch endpoints' alert
            # queries read, rather than AzureDiagnostics:
            # https://learn.microsoft.com/azure/azure-monitor/essentials/resource-logs#resource-specific
            log_analytics_destination_type="Dedicated",
            logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
            metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)],
            opts=child,
        )
        self.workspace_name: pulumi.Output[str] = self.workspace.name
        self.workspace_id: pulumi.Output[str] = self.workspace.id
        self.principal_id: pulumi.Output[str] = system_principal_id(self.workspace.identity)
        # Where compute and endpoints go.
        self.placement = WorkspacePlacement(
            workspace_name=self.workspace_name,
            managed_network=args.network.managed,
            compute_subnet=compute_subnet,
        )
        self.studio_url: pulumi.Output[str] = pulumi.Output.concat(
            "https://ml.azure.com/home?wsid=", self.workspace.id, "&tid=", context.tenant_id
        )

        self.targets = stack_targets(
            context,
            {
                "workspace": self.workspace.id,
                "resourceGroup": context.resource_group_id,
                "storage": self.storage_account.id,
                "logAnalytics": self.log_analytics.id,
            },
            key_vault=(args.key_vault_id, args.key_vault_subscription_id),
            registry=(
                None if self.registry_id is None else (self.registry_id, registry_subscription)
            ),
            datastores=args.datastores,
            environment=context.names.environment,
            model_registry=model_registry,
            managed_network=args.network.managed,
        )
        self.access_grants = AccessGrants(
            f"{name}-access",
            context,
            AccessGrantsArgs(people=args.people, targets=self.targets, previous_parent=self),
            opts=child,
        )

        self.register_outputs(
            {
                "workspaceName": self.workspace_name,
                "workspaceId": self.workspace_id,
                "storageAccountName": self.storage_account.name,
                "registryLoginServer": self.registry_login_server,
                "studioUrl": self.studio_url,
            }
        )


def storage_encryption(key: CustomerManagedKey | None) -> storage.EncryptionArgs:
    """Blobs and files encrypted twice (infrastructure encryption), with Microsoft's keys or the
    customer-managed key without its version, which the account follows as it rotates (checked
    daily): https://learn.microsoft.com/azure/storage/common/customer-managed-keys-overview"""
    services = storage.EncryptionServicesArgs(
        blob=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
        file=storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
    )
    if key is None:
        return storage.EncryptionArgs(
            key_source=storage.KeySource.MICROSOFT_STORAGE,
            require_infrastructure_encryption=True,
            services=services,
        )
    return storage.EncryptionArgs(
        key_source=storage.KeySource.MICROSOFT_KEYVAULT,
        key_vault_properties=storage.KeyVaultPropertiesArgs(
            key_name=key.key_name, key_vault_uri=key.vault_uri
        ),
        encryption_identity=storage.EncryptionIdentityArgs(
            encryption_user_assigned_identity=key.identity_id
        ),
        require_infrastructure_encryption=True,
        services=services,
    )
