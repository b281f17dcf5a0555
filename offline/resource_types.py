"""Everything the offline tools and the bootstrap know about each resource type, in one table.

One row per type token says what people call it, how the architecture diagram draws it, which
settings the preview summarises, how the mock engine answers when the program creates one (its
ARM ID, its Azure name, the values only Azure computes), and what deploying one takes (the
bootstrap's deploy role reads that column). The engine, the plan, the diagram and the bootstrap
keep no knowledge of types of their own, so supporting a new type is one row here. Settings are
declared as paths into the inputs (``properties.sku.name``); a function stands in only where
showing one takes logic.

A type without a row still works: it gets a generic row (a box labelled with the token's last
part, sku, kind and location as settings, a ``<logical name>-id`` ID, named by its ``name``
input). Components (``mlops:*``) reach the mock engine too and get that generic row; they are
neither summarised nor drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from offline.prices import (
    FALLBACK_REGION,
    HOURS_PER_MONTH,
    LOCATION_KEY,
    Price,
    price,
    region_name,
)

if TYPE_CHECKING:  # the engine and the plan read this table: only their types are needed here
    from offline.engine import Resource
    from offline.plan import Plan


def get_path(data: Mapping[str, Any], path: str) -> Any:
    """``a.b.c`` inside nested mappings, or None."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


# -- settings the preview summarises --------------------------------------------------------------


class Read(Enum):
    INPUT = "input"  # the input as it is
    OUTPUT = "output"  # what the engine answered (a generated value)
    REFERENCE = "reference"  # a resource ID: ``→ logical name`` when the stack creates it


@dataclass(frozen=True)
class Field:
    """A setting shown as ``label: value``; unset values are left out."""

    label: str
    path: str
    read: Read = Read.INPUT

    def value(self, plan: Plan, resource: Resource) -> Any:
        if self.read is Read.OUTPUT:
            return get_path(resource.outputs, self.path)
        found = get_path(resource.inputs, self.path)
        if self.read is Read.REFERENCE and found is not None:
            return plan.reference(found)
        return found


Settings = list[tuple[str, Any]]
# A summary: declared fields, or a function where showing a setting takes logic.
Summary = tuple[Field, ...] | Callable[["Plan", "Resource"], Settings]

GENERIC_SUMMARY: Final = (
    Field("sku", "sku.name"),
    Field("kind", "kind"),
    Field("location", "location"),
)


def _read(fields: tuple[Field, ...], plan: Plan, resource: Resource) -> Settings:
    return [(f.label, f.value(plan, resource)) for f in fields]


# -- how the architecture diagram draws it --------------------------------------------------------


class Shape(Enum):
    BOX = "box"
    CYLINDER = "cylinder"  # holds data
    STADIUM = "stadium"  # answers requests


class Arrow(Enum):
    """Arrows the diagram draws for a resource, besides those of its dependencies (but ROLE:
    role assignments are drawn on the access page, not in the architecture diagram)."""

    READS_STORAGE = "reads storage"  # a datastore to the storage account it reads
    ROLE = "role"  # a role assignment: the access page's (offline/access_doc.py)
    # A workspace to what its managed network reaches: its inline private endpoint rules.
    PRIVATE_ENDPOINT = "private endpoint"
    DIAGNOSTICS = "diagnostics"  # a resource to the workspace its logs go to
    ALERTS = "alerts"  # a watched resource to the action group its alert rules notify
    # An attached Kubernetes compute to the cluster it attaches (its owner's, often elsewhere).
    ATTACHES = "attaches"


@dataclass(frozen=True)
class LabelBy:
    """A label chosen by an input (a compute is a cluster or an instance); else the row's."""

    path: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Node:
    """A box of its own in its resource group."""

    shape: Shape = Shape.BOX
    detail: str | None = None  # path of an input shown under the name
    label_by: LabelBy | None = None
    arrow: Arrow | None = None


@dataclass(frozen=True)
class Edge:
    """No box: an arrow between the boxes of the resources it links."""

    arrow: Arrow


@dataclass(frozen=True)
class ScopeNote:
    """No box: a note on the box of the resource its ``scope`` input names (a lock)."""

    note: str


@dataclass(frozen=True)
class GroupNote:
    """No box: a note on the frame of the resource group it belongs to (a budget)."""

    note: str


class Drawn(Enum):
    HIDDEN = "hidden"  # settings of another resource, or no Azure resource at all
    AS_GROUP = "group"  # the frame around the resources in it


Drawing = Node | Edge | ScopeNote | GroupNote | Drawn


# -- how the network diagram draws it -------------------------------------------------------------


class NetworkPart(Enum):
    """What a resource is in the network diagram (docs/network.md)."""

    PRIVATE_ENDPOINT = "private endpoint"  # a box in its subnet, an arrow to what it reaches
    DNS_ZONE_GROUP = "DNS zone group"  # arrows from its endpoint to the zones of its records
    DNS_ZONE = "DNS zone"  # a zone the stack creates
    ZONE_LINK = "zone link"  # a zone to the virtual network it answers for
    WORKSPACE = "workspace"  # its managed network, with an arrow per outbound rule


# -- what the journeys read of it (offline/journeys.py) -------------------------------------------


class JourneyPart(Enum):
    """What a resource is to the journeys' hops."""

    WORKSPACE = "workspace"  # its managed network, image build compute, public access
    STORAGE = "storage"  # its firewall: public access, IP and resource-instance rules
    REGISTRY = "registry"  # a container registry
    KEY_VAULT = "key vault"
    KEY = "key"  # a customer-managed key (mlops:encryption)
    IDENTITY = "identity"  # a user-assigned identity: the encryption identity's
    MODEL_REGISTRY = "model registry"  # the shared stack's Azure ML registry
    APPLICATION_INSIGHTS = "application insights"
    PRIVATE_ENDPOINT = "private endpoint"  # a client's path to what it connects to
    ROLE_ASSIGNMENT = "role assignment"  # a permission
    COMPUTE = "compute"  # clusters: whose identity is which principal
    ONLINE_ENDPOINT = "online endpoint"
    CLUSTER_EXTENSION = "cluster extension"  # the Azure ML extension on an attached cluster
    TRUSTED_ACCESS = "trusted access"  # an AKS trusted access role binding


# -- how the mock engine answers ------------------------------------------------------------------


@dataclass(frozen=True)
class InResourceGroup:
    """A resource of its own in its resource group (``resourceGroupName``)."""

    provider_type: str  # e.g. Microsoft.Storage/storageAccounts

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        return f"{group_id}/providers/{self.provider_type}/{name}"


_ML_WORKSPACES: Final = "Microsoft.MachineLearningServices/workspaces"
# The version the mock gives a key it creates (Key Vault's are 32 hexadecimal characters).
_KEY_VERSION: Final = "0" * 31 + "1"
# The managed resource group Azure creates a model registry's storage and registry in.
_REGISTRY_GROUP: Final = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/azureml-rg-{name}_mock"
)


