"""Compliance: what a regulated workspace (tag ``compliance: regulated``, which the program sets
from ``mlops:compliance: regulated``) must have. Mandatory in prod, advisory in dev and qa.

* A customer-managed key: the workspace's ``encryption.keyVaultProperties`` names a key and its
  vault (https://learn.microsoft.com/azure/machine-learning/how-to-setup-customer-managed-keys).
* High business impact: ``hbiWorkspace: true``
  (https://learn.microsoft.com/azure/machine-learning/concept-data-encryption#encryption-at-rest).
* Every managed online endpoint's traffic, console and event logs reach Log Analytics through a
  diagnostic setting: the three categories Microsoft lists for online endpoints
  (https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-machinelearningservices-workspaces-onlineendpoints-logs).
  A Kubernetes online endpoint (one with a compute) has none: its logging is the cluster's.

The pack imports nothing of the program's, so it names the categories itself; a test keeps
them equal to settings/endpoint_logs.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs

from .properties import (
    DIAGNOSTIC_SETTING,
    ML_WORKSPACE,
    ONLINE_ENDPOINT,
    canonical_type,
    environment_of,
    get,
    is_set,
    items,
    peek,
    same,
    show,
)
from .rules import Area
from .stack import is_child, of_type, refers_to

# The program's tag on a regulated workspace, and its value.
COMPLIANCE_TAG: Final = "compliance"
REGULATED: Final = "regulated"
# Online endpoints' resource log categories (settings/endpoint_logs.py CATEGORIES).
ENDPOINT_LOG_CATEGORIES: Final = (
    "AmlOnlineEndpointTrafficLog",
    "AmlOnlineEndpointConsoleLog",
    "AmlOnlineEndpointEventLog",
)

area = Area()


def _label(resource: PolicyResource) -> str:
    return f"{canonical_type(resource.resource_type)} '{resource.name}'"


def _regulated_workspaces(
    args: StackValidationArgs, environments: set[str]
) -> list[PolicyResource]:
    return [
        workspace
        for workspace in of_type(args.resources, ML_WORKSPACE)
        if same(peek(workspace.props, "tags", COMPLIANCE_TAG), REGULATED)
        and environment_of(workspace.props) in environments
    ]


def _logged_categories(endpoint: PolicyResource, settings: list[PolicyResource]) -> set[str]:
    """The log categories enabled on ``endpoint`` by any of its diagnostic settings."""
    found: set[str] = set()
    for setting in settings:
        if not (
            refers_to(setting, "resourceUri", endpoint)
            or is_child(setting, endpoint, "providers/Microsoft.Insights/diagnosticSettings")
        ):
            continue
        if not is_set(setting.props, "workspaceId"):
            continue
        for log in items(peek(setting.props, "logs")):
            if get(log, "enabled") is True and isinstance(get(log, "category"), str):
                found.add(get(log, "category").casefold())
    return found


def _missing_controls(args: StackValidationArgs, workspace: PolicyResource) -> Iterator[str]:
    key = peek(workspace.props, "encryption", "keyVaultProperties")
    if not is_set(key, "keyIdentifier") or not is_set(key, "keyVaultArmId"):
        yield (
            f"has encryption.keyVaultProperties {show(get(key, 'keyIdentifier'))}: a regulated "
            "workspace is encrypted with a customer-managed key; set mlops:encryption.mode "
            "(create, or existing with keyId) before the workspace is created"
        )
    hbi = get(workspace.props, "hbiWorkspace")
    if hbi is not True:
        yield (
            f"has hbiWorkspace {show(hbi)}: a regulated workspace is high business impact; set "
            "mlops:highBusinessImpact: true before the workspace is created"
        )
    settings = of_type(args.resources, DIAGNOSTIC_SETTING)
    for endpoint in of_type(args.resources, ONLINE_ENDPOINT):
        if is_set(endpoint.props, "properties", "compute"):
            continue  # a Kubernetes online endpoint: no resource logs
        if not refers_to(endpoint, "workspaceName", workspace, by="name"):
            continue
        logged = _logged_categories(endpoint, settings)
        missing = [c for c in ENDPOINT_LOG_CATEGORIES if c.casefold() not in logged]
        if missing:
            yield (
                f"has managed online endpoint {_label(endpoint)} without {', '.join(missing)} "
                "in a diagnostic setting to Log Analytics: set mlops:endpointLogs.enabled: true"
            )


def _violations(args: StackValidationArgs, environments: set[str]) -> Iterator[tuple[str, str]]:
    for workspace in _regulated_workspaces(args, environments):
        for found in _missing_controls(args, workspace):
            yield (
                f"{_label(workspace)} (tag {COMPLIANCE_TAG}: '{REGULATED}', from "
                f"mlops:compliance) {found}",
                workspace.urn,
            )


@area.stack_rule(
    "compliance-regulated-prod",
    f"A regulated prod workspace (tag {COMPLIANCE_TAG}: '{REGULATED}') has a customer-managed "
    "key, high business impact, and every managed online endpoint's traffic, console and event "
    "logs in Log Analytics.",
    severity=Severity.CRITICAL,
)
def compliance_regulated_prod(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    yield from _violations(args, {"prod"})


@area.stack_rule(
    "compliance-regulated-advisory",
    f"A regulated dev or qa workspace (tag {COMPLIANCE_TAG}: '{REGULATED}') is advised to have "
    "what prod requires: a customer-managed key, high business impact and managed online "
    "endpoints' logs.",
    severity=Severity.MEDIUM,
    enforcement_level=EnforcementLevel.ADVISORY,
)
def compliance_regulated_advisory(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    yield from _violations(args, {"dev", "qa"})
