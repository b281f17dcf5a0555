"""What a managed online endpoint sends to Log Analytics when ``mlops:endpointLogs`` is on.

Microsoft lists three resource log categories for the resource type
Microsoft.MachineLearningServices/workspaces/onlineEndpoints, each filling the resource-specific
table of its name (``logAnalyticsDestinationType: Dedicated``), and no category group for it:
https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-machinelearningservices-workspaces-onlineendpoints-logs
The program names the three rather than ``allLogs``: Microsoft's page for the type documents
no category group ("Not all Azure services use category groups",
https://learn.microsoft.com/azure/azure-monitor/platform/diagnostic-settings#category-groups),
and a category it adds later should be a reviewed change, as Log Analytics bills every row.

Only managed online endpoints have them: on a Kubernetes online endpoint "out-of-box
monitoring and logging" is "User responsibility"
(https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online#managed-online-endpoints-vs-kubernetes-online-endpoints),
and batch endpoints' jobs reach Log Analytics through the workspace's own diagnostic setting
(AmlComputeJobEvent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SUPPORTED_LOGS: Final = (
    "https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/"
    "microsoft-machinelearningservices-workspaces-onlineendpoints-logs"
)
_TABLES: Final = "https://learn.microsoft.com/azure/azure-monitor/reference/tables"
# How to switch them on, what each holds, and the example queries:
MONITOR_ONLINE_ENDPOINTS: Final = (
    "https://learn.microsoft.com/azure/machine-learning/how-to-monitor-online-endpoints#logs"
)


@dataclass(frozen=True)
class LogCategory:
    """A resource log category of online endpoints, as Microsoft names it."""

    # The diagnostic setting's category, and the resource-specific table its rows go to.
    name: str
    what: str
    # Microsoft's reference for the table: its columns.
    table_reference: str


TRAFFIC: Final = LogCategory(
    # SUPPORTED_LOGS: "Traffic logs for AzureML (machine learning) online endpoints".
    "AmlOnlineEndpointTrafficLog",
    "a row per request: endpoint, deployment, response and model status codes and reasons, "
    "durations, payload sizes, auth type, request IDs",
    f"{_TABLES}/amlonlineendpointtrafficlog",
)
CONSOLE: Final = LogCategory(
    # SUPPORTED_LOGS: "console logs output from user containers".
    "AmlOnlineEndpointConsoleLog",
    "what the deployments' containers write to stdout and stderr (the scoring script's output)",
    f"{_TABLES}/amlonlineendpointconsolelog",
)
EVENT: Final = LogCategory(
    # SUPPORTED_LOGS: "event logs regarding the inference-server container's life cycle".
    "AmlOnlineEndpointEventLog",
    "the inference-server container's life cycle: pulled, created, started, probes failed, "
    "killed, back-off restarts",
    f"{_TABLES}/amlonlineendpointeventlog",
)
# Every category Microsoft lists for online endpoints, in the order docs/operations gives them.
CATEGORIES: Final[tuple[LogCategory, ...]] = (TRAFFIC, CONSOLE, EVENT)

# Columns of AmlOnlineEndpointTrafficLog the alert catalogue's query reads, with their types on
# TRAFFIC.table_reference: EndpointName and DeploymentName (string); ResponseCode, "the final
# response code returned to the user" (int); ModelStatusCode, "the response status code from
# model" (int), which Azure ML returns to the caller as 424 when the model's container answers
# other than 200
# (https://learn.microsoft.com/azure/machine-learning/how-to-troubleshoot-online-endpoints#http-status-codes).
TRAFFIC_COLUMNS: Final = ("EndpointName", "DeploymentName", "ResponseCode", "ModelStatusCode")
