"""The stack config, declared: one pydantic model per section of `Pulumi.<stack>.yaml`.

Constraints and descriptions (the attribute docstrings) live here and nowhere else: the
loader's messages, the editors' JSON Schema and the docs' configuration reference are all
derived from these models. A key valid only with another's value, or a list without repeats,
is declared on its field (``Only``, ``Unique``); other rules across fields are each model's
``rules``, and those across sections the ``RULES`` at the end. ``settings.validation`` says how
they report; ``settings.values`` declares the kinds of value (IDs, names, regions, tags).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic import WithJsonSchema as Schema
from pydantic.alias_generators import to_camel, to_snake

from settings.alerts import CATALOGUE
from settings.catalogs import AVAILABILITY_ZONE_REGIONS
from settings.datastores import (
    CONTAINER_DESCRIPTION,
    KIND_DESCRIPTION,
    KINDS,
    READ_ONLY_DESCRIPTION,
    DatastoreScope,
    Kind,
    KindName,
)
from settings.journeys import JOURNEYS
from settings.learn import ONLINE_KINDS
from settings.names import K8S_OBJECT_NAME, ArmId, Names, id_form
from settings.private_link import MODEL_REGISTRY_TARGETS, PRIVATE_DNS_ZONES, zones_for
from settings.profiles import PROFILES, Environment, EnvironmentProfile
from settings.roles import ACCESS_SCOPES, AccessScope
from settings.secrets import Credential
from settings.shared_stack import DEFAULT_SHARED_STACK
from settings.validation import (
    Hint,
    Listed,
    Only,
    Problem,
    Section,
    Unique,
    did_you_mean,
    invalid,
    key_path,
    problems,
    repeats,
    type_name,
)
from settings.values import (
    ML_REGISTRY,
    REGISTRY,
    SUBNET,
    TAG_VALUE_LENGTH,
    ClusterName,
    ContainerName,
    CpuQuantity,
    Cron,
    DatastoreName,
    DeploymentName,
    Email,
    EndpointName,
    FirewallId,
    Fqdn,
    Guid,
    HostName,
    InstanceName,
    KeyId,
    KubernetesNamespace,
    KubernetesObjectName,
    ManagedClusterId,
    MemoryQuantity,
    ModelRegistryId,
    NodeSelector,
    Prefix,
    PublicIpRange,
    Region,
    RegistryId,
    SharedStackName,
    StorageId,
    SubnetId,
    Tags,
    TimeZone,
    VaultId,
    VmSize,
    Webhook,
    ZoneId,
    quantity,
)

NAMESPACE: Final = "mlops"
MAX_NODES: Final = 1000
# Marks a key the loader fills in when the stack file leaves it out.
DEFAULTED_BY_LOADER: Final = "x-default"


Role = Literal[tuple(ACCESS_SCOPES)]  # pyrefly: ignore[invalid-literal]


class KeyVaultSettings(Section):
    mode: Literal["create", "shared"] | None = None
    """shared (dev, qa and prod): adopt the shared stack's vault, read through mlops:sharedStack
    (its keyVaultId output). create (the shared stack only): create the vault dev, qa and prod
    adopt. Left out, dev, qa and prod create a vault of their own unless existingId names one."""
    existing: VaultId | None = Field(None, alias="existingId")
    """Adopt this existing Key Vault, by ID, instead of creating one for the stack: for a vault
    no stack of this project exports."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        if "mode" in given and "existing" in given:
            yield (
                ("existingId",),
                f"adopts a vault by ID, so it is not valid with mode: {fields.get('mode')}",
            )

    @property
    def adopted(self) -> bool:
        """Another stack or team owns the vault: this stack neither creates nor locks it."""
        return self.mode == "shared" or self.existing is not None


class RegistrySettings(Section):
    mode: Literal["none", "create", "shared", "existing"] = "none"
    """No container registry; one created for the stack; the shared stack's, read through
    mlops:sharedStack (its containerRegistryId output); or an existing one by existingId."""
    sku: Annotated[Literal["Basic", "Standard", "Premium"], Only("mode", ("create",))] = "Premium"
    """SKU of a created registry."""
    existing: Annotated[
        RegistryId | None, Only("mode", ("existing",), f"the resource ID of a {REGISTRY}")
    ] = Field(None, alias="existingId")
    """The registry to adopt, by ID: for one no stack of this project exports."""


