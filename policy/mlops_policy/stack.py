"""Stack policies, and the environment tag that tells dev, qa and prod apart.

A stack's environment is the strictest ``environment`` tag found on its resources (prod, then
qa, then dev); the ``environment-tag`` resource policy makes sure every taggable resource
carries one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from .properties import (
    ACTION_GROUP,
    APP_INSIGHTS,
    BATCH_ENDPOINT,
    BLOB_SERVICE,
    COMPUTE,
    CUSTOMER_MANAGED_NETWORK_TAG,
    DIAGNOSTIC_SETTING,
    KEY_VAULT,
    LOG_ALERT,
    LOG_ANALYTICS,
    MANAGEMENT_LOCKS,
    METRIC_ALERT,
    ML_REGISTRY,
    ML_WORKSPACE,
    ONLINE_ENDPOINT,
    PRIVATE_DNS_ZONE,
    PRIVATE_DNS_ZONE_GROUP,
    PRIVATE_ENDPOINT,
    RANDOM_STRING,
    REGISTRY,
    RESOURCE_GROUP,
    RESOURCE_GROUP_LOCK,
    STORAGE_ACCOUNT,
    VIRTUAL_NETWORK_LINK,
    canonical_type,
    customer_managed,
    environment_of,
    get,
    is_set,
    items,
    managed_network,
    peek,
    same,
    show,
)
from .rules import Area

# From least to most strict; shared holds the model registry every environment promotes through.
ENVIRONMENTS: Final = ("dev", "qa", "shared", "prod")
# Resources that carry tags; each must say which environment it belongs to.
TAGGABLE: Final = frozenset(
    {
        RESOURCE_GROUP,
        KEY_VAULT,
        STORAGE_ACCOUNT,
        REGISTRY,
        LOG_ANALYTICS,
        APP_INSIGHTS,
        ML_WORKSPACE,
        ML_REGISTRY,
        COMPUTE,
        ONLINE_ENDPOINT,
        BATCH_ENDPOINT,
        PRIVATE_ENDPOINT,
        PRIVATE_DNS_ZONE,
        VIRTUAL_NETWORK_LINK,
        ACTION_GROUP,
        METRIC_ALERT,
        LOG_ALERT,
    }
)
# The program's tag on a private endpoint whose DNS records Azure Policy keeps
# (mlops:network.privateDns.mode: policy): the explicit marker the DNS rule accepts.
DNS_BY_POLICY_TAG: Final = "dnsByPolicy"
# What prod must protect: the resources holding data, secrets, images or logs, and the name
# suffix (replacing it renames, and so replaces, every one of them).
DATA_BEARING: Final = frozenset(
    {
        RESOURCE_GROUP,
        STORAGE_ACCOUNT,
        KEY_VAULT,
        REGISTRY,
        LOG_ANALYTICS,
        ML_WORKSPACE,
        RANDOM_STRING,
    }
)

area = Area()


@area.resource_rule(
    "environment-tag",
    "Taggable resources carry tags.environment (dev, qa, shared or prod); environment rules read "
    "it.",
    *sorted(TAGGABLE),
    severity=Severity.LOW,
)
def environment_tag(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "tags", "environment")
    if found not in ENVIRONMENTS:
        yield f"tags.environment is {show(found)}; set it to one of {', '.join(ENVIRONMENTS)}"


def stack_environment(resources: Iterable[PolicyResource]) -> str | None:
    """The strictest environment any resource is tagged with: prod, then qa, then dev."""
    found = {environment_of(r.props) for r in resources}
    return next((env for env in reversed(ENVIRONMENTS) if env in found), None)


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if canonical_type(r.resource_type) in types]


def _parent_urn(resource: PolicyResource) -> str | None:
    return resource.parent.urn if resource.parent is not None else resource.opts.parent


# The component the program creates the image build compute in (components/image_build.py).
IMAGE_BUILD_COMPONENT: Final = "mlops:compute:ImageBuildCompute"


def _parent_type(resource: PolicyResource) -> str | None:
    """The type token of the resource's parent, read from its URN (``...::<types>::<name>``)."""
    urn = _parent_urn(resource)
    return urn.split("::")[-2].split("$")[-1] if urn else None


