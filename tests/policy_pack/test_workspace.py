"""Azure ML workspace and diagnostic setting policies."""

from __future__ import annotations

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.mlops_policy import workspace
from policy.mlops_policy.properties import DIAGNOSTIC_SETTING, ML_WORKSPACE
from tests.policy_pack.conftest import (
    GROUP_ID,
    ResourceCase,
    resource_rule,
    resource_violations,
    subject,
    tagged,
    violation_tests,
)

VIOLATIONS = [
    ResourceCase(
        "workspace-managed-identity",
        ML_WORKSPACE,
        {"identity": {"type": "None"}},
        "identity.type is 'None'; set it to 'SystemAssigned'",
    ),
    ResourceCase(
        "workspace-identity-datastore-auth",
        ML_WORKSPACE,
        {"systemDatastoresAuthMode": "AccessKey"},
        "systemDatastoresAuthMode is 'AccessKey'; set it to 'Identity'",
    ),
    ResourceCase(
        "workspace-application-insights",
        ML_WORKSPACE,
        {},
        "applicationInsights is not set; attach an Application Insights component",
    ),
    ResourceCase(
        "workspace-prod-managed-network",
        ML_WORKSPACE,
        {"tags": {"environment": "prod"}, "managedNetwork": {"isolationMode": "Disabled"}},
        "managedNetwork.isolationMode is 'Disabled'; set it to 'AllowOnlyApprovedOutbound' in prod",
    ),
    ResourceCase(
        "workspace-network-isolation",
        ML_WORKSPACE,
        {"tags": {"environment": "qa"}, "managedNetwork": {"isolationMode": "Disabled"}},
        "managedNetwork.isolationMode is 'Disabled' and the workspace is not tagged "
        "customerManagedNetwork: 'true'; in qa set mlops:network.isolation",
    ),
    ResourceCase(
        "workspace-no-public-network",
        ML_WORKSPACE,
        {"tags": {"environment": "prod"}, "publicNetworkAccess": "Enabled"},
        "publicNetworkAccess is 'Enabled'; set it to 'Disabled' in prod",
    ),
    ResourceCase(
        "diagnostics-to-log-analytics",
        DIAGNOSTIC_SETTING,
        {
            "workspaceId": f"{GROUP_ID}/providers/Microsoft.OperationalInsights/workspaces/log",
            "logs": [{"category": "AmlComputeJobEvent", "enabled": True}],
            "metrics": [{"category": "AllMetrics", "enabled": True}],
            "logAnalyticsDestinationType": "Dedicated",
        },
        "logs has no enabled entry with categoryGroup 'allLogs'",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    workspace.area, VIOLATIONS
)


def test_prod_only_policy_ignores_a_dev_workspace() -> None:
    props = tagged("dev", managedNetwork={"isolationMode": "Disabled"})
    found = resource_violations(
        resource_rule("workspace-prod-managed-network"), subject(ML_WORKSPACE, props)
    )
    assert found == []


def test_value_computed_during_preview_counts_as_set() -> None:
    props = {"applicationInsights": UNKNOWN_STRING_VALUE}
    found = resource_violations(
        resource_rule("workspace-application-insights"), subject(ML_WORKSPACE, props)
    )
    assert found == []


def test_a_dev_workspace_may_accept_public_traffic() -> None:
    props = tagged("dev", publicNetworkAccess="Enabled")
    found = resource_violations(
        resource_rule("workspace-no-public-network"), subject(ML_WORKSPACE, props)
    )
    assert found == []


def test_diagnostics_into_the_legacy_azure_diagnostics_table_are_refused() -> None:
    props = {
        "workspaceId": f"{GROUP_ID}/providers/Microsoft.OperationalInsights/workspaces/log",
        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": True}],
    }
    found = resource_violations(
        resource_rule("diagnostics-to-log-analytics"), subject(DIAGNOSTIC_SETTING, props)
    )
    assert found.messages == [
        "logAnalyticsDestinationType is not set; set it to 'Dedicated': resource-specific "
        "tables, not the legacy AzureDiagnostics table"
    ]


def test_a_prod_workspace_the_teams_network_isolates_names_its_egress_firewall() -> None:
    isolated = {"customerManagedNetwork": "true"}
    props = tagged("prod", managedNetwork={"isolationMode": "Disabled"})
    props["tags"] = {**props["tags"], **isolated}
    rule = resource_rule("workspace-prod-managed-network")
    found = resource_violations(rule, subject(ML_WORKSPACE, props))
    assert found and all("mlops:network.egressFirewallId" in message for message, _ in found)
    props["tags"]["egressFirewall"] = "/subscriptions/x/resourceGroups/rg/providers/fw"
    assert resource_violations(rule, subject(ML_WORKSPACE, props)) == []


ENDPOINT_LOGS = [
    {"category": "AmlOnlineEndpointTrafficLog", "enabled": True},
    {"category": "AmlOnlineEndpointConsoleLog", "enabled": True},
    {"category": "AmlOnlineEndpointEventLog", "enabled": True},
]


def test_an_online_endpoints_setting_may_name_its_three_categories_without_metrics() -> None:
    props = {
        "workspaceId": f"{GROUP_ID}/providers/Microsoft.OperationalInsights/workspaces/log",
        "logs": ENDPOINT_LOGS,
        "logAnalyticsDestinationType": "Dedicated",
    }
    found = resource_violations(
        resource_rule("diagnostics-to-log-analytics"), subject(DIAGNOSTIC_SETTING, props)
    )
    assert found == []


def test_an_online_endpoints_setting_missing_a_category_is_refused_naming_it() -> None:
    props = {
        "workspaceId": f"{GROUP_ID}/providers/Microsoft.OperationalInsights/workspaces/log",
        "logs": [*ENDPOINT_LOGS[:2], {**ENDPOINT_LOGS[2], "enabled": False}],
        "logAnalyticsDestinationType": "Dedicated",
    }
    found = resource_violations(
        resource_rule("diagnostics-to-log-analytics"), subject(DIAGNOSTIC_SETTING, props)
    )
    assert found.messages == [
        "logs does not enable AmlOnlineEndpointEventLog; an online endpoint's setting enables "
        "every category Microsoft lists for it (AmlOnlineEndpointTrafficLog, "
        "AmlOnlineEndpointConsoleLog, AmlOnlineEndpointEventLog)"
    ]
