"""The access matrix: which identity gets which role on what, and why. Grants come from here only.

``MATRIX`` is one table. Each row names the kinds of principal it is for, a built-in role, the
kind of scope, the reason and the Microsoft Learn page that says so. Components describe the
principals they own (``Holder``) and the scopes of the stack (``Targets``); ``resolve`` turns the
rows into concrete grants and ``grant_all`` registers them through ``StackContext.grant``. No
component names a role itself. docs/access.md is generated from what the program registers
(``python -m offline.access_doc``).

Rows marked ``by_azure`` are role assignments Azure ML creates itself. The program must not
create them again: a second assignment of the same role, scope and principal fails with
``RoleAssignmentExists``. They are listed so that a reviewer sees every identity's access.

The workspace storage refuses shared keys (unless ``mlops:storage.sharedKeyAccess``), so every
path to its data is a role: jobs, people in the studio and notebooks, and the release pipeline
each get the data roles Microsoft lists for Entra-ID-only workspace storage. Datastores are
identity-based, so whoever reads them (the workspace for previews, jobs, people, batch jobs
invoked by the pipeline) needs a data role on the datastore's own container, addressed in that
container's subscription. No identity gets a Key Vault secrets role from this table:
identity-based datastores keep no secrets there. The one Key Vault role is the encryption
identity's (with ``mlops:encryption``), which wraps and unwraps data keys with the
customer-managed key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import pulumi
from pulumi_azure_native import authorization

from components.context import StackContext
from components.shared_stack import Adopted
from settings.datastores import SERVICES, DatastoreScope
from settings.learn import (
    APPROVE_ENDPOINTS,
    ASSIGN_ROLES,
    BATCH_DATA,
    BATCH_INVOKE,
    CMK,
    CMK_IDENTITY,
    COMPUTE_ACR,
    DATA_AUTH,
    ENDPOINT_ROLES,
    IMAGE_BUILDS,
    JOB_DATA,
    KEY_VAULT_RBAC,
    NO_SHARED_KEY,
    ONLINE_ENDPOINT_ROLES,
    REGISTRY_CMK,
    REGISTRY_NETWORK,
    REGISTRY_READ,
    REGISTRY_USER,
    REGISTRY_WRITE,
    SHARE_MODELS,
    STORAGE_CMK,
    WORKSPACE_ROLES,
)
from settings.profiles import PROFILES
from settings.roles import BUILT_IN_ROLES
from settings.schema import DatastoreSettings

Principal = Literal[
    "workspace",
    "computeCluster",
    "batchCluster",
    "onlineEndpoint",
    "kubernetesEndpoint",
    "instanceUser",
    "dataScientist",
    "accessEntry",
    "releasePipeline",
    "imageBuilder",
    "encryptionIdentity",
]
ScopeKind = Literal[
    "workspace",
    "resourceGroup",
    "storage",
    "keyVault",
    "registry",
    "logAnalytics",
    # Per storage service the datastore kinds use, its read-only and its writable datastores.
    DatastoreScope,
    "datastoreAccounts",
    "dependencies",
    "modelRegistry",
    "encryptionVault",
    "entry",
]

# In words, for docs/access.md and reviewers.
PRINCIPALS: Final[Mapping[Principal, str]] = {
    "workspace": "Workspace identity (system-assigned)",
    "computeCluster": "Each compute cluster's identity (dev)",
    "batchCluster": "Each batch endpoint's cluster identity",
    "onlineEndpoint": "Each managed online endpoint's identity (system-assigned)",
    "kubernetesEndpoint": "Each Kubernetes online endpoint's identity (system-assigned)",
    "instanceUser": "Each compute instance's assigned user",
    "dataScientist": (
        "Each `mlops:access` entry granting AzureML Data Scientist (unless `dataAccess: false`)"
    ),
    "accessEntry": "Each `mlops:access` entry",
    "releasePipeline": "The release pipeline (`mlops:releasePipeline`)",
    "imageBuilder": "The image build cluster's identity",
    "encryptionIdentity": (
        "The encryption identity (user-assigned, with `mlops:encryption`) of the workspace, its "
        "storage and registry"
    ),
}
SCOPES: Final[Mapping[ScopeKind, str]] = {
    "workspace": "the Azure ML workspace",
    "resourceGroup": "the resource group",
    "storage": "the workspace storage account",
    "keyVault": "the Key Vault",
    "registry": "the container registry",
    "logAnalytics": "the Log Analytics workspace",
    **{
        scope: f"each datastore's {service.item} (`readOnly: {flag}`)"
        for service in SERVICES
        for scope, flag in ((service.read_only_scope, "true"), (service.writable_scope, "false"))
    },
    "datastoreAccounts": "each datastore's storage account",
    "dependencies": "its storage account, Key Vault, registry and Application Insights",
    "modelRegistry": "the shared Azure ML registry (`mlops:modelRegistry`)",
    "encryptionVault": "the Key Vault holding the customer-managed key (`mlops:encryption`)",
    "entry": "the scope the entry names",
}
# The role and scope an `mlops:access` entry names: reviewed in the stack's config.
AS_CONFIGURED: Final = "the role the entry names"

# Where models are shared from to the registry, and where they are deployed from it.
SHARING: Final = tuple(env for env, p in PROFILES.items() if p.shares_models)
DEPLOYING: Final = tuple(
    env for env, p in PROFILES.items() if p.has_workspace and not p.shares_models
)

JOBS: Final[tuple[Principal, ...]] = ("computeCluster", "batchCluster")
ONLINE: Final[tuple[Principal, ...]] = ("onlineEndpoint", "kubernetesEndpoint")
PEOPLE: Final[tuple[Principal, ...]] = ("dataScientist", "instanceUser")


@dataclass(frozen=True)
class Entitlement:
    """One row: these principals get this role on this scope, for this reason."""

    principals: tuple[Principal, ...]
    role: str
    scope: ScopeKind
    why: str
    # The Microsoft Learn page(s) saying so.
    source: str | tuple[str, ...]
    # Azure ML creates this assignment itself; the program must never create it too.
    by_azure: bool = False
    # Only in these environments (all, when empty).
    environments: tuple[str, ...] = ()
    # Only where the workspace has a managed network (its outbound private endpoints).
    managed_network_only: bool = False

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else self.source


def _on_datastores(
    principals: tuple[Principal, ...],
    reading: tuple[str, str | tuple[str, ...]],
    writing: tuple[str, str | tuple[str, ...]],
) -> tuple[Entitlement, ...]:
    """Rows on the datastores, for each storage service the kinds use (settings/datastores.py):
    its reader role on the read-only datastores and its contributor role on the writable ones,
    each with its reason and sources."""
    return tuple(
        row
        for service in SERVICES
        for row in (
            Entitlement(principals, service.reader, service.read_only_scope, *reading),
            Entitlement(principals, service.contributor, service.writable_scope, *writing),
        )
    )


MATRIX: Final[tuple[Entitlement, ...]] = (
    # The workspace: previews and profiles of datastores in the studio use its identity.
    *_on_datastores(("workspace",),
                    ("data preview and profiling of the datastore in the studio", DATA_AUTH),
                    ("data preview and profiling of the writable datastore", DATA_AUTH)),
    Entitlement(("workspace",), "the roles Azure ML chooses", "dependencies",
                "created with the workspace (system-assigned identity)", WORKSPACE_ROLES,
                by_azure=True),
    # Jobs (training clusters, batch deployments) read and write data as the cluster identity.
    *_on_datastores(JOBS,
                    ("jobs read their inputs from the datastore", (JOB_DATA, BATCH_DATA)),
                    ("jobs read and write the writable datastore", (JOB_DATA, DATA_AUTH))),
    Entitlement(JOBS, "Storage Blob Data Contributor", "storage",
                "jobs read code and write outputs, models and MLflow artifacts (default datastore)",
                NO_SHARED_KEY),
    Entitlement(JOBS, "Storage Queue Data Contributor", "storage",
                "parallel jobs and batch deployments (parallel run) use queues", NO_SHARED_KEY),
    Entitlement(JOBS, "Storage Table Data Contributor", "storage",
                "parallel jobs and batch deployments (parallel run) use tables", NO_SHARED_KEY),
    Entitlement(JOBS, "AcrPull", "registry",
                "pulls the job's environment image; Azure ML grants it when the cluster is created "
                "after the workspace registry, which the program guarantees", COMPUTE_ACR,
                by_azure=True),
    # The image build compute builds environment images where the registry is behind a network.
    Entitlement(("imageBuilder",), "Storage Blob Data Contributor", "storage",
                "reads the image's build context and writes the build's logs", (IMAGE_BUILDS,
                NO_SHARED_KEY)),
    Entitlement(("imageBuilder",), "AcrPush", "registry",
                "pushes the image it built and pulls base images (AcrPush includes pull)",
                (IMAGE_BUILDS, COMPUTE_ACR)),
    # Online endpoints, managed and Kubernetes alike: Azure ML grants their system-assigned
    # identity what a deployment needs ("Online endpoints require ... AcrPull ... and Storage
    # Blob Data Reader", ONLINE_ENDPOINT_ROLES, a page for both kinds).
    Entitlement(ONLINE, "AcrPull", "registry",
                "pulls the deployment's image", (ENDPOINT_ROLES, ONLINE_ENDPOINT_ROLES),
                by_azure=True),
    Entitlement(ONLINE, "Storage Blob Data Reader", "storage",
                "reads the model from the default datastore",
                (ENDPOINT_ROLES, ONLINE_ENDPOINT_ROLES), by_azure=True),
    # Managed online endpoints only: Azure Monitor's metrics of a Kubernetes deployment are
    # "user responsibility" (ONLINE_KINDS), and no hop of one needs this role.
    Entitlement(("onlineEndpoint",), "AzureML Metrics Writer (preview)", "workspace",
                "writes metrics to the workspace", ENDPOINT_ROLES, by_azure=True),
    # People: the studio, notebooks and uploads use the person's own identity.
    Entitlement(PEOPLE, "Storage Blob Data Contributor", "storage",
                "studio data browsing, uploads, datasets and labeling on Entra-ID-only storage",
                NO_SHARED_KEY),
    Entitlement(PEOPLE, "Storage File Data Privileged Contributor", "storage",
                "notebooks, their file explorer and compute instances use the workspace file share",
                NO_SHARED_KEY),
    *_on_datastores((*PEOPLE, "releasePipeline"),
                    ("reads the datastore with their own identity (notebooks, browsing, batch "
                     "jobs they invoke)", DATA_AUTH),
                    ("reads and writes the writable datastore with their own identity",
                     DATA_AUTH)),
    # The release pipeline registers models, deploys them and invokes batch endpoints.
    Entitlement(("releasePipeline",), "AzureML Data Scientist", "workspace",
                "registers models, creates deployments, invokes endpoints",
                (ASSIGN_ROLES, BATCH_INVOKE)),
    Entitlement(("releasePipeline",), "Storage Blob Data Contributor", "storage",
                "uploads models and batch inputs, reads outputs on Entra-ID-only storage",
                NO_SHARED_KEY),
    # The shared model registry: the workspace uses its assets; models are shared to it from
    # dev and deployed from it, unchanged, in qa and prod.
    Entitlement(("workspace",), "AzureML Registry User", "modelRegistry",
                "uses the registry's models, environments and components in jobs and deployments",
                (SHARE_MODELS, REGISTRY_USER), environments=SHARING),
    Entitlement(("workspace",), "Reader", "modelRegistry",
                "uses the registry's models and environments in deployments, never changing them",
                (REGISTRY_READ, SHARE_MODELS), environments=DEPLOYING),
    # The managed network's private endpoints to targets outside the stack stay Pending until
    # someone allowed to approves them: the workspace identity, with this role on the target.
    Entitlement(("workspace",), "Azure AI Enterprise Network Connection Approver",
                "datastoreAccounts", "approves its managed network's private endpoints to the "
                "datastore's storage account", APPROVE_ENDPOINTS, managed_network_only=True),
    Entitlement(("workspace",), "Azure AI Enterprise Network Connection Approver",
                "modelRegistry", "approves its managed network's private endpoint to the registry",
                APPROVE_ENDPOINTS, managed_network_only=True),
    Entitlement(("dataScientist", "releasePipeline"), "AzureML Registry User", "modelRegistry",
                "shares models from the dev workspace to the registry (az ml model share)",
                (REGISTRY_WRITE, REGISTRY_NETWORK, REGISTRY_USER), environments=SHARING),
    Entitlement(("releasePipeline",), "Reader", "modelRegistry",
                "reads the registry's model version to deploy it to an endpoint", REGISTRY_READ,
                environments=DEPLOYING),
    Entitlement((*ONLINE, "batchCluster"), "Reader", "modelRegistry",
                "pulls the registry model its deployment serves", (REGISTRY_READ, SHARE_MODELS)),
    # The customer-managed key: Azure ML, the storage account and the registry reach it as the
    # encryption identity, which needs "Wrap Key, Unwrap Key, Get" (CMK) and no more: this role.
    # On the vault holding the key, as those pages grant it and Key Vault's RBAC guide recommends
    # over roles on single keys.
    Entitlement(("encryptionIdentity",), "Key Vault Crypto Service Encryption User",
                "encryptionVault", "wraps and unwraps the data keys of the workspace, its "
                "storage and registry with the customer-managed key", (CMK, CMK_IDENTITY,
                STORAGE_CMK, REGISTRY_CMK, KEY_VAULT_RBAC)),
    # Everything else a person, group or pipeline gets is reviewed in the stack's config.
    Entitlement(("accessEntry",), AS_CONFIGURED, "entry", "as configured", ASSIGN_ROLES),
)  # fmt: skip


@dataclass(frozen=True)
class Holder:
    """A principal the program grants roles to."""

    kind: Principal
    principal_id: pulumi.Input[str]
    principal_type: Literal["User", "Group", "ServicePrincipal"]
    # In resource names; unique among the holders of one component.
    key: str
    # In role assignment names (GUIDs): changing it makes Azure see a new assignment.
    label: str
    # In descriptions.
    name: str
    # An `mlops:access` entry: the role and scope it names.
    configured: tuple[str, ScopeKind] | None = None


@dataclass(frozen=True)
class Target:
    """A scope the program grants on."""

    id: pulumi.Input[str]
    # The subscription that holds the scope: role definitions are addressed in it.
    subscription_id: pulumi.Input[str]
    key: str
    label: str
    name: str


@dataclass(frozen=True)
class Targets:
    """The stack's scopes, by kind (a kind without targets: none in this stack)."""

    by_kind: Mapping[ScopeKind, tuple[Target, ...]] = field(default_factory=dict)
    # The stack's environment: rows limited to other environments give nothing here.
    environment: str = ""
    # The workspace has a managed network: rows for its outbound private endpoints apply.
    managed_network: bool = False

    def __getitem__(self, kind: ScopeKind) -> tuple[Target, ...]:
        return self.by_kind.get(kind, ())


