"""The mlops guardrails: every policy of the pack, one module per area of the estate.

Anchored on Microsoft's security baseline for Azure Machine Learning and the Well-Architected
guide for the Azure Machine Learning service. Every policy is mandatory but one: the compliance
area advises, rather than requires, a regulated dev or qa workspace's controls.

The package imports only itself (relatively) and pulumi-policy, so that it loads both as
``mlops_policy`` (the pack's entry point, run from ``policy/``) and as ``policy.mlops_policy``
(the tests, run from the repository root).
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import Policy

from . import (
    access,
    compliance,
    compute,
    container_registry,
    endpoints,
    key_vault,
    ml_registry,
    operations,
    stack,
    storage,
    workspace,
)
from .rules import ResourceRule, StackRule

PACK_NAME: Final = "mlops-guardrails"

# Every area of the pack, in the order it reports its policies.
AREAS: Final = (
    key_vault,
    storage,
    container_registry,
    workspace,
    compute,
    endpoints,
    access,
    operations,
    stack,
    ml_registry,
    compliance,
)
RESOURCE_RULES: Final = [rule for module in AREAS for rule in module.area.resource_rules]
STACK_RULES: Final = [rule for module in AREAS for rule in module.area.stack_rules]
RULES: Final[dict[str, ResourceRule | StackRule]] = {
    rule.name: rule for rule in [*RESOURCE_RULES, *STACK_RULES]
}


def build_policies() -> list[Policy]:
    """Fresh pulumi-policy objects for every rule, resource policies first."""
    return [rule.policy() for rule in RULES.values()]
