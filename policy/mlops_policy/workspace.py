"""Azure ML workspaces: identity, monitoring, network isolation, and diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import ResourceValidationArgs, Severity

from .properties import (
    CUSTOMER_MANAGED_NETWORK_TAG,
    DIAGNOSTIC_SETTING,
    EGRESS_FIREWALL_TAG,
    ML_WORKSPACE,
    PRIVATE_ENVIRONMENTS,
    customer_managed,
    environment_of,
    get,
    has_managed_identity,
    is_set,
    items,
    managed_network,
    peek,
    refuse_public_network,
    same,
    show,
)
from .rules import Area

area = Area()


@area.resource_rule(
    "workspace-managed-identity",
    "Azure ML workspaces have a managed identity.",
    ML_WORKSPACE,
)
def workspace_managed_identity(args: ResourceValidationArgs) -> Iterator[str]:
    if not has_managed_identity(args.props):
        yield (
            f"identity.type is {show(get(args.props, 'identity', 'type'))}; set it to "
            "'SystemAssigned' (or 'UserAssigned'): the workspace reaches its storage, vault "
            "and registry with it"
        )


@area.resource_rule(
    "workspace-identity-datastore-auth",
    "Azure ML workspaces reach their system datastores with their identity, not account keys.",
    ML_WORKSPACE,
)
def workspace_identity_datastore_auth(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "systemDatastoresAuthMode")
    if not same(found, "Identity"):
        yield (
            f"systemDatastoresAuthMode is {show(found)}; set it to 'Identity': the default "
            "stores the storage account's key in the workspace"
        )


@area.resource_rule(
    "workspace-application-insights",
    "Azure ML workspaces have Application Insights attached.",
    ML_WORKSPACE,
    severity=Severity.MEDIUM,
)
def workspace_application_insights(args: ResourceValidationArgs) -> Iterator[str]:
    if not is_set(args.props, "applicationInsights"):
        yield (
            "applicationInsights is not set; attach an Application Insights component: "
            "endpoints and pipelines are monitored through it"
        )


@area.resource_rule(
    "workspace-prod-managed-network",
    "Production Azure ML workspaces isolate their managed network (approved outbound only), "
    f"unless the team's network isolates them (tag {CUSTOMER_MANAGED_NETWORK_TAG}: 'true', which "
    "customer-managed-network then checks).",
    ML_WORKSPACE,
    environments=("prod",),
)
def workspace_prod_managed_network(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "managedNetwork", "isolationMode")
    # The team's firewall filters egress: no managed network at all, never a loose one, and the
    # firewall named.
    if customer_managed(args.props) and not managed_network(args.props):
        if not peek(args.props, "tags", EGRESS_FIREWALL_TAG):
            yield (
                f"the workspace has no managed network and no {EGRESS_FIREWALL_TAG} tag: in prod "
                "name the firewall the compute subnet's egress goes through "
                "(mlops:network.egressFirewallId), so that only approved destinations are reached"
            )
        return
    if not same(found, "AllowOnlyApprovedOutbound"):
        yield (
            f"managedNetwork.isolationMode is {show(found)}; set it to "
            "'AllowOnlyApprovedOutbound' in prod: compute reaches only approved destinations, "
            "so data cannot be exfiltrated (or, without a managed network, isolate the workspace "
            "in the team's network: mlops:network.isolation customerManaged)"
        )


@area.resource_rule(
    "workspace-network-isolation",
    "In qa and prod, Azure ML workspaces are isolated: by a managed network, or by the team's "
    f"network (tag {CUSTOMER_MANAGED_NETWORK_TAG}: 'true', which customer-managed-network then "
    "checks).",
    ML_WORKSPACE,
    environments=PRIVATE_ENVIRONMENTS,
)
def workspace_network_isolation(args: ResourceValidationArgs) -> Iterator[str]:
    if managed_network(args.props) or customer_managed(args.props):
        return
    found = get(args.props, "managedNetwork", "isolationMode")
    yield (
        f"managedNetwork.isolationMode is {show(found)} and the workspace is not tagged "
        f"{CUSTOMER_MANAGED_NETWORK_TAG}: 'true'; in {environment_of(args.props)} set "
        "mlops:network.isolation to allowInternetOutbound or allowOnlyApprovedOutbound, or to "
        "customerManaged (with computeSubnetId): otherwise its compute has public IPs and "
        "reaches storage, Key Vault and registry over their public endpoints"
    )


@area.resource_rule(
    "workspace-no-public-network",
    "In qa and prod, Azure ML workspaces refuse public network access (private endpoints only).",
    ML_WORKSPACE,
    environments=PRIVATE_ENVIRONMENTS,
)
def workspace_no_public_network(args: ResourceValidationArgs) -> Iterator[str]:
    yield from refuse_public_network(
        args.props,
        ("publicNetworkAccess",),
        "people and pipelines reach the workspace through its private endpoint "
        "(mlops:network.inbound: private)",
    )


# The resource log categories Microsoft lists for online endpoints, a type for which it documents
# no category group: a setting that enables all three sends all of an endpoint's logs. Azure
# accepts them on online endpoints only, so a setting that names one is an online endpoint's.
# https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-machinelearningservices-workspaces-onlineendpoints-logs
ONLINE_ENDPOINT_LOGS: Final = (
    "AmlOnlineEndpointTrafficLog",
    "AmlOnlineEndpointConsoleLog",
    "AmlOnlineEndpointEventLog",
)


@area.resource_rule(
    "diagnostics-to-log-analytics",
    "Diagnostic settings send all logs to a Log Analytics workspace, in resource-specific "
    "tables, and metrics too; an online endpoint's names its three log categories and keeps its "
    "metrics in Azure Monitor.",
    DIAGNOSTIC_SETTING,
    severity=Severity.MEDIUM,
)
def diagnostics_to_log_analytics(args: ResourceValidationArgs) -> Iterator[str]:
    props = args.props
    if not is_set(props, "workspaceId"):
        yield "workspaceId is not set; send the diagnostics to the Log Analytics workspace"
    logs = [log for log in items(get(props, "logs")) if get(log, "enabled") is True]
    enabled = [get(log, "category") for log in logs]
    named = [c for c in ONLINE_ENDPOINT_LOGS if any(same(found, c) for found in enabled)]
    if named:
        # An online endpoint's: its platform metrics stay in Azure Monitor, where its metric
        # alert rules read them; copying them to the workspace would be billed as ingestion.
        missing = [c for c in ONLINE_ENDPOINT_LOGS if c not in named]
        if missing:
            yield (
                f"logs does not enable {', '.join(missing)}; an online endpoint's setting "
                f"enables every category Microsoft lists for it ({', '.join(ONLINE_ENDPOINT_LOGS)})"
            )
    else:
        if not any(same(get(log, "categoryGroup"), "allLogs") for log in logs):
            yield "logs has no enabled entry with categoryGroup 'allLogs'; add one"
        if not any(get(metric, "enabled") is True for metric in items(get(props, "metrics"))):
            yield "metrics has no enabled entry; add category 'AllMetrics'"
    destination = get(props, "logAnalyticsDestinationType")
    if not same(destination, "Dedicated"):
        # https://learn.microsoft.com/azure/azure-monitor/essentials/resource-logs#resource-specific
        yield (
            f"logAnalyticsDestinationType is {show(destination)}; set it to 'Dedicated': "
            "resource-specific tables, not the legacy AzureDiagnostics table"
        )