def datastore_target(store: DatastoreSettings) -> Target:
    """A datastore's container, addressed in its own subscription."""
    return Target(
        store.scope,
        store.storage_account.subscription_id,
        key=f"datastore-{store.name}",
        # The label the workspace's grant on it was always named with.
        label=store.scope,
        name=f"datastore {store.name}",
    )


def datastore_account_targets(datastores: Sequence[DatastoreSettings]) -> tuple[Target, ...]:
    """Each storage account the datastores are in, once, addressed in its own subscription."""
    accounts = {s.storage_account.id.lower(): s.storage_account for s in datastores}
    return tuple(
        Target(
            account.id,
            account.subscription_id,
            key=f"account-{account.name}",
            label=lowered,
            name=f"storage account {account.name}",
        )
        for lowered, account in accounts.items()
    )


def stack_targets(
    context: StackContext,
    own: Mapping[ScopeKind, pulumi.Input[str]],
    *,
    key_vault: tuple[pulumi.Input[str], pulumi.Input[str]],
    registry: tuple[pulumi.Input[str], pulumi.Input[str]] | None,
    datastores: Sequence[DatastoreSettings],
    environment: str = "",
    model_registry: Adopted | None = None,
    managed_network: bool = False,
) -> Targets:
    """The scopes of a stack: its own resources (``own``, in the stack's subscription), the Key
    Vault and registry (as ``(id, subscription)``: they may be adopted from another one), the
    datastores' containers and the shared model registry (in the shared stack's subscription)."""

    def target(
        kind: ScopeKind, scope: pulumi.Input[str], subscription: pulumi.Input[str]
    ) -> Target:
        # The labels role assignment names were always derived from: never change them.
        return Target(scope, subscription, key=kind, label=kind, name=SCOPES[kind])

    found: dict[ScopeKind, tuple[Target, ...]] = {
        kind: (target(kind, scope, context.subscription_id),) for kind, scope in own.items()
    }
    found["keyVault"] = (target("keyVault", *key_vault),)
    if registry is not None:
        found["registry"] = (target("registry", *registry),)
    for store in datastores:
        found[store.matrix_scope] = (*found.get(store.matrix_scope, ()), datastore_target(store))
    found["datastoreAccounts"] = datastore_account_targets(datastores)
    if model_registry is not None:
        found["modelRegistry"] = (
            target("modelRegistry", model_registry.id, model_registry.subscription_id),
        )
    return Targets(found, environment, managed_network)


