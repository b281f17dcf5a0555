"""Operations policies: alert rules notify someone; in prod, endpoints are watched, budgets set."""

from __future__ import annotations

import pytest
from pulumi_policy import PolicyResource

from offline.engine import ProgramRun
from offline.policies import stack_args
from policy.mlops_policy import operations
from policy.mlops_policy.properties import (
    ACTION_GROUP,
    BUDGET,
    LOG_ALERT,
    METRIC_ALERT,
    ONLINE_ENDPOINT,
    RESOURCE_GROUP,
)
from tests.policy_pack.conftest import (
    GROUP_ID,
    ResourceCase,
    StackCase,
    Violations,
    resource_rule,
    resource_violations,
    stack_resource,
    stack_rule,
    stack_violations,
    subject,
    tagged,
    violation_tests,
)

ENDPOINT_ID = (
    f"{GROUP_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test"
    "/onlineEndpoints/churn-score-abc123"
)
ACTION_GROUP_ID = f"{GROUP_ID}/providers/Microsoft.Insights/actionGroups/ag-test"
BUDGET_ID = f"{GROUP_ID}/providers/Microsoft.Consumption/budgets/budget-test"
NOTIFIES = {"actions": [{"actionGroupId": ACTION_GROUP_ID}]}
NOTIFICATION = {"enabled": True, "contactEmails": ["ml-platform@contoso.example"]}


def prod_endpoint() -> PolicyResource:
    return stack_resource(ONLINE_ENDPOINT, "endpoint", tagged("prod", id=ENDPOINT_ID))


def prod_group() -> PolicyResource:
    return stack_resource(RESOURCE_GROUP, "rg", tagged("prod", id=GROUP_ID, name="rg-test"))


VIOLATIONS = [
    ResourceCase(
        "alert-rule-notifies-an-action-group",
        METRIC_ALERT,
        {"enabled": False, **NOTIFIES},
        "enabled is false; set it to true: a disabled rule tells no one",
    ),
    ResourceCase(
        "action-group-has-receivers",
        ACTION_GROUP,
        {"enabled": True, "emailReceivers": [], "webhookReceivers": []},
        "has no emailReceivers or webhookReceivers",
    ),
    StackCase(
        "prod-online-endpoint-alerts",
        (
            prod_endpoint(),
            stack_resource(
                METRIC_ALERT,
                "disabled-alert",
                {"enabled": False, "scopes": [ENDPOINT_ID], **NOTIFIES},
            ),
        ),
        "endpoint",
        "'endpoint' has no enabled alert rule notifying an action group",
    ),
    StackCase(
        "prod-budget",
        (prod_group(),),
        "rg",
        "'rg' has no monthly budget with notifications; set mlops:budget",
    ),
]


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    operations.area, VIOLATIONS
)


def test_log_search_alert_without_an_action_group_is_refused() -> None:
    found = resource_violations(
        resource_rule("alert-rule-notifies-an-action-group"),
        subject(LOG_ALERT, {"enabled": True, "actions": {"actionGroups": []}}),
    )
    assert found.messages == [
        "has no action group in actions; add the environment's: rules notify only through one"
    ]


def test_a_metric_alert_on_an_online_deployment_watches_its_endpoint() -> None:
    rule = stack_resource(
        METRIC_ALERT,
        "cpu",
        {"enabled": True, "scopes": [f"{ENDPOINT_ID}/deployments/blue"], **NOTIFIES},
    )
    found = stack_violations(stack_rule("prod-online-endpoint-alerts"), [prod_endpoint(), rule])
    assert found == []


def test_an_alert_on_another_endpoint_does_not_count() -> None:
    rule = stack_resource(
        METRIC_ALERT, "other", {"enabled": True, "scopes": [f"{ENDPOINT_ID}x"], **NOTIFIES}
    )
    found = stack_violations(stack_rule("prod-online-endpoint-alerts"), [prod_endpoint(), rule])
    assert len(found) == 1


def test_dev_endpoints_need_no_alert_rule() -> None:
    endpoint = stack_resource(ONLINE_ENDPOINT, "endpoint", tagged("dev", id=ENDPOINT_ID))
    assert stack_violations(stack_rule("prod-online-endpoint-alerts"), [endpoint]) == []


def test_a_kubernetes_endpoint_which_publishes_no_metrics_needs_no_alert_rule() -> None:
    compute = (
        f"{GROUP_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-test/computes/aks"
    )
    on_cluster = tagged("prod", id=ENDPOINT_ID, properties={"compute": compute})
    endpoint = stack_resource(ONLINE_ENDPOINT, "endpoint", on_cluster)
    assert stack_violations(stack_rule("prod-online-endpoint-alerts"), [endpoint]) == []


def test_prod_budget_is_found_by_its_azure_id() -> None:
    budget = stack_resource(
        BUDGET,
        "budget",
        {"id": BUDGET_ID, "timeGrain": "Monthly", "notifications": {"actual": NOTIFICATION}},
    )
    found = stack_violations(stack_rule("prod-budget"), [prod_group(), budget])
    assert found == []


def test_a_budget_that_notifies_no_one_does_not_count() -> None:
    silent = {"enabled": True, "contactEmails": [], "contactGroups": []}
    budget = stack_resource(
        BUDGET,
        "budget",
        {"id": BUDGET_ID, "timeGrain": "Monthly", "notifications": {"actual": silent}},
    )
    found = stack_violations(stack_rule("prod-budget"), [prod_group(), budget])
    assert len(found) == 1


@pytest.mark.parametrize("removed", [BUDGET, METRIC_ALERT])
def test_the_real_prod_stack_is_refused_without_its_budget_or_alert_rules(
    stack_runs: dict[str, ProgramRun], removed: str
) -> None:
    args = stack_args(stack_runs["prod"])
    args.resources = [r for r in args.resources if r.resource_type != removed]
    rule = "prod-budget" if removed == BUDGET else "prod-online-endpoint-alerts"
    found = Violations()
    stack_rule(rule).validate(args, found)
    assert len(found) == 1