@dataclass(frozen=True)
class ChildOf:
    """A child of the resource in its resource group that its ``parent_input`` input names."""

    parent_type: str  # e.g. Microsoft.MachineLearningServices/workspaces
    parent_input: str  # e.g. workspaceName
    segment: str  # e.g. computes

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        parent = inputs.get(self.parent_input)
        return f"{group_id}/providers/{self.parent_type}/{parent}/{self.segment}/{name}"


def in_workspace(segment: str) -> ChildOf:
    """A child of the Azure ML workspace its ``workspaceName`` input names."""
    return ChildOf(_ML_WORKSPACES, "workspaceName", segment)


@dataclass(frozen=True)
class AtScope:
    """An extension of whatever its ``scope`` input names (a role assignment)."""

    provider_type: str

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        return f"{inputs.get('scope')}/providers/{self.provider_type}/{name}"


@dataclass(frozen=True)
class IsResourceGroup:
    """The resource group itself."""

    def arm_id(self, group_id: str, inputs: Mapping[str, Any], name: str) -> str:
        return group_id


Placement = InResourceGroup | ChildOf | AtScope | IsResourceGroup


@dataclass(frozen=True)
class AzureMock:
    """How the mock engine answers the creation of an Azure resource.

    ``computed`` maps an output path (``properties.vaultUri``) to a template of a value only
    Azure knows; ``{name}`` is the Azure name, ``{location}`` the location input and
    ``{inputs[...]}`` any input (a key's vault, ``{inputs[vaultName]}``).
    """

    # Where its ARM ID puts it; None: the mock does not know, the ID is ``<logical name>-id``.
    placement: Placement | None = None
    # The input holding its Azure name; without it, the logical name stands in.
    name_input: str = "name"
    computed: Mapping[str, str] = field(default_factory=dict[str, str])


@dataclass(frozen=True)
class Generated:
    """No Azure resource but values a provider generates: no ARM ID, no Azure name.

    ``outputs`` maps an output to its template; ``{suffix}`` is the mock's random suffix.
    """

    outputs: Mapping[str, str]


# -- what it can cost -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CostBound:
    """The most a resource can run in a month: node-hours, priced in the stack's region where the
    size is listed there, else at East US's price (labelled so)."""

    nodes: int
    vm_size: str
    low_priority: bool = False
    region: str = FALLBACK_REGION  # the stack's (azure-native:location)

    @property
    def node_hours(self) -> int:
        return self.nodes * HOURS_PER_MONTH

    @property
    def price(self) -> Price | None:
        return price(self.vm_size, self.region)

    @property
    def hourly(self) -> float | None:
        found = self.price
        return None if found is None else found.hourly

    @property
    def estimate(self) -> float | None:
        """USD a month at the listed price: an upper bound, an estimate."""
        return None if self.hourly is None else self.hourly * self.node_hours

    def settings(self) -> Settings:
        found: Settings = [
            ("node-hours/month ≤", f"{self.node_hours:,} ({self.nodes} x {HOURS_PER_MONTH} h)")
        ]
        listed = self.price
        if listed is not None:
            note = "; low priority costs less" if self.low_priority else ""
            found.append(
                (
                    "estimate/month ≤",
                    f"${listed.hourly * self.node_hours:,.0f} (an estimate: ${listed.hourly}/h, "
                    f"{listed.label}{note})",
                )
            )
        return found


# The bound of one resource of a type, or None when its inputs do not say.
CostHint = Callable[["Resource"], CostBound | None]


# -- what a change does: replace, or refused by Azure ----------------------------------------------

# azure-native replaces a resource when a path parameter of its PUT URL changes (the Azure name,
# resourceGroupName, a parent's name, a scope) or a property its metadata marks ForceNew
# (provider/pkg/provider/diff.go, calculateDetailedDiff, in pulumi/pulumi-azure-native). ForceNew
# comes from the REST API spec's x-ms-mutability lacking "update", or from the provider's own list
# (provider/pkg/gen/replacement.go). The generated metadata (metadata-compact.json) was out of
# reach here, so each row's ``replace_on_changes`` says where its entries were read. The Azure
# name, ``location`` and ``resourceGroupName`` always replace: Azure moves nothing in place.
ANY_INPUT: Final = "*"  # every input replaces the resource


@dataclass(frozen=True)
class Refusal:
    """A change Azure refuses to make in place: ``pulumi up`` would fail on it."""

    path: str  # an input path, ``managedNetwork.isolationMode``
    why: str
    # Set: the values from loosest to strictest, and only moves towards stricter are accepted
    # (a value not listed counts as the loosest). Empty: every change is refused.
    stricter: tuple[str, ...] = ()
    # Set: only moves away from one of these values are refused.
    leaving: tuple[str, ...] = ()
    # Chosen at creation: adding or removing it is refused too, not only changing it.
    at_creation: bool = False
    # Paths inside ``path`` Azure does change in place, left out of the comparison.
    except_paths: tuple[str, ...] = ()

    def refuses(self, old: Any, new: Any) -> bool:
        old, new = _without(old, self.except_paths), _without(new, self.except_paths)
        if old == new:
            return False
        if self.at_creation:
            return True
        if self.leaving:
            return old in self.leaving
        if not self.stricter:
            return old is not None

        def rank(value: Any) -> int:
            return self.stricter.index(value) if value in self.stricter else 0

        return rank(new) < rank(old)


def _without(value: Any, paths: tuple[str, ...]) -> Any:
    """``value`` (a map) without the entries at ``paths`` (``a.b``), copied; else as it is."""
    if not paths or not isinstance(value, Mapping):
        return value
    found = {key: inner for key, inner in value.items()}
    for path in paths:
        head, _, rest = path.partition(".")
        if head in found:
            if rest:
                found[head] = _without(found[head], (rest,))
            else:
                del found[head]
    return found


# -- what deploying it takes ----------------------------------------------------------------------

