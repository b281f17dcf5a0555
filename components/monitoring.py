"""Operations: who is told when the environment breaks or overspends.

One action group per environment (e-mails and webhooks); the alert rules of the catalogue
(``settings.alerts``), each acting through it: metric alerts on the workspace, every online
endpoint and every online deployment the stack names, log search alerts on Log Analytics for
batch endpoints and for online endpoints whose logs go there (mlops:endpointLogs); and a monthly
cost budget on the resource group whose actual and forecast notifications reach the same people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import pulumi
from pulumi_azure_native import consumption, monitor

from components.context import StackContext
from settings.alerts import CATALOGUE, Alert, LogQuery, Metric
from settings.schema import AlertSettings, BudgetSettings

# Action groups and metric alerts are global resources; Azure routes them from any region.
GLOBAL: Final = "global"
# A forecast above the whole amount warns before the month ends.
FORECAST_PERCENT: Final = 100
# Rule names join the watched resource and the alert with "_", which endpoint and deployment
# names never contain, so two rules never share a name.
SEPARATOR: Final = "_"


def first_of_month(moment: datetime) -> str:
    """A budget's start date: the first day of ``moment``'s month, as Azure wants it.

    Azure refuses a start date that is not the first of a month or that lies before the current
    month; the budget keeps the one of the month it was created in (see ``Monitoring``).
    """
    return f"{moment.year:04d}-{moment.month:02d}-01T00:00:00Z"


@dataclass(frozen=True)
class WatchedEndpoint:
    """An online endpoint, and the deployments on it that the stack names."""

    name: str
    endpoint_id: pulumi.Input[str]
    deployments: tuple[str, ...]
    # Its name in its traffic logs (EndpointName: its Azure name) where its logs go to Log
    # Analytics (mlops:endpointLogs); None where they do not.
    logged_as: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class MonitoringArgs:
    alerts: AlertSettings
    # Each alert's threshold, by catalogue key (the environment's defaults, as overridden).
    thresholds: Mapping[str, int]
    budget: BudgetSettings
    # The first day of the month the budget starts in (first_of_month).
    budget_start: str
    # What the rules watch; nothing in a stack without a workspace (shared), whose action group
    # serves the budget alone.
    workspace_id: pulumi.Input[str] | None = None
    log_analytics_id: pulumi.Input[str] | None = None
    online_endpoints: tuple[WatchedEndpoint, ...] = ()
    # Batch endpoint → the cluster its jobs run on.
    batch_clusters: Mapping[str, str] = field(default_factory=dict[str, str])


@dataclass(frozen=True)
class _Subject:
    """A resource one rule watches."""

    label: str  # in rule names and descriptions
    scope: pulumi.Input[str]
    cluster: str = ""  # batch endpoints: their cluster
    endpoint: pulumi.Input[str] | None = None  # logged online endpoints: their Azure name


class Monitoring(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: MonitoringArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:monitoring:Monitoring", name, None, opts)
        self._name = name
        self._context = context
        self._args = args
        self.action_group: monitor.ActionGroup | None = None
        self.rules: dict[str, monitor.MetricAlert | monitor.ScheduledQueryRule] = {}
        if args.alerts.enabled:
            self.action_group = self._action_group()
            for alert in CATALOGUE:
                for subject in self._subjects(alert):
                    self._rule(alert, subject, self.action_group.id)
        self.budget = self._budget()
        self.rule_names: list[str] = sorted(self.rules)
        self.register_outputs(
            {
                "actionGroupId": self.action_group.id if self.action_group else None,
                "alertRuleNames": self.rule_names,
                "budgetName": self.budget.name,
            }
        )

    def _action_group(self) -> monitor.ActionGroup:
        alerts, context = self._args.alerts, self._context
        return monitor.ActionGroup(
            f"{self._name}-action-group",
            action_group_name=context.names.action_group,
            group_short_name=context.names.action_group_short_name,
            resource_group_name=context.resource_group_name,
            location=GLOBAL,
            enabled=True,
            # The common alert schema: one payload shape for every kind of alert.
            # https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=f"email-{index}", email_address=address, use_common_alert_schema=True
                )
                for index, address in enumerate(alerts.emails, start=1)
            ],
            webhook_receivers=[
                monitor.WebhookReceiverArgs(
                    name=f"webhook-{index}",
                    # Webhook URLs often carry a token: kept secret in state and previews.
                    service_uri=pulumi.Output.secret(url),
                    use_common_alert_schema=True,
                )
                for index, url in enumerate(alerts.webhooks, start=1)
            ],
            tags=context.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _subjects(self, alert: Alert) -> Sequence[_Subject]:
        args, target = self._args, alert.target
        logs = args.log_analytics_id
        if target == "workspace":
            return [] if args.workspace_id is None else [_Subject("workspace", args.workspace_id)]
        if target == "online endpoint" and isinstance(alert.signal, LogQuery):
            # Where an endpoint's logs go to the stack's Log Analytics: its traffic table there.
            return [
                _Subject(e.name, logs, endpoint=e.logged_as)
                for e in args.online_endpoints
                if e.logged_as is not None and logs is not None
            ]
        if target == "online endpoint":
            return [_Subject(e.name, e.endpoint_id) for e in args.online_endpoints]
        if target == "online deployment":
            return [
                _Subject(
                    f"{e.name}{SEPARATOR}{deployment}",
                    pulumi.Output.concat(e.endpoint_id, "/deployments/", deployment),
                )
                for e in args.online_endpoints
                for deployment in e.deployments
            ]
        return [
            _Subject(endpoint, logs, cluster)
            for endpoint, cluster in sorted(args.batch_clusters.items())
            if logs is not None  # batch endpoints live in a workspace, logged there
        ]

    def _rule(self, alert: Alert, subject: _Subject, action_group_id: pulumi.Input[str]) -> None:
        context, threshold = self._context, self._args.thresholds[alert.key]
        rule_name = f"{subject.label}{SEPARATOR}{alert.slug}"
        description = (
            f"{alert.what} of {alert.target} {subject.label} above {threshold} {alert.unit}: "
            f"{alert.why}"
        )
        common = {
            "rule_name": rule_name,
            "resource_group_name": context.resource_group_name,
            "description": description,
            "enabled": True,
            "severity": alert.severity,
            "window_size": alert.window,
            "evaluation_frequency": alert.frequency,
            "tags": context.tags,
            "opts": pulumi.ResourceOptions(parent=self),
        }
        resource_name = f"{self._name}-{subject.label}-{alert.slug}"
        if isinstance(alert.signal, Metric):
            self.rules[rule_name] = monitor.MetricAlert(
                resource_name,
                location=GLOBAL,
                scopes=[subject.scope],
                criteria=_metric_criteria(alert, alert.signal, threshold),
                actions=[monitor.MetricAlertActionArgs(action_group_id=action_group_id)],
                **common,
            )
        else:
            self.rules[rule_name] = monitor.ScheduledQueryRule(
                resource_name,
                location=context.location,
                kind=monitor.Kind.LOG_ALERT,
                scopes=[subject.scope],
                criteria=_query_criteria(alert.signal, subject, threshold),
                actions=monitor.ActionsArgs(action_groups=[action_group_id]),
                # An online endpoint's traffic table appears in the workspace only with its first
                # rows ("The table is created only when the destinations receive the first log
                # records": https://learn.microsoft.com/azure/azure-monitor/platform/diagnostic-settings#time-before-data-gets-to-destinations),
                # after this rule is created with the diagnostic setting that sends them, so
                # Azure is not asked to resolve the query at creation; its table and columns
                # are Microsoft's (settings.endpoint_logs), checked by the tests.
                skip_query_validation=True if subject.endpoint is not None else None,
                **common,
            )

    def _budget(self) -> consumption.Budget:
        args, context = self._args, self._context
        groups = [self.action_group.id] if self.action_group else []
        emails = list(args.alerts.emails)

        def notification(
            kind: consumption.ThresholdType, percent: int
        ) -> consumption.NotificationArgs:
            return consumption.NotificationArgs(
                enabled=True,
                operator=consumption.OperatorType.GREATER_THAN,
                threshold=float(percent),
                threshold_type=kind,
                contact_emails=emails,
                # Action groups are accepted on budgets of subscriptions and resource groups.
                contact_groups=groups,
                locale=consumption.CultureCode.EN_US,
            )

        notifications = {
            f"Actual_GreaterThan_{percent}_Percent": notification(
                consumption.ThresholdType.ACTUAL, percent
            )
            for percent in args.budget.thresholds
        }
        notifications[f"Forecasted_GreaterThan_{FORECAST_PERCENT}_Percent"] = notification(
            consumption.ThresholdType.FORECASTED, FORECAST_PERCENT
        )
        return consumption.Budget(
            f"{self._name}-budget",
            budget_name=context.names.budget,
            scope=context.resource_group_id,
            amount=float(args.budget.monthly_amount),
            category=consumption.CategoryType.COST,
            time_grain=consumption.TimeGrainType.MONTHLY,
            # Without an end date Azure keeps the budget for ten years from its start.
            time_period=consumption.BudgetTimePeriodArgs(start_date=args.budget_start),
            notifications=notifications,
            # The start date is that of the month the budget was created in: a later month's
            # date would change nothing the budget tracks, so it is never updated.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["timePeriod.startDate"]),
        )


def _metric_criteria(
    alert: Alert, metric: Metric, threshold: int
) -> monitor.MetricAlertMultipleResourceMultipleMetricCriteriaArgs:
    return monitor.MetricAlertMultipleResourceMultipleMetricCriteriaArgs(
        odata_type="Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria",
        all_of=[
            monitor.MetricCriteriaArgs(
                criterion_type="StaticThresholdCriterion",
                name=alert.slug,
                metric_namespace=metric.namespace,
                metric_name=metric.name,
                time_aggregation=metric.aggregation,
                operator=monitor.Operator.GREATER_THAN,
                threshold=float(threshold),
                dimensions=[
                    monitor.MetricDimensionArgs(
                        name=dimension,
                        operator=monitor.DimensionOperator.INCLUDE,
                        values=list(values),
                    )
                    for dimension, values in metric.dimensions.items()
                ],
            )
        ],
    )


def _query_text(query: LogQuery, subject: _Subject) -> pulumi.Input[str]:
    """The query with the watched cluster, or the watched endpoint's name once Azure has it."""
    if subject.endpoint is None:
        return query.query.format(cluster=subject.cluster)
    return pulumi.Output.from_input(subject.endpoint).apply(
        lambda name: query.query.format(endpoint=name)
    )


def _query_criteria(
    query: LogQuery, subject: _Subject, threshold: int
) -> monitor.ScheduledQueryRuleCriteriaArgs:
    return monitor.ScheduledQueryRuleCriteriaArgs(
        all_of=[
            monitor.ConditionArgs(
                query=_query_text(query, subject),
                # Rows in the window (Count), or the measure column of each dimension's row,
                # compared with the threshold.
                time_aggregation=query.aggregation,
                metric_measure_column=query.measure,
                dimensions=[
                    monitor.DimensionArgs(
                        name=dimension, operator=monitor.DimensionOperator.INCLUDE, values=["*"]
                    )
                    for dimension in query.dimensions
                ]
                or None,
                # The SDK's ConditionOperator enum is another resource's; the API wants this.
                operator="GreaterThan",
                threshold=float(threshold),
                failing_periods=monitor.ConditionFailingPeriodsArgs(
                    number_of_evaluation_periods=1, min_failing_periods_to_alert=1
                ),
            )
        ]
    )
