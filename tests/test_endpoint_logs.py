"""Endpoint logs (issue #26 item 3): mlops:endpointLogs sends every managed online endpoint's
traffic, console and event logs to the stack's Log Analytics workspace, and the alert catalogue's
serverErrorRatePercent watches the share of its requests that fail with a server error.

Runs use configs built here (a managed online, a Kubernetes online and a batch endpoint beside
each other), never the repository's stack files, whose plans must not change: they leave the
key off. Invalid values of the key: tests/hostile_configs/endpoint_logs.yaml.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

import pulumi
import pytest

from components.monitoring import Monitoring, MonitoringArgs, WatchedEndpoint
from offline.engine import ProgramRun, Resource, evaluate
from offline.plan import Plan
from offline.policies import check
from policy.mlops_policy.workspace import ONLINE_ENDPOINT_LOGS
from settings.alerts import ALERTS, LogQuery, default_thresholds
from settings.endpoint_logs import CATEGORIES, SUPPORTED_LOGS, TRAFFIC, TRAFFIC_COLUMNS
from settings.schema import AlertSettings, BudgetSettings, Settings
from tests.conftest import (
    REAL_STACKS,
    load_settings,
    of_type,
    only,
    problem_at,
    pulumi_config,
    required_network,
    settings_problems,
)
from tests.run_cache import cached_run
from tests.test_components import RG_ID, stack_context

EMAIL: Final = "ml-platform@contoso.example"
AKS_ID: Final = (
    "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-platform-aks"
    "/providers/Microsoft.ContainerService/managedClusters/aks-platform"
)
MANAGED: Final = {"name": "churn-score", "kind": "online", "deployments": ["blue"]}
ON_CLUSTER: Final = {"name": "churn-aks", "kind": "online", "kubernetesCluster": "aks-serving"}
BATCH: Final = {
    "name": "sales-prep",
    "kind": "batch",
    "purpose": "preprocessing",
    "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
}
# A dev stack whose workspace has no managed network, so that it may attach an AKS cluster
# (Azure ML supports no Kubernetes compute in a managed network): every kind of endpoint.
BASE: Final = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": {"emails": [EMAIL]},
    "mlops:network": {"isolation": "disabled"},
    "mlops:kubernetesClusters": [
        {"name": "aks-serving", "clusterId": AKS_ID, "namespace": "ml-serving"}
    ],
    "mlops:endpoints": [MANAGED, ON_CLUSTER, BATCH],
}
LOGS_ON: Final = {"enabled": True}
DIAGNOSTICS: Final = "monitor:DiagnosticSetting"
LOG_ALERT: Final = "monitor:ScheduledQueryRule"
RULE: Final = "churn-score_server-error-rate"
ALERT: Final = ALERTS["serverErrorRatePercent"]
WORKSPACE_ID: Final = f"{RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
ENDPOINT_ID: Final = f"{WORKSPACE_ID}/onlineEndpoints/churn-score-abc123"
LOGS_ID: Final = f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/log-test"
# The columns of AmlOnlineEndpointTrafficLog, as Microsoft's table reference lists them
# (https://learn.microsoft.com/azure/azure-monitor/reference/tables/amlonlineendpointtrafficlog),
# with the types of those the alert compares.
TRAFFIC_LOG_COLUMNS: Final = frozenset(
    {
        "AuthType", "AzureMLWorkspaceId", "AzureMLWorkspaceName", "_BilledSize",
        "DeploymentName", "EndpointName", "IdentityData", "_IsBillable", "Location", "Method",
        "ModelStatusCode", "ModelStatusReason", "OperationName", "Path", "Protocol",
        "RequestDurationMs", "RequestPayloadSize", "RequestThrottlingDelayMs", "_ResourceId",
        "ResponseCode", "ResponseCodeReason", "ResponseDurationMs", "ResponsePayloadSize",
        "ResponseThrottlingDelayMs", "SourceSystem", "_SubscriptionId", "TenantId",
        "TimeGenerated", "TotalDurationMs", "Type", "UserAgent", "XMSClientRequestId",
        "XRequestId",
    }
)  # fmt: skip
INT_COLUMNS: Final = frozenset({"ResponseCode", "ModelStatusCode"})


def load(stack: str = "dev", **keys: Any) -> Settings:
    return load_settings(BASE, stack, **keys)


def problems(stack: str = "dev", **keys: Any) -> tuple[str, ...]:
    return settings_problems(BASE, stack, **keys)


def program(**keys: Any) -> ProgramRun:
    """The dev program on BASE, with ``mlops:<key>`` set from ``keys``."""
    config = {**BASE, **{f"mlops:{key}": value for key, value in keys.items()}}
    return cached_run("dev", config=pulumi_config(config))


@functools.cache
def logged() -> ProgramRun:
    """BASE with endpoint logs on, evaluated once: most tests read a part of it."""
    return program(endpointLogs=LOGS_ON)


@functools.cache
def unlogged() -> ProgramRun:
    return program()


def endpoint(run: ProgramRun, name: str) -> Resource:
    (found,) = [
        r
        for r in of_type(run, "machinelearningservices:OnlineEndpoint")
        + of_type(run, "machinelearningservices:BatchEndpoint")
        if r.inputs["endpointName"].startswith(f"{name}-")
    ]
    return found


def settings_on(run: ProgramRun, resource: Resource) -> list[Resource]:
    """The diagnostic settings of ``resource``."""
    return [d for d in of_type(run, DIAGNOSTICS) if d.inputs["resourceUri"] == resource.id]


def endpoint_setting(run: ProgramRun) -> Resource:
    (found,) = settings_on(run, endpoint(run, "churn-score"))
    return found


def rule(run: ProgramRun, name: str = RULE) -> Resource:
    (found,) = [r for r in of_type(run, LOG_ALERT) if r.inputs["ruleName"] == name]
    return found


def condition(run: ProgramRun) -> dict[str, Any]:
    (found,) = rule(run).inputs["criteria"]["allOf"]
    return found


# ---------------------------------------------------------------- settings


def test_endpoint_logs_are_off_unless_a_stack_turns_them_on() -> None:
    assert load().endpoint_logs.enabled is False


def test_a_stack_with_a_managed_online_endpoint_may_turn_them_on() -> None:
    assert load(endpointLogs=LOGS_ON).endpoint_logs.enabled is True


def test_turning_them_off_explicitly_is_accepted_without_managed_online_endpoints() -> None:
    assert load(endpoints=[BATCH], endpointLogs={"enabled": False}).endpoint_logs.enabled is False


@pytest.mark.parametrize(
    "endpoints",
    [[], [ON_CLUSTER], [BATCH], [ON_CLUSTER, BATCH]],
    ids=["none", "k8s", "batch", "both"],
)
def test_on_without_a_managed_online_endpoint_is_refused_as_unused(endpoints: list[Any]) -> None:
    found = problem_at(
        problems(endpoints=endpoints, endpointLogs=LOGS_ON), "mlops:endpointLogs.enabled"
    )
    assert "is only used with a managed online endpoint" in found
    assert (
        "concept-endpoints-online#managed-online-endpoints-vs-kubernetes-online-endpoints" in found
    )


def test_the_shared_stack_refuses_the_key_once() -> None:
    config = {
        "azure-native:location": "westeurope",
        "mlops:prefix": "contoso",
        "mlops:alerts": {"emails": [EMAIL]},
        "mlops:modelRegistry": {"mode": "create"},
    }
    found = settings_problems(config, "shared", endpointLogs=LOGS_ON)
    assert found == (
        "mlops:endpointLogs: is only valid with mlops:environment: dev, qa or prod (the shared "
        "stack has no workspace: it creates the model registry alone)",
    )


def test_its_threshold_may_be_overridden_within_0_to_100_percent() -> None:
    alerts = {"emails": [EMAIL], "thresholds": {"serverErrorRatePercent": 7}}
    assert load(alerts=alerts).profile.alert_thresholds["serverErrorRatePercent"] == 7
    alerts["thresholds"] = {"serverErrorRatePercent": 101}
    key = "mlops:alerts.thresholds.serverErrorRatePercent"
    assert problem_at(problems(alerts=alerts), key) == f"{key}: must be between 0 and 100, got 101"


# ---------------------------------------------------------------- Microsoft's lists


def test_the_categories_are_those_microsoft_lists_for_online_endpoints() -> None:
    # SUPPORTED_LOGS lists exactly these three for the type, each with a table of its name.
    assert SUPPORTED_LOGS.endswith(
        "/supported-logs/microsoft-machinelearningservices-workspaces-onlineendpoints-logs"
    )
    assert {c.name for c in CATEGORIES} == {
        "AmlOnlineEndpointTrafficLog",
        "AmlOnlineEndpointConsoleLog",
        "AmlOnlineEndpointEventLog",
    }
    for category in CATEGORIES:
        assert category.table_reference.endswith(f"/reference/tables/{category.name.lower()}")


def test_the_policy_pack_knows_the_same_categories() -> None:
    assert set(ONLINE_ENDPOINT_LOGS) == {c.name for c in CATEGORIES}


def test_the_alert_reads_the_traffic_table_and_only_its_documented_columns() -> None:
    query = ALERT.signal.query
    assert isinstance(ALERT.signal, LogQuery)
    assert query.startswith(f"{TRAFFIC.name}\n")
    assert set(TRAFFIC_COLUMNS) <= TRAFFIC_LOG_COLUMNS
    compared = set(re.findall(r"\b([A-Z]\w+) >= \d+", query))
    assert compared == INT_COLUMNS  # int columns, compared with numbers
    read = set(re.findall(r"\b([A-Z]\w+) (?:==|>=)", query)) | set(re.findall(r"by (\w+)", query))
    assert read == set(TRAFFIC_COLUMNS)


# ---------------------------------------------------------------- the diagnostic setting


def test_a_managed_online_endpoint_gets_one_diagnostic_setting() -> None:
    run = logged()
    assert len(settings_on(run, endpoint(run, "churn-score"))) == 1


def test_it_sends_every_category_microsoft_lists_and_no_metrics() -> None:
    inputs = endpoint_setting(logged()).inputs
    assert inputs["logs"] == [{"category": c.name, "enabled": True} for c in CATEGORIES]
    assert "metrics" not in inputs


def test_it_fills_resource_specific_tables() -> None:
    assert endpoint_setting(logged()).inputs["logAnalyticsDestinationType"] == "Dedicated"


def test_it_sends_them_to_the_stacks_log_analytics_workspace() -> None:
    run = logged()
    workspace = only(run, "operationalinsights:Workspace")
    assert endpoint_setting(run).inputs["workspaceId"] == workspace.id


def test_kubernetes_online_and_batch_endpoints_get_none() -> None:
    run = logged()
    assert settings_on(run, endpoint(run, "churn-aks")) == []
    assert settings_on(run, endpoint(run, "sales-prep")) == []


def test_the_workspaces_own_diagnostic_setting_is_unchanged() -> None:
    on, off = logged(), unlogged()
    workspace = only(on, "machinelearningservices:Workspace")
    (setting,) = settings_on(on, workspace)
    (before,) = settings_on(off, only(off, "machinelearningservices:Workspace"))
    assert setting.inputs == before.inputs


def test_nothing_is_sent_when_the_key_is_off() -> None:
    run = unlogged()
    assert [d.inputs["resourceUri"] for d in of_type(run, DIAGNOSTICS)] == [
        only(run, "machinelearningservices:Workspace").id
    ]
    assert not [r for r in of_type(run, LOG_ALERT) if r.inputs["ruleName"] == RULE]


def test_the_preview_shows_the_categories_it_sends() -> None:
    plan = Plan(logged())
    shown = dict(plan.settings(endpoint_setting(plan.run)))
    assert shown["logs"] == ", ".join(c.name for c in CATEGORIES)
    assert shown["of"] == "→ endpoints-churn-score"
    assert shown["to"] == "→ ml-logs"


def test_a_stack_with_endpoint_logs_passes_the_policy_pack() -> None:
    report = check(logged())
    assert [v.policy for v in report.violations] == []


# ---------------------------------------------------------------- the alert


def test_the_alert_is_in_the_catalogue_with_its_defaults() -> None:
    assert (ALERT.target, ALERT.slug, ALERT.unit) == ("online endpoint", "server-error-rate", "%")
    assert (ALERT.defaults.dev, ALERT.defaults.qa, ALERT.defaults.prod) == (20, 10, 2)
    assert (ALERT.low, ALERT.high) == (0, 100)
    assert (ALERT.window, ALERT.frequency) == ("PT5M", "PT5M")


def test_only_the_logged_managed_online_endpoint_gets_the_rule() -> None:
    names = sorted(r.inputs["ruleName"] for r in of_type(logged(), LOG_ALERT))
    assert names == sorted([RULE, "sales-prep_failed-jobs"])  # none for churn-aks


def test_the_rule_is_a_log_alert_on_the_stacks_log_analytics_workspace() -> None:
    run = logged()
    inputs = rule(run).inputs
    assert inputs["kind"] == "LogAlert"
    assert inputs["scopes"] == [only(run, "operationalinsights:Workspace").id]
    assert inputs["location"] == "westeurope"
    assert (inputs["windowSize"], inputs["evaluationFrequency"]) == ("PT5M", "PT5M")
    assert inputs["severity"] == 1


def test_the_query_watches_the_endpoint_by_its_azure_name() -> None:
    run = logged()
    name = endpoint(run, "churn-score").inputs["endpointName"]
    assert condition(run)["query"] == ALERT.signal.query.format(endpoint=name)
    assert f'| where EndpointName == "{name}"\n' in condition(run)["query"]


def test_the_rule_compares_the_share_of_server_errors_per_deployment() -> None:
    found = condition(logged())
    assert found["metricMeasureColumn"] == "ServerErrorRatePercent"
    assert "ServerErrorRatePercent = 100.0 * ServerErrors / Requests" in found["query"]
    assert "countif(ResponseCode >= 500 or ModelStatusCode >= 500)" in found["query"]
    assert found["timeAggregation"] == "Maximum"
    assert found["dimensions"] == [
        {"name": "DeploymentName", "operator": "Include", "values": ["*"]}
    ]
    assert (found["operator"], found["threshold"]) == ("GreaterThan", 20)
    assert found["failingPeriods"] == {
        "numberOfEvaluationPeriods": 1,
        "minFailingPeriodsToAlert": 1,
    }


def test_the_rule_does_not_ask_azure_to_resolve_a_table_that_comes_with_the_first_rows() -> None:
    assert rule(logged()).inputs["skipQueryValidation"] is True
    assert "skipQueryValidation" not in rule(logged(), "sales-prep_failed-jobs").inputs


def test_the_rule_is_enabled_and_notifies_the_action_group() -> None:
    run = logged()
    inputs = rule(run).inputs
    assert inputs["enabled"] is True
    assert inputs["actions"] == {"actionGroups": [only(run, "monitor:ActionGroup").id]}


def test_the_threshold_follows_mlops_alerts_thresholds() -> None:
    run = program(
        endpointLogs=LOGS_ON,
        alerts={"emails": [EMAIL], "thresholds": {"serverErrorRatePercent": 7}},
    )
    assert condition(run)["threshold"] == 7
    assert "above 7 %" in rule(run).inputs["description"]


def test_switched_off_alerts_leave_the_logs_flowing_without_a_rule() -> None:
    run = program(endpointLogs=LOGS_ON, alerts={"enabled": False, "emails": [EMAIL]})
    assert endpoint_setting(run)
    assert of_type(run, LOG_ALERT) == []


def test_the_preview_shows_what_the_rule_compares() -> None:
    plan = Plan(logged())
    shown = dict(plan.settings(rule(plan.run)))
    assert shown["watches"] == "→ ml-logs"
    assert shown["when"].startswith("Maximum ServerErrorRatePercent of AmlOnlineEndpointTrafficLog")
    assert shown["when"].endswith("> 20 per DeploymentName")


def logged_monitoring(environment: str) -> ProgramRun:
    """The Monitoring component alone, watching one logged endpoint with ``environment``'s
    defaults."""

    def body() -> None:
        component = Monitoring(
            "mon",
            stack_context(),
            MonitoringArgs(
                alerts=AlertSettings(emails=(EMAIL,)),
                thresholds=default_thresholds(environment),
                budget=BudgetSettings(monthly_amount=5000),
                budget_start="2026-11-01T00:00:00Z",
                workspace_id=WORKSPACE_ID,
                log_analytics_id=LOGS_ID,
                online_endpoints=(
                    WatchedEndpoint("churn-score", ENDPOINT_ID, (), logged_as="churn-score-abc123"),
                ),
            ),
        )
        pulumi.export("rules", component.rule_names)

    return evaluate(body)


@pytest.mark.parametrize("environment", ["dev", "qa", "prod"])
def test_each_environment_gets_its_default_threshold(environment: str) -> None:
    run = logged_monitoring(environment)
    assert condition(run)["threshold"] == getattr(ALERT.defaults, environment)
    assert rule(run).inputs["scopes"] == [LOGS_ID]


def test_an_endpoint_not_logged_gets_no_log_rule() -> None:
    def body() -> None:
        Monitoring(
            "mon",
            stack_context(),
            MonitoringArgs(
                alerts=AlertSettings(emails=(EMAIL,)),
                thresholds=default_thresholds("prod"),
                budget=BudgetSettings(monthly_amount=5000),
                budget_start="2026-11-01T00:00:00Z",
                log_analytics_id=LOGS_ID,
                online_endpoints=(WatchedEndpoint("churn-score", ENDPOINT_ID, ()),),
            ),
        )

    assert of_type(evaluate(body), LOG_ALERT) == []


def test_prod_with_endpoint_logs_previews_clean() -> None:
    config = {
        **{k: v for k, v in BASE.items() if k not in ("mlops:network", "mlops:kubernetesClusters")},
        **required_network("prod"),
        "mlops:endpoints": [MANAGED, BATCH],
        "mlops:budget": {"monthlyAmount": 5000},
        "mlops:endpointLogs": LOGS_ON,
    }
    run = cached_run("prod", config=pulumi_config(config))
    assert condition(run)["threshold"] == ALERT.defaults.prod
    assert not check(run).violations


# ---------------------------------------------------------------- the repository's stacks


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_no_repository_stack_turns_endpoint_logs_on(
    real_stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = real_stack_runs[stack]
    assert not [
        d
        for d in of_type(run, DIAGNOSTICS)
        if "onlineEndpoints" in str(d.inputs["resourceUri"]) or d.name.startswith("endpoints-")
    ]
    assert not [
        r
        for r in of_type(run, LOG_ALERT)
        if TRAFFIC.name in r.inputs["criteria"]["allOf"][0]["query"]
    ]