# Role assignment writes and deletes: the bootstrap's deploy role allows them under a condition
# on the role and the principal (bootstrap/roles.py).
ROLE_ASSIGNMENT_WRITE: Final = "Microsoft.Authorization/roleAssignments/write"
ROLE_ASSIGNMENT_DELETE: Final = "Microsoft.Authorization/roleAssignments/delete"
# A pipeline places the program's locks (and reads them, with */read) but never lifts one: no
# locks/delete, which of the built-in roles only Owner and User Access Administrator hold, so
# lifting a lock stays an administrator's deliberate act.
# https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources#who-can-create-or-delete-locks
LOCK_ACTIONS: Final = ("Microsoft.Authorization/locks/write",)


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    """One row: everything the offline tools know about one type token."""

    token: str
    label: str  # what people call it, as on the diagram's boxes
    drawn: Drawing = Node()
    summary: Summary = GENERIC_SUMMARY
    mock: AzureMock | Generated = AzureMock()
    network: NetworkPart | None = None
    # Path of the input saying whether it accepts public network traffic (Enabled, Disabled).
    public_access: str | None = None
    # What it can cost at most in a month, for types that scale with nodes.
    cost: CostHint | None = None
    # Inputs whose change replaces the resource, besides those that always do (see ANY_INPUT).
    replace_on_changes: tuple[str, ...] = ()
    # Changes Azure refuses in place.
    refused: tuple[Refusal, ...] = ()
    journey: JourneyPart | None = None
    # What creating, updating and deleting one takes: the bootstrap's deploy role allows these
    # actions and no others (bootstrap/roles.py). None for a type the deploy identity does not
    # deploy: the bootstrap's own, and those its owner grants it on a cluster it manages
    # (docs/concepts/aks-serving.md).
    deploy: tuple[str, ...] = ()
    # Later columns come with a default, so a row only names what sets its type apart.

    @property
    def replace_keys(self) -> tuple[str, ...]:
        """Every input whose change replaces the resource."""
        name = (self.mock.name_input,) if isinstance(self.mock, AzureMock) else ()
        always = (*name, "location", "resourceGroupName")
        return tuple(dict.fromkeys((*always, *self.replace_on_changes)))

    def settings(self, plan: Plan, resource: Resource) -> Settings:
        """(label, raw value) pairs; the plan shows the values and drops unset ones."""
        if isinstance(self.summary, tuple):
            found = _read(self.summary, plan, resource)
        else:
            found = self.summary(plan, resource)
        bound = self.cost_bound(resource, plan.run.config.get(LOCATION_KEY))
        return found if bound is None else [*found, *bound.settings()]

    def cost_bound(self, resource: Resource, location: str | None = None) -> CostBound | None:
        """The resource's bound, priced in ``location`` (the stack's region; East US if unset)."""
        bound = None if self.cost is None else self.cost(resource)
        return None if bound is None else replace(bound, region=region_name(location))


# -- per-type logic: summaries that take more than paths, endpoint mocks --------------------------


def _storage_account(plan: Plan, resource: Resource) -> Settings:
    inputs = resource.inputs
    sku = get_path(inputs, "sku.name")
    replication = sku.rsplit("_", 1)[-1] if isinstance(sku, str) and "_" in sku else None
    return [
        ("sku", sku),
        ("replication", replication),
        ("kind", inputs.get("kind")),
        ("shared key access", inputs.get("allowSharedKeyAccess")),
        ("public blob access", inputs.get("allowBlobPublicAccess")),
        ("network default", get_path(inputs, "networkRuleSet.defaultAction")),
        ("customer-managed key", get_path(inputs, "encryption.keyVaultProperties.keyName")),
    ]


def _ml_registry(plan: Plan, resource: Resource) -> Settings:
    """The primary region and its replicas, each with the storage Azure creates for it."""

    def region(details: Mapping[str, Any]) -> str:
        accounts = details.get("storageAccountDetails") or [{}]
        storage = get_path(accounts[0], "systemCreatedStorageAccount.storageAccountType")
        return f"{details.get('location')} ({storage})"

    regions = resource.inputs.get("regionDetails") or []
    return [
        ("regions", ", ".join(region(r) for r in regions) or None),
        ("public network", resource.inputs.get("publicNetworkAccess")),
        ("identity", get_path(resource.inputs, "identity.type")),
    ]


def _blob_service(plan: Plan, resource: Resource) -> Settings:
    inputs = resource.inputs

    def days(path: str) -> str | None:
        if get_path(inputs, f"{path}.enabled") is not True:
            return None
        return f"{plan.values.one_line(get_path(inputs, f'{path}.days'))} days"

    return [
        ("blob soft delete", days("deleteRetentionPolicy")),
        ("container soft delete", days("containerDeleteRetentionPolicy")),
        ("versioning", inputs.get("isVersioningEnabled")),
    ]


def _compute(plan: Plan, resource: Resource) -> Settings:
    properties = resource.inputs.get("properties")
    if not isinstance(properties, Mapping):
        return _read(GENERIC_SUMMARY, plan, resource)
    kind = properties.get("computeType")
    inner: Mapping[str, Any] = properties.get("properties") or {}
    found: Settings = [("type", kind), ("vm", inner.get("vmSize"))]
    if kind == "AmlCompute":
        low = get_path(inner, "scaleSettings.minNodeCount")
        high = get_path(inner, "scaleSettings.maxNodeCount")
        nodes = None
        if low is not None and high is not None:
            nodes = f"{plan.values.one_line(low)}-{plan.values.one_line(high)}"
        found += [
            ("priority", inner.get("vmPriority")),
            ("nodes", nodes),
            ("scale down after", get_path(inner, "scaleSettings.nodeIdleTimeBeforeScaleDown")),
            ("public IP", inner.get("enableNodePublicIp")),
        ]
    elif kind == "ComputeInstance":
        schedules = get_path(inner, "schedules.computeStartStop")
        crons = None
        if isinstance(schedules, list) and schedules:
            crons = "; ".join(
                f"{get_path(s, 'action')} {get_path(s, 'cron.expression')}"
                for s in schedules
                if isinstance(s, Mapping)
            )
        found += [
            ("idle shutdown", inner.get("idleTimeBeforeShutdown")),
            (
                "user",
                get_path(inner, "personalComputeInstanceSettings.assignedUser.objectId"),
            ),
            ("schedules", crons),
            ("ssh", get_path(inner, "sshSettings.sshPublicAccess")),
            ("public IP", inner.get("enableNodePublicIp")),
        ]
    elif kind == "Kubernetes":
        # An attached cluster: which one, and the namespace its workloads run in; a managed
        # cluster's instance types, declared in the attach (the default first).
        declared = inner.get("instanceTypes")
        found += [
            ("cluster", properties.get("resourceId")),
            ("namespace", inner.get("namespace")),
            ("instance types", ", ".join(declared) if isinstance(declared, Mapping) else None),
            ("default instance type", inner.get("defaultInstanceType")),
        ]
    return found


def _cluster_extension(plan: Plan, resource: Resource) -> Settings:
    """An extension on an AKS cluster: which, and how the Azure ML extension serves."""
    inputs = resource.inputs
    config = inputs.get("configurationSettings")
    config = config if isinstance(config, Mapping) else {}
    router = config.get("inferenceRouterServiceType")
    if router is not None and config.get("internalLoadBalancerProvider") == "azure":
        router = f"{router}, internal"
    https = None
    if config.get("allowInsecureConnections") == "False" and config.get("sslCname"):
        https = f"{config.get('sslCname')} (certificate: secret {config.get('sslSecret')})"
    replicas = {"True": 3, "False": 1}.get(str(config.get("inferenceRouterHA")))
    upgrades = inputs.get("releaseTrain") if inputs.get("autoUpgradeMinorVersion") else None
    return [
        ("type", inputs.get("extensionType")),
        ("cluster", inputs.get("clusterName")),
        ("inference", config.get("enableInference")),
        ("training", config.get("enableTraining")),
        ("router", router),
        ("router replicas", replicas),
        ("https", https),
        ("insecure http", config.get("allowInsecureConnections")),
        ("minor upgrades", upgrades),
    ]


