"""The journey table (``settings.journeys``) evaluated over a stack's plan.

Each hop is judged on what the program registered: the network path (an inbound private
endpoint, a managed-network outbound rule, Azure ML's required rules, a storage firewall rule)
and the permission (a role assignment the access matrix gives, or one Azure ML grants itself).
Removing any enabling piece from the plan fails the hop that needs it. A journey that the
stack's config switches off (``mlops:journeys``) is reported with its reason and never fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from components.access import MATRIX
from components.managed_network import WORKSPACE_STORAGE_SUBRESOURCES, pending_approvals
from components.shared_stack import Adopted, UsedModelRegistry
from offline.engine import ProgramRun, Resource
from offline.references import used
from offline.resource_types import JourneyPart, resource_type
from settings.datastores import SERVICES
from settings.journeys import JOURNEYS, Hop, Journey
from settings.kubernetes import EXTENSION_TYPE, MLWORKLOAD_ROLE
from settings.loader import load
from settings.roles import BUILT_IN_ROLES, ROLES_INCLUDING
from settings.schema import PACKAGE_FEEDS, Settings

# The component whose user-assigned identity is the encryption identity (mlops:encryption).
ENCRYPTION_COMPONENT: Final = "mlops:encryption:Encryption"
# The compute whose identity is each kind of workload principal, by its parent component.
WORKLOAD_PARENTS: Final[Mapping[str, str]] = {
    "computeCluster": "mlops:compute:DevCompute",
    "batchCluster": "mlops:endpoints:Endpoints",
}
# What Azure ML's required rules reach on the workspace's own resources ("List of required
# rules": private endpoints to the workspace, its storage, Key Vault and registry).
REQUIRED_SUBRESOURCES: Final[Mapping[str, frozenset[str]]] = {
    "workspace": frozenset({"amlworkspace"}),
    "storage": frozenset(WORKSPACE_STORAGE_SUBRESOURCES),
    "registry": frozenset({"registry"}),
}
# The config key that gives a hop its path, by where it starts and what it reaches; a path
# the program always makes for what config asks has no key of its own.
FIX_KEYS: Final[Mapping[tuple[str, str], str]] = {
    ("client", "storage"): "mlops:network.clientIpRanges (or inbound: private)",
    ("client", "workspace"): "mlops:network.inbound",
    ("managedNetwork", "modelRegistry"): "mlops:network.isolation (a managed network)",
    ("managedNetwork", "modelRegistryStorage"): "mlops:modelRegistry.storageAccountId",
    ("managedNetwork", "modelRegistryAcr"): "mlops:modelRegistry.containerRegistryId",
    ("managedNetwork", "packageFeeds"): "mlops:network.outboundFqdns",
    ("azureML", "imageBuildCompute"): "mlops:network.isolation and mlops:containerRegistry",
    ("azureML", "kubernetesCompute"): "mlops:kubernetesClusters (manage: true, extension)",
    ("kubernetesCluster", "applicationInsights"): (
        "the workspace's Application Insights accepting public ingestion (the program builds no "
        "Azure Monitor Private Link Scope)"
    ),
}
TEAM_NETWORK_FIX: Final = "mlops:network (inbound: private, subnetId, privateDns)"
OK: Final = "✓"
BROKEN: Final = "✗"


@dataclass(frozen=True)
class HopResult:
    hop: Hop
    ok: bool
    # Why it holds (the path and permission found) or why not, with the key that fixes it.
    detail: str


@dataclass(frozen=True)
class JourneyResult:
    journey: Journey
    # None: it does not apply here (why in ``note``), or config switched it off.
    hops: tuple[HopResult, ...] | None
    note: str = ""
    switched_off: bool = False

    @property
    def broken(self) -> bool:
        return not self.switched_off and any(not h.ok for h in self.hops or ())


@dataclass(frozen=True)
class JourneyReport:
    stack: str
    results: tuple[JourneyResult, ...]

    @property
    def broken(self) -> tuple[JourneyResult, ...]:
        return tuple(r for r in self.results if r.broken)


def matrix_row(hop: Hop) -> bool:
    """Whether the hop's role is the access matrix's for its principal and scope."""
    if hop.role is None or hop.scope in (None, "datastores"):
        return True
    if hop.who == "dataScientist" and hop.role == "AzureML Data Scientist":
        return True  # what makes an access entry a data scientist's
    return any(
        hop.who in row.principals and row.role == hop.role and row.scope == hop.scope
        for row in MATRIX
    )


def _by_azure(who: str, role: str, scope: str) -> bool:
    return any(
        row.by_azure and who in row.principals and row.role == role and row.scope == scope
        for row in MATRIX
    )


class _Plan:
    """The facts of one run that hops are judged on."""

    def __init__(self, run: ProgramRun, settings: Settings) -> None:
        self.run, self.settings = run, settings
        # What the stack uses of the shared stack's (or others'), as the program resolved it.
        self.used = {part: found.id for part, found in used(settings, run.references).items()}
        self.by_urn = {r.urn: r for r in run.resources}
        self.workspace = self._one(JourneyPart.WORKSPACE)
        self.storage = self._one(JourneyPart.STORAGE)
        self.registry = self._one(JourneyPart.REGISTRY)
        self.model_registry = self._one(JourneyPart.MODEL_REGISTRY)
        self.insights = self._one(JourneyPart.APPLICATION_INSIGHTS)
        self.assignments = [
            (
                str(r.inputs.get("principalId", "")),
                str(r.inputs.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower(),
                str(r.inputs.get("scope", "")).lower(),
            )
            for r in self.of(JourneyPart.ROLE_ASSIGNMENT)
        ]
        self.endpoints = [
            (
                str(connection.get("privateLinkServiceId", "")).lower(),
                {str(g) for g in connection.get("groupIds", ())},
            )
            for r in self.of(JourneyPart.PRIVATE_ENDPOINT)
            for connection in r.outputs.get("privateLinkServiceConnections", ())
        ]

    def model_registry_used(self) -> UsedModelRegistry | None:
        registry = self.used.get("modelRegistry")
        if registry is None:
            return None
        storage, acr = self.used.get("modelRegistryStorage"), self.used.get("modelRegistryAcr")
        return UsedModelRegistry(
            Adopted(registry.id, registry.name, registry.subscription_id),
            storage_account_id=storage.id if storage else None,
            container_registry_id=acr.id if acr else None,
        )

    def of(self, part: JourneyPart) -> list[Resource]:
        return [r for r in self.run.resources if r.custom and resource_type(r.type).journey is part]

    def _one(self, part: JourneyPart) -> Resource | None:
        found = self.of(part)
        return found[0] if found else None

    # -- who -------------------------------------------------------------------------------

    def principals(self, kind: str) -> list[str]:
        """The principal IDs of a kind of the access matrix in this stack."""
        settings = self.settings
        if kind == "workspace":
            return [_principal(self.workspace)] if self.workspace else []
        if kind == "imageBuilder":  # the compute the workspace builds images on, whichever
            name = self.workspace.inputs.get("imageBuildCompute") if self.workspace else None
            return [
                _principal(r)
                for r in self.of(JourneyPart.COMPUTE)
                if name and r.inputs.get("computeName") == name
            ]
        if kind in WORKLOAD_PARENTS:
            parent_type = WORKLOAD_PARENTS[kind]
            return [
                _principal(r)
                for r in self.of(JourneyPart.COMPUTE)
                if r.parent in self.by_urn and self.by_urn[r.parent].type == parent_type
                and r.inputs.get("properties", {}).get("computeType") == "AmlCompute"
            ]  # fmt: skip
        if kind == "onlineEndpoint":
            managed = {e.name for e in settings.endpoints if e.serving == "managedOnline"}
            return [
                _principal(r)
                for r in self.of(JourneyPart.ONLINE_ENDPOINT)
                if any(r.name.endswith(f"-{name}") for name in managed)
            ]
        if kind == "kubernetesEndpoint":
            return [_principal(r) for r in self.kubernetes_endpoints()]
        if kind == "dataScientist":
            return [g.principal_id for g in settings.access if g.brings_data_access]
        if kind == "accessEntry":
            return [g.principal_id for g in settings.access]
        if kind == "releasePipeline":
            pipeline = settings.release_pipeline
            return [pipeline.principal_id] if pipeline else []
        if kind == "encryptionIdentity":
            return [
                str(r.outputs.get("principalId", ""))
                for r in self.of(JourneyPart.IDENTITY)
                if r.parent in self.by_urn and self.by_urn[r.parent].type == ENCRYPTION_COMPONENT
            ]
        return []

    def kubernetes_endpoints(self) -> list[Resource]:
        """The Kubernetes online endpoints: those that name an attached compute."""
        return [
            r
            for r in self.of(JourneyPart.ONLINE_ENDPOINT)
            if (r.inputs.get("properties") or {}).get("compute")
        ]

    # -- what ------------------------------------------------------------------------------

    def targets(self, destination: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """(label, resource ID, sub-resources) of each resource a destination names."""
        settings = self.settings
        own: dict[str, Resource | None] = {
            "workspace": self.workspace,
            "storage": self.storage,
            "keyVault": self._one(JourneyPart.KEY_VAULT),
            "applicationInsights": self.insights,
        }
        if destination in own:
            found = own[destination]
            return [(found.name, _id(found), ())] if found else []
        if destination == "registry":
            if self.registry is not None:
                return [(self.registry.name, _id(self.registry), ())]
            adopted = self.used.get("containerRegistry")
            return [(adopted.name, adopted.id, ())] if adopted else []
        if destination == "datastores":
            return [(s.name, s.storage_account.id, s.subresources) for s in settings.datastores]
        if destination in ("encryptionKey", "encryptionVault"):
            return self.encryption_targets(destination)
        if self.model_registry is not None:  # the shared stack's own registry
            registry = self.model_registry
            created = {
                "modelRegistry": [_id(registry)],
                "modelRegistryStorage": _created(registry, "storageAccountDetails"),
                "modelRegistryAcr": _created(registry, "acrDetails")[:1],
            }
            what = {"modelRegistryStorage": "'s storage", "modelRegistryAcr": "'s ACR"}
            label = f"{registry.name}{what.get(destination, '')}"
            return [(label, i, ()) for i in created.get(destination, [])]
        chosen = next((u for part, u in self.used.items() if part == destination), None)
        return [(chosen.name, chosen.id, ())] if chosen else []

    def encryption_vault(self) -> tuple[str, str] | None:
        """(name, resource ID) of the vault holding the customer-managed key, or None."""
        encryption = self.settings.encryption
        if encryption.mode == "create":
            vault = self._one(JourneyPart.KEY_VAULT)
            return (vault.name, _id(vault)) if vault else None
        if encryption.key_vault is not None:
            return encryption.key_vault.name, encryption.key_vault.id
        adopted = self.used.get("keyVault")
        return (adopted.name, adopted.id) if adopted else None

    def encryption_targets(self, destination: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """The customer-managed key (encryptionKey), or the vault holding it (encryptionVault)."""
        vault = self.encryption_vault()
        created = self._one(JourneyPart.KEY)
        key = self.settings.encryption.key
        name = str(created.inputs.get("keyName")) if created else key.name if key else None
        if vault is None or name is None:
            return []
        if destination == "encryptionVault":
            return [(f"vault {vault[0]}", vault[1], ())]
        return [(f"key {name}", _id(created) if created else f"{vault[1]}/keys/{name}", ())]

    # -- how -------------------------------------------------------------------------------

    def has_endpoint(self, target_id: str, group: str) -> bool:
        return any(t == target_id.lower() and group in g for t, g in self.endpoints)

    def outbound_rule(self, target_id: str, group: str) -> str | None:
        if self.workspace is None:
            return None
        rules = (self.workspace.inputs.get("managedNetwork") or {}).get("outboundRules") or {}
        for name, rule in rules.items():
            destination = rule.get("destination") or {}
            if not isinstance(destination, Mapping):
                continue
            same = str(destination.get("serviceResourceId", "")).lower() == target_id.lower()
            if same and destination.get("subresourceTarget") == group:
                return name
        return None

    def fqdn_rules(self) -> set[str]:
        if self.workspace is None:
            return set()
        rules = (self.workspace.inputs.get("managedNetwork") or {}).get("outboundRules") or {}
        return {r["destination"] for r in rules.values() if r.get("type") == "FQDN"}

    def isolation(self) -> str:
        network = (self.workspace.inputs.get("managedNetwork") or {}) if self.workspace else {}
        return str(network.get("isolationMode", "Disabled"))

    def public(self, resource: Resource | None) -> bool:
        return resource is not None and resource.inputs.get("publicNetworkAccess") != "Disabled"

    def granted(self, principal: str, role: str, scope: str) -> bool:
        """The principal holds ``role`` on ``scope``, or a role that allows all it does."""
        guids = {BUILT_IN_ROLES[r] for r in (role, *ROLES_INCLUDING.get(role, ()))}
        return any((principal, guid, scope.lower()) in self.assignments for guid in guids)


def _principal(resource: Resource) -> str:
    identity = resource.outputs.get("identity") or {}
    return str(identity.get("principalId", ""))


def _id(resource: Resource) -> str:
    return str(resource.outputs.get("id", resource.id))


def _created(registry: Resource, details: str) -> list[str]:
    """The IDs Azure gives what it created for a registry, region by region."""
    found = []
    for region in registry.outputs.get("regionDetails", ()):
        for detail in region.get(details, ()):
            for created in detail.values():
                resource_id = (created.get("armResourceId") or {}).get("resourceId")
                if resource_id:
                    found.append(resource_id)
    return found


# -- judging a hop ----------------------------------------------------------------------------


def _conditions(plan: _Plan) -> dict[str, bool]:
    settings = plan.settings
    profile = settings.profile
    models = settings.model_registry
    return {
        "workspace": profile.has_workspace,
        "privateInbound": settings.network.private_inbound,
        "managedNetwork": settings.network.managed,
        "isolatedNetwork": settings.network.isolated,
        "containerRegistry": settings.container_registry.mode != "none",
        "datastores": bool(settings.datastores),
        "sharesModels": profile.shares_models,
        "usesModelRegistry": profile.has_workspace and models.used,
        "privateModelRegistry": not profile.has_workspace and not profile.model_registry_public,
        "ownKeyVault": not settings.key_vault.adopted,
        "ownContainerRegistry": settings.container_registry.mode == "create",
        "customerManagedKey": profile.has_workspace and settings.encryption.enabled,
        "encryptedRegistry": profile.has_workspace and settings.encrypts_registry,
    }


def _client_path(plan: _Plan, hop: Hop, label: str, target: str, group: str) -> str | None:
    """Why a client reaches the target, or None. Through a private endpoint where the workspace
    refuses public traffic (or from the team's network), else over the internet."""
    team = hop.origin == "teamNetwork" or not plan.public(plan.workspace)
    if hop.to.startswith("modelRegistry") and plan.model_registry is None:
        # The registry and its endpoints are the shared stack's: its registryClients checks them.
        return f"through the shared stack's private endpoints to {label} (its registryClients)"
    if team:
        if plan.has_endpoint(target, group):
            return f"from the team's network through the private endpoint ({group}) to {label}"
        return None
    if hop.to == "storage":
        rules = (plan.storage.inputs.get("networkRuleSet") or {}) if plan.storage else {}
        if not plan.public(plan.storage):
            return None
        if rules.get("defaultAction") == "Allow":
            return f"over the internet to {label}"
        if rules.get("ipRules"):
            ranges = ", ".join(r["iPAddressOrRange"] for r in rules["ipRules"])
            return f"over the internet from the admitted client ranges ({ranges}) to {label}"
        return None
    if hop.to == "workspace":
        return f"over the internet to {label}" if plan.public(plan.workspace) else None
    return f"over the internet to {label}"


# What the team's network carries for compute in its subnet (customerManaged), which no plan
# shows: its routes, DNS and firewall (docs/concepts/networking.md lists what Azure ML needs).
TEAM_EGRESS: Final = "through the team's network from mlops:network.computeSubnetId"


def _team_compute_path(plan: _Plan, hop: Hop, label: str, target: str, group: str) -> str | None:
    """Why compute in the team's subnet (customerManaged) reaches the target, or None: the
    stack's own resources only through its inbound private endpoints, the rest through what the
    team's network provides."""
    if hop.to.startswith("modelRegistry"):
        # https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation#use-assets-from-registry-in-workspace-1
        return (
            f"{TEAM_EGRESS} to the shared stack's private endpoints to {label} (its "
            "registryClients), which the team's network routes and resolves"
        )
    if hop.to == "applicationInsights":
        return f"{TEAM_EGRESS} to Azure Monitor (service tag AzureMonitor, docs/concepts)"
    if hop.to == "datastores":
        return f"{TEAM_EGRESS} to {label} ({group}): its own private endpoint, outside the stack"
    if plan.has_endpoint(target, group):
        return f"from the compute subnet through the private endpoint ({group}) to {label}"
    own = {"registry": bool(plan.registry), "keyVault": bool(plan.of(JourneyPart.KEY_VAULT))}
    if hop.to in own and not own[hop.to]:
        return f"{TEAM_EGRESS} to its owner's private endpoint ({group}) to {label}"
    return None


# Where an attached AKS cluster's nodes are: the team's network, which the settings cannot see
# (docs/concepts/aks-serving.md).
CLUSTER_EGRESS: Final = "from the AKS cluster's nodes in the team's network"


def _cluster_path(plan: _Plan, hop: Hop, label: str, target: str, group: str) -> str | None:
    """Why an attached cluster's nodes reach the target, or None: the stack's own resources
    through its inbound private endpoints (over the internet where they accept public traffic),
    the model registry through the shared stack's private endpoints, Application Insights
    through Azure Monitor's public ingestion, for which the program builds no private path."""
    if hop.to.startswith("modelRegistry"):
        return (
            f"{CLUSTER_EGRESS} to the shared stack's private endpoints to {label} (its "
            "registryClients), which the team's network routes and resolves"
        )
    if hop.to == "applicationInsights":
        attached = plan.workspace.inputs.get("applicationInsights") if plan.workspace else None
        insights = plan.insights
        if insights is None or str(attached).lower() != target.lower():
            return None
        if insights.inputs.get("publicNetworkAccessForIngestion") == "Disabled":
            return None
        return (
            f"{CLUSTER_EGRESS} over the internet to the workspace's {label}, which accepts public "
            "ingestion (a firewall on the way lets out the service tag AzureMonitor): no private "
            "path"
        )
    if plan.has_endpoint(target, group):
        return f"{CLUSTER_EGRESS} through the stack's private endpoint ({group}) to {label}"
    own = {"workspace": plan.workspace, "storage": plan.storage, "registry": plan.registry}
    resource = own.get(hop.to)
    if hop.to == "registry" and resource is None:
        return f"{CLUSTER_EGRESS} to its owner's private endpoint ({group}) to {label}"
    if not plan.public(resource):
        return None
    if hop.to == "storage" and resource is not None:
        rules = resource.inputs.get("networkRuleSet") or {}
        if rules.get("defaultAction", "Allow") != "Allow":
            return None  # its firewall admits the clients' ranges, not the cluster's
    return f"{CLUSTER_EGRESS} over the internet to {label}, which accepts public traffic"


def _kubernetes_computes(plan: _Plan, hop: Hop) -> HopResult:
    """Each Kubernetes endpoint serves on an attached compute; on a cluster this stack manages,
    the Azure ML extension runs inference and the workspace holds trusted access."""
    fix = FIX_KEYS[(hop.origin, hop.to)]
    computes = {
        _id(r).lower(): r
        for r in plan.of(JourneyPart.COMPUTE)
        if r.inputs.get("properties", {}).get("computeType") == "Kubernetes"
    }
    clusters = {c.name: c for c in plan.settings.kubernetes_clusters}
    workspace = _id(plan.workspace).lower() if plan.workspace else ""
    found: list[str] = []
    for endpoint in plan.kubernetes_endpoints():
        compute = computes.get(str(endpoint.inputs["properties"]["compute"]).lower())
        if compute is None:
            return HopResult(hop, False, f"{endpoint.name} names no attached compute: set {fix}")
        name = str(compute.inputs.get("computeName", ""))
        cluster = clusters.get(name)
        if cluster is None or not cluster.manage:
            found.append(
                f"compute {name} is attached; its cluster's owner installs the Azure ML extension "
                "(kubernetesOwnerActions)"
            )
            continue
        aks, group = cluster.cluster.name, cluster.cluster.resource_group.lower()
        extension = any(
            e.inputs.get("clusterName") == aks
            and str(e.inputs.get("resourceGroupName", "")).lower() == group
            and e.inputs.get("extensionType") == EXTENSION_TYPE
            and (e.inputs.get("configurationSettings") or {}).get("enableInference") == "True"
            for e in plan.of(JourneyPart.CLUSTER_EXTENSION)
        )
        if not extension:
            return HopResult(hop, False, f"no Azure ML extension for inference on {aks}: set {fix}")
        bound = any(
            b.inputs.get("resourceName") == aks
            and str(b.inputs.get("resourceGroupName", "")).lower() == group
            and str(b.inputs.get("sourceResourceId", "")).lower() == workspace
            and MLWORKLOAD_ROLE in (b.inputs.get("roles") or ())
            for b in plan.of(JourneyPart.TRUSTED_ACCESS)
        )
        if not bound:
            return HopResult(hop, False, f"no trusted access for the workspace on {aks}: set {fix}")
        found.append(
            f"compute {name} is attached to {aks}, with the Azure ML extension (inference) and "
            "the workspace's trusted access from this stack"
        )
    return HopResult(hop, True, "; ".join(found))


def _compute_path(plan: _Plan, hop: Hop, label: str, target: str, group: str) -> str | None:
    """Why compute in the managed network (or the team's subnet) reaches the target, or None."""
    if plan.settings.network.customer_managed:
        return _team_compute_path(plan, hop, label, target, group)
    isolation = plan.isolation()
    if isolation == "Disabled":
        if hop.to.startswith("modelRegistry"):
            return None  # the shared registry refuses public traffic unless opened
        return f"over the internet to {label} (no managed network)"
    if hop.to == "applicationInsights":
        attached = plan.workspace.inputs.get("applicationInsights") if plan.workspace else None
        if str(attached).lower() != target.lower():
            return None
        return f"the workspace's {label}, through the required AzureMonitor service tag rule"
    rule = plan.outbound_rule(target, group)
    if rule is not None:
        return f"outbound rule {rule} (private endpoint, {group}) to {label}"
    own = REQUIRED_SUBRESOURCES.get(hop.to, frozenset())
    resource = {"storage": plan.storage, "registry": plan.registry}.get(hop.to)
    approved_only = isolation == "AllowOnlyApprovedOutbound"
    # An adopted registry (no resource here) is reached like a created one that refuses
    # public traffic: the program makes no exception for it.
    if group in own and (approved_only or not plan.public(resource) or hop.to == "workspace"):
        return f"Azure ML's required private endpoint ({group}) to {label}"
    return None


def _judge(plan: _Plan, hop: Hop, principals: Sequence[str]) -> HopResult:
    targets = plan.targets(hop.to) if hop.to not in ("resourceManager", "packageFeeds") else []
    fix = FIX_KEYS.get((hop.origin, hop.to)) or (
        TEAM_NETWORK_FIX if hop.origin in ("teamNetwork", "kubernetesCluster") else ""
    )
    if hop.to == "kubernetesCompute":
        return _kubernetes_computes(plan, hop)
    if hop.to == "imageBuildCompute":
        name = plan.workspace.inputs.get("imageBuildCompute") if plan.workspace else None
        built = {
            r.inputs.get("computeName")
            for r in plan.of(JourneyPart.COMPUTE)
            if r.inputs.get("properties", {}).get("computeType") == "AmlCompute"
        }
        if name and name in built:
            return HopResult(hop, True, f"the workspace's imageBuildCompute is cluster {name}")
        return HopResult(hop, False, f"the workspace names no image build cluster: set {fix}")
    if hop.to == "packageFeeds":
        if plan.settings.network.customer_managed:
            hosts = ", ".join(PACKAGE_FEEDS)
            return HopResult(hop, True, f"{TEAM_EGRESS}, whose firewall lets out {hosts}")
        if plan.isolation() != "AllowOnlyApprovedOutbound":
            return HopResult(hop, True, "internet outbound reaches the package feeds")
        missing = [host for host in PACKAGE_FEEDS if host not in plan.fqdn_rules()]
        if missing:
            return HopResult(hop, False, f"no FQDN rule to {', '.join(missing)}: set {fix}")
        return HopResult(hop, True, f"FQDN rules to {', '.join(PACKAGE_FEEDS)}")
    if hop.to == "storageEndpoints":
        readers = [
            e
            for e in plan.of(JourneyPart.PRIVATE_ENDPOINT)
            if plan.storage is not None
            and any(
                str(c.get("privateLinkServiceId", "")).lower() == _id(plan.storage).lower()
                and set(c.get("groupIds", ())) & {"blob", "file"}
                for c in e.outputs.get("privateLinkServiceConnections", ())
            )
        ]
        principal = principals[0] if principals else ""
        unread = [e.name for e in readers if not plan.granted(principal, "Reader", _id(e))]
        if len(readers) < 2 or unread:
            return HopResult(
                hop,
                False,
                "no Reader for the workspace identity on "
                + (", ".join(unread) or "the storage's blob and file endpoints"),
            )
        return HopResult(hop, True, "Reader on the storage's blob and file private endpoints")
    if hop.to != "resourceManager" and not targets:
        return HopResult(
            hop, False, f"nothing to reach: no {hop.to} here" + (f": set {fix}" if fix else "")
        )

    found: list[str] = []
    # The network path, to each target (resource manager: Azure's control plane, anywhere).
    if hop.origin in ("client", "teamNetwork", "managedNetwork", "kubernetesCluster"):
        for label, target, subresources in targets:
            groups = (hop.subresource,) if hop.subresource else subresources or ("",)
            for group in groups:
                judge = {"managedNetwork": _compute_path, "kubernetesCluster": _cluster_path}.get(
                    hop.origin, _client_path
                )
                why = judge(plan, hop, label, target, group)
                if why is None:
                    return HopResult(
                        hop,
                        False,
                        f"no path from {_where(plan, hop)} to {label} ({group})"
                        + (f": set {fix}" if fix else ""),
                    )
                found.append(why)
    elif hop.to == "encryptionKey":
        why = _vault_path(plan, hop)
        if why.startswith(BROKEN):
            return HopResult(hop, False, why.removeprefix(BROKEN).strip())
        found.append(why)
    elif hop.origin == "azureML" and hop.to == "storage" and hop.role is None:
        # The registry copies a shared model out of the storage: its firewall must admit it.
        rules = (plan.storage.inputs.get("networkRuleSet") or {}) if plan.storage else {}
        registry = plan.used.get("modelRegistry")
        admitted = [
            str(r.get("resourceId", "")).lower() for r in rules.get("resourceAccessRules") or ()
        ]
        if registry is None or registry.id.lower() not in admitted:
            return HopResult(
                hop,
                False,
                "the workspace storage's firewall does not admit the registry as a resource "
                "instance",
            )
        found.append("the storage firewall admits the registry as a resource instance")
    # The permission, which someone in the stack must hold.
    if hop.role is not None or hop.scope == "datastores":
        if not principals:
            return HopResult(hop, False, f"no {hop.who} in this stack holds it")
        for principal in principals:
            for label, scope, role in _scopes(plan, hop, targets):
                if _by_azure(hop.who, role, hop.scope or ""):
                    found.append(f"{role} from Azure ML")
                    continue
                if not plan.granted(principal, role, scope):
                    return HopResult(
                        hop, False, f"{hop.who} {principal[:8]}… has no {role} on {label}"
                    )
                found.append(f"{role} on {label}")
    pending = [
        a
        for a in pending_approvals(plan.settings.network, plan.model_registry_used())
        if any(str(a["target"]).lower() == t.lower() for _, t, _ in targets)
    ]
    if pending and hop.origin == "managedNetwork":
        found.append(f"awaits approval by {pending[0]['approver']} (output pendingApprovals)")
    return HopResult(hop, True, "; ".join(dict.fromkeys(found)) or "nothing to check")


# Where a vault that refuses a service is opened: its owner's, or this stack's network.
VAULT_FIX: Final = (
    "the vault's firewall (networkAcls.bypass: AzureServices); the stack's own vault refuses "
    "public traffic wherever mlops:network isolates the workspace"
)


def _vault_path(plan: _Plan, hop: Hop) -> str:
    """Why the service reaches the vault holding the customer-managed key, or (starting with
    BROKEN) why not: the vault accepts public traffic, or lets trusted Microsoft services through
    its firewall and the service passes with this identity (hop.trusted). A vault outside the
    plan (another's) is its owner's to open."""
    vault = plan.encryption_vault()
    if vault is None:
        return f"{BROKEN} no vault holds the key here: set mlops:encryption"
    name, vault_id = vault
    own = next(
        (v for v in plan.of(JourneyPart.KEY_VAULT) if _id(v).lower() == vault_id.lower()), None
    )
    if own is None:
        if not hop.trusted:
            return (
                f"{BROKEN} vault {name} is another's, which the program cannot see accept public "
                "traffic, and this service passes no vault firewall with a user-assigned identity"
            )
        return (
            f"vault {name} is its owner's: it lets trusted Microsoft services through its "
            "firewall, or accepts public traffic (docs/security.md: Customer-managed keys)"
        )
    properties = own.inputs.get("properties") or {}
    rules = properties.get("networkAcls") or {}
    public = properties.get("publicNetworkAccess") != "Disabled"
    if public and rules.get("defaultAction", "Allow") == "Allow":
        return f"vault {name} accepts public traffic"
    if not hop.trusted:
        return (
            f"{BROKEN} vault {name} refuses public traffic, which this service passes only with a "
            f"system-assigned identity: set {VAULT_FIX}"
        )
    if rules.get("bypass") == "AzureServices":
        return f"through vault {name}'s exception for trusted Microsoft services"
    return (
        f"{BROKEN} vault {name} refuses public traffic and trusted Microsoft services: set "
        f"{VAULT_FIX}"
    )


def _scopes(
    plan: _Plan, hop: Hop, targets: Sequence[tuple[str, str, tuple[str, ...]]]
) -> Iterator[tuple[str, str, str]]:
    """(label, scope ID, role) the hop's permission is checked on."""
    settings = plan.settings
    if hop.scope == "datastores":
        for store in settings.datastores:
            yield f"datastore {store.name}", store.scope, store.role
        return
    assert hop.role is not None
    if hop.scope == "datastoreAccounts":
        for store in settings.datastores:
            yield (
                f"storage account {store.storage_account.name}",
                store.storage_account.id,
                hop.role,
            )
        return
    scope_targets = (
        plan.targets(hop.scope) if hop.scope not in (None, "resourceManager") else targets
    )
    for label, scope, _ in scope_targets or targets:
        yield label, scope, hop.role


def _where(plan: _Plan, hop: Hop) -> str:
    if hop.origin == "client":
        return "a laptop on the internet" if plan.public(plan.workspace) else "the team's network"
    if hop.origin == "managedNetwork" and plan.settings.network.customer_managed:
        return "the team's subnet (mlops:network.computeSubnetId)"
    return {
        "teamNetwork": "the team's network",
        "managedNetwork": "the managed network",
        "kubernetesCluster": "the AKS cluster's nodes",
        "azureService": "the Azure service",
    }.get(hop.origin, "Azure ML")


def evaluate(run: ProgramRun) -> JourneyReport:
    """Every journey of the table on one stack's run."""
    settings = load(run.config, project="mlops", stack=run.stack, secret_keys=run.secret_keys)
    plan = _Plan(run, settings)
    conditions = _conditions(plan)
    results = []
    for journey in JOURNEYS:
        switch = getattr(settings.journeys, journey.key)
        unmet = [c for c in journey.when if not conditions[c]]
        nobody = [kind for kind in journey.needs if not plan.principals(kind)]
        if unmet or nobody:
            why = f"does not apply: {', '.join(unmet)}" if unmet else f"no {', '.join(nobody)} here"
            results.append(JourneyResult(journey, None, why))
            continue
        if switch is not None and not switch.enabled:
            results.append(JourneyResult(journey, None, f"switched off: {switch.reason}", True))
            continue
        hops = tuple(
            _judge(plan, hop, plan.principals(hop.who))
            for hop in journey.hops
            if all(conditions[c] for c in hop.when)
        )
        results.append(JourneyResult(journey, hops))
    return JourneyReport(run.stack, tuple(results))


def lines(report: JourneyReport) -> list[str]:
    """The journeys as text: each hop ✓ or ✗ with its reason."""
    out = [f"Journeys ({len(report.broken)} broken):"]
    for result in report.results:
        mark = BROKEN if result.broken else OK if result.hops else "-"
        out.append(f"  {mark} {result.journey.key}: {result.journey.title}")
        if result.hops is None:
            out.append(f"      {result.note}")
            continue
        for number, hop in enumerate(result.hops, 1):
            sign = OK if hop.ok else BROKEN
            who = f"{hop.hop.who} from {hop.hop.origin}"
            out.append(f"      {sign} {number}. {who}: {hop.hop.what}")
            out.append(f"           {hop.detail}")
            if hop.hop.question:
                out.append(f"           open question: {hop.hop.question}")
    return out


def _bullets(report: JourneyReport) -> list[str]:
    """Each journey a bullet, each hop a bullet under it (markdown)."""
    out = []
    for result in report.results:
        mark = BROKEN if result.broken else OK if result.hops else "-"
        out.append(f"- {mark} **{result.journey.key}**: {result.journey.title}")
        if result.hops is None:
            out.append(f"  - {result.note}")
        for hop in result.hops or ():
            step = f"{hop.hop.who} ({hop.hop.origin}): {hop.hop.what}"
            out.append(f"  - {OK if hop.ok else BROKEN} {step}: {hop.detail}")
    return out


def markdown(report: JourneyReport) -> list[str]:
    """The PR comment's section, open when a journey is broken."""
    summary = f"<b>Journeys</b>: {len(report.broken)} broken"
    opened = " open" if report.broken else ""
    return [
        f"<details{opened}><summary>{summary}</summary>",
        "",
        *_bullets(report),
        "",
        "</details>",
        "",
    ]


def data(report: JourneyReport) -> list[dict[str, Any]]:
    return [
        {
            "journey": r.journey.key,
            "broken": r.broken,
            "note": r.note,
            "switchedOff": r.switched_off,
            "hops": [
                {"who": h.hop.who, "origin": h.hop.origin, "to": h.hop.to, "what": h.hop.what,
                 "ok": h.ok, "detail": h.detail}
                for h in r.hops or ()
            ],
        }
        for r in report.results
    ]  # fmt: skip


# -- docs/journeys.md -------------------------------------------------------------------------

DOCUMENT: Final = Path("docs/journeys.md")
# The datastore hops' permission: per storage service the datastore kinds use, its data roles.
DATASTORE_PERMISSION: Final = "; ".join(
    f"{service.reader} (readOnly) or Contributor on its {service.item}" for service in SERVICES
)


def _table_rows() -> Iterator[str]:
    yield "| journey | hop | who, from where | to | permission | Microsoft Learn |"
    yield "| --- | --- | --- | --- | --- | --- |"
    for journey in JOURNEYS:
        for number, hop in enumerate(journey.hops, 1):
            to = f"{hop.to} ({hop.subresource})" if hop.subresource else hop.to
            permission = f"{hop.role} on {hop.scope}" if hop.role else "-"
            if hop.scope == "datastores":
                permission = DATASTORE_PERMISSION
            what = hop.what + (f" *Open question: {hop.question}*" if hop.question else "")
            sources = " ".join(f"[{i}]({url})" for i, url in enumerate(hop.sources, 1))
            cells = (journey.key, f"{number}. {what}", f"{hop.who}, {hop.origin}", to)
            yield "| " + " | ".join((*cells, permission, sources)).replace("\n", " ") + " |"


def document(runs: Mapping[str, ProgramRun] | None = None) -> str:
    """The journey table, then every stack's journeys as the preview judges them."""
    from offline.diagram import ordered_stacks  # noqa: PLC0415 (the stacks in promotion order)
    from offline.preview import run_stack  # noqa: PLC0415 (the preview imports this module)

    lines = [
        "# Journeys",
        "",
        "<!-- Generated by `make docs` (python -m offline.journeys) from the journey table and",
        "     every stack file: do not edit by hand. tests/test_journeys.py fails when this file",
        "     is out of date. -->",
        "",
        "The workflows the stacks must carry on real Azure, hop by hop: who reaches what, from",
        "where, over which path, with which role (a row of the access matrix, docs/access.md), and",
        "the Microsoft Learn page that says the hop is needed. The table is",
        "`settings/journeys.py`; `python -m offline.preview --stack <stack> --journeys` judges",
        "it on a stack's plan, and a broken journey fails the preview unless",
        "`mlops:journeys.<key>` switches it off with a reason.",
        "",
        "## The table",
        "",
        *_table_rows(),
    ]
    for stack in ordered_stacks(runs):
        run = run_stack(stack) if runs is None else runs[stack]
        lines += ["", f"## {stack}", "", *_bullets(evaluate(run))]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from offline.diagram import cli  # noqa: PLC0415

    return cli(argv, "python -m offline.journeys", __doc__, document)


if __name__ == "__main__":
    from offline.imports import run_one_shot

    run_one_shot(main)