def refers_to(source: PolicyResource, key: str, target: PolicyResource, by: str = "id") -> bool:
    """Whether ``source``'s property ``key`` names ``target`` (its ``id`` or ``name``).

    Property dependencies carry the link even when the value is unknown (during preview);
    otherwise the values are compared, as Azure does, case-insensitively.
    """
    if any(dep.urn == target.urn for dep in source.property_dependencies.get(key, [])):
        return True
    value, wanted = peek(source.props, key), peek(target.props, by)
    return isinstance(value, str) and isinstance(wanted, str) and same(value, wanted)


def is_child(source: PolicyResource, target: PolicyResource, segment: str) -> bool:
    """Whether ``source``'s ID sits under ``target``'s: ``<target id>/<segment>/...``."""
    child, parent = peek(source.props, "id"), peek(target.props, "id")
    return (
        isinstance(child, str)
        and isinstance(parent, str)
        and child.casefold().startswith(f"{parent}/{segment}/".casefold())
    )


def _label(resource: PolicyResource) -> str:
    return f"{canonical_type(resource.resource_type)} '{resource.name}'"


@area.stack_rule(
    "qa-prod-no-experimentation-compute",
    "qa and prod have no compute instances and no general-purpose clusters: only the clusters "
    "of batch endpoints and the one the workspace builds images on.",
)
def qa_prod_no_experimentation_compute(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    environment = stack_environment(args.resources)
    if environment not in ("qa", "prod"):
        return
    # A batch endpoint's cluster is created beside it, under the same parent component.
    batch_parents = {_parent_urn(r) for r in of_type(args.resources, BATCH_ENDPOINT)}
    for compute in of_type(args.resources, COMPUTE):
        kind = get(compute.props, "properties", "computeType")
        # The image build compute sits in a component of its own, as the program creates it
        # (its name, an output, may be unknown in a preview).
        if _parent_type(compute) == IMAGE_BUILD_COMPONENT:
            continue
        if same(kind, "ComputeInstance"):
            yield (
                f"{_label(compute)} is a compute instance in {environment}; experiments "
                "belong in dev",
                compute.urn,
            )
        elif same(kind, "AmlCompute") and _parent_urn(compute) not in batch_parents:
            yield (
                f"{_label(compute)} is a general-purpose cluster in {environment}; only batch "
                "endpoints' clusters (created beside the endpoint) and the workspace's image "
                "build compute are allowed; train in dev",
                compute.urn,
            )


# What prod locks against deletion, each on the resource itself: a lock on the resource group
# would stop Azure ML compute clusters from scaling in and block removing role assignments.
# https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources#considerations-before-applying-your-locks
LOCKED_IN_PROD: Final = frozenset({STORAGE_ACCOUNT, KEY_VAULT, REGISTRY, LOG_ANALYTICS})


def _locks(lock: PolicyResource, target: PolicyResource) -> bool:
    """Whether ``lock`` is placed on ``target`` (by its scope, or its ID under the target's)."""
    return refers_to(lock, "scope", target) or is_child(
        lock, target, "providers/Microsoft.Authorization/locks"
    )


def _delete_locks(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
    return [
        lock
        for lock in of_type(resources, *MANAGEMENT_LOCKS)
        if same(get(lock.props, "level"), "CanNotDelete")
    ]


@area.stack_rule(
    "prod-resource-locks",
    "In prod, the storage account, Key Vault, container registry and Log Analytics workspace "
    "each carry a CanNotDelete lock of their own.",
    severity=Severity.CRITICAL,
)
def prod_resource_locks(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if stack_environment(args.resources) != "prod":
        return
    locks = _delete_locks(args.resources)
    for resource in of_type(args.resources, *LOCKED_IN_PROD):
        if not any(_locks(lock, resource) for lock in locks):
            yield (
                f"{_label(resource)} has no CanNotDelete lock; add a ManagementLockByScope "
                "with level 'CanNotDelete' and the resource's ID as its scope",
                resource.urn,
            )


_GROUP_ID: Final = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/?$", re.IGNORECASE)


def _on_a_group(lock: PolicyResource, groups: Iterable[PolicyResource]) -> bool:
    if canonical_type(lock.resource_type) == RESOURCE_GROUP_LOCK:
        return True
    scope = peek(lock.props, "scope")
    on_group_id = isinstance(scope, str) and _GROUP_ID.fullmatch(scope) is not None
    return on_group_id or any(refers_to(lock, "scope", group) for group in groups)


@area.stack_rule(
    "no-resource-group-lock",
    "No resource group carries a management lock: it stops Azure ML compute clusters from "
    "scaling in and blocks removing role assignments; lock the data-bearing resources instead.",
)
def no_resource_group_lock(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    groups = of_type(args.resources, RESOURCE_GROUP)
    for lock in of_type(args.resources, *MANAGEMENT_LOCKS):
        if _on_a_group(lock, groups):
            yield (
                f"{_label(lock)} locks a resource group; Azure ML compute clusters can't scale "
                "in under it and role assignments can't be removed: lock the storage account, "
                "Key Vault, registry and Log Analytics workspace themselves instead",
                lock.urn,
            )


@area.stack_rule(
    "prod-data-protected",
    "In prod, every data-bearing resource is protected (Pulumi's protect option).",
    severity=Severity.CRITICAL,
)
def prod_data_protected(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if stack_environment(args.resources) != "prod":
        return
    for resource in of_type(args.resources, *DATA_BEARING):
        if not resource.opts.protect:
            yield (
                f"{_label(resource)} is not protected; register it with protect=True so that "
                "no `pulumi destroy` or replacement can delete it",
                resource.urn,
            )


def _blob_services_of(
    account: PolicyResource, resources: list[PolicyResource]
) -> list[PolicyResource]:
    return [
        service
        for service in of_type(resources, BLOB_SERVICE)
        if refers_to(service, "accountName", account, by="name")
        or is_child(service, account, "blobServices")
    ]


@area.stack_rule(
    "storage-blob-service-configured",
    "Every storage account has blob service properties (the soft delete the program sets).",
    severity=Severity.MEDIUM,
)
def storage_blob_service_configured(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for account in of_type(args.resources, STORAGE_ACCOUNT):
        if not _blob_services_of(account, args.resources):
            yield (
                f"{_label(account)} has no BlobServiceProperties; without one, Azure keeps "
                "blob and container soft delete off",
                account.urn,
            )


@area.stack_rule(
    "prod-blob-versioning",
    "In prod, blob versioning is on.",
    severity=Severity.MEDIUM,
)
def prod_blob_versioning(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if stack_environment(args.resources) != "prod":
        return
    for service in of_type(args.resources, BLOB_SERVICE):
        found = get(service.props, "isVersioningEnabled")
        if found is not True:
            yield (
                f"{_label(service)} has isVersioningEnabled {show(found)}; set it to true in "
                "prod so that overwritten models and datasets stay recoverable",
                service.urn,
            )


@area.stack_rule(
    "workspace-diagnostic-settings",
    "Every Azure ML workspace has a diagnostic setting (to Log Analytics).",
    severity=Severity.MEDIUM,
)
def workspace_diagnostic_settings(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    settings = of_type(args.resources, DIAGNOSTIC_SETTING)
    for workspace in of_type(args.resources, ML_WORKSPACE):
        if not any(
            refers_to(setting, "resourceUri", workspace)
            or is_child(setting, workspace, "providers/Microsoft.Insights/diagnosticSettings")
            for setting in settings
        ):
            yield (
                f"{_label(workspace)} has no diagnostic setting; add a DiagnosticSetting "
                "(resourceUri: the workspace ID) sending allLogs and metrics to Log Analytics",
                workspace.urn,
            )


def _network_calls_for_deny(workspace: PolicyResource) -> bool:
    """A managed network (or no public access) means dependencies are reached privately."""
    isolation = get(workspace.props, "managedNetwork", "isolationMode")
    managed = isinstance(isolation, str) and not same(isolation, "Disabled")
    return managed or same(get(workspace.props, "publicNetworkAccess"), "Disabled")


def _private_dependencies(
    args: StackValidationArgs, key: str, resource_type: str
) -> Iterator[PolicyResource]:
    """The resources of ``resource_type`` that a privately networked workspace uses as ``key``.

    A dependency adopted from outside the stack (a shared vault) is not seen, nor checked.
    """
    candidates = of_type(args.resources, resource_type)
    for workspace in of_type(args.resources, ML_WORKSPACE):
        if _network_calls_for_deny(workspace):
            yield from (c for c in candidates if refers_to(workspace, key, c))


@area.stack_rule(
    "keyvault-network-default-deny",
    "The Key Vault of a workspace on a managed network denies public network traffic by default.",
)
def keyvault_network_default_deny(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for vault in _private_dependencies(args, "keyVault", KEY_VAULT):
        found = get(vault.props, "properties", "networkAcls", "defaultAction")
        if not same(found, "Deny"):
            yield (
                f"{_label(vault)} has properties.networkAcls.defaultAction {show(found)}; set it "
                "to 'Deny' (bypass 'AzureServices'): the workspace's managed network reaches it "
                "through a private endpoint",
                vault.urn,
            )


@area.stack_rule(
    "storage-network-default-deny",
    "The storage account of a workspace on a managed network denies public network traffic by "
    "default.",
)
def storage_network_default_deny(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for account in _private_dependencies(args, "storageAccount", STORAGE_ACCOUNT):
        found = get(account.props, "networkRuleSet", "defaultAction")
        if not same(found, "Deny"):
            yield (
                f"{_label(account)} has networkRuleSet.defaultAction {show(found)}; set it to "
                "'Deny' (bypass 'AzureServices'): the workspace's managed network reaches it "
                "through a private endpoint",
                account.urn,
            )


def _customer_managed_dependencies(
    args: StackValidationArgs, workspace: PolicyResource
) -> Iterator[str]:
    """What a customer-managed workspace's storage, Key Vault and registry leave public."""
    for account in of_type(args.resources, STORAGE_ACCOUNT):
        if not refers_to(workspace, "storageAccount", account):
            continue
        rules = peek(account.props, "networkRuleSet") or {}
        public = peek(account.props, "publicNetworkAccess")
        # Sharing models to the registry (dev) keeps the public endpoint for the registry's
        # resource instance rule alone: Azure honours such rules on the public endpoint only.
        instances_only = bool(items(get(rules, "resourceAccessRules")))
        if not same(public, "Disabled") and not instances_only:
            yield f"{_label(account)} has publicNetworkAccess {show(public)}; set it to 'Disabled'"
        if not same(get(rules, "defaultAction"), "Deny") or items(get(rules, "ipRules")):
            yield (
                f"{_label(account)} admits public traffic (networkRuleSet.defaultAction "
                f"{show(get(rules, 'defaultAction'))}, {len(items(get(rules, 'ipRules')))} IP "
                "rules); deny it by default, with no IP rules (mlops:network.clientIpRanges is "
                "refused with customerManaged)"
            )
    for vault in of_type(args.resources, KEY_VAULT):
        if refers_to(workspace, "keyVault", vault):
            public = get(vault.props, "properties", "publicNetworkAccess")
            default = get(vault.props, "properties", "networkAcls", "defaultAction")
            if not same(public, "Disabled") or not same(default, "Deny"):
                yield (
                    f"{_label(vault)} has properties.publicNetworkAccess {show(public)} and "
                    f"networkAcls.defaultAction {show(default)}; set them to 'Disabled' and 'Deny'"
                )
    for registry in of_type(args.resources, REGISTRY):
        if refers_to(workspace, "containerRegistry", registry):
            public = get(registry.props, "publicNetworkAccess")
            if not same(public, "Disabled"):
                yield (
                    f"{_label(registry)} has publicNetworkAccess {show(public)}; set it to "
                    "'Disabled' (a Premium registry, reached through its private endpoint)"
                )


def _customer_managed_compute(
    args: StackValidationArgs, workspace: PolicyResource
) -> Iterator[tuple[str, str]]:
    """Compute of a customer-managed workspace outside the team's subnet, or with public IPs."""
    serverless = get(workspace.props, "serverlessComputeSettings")
    team_subnet = peek(serverless, "serverlessComputeCustomSubnet")
    for compute in of_type(args.resources, COMPUTE):
        kind = get(compute.props, "properties", "computeType")
        if not (same(kind, "AmlCompute") or same(kind, "ComputeInstance")):
            continue  # an attached Kubernetes cluster sits in its owner's network
        if not refers_to(compute, "workspaceName", workspace, by="name"):
            continue
        inner = get(compute.props, "properties", "properties")
        public_ip = get(inner, "enableNodePublicIp")
        if not is_set(inner, "subnet", "id") or public_ip is not False:
            yield (
                f"{_label(compute)} has properties.properties.subnet "
                f"{show(peek(inner, 'subnet', 'id'))} and enableNodePublicIp {show(public_ip)}; "
                "put it in the team's subnet (mlops:network.computeSubnetId) with no public IP",
                compute.urn,
            )
        elif isinstance(team_subnet, str) and not same(peek(inner, "subnet", "id"), team_subnet):
            yield (
                f"{_label(compute)} is in subnet {show(peek(inner, 'subnet', 'id'))}, not the "
                f"workspace's compute subnet {show(team_subnet)}: every compute of the stack "
                "goes in mlops:network.computeSubnetId",
                compute.urn,
            )
    if not is_set(serverless, "serverlessComputeCustomSubnet") or (
        get(serverless, "serverlessComputeNoPublicIP") is not True
    ):
        yield (
            f"{_label(workspace)} runs serverless jobs outside the team's network "
            "(serverlessComputeSettings); set serverlessComputeCustomSubnet to "
            "mlops:network.computeSubnetId and serverlessComputeNoPublicIP to true",
            workspace.urn,
        )


@area.stack_rule(
    "customer-managed-network",
    "A workspace the team's network isolates (tag customerManagedNetwork: 'true', from "
    "mlops:network.isolation: customerManaged) has no managed network and refuses public network "
    "access; its storage account, Key Vault and container registry refuse public traffic; every "
    "compute cluster and instance created in it, and its serverless jobs, run in the team's "
    "subnet (mlops:network.computeSubnetId) with no public IP.",
)
def customer_managed_network(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for workspace in of_type(args.resources, ML_WORKSPACE):
        if not customer_managed(workspace.props):
            continue
        if managed_network(workspace.props):
            isolation = get(workspace.props, "managedNetwork", "isolationMode")
            yield (
                f"{_label(workspace)} is tagged {CUSTOMER_MANAGED_NETWORK_TAG} but has "
                f"managedNetwork.isolationMode {show(isolation)}; a workspace is isolated by a "
                "managed network or by the team's, never both (mlops:network.isolation)",
                workspace.urn,
            )
        public = get(workspace.props, "publicNetworkAccess")
        if not same(public, "Disabled"):
            yield (
                f"{_label(workspace)} has publicNetworkAccess {show(public)}; set it to "
                "'Disabled': with the team's network it is reached only through its private "
                "endpoint (mlops:network.inbound: private)",
                workspace.urn,
            )
        for found in _customer_managed_dependencies(args, workspace):
            yield (
                f"{found}: {_label(workspace)} is isolated by the team's network (the program "
                "sets this from mlops:network.isolation: customerManaged with inbound: private)",
                workspace.urn,
            )
        yield from _customer_managed_compute(args, workspace)


def _zone_groups_of(
    endpoint: PolicyResource, groups: list[PolicyResource]
) -> Iterator[PolicyResource]:
    for group in groups:
        if refers_to(group, "privateEndpointName", endpoint, by="name") or is_child(
            group, endpoint, "privateDnsZoneGroups"
        ):
            yield group


@area.stack_rule(
    "private-endpoint-dns",
    "Every private endpoint has a private DNS zone group with at least one zone, unless it is "
    f"tagged {DNS_BY_POLICY_TAG}: 'true' (Azure Policy keeps its records).",
)
def private_endpoint_dns(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    groups = of_type(args.resources, PRIVATE_DNS_ZONE_GROUP)
    for endpoint in of_type(args.resources, PRIVATE_ENDPOINT):
        if same(peek(endpoint.props, "tags", DNS_BY_POLICY_TAG), "true"):
            continue
        if not any(
            items(peek(group.props, "privateDnsZoneConfigs"))
            for group in _zone_groups_of(endpoint, groups)
        ):
            yield (
                f"{_label(endpoint)} has no private DNS zone group with a zone: clients would "
                "resolve its target's public address; add a PrivateDnsZoneGroup with the "
                f"zones of its sub-resource, or tag it {DNS_BY_POLICY_TAG}: 'true' where Azure "
                "Policy creates one",
                endpoint.urn,
            )