@dataclass(frozen=True)
class Grant:
    holder: Holder
    role: str
    target: Target
    reasons: tuple[str, ...]

    @property
    def role_guid(self) -> str:
        return BUILT_IN_ROLES[self.role]

    @property
    def description(self) -> str:
        return (
            f"{self.role} for {self.holder.name} on {self.target.name}: {'; '.join(self.reasons)}"
        )

    @property
    def identity(self) -> tuple[str, str, str]:
        """What Azure allows once: principal, role, scope."""
        return self.holder.label, self.role, self.target.label


def _rows_for(holder: Holder, targets: Targets) -> Iterator[tuple[str, ScopeKind, str]]:
    for row in MATRIX:
        if holder.kind not in row.principals or row.by_azure:
            continue
        if row.environments and targets.environment not in row.environments:
            continue
        if row.managed_network_only and not targets.managed_network:
            continue
        if row.role == AS_CONFIGURED:
            assert holder.configured is not None, "an access entry names its role and scope"
            yield (*holder.configured, row.why)
        else:
            yield row.role, row.scope, row.why


def resolve(holders: Sequence[Holder], targets: Targets) -> list[Grant]:
    """Every grant the matrix gives ``holders`` on ``targets``, each (principal, role, scope)
    once: two rows (or two holders naming one principal) asking for the same assignment give
    one grant with both reasons, since Azure refuses a second identical assignment."""
    grants: dict[tuple[str, str, str], Grant] = {}
    for holder in holders:
        for role, scope, why in _rows_for(holder, targets):
            if not targets[scope] and holder.configured is not None:
                raise ValueError(f"no {scope} to grant {role} on (settings refuse such entries)")
            for target in targets[scope]:
                grant = Grant(holder, role, target, (why,))
                seen = grants.setdefault(grant.identity, grant)
                if why not in seen.reasons:
                    grants[grant.identity] = Grant(seen.holder, role, target, (*seen.reasons, why))
    return list(grants.values())


def grant_all(
    context: StackContext,
    component: str,
    holders: Sequence[Holder],
    targets: Targets,
    *,
    parent: pulumi.Resource,
    prefix: str = "",
    aliases: Callable[[Grant], Sequence[pulumi.Alias]] = lambda _: (),
) -> list[tuple[Grant, authorization.RoleAssignment]]:
    """Register the grants of ``holders`` as children of ``parent``, named after the scope, the
    principal and the role (never after the row that asked: that would rename, and so recreate,
    an assignment when config changes). Descriptions start with ``prefix``."""
    return [
        (
            grant,
            context.grant(
                f"{component}-{grant.target.key}-{grant.holder.key}-{grant.role_guid[:8]}",
                role=grant.role,
                scope=grant.target.id,
                scope_label=grant.target.label,
                principal_id=grant.holder.principal_id,
                principal_label=grant.holder.label,
                principal_type=grant.holder.principal_type,
                parent=parent,
                description=f"{prefix}{grant.description}",
                subscription_id=grant.target.subscription_id,
                aliases=aliases(grant),
            ),
        )
        for grant in resolve(holders, targets)
    ]
