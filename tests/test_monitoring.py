"""Operations: the alert catalogue, mlops:alerts and mlops:budget, the Monitoring component, and
what every stack registers to tell someone when it breaks or overspends."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pulumi
import pytest

import settings
from components.monitoring import Monitoring, MonitoringArgs, WatchedEndpoint, first_of_month
from offline.engine import ProgramRun, Resource, evaluate, is_secret
from offline.plan import Plan
from offline.preview import plan_data, render_markdown, render_text
from offline.prices import PRICES, TERRA_UI
from settings.alerts import (
    CATALOGUE,
    ONLINE_DEPLOYMENTS,
    ONLINE_ENDPOINTS,
    WORKSPACES,
    Metric,
    default_thresholds,
)
from settings.names import Names
from settings.profiles import PROFILES
from settings.schema import AlertSettings, BudgetSettings, Settings
from tests.conftest import (
    STACKS,
    WORKSPACE_STACKS,
    load_settings,
    of_type,
    only,
    problem_at,
    required_network,
    settings_problems,
)
from tests.run_cache import cached_run
from tests.test_components import RG_ID, stack_context

EMAIL = "ml-platform@contoso.example"
BASE = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": json.dumps({"emails": [EMAIL]}),
}
BUDGET = {"monthlyAmount": 5000}
WORKSPACE_ID = f"{RG_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
ENDPOINT_ID = f"{WORKSPACE_ID}/onlineEndpoints/churn-score-abc123"
LOGS_ID = f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/log-test"
METRIC_ALERT = "monitor:MetricAlert"
LOG_ALERT = "monitor:ScheduledQueryRule"


def load(stack: str = "dev", **keys: Any) -> Settings:
    return load_settings(BASE, stack, **keys)


def problems(stack: str = "dev", **keys: Any) -> tuple[str, ...]:
    return settings_problems(BASE, stack, **keys)


# ---------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("alert", CATALOGUE, ids=lambda a: a.key)
def test_every_default_threshold_lies_within_the_range_a_stack_may_set(alert: Any) -> None:
    assert all(alert.low <= alert.defaults.of(env) <= alert.high for env in ("dev", "qa", "prod"))


@pytest.mark.parametrize("alert", CATALOGUE, ids=lambda a: a.key)
def test_prod_is_never_looser_than_dev(alert: Any) -> None:
    assert alert.defaults.prod <= alert.defaults.qa <= alert.defaults.dev


def test_prod_is_tighter_somewhere() -> None:
    assert any(a.defaults.prod < a.defaults.dev for a in CATALOGUE)


@pytest.mark.parametrize("alert", CATALOGUE, ids=lambda a: a.key)
def test_metric_signals_use_the_namespace_of_what_they_watch(alert: Any) -> None:
    namespace = {
        "workspace": WORKSPACES,
        "online endpoint": ONLINE_ENDPOINTS,
        "online deployment": ONLINE_DEPLOYMENTS,
    }
    if isinstance(alert.signal, Metric):
        assert alert.signal.namespace == namespace[alert.target]
    elif alert.target == "online endpoint":  # its traffic logs (tests/test_endpoint_logs.py)
        assert "{endpoint}" in alert.signal.query
    else:
        assert alert.target == "batch endpoint"
        assert "{cluster}" in alert.signal.query


@pytest.mark.parametrize("alert", CATALOGUE, ids=lambda a: a.key)
def test_windows_and_frequencies_are_ones_azure_monitor_accepts(alert: Any) -> None:
    minutes = {"PT1M": 1, "PT5M": 5, "PT15M": 15, "PT30M": 30, "PT1H": 60}
    assert alert.frequency in minutes
    assert alert.window in minutes
    assert minutes[alert.window] >= minutes[alert.frequency]
    assert 0 <= alert.severity <= 4


def test_keys_and_rule_slugs_are_unique() -> None:
    assert len({a.key for a in CATALOGUE}) == len({a.slug for a in CATALOGUE}) == len(CATALOGUE)


def test_the_profiles_take_their_thresholds_from_the_catalogue() -> None:
    for environment, profile in PROFILES.items():
        assert profile.alert_thresholds == default_thresholds(environment)


# ---------------------------------------------------------------- settings: defaults


def test_alerts_are_on_by_default_and_thresholds_are_the_environments() -> None:
    loaded = load("qa")
    assert loaded.alerts.enabled is True
    assert loaded.profile.alert_thresholds == default_thresholds("qa")


def test_dev_and_qa_get_the_profiles_budget_when_the_stack_sets_none() -> None:
    for stack in ("dev", "qa"):
        budget = load(stack).cost_budget
        assert budget.monthly_amount == PROFILES[stack].monthly_budget
        assert budget.thresholds == (80, 100)


# ---------------------------------------------------------------- settings: overrides


def test_a_threshold_override_changes_that_alert_only() -> None:
    thresholds = load(
        alerts={"emails": [EMAIL], "thresholds": {"cpuPercent": 70}}
    ).profile.alert_thresholds
    assert thresholds == {**default_thresholds("dev"), "cpuPercent": 70}


def test_a_configured_budget_replaces_the_profiles() -> None:
    budget = load(budget={"monthlyAmount": 750, "thresholds": [50, 90]}).cost_budget
    assert (budget.monthly_amount, budget.thresholds) == (750, (50, 90))


def test_alerts_may_be_switched_off_outside_prod_with_emails_for_the_budget() -> None:
    assert load("qa", alerts={"enabled": False, "emails": [EMAIL]}).alerts.enabled is False


def test_webhooks_alone_are_enough_receivers() -> None:
    loaded = load(alerts={"webhooks": ["https://hooks.example/alerts"]})
    assert loaded.alerts.webhooks == ("https://hooks.example/alerts",)


# ---------------------------------------------------------------- settings: refusals


def test_a_stack_without_alerts_is_refused_saying_what_to_give() -> None:
    config = {k: v for k, v in BASE.items() if k != "mlops:alerts"}
    with pytest.raises(settings.SettingsError) as caught:
        settings.load(config, project="mlops", stack="dev")
    assert "who is told" in problem_at(caught.value.problems, "mlops:alerts")


def test_alerts_on_without_receivers_are_refused() -> None:
    found = problems(alerts={"emails": [], "webhooks": []})
    assert "at least one e-mail or webhook is required" in problem_at(found, "mlops:alerts.emails")


def test_alerts_off_without_emails_are_refused_because_the_budget_needs_someone() -> None:
    found = problems(alerts={"enabled": False})
    assert "the budget's notifications" in problem_at(found, "mlops:alerts.emails")


def test_alerts_off_are_refused_in_prod() -> None:
    found = problems("prod", alerts={"enabled": False, "emails": [EMAIL]}, budget=BUDGET)
    assert problem_at(found, "mlops:alerts.enabled").endswith(
        "must be true in prod: it must tell someone when it breaks"
    )


def test_a_threshold_out_of_range_is_refused_with_the_range() -> None:
    found = problems(alerts={"emails": [EMAIL], "thresholds": {"cpuPercent": 101}})
    assert problem_at(found, "mlops:alerts.thresholds.cpuPercent") == (
        "mlops:alerts.thresholds.cpuPercent: must be between 1 and 100, got 101"
    )


def test_an_unknown_threshold_is_refused_listing_the_known_ones() -> None:
    found = problems(alerts={"emails": [EMAIL], "thresholds": {"cpuPercnt": 80}})
    assert "did you mean 'cpuPercent'?" in problem_at(found, "mlops:alerts.thresholds.cpuPercnt")


def test_prod_without_a_budget_is_refused() -> None:
    assert "is required in prod" in problem_at(problems("prod"), "mlops:budget")


def test_budget_thresholds_must_ascend_and_fit_azures_five_notifications() -> None:
    found = problems(budget={"monthlyAmount": 100, "thresholds": [90, 80, 100, 110, 120]})
    assert "must list 1-4 percentages" in problem_at(found, "mlops:budget.thresholds")
    assert "must be above the one before (90)" in problem_at(found, "mlops:budget.thresholds[1]")


def test_a_budget_threshold_out_of_range_names_its_entry() -> None:
    found = problems(budget={"monthlyAmount": 100, "thresholds": [80, 2000]})
    assert problem_at(found, "mlops:budget.thresholds[1]").endswith(
        "must be between 1 and 1000, got 2000"
    )


def test_receivers_are_checked_one_by_one() -> None:
    found = problems(alerts={"emails": ["ops"], "webhooks": ["http://hooks.example/a"]})
    assert problem_at(found, "mlops:alerts.emails[0]").endswith(
        "must be an e-mail address such as ml-platform@contoso.example, got 'ops'"
    )
    assert "an https:// URL" in problem_at(found, "mlops:alerts.webhooks[0]")


def test_a_repeated_email_is_refused() -> None:
    found = problems(alerts={"emails": [EMAIL, EMAIL.upper()]})
    assert "repeats emails[0]" in problem_at(found, "mlops:alerts.emails[1]")


def test_deployments_are_refused_on_a_batch_endpoint() -> None:
    batch = {
        "name": "sales-prep",
        "kind": "batch",
        "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
        "deployments": ["blue"],
    }
    found = problems(endpoints=[batch])
    assert "only valid with kind: online" in problem_at(found, "mlops:endpoints[0].deployments")


@pytest.mark.parametrize("environment", ["dev", "qa", "prod"])
def test_action_group_short_names_fit_azures_twelve_characters(environment: str) -> None:
    names = Names(prefix="abcdefghij", environment=environment, stack=environment)
    assert len(names.action_group_short_name) <= 12
    assert names.action_group_short_name.endswith(f"-{environment}")


# ---------------------------------------------------------------- the Monitoring component

ONLINE = WatchedEndpoint("churn-score", ENDPOINT_ID, ("blue",))
WEBHOOK = "https://hooks.example/alerts?token=abc"


def monitoring(
    alerts: AlertSettings | None = None,
    thresholds: Mapping[str, int] | None = None,
    online: tuple[WatchedEndpoint, ...] = (ONLINE,),
    batch: Mapping[str, str] | None = None,
) -> Callable[[], object]:
    def body() -> None:
        component = Monitoring(
            "mon",
            stack_context(),
            MonitoringArgs(
                alerts=alerts or AlertSettings(emails=(EMAIL,), webhooks=(WEBHOOK,)),
                thresholds=thresholds or default_thresholds("prod"),
                budget=BudgetSettings(monthly_amount=5000, thresholds=(50, 100)),
                budget_start="2026-11-01T00:00:00Z",
                workspace_id=WORKSPACE_ID,
                log_analytics_id=LOGS_ID,
                online_endpoints=online,
                batch_clusters={"sales-prep": "sales-prep-batch"} if batch is None else batch,
            ),
        )
        pulumi.export("rules", component.rule_names)

    return body


@functools.cache
def monitored() -> ProgramRun:
    """The component with the defaults above, evaluated once: most tests read a part of it."""
    return evaluate(monitoring())


def rule(run: ProgramRun, name: str) -> Resource:
    (found,) = [
        r
        for r in [*of_type(run, METRIC_ALERT), *of_type(run, LOG_ALERT)]
        if r.inputs["ruleName"] == name
    ]
    return found


def test_first_of_month_is_the_budget_start_azure_accepts() -> None:
    assert first_of_month(datetime(2026, 11, 26, 18, 33)) == "2026-11-01T00:00:00Z"


def test_the_action_group_is_global_enabled_and_sends_the_common_schema() -> None:
    run = monitored()
    group = only(run, "monitor:ActionGroup")
    assert group.inputs["location"] == "global"
    assert group.inputs["enabled"] is True
    assert group.inputs["groupShortName"] == "contoso-dev"
    assert group.inputs["emailReceivers"] == [
        {"name": "email-1", "emailAddress": EMAIL, "useCommonAlertSchema": True}
    ]
    # The receivers hold a secret (the URL), so Pulumi keeps the whole list secret.
    assert group.inputs["webhookReceivers"]["value"] == [
        {
            "name": "webhook-1",
            "serviceUri": WEBHOOK,
            "useAadAuth": False,
            "useCommonAlertSchema": True,
        }
    ]


def test_webhook_urls_stay_secret() -> None:
    receivers = only(monitored(), "monitor:ActionGroup").inputs["webhookReceivers"]
    assert is_secret(receivers)


def test_one_rule_per_alert_and_watched_resource() -> None:
    run = monitored()
    per_target = {"workspace": 1, "online endpoint": 1, "online deployment": 1, "batch endpoint": 1}
    # The endpoint's logs do not go to Log Analytics here: no rule reads them.
    watched = [a for a in CATALOGUE if a.key != "serverErrorRatePercent"]
    assert len(run.outputs["rules"]) == sum(per_target[a.target] for a in watched)
    assert set(run.outputs["rules"]) >= {
        "workspace_quota",
        "churn-score_latency-p95",
        "churn-score_blue_cpu",
        "sales-prep_failed-jobs",
    }


@pytest.mark.parametrize(
    "alert", [a for a in CATALOGUE if isinstance(a.signal, Metric)], ids=lambda a: a.key
)
def test_metric_rules_follow_the_catalogue(alert: Any) -> None:
    run = monitored()
    subject = {
        "workspace": "workspace",
        "online endpoint": "churn-score",
        "online deployment": "churn-score_blue",
    }[alert.target]
    inputs = rule(run, f"{subject}_{alert.slug}").inputs
    (criterion,) = inputs["criteria"]["allOf"]
    assert criterion["metricNamespace"] == alert.signal.namespace
    assert criterion["metricName"] == alert.signal.name
    assert criterion["timeAggregation"] == alert.signal.aggregation
    assert criterion["operator"] == "GreaterThan"
    assert criterion["threshold"] == alert.defaults.prod
    assert {d["name"]: tuple(d["values"]) for d in criterion.get("dimensions", [])} == dict(
        alert.signal.dimensions
    )
    assert (inputs["windowSize"], inputs["evaluationFrequency"]) == (alert.window, alert.frequency)
    assert inputs["location"] == "global"


def test_every_rule_is_enabled_and_notifies_the_action_group() -> None:
    run = monitored()
    group_id = only(run, "monitor:ActionGroup").id
    for metric in of_type(run, METRIC_ALERT):
        assert metric.inputs["enabled"] is True
        assert metric.inputs["actions"] == [{"actionGroupId": group_id}]
    for log in of_type(run, LOG_ALERT):
        assert log.inputs["enabled"] is True
        assert log.inputs["actions"] == {"actionGroups": [group_id]}


def test_rules_watch_the_workspace_the_endpoint_and_the_named_deployment() -> None:
    run = monitored()
    assert rule(run, "workspace_failed-runs").inputs["scopes"] == [WORKSPACE_ID]
    assert rule(run, "churn-score_server-errors").inputs["scopes"] == [ENDPOINT_ID]
    assert rule(run, "churn-score_blue_memory").inputs["scopes"] == [
        f"{ENDPOINT_ID}/deployments/blue"
    ]


def test_server_errors_count_only_5xx_answers() -> None:
    (criterion,) = rule(monitored(), "churn-score_server-errors").inputs["criteria"]["allOf"]
    assert {"name": "statusCodeClass", "operator": "Include", "values": ["5xx"]} in criterion[
        "dimensions"
    ]


def test_a_batch_endpoint_is_watched_by_a_log_query_on_its_own_cluster() -> None:
    inputs = rule(monitored(), "sales-prep_failed-jobs").inputs
    (alert,) = [a for a in CATALOGUE if a.target == "batch endpoint"]
    (condition,) = inputs["criteria"]["allOf"]
    assert inputs["kind"] == "LogAlert"
    assert inputs["scopes"] == [LOGS_ID]
    assert inputs["location"] == "westeurope"
    assert 'ClusterName == "sales-prep-batch"' in condition["query"]
    assert 'EventType == "JobFailed"' in condition["query"]
    assert (condition["timeAggregation"], condition["operator"]) == ("Count", "GreaterThan")
    assert condition["threshold"] == alert.defaults.prod


def test_thresholds_come_from_the_args() -> None:
    thresholds = {**default_thresholds("dev"), "latencyP95Ms": 1234}
    inputs = rule(evaluate(monitoring(thresholds=thresholds)), "churn-score_latency-p95").inputs
    assert inputs["criteria"]["allOf"][0]["threshold"] == 1234
    assert "above 1234 ms" in inputs["description"]


def test_no_deployment_named_means_no_deployment_rules() -> None:
    run = evaluate(monitoring(online=(WatchedEndpoint("churn-score", ENDPOINT_ID, ()),)))
    assert not [name for name in run.outputs["rules"] if name.count("_") == 2]


def test_switched_off_alerts_leave_only_the_budget_notifying_the_emails() -> None:
    run = evaluate(monitoring(alerts=AlertSettings(enabled=False, emails=(EMAIL,))))
    assert of_type(run, "monitor:") == []
    notifications = only(run, "consumption:Budget").inputs["notifications"]
    assert {n["contactEmails"][0] for n in notifications.values()} == {EMAIL}
    assert all(n["contactGroups"] == [] for n in notifications.values())


def test_the_budget_is_monthly_on_the_resource_group_and_keeps_its_start() -> None:
    budget = only(monitored(), "consumption:Budget")
    inputs = budget.inputs
    assert inputs["scope"] == RG_ID
    assert (inputs["category"], inputs["timeGrain"], inputs["amount"]) == ("Cost", "Monthly", 5000)
    assert inputs["timePeriod"] == {"startDate": "2026-11-01T00:00:00Z"}
    assert budget.ignore_changes == ("timePeriod.startDate",)


def test_the_budget_notifies_actual_cost_at_each_threshold_and_a_forecast_above_100() -> None:
    run = monitored()
    group_id = only(run, "monitor:ActionGroup").id
    notifications = only(run, "consumption:Budget").inputs["notifications"]
    assert sorted((n["thresholdType"], n["threshold"]) for n in notifications.values()) == [
        ("Actual", 50),
        ("Actual", 100),
        ("Forecasted", 100),
    ]
    for notification in notifications.values():
        assert notification["enabled"] is True
        assert notification["contactEmails"] == [EMAIL]
        assert notification["contactGroups"] == [group_id]


# ---------------------------------------------------------------- stacks

ONLINE_ENDPOINT = {"name": "churn-score", "kind": "online", "deployments": ["blue"]}
BATCH_ENDPOINT = {
    "name": "sales-prep",
    "kind": "batch",
    "purpose": "preprocessing",
    "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2},
}


def fixture_run(stack: str) -> ProgramRun:
    config = {
        **BASE,
        **required_network(stack),
        "mlops:endpoints": json.dumps([ONLINE_ENDPOINT, BATCH_ENDPOINT]),
        "mlops:budget": json.dumps(BUDGET),
    }
    return cached_run(stack, config=config)


@pytest.fixture(scope="module")
def fixture_runs() -> dict[str, ProgramRun]:
    return {stack: fixture_run(stack) for stack in ("dev", "qa", "prod")}


def watched(run: ProgramRun, resource: Resource) -> list[Resource]:
    """The alert rules whose scopes name ``resource`` or a child of it."""
    return [
        r
        for r in [*of_type(run, METRIC_ALERT), *of_type(run, LOG_ALERT)]
        if any(s == resource.id or s.startswith(f"{resource.id}/") for s in r.inputs["scopes"])
    ]


@pytest.mark.parametrize("stack", ["dev", "qa", "prod"])
def test_each_environment_registers_its_action_group_rules_and_budget(
    fixture_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = fixture_runs[stack]
    group = only(run, "monitor:ActionGroup")
    assert group.inputs["actionGroupName"] == f"ag-contoso-{stack}"
    assert watched(run, only(run, "machinelearningservices:Workspace"))
    assert watched(run, only(run, "machinelearningservices:OnlineEndpoint"))
    assert watched(run, only(run, "operationalinsights:Workspace"))  # the batch endpoint's
    budget = only(run, "consumption:Budget")
    assert budget.inputs["scope"] == only(run, "resources:ResourceGroup").id
    assert budget.inputs["amount"] == BUDGET["monthlyAmount"]


def test_prod_thresholds_are_the_prod_profiles(fixture_runs: dict[str, ProgramRun]) -> None:
    inputs = rule(fixture_runs["prod"], "churn-score_latency-p95").inputs
    assert inputs["criteria"]["allOf"][0]["threshold"] == default_thresholds("prod")["latencyP95Ms"]


def test_the_budget_starts_on_the_first_of_the_current_month(
    fixture_runs: dict[str, ProgramRun],
) -> None:
    start = only(fixture_runs["dev"], "consumption:Budget").inputs["timePeriod"]["startDate"]
    assert re.fullmatch(r"\d{4}-\d{2}-01T00:00:00Z", start)


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_every_example_stack_watches_each_online_endpoint_and_its_workspace(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    assert watched(run, only(run, "machinelearningservices:Workspace"))
    for endpoint in of_type(run, "machinelearningservices:OnlineEndpoint"):
        assert watched(run, endpoint), endpoint.name


@pytest.mark.parametrize("stack", WORKSPACE_STACKS)
def test_every_example_stack_rule_is_enabled_and_notifies_its_action_group(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    group_id = only(run, "monitor:ActionGroup").id
    rules = [*of_type(run, METRIC_ALERT), *of_type(run, LOG_ALERT)]
    assert rules
    for found in rules:
        assert found.inputs["enabled"] is True, found.name
        assert group_id in json.dumps(found.inputs["actions"]), found.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_example_stack_has_a_budget_on_its_resource_group_that_notifies(
    stack_runs: dict[str, ProgramRun], stack: str
) -> None:
    run = stack_runs[stack]
    budget = only(run, "consumption:Budget")
    assert budget.inputs["scope"] == only(run, "resources:ResourceGroup").id
    assert budget.inputs["timeGrain"] == "Monthly"
    assert all(n["contactEmails"] for n in budget.inputs["notifications"].values())


# ---------------------------------------------------------------- cost in the preview


def test_a_cluster_is_bounded_by_its_most_nodes_all_month(
    stack_runs: dict[str, ProgramRun],
) -> None:
    plan = Plan(stack_runs["dev"])
    cluster = dict(plan.settings(plan.run.named("dev-compute-cluster-cpu-cluster")))
    assert cluster["node-hours/month ≤"] == "2,920 (4 x 730 h)"
    # dev is in westeurope: the size's westeurope price.
    (hourly,) = [h for r, s, h, _ in PRICES if (r, s) == ("westeurope", "Standard_DS3_v2")]
    assert cluster["estimate/month ≤"] == (
        f"${hourly * 2920:,.0f} (an estimate: ${hourly}/h, westeurope Linux list price, "
        f"{TERRA_UI.dated})"
    )


def test_an_instance_counts_as_one_node(stack_runs: dict[str, ProgramRun]) -> None:
    plan = Plan(stack_runs["dev"])
    instance = dict(plan.settings(plan.run.named("dev-compute-instance-ds-bob")))
    assert instance["node-hours/month ≤"] == "730 (1 x 730 h)"


def test_a_low_priority_cluster_says_it_costs_less(stack_runs: dict[str, ProgramRun]) -> None:
    plan = Plan(stack_runs["dev"])
    gpu = dict(plan.settings(plan.run.named("dev-compute-cluster-gpu-cluster")))
    assert gpu["estimate/month ≤"].endswith("; low priority costs less)")


def test_a_size_missing_from_the_price_table_shows_node_hours_only() -> None:
    batch = {**BATCH_ENDPOINT, "cluster": {"vmSize": "Standard_HB120rs_v3", "maxNodes": 3}}
    config = {**BASE, **required_network("qa"), "mlops:endpoints": json.dumps([batch])}
    plan = Plan(cached_run("qa", config=config))
    cluster = dict(plan.settings(plan.run.named("endpoints-sales-prep-cluster")))
    assert cluster["node-hours/month ≤"] == "2,190 (3 x 730 h)"
    assert "estimate/month ≤" not in cluster
    assert "not in the price table: Standard_HB120rs_v3" in render_text(plan)


def test_the_summary_adds_up_the_compute_and_names_its_prices(
    stack_runs: dict[str, ProgramRun],
) -> None:
    plan = Plan(stack_runs["dev"])
    bound = plan_data(plan)["summary"]["computeUpperBound"]
    # Two instances, clusters of 4 and 2 nodes, the image build cluster's one.
    assert bound["nodeHours"] == 730 * (2 + 4 + 2 + 1)
    assert {"regions": ["westeurope"], "source": TERRA_UI.name, "dated": TERRA_UI.dated} in (
        bound["prices"]
    )
    text = render_text(plan)
    assert (
        f"{bound['nodeHours']:,} node-hours/month; estimate ≤ ${bound['estimateUsd']:,}/month"
        in text
    )
    assert f"westeurope: {TERRA_UI}" in render_markdown(plan)


def test_a_stack_without_compute_shows_no_bound() -> None:
    plan = Plan(cached_run("qa", config={**BASE, **required_network("qa")}))
    assert plan_data(plan)["summary"]["computeUpperBound"] is None
    assert "Compute upper bound" not in render_text(plan)
