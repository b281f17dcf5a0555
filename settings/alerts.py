"""What every environment watches, declared once: the alert catalogue.

Each row is one alert rule per watched resource: what it watches, the signal (a platform metric
where Azure exposes one, a Log Analytics query otherwise), its default threshold per environment
(prod tighter), the range a stack may override it within (``mlops:alerts.thresholds``) and why it
matters. The monitoring component builds the rules from this table, the environment profiles take
their defaults from it, the settings schema its overridable keys, and the docs their table.

Metric names, namespaces and dimensions are those of Microsoft's supported-metrics lists:
- https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-workspaces-metrics
- https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-workspaces-onlineendpoints-metrics
- https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-workspaces-onlineendpoints-deployments-metrics
The workspace rules and their defaults follow Azure Monitor Baseline Alerts
(https://azure.github.io/azure-monitor-baseline-alerts/services/MachineLearningServices/workspaces/)
and the rules Microsoft recommends in "Monitor Azure Machine Learning"
(https://learn.microsoft.com/azure/machine-learning/monitor-azure-machine-learning#machine-learning-alert-rules).
Batch endpoints publish no metrics: their failed jobs are counted in the AmlComputeJobEvent table
(https://learn.microsoft.com/azure/azure-monitor/reference/tables/amlcomputejobevent).
A managed online endpoint whose logs go to Log Analytics (mlops:endpointLogs) is also watched
through its AmlOnlineEndpointTrafficLog table: the share of its requests that failed with a
server error, per deployment (columns as settings.endpoint_logs cites them).
"Online endpoint" and "online deployment" rows watch managed online endpoints only: Kubernetes
online endpoints publish none of these metrics (monitoring them is the cluster's, "User
responsibility" in https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online#managed-online-endpoints-vs-kubernetes-online-endpoints),
so no rule is created for them; their deployments report to Application Insights instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from settings.endpoint_logs import TRAFFIC

WORKSPACES: Final = "Microsoft.MachineLearningServices/workspaces"
ONLINE_ENDPOINTS: Final = f"{WORKSPACES}/onlineEndpoints"
ONLINE_DEPLOYMENTS: Final = f"{ONLINE_ENDPOINTS}/deployments"

# What a rule watches: one rule per online endpoint, per online deployment the stack names,
# per workspace, per batch endpoint.
Target = Literal["online endpoint", "online deployment", "workspace", "batch endpoint"]
# "*" watches every value of a dimension separately, those that appear later included.
EVERY: Final = ("*",)


@dataclass(frozen=True)
class Metric:
    """A platform metric, as the supported-metrics list names it (the REST API name)."""

    namespace: str
    name: str
    aggregation: Literal["Average", "Maximum", "Total"]
    # Dimension → values to include.
    dimensions: Mapping[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])


@dataclass(frozen=True)
class LogQuery:
    """A Log Analytics query: ``{cluster}`` is the watched batch endpoint's cluster,
    ``{endpoint}`` the watched online endpoint's name (as its logs carry it).

    Without ``measure`` the rule counts the query's rows. With it, the rule compares that numeric
    column of the query's result, aggregated as ``aggregation`` for each value of
    ``dimensions`` on its own ("Calculation of a numeric column", split by dimensions:
    https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule).
    """

    query: str
    measure: str | None = None
    aggregation: Literal["Count", "Average", "Maximum"] = "Count"
    # Columns of the result split on: every value, those that appear later included.
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Defaults:
    """A threshold per environment."""

    dev: int
    qa: int
    prod: int

    def of(self, environment: str) -> int:
        # The shared stack (the model registry) is held to prod's.
        return {"dev": self.dev, "qa": self.qa, "prod": self.prod, "shared": self.prod}[environment]


@dataclass(frozen=True)
class Alert:
    """One row: an alert rule that fires when the signal rises above the threshold."""

    key: str  # under mlops:alerts.thresholds
    slug: str  # ends the rule's name
    target: Target
    what: str
    signal: Metric | LogQuery
    unit: str
    defaults: Defaults
    # What a stack may set it to.
    low: int
    high: int
    severity: int  # Azure Monitor: 0 critical ... 4 verbose
    window: str  # the period evaluated (ISO 8601)
    frequency: str  # how often
    why: str


CATALOGUE: Final[tuple[Alert, ...]] = (
    Alert(
        key="latencyP95Ms",
        slug="latency-p95",
        target="online endpoint",
        what="95th-percentile request latency",
        signal=Metric(ONLINE_ENDPOINTS, "RequestLatency_P95", "Average", {"deployment": EVERY}),
        unit="ms",
        defaults=Defaults(dev=3000, qa=2000, prod=1000),
        low=10,
        high=180_000,  # a managed online deployment times a request out after 180 s at most
        severity=2,
        window="PT5M",
        frequency="PT1M",
        why="callers wait or time out; the slowest requests show what an average hides, per "
        "deployment so a canary is judged on its own",
    ),
    Alert(
        key="serverErrorsPerMinute",
        slug="server-errors",
        target="online endpoint",
        what="server errors (5xx)",
        signal=Metric(
            ONLINE_ENDPOINTS,
            "RequestsPerMinute",
            "Average",
            {"statusCodeClass": ("5xx",), "deployment": EVERY},
        ),
        unit="errors per minute",
        defaults=Defaults(dev=5, qa=1, prod=0),
        low=0,
        high=100_000,
        severity=1,
        window="PT5M",
        frequency="PT1M",
        why="the scoring container or the model fails requests it was sent",
    ),
    Alert(
        key="cpuPercent",
        slug="cpu",
        target="online deployment",
        what="CPU utilization of an instance",
        signal=Metric(
            ONLINE_DEPLOYMENTS, "CpuUtilizationPercentage", "Average", {"instanceId": EVERY}
        ),
        unit="%",
        defaults=Defaults(dev=95, qa=90, prod=80),
        low=1,
        high=100,
        severity=2,
        window="PT15M",
        frequency="PT5M",
        why="a saturated instance queues requests: scale out or up before latency suffers",
    ),
    Alert(
        key="memoryPercent",
        slug="memory",
        target="online deployment",
        what="memory utilization of an instance",
        signal=Metric(
            ONLINE_DEPLOYMENTS, "CpuMemoryUtilizationPercentage", "Maximum", {"instanceId": EVERY}
        ),
        unit="%",
        defaults=Defaults(dev=95, qa=90, prod=85),
        low=1,
        high=100,
        severity=2,
        window="PT5M",
        frequency="PT1M",
        why="a container that runs out of memory is killed and its requests fail",
    ),
    Alert(
        key="gpuPercent",
        slug="gpu",
        target="online deployment",
        what="GPU utilization of an instance",
        signal=Metric(
            ONLINE_DEPLOYMENTS, "GpuUtilizationPercentage", "Average", {"instanceId": EVERY}
        ),
        unit="%",
        defaults=Defaults(dev=95, qa=90, prod=85),
        low=1,
        high=100,
        severity=2,
        window="PT15M",
        frequency="PT5M",
        why="a saturated GPU queues inference; on CPU-only deployments the metric stays empty "
        "and the rule silent",
    ),
    Alert(
        key="gpuMemoryPercent",
        slug="gpu-memory",
        target="online deployment",
        what="GPU memory utilization of an instance",
        signal=Metric(
            ONLINE_DEPLOYMENTS, "GpuMemoryUtilizationPercentage", "Maximum", {"instanceId": EVERY}
        ),
        unit="%",
        defaults=Defaults(dev=95, qa=90, prod=85),
        low=1,
        high=100,
        severity=2,
        window="PT5M",
        frequency="PT1M",
        why="a model that runs out of GPU memory fails the requests it is serving",
    ),
    Alert(
        key="failedRuns",
        slug="failed-runs",
        target="workspace",
        what="failed runs (jobs, pipelines, batch scoring)",
        signal=Metric(WORKSPACES, "Failed Runs", "Total"),
        unit="runs",
        defaults=Defaults(dev=5, qa=0, prod=0),
        low=0,
        high=10_000,
        severity=2,
        window="PT1H",
        frequency="PT15M",
        why="training or scoring stopped producing results; experiments in dev fail more often",
    ),
    Alert(
        key="quotaPercent",
        slug="quota",
        target="workspace",
        what="compute quota utilization per VM family",
        signal=Metric(
            WORKSPACES, "Quota Utilization Percentage", "Average", {"VmFamilyName": EVERY}
        ),
        unit="%",
        defaults=Defaults(dev=90, qa=90, prod=80),
        low=1,
        high=100,
        severity=2,
        window="PT15M",
        frequency="PT5M",
        why="once the regional quota is used up clusters stop scaling out and jobs queue: "
        "request more before that",
    ),
    Alert(
        key="unusableNodes",
        slug="unusable-nodes",
        target="workspace",
        what="unusable compute nodes per cluster",
        signal=Metric(WORKSPACES, "Unusable Nodes", "Total", {"ClusterName": EVERY}),
        unit="node-minutes",
        defaults=Defaults(dev=1, qa=0, prod=0),
        low=0,
        high=10_000,
        severity=2,
        window="PT15M",
        frequency="PT5M",
        why="nodes that cannot run jobs still hold quota and cost money until Azure recycles them",
    ),
    Alert(
        key="batchFailedJobs",
        slug="failed-jobs",
        target="batch endpoint",
        what="failed jobs on its cluster",
        signal=LogQuery(
            'AmlComputeJobEvent\n| where ClusterName == "{cluster}" and EventType == "JobFailed"'
        ),
        unit="jobs",
        defaults=Defaults(dev=2, qa=0, prod=0),
        low=0,
        high=10_000,
        severity=1,
        window="PT15M",
        frequency="PT5M",
        why="a batch scoring or preprocessing job failed; batch endpoints publish no metrics, "
        "so the cluster's job events in Log Analytics tell",
    ),
    Alert(
        key="serverErrorRatePercent",
        slug="server-error-rate",
        target="online endpoint",
        what="share of requests failing with a server error",
        # A server error is Azure ML's (ResponseCode 5xx) or the model's own (ModelStatusCode
        # 5xx, which the caller receives as 424); a model's 4xx answers bad input and is not
        # counted. Columns and types: settings.endpoint_logs.TRAFFIC_COLUMNS.
        signal=LogQuery(
            f"{TRAFFIC.name}\n"
            '| where EndpointName == "{endpoint}"\n'
            "| summarize Requests = count(), "
            "ServerErrors = countif(ResponseCode >= 500 or ModelStatusCode >= 500) "
            "by DeploymentName\n"
            "| extend ServerErrorRatePercent = 100.0 * ServerErrors / Requests",
            measure="ServerErrorRatePercent",
            aggregation="Maximum",
            dimensions=("DeploymentName",),
        ),
        unit="%",
        defaults=Defaults(dev=20, qa=10, prod=2),
        low=0,
        high=100,
        severity=1,
        window="PT5M",
        frequency="PT5M",
        why="a deployment fails a share of its callers, the model's own failures included; "
        "only where mlops:endpointLogs sends the endpoint's traffic logs to Log Analytics, "
        "where each failed request can then be looked up",
    ),
)

ALERTS: Final[Mapping[str, Alert]] = {alert.key: alert for alert in CATALOGUE}


def default_thresholds(environment: str) -> dict[str, int]:
    """Each alert's default threshold in an environment."""
    return {alert.key: alert.defaults.of(environment) for alert in CATALOGUE}
