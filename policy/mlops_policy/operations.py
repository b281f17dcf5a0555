"""Operations: alert rules tell someone, every prod online endpoint is watched, prod has a budget.

Azure Monitor alert rules only notify through action groups, and a disabled rule or an action
group without receivers tells no one. Azure Monitor Baseline Alerts and the Well-Architected
guide for Azure Machine Learning (operational excellence, cost optimization) ask for alerts on
what serves clients and a budget on what costs money.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from .properties import (
    ACTION_GROUP,
    BUDGET,
    LOG_ALERT,
    METRIC_ALERT,
    ONLINE_ENDPOINT,
    RESOURCE_GROUP,
    canonical_type,
    get,
    is_set,
    items,
    peek,
    same,
    show,
)
from .rules import Area
from .stack import is_child, of_type, refers_to, stack_environment

area = Area()


def _action_groups(resource_type: str, props: Any) -> list[Any]:
    """The action groups a metric alert or log search alert notifies."""
    if canonical_type(resource_type) == METRIC_ALERT:
        return [a for a in items(get(props, "actions")) if is_set(a, "actionGroupId")]
    return items(get(props, "actions", "actionGroups"))


def _rule_problems(resource_type: str, props: Any) -> Iterator[str]:
    enabled = get(props, "enabled")
    if enabled is not True:
        yield f"enabled is {show(enabled)}; set it to true: a disabled rule tells no one"
    if not _action_groups(resource_type, props):
        yield "has no action group in actions; add the environment's: rules notify only through one"


@area.resource_rule(
    "alert-rule-notifies-an-action-group",
    "Metric and log search alert rules are enabled and notify an action group.",
    METRIC_ALERT,
    LOG_ALERT,
    severity=Severity.MEDIUM,
)
def alert_rule_notifies_an_action_group(args: ResourceValidationArgs) -> Iterator[str]:
    yield from _rule_problems(args.resource_type, args.props)


@area.resource_rule(
    "action-group-has-receivers",
    "Action groups are enabled and have at least one e-mail or webhook receiver.",
    ACTION_GROUP,
    severity=Severity.MEDIUM,
)
def action_group_has_receivers(args: ResourceValidationArgs) -> Iterator[str]:
    enabled = get(args.props, "enabled")
    if enabled is False:
        yield "enabled is false; set it to true: a disabled action group tells no one"
    receivers = items(get(args.props, "emailReceivers")) + items(
        get(args.props, "webhookReceivers")
    )
    if not receivers:
        yield "has no emailReceivers or webhookReceivers; add who is told (mlops:alerts)"


def _watches(rule: PolicyResource, target: PolicyResource) -> bool:
    """Whether one of the rule's scopes is ``target`` or a child of it (a deployment)."""
    if any(dep.urn == target.urn for dep in rule.property_dependencies.get("scopes", [])):
        return True
    wanted = peek(target.props, "id")
    if not isinstance(wanted, str):
        return False
    return any(
        isinstance(scope, str)
        and (same(scope, wanted) or scope.casefold().startswith(f"{wanted}/".casefold()))
        for scope in items(peek(rule.props, "scopes"))
    )


@area.stack_rule(
    "prod-online-endpoint-alerts",
    "In prod, every managed online endpoint has an enabled alert rule that notifies an action "
    "group (Kubernetes online endpoints publish no Azure Monitor metrics to alert on).",
)
def prod_online_endpoint_alerts(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if stack_environment(args.resources) != "prod":
        return
    rules = [
        rule
        for rule in of_type(args.resources, METRIC_ALERT, LOG_ALERT)
        if not any(_rule_problems(rule.resource_type, rule.props))
    ]
    # https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online#managed-online-endpoints-vs-kubernetes-online-endpoints
    for endpoint in of_type(args.resources, ONLINE_ENDPOINT):
        if is_set(endpoint.props, "properties", "compute"):
            continue  # on an attached cluster: its owner monitors it
        if not any(_watches(rule, endpoint) for rule in rules):
            yield (
                f"{canonical_type(endpoint.resource_type)} '{endpoint.name}' has no enabled alert "
                "rule notifying an action group; watch its latency and server errors "
                "(mlops:alerts)",
                endpoint.urn,
            )


def _notifies(budget: PolicyResource) -> bool:
    for notification in (peek(budget.props, "notifications") or {}).values():
        contacts = items(peek(notification, "contactEmails")) + items(
            peek(notification, "contactGroups")
        )
        if peek(notification, "enabled") is True and contacts:
            return True
    return False


def _budgets(budget: PolicyResource, group: PolicyResource) -> bool:
    return refers_to(budget, "scope", group) or is_child(
        budget, group, "providers/Microsoft.Consumption/budgets"
    )


@area.stack_rule(
    "prod-budget",
    "In prod, the resource group has a monthly cost budget whose notifications reach someone.",
)
def prod_budget(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    if stack_environment(args.resources) != "prod":
        return
    budgets = [
        budget
        for budget in of_type(args.resources, BUDGET)
        if same(peek(budget.props, "timeGrain"), "Monthly") and _notifies(budget)
    ]
    for group in of_type(args.resources, RESOURCE_GROUP):
        if not any(_budgets(budget, group) for budget in budgets):
            yield (
                f"{canonical_type(group.resource_type)} '{group.name}' has no monthly budget "
                "with notifications; set mlops:budget (a Budget scoped to the resource group)",
                group.urn,
            )