def _compute_cost(resource: Resource) -> CostBound | None:
    """A cluster at its most nodes, an instance (one node) running, the whole month."""
    inner = get_path(resource.inputs, "properties.properties")
    kind = get_path(resource.inputs, "properties.computeType")
    size = get_path(inner, "vmSize") if isinstance(inner, Mapping) else None
    if not isinstance(size, str):
        return None
    if kind == "ComputeInstance":
        return CostBound(1, size)
    nodes = get_path(inner, "scaleSettings.maxNodeCount")
    if kind != "AmlCompute" or not isinstance(nodes, int | float):
        return None
    low_priority = get_path(inner, "vmPriority") == "LowPriority"
    return CostBound(int(nodes), size, low_priority=low_priority)


def _action_group(plan: Plan, resource: Resource) -> Settings:
    inputs = resource.inputs
    emails = inputs.get("emailReceivers")
    webhooks = inputs.get("webhookReceivers")
    addresses = None
    if isinstance(emails, list) and emails:
        addresses = ", ".join(
            plan.values.one_line(get_path(item, "emailAddress")) for item in emails
        )
    return [
        ("short name", inputs.get("groupShortName")),
        ("enabled", inputs.get("enabled")),
        ("e-mails", addresses),
        # The program keeps webhook receivers secret (their URLs carry tokens): shown as such.
        ("webhooks", webhooks or None),
    ]


def _watched(plan: Plan, scope: Any) -> str:
    """The resource a rule watches: ``→ name`` (with the path below it for a child, such as an
    online deployment the stack does not create)."""
    if not isinstance(scope, str):
        return plan.values.one_line(scope)
    parts = scope.split("/")
    for end in range(len(parts), 0, -1):
        owner = plan.resource_for_id("/".join(parts[:end]))
        if owner is not None:
            rest = "/".join(parts[end:])
            return f"→ {owner.name}" + (f"/{rest}" if rest else "")
    return plan.scope(scope)


def _metric_alert(plan: Plan, resource: Resource) -> Settings:
    inputs = resource.inputs
    scopes = inputs.get("scopes")
    criterion = get_path(inputs, "criteria.allOf")
    first: Any = criterion[0] if isinstance(criterion, list) and criterion else {}
    condition = None
    if isinstance(first, Mapping):
        condition = (
            f"{get_path(first, 'timeAggregation')} {get_path(first, 'metricName')} > "
            f"{plan.values.one_line(get_path(first, 'threshold'))}"
        )
        dimensions = get_path(first, "dimensions")
        if isinstance(dimensions, list) and dimensions:
            condition += " where " + ", ".join(
                f"{get_path(d, 'name')} in {get_path(d, 'values')}" for d in dimensions
            )
    actions = inputs.get("actions")
    groups = [get_path(a, "actionGroupId") for a in actions] if isinstance(actions, list) else []
    return [
        ("watches", _watched(plan, scopes[0]) if isinstance(scopes, list) and scopes else None),
        ("when", condition),
        ("over", inputs.get("windowSize")),
        ("every", inputs.get("evaluationFrequency")),
        ("severity", inputs.get("severity")),
        ("enabled", inputs.get("enabled")),
        ("notifies", ", ".join(plan.reference(g) for g in groups) if groups else None),
    ]


def _log_alert(plan: Plan, resource: Resource) -> Settings:
    inputs = resource.inputs
    scopes = inputs.get("scopes")
    criterion = get_path(inputs, "criteria.allOf")
    first: Any = criterion[0] if isinstance(criterion, list) and criterion else {}
    query = get_path(first, "query") if isinstance(first, Mapping) else None
    condition = None
    if isinstance(query, str):
        # Rows counted, or a measure column aggregated (per dimension) and compared.
        measure = get_path(first, "metricMeasureColumn")
        aggregated = f"{get_path(first, 'timeAggregation')}{f' {measure}' if measure else ''}"
        condition = (
            f"{aggregated} of {' '.join(query.split())} > "
            f"{plan.values.one_line(get_path(first, 'threshold'))}"
        )
        dimensions = get_path(first, "dimensions")
        if isinstance(dimensions, list) and dimensions:
            condition += " per " + ", ".join(str(get_path(d, "name")) for d in dimensions)
    groups = get_path(inputs, "actions.actionGroups")
    return [
        ("watches", _watched(plan, scopes[0]) if isinstance(scopes, list) and scopes else None),
        ("when", condition),
        ("over", inputs.get("windowSize")),
        ("every", inputs.get("evaluationFrequency")),
        ("severity", inputs.get("severity")),
        ("enabled", inputs.get("enabled")),
        (
            "notifies",
            ", ".join(plan.reference(g) for g in groups)
            if isinstance(groups, list) and groups
            else None,
        ),
    ]


def _budget(plan: Plan, resource: Resource) -> Settings:
    inputs = resource.inputs
    notifications = inputs.get("notifications")
    thresholds = None
    if isinstance(notifications, Mapping) and notifications:
        found = sorted(
            (str(get_path(n, "thresholdType")).lower(), get_path(n, "threshold"))
            for n in notifications.values()
        )
        thresholds = ", ".join(f"{kind} {plan.values.one_line(value)}%" for kind, value in found)
    return [
        ("amount", inputs.get("amount")),
        ("per", inputs.get("timeGrain")),
        ("of", plan.scope(inputs.get("scope"))),
        ("from", get_path(inputs, "timePeriod.startDate")),
        ("notifies at", thresholds),
    ]


def _datastore(plan: Plan, resource: Resource) -> Settings:
    props: Mapping[str, Any] = resource.inputs.get("properties") or {}
    container = props.get("containerName") or props.get("filesystem")
    account = props.get("accountName")
    target = None
    if isinstance(account, str):
        target = f"{account}/{plan.values.one_line(container)}"
        group, subscription = props.get("resourceGroup"), props.get("subscriptionId")
        if isinstance(group, str) and isinstance(subscription, str):
            target += f" ({plan.values.text(f'{group}, subscription {subscription}')})"
    return [
        ("type", props.get("datastoreType")),
        ("target", target),
        ("auth", props.get("serviceDataAccessAuthIdentity")),
        ("credentials", get_path(props, "credentials.credentialsType")),
    ]


WORKSPACE_SUMMARY: Final = (
    Field("sku", "sku.name"),
    Field("isolation", "managedNetwork.isolationMode"),
    Field("public network", "publicNetworkAccess"),
    Field("provision network now", "provisionNetworkNow"),
    Field("system datastores auth", "systemDatastoresAuthMode"),
    Field("identity", "identity.type"),
    Field("storage", "storageAccount", Read.REFERENCE),
    Field("key vault", "keyVault", Read.REFERENCE),
    Field("insights", "applicationInsights", Read.REFERENCE),
    Field("registry", "containerRegistry", Read.REFERENCE),
    Field("customer-managed key", "encryption.keyVaultProperties.keyIdentifier"),
    Field("key vault of the key", "encryption.keyVaultProperties.keyVaultArmId", Read.REFERENCE),
    Field("service-side encryption", "enableServiceSideCMKEncryption"),
    Field("high business impact", "hbiWorkspace"),
)
OUTBOUND_RULES: Final = "managedNetwork.outboundRules"
# The program's tag on an endpoint whose DNS records Azure Policy keeps
# (settings.private_link.DNS_BY_POLICY_TAG).
DNS_BY_POLICY: Final = "tags.dnsByPolicy"