class ModelRegistrySettings(Section):
    mode: Literal["none", "create", "shared", "existing"] = "none"
    """The Azure ML registry models are promoted through: create (the shared stack, where it is
    required); in dev, qa and prod, shared: the shared stack's, with its storage and container
    registry, read through mlops:sharedStack; existing: a registry managed elsewhere, by
    existingId, storageAccountId and containerRegistryId; or none."""
    regions: Annotated[tuple[Region, ...], Listed, Unique(), Only("mode", ("create",))] = ()
    """Regions the registry replicates to besides its primary region
    (azure-native:location); workspaces can use it only from one of its regions. Each region,
    the primary too, needs availability zones: the registry's storage is zone redundant."""
    public: Annotated[bool | None, Only("mode", ("create",))] = Field(
        None, alias="publicNetworkAccess"
    )
    """Accept traffic from the internet (Microsoft Entra ID still decides who
    gets in); defaults to the environment profile's (shared: false, so clients and workspaces
    reach it through private endpoints). true is tagged allowPublicNetworkAccess for
    reviewers and the policy pack."""
    existing: Annotated[
        ModelRegistryId | None,
        Only(
            "mode",
            ("existing",),
            f"the resource ID of a {ML_REGISTRY} (or mode: shared, to read it from the shared "
            "stack)",
        ),
    ] = Field(None, alias="existingId")
    """The registry's resource ID (its stack's modelRegistryId output)."""
    storage_account: Annotated[StorageId | None, Only("mode", ("existing",))] = Field(
        None, alias="storageAccountId"
    )
    """The storage account Azure created for the registry in this stack's region (its stack's
    modelRegistryStorageAccountIds output): a managed network reaches it through an outbound
    private endpoint, as it reaches the registry."""
    container_registry: Annotated[RegistryId | None, Only("mode", ("existing",))] = Field(
        None, alias="containerRegistryId"
    )
    """The container registry Azure created for the registry (its stack's
    modelRegistryContainerRegistryId output), reached like its storage."""

    @model_validator(mode="wrap")
    @classmethod
    def _mode_first(cls, data: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        """mode: create in a stack with a workspace is the key to change: it is reported first,
        and the keys right for mode: existing (existingId...) are not blamed for it."""
        environment = (info.context or {}).get("environment")
        profile = PROFILES.get(environment) if isinstance(environment, str) else None
        mode = data.get("mode") if isinstance(data, Mapping) else None
        if mode != "create" or profile is None or not profile.has_workspace:
            return handler(data)
        found: list[Problem] = [(("mode",), registry_created_elsewhere(str(environment)))]
        try:
            handler(data)
        except ValidationError as error:
            for each in error.errors():
                if each["type"] != "problems":
                    found.append((tuple(each["loc"]), each["msg"]))
                    continue
                found += [
                    (where, message)
                    for where, message in each["ctx"]["found"]
                    if not message.startswith(("is only valid with mode", "is required with mode"))
                ]
        raise problems(found)

    @property
    def used(self) -> bool:
        """A workspace uses a registry another stack or team created."""
        return self.mode in ("shared", "existing")


class StorageSettings(Section):
    replication: Literal["LRS", "ZRS", "GRS", "GZRS", "RAGRS", "RAGZRS"] = "ZRS"
    """Redundancy of the workspace's storage account. ZRS, GZRS and RAGZRS need a region with
    availability zones; elsewhere set LRS, GRS or RAGRS."""
    shared_key_access: bool = False
    """Allow account keys and SAS on the workspace storage: an explicit opt-out of Entra-ID-only
    access (which Azure ML labels preview), for a team blocked by one of its limitations. The
    account is tagged allowSharedKeyAccess for reviewers and the policy pack."""


# How Azure ML takes a customer-managed key: a vault's ID and a version of the key.
CMK_SETUP: Final = (
    "https://learn.microsoft.com/azure/machine-learning/how-to-setup-customer-managed-keys"
)


class EncryptionSettings(Section):
    """The customer-managed key the workspace, its storage account and (where Azure supports
    it) its container registry are encrypted with, through a user-assigned identity holding Key
    Vault Crypto Service Encryption User on the key's vault. Chosen when the workspace is created:
    Azure ML neither adds a key to an existing workspace nor removes one, nor moves it to another
    vault, identity or serviceSide."""

    mode: Literal["none", "create", "existing"] = "none"
    """none: Microsoft-managed keys. create: the stack makes the key (RSA 3072, rotated every
    18 months) in its own Key Vault. existing: a key its owner made, by keyId. Set when the
    workspace is created: changing it later takes a new stack."""
    key: Annotated[
        KeyId | None,
        Only(
            "mode",
            ("existing",),
            "the key's identifier with its version, https://<vault>.vault.azure.net/keys/<name>/"
            "<version> (its kid)",
        ),
    ] = Field(None, alias="keyId")
    """The key, with its version: the workspace takes that version, the storage account and
    registry the key itself, following its rotations. RSA (2048, 3072 or 4096 bits), in a
    vault with soft delete and purge protection, in the subscription the stack deploys to. A
    later version of the same key (or another key of the same vault) may replace it."""
    key_vault: Annotated[VaultId | None, Only("mode", ("existing",))] = Field(
        None, alias="keyVaultId"
    )
    """The vault holding keyId, by resource ID; defaults to the vault the stack adopts
    (mlops:keyVault existingId or mode shared). It must admit trusted Microsoft services past its
    firewall, and cannot change once the workspace exists."""
    service_side: Annotated[bool, Only("mode", ("create", "existing"))] = True
    """Azure ML keeps the workspace's encrypted metadata on its own resources (service-side),
    as Microsoft recommends; false: in Azure Cosmos DB, AI Search and storage it creates in a
    resource group of the stack's subscription (classic), which also needs the Azure Machine
    Learning app as Contributor on the subscription and Azure Cosmos DB reaching the key, steps
    this program does not take. Set at creation."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        key, vault = fields.get("key"), fields.get("key_vault")
        if key is not None and key.version is None:
            yield (
                ("keyId",),
                f"must name a key version ({key.versionless}/<version>, the key's kid: `az "
                f"keyvault key show --vault-name {key.vault} --name {key.name} --query key.kid`): "
                f"Azure ML's workspace takes a version of the key ({CMK_SETUP}); the storage "
                "account and registry use the key without it and follow its rotations",
            )
        if isinstance(vault, ArmId) and key is not None and vault.name.lower() != key.vault:
            yield (
                ("keyId",),
                f"is a key of vault {key.vault}, but keyVaultId names vault {vault.name}: name "
                "the vault that holds the key",
            )

    @property
    def enabled(self) -> bool:
        return self.mode != "none"


class PrivateDnsZoneIds(Section):
    """An existing private DNS zone per key (a hub's, often in another subscription)."""

    api: ZoneId | None = None
    """The privatelink.api.azureml.ms zone: the workspace's API and its online endpoints."""
    notebooks: ZoneId | None = None
    """The privatelink.notebooks.azure.net zone: the workspace's notebooks."""
    blob: ZoneId | None = None
    """The privatelink.blob.core.windows.net zone: the workspace storage's blobs."""
    file: ZoneId | None = None
    """The privatelink.file.core.windows.net zone: the workspace storage's file shares."""
    queue: ZoneId | None = None
    """The privatelink.queue.core.windows.net zone: the workspace storage's queues, which batch
    deployments use (isolation customerManaged with batch endpoints)."""
    table: ZoneId | None = None
    """The privatelink.table.core.windows.net zone: the workspace storage's tables, which batch
    deployments use (isolation customerManaged with batch endpoints)."""
    vault: ZoneId | None = None
    """The privatelink.vaultcore.azure.net zone: a Key Vault the stack creates."""
    registry: ZoneId | None = None
    """The privatelink.azurecr.io zone: a container registry the stack creates."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        for key, zone in PRIVATE_DNS_ZONES.items():
            found = fields.get(key)
            if isinstance(found, ArmId) and found.name.lower() != zone:
                yield (key,), f"must be the ID of the zone {zone}, but it names {found.name}"


class PrivateDnsSettings(Section):
    mode: Literal["create", "existing", "policy"]
    """create: zones made for the stack and linked to the subnet's virtual network; existing:
    a hub's zones, by ID (zoneIds); policy: records left to Azure Policy (endpoints tagged
    dnsByPolicy)."""
    zone_ids: Annotated[
        PrivateDnsZoneIds | None, Only("mode", ("existing",), "the ID of each zone, by key")
    ] = None
    """The zones the private endpoints' records go in."""


APPROVED_ONLY: Final = "allowOnlyApprovedOutbound"
# What image builds and package installs reach under approved outbound: Microsoft's list
# (https://learn.microsoft.com/azure/machine-learning/how-to-managed-network#scenario-access-public-machine-learning-packages),
# with files.pythonhosted.org, where pip downloads the files pypi.org lists. Base images from
# mcr.microsoft.com need none: Azure ML's required MicrosoftContainerRegistry and
# AzureFrontDoor.FirstParty service tag rules reach it.
PACKAGE_FEEDS: Final = (
    "pypi.org",
    "files.pythonhosted.org",
    "anaconda.com",
    "*.anaconda.com",
    "*.anaconda.org",
)


CUSTOMER_MANAGED: Final = "customerManaged"
# Network isolation without a managed virtual network, as Microsoft documents it:
# https://learn.microsoft.com/azure/machine-learning/how-to-network-isolation-planning
CUSTOMER_MANAGED_DOCS: Final = (
    "https://learn.microsoft.com/azure/machine-learning/how-to-network-isolation-planning"
)
# Managed online endpoints without a managed network: the legacy per-deployment isolation only.
ONLINE_ENDPOINT_ISOLATION: Final = (
    "https://learn.microsoft.com/azure/machine-learning/concept-secure-online-endpoint#appendix"
)


class NetworkSettings(Section):
    isolation_mode: Literal[
        "disabled", "allowInternetOutbound", "allowOnlyApprovedOutbound", "customerManaged"
    ] = Field("allowInternetOutbound", alias="isolation")
    """The workspace's managed network: none, internet outbound allowed, or approved outbound
    only (private endpoints to datastores); or customerManaged: no managed network, the team's
    own network isolates the workspace (private endpoints in subnetId, compute in
    computeSubnetId, egress filtered by the team's firewall)."""
    inbound: Literal["public", "private"] = "public"
    """public: the workspace accepts traffic from the internet; private: only through private
    endpoints in subnetId, as do its storage, Key Vault and registry."""
    subnet: Annotated[
        SubnetId | None,
        Only(
            "inbound",
            ("private",),
            f"the resource ID of the subnet for the private endpoints, {id_form(SUBNET)}",
        ),
    ] = Field(None, alias="subnetId")
    """The existing subnet holding the private endpoints; it must be in the
    subscription and region the stack deploys to (any resource group)."""
    private_dns: Annotated[
        PrivateDnsSettings | None,
        Only("inbound", ("private",), "{mode: create | existing | policy}"),
    ] = None
    """Who keeps the private endpoints' DNS records."""
    outbound_fqdns: Annotated[
        tuple[Fqdn, ...],
        Listed,
        Unique(),
        Only(
            "isolation_mode",
            (APPROVED_ONLY,),
            why="FQDN rules open hosts in an approved-outbound network; with "
            "allowInternetOutbound every host is reachable, and without a managed network "
            "(disabled, customerManaged) there is no managed firewall to open them: egress is the "
            "team's network's to filter (docs/concepts/networking.md lists what Azure ML needs)",
        ),
    ] = ()
    """Hosts compute may reach besides Azure ML's own (FQDN rules, enforced by an Azure
    Firewall that Azure bills). Left out: Microsoft's pip and conda hosts, which image builds
    and package installs need (`[]` for none)."""
    client_ip_ranges: Annotated[
        tuple[PublicIpRange, ...],
        Listed,
        Unique(),
        Only(
            "inbound",
            ("public",),
            why="with inbound private, clients reach the storage through its private endpoints",
        ),
    ] = ()
    """Public IPv4 addresses or ranges (CIDR) of the team's laptops and runners, which the
    workspace storage then admits besides its private endpoints: the CLI and SDK upload local
    code, data and models there (`az ml job create`, `az ml model create --path`)."""
    compute_subnet: Annotated[
        SubnetId | None,
        Only(
            "isolation_mode",
            (CUSTOMER_MANAGED,),
            f"the resource ID of the subnet the workspace's compute runs in, {id_form(SUBNET)}",
            why="with a managed network Azure ML places compute itself; with disabled it has no "
            "network to join",
        ),
    ] = Field(None, alias="computeSubnetId")
    """The existing subnet of the team's network every compute the stack creates runs in (the
    image build and batch endpoints' clusters, dev's instances and clusters, serverless jobs),
    with no public IP. In the subscription and region the stack deploys to, not delegated, with
    an IP address per node; its network routes to the private endpoints of subnetId and lets
    out what Azure ML needs (see docs/concepts/networking.md)."""

    egress_firewall: Annotated[
        FirewallId | None,
        Only(
            "isolation_mode",
            (CUSTOMER_MANAGED,),
            why="a managed network filters egress itself",
        ),
    ] = Field(None, alias="egressFirewallId")
    """The Azure Firewall or network virtual appliance the compute subnet's default route sends
    its traffic through. Required in prod with customerManaged, where a managed network would
    allow only approved outbound: the program cannot see the team's routes, so config names
    the firewall that filters egress, and the workspace carries it (tag egressFirewall) for
    reviewers and the policy pack."""

    RETIRED: ClassVar[Mapping[str, str]] = {
        "publicNetworkAccess": (
            "was replaced by inbound: write `inbound: public` for true, or `inbound: private` "
            "with subnetId and privateDns for false"
        )
    }

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        isolation, inbound = fields.get("isolation_mode"), fields.get("inbound")
        if fields.get("client_ip_ranges") and isolation == "disabled":
            yield (
                ("clientIpRanges",),
                "has no effect with isolation: disabled: without a managed network the workspace "
                "storage accepts traffic from anywhere (Entra ID still decides who gets in)",
            )
        if inbound == "private" and isolation == "disabled":
            yield (
                ("inbound",),
                "private needs a managed network (isolation allowInternetOutbound or "
                "allowOnlyApprovedOutbound) or the team's (isolation customerManaged, with "
                "computeSubnetId): without one, compute would reach storage, Key Vault and "
                "registry over the public endpoints that inbound: private closes",
            )
        if isolation == CUSTOMER_MANAGED:
            yield from cls._customer_managed(fields, given)

    @classmethod
    def _customer_managed(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        """What isolation: customerManaged needs of the other network keys."""
        firewall = fields.get("egress_firewall")
        if isinstance(firewall, ArmId) and len(firewall.id) > TAG_VALUE_LENGTH:
            yield (
                ("egressFirewallId",),
                f"must be at most {TAG_VALUE_LENGTH} characters: the workspace carries it as a "
                "tag, and Azure limits tag values to that",
            )
        if fields.get("inbound") != "private":
            yield (
                ("inbound",),
                "must be private with isolation: customerManaged (it defaults to public): the "
                "workspace, its storage, Key Vault and registry are then reached only through "
                f"private endpoints in the team's network, with subnetId and privateDns "
                f"({CUSTOMER_MANAGED_DOCS})",
            )
            if fields.get("client_ip_ranges"):
                yield (
                    ("clientIpRanges",),
                    "is not valid with isolation: customerManaged: its storage refuses public "
                    "traffic, and clients reach it through the private endpoints in subnetId",
                )
        compute, endpoints = fields.get("compute_subnet"), fields.get("subnet")
        if not isinstance(compute, ArmId) or not isinstance(endpoints, ArmId):
            return
        if compute.subscription_id.lower() != endpoints.subscription_id.lower():
            # https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet#prerequisites
            yield (
                ("computeSubnetId",),
                f"is in subscription {compute.subscription_id}, but subnetId is in "
                f"{endpoints.subscription_id}: both must be in the subscription the stack "
                "deploys to (Azure ML places compute only in a virtual network of the "
                "workspace's subscription)",
            )
            return  # another subscription's network is another network too: one problem
        dns = fields.get("private_dns")
        network, compute_network = endpoints.parent, compute.parent
        same_network = (
            network is not None
            and compute_network is not None
            and compute_network.id.lower() == network.id.lower()
        )
        if isinstance(dns, PrivateDnsSettings) and dns.mode == "create" and not same_network:
            yield (
                ("computeSubnetId",),
                "must be in subnetId's virtual network with privateDns.mode create: the zones "
                "the program creates are linked to that network only, and compute elsewhere "
                "would resolve the workspace, storage, Key Vault and registry to their public "
                "addresses (or use mode existing or policy, with zones linked to both networks)",
            )

    @property
    def isolation(self) -> str:
        """Azure's isolation mode of the managed network (Disabled with customerManaged)."""
        mode = "disabled" if self.customer_managed else self.isolation_mode
        return mode[0].upper() + mode[1:]

    @property
    def managed(self) -> bool:
        """True when the workspace has an Azure ML managed virtual network (no public IPs
        needed)."""
        return self.isolation_mode not in ("disabled", CUSTOMER_MANAGED)

    @property
    def customer_managed(self) -> bool:
        """True when the team's own network isolates the workspace, without a managed network:
        compute runs in compute_subnet, everything is reached through private endpoints."""
        return self.isolation_mode == CUSTOMER_MANAGED

    @property
    def isolated(self) -> bool:
        """The workspace's storage, Key Vault and registry refuse public traffic: compute
        reaches them through private endpoints, the managed network's or the team's."""
        return self.managed or self.customer_managed

    @property
    def approved_outbound_only(self) -> bool:
        return self.isolation_mode == APPROVED_ONLY

    @property
    def fqdns(self) -> tuple[str, ...]:
        """The hosts FQDN rules open: as configured, else (approved outbound only) the feeds."""
        if not self.approved_outbound_only:
            return ()
        given = "outbound_fqdns" in self.model_fields_set
        return self.outbound_fqdns if given else PACKAGE_FEEDS

    @property
    def private_inbound(self) -> bool:
        return self.inbound == "private"

    @property
    def public_network_access(self) -> str:
        """Azure's value for the workspace (and its online endpoints)."""
        return "Disabled" if self.private_inbound else "Enabled"


DATA_SCIENTIST: Final = "AzureML Data Scientist"


class AccessGrant(Section):
    principal_id: Guid
    """Object ID of the user, group or service principal."""
    principal_type: Literal["User", "Group", "ServicePrincipal"] = "Group"
    """What the principal is; Azure checks it against the directory."""
    role: Role
    """A built-in role; Owner and User Access Administrator are never granted here."""
    scope_choice: AccessScope | None = Field(None, alias="scope")
    """Where to grant it; defaults to the first scope the role allows."""
    data_access: Annotated[bool, Only("role", (DATA_SCIENTIST,))] = True
    """Also grant the data roles the studio, notebooks and uploads
    need on Entra-ID-only storage, and read on every datastore (see docs/access.md); false opts
    out."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        scopes = ACCESS_SCOPES.get(fields.get("role", ""))
        scope = fields.get("scope_choice")
        if scopes and scope is not None and scope not in scopes:
            yield ("scope",), f"must be one of {', '.join(scopes)}; got {scope!r}"

    @property
    def scope(self) -> AccessScope:
        return self.scope_choice or ACCESS_SCOPES[self.role][0]

    @property
    def brings_data_access(self) -> bool:
        """Whether the entry also brings the data roles of a data scientist."""
        return self.role == DATA_SCIENTIST and self.data_access


class ReleasePipelineSettings(Section):
    principal_id: Guid
    """Object ID of the service principal (or managed identity) the ML release pipeline signs in
    with: it registers models, deploys them into the endpoints and invokes batch endpoints."""


class DatastoreSettings(Section):
    name: DatastoreName
    """Datastore name in the workspace, as jobs refer to it."""
    storage_account: StorageId = Field(alias="storageAccountId")
    """The storage account holding the data, often in another subscription."""
    # These three name the kinds: their descriptions are made from the kinds table.
    kind: KindName = Field("blob", description=KIND_DESCRIPTION)
    container: ContainerName = Field(description=CONTAINER_DESCRIPTION)
    read_only: bool = Field(True, description=READ_ONLY_DESCRIPTION)
    description: str = ""
    """Shown in the studio."""

    @property
    def kind_row(self) -> Kind:
        """The kind's row of the kinds table."""
        return KINDS[self.kind]

    @property
    def scope(self) -> str:
        """Container-level scope: the least the workspace identity needs."""
        return f"{self.storage_account.id}/{self.kind_row.service.path}/{self.container}"

    @property
    def subresources(self) -> tuple[str, ...]:
        """What the managed network reaches the account on."""
        return self.kind_row.subresources

    @property
    def role(self) -> str:
        service = self.kind_row.service
        return service.reader if self.read_only else service.contributor

    @property
    def matrix_scope(self) -> DatastoreScope:
        """The access matrix's scope kind this datastore is one of."""
        service = self.kind_row.service
        return service.read_only_scope if self.read_only else service.writable_scope


class ScheduleSettings(Section):
    when: Literal["start", "stop"] = Field(alias="action")
    """Start or stop the instance."""
    cron: Cron
    """When, as a five-field cron expression."""
    time_zone: TimeZone = "UTC"
    """Windows time-zone ID the cron expression is read in."""

    @property
    def action(self) -> str:
        """Azure's schedule action."""
        return self.when.capitalize()


class ComputeInstanceSettings(Section):
    name: InstanceName
    """Instance name; the stack suffix is appended."""
    vm_size: VmSize
    """Azure VM size of the instance."""
    assigned_user_object_id: Guid
    """Object ID of the one person it serves."""
    assigned_user_tenant_id: Guid | None = None
    """That person's tenant; defaults to the deployment's tenant."""
    idle_shutdown_minutes: int = Field(60, ge=15, le=3 * 24 * 60)
    """Minutes of inactivity before the instance shuts down."""
    schedules: Annotated[tuple[ScheduleSettings, ...], Listed] = ()
    """Start and stop schedules."""


class ComputeClusterSettings(Section):
    name: ClusterName
    """Cluster name as jobs refer to it (no suffix)."""
    vm_size: VmSize
    """Azure VM size of each node."""
    max_nodes: int = Field(ge=1, le=MAX_NODES)
    """Most nodes the cluster scales out to."""
    min_nodes: int = Field(0, ge=0, le=MAX_NODES)
    """Nodes kept running even when idle: they cost money around the clock."""
    low_priority: bool = False
    """Cheaper nodes that Azure may pre-empt."""
    idle_seconds_before_scale_down: int = Field(120, ge=60, le=7 * 24 * 60 * 60)
    """Idle seconds before a node is released."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        low, high = fields.get("min_nodes"), fields.get("max_nodes")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield ("minNodes",), f"({low}) must not exceed maxNodes ({high})"


def _batch_cluster_schema() -> dict[str, Any]:
    """A batch endpoint's cluster may leave out its name: it defaults to <endpoint>-batch."""
    cluster = ComputeClusterSettings.model_json_schema(by_alias=True)
    cluster["required"] = [key for key in cluster["required"] if key != "name"]
    return {"anyOf": [cluster, {"type": "null"}]}


class ExtensionTlsSettings(Section):
    """HTTPS of the inference router (azureml-fe), as the Azure ML extension expects in
    production: the certificate stays on the cluster, named here, never in config."""

    secret: KubernetesObjectName
    """The Kubernetes secret in the azureml namespace holding cert.pem and key.pem (PEM, the
    full certificate chain, no passphrase) for hostName: the extension's sslSecret. The team
    keeps it there before the first `pulumi up` (cert-manager, the Key Vault CSI driver or
    kubectl)."""
    host_name: HostName
    """The host name clients call the endpoints at, which the certificate is issued for: the
    extension's sslCname. DNS points it at the router's internal load balancer."""


class AzureMLExtensionSettings(Section):
    """The Azure ML extension a managed cluster gets from this stack: inference only, its router
    behind an internal load balancer, over HTTPS."""

    tls: ExtensionTlsSettings
    """The router's certificate and host name."""
    high_availability: bool = True
    """Three inference router replicas (inferenceRouterHA), which need three nodes; false runs
    one, for a cluster of fewer nodes."""
    nvidia_device_plugin: bool = False
    """Install the NVIDIA device plugin (installNvidiaDevicePlugin), which GPU instance types
    need unless the cluster runs one already."""


class ResourceRequests(Section):
    """What a pod of the instance type is guaranteed."""

    cpu: CpuQuantity
    """CPU requested: cores, or millicores with m."""
    memory: MemoryQuantity
    """Memory requested, in bytes with a suffix (Mi, Gi)."""


# Azure's largest GPU sizes have 8 GPUs a node, and a pod runs on one node.
# https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ndh100v5-series
MAX_POD_GPUS: Final = 8


class ResourceLimits(Section):
    """The most a pod of the instance type may use."""

    cpu: CpuQuantity
    """CPU limit: at least the request."""
    memory: MemoryQuantity
    """Memory limit: at least the request."""
    gpu: int | None = Field(None, alias="nvidia.com/gpu", ge=1, le=MAX_POD_GPUS)
    """NVIDIA GPUs a pod gets (GPUs are set as limits only); the nodes need the NVIDIA device
    plugin."""


class InstanceTypeResources(Section):
    """Requests and limits, as Azure ML requires them of an instance type."""

    requests: ResourceRequests
    """CPU and memory a pod is guaranteed."""
    limits: ResourceLimits
    """CPU, memory and GPUs a pod may use at most."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        requests, limits = fields.get("requests"), fields.get("limits")
        if not isinstance(requests, ResourceRequests) or not isinstance(limits, ResourceLimits):
            return
        for resource in ("cpu", "memory"):
            asked, most = getattr(requests, resource), getattr(limits, resource)
            if (quantity(asked) or 0) > (quantity(most) or 0):
                # Kubernetes refuses a request above its limit.
                yield (
                    ("requests", resource),
                    f"({asked}) must not exceed limits.{resource} ({most})",
                )


class InstanceTypeSettings(Section):
    """An instance type a managed cluster's attach declares: which nodes its pods run on and
    what they get."""

    name: KubernetesObjectName
    """The name a deployment's instance_type gives; the first listed is the cluster's
    default."""
    node_selector: NodeSelector = Field(default_factory=dict)
    """Node labels its pods' nodes carry (agentpool: gpu); any node without."""
    resources: InstanceTypeResources
    """Its requests and limits."""


def _instance_type(entry: Any, info: ValidationInfo) -> Any:
    """A name (a cluster owned elsewhere) or a declaration (a managed cluster), each checked as
    such, so a mistake is reported once, under its own key."""
    if isinstance(entry, str):
        if not re.fullmatch(K8S_OBJECT_NAME.pattern, entry):
            raise invalid(f"must be {K8S_OBJECT_NAME.what}, got {entry!r}")
        return entry
    if not isinstance(entry, Mapping):
        raise invalid(
            f"must be an instance type's name or a map {{name, resources, nodeSelector}}, got "
            f"{type_name(entry)}"
        )
    try:
        return InstanceTypeSettings.model_validate(entry, context=info.context, by_name=False)
    except ValidationError as error:
        found = [f for e in error.errors() for f in (e.get("ctx") or {}).get("found", ())]
        raise problems(found or [((), str(error))]) from None


InstanceType = Annotated[
    KubernetesObjectName | InstanceTypeSettings,
    BeforeValidator(_instance_type),
    Hint(
        "the name of an InstanceType resource the cluster's owner created, or (manage: true) "
        "a map: [InstanceType](#instancetype)"
    ),
]


def _kubernetes_cluster_schema(schema: dict[str, Any], model: Any) -> None:
    """For editors, what the loader refuses: a managed cluster's extension and declared
    instance types, a cluster owned elsewhere's instance type names (in place of the rules of
    ``Only`` markers, which this section has none of)."""
    managed = {"required": ["manage"], "properties": {"manage": {"const": True}}}
    schema["allOf"] = [
        {
            "if": managed,
            "then": {
                "required": ["extension"],
                "properties": {"instanceTypes": {"items": {"type": "object"}}},
            },
            "else": {
                "properties": {
                    "extension": {"enum": [None]},
                    "instanceTypes": {"items": {"type": "string"}},
                }
            },
        }
    ]


class KubernetesClusterSettings(Section):
    """An AKS cluster attached to the workspace as a Kubernetes compute target: another team's,
    or (manage: true) the team's own, whose cluster side this stack builds too."""

    model_config = ConfigDict(json_schema_extra=_kubernetes_cluster_schema)

    name: ClusterName
    """Compute name in the workspace, as endpoints (kubernetesCluster) and the release pipeline
    refer to it (no suffix)."""
    cluster: ManagedClusterId = Field(alias="clusterId")
    """The AKS cluster, in the workspace's subscription (Azure ML attaches no AKS cluster
    across subscriptions). Unless manage is true, its owner readies it (the stack output
    kubernetesOwnerActions says how) and the program does not modify it."""
    namespace: KubernetesNamespace
    """The existing namespace the endpoints' deployments run in: attaching neither creates nor
    checks it."""
    manage: bool = False
    """The cluster is the team's own: this stack installs the Azure ML extension (extension),
    binds the workspace through AKS trusted access and declares the instance types in the
    attach, before attaching. False (another team's cluster): its owner does all that."""
    extension: AzureMLExtensionSettings | None = None
    """The Azure ML extension this stack installs. Required with manage: true, and only
    valid there."""
    instance_types: Annotated[tuple[InstanceType, ...], Listed] = ()
    """The instance types a deployment may name as its instance_type, exported for the release
    pipeline: with manage: false, names of InstanceType resources the cluster's owner created;
    with manage: true, declared here and carried by the attach, the first being the cluster's
    default. Without any, deployments get defaultinstancetype."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        manage, entries = fields.get("manage"), fields.get("instance_types") or ()
        has_extension = "extension" in given and fields.get("extension", ...) is not None
        if manage is True and not has_extension:
            yield (
                ("extension",),
                "is required with manage: true: {tls: {secret, hostName}}, the Azure ML "
                "extension's HTTPS certificate (a Kubernetes secret) and host name",
            )
        if manage is False and has_extension:
            yield (
                ("extension",),
                "is only valid with manage: true: a cluster owned elsewhere gets its extension "
                "from its owner (the stack output kubernetesOwnerActions)",
            )
        for index, entry in enumerate(entries):
            if manage is True and isinstance(entry, str):
                yield (
                    ("instanceTypes", index),
                    f"{entry!r} is a name only: with manage: true the attach declares each "
                    "instance type, as {name, resources: {requests: {cpu, memory}, limits: "
                    "{cpu, memory}}}",
                )
            if manage is False and isinstance(entry, InstanceTypeSettings):
                yield (
                    ("instanceTypes", index),
                    "declares an instance type, which only a managed cluster's attach carries "
                    "(manage: true); name an InstanceType resource the cluster's owner created",
                )
        names = [entry if isinstance(entry, str) else entry.name for entry in entries]
        for index, first in repeats(names, str.lower):
            where = ("instanceTypes", index)
            where += () if isinstance(entries[index], str) else ("name",)
            yield where, f"repeats instanceTypes[{first}] ({names[index]!r})"

    @property
    def instance_type_names(self) -> tuple[str, ...]:
        """What a deployment may name as its instance_type (the first: the default)."""
        return tuple(e if isinstance(e, str) else e.name for e in self.instance_types)

    @property
    def declared_instance_types(self) -> tuple[InstanceTypeSettings, ...]:
        """The instance types the attach carries (a managed cluster's)."""
        return tuple(e for e in self.instance_types if isinstance(e, InstanceTypeSettings))


AUTH_MODES: Final = {"aadToken": "AADToken", "amlToken": "AMLToken", "key": "Key"}


class EndpointSettings(Section):
    name: EndpointName
    """Endpoint name; the stack suffix is appended."""
    kind: Literal["online", "batch"]
    """An online endpoint (managed, or on kubernetesCluster), or a batch endpoint with its own
    cluster."""
    purpose: Literal["scoring", "preprocessing"] = "scoring"
    """What the endpoint serves: scoring, or the optional preprocessing of raw data."""
    auth: Literal["aadToken", "amlToken", "key"] = Field("aadToken", alias="authMode")
    """Entra ID tokens; on a Kubernetes online endpoint, which does not accept those, Azure ML
    tokens (amlToken, its default) that only Entra ID identities get; keys only as an explicit,
    reviewed opt-out (online only)."""
    description: str = ""
    """Shown in the studio."""
    cluster: Annotated[
        ComputeClusterSettings | None,
        Schema(_batch_cluster_schema()),
        Only("kind", ("batch",), "{vmSize, maxNodes}: batch deployments run on it"),
    ] = None
    """The scale-to-zero cluster its deployments run on (name defaults to
    <endpoint>-batch)."""
    deployments: Annotated[
        tuple[DeploymentName, ...],
        Listed,
        Unique(),
        Only("kind", ("online",), why="batch deployments are not watched one by one"),
    ] = ()
    """The deployments the release pipeline keeps on this endpoint (e.g. blue,
    green), whose CPU, GPU and memory are watched. List one once it exists: Azure refuses an
    alert rule on a missing deployment."""
    kubernetes_cluster: Annotated[
        ClusterName | None,
        Only("kind", ("online",), why="batch deployments run on the endpoint's cluster"),
    ] = None
    """The name of an entry of mlops:kubernetesClusters to serve on, as a
    Kubernetes online endpoint; without it the endpoint is a managed online endpoint."""

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        """Defaults that depend on other keys (before Section's checks, which see them)."""
        if not isinstance(data, Mapping):
            return data
        on_kubernetes = "kubernetesCluster" in data and data.get("kind") == "online"
        if on_kubernetes and "authMode" not in data:
            # Kubernetes online endpoints do not accept Entra ID tokens; Azure ML tokens are
            # the closest: short-lived, and only Entra ID identities get them.
            data = {**data, "authMode": "amlToken"}
        cluster, name = data.get("cluster"), data.get("name")
        if isinstance(cluster, Mapping) and "name" not in cluster and isinstance(name, str):
            return {**data, "cluster": {"name": f"{name[:18].rstrip('-')}-batch", **cluster}}
        return data

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        kind, auth, cluster = fields.get("kind"), fields.get("auth"), fields.get("cluster")
        on_kubernetes = "kubernetes_cluster" in given
        if kind == "batch" and auth in ("key", "amlToken"):
            yield (
                ("authMode",),
                "must be aadToken for kind: batch (batch endpoints only accept Entra ID tokens)",
            )
        if kind == "batch" and isinstance(cluster, ComputeClusterSettings) and cluster.min_nodes:
            yield ("cluster", "minNodes"), "must be 0: a batch endpoint's cluster scales to zero"
        if kind == "online" and on_kubernetes and auth == "aadToken":
            # https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online-auth#limitation
            yield (
                ("authMode",),
                "must be amlToken (the default with kubernetesCluster) or key: Kubernetes online "
                "endpoints do not accept Entra ID tokens (aadToken), which Azure ML supports on "
                "managed online endpoints only; an Azure ML token is short-lived and issued only "
                "to an Entra ID identity allowed the endpoint's token action",
            )
        if kind == "online" and not on_kubernetes and auth == "amlToken":
            yield (
                ("authMode",),
                "amlToken is only valid with kubernetesCluster: a managed online endpoint takes "
                "aadToken (Entra ID tokens), or key as an explicit opt-out",
            )
        if kind == "online" and on_kubernetes and "deployments" in given:
            # https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online#managed-online-endpoints-vs-kubernetes-online-endpoints
            yield (
                ("deployments",),
                "is not valid with kubernetesCluster: Kubernetes online endpoints publish no "
                "Azure Monitor metrics, so their deployments cannot be watched here (the "
                "cluster's owner monitors its pods)",
            )

    @property
    def auth_mode(self) -> str:
        """Azure's auth mode."""
        return AUTH_MODES[self.auth]

    @property
    def serving(self) -> Literal["managedOnline", "kubernetesOnline", "batch"]:
        """Where the endpoint's deployments run: Azure ML's compute, an attached cluster, or
        the endpoint's own cluster."""
        if self.kind == "batch":
            return "batch"
        return "managedOnline" if self.kubernetes_cluster is None else "kubernetesOnline"


def _key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


def _empty(section: type[Section]) -> Any:
    """A section as it is when the stack config leaves it out."""
    return Field(default_factory=lambda: section.model_validate({}))


def _thresholds_model() -> Any:
    """One optional whole number per alert of the catalogue, within the range it allows."""
    fields: dict[str, Any] = {
        alert.key: (
            int | None,
            Field(
                None,
                ge=alert.low,
                le=alert.high,
                description=f"Threshold for the {alert.what} of each {alert.target}, in "
                f"{alert.unit} (default: dev {alert.defaults.dev}, qa {alert.defaults.qa}, prod "
                f"{alert.defaults.prod}).",
            ),
        )
        for alert in CATALOGUE
    }
    return create_model("AlertThresholdSettings", __base__=Section, **fields)


AlertThresholdSettings = _thresholds_model()


class AlertSettings(Section):
    enabled: bool = True
    """The action group and every alert rule; false switches them off (refused in prod)."""
    emails: Annotated[tuple[Email, ...], Listed, Unique()] = ()
    """Who is told: e-mail addresses. The budget notifies them too."""
    webhooks: Annotated[
        tuple[Annotated[Webhook, Credential("https://secret-webhook-{n}.invalid", "<url>")], ...],
        Listed,
        Unique(),
    ] = ()
    """Also told: https webhooks (chat, paging, ITSM). A URL with a token (Slack, Teams,
    `sig=`, `code=`, `token=` …) is refused in plain config: set each with `pulumi config set
    --secret --path 'mlops:alerts.webhooks[0]' '<url>'`."""
    thresholds: AlertThresholdSettings = _empty(AlertThresholdSettings)  # pyrefly: ignore[invalid-annotation]
    """Thresholds that differ from the environment's defaults, by alert."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        if {"emails", "webhooks"} & given - fields.keys():
            return  # a list that failed its own checks says what is wrong with it
        enabled = fields.get("enabled") is not False
        if enabled and not (fields.get("emails") or fields.get("webhooks")):
            yield (
                ("emails",),
                "at least one e-mail or webhook is required while alerts are on: someone must "
                "be told when the environment breaks or overspends",
            )
        elif not enabled and not fields.get("emails"):
            yield (
                ("emails",),
                "at least one e-mail is required: with alerts off, the budget's notifications "
                "go to the e-mails alone",
            )


MAX_BUDGET_NOTIFICATIONS: Final = 5  # Azure's limit per budget; one is the forecast's


class BudgetSettings(Section):
    monthly_amount: int = Field(ge=1, le=100_000_000)
    """Most the environment's resource group should cost in a calendar month, in the billing
    currency of the subscription."""
    thresholds: Annotated[tuple[Annotated[int, Field(ge=1, le=1000)], ...], Listed] = (80, 100)
    """Percentages of monthlyAmount at which actual cost notifies (ascending, 1-1000); a
    forecast above 100% notifies as well."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        thresholds = fields.get("thresholds")
        if thresholds is None:
            return
        most = MAX_BUDGET_NOTIFICATIONS - 1
        if not 1 <= len(thresholds) <= most:
            yield (
                ("thresholds",),
                f"must list 1-{most} percentages (Azure allows {MAX_BUDGET_NOTIFICATIONS} "
                "notifications per budget; one is the forecast's), got "
                f"{len(thresholds)}",
            )
        for index, value in enumerate(thresholds):
            if index and value <= thresholds[index - 1]:
                yield (
                    ("thresholds", index),
                    f"must be above the one before ({thresholds[index - 1]}): ascending, each once",
                )


class EndpointLogSettings(Section):
    """Where managed online endpoints' logs go (settings.endpoint_logs): off unless a stack
    turns them on."""

    enabled: bool = False
    """true: every managed online endpoint sends its traffic, console and event logs to the
    stack's Log Analytics workspace (resource-specific tables, kept for the workspace's
    retention; Log Analytics bills their ingestion), and is alerted on the share of its requests
    that fail with a server error (mlops:alerts.thresholds.serverErrorRatePercent)."""


# Microsoft Defender for Cloud's plan for AI workloads, and what it covers.
DEFENDER_AI_ONBOARDING: Final = "https://learn.microsoft.com/azure/defender-for-cloud/ai-onboarding"
DEFENDER_AI_MODEL_SECURITY: Final = (
    "https://learn.microsoft.com/azure/defender-for-cloud/ai-model-security"
)


class DefenderSettings(Section):
    """Microsoft Defender for Cloud for AI workloads (components.defender): off unless a stack
    turns it on. A Defender plan is the subscription's, not the stack's."""

    ai_services: bool = False
    """true: the subscription's Defender for AI services plan (Microsoft.Security/pricings AI) is
    Standard, billed for every AI resource of the subscription, whichever stack made it. Its
    threat protection covers Azure OpenAI and Foundry model inference; its AI model security
    scans models in Azure ML workspaces and registries, but not those reached through a private
    link (turned on in Defender for Cloud, not here). Removing the key or the stack leaves the
    plan on: only the subscription's owner turns it off. Set it in one stack per subscription."""


# The image build cluster's compute name: no other compute of the workspace may take it.
IMAGE_BUILDER: Final = "image-builder"


class ImageBuildSettings(Section):
    """The compute cluster Azure ML builds environment images on wherever the workspace has a
    managed network: its container registry, behind the network, cannot build them itself
    (https://learn.microsoft.com/azure/machine-learning/how-to-managed-network#configure-image-builds).
    It scales to zero."""

    vm_size: VmSize = "Standard_DS3_v2"
    """VM size of its nodes: a CPU size (Azure ML builds images on CPU only)."""
    max_nodes: int = Field(1, ge=1, le=10)
    """Most images built at once."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        size = fields.get("vm_size")
        # https://learn.microsoft.com/azure/machine-learning/how-to-secure-workspace-vnet#enable-azure-container-registry-acr:
        # "Only a CPU SKU is supported."
        if isinstance(size, str) and size.lower().startswith("standard_n"):
            yield ("vmSize",), f"{size} is a GPU size: Azure ML builds images on CPU sizes only"


class JourneySwitch(Section):
    enabled: bool = True
    """false: the journey is not checked, and a broken one no longer fails the preview."""
    reason: str = ""
    """Why the stack does without the journey, for reviewers: required with enabled: false."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        if "reason" in given and "reason" not in fields:
            return  # a reason that failed its own check says what is wrong with it
        if fields.get("enabled") is False and not str(fields.get("reason", "")).strip():
            yield (
                ("reason",),
                "is required with enabled: false: say why this stack does without the journey "
                "(reviewers read it in the preview)",
            )


def _journeys_model() -> Any:
    """One optional switch per journey of the table."""
    fields: dict[str, Any] = {
        journey.key: (JourneySwitch | None, Field(None, description=f"{journey.title}."))
        for journey in JOURNEYS
    }
    return create_model("JourneySettings", __base__=Section, **fields)


JourneySettings = _journeys_model()


# The sections that configure a workspace: refused in a stack without one (shared).
InWorkspace: Final = Only(
    "environment",
    tuple(environment for environment, profile in PROFILES.items() if profile.has_workspace),
    why="the shared stack has no workspace: it creates the model registry alone",
)
# Compute instances and clusters: refused where the profile allows no compute.
Compute: Final = Only(
    "environment",
    tuple(environment for environment, profile in PROFILES.items() if profile.allows_compute),
    why="qa and prod only serve preprocessing and scoring endpoints; experiments and training "
    "belong in dev",
)


class Settings(Section):
    """One stack's config: every key of `Pulumi.<stack>.yaml` the program reads."""

    model_config = ConfigDict(alias_generator=lambda name: _key(to_camel(name)))

    location: Region = Field(alias="azure-native:location")
    """Azure region of every resource."""
    environment: Annotated[
        Environment, Hint("one of dev, qa, prod, shared", "it defaults to the stack name")
    ] = Field(json_schema_extra={DEFAULTED_BY_LOADER: "the stack name"})
    """Which environment the stack is: dev, qa or prod, or shared (the model registry they
    promote models through). Defaults to the stack name; a stack named otherwise (staging,
    prod-eu) sets it, and its physical names still carry the stack name."""
    prefix: Prefix
    """Starts every physical name, so global names stay unique."""
    protect_choice: bool | None = Field(None, alias=_key("protect"))
    """Protect data-bearing resources and lock them against deletion; defaults to the
    environment profile (on in prod)."""
    tags: Tags = Field(default_factory=dict)
    """Tags on every resource, besides those the program sets (environment, managedBy, ...)."""
    shared_stack: Annotated[
        SharedStackName | None,
        Hint(
            "a stack name (shared) or organization/project/stack",
            "it names the Pulumi stack whose outputs mode: shared reads",
        ),
        InWorkspace,
    ] = None
    """The Pulumi stack dev, qa and prod read the shared model registry, Key Vault and
    container registry from (mode: shared), through a stack reference: a stack of this
    project and organization by name, or organization/project/stack. Defaults to shared
    wherever a mode is shared."""
    key_vault: KeyVaultSettings = _empty(KeyVaultSettings)
    """The workspace's Key Vault: created for the stack, or a shared one adopted."""
    container_registry: RegistrySettings = _empty(RegistrySettings)
    """Container registry for custom images."""
    storage: Annotated[StorageSettings, InWorkspace] = _empty(StorageSettings)
    """The workspace's own storage account."""
    encryption: Annotated[EncryptionSettings, InWorkspace] = _empty(EncryptionSettings)
    """A customer-managed key for the workspace, its storage account and (where Azure supports
    it) its container registry, instead of Microsoft-managed keys; set when the workspace is
    created (see docs/security.md, Customer-managed keys and high business impact)."""
    high_business_impact: Annotated[bool, InWorkspace] = False
    """Create the workspace as high business impact (hbiWorkspace): Microsoft collects less
    diagnostic data from its compute, compute clusters' and instances' local scratch disks are
    encrypted (a cluster's only where the subscription had no cluster before: else a support
    request) and a cluster's is wiped between jobs (no cached images: jobs start slower), and
    compute receives the storage, registry and SSH credentials through the workspace's Key
    Vault; troubleshooting gets harder. Set at creation only: changing it later takes a new
    stack."""
    network: NetworkSettings = _empty(NetworkSettings)
    """Network isolation of the workspace; in shared, the private endpoints clients reach the
    model registry through (inbound, subnetId and privateDns only)."""
    access: Annotated[tuple[AccessGrant, ...], Listed, InWorkspace] = ()
    """Roles for people, groups and pipelines."""
    release_pipeline: Annotated[ReleasePipelineSettings | None, InWorkspace] = None
    """The identity of the ML release pipeline, which gets the roles deploying models needs."""
    datastores: Annotated[
        tuple[DatastoreSettings, ...], Listed, Unique("datastore name"), InWorkspace
    ] = ()
    """Identity-based links to prod-quality raw data."""
    compute_instances: Annotated[
        tuple[ComputeInstanceSettings, ...], Listed, Compute, Unique("compute instance")
    ] = ()
    """Personal compute instances for experiments."""
    compute_clusters: Annotated[
        tuple[ComputeClusterSettings, ...], Listed, Compute, Unique("compute cluster")
    ] = ()
    """Compute clusters for training and large-scale work."""
    endpoints: Annotated[tuple[EndpointSettings, ...], Listed, Unique("endpoint"), InWorkspace] = ()
    """Preprocessing and scoring endpoints."""
    kubernetes_clusters: Annotated[
        tuple[KubernetesClusterSettings, ...], Listed, Unique("Kubernetes cluster"), InWorkspace
    ] = ()
    """Existing AKS clusters attached to the workspace as Kubernetes compute targets, for
    online endpoints that serve on them (kubernetesCluster)."""
    endpoint_logs: Annotated[EndpointLogSettings, InWorkspace] = _empty(EndpointLogSettings)
    """The logs of managed online endpoints, in the stack's Log Analytics workspace: off by
    default."""
    defender: Annotated[DefenderSettings, InWorkspace] = _empty(DefenderSettings)
    """Microsoft Defender for Cloud's plan for AI workloads, on the stack's subscription (see the
    security page's Defender for AI services, docs/security.md): off by default."""
    compliance: Annotated[Literal["standard", "regulated"], InWorkspace] = "standard"
    """regulated: the workspace is tagged compliance: regulated and must have a customer-managed
    key (mlops:encryption), high business impact (mlops:highBusinessImpact) and, with a managed
    online endpoint, its logs (mlops:endpointLogs): refused in prod without them, and the policy
    pack's compliance area checks the plan (mandatory in prod, advisory in dev and qa). The first
    two are set when the workspace is created: a workspace made without them takes a new stack."""
    alerts: Annotated[
        AlertSettings,
        Hint(
            "a map {emails: [...], webhooks: [...]}: who is told when the environment breaks "
            "or overspends ({enabled: false, emails: [...]} switches alert rules off outside "
            "prod)"
        ),
    ]
    """Who is told when the environment breaks or overspends, and the alert thresholds. May be
    secret as a whole, which the offline preview cannot read (it previews one secret webhook
    instead): keep it plain and only its webhooks secret."""
    budget: BudgetSettings | None = None
    """Monthly cost budget of the resource group: required in prod; elsewhere the environment
    profile's amount unless set."""
    model_registry: ModelRegistrySettings = _empty(ModelRegistrySettings)
    """The Azure ML registry models are promoted through: created by the shared stack, used by
    dev, qa and prod."""
    image_build: Annotated[ImageBuildSettings, InWorkspace] = _empty(ImageBuildSettings)
    """The image build cluster, created wherever the workspace has a managed network and a
    container registry."""
    journeys: JourneySettings = _empty(JourneySettings)  # pyrefly: ignore[invalid-annotation]
    """Journeys the offline preview does not check here, each with the reason (see the
    journeys page, docs/concepts/journeys.md): the preview fails on any other broken journey."""

    _project: str = PrivateAttr("")
    _stack: str = PrivateAttr("")

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        profile = PROFILES.get(fields.get("environment", ""))
        for rule in RULES:
            yield from rule(fields, given, profile)
        if profile is not None:  # an invalid mlops:environment has no profile to judge by
            for profile_rule in PROFILE_RULES:
                yield from profile_rule(fields, given, profile)

    def model_post_init(self, context: Any) -> None:
        """The project and stack, from the loader's validation context."""
        context = context or {}
        self._project, self._stack = context.get("project", ""), context.get("stack", "")

    @property
    def stack(self) -> str:
        return self._stack

    @property
    def profile(self) -> EnvironmentProfile:
        """The environment's profile, resolved against this stack's config."""
        base = PROFILES[self.environment]
        protect = base.protect if self.protect_choice is None else self.protect_choice
        overrides = self.alerts.thresholds.model_dump(exclude_none=True)
        return replace(
            base,
            protect=protect,
            blob_versioning=base.blob_versioning or protect,
            alert_thresholds={**base.alert_thresholds, **overrides},
            monthly_budget=self.cost_budget.monthly_amount,
            model_registry_public=(
                base.model_registry_public
                if self.model_registry.public is None
                else self.model_registry.public
            ),
        )

    @property
    def referenced_stack(self) -> str | None:
        """The stack whose outputs mode: shared reads, as config names it; None if none does."""
        parts = (self.model_registry.mode, self.key_vault.mode, self.container_registry.mode)
        if "shared" not in parts:
            return None
        return self.shared_stack or DEFAULT_SHARED_STACK

    @property
    def encrypts_registry(self) -> bool:
        """The created container registry takes the customer-managed key (components.encryption
        says where Azure supports it)."""
        return encrypts_registry(
            self.encryption, self.key_vault, self.container_registry, self.network
        )

    @property
    def builds_images(self) -> bool:
        """The workspace builds images on its own cluster (components.image_build)."""
        return builds_images(self.environment, self.network, self.container_registry)

    @property
    def cost_budget(self) -> BudgetSettings:
        """The budget as configured, else the environment profile's (prod must configure it)."""
        if self.budget is not None:
            return self.budget
        amount = PROFILES[self.environment].monthly_budget
        assert amount is not None, "settings refuse a stack without mlops:budget where required"
        return BudgetSettings.model_validate({"monthlyAmount": amount})

    @property
    def names(self) -> Names:
        return Names(prefix=self.prefix, environment=self.environment, stack=self.stack)

    @property
    def all_tags(self) -> dict[str, str]:
        return {**self.tags, "environment": self.environment, "managedBy": "pulumi"}

    @property
    def assignment_seed(self) -> str:
        """What makes this stack's role assignment names its own (see components.roles)."""
        return f"{self._project}/{self._stack}"


# Rules across entries and sections, each given the fields (a section that failed its own
# checks is absent, a list entry None), the keys the config sets and the environment's profile
# (the PROFILE_RULES only where mlops:environment is valid).


def _principal_types_agree(fields: Mapping[str, Any], *_: Any) -> Iterator[Problem]:
    """One object ID is one kind of principal, wherever the config names it: Azure checks a role
    assignment's principal type against the directory, and a principal's roles are granted once.
    """
    named: list[tuple[tuple[str | int, ...], str, str]] = [
        ((_key("access"), index, "principalType"), grant.principal_id, grant.principal_type)
        for index, grant in enumerate(fields.get("access", ()))
        if grant is not None
    ]
    named += [
        (
            (_key("computeInstances"), index, "assignedUserObjectId"),
            each.assigned_user_object_id,
            "User",
        )
        for index, each in enumerate(fields.get("compute_instances", ()))
        if each is not None
    ]
    if (pipeline := fields.get("release_pipeline")) is not None:
        where = (_key("releasePipeline"), "principalId")
        named.append((where, pipeline.principal_id, "ServicePrincipal"))
    first: dict[str, tuple[tuple[str | int, ...], str]] = {}
    for where, principal, kind in named:
        seen, seen_kind = first.setdefault(principal, (where, kind))
        if seen_kind != kind:
            yield (
                where,
                f"{principal} is named a {kind} here but a {seen_kind} at {key_path(seen)}; one "
                "object ID is one kind of principal",
            )


def _targets_once(fields: Mapping[str, Any], *_: Any) -> Iterator[Problem]:
    """Grants, datastores and attached clusters whose target an earlier entry has: each would
    create (and on removal delete) the same Azure resource again."""
    grants = fields.get("access", ())
    for index, first in repeats(grants, lambda g: (g.principal_id, g.role, g.scope)):
        yield (_key("access"), index), f"duplicates an earlier grant ([{first}])"
    stores = fields.get("datastores", ())
    for index, first in repeats(stores, lambda s: (s.scope.lower(), s.read_only)):
        store = stores[index]
        yield (
            (_key("datastores"), index, "container"),
            f"{store.container!r} in {store.storage_account.name} is already linked by "
            f"{_key('datastores')}[{first}] with the same readOnly; link each container once",
        )
    attached = fields.get("kubernetes_clusters", ())
    for index, first in repeats(attached, lambda k: (k.cluster.id.lower(), k.namespace)):
        entry = attached[index]
        yield (
            (_key("kubernetesClusters"), index, "namespace"),
            f"{entry.namespace!r} of {entry.cluster.name} is already attached by "
            f"{_key('kubernetesClusters')}[{first}]; attach each namespace once",
        )


def _compute_names(fields: Mapping[str, Any], *_: Any) -> Iterator[Problem]:
    """Dev clusters, batch endpoints' clusters and attached clusters share the workspace's
    compute names (repeats within computeClusters or kubernetesClusters are Unique's)."""
    building = builds_images(
        fields.get("environment"), fields.get("network"), fields.get("container_registry")
    )
    owners: dict[str, tuple[str | int, ...]] = (
        {IMAGE_BUILDER: (_key("imageBuild"),)} if building else {}
    )
    for key in ("computeClusters", "endpoints", "kubernetesClusters"):
        for index, entry in enumerate(fields.get(to_snake(key), ())):
            batch = key == "endpoints"  # a batch endpoint's cluster (an online one has none)
            compute = entry.cluster if batch and entry is not None else entry
            if compute is None:
                continue
            where = (_key(key), index, "cluster") if batch else (_key(key), index)
            owner = owners.setdefault(compute.name, where)
            if owner != where and (owner[0] != where[0] or batch):
                used = "the image build cluster" if compute.name == IMAGE_BUILDER else None
                yield (
                    (*where, "name"),
                    f"{compute.name!r} is already a compute name, used by "
                    f"{used or key_path(owner)}; choose another",
                )


def _registry_rules(
    fields: Mapping[str, Any], _: set[str], profile: EnvironmentProfile | None
) -> Iterator[Problem]:
    registry, network = fields.get("container_registry"), fields.get("network")
    shared = profile is not None and not profile.has_workspace
    if registry is None:
        return
    reasons: list[str] = []
    if network and network.approved_outbound_only:
        reasons.append(f"with mlops:network.isolation {APPROVED_ONLY}")
    if network and network.private_inbound:
        reasons.append("with mlops:network.inbound private")
    if shared:
        reasons.append("in shared (its registry refuses public traffic)")
    if registry.mode == "create" and registry.sku != "Premium" and reasons:
        yield (
            (_key("containerRegistry"), "sku"),
            f"must be Premium {' and '.join(reasons)}: the registry is then reached through a "
            "private endpoint, which only Premium supports",
        )
    for index, grant in enumerate(fields.get("access", ())):
        if registry.mode == "none" and grant is not None and grant.scope == "registry":
            yield (
                (_key("access"), index, "scope"),
                "is registry, but mlops:containerRegistry.mode is none: there is no registry to "
                "grant on",
            )


def _private_dns_zones(fields: Mapping[str, Any], *_: Any) -> Iterator[Problem]:
    """With existing zones, every zone the stack's private endpoints need has an ID."""
    network, vault = fields.get("network"), fields.get("key_vault")
    registry = fields.get("container_registry")
    dns = network.private_dns if network is not None and network.private_inbound else None
    if dns is None or dns.zone_ids is None or vault is None or registry is None:
        return
    # Adopted vaults and registries are reached through their owners' endpoints.
    if fields.get("environment") == "shared":
        targets: set[str] = set(MODEL_REGISTRY_TARGETS)
    else:
        targets = {"workspace", "storage"}
        targets |= set() if vault.adopted else {"keyVault"}
        targets |= {"registry"} if registry.mode == "create" else set()
        endpoints = [e for e in fields.get("endpoints", ()) if e is not None]
        targets |= {"batchStorage"} if batch_storage_endpoints(network, endpoints) else set()
    for key in zones_for(targets):
        if getattr(dns.zone_ids, key) is None:
            yield (
                (_key("network"), "privateDns", "zoneIds", key),
                f"is required: the stack's private endpoints keep records in "
                f"{PRIVATE_DNS_ZONES[key]}",
            )


def _profile_rules(
    fields: Mapping[str, Any], given: set[str], profile: EnvironmentProfile
) -> Iterator[Problem]:
    """What the environment's profile requires, refused here rather than by the policy pack once
    the preview has run."""
    environment = fields["environment"]
    network, alerts = fields.get("network"), fields.get("alerts")
    if profile.has_workspace and network is not None:
        # (customerManaged requires private inbound itself, and says so.)
        if profile.private_inbound and not network.private_inbound and not network.customer_managed:
            yield (
                (_key("network"), "inbound"),
                f"must be private in {environment}: people and pipelines reach the workspace, "
                "its storage, Key Vault and registry through private endpoints (inbound: "
                "private, with subnetId and privateDns)",
            )
        # The team's network meets both requirements where the profile accepts it: inbound
        # private is required with it, and its firewall filters what compute reaches.
        alternative = f" (or {CUSTOMER_MANAGED}, the team's network filtering egress)"
        if network.customer_managed and not profile.customer_managed_network:
            yield (
                (_key("network"), "isolation"),
                f"{CUSTOMER_MANAGED} is not valid in {environment}: its profile requires a "
                "managed network",
            )
        elif (
            profile.approved_outbound_only
            and network.customer_managed
            and network.egress_firewall is None
        ):
            yield (
                (_key("network"), "egressFirewallId"),
                f"is required with {CUSTOMER_MANAGED} in {environment}: compute may reach only "
                "approved destinations, which without a managed network the team's firewall "
                "decides: give the resource ID of the Azure Firewall or network virtual "
                "appliance the compute subnet's default route goes to",
            )
        elif (
            profile.approved_outbound_only
            and not network.approved_outbound_only
            and not network.customer_managed
        ):
            yield (
                (_key("network"), "isolation"),
                f"must be {APPROVED_ONLY}"
                f"{alternative if profile.customer_managed_network else ''} in {environment}: "
                "compute reaches only approved destinations, so data cannot be exfiltrated",
            )
    if alerts is not None and not alerts.enabled and not profile.alerts_optional:
        yield (
            (_key("alerts"), "enabled"),
            f"must be true in {environment}: it must tell someone when it breaks",
        )
    if profile.monthly_budget is None and "budget" not in given:
        yield (
            (_key("budget"),),
            f"is required in {environment}: {{monthlyAmount: <most the resource group may cost "
            "a month, in the billing currency>, thresholds: [80, 100]}",
        )


# What only a workspace's network has: refused in shared.
WORKSPACE_NETWORK_KEYS: Final = frozenset(
    {"isolation_mode", "outbound_fqdns", "client_ip_ranges", "compute_subnet"}
)


def registry_created_elsewhere(environment: str) -> str:
    """What mlops:modelRegistry.mode: create says in a stack with a workspace."""
    return (
        "create is only valid in the shared stack (mlops:environment: shared); in "
        f"{environment} use mode: shared, which reads the shared stack's registry "
        "(mlops:sharedStack), or mode: existing with a registry's existingId"
    )


def _shared_rules(
    fields: Mapping[str, Any], given: set[str], profile: EnvironmentProfile
) -> Iterator[Problem]:
    """The shared stack alone creates the model registry, and the Key Vault and container
    registry that dev, qa and prod may adopt (their mode: shared); it adopts none itself."""
    environment, vault = fields["environment"], fields.get("key_vault")
    models, images = fields.get("model_registry"), fields.get("container_registry")
    elsewhere = "is only valid in the shared stack (mlops:environment: shared)"
    if profile.has_workspace:
        # ModelRegistrySettings reports it itself where the loader gave it the environment.
        if models is not None and models.mode == "create":
            yield (_key("modelRegistry"), "mode"), registry_created_elsewhere(environment)
        if vault is not None and vault.mode == "create":
            yield (
                (_key("keyVault"), "mode"),
                f"create {elsewhere}; this stack creates its own vault unless mode: shared "
                "adopts the shared stack's (or existingId another)",
            )
        parts = (models, vault, images)
        if "shared_stack" in given and not any(p is not None and p.mode == "shared" for p in parts):
            yield (
                (_key("sharedStack"),),
                "is read by nothing: set mode: shared in mlops:modelRegistry, mlops:keyVault or "
                "mlops:containerRegistry, or remove it",
            )
        return
    if models is not None and models.mode != "create":
        yield (
            (_key("modelRegistry"), "mode"),
            "must be create in shared: the shared stack is where the registry is created",
        )
    for index, region in enumerate(models.regions if models is not None else ()):
        if region == fields.get("location"):
            yield (
                (_key("modelRegistry"), "regions", index),
                "is the primary region (azure-native:location); list only the replicas",
            )
    if fields.get("protect_choice") is False:
        yield (
            (_key("protect"),),
            "must not be false in shared: the registry holds every promoted model version",
        )
    network = fields.get("network")
    for name in sorted(WORKSPACE_NETWORK_KEYS & (network.model_fields_set if network else set())):
        alias = NetworkSettings.model_fields[name].alias or name
        yield (
            (_key("network"), alias),
            "is not valid in shared: the shared stack has no workspace; its network keys are "
            "inbound, subnetId and privateDns, for the model registry's private endpoints",
        )
    if vault is not None and vault.adopted:
        yield (
            (_key("keyVault"), "existingId" if vault.existing is not None else "mode"),
            "is not valid in shared: the shared stack creates the vault (mode: create) that "
            "dev, qa and prod adopt",
        )
    if images is not None and images.mode in ("existing", "shared"):
        yield (
            (_key("containerRegistry"), "mode"),
            "must be create (or none) in shared: the shared stack creates the registry that "
            "dev, qa and prod adopt",
        )


def _kubernetes_rules(fields: Mapping[str, Any], given: set[str], *_: Any) -> Iterator[Problem]:
    """Attached clusters need a workspace without a managed network, and endpoints name one."""
    key = _key("kubernetesClusters")
    attached, network = fields.get("kubernetes_clusters", ()), fields.get("network")
    if attached and network is not None and network.managed:
        # https://learn.microsoft.com/azure/machine-learning/how-to-managed-network#limitations:
        # "Kubernetes and attached VMs aren't supported in an Azure Machine Learning managed
        # virtual network."
        yield (
            (key,),
            f"needs a workspace without a managed network, but mlops:network.isolation is "
            f"{network.isolation_mode}: Azure ML does not support Kubernetes compute in a "
            "managed virtual network; attach clusters in a stack with isolation: disabled or "
            f"{CUSTOMER_MANAGED}",
        )
    if "kubernetes_clusters" in given and ("kubernetes_clusters" not in fields or None in attached):
        return  # a broken entry says what is wrong with it; its name is unknown
    names = [entry.name for entry in attached]
    for index, endpoint in enumerate(fields.get("endpoints", ())):
        wanted = None if endpoint is None else endpoint.kubernetes_cluster
        if wanted is not None and wanted not in names:
            listed = f"listed: {', '.join(names)}" if names else "none is listed"
            yield (
                (_key("endpoints"), index, "kubernetesCluster"),
                f"{wanted!r} is not the name of an entry of {key} ({listed})"
                f"{did_you_mean(wanted, names)}",
            )


# Storage redundancies that keep copies in several availability zones of a region.
ZONE_REDUNDANT_REPLICATIONS: Final = frozenset({"ZRS", "GZRS", "RAGZRS"})
REGIONS_LIST = "https://learn.microsoft.com/azure/reliability/regions-list"


def _availability_zone_rules(
    fields: Mapping[str, Any], given: set[str], profile: EnvironmentProfile
) -> Iterator[Problem]:
    """Zone-redundant storage and registries only in regions with availability zones: elsewhere
    Azure refuses them when `pulumi up` creates them, after the stack's other resources.
    https://learn.microsoft.com/azure/storage/common/storage-redundancy#zone-redundant-storage"""
    environment, location = fields["environment"], fields.get("location")
    storage, images = fields.get("storage"), fields.get("container_registry")
    models = fields.get("model_registry")
    # The profile makes registries zone redundant (chosen at creation only): a Premium container
    # registry's zoneRedundancy, the model registry's Standard_ZRS storage. Refused rather than
    # silently downgraded, as the policy pack requires prod's registry to be zone redundant.
    creates_models = not profile.has_workspace and models is not None and models.mode == "create"
    zoned = creates_models and profile.zone_redundant_registry
    for index, region in enumerate(fields["model_registry"].regions if zoned else ()):
        if region not in AVAILABILITY_ZONE_REGIONS:
            yield (
                (_key("modelRegistry"), "regions", index),
                f"{region} has no availability zones, which the model registry's zone-redundant "
                f"storage (Standard_ZRS, in each of its regions in {environment}) needs: "
                f"replicate to a region with availability zones ({REGIONS_LIST})",
            )
    if location is None or location in AVAILABILITY_ZONE_REGIONS:
        return
    # The shared stack has no workspace storage (mlops:storage is refused there).
    if profile.has_workspace and storage and storage.replication in ZONE_REDUNDANT_REPLICATIONS:
        yield (
            (_key("storage"), "replication"),
            f"{storage.replication} needs a region with availability zones, and {location} "
            "(azure-native:location) has none: use LRS, GRS or RAGRS there (ZRS is the default, "
            "so a stack in a region without zones must set mlops:storage.replication)",
        )
    needing: list[str] = []
    if images is not None and images.mode == "create" and images.sku == "Premium":
        needing.append("the Premium container registry's zone redundancy (mlops:containerRegistry)")
    if creates_models:
        needing.append("the model registry's zone-redundant storage (Standard_ZRS)")
    if needing and profile.zone_redundant_registry:
        yield (
            ("azure-native:location",),
            f"{location} has no availability zones, which {' and '.join(needing)} in "
            f"{environment} need: deploy to a region with availability zones ({REGIONS_LIST})",
        )


def builds_images(
    environment: str | None, network: NetworkSettings | None, registry: RegistrySettings | None
) -> bool:
    """A workspace behind a network (a managed one, or the team's) with a container registry
    builds images on a cluster of its own: the registry, behind the network, cannot build
    them."""
    workspace = environment in InWorkspace.values
    return (
        workspace
        and network is not None
        and network.isolated
        and (registry is not None and registry.mode != "none")
    )


def batch_storage_endpoints(
    network: NetworkSettings | None, endpoints: Sequence[EndpointSettings]
) -> bool:
    """The workspace storage's queue and table private endpoints in subnetId: batch deployments
    need all four of blob, file, queue and table, and with customerManaged the batch clusters
    reach the storage through the team's network (a managed network has its own rules).
    https://learn.microsoft.com/azure/machine-learning/how-to-secure-batch-endpoint#securing-batch-endpoints"""
    batch = any(endpoint.kind == "batch" for endpoint in endpoints)
    return batch and network is not None and network.customer_managed


def _customer_managed_rules(fields: Mapping[str, Any], *_: Any) -> Iterator[Problem]:
    """What the team's network (isolation: customerManaged) cannot carry."""
    network = fields.get("network")
    if network is None or not network.customer_managed:
        return
    for index, endpoint in enumerate(fields.get("endpoints", ())):
        if endpoint is None or endpoint.serving != "managedOnline":
            continue
        # Without a managed network a managed online deployment's outbound is private only in
        # Microsoft's legacy per-deployment isolation (egress_public_network_access: disabled),
        # which it recommends against and which reaches the workspace's own storage and registry
        # only: "if the deployment uses model assets uploaded to other storage accounts, the
        # model download will fail" (the model registry's models are in its own storage).
        yield (
            (_key("endpoints"), index, "kind"),
            f"online without kubernetesCluster (a managed online endpoint) is not valid with "
            f"mlops:network.isolation: {CUSTOMER_MANAGED}: without a managed network, Azure ML's "
            "only private outbound for its deployments is the legacy per-deployment network "
            "(egress_public_network_access: disabled), which Microsoft recommends against and "
            "which cannot download the model registry's models "
            f"({ONLINE_ENDPOINT_ISOLATION}); serve it on an attached AKS cluster "
            "(kubernetesCluster), or use a managed network",
        )


def encrypts_registry(
    encryption: EncryptionSettings | None,
    vault: KeyVaultSettings | None,
    registry: RegistrySettings | None,
    network: NetworkSettings | None,
) -> bool:
    """A container registry takes a customer-managed key only when it is created, through a
    user-assigned identity, which passes no Key Vault firewall (a registry passes it with its
    system-assigned identity alone, which it gets after creation):
    https://learn.microsoft.com/azure/container-registry/container-registry-customer-managed-keys
    So the registry this stack creates takes the key where the key's vault accepts public
    traffic: the stack's own vault (mode create), which refuses it wherever the workspace is
    isolated (a managed network or the team's)."""
    return (
        encryption is not None
        and encryption.mode == "create"
        and vault is not None
        and not vault.adopted
        and registry is not None
        and registry.mode == "create"
        and network is not None
        and not network.isolated
    )


def _encryption_rules(fields: Mapping[str, Any], given: set[str], *_: Any) -> Iterator[Problem]:
    """Where the customer-managed key lives: create makes it in the stack's own vault, existing
    names a vault the key is in; a registry that takes the key is Premium."""
    encryption, vault = fields.get("encryption"), fields.get("key_vault")
    if encryption is None or vault is None or not encryption.enabled:
        return
    key = (_key("encryption"),)
    adopted = "existingId" if vault.existing is not None else "mode: shared"
    if encryption.mode == "create" and vault.adopted:
        yield (
            (*key, "mode"),
            f"create makes the key in the stack's own Key Vault, but mlops:keyVault adopts "
            f"another's ({adopted}), whose keys its owner makes: use mode: existing with the "
            "keyId of a key there (or let the stack create its vault)",
        )
    if encryption.mode == "existing" and encryption.key_vault is None:
        if not vault.adopted:
            yield (
                (*key, "keyVaultId"),
                "is required with mode: existing while the stack creates its own Key Vault (which "
                "holds no key before the stack exists): the resource ID of the vault holding "
                "keyId, or mode: create to make the key in the stack's vault",
            )
        elif (
            vault.existing is not None
            and encryption.key is not None
            and vault.existing.name.lower() != encryption.key.vault
        ):
            yield (
                (*key, "keyId"),
                f"is a key of vault {encryption.key.vault}, but the stack adopts vault "
                f"{vault.existing.name} (mlops:keyVault.existingId): give the vault holding the "
                "key as keyVaultId",
            )
    registry, network = fields.get("container_registry"), fields.get("network")
    encrypted = encrypts_registry(encryption, vault, registry, network)
    if encrypted and registry is not None and registry.sku != "Premium":
        yield (
            (_key("containerRegistry"), "sku"),
            f"must be Premium with mlops:encryption (mode {encryption.mode}): the registry takes "
            "the customer-managed key, which only Premium supports "
            "(https://learn.microsoft.com/azure/container-registry/container-registry-customer-managed-keys)",
        )


def _image_build_used(fields: Mapping[str, Any], given: set[str], *_: Any) -> Iterator[Problem]:
    """mlops:imageBuild configures a cluster only a workspace behind a network (managed, or the
    team's) with a container registry gets: elsewhere it would be silently ignored."""
    network, registry = fields.get("network"), fields.get("container_registry")
    in_workspace = fields.get("environment") in InWorkspace.values  # shared: refused as such
    if "image_build" not in given or network is None or registry is None or not in_workspace:
        return
    if not builds_images(fields.get("environment"), network, registry):
        yield (
            (_key("imageBuild"),),
            "is only used with a managed network or the team's (mlops:network.isolation other "
            "than disabled) and a container registry (mlops:containerRegistry.mode other than "
            "none): only then does the registry, behind the network, need a cluster to build "
            "images on",
        )


def _endpoint_logs_used(fields: Mapping[str, Any], given: set[str], *_: Any) -> Iterator[Problem]:
    """mlops:endpointLogs on where no managed online endpoint would send any would be silently
    ignored: Kubernetes online endpoints and batch endpoints get no diagnostic setting."""
    logs = fields.get("endpoint_logs")
    if logs is None or not logs.enabled or "endpoints" in given - fields.keys():
        return  # off, or endpoints that failed their own checks say what is wrong with them
    if fields.get("environment") not in InWorkspace.values:
        return  # shared: refused as such
    endpoints = fields.get("endpoints", ())
    if None in endpoints or any(e.serving == "managedOnline" for e in endpoints):
        return
    yield (
        (_key("endpointLogs"), "enabled"),
        "is only used with a managed online endpoint (an online entry of mlops:endpoints "
        "without kubernetesCluster): only those send traffic, console and event logs through "
        "a diagnostic setting; on a Kubernetes online endpoint logging is the cluster owner's "
        f"({ONLINE_KINDS}), and batch endpoints' jobs reach Log Analytics through the "
        "workspace's own diagnostic setting",
    )


def _regulated_rules(fields: Mapping[str, Any], given: set[str], *_: Any) -> Iterator[Problem]:
    """mlops:compliance: regulated in prod requires each control the policy pack's compliance
    area checks, named here so that the preview says so before the policy pack does."""
    if fields.get("compliance") != "regulated" or fields.get("environment") != "prod":
        return
    encryption, endpoints = fields.get("encryption"), fields.get("endpoints", ())
    logs = fields.get("endpoint_logs")
    missing: list[str] = []
    if encryption is not None and not encryption.enabled:
        missing.append("mlops:encryption.mode (create or existing: a customer-managed key)")
    if "high_business_impact" in fields and fields["high_business_impact"] is not True:
        missing.append("mlops:highBusinessImpact: true")
    managed_online = any(e is not None and e.serving == "managedOnline" for e in endpoints)
    if managed_online and logs is not None and not logs.enabled:
        missing.append("mlops:endpointLogs.enabled: true (the managed online endpoints' logs)")
    if missing:
        yield (
            (_key("compliance"),),
            f"regulated in prod requires {'; '.join(missing)}: the policy pack's compliance area "
            "refuses a regulated prod workspace without them. A workspace's key and high "
            "business impact are chosen when it is created: set them before its first `pulumi "
            "up`, or use a new stack",
        )


RULES: Final = (
    _principal_types_agree,
    _image_build_used,
    _endpoint_logs_used,
    _targets_once,
    _compute_names,
    _registry_rules,
    _private_dns_zones,
    _kubernetes_rules,
    _customer_managed_rules,
    _encryption_rules,
    _regulated_rules,
)
PROFILE_RULES: Final = (_profile_rules, _shared_rules, _availability_zone_rules)