def outbound_rules(resource: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    """A workspace's inline outbound rules: (rule name, rule), by name."""
    rules = get_path(resource.inputs, OUTBOUND_RULES)
    if not isinstance(rules, Mapping):
        return []
    return [(str(k), v) for k, v in sorted(rules.items()) if isinstance(v, Mapping)]


def _workspace(plan: Plan, resource: Resource) -> Settings:
    """Its settings, then one ``outbound rule`` per rule of its managed network."""
    found = _read(WORKSPACE_SUMMARY, plan, resource)
    for name, rule in outbound_rules(resource):
        destination = rule.get("destination")
        if isinstance(destination, Mapping):
            target = plan.scope(get_path(rule, "destination.serviceResourceId"))
            shown = f"{get_path(rule, 'destination.subresourceTarget')} of {target}"
        else:
            shown = plan.values.one_line(destination)
        found.append(("outbound rule", f"{name}: {rule.get('type')} {shown}"))
    return found


def _key(plan: Plan, resource: Resource) -> Settings:
    """Its type and size, and when its rotation policy makes a new version."""
    actions = get_path(resource.inputs, "properties.rotationPolicy.lifetimeActions")
    rotations = [
        get_path(action, "trigger.timeAfterCreate")
        for action in (actions if isinstance(actions, list) else [])
        if isinstance(action, Mapping) and get_path(action, "action.type") == "rotate"
    ]
    return [
        ("type", get_path(resource.inputs, "properties.kty")),
        ("size", get_path(resource.inputs, "properties.keySize")),
        ("rotates after", rotations[0] if rotations else None),
    ]


def _private_endpoint(plan: Plan, resource: Resource) -> Settings:
    connections = resource.inputs.get("privateLinkServiceConnections")
    first: Mapping[str, Any] = {}
    if isinstance(connections, list) and connections and isinstance(connections[0], Mapping):
        first = connections[0]
    groups = first.get("groupIds")
    subnet = get_path(resource.inputs, "subnet.id")
    return [
        ("to", plan.reference(first.get("privateLinkServiceId"))),
        ("sub-resource", ", ".join(map(str, groups)) if isinstance(groups, list) else None),
        ("subnet", plan.external(subnet) if isinstance(subnet, str) else None),
        ("DNS by policy", get_path(resource.inputs, DNS_BY_POLICY)),
    ]


def _zone_group(plan: Plan, resource: Resource) -> Settings:
    configs = resource.inputs.get("privateDnsZoneConfigs")
    zones = None
    if isinstance(configs, list):
        zones = ", ".join(
            plan.scope(get_path(c, "privateDnsZoneId")) for c in configs if isinstance(c, Mapping)
        )
    return [("endpoint", resource.inputs.get("privateEndpointName")), ("zones", zones)]


def _zone_link(plan: Plan, resource: Resource) -> Settings:
    network = get_path(resource.inputs, "virtualNetwork.id")
    return [
        ("zone", resource.inputs.get("privateZoneName")),
        ("network", plan.external(network) if isinstance(network, str) else None),
        ("auto-registration", resource.inputs.get("registrationEnabled")),
    ]


def _role_assignment(plan: Plan, resource: Resource) -> Settings:
    return [
        ("role", plan.role_name(resource)),
        ("principal", plan.principal(resource)),
        ("scope", plan.scope(resource.inputs.get("scope"))),
    ]


def _diagnostics(plan: Plan, resource: Resource) -> Settings:
    inputs = resource.inputs
    logs = inputs.get("logs")
    groups = None
    if isinstance(logs, list):
        groups = ", ".join(
            str(get_path(item, "categoryGroup") or get_path(item, "category"))
            for item in logs
            if isinstance(item, Mapping)
        )
    return [
        ("of", plan.reference(inputs.get("resourceUri"))),
        ("to", plan.reference(inputs.get("workspaceId"))),
        ("logs", groups),
    ]


def _endpoint(segment: str, kind: str, path: str) -> AzureMock:
    """Online and batch endpoints: scoring URIs differ in host kind and path."""
    return AzureMock(
        in_workspace(segment),
        "endpointName",
        {"properties.scoringUri": f"https://{{name}}.{{location}}.{kind}.ml.azure.com/{path}"},
    )


_ROWS: Final = (
    ResourceType(
        "azure-native:resources:ResourceGroup",
        label="Resource group",
        drawn=Drawn.AS_GROUP,
        summary=(Field("location", "location"),),
        mock=AzureMock(IsResourceGroup(), "resourceGroupName"),
        # Path: resourceGroupName; replacement.go: location.
        deploy=(
            "Microsoft.Resources/subscriptions/resourceGroups/write",
            "Microsoft.Resources/subscriptions/resourceGroups/delete",
        ),
    ),
    ResourceType(
        "azure-native:authorization:ManagementLockByScope",
        label="Lock",
        drawn=ScopeNote("delete lock"),
        summary=(
            Field("level", "level"),
            Field("lock", "lockName"),
            Field("on", "scope", Read.REFERENCE),
        ),
        mock=AzureMock(AtScope("Microsoft.Authorization/locks"), "lockName"),
        replace_on_changes=("scope",),  # path: scope, lockName
        deploy=LOCK_ACTIONS,
    ),
    ResourceType(
        "random:index/randomString:RandomString",
        label="Random string",
        drawn=Drawn.HIDDEN,
        summary=(Field("length", "length"), Field("result", "result", Read.OUTPUT)),
        mock=Generated({"result": "{suffix}"}),
        # terraform-provider-random, resource_string.go: every argument RequiresReplace.
        replace_on_changes=(ANY_INPUT,),
    ),
    ResourceType(
        "azure-native:keyvault:Vault",
        journey=JourneyPart.KEY_VAULT,
        label="Key Vault",
        summary=(
            Field("sku", "properties.sku.name"),
            Field("rbac", "properties.enableRbacAuthorization"),
            Field("purge protection", "properties.enablePurgeProtection"),
            Field("soft delete days", "properties.softDeleteRetentionInDays"),
            Field("public network", "properties.publicNetworkAccess"),
            Field("network default", "properties.networkAcls.defaultAction"),
        ),
        public_access="properties.publicNetworkAccess",
        mock=AzureMock(
            InResourceGroup("Microsoft.KeyVault/vaults"),
            "vaultName",
            {"properties.vaultUri": "https://{name}.vault.azure.net/"},
        ),
        # Path: resourceGroupName, vaultName.
        deploy=("Microsoft.KeyVault/vaults/*",),
    ),
    ResourceType(
        "azure-native:storage:StorageAccount",
        journey=JourneyPart.STORAGE,
        label="Storage account",
        drawn=Node(Shape.CYLINDER, detail="sku.name"),
        summary=_storage_account,
        public_access="publicNetworkAccess",
        mock=AzureMock(InResourceGroup("Microsoft.Storage/storageAccounts"), "accountName"),
        # Path: resourceGroupName, accountName; replacement.go: isHnsEnabled, location.
        replace_on_changes=("isHnsEnabled",),
        deploy=("Microsoft.Storage/storageAccounts/*",),
    ),
    ResourceType(
        "azure-native:storage:BlobServiceProperties",
        label="Blob service settings",
        drawn=Drawn.HIDDEN,
        summary=_blob_service,
        # Path: resourceGroupName, accountName, blobServicesName.
        replace_on_changes=("accountName", "blobServicesName"),
        deploy=("Microsoft.Storage/storageAccounts/blobServices/*",),
    ),
    ResourceType(
        "azure-native:operationalinsights:Workspace",
        label="Log Analytics",
        summary=(Field("sku", "sku.name"), Field("retention days", "retentionInDays")),
        mock=AzureMock(
            InResourceGroup("Microsoft.OperationalInsights/workspaces"), "workspaceName"
        ),
        # Path: resourceGroupName, workspaceName.
        deploy=("Microsoft.OperationalInsights/workspaces/*",),
    ),
    ResourceType(
        "azure-native:applicationinsights:Component",
        journey=JourneyPart.APPLICATION_INSIGHTS,
        label="Application Insights",
        summary=(
            Field("type", "applicationType"),
            Field("ingestion", "ingestionMode"),
            Field("logs", "workspaceResourceId", Read.REFERENCE),
        ),
        mock=AzureMock(InResourceGroup("Microsoft.Insights/components"), "resourceName"),
        # Path: resourceGroupName, resourceName; components_API.json (2020-02-02): Application_Type
        # and location are x-ms-mutability create/read.
        replace_on_changes=("applicationType",),
        deploy=("Microsoft.Insights/components/*",),
    ),
    ResourceType(
        "azure-native:containerregistry:Registry",
        journey=JourneyPart.REGISTRY,
        label="Container registry",
        drawn=Node(detail="sku.name"),
        summary=(
            Field("sku", "sku.name"),
            Field("admin user", "adminUserEnabled"),
            Field("anonymous pull", "anonymousPullEnabled"),
            Field("public network", "publicNetworkAccess"),
            Field("zone redundancy", "zoneRedundancy"),
            Field("customer-managed key", "encryption.keyVaultProperties.keyIdentifier"),
        ),
        public_access="publicNetworkAccess",
        mock=AzureMock(
            InResourceGroup("Microsoft.ContainerRegistry/registries"),
            "registryName",
            {"loginServer": "{name}.azurecr.io"},
        ),
        # Path: resourceGroupName, registryName.
        refused=(
            # container-registry-customer-managed-keys: "You can currently enable a
            # customer-managed key only when you create a registry", and "can't disable" it; a
            # rotation (another key or version) is an update.
            Refusal(
                "encryption",
                "a registry takes a customer-managed key only when it is created and never drops "
                "it (mlops:encryption): keep mlops:encryption as the registry was created, or "
                "create a new stack, whose new registry starts with the key, and move its images",
                at_creation=True,
                except_paths=("keyVaultProperties.keyIdentifier",),
            ),
        ),
        deploy=("Microsoft.ContainerRegistry/registries/*",),
    ),
    ResourceType(
        "azure-native:machinelearningservices:Registry",
        journey=JourneyPart.MODEL_REGISTRY,
        label="Azure ML registry",
        summary=_ml_registry,
        public_access="publicNetworkAccess",
        mock=AzureMock(
            InResourceGroup("Microsoft.MachineLearningServices/registries"),
            "registryName",
            {
                "discoveryUrl": "https://{location}.api.azureml.ms/registrymanagement/v1.0/registries/{name}/discovery",
                # What Azure creates for each region, in a managed resource group of its own.
                "regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount"
                ".armResourceId.resourceId": _REGISTRY_GROUP
                + "/providers/Microsoft.Storage/storageAccounts/st{location}registry",
                "regionDetails[*].acrDetails[*].systemCreatedAcrAccount.armResourceId.resourceId": (
                    _REGISTRY_GROUP + "/providers/Microsoft.ContainerRegistry/registries/crregistry"
                ),
            },
        ),
        # Path: resourceGroupName, registryName. The primary region is fixed at creation
        # (location); replica regions can be added later (how-to-manage-registries).
        # Azure ML creates the registry's storage and container registry in a managed resource
        # group, with its own identity.
        deploy=("Microsoft.MachineLearningServices/registries/*",),
    ),
    ResourceType(
        "azure-native:machinelearningservices:Workspace",
        journey=JourneyPart.WORKSPACE,
        label="Azure ML workspace",
        drawn=Node(detail="managedNetwork.isolationMode", arrow=Arrow.PRIVATE_ENDPOINT),
        summary=_workspace,
        network=NetworkPart.WORKSPACE,
        public_access="publicNetworkAccess",
        mock=AzureMock(InResourceGroup(_ML_WORKSPACES), "workspaceName"),
        # Path: resourceGroupName, workspaceName. workspaceRP.json (2025-12-01) marks no property
        # create-only: azure-native would update in place what Azure then refuses.
        refused=(
            # concept-customer-managed-keys: the key "can only be updated to another key in the
            # original Azure Key Vault"; how-to-create-workspace-template: "Once a workspace has
            # been created, you cannot change the settings for confidential data, encryption, key
            # vault ID". So only the key identifier changes in place.
            Refusal(
                "encryption",
                "a workspace is encrypted with a customer-managed key, from one vault through one "
                "identity, only as it was created (mlops:encryption): Azure neither adds, removes "
                "nor moves it; only a new version of the key, or another key of the same vault "
                "(mlops:encryption.keyId), replaces it in place. Keep mlops:encryption as the "
                "workspace was created, or create a new stack with it and move to it",
                at_creation=True,
                except_paths=("keyVaultProperties.keyIdentifier",),
            ),
            Refusal(
                "enableServiceSideCMKEncryption",
                "where Azure ML keeps a workspace's encrypted metadata is chosen when it is "
                "created (mlops:encryption.serviceSide): keep it, or create a new stack",
                at_creation=True,
            ),
            # concept-customer-managed-keys: "You can set the hbi_workspace flag only when you
            # create a workspace. You can't change it for an existing workspace."
            Refusal(
                "hbiWorkspace",
                "high business impact is set when a workspace is created and never changed "
                "(mlops:highBusinessImpact): keep it as the workspace was created, or create a "
                "new stack with it and move to it",
                at_creation=True,
            ),
            # workspaceRP.json: "This cannot be changed once the workspace has been created".
            Refusal("storageAccount", "a workspace keeps its storage account for life"),
            Refusal("keyVault", "a workspace keeps its Key Vault for life"),
            # https://learn.microsoft.com/azure/machine-learning/how-to-managed-network: "Once a
            # managed VNet workspace is configured to allow internet outbound, the workspace
            # cannot be reconfigured to disabled" (nor approved outbound back to internet).
            Refusal(
                "managedNetwork.isolationMode",
                "a workspace's managed network only moves to a stricter isolation: Azure never "
                "turns it off or loosens it (mlops:network.isolation); for disabled or "
                "customerManaged, create a new stack, whose new workspace starts without one, "
                "and move to it",
                stricter=("Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"),
            ),
            # Same page: "Before updating an existing workspace to use a managed virtual
            # network, you must delete all computing resources for the workspace."
            Refusal(
                "managedNetwork.isolationMode",
                "Azure adds a managed network only to a workspace with no compute left "
                "(mlops:network.isolation from disabled or customerManaged): delete its clusters, "
                "instances, online endpoints and attached Kubernetes computes in an earlier "
                "`pulumi up` (or by hand), or create a new stack",
                leaving=("Disabled",),
            ),
        ),
        # The managed network's private endpoints are workspace operations too
        # (privateEndpointConnections/read and write: learn.microsoft.com, "Managed virtual
        # network isolation", prerequisites).
        deploy=("Microsoft.MachineLearningServices/workspaces/*",),
    ),
    ResourceType(
        "azure-native:machinelearningservices:Compute",
        journey=JourneyPart.COMPUTE,
        label="Compute",
        drawn=Node(
            detail="properties.properties.vmSize",
            arrow=Arrow.ATTACHES,
            label_by=LabelBy(
                "properties.computeType",
                {
                    "AmlCompute": "Compute cluster",
                    "ComputeInstance": "Compute instance",
                    "Kubernetes": "Attached Kubernetes cluster",
                },
            ),
        ),
        summary=_compute,
        mock=AzureMock(in_workspace("computes"), "computeName"),
        cost=_compute_cost,
        # Path: resourceGroupName, workspaceName, computeName.
        replace_on_changes=("workspaceName",),
        deploy=("Microsoft.MachineLearningServices/workspaces/computes/*",),
    ),
    ResourceType(
        "azure-native:kubernetesconfiguration:Extension",
        journey=JourneyPart.CLUSTER_EXTENSION,
        label="Cluster extension",
        # Software on a cluster (the Azure ML extension): the cluster's, not a box of its own.
        drawn=Drawn.HIDDEN,
        summary=_cluster_extension,
        mock=AzureMock(
            ChildOf(
                "Microsoft.ContainerService/managedClusters",
                "clusterName",
                "providers/Microsoft.KubernetesConfiguration/extensions",
            ),
            "extensionName",
        ),
        # Path: resourceGroupName, clusterRp, clusterResourceName, clusterName, extensionName;
        # the type and scope are fixed at creation (an update carries neither: the CLI's
        # PatchExtension, azure-cli-extensions k8s-extension).
        replace_on_changes=(
            "clusterRp",
            "clusterResourceName",
            "clusterName",
            "extensionType",
            "scope",
        ),
    ),
    ResourceType(
        "azure-native:containerservice:TrustedAccessRoleBinding",
        journey=JourneyPart.TRUSTED_ACCESS,
        label="AKS trusted access",
        # A permission on a cluster, like a role assignment: no box of its own.
        drawn=Drawn.HIDDEN,
        summary=(
            Field("cluster", "resourceName"),
            Field("roles", "roles"),
            Field("source", "sourceResourceId", Read.REFERENCE),
        ),
        mock=AzureMock(
            ChildOf(
                "Microsoft.ContainerService/managedClusters",
                "resourceName",
                "trustedAccessRoleBindings",
            ),
            "trustedAccessRoleBindingName",
        ),
        # Path: resourceGroupName, resourceName, trustedAccessRoleBindingName.
        replace_on_changes=("resourceName",),
    ),
    ResourceType(
        "azure-native:machinelearningservices:OnlineEndpoint",
        journey=JourneyPart.ONLINE_ENDPOINT,
        label="Online endpoint",
        drawn=Node(Shape.STADIUM),
        summary=(
            Field("auth", "properties.authMode"),
            Field("public network", "properties.publicNetworkAccess"),
            # A Kubernetes online endpoint: the attached cluster it serves on.
            Field("compute", "properties.compute", Read.REFERENCE),
        ),
        public_access="properties.publicNetworkAccess",
        mock=_endpoint("onlineEndpoints", "inference", "score"),
        replace_on_changes=("workspaceName",),  # path: ..., workspaceName, endpointName
        deploy=("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/*",),
    ),
    ResourceType(
        "azure-native:machinelearningservices:BatchEndpoint",
        label="Batch endpoint",
        drawn=Node(Shape.STADIUM),
        summary=(Field("auth", "properties.authMode"),),
        mock=_endpoint("batchEndpoints", "batchendpoint", "jobs"),
        replace_on_changes=("workspaceName",),  # path: ..., workspaceName, endpointName
        deploy=("Microsoft.MachineLearningServices/workspaces/batchEndpoints/*",),
    ),
    ResourceType(
        "azure-native:machinelearningservices:Datastore",
        label="Datastore",
        drawn=Node(Shape.CYLINDER, detail="properties.datastoreType", arrow=Arrow.READS_STORAGE),
        summary=_datastore,
        mock=AzureMock(in_workspace("datastores")),
        replace_on_changes=("workspaceName",),  # path: resourceGroupName, workspaceName, name
        deploy=("Microsoft.MachineLearningServices/workspaces/datastores/*",),
    ),
    ResourceType(
        "azure-native:network:PrivateEndpoint",
        journey=JourneyPart.PRIVATE_ENDPOINT,
        label="Private endpoint",
        drawn=Drawn.HIDDEN,  # in the network diagram (docs/network.md)
        summary=_private_endpoint,
        network=NetworkPart.PRIVATE_ENDPOINT,
        mock=AzureMock(
            InResourceGroup("Microsoft.Network/privateEndpoints"), "privateEndpointName"
        ),
        # Path: resourceGroupName, privateEndpointName; replacement.go: subnet.
        replace_on_changes=("subnet",),
        # Inbound private endpoints (`inbound: private`); joining the team's subnet, VNet and hub
        # zones is granted on those resources by their owners (docs/delivery/bootstrap.md).
        deploy=("Microsoft.Network/privateEndpoints/*",),
    ),
    ResourceType(
        "azure-native:network:PrivateDnsZoneGroup",
        label="Private DNS zone group",
        drawn=Drawn.HIDDEN,
        summary=_zone_group,
        network=NetworkPart.DNS_ZONE_GROUP,
        mock=AzureMock(
            ChildOf(
                "Microsoft.Network/privateEndpoints", "privateEndpointName", "privateDnsZoneGroups"
            ),
            "privateDnsZoneGroupName",
        ),
        # Path: resourceGroupName, privateEndpointName, privateDnsZoneGroupName.
        replace_on_changes=("privateEndpointName",),
        deploy=("Microsoft.Network/privateEndpoints/privateDnsZoneGroups/*",),
    ),
    ResourceType(
        "azure-native:privatedns:PrivateZone",
        label="Private DNS zone",
        drawn=Drawn.HIDDEN,
        summary=(Field("zone", "privateZoneName"),),
        network=NetworkPart.DNS_ZONE,
        mock=AzureMock(InResourceGroup("Microsoft.Network/privateDnsZones"), "privateZoneName"),
        # Path: resourceGroupName, privateZoneName.
        deploy=("Microsoft.Network/privateDnsZones/*",),
    ),
    ResourceType(
        "azure-native:privatedns:VirtualNetworkLink",
        label="Virtual network link",
        drawn=Drawn.HIDDEN,
        summary=_zone_link,
        network=NetworkPart.ZONE_LINK,
        mock=AzureMock(
            ChildOf("Microsoft.Network/privateDnsZones", "privateZoneName", "virtualNetworkLinks"),
            "virtualNetworkLinkName",
        ),
        # Path: resourceGroupName, privateZoneName, virtualNetworkLinkName.
        replace_on_changes=("privateZoneName",),
        deploy=("Microsoft.Network/privateDnsZones/virtualNetworkLinks/*",),
    ),
    ResourceType(
        "azure-native:authorization:RoleAssignment",
        journey=JourneyPart.ROLE_ASSIGNMENT,
        label="Role assignment",
        drawn=Edge(Arrow.ROLE),
        summary=_role_assignment,
        mock=AzureMock(AtScope("Microsoft.Authorization/roleAssignments"), "roleAssignmentName"),
        # Path: scope, roleAssignmentName; replacement.go: principalId, scope.
        replace_on_changes=("scope", "principalId"),
        deploy=(ROLE_ASSIGNMENT_WRITE, ROLE_ASSIGNMENT_DELETE),
    ),
    ResourceType(
        "azure-native:monitor:DiagnosticSetting",
        label="Diagnostic setting",
        drawn=Edge(Arrow.DIAGNOSTICS),
        summary=_diagnostics,
        replace_on_changes=("resourceUri",),  # path: resourceUri, name
        deploy=("Microsoft.Insights/diagnosticSettings/*",),
    ),
    # The encryption identity (mlops:encryption), and the bootstrap program's identities.
    ResourceType(
        "azure-native:managedidentity:UserAssignedIdentity",
        journey=JourneyPart.IDENTITY,
        label="Managed identity",
        summary=(Field("location", "location"),),
        mock=AzureMock(
            InResourceGroup("Microsoft.ManagedIdentity/userAssignedIdentities"),
            "resourceName",
            {"principalId": "principal-of-{name}", "clientId": "client-of-{name}"},
        ),
        # Path: resourceGroupName, resourceName.
        # The identity that reaches the customer-managed key, which the workspace, storage and
        # registry are given (assign).
        deploy=("Microsoft.ManagedIdentity/userAssignedIdentities/*",),
    ),
    ResourceType(
        "azure-native:authorization:RoleDefinition",
        label="Role definition",
        drawn=Drawn.HIDDEN,
        summary=(Field("name", "roleName"),),
        mock=AzureMock(AtScope("Microsoft.Authorization/roleDefinitions"), "roleDefinitionId"),
        replace_on_changes=("scope",),  # path: scope, roleDefinitionId
    ),
    ResourceType(
        "azure-native:storage:BlobContainer",
        label="Blob container",
        summary=(Field("public access", "publicAccess"),),
        mock=AzureMock(name_input="containerName"),
        # Path: resourceGroupName, accountName, containerName; replacement.go: none.
        replace_on_changes=("accountName",),
    ),
    ResourceType(
        "azure-native:keyvault:Key",
        journey=JourneyPart.KEY,
        label="Key Vault key",
        summary=_key,
        mock=AzureMock(
            ChildOf("Microsoft.KeyVault/vaults", "vaultName", "keys"),
            "keyName",
            {
                "keyUri": "https://{inputs[vaultName]}.vault.azure.net/keys/{name}",
                "keyUriWithVersion": (
                    "https://{inputs[vaultName]}.vault.azure.net/keys/{name}/" + _KEY_VERSION
                ),
            },
        ),
        replace_on_changes=("vaultName",),  # path: resourceGroupName, vaultName, keyName
        # The customer-managed key (mlops:encryption create), made through the control plane.
        deploy=("Microsoft.KeyVault/vaults/keys/*",),
    ),
    ResourceType(
        "azure-native:monitor:ActionGroup",
        label="Action group",
        summary=_action_group,
        mock=AzureMock(InResourceGroup("Microsoft.Insights/actionGroups"), "actionGroupName"),
        deploy=("Microsoft.Insights/actionGroups/*",),
    ),
    ResourceType(
        "azure-native:monitor:MetricAlert",
        label="Metric alert",
        drawn=Edge(Arrow.ALERTS),
        summary=_metric_alert,
        mock=AzureMock(InResourceGroup("Microsoft.Insights/metricAlerts"), "ruleName"),
        deploy=("Microsoft.Insights/metricAlerts/*",),
    ),
    ResourceType(
        "azure-native:monitor:ScheduledQueryRule",
        label="Log search alert",
        drawn=Edge(Arrow.ALERTS),
        summary=_log_alert,
        mock=AzureMock(InResourceGroup("Microsoft.Insights/scheduledQueryRules"), "ruleName"),
        deploy=("Microsoft.Insights/scheduledQueryRules/*",),
    ),
    ResourceType(
        "azure-native:consumption:Budget",
        label="Budget",
        drawn=GroupNote("monthly budget"),
        summary=_budget,
        mock=AzureMock(AtScope("Microsoft.Consumption/budgets"), "budgetName"),
        deploy=("Microsoft.Consumption/budgets/*",),
    ),
    # Types the program registered once and no longer does, named as a type without a row is: a
    # stack deployed by an earlier version may hold one until it is retired as
    # docs/operations/data-safety.md (the lock) and docs/concepts/networking.md (the rules) say.
    ResourceType(
        "azure-native:authorization:ManagementLockAtResourceGroupLevel",
        label="ManagementLockAtResourceGroupLevel",
        deploy=LOCK_ACTIONS,
    ),
    ResourceType(
        "azure-native:machinelearningservices:ManagedNetworkSettingsRule",
        label="ManagedNetworkSettingsRule",
        deploy=("Microsoft.MachineLearningServices/workspaces/outboundRules/*",),
    ),
)


def _by_token(rows: tuple[ResourceType, ...]) -> dict[str, ResourceType]:
    table = {row.token: row for row in rows}
    if len(table) != len(rows):
        raise ValueError("a type token has more than one row")
    return table


RESOURCE_TYPES: Final[Mapping[str, ResourceType]] = _by_token(_ROWS)


def resource_type(token: str) -> ResourceType:
    """The row of a type token; a generic row for a type the table does not declare."""
    return RESOURCE_TYPES.get(token) or ResourceType(token, label=token.rsplit(":", 1)[-1])


def resource_type_at(provider_type: str) -> ResourceType | None:
    """The row of the type whose ARM IDs say ``provider_type`` (``Microsoft.Storage/...``)."""
    wanted = provider_type.lower()
    for row in RESOURCE_TYPES.values():
        placement = row.mock.placement if isinstance(row.mock, AzureMock) else None
        if isinstance(placement, InResourceGroup) and placement.provider_type.lower() == wanted:
            return row
    return None
