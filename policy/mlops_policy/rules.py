"""The two kinds of rule, and ``Area``: the rules one module declares, in its order.

* Resource policies see one resource's inputs as the engine receives them (camelCase keys),
  before it is created or updated. Rules that differ per environment read the resource's
  ``tags["environment"]`` (dev, qa, prod or shared), which the program sets on every taggable
  resource.
* Stack policies see every resource of the stack with its outputs and options (protect,
  parent, dependencies), after the program has run.

The validations are plain functions with pulumi-policy's signatures, so that tests can call
them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .properties import canonical_type, environment_of, peek, same

ResourceCheck = Callable[[ResourceValidationArgs], Iterable[str]]
StackCheck = Callable[[StackValidationArgs], Iterable[tuple[str, str | None]]]


@dataclass(frozen=True)
class ResourceRule:
    """A resource policy: which resources it applies to and what it checks on each."""

    name: str
    description: str
    resource_types: frozenset[str]
    check: ResourceCheck
    severity: Severity
    # Only compute of these types (properties.computeType), when set.
    compute_types: frozenset[str] = frozenset()
    # Only resources tagged with one of these environments, when set.
    environments: frozenset[str] = frozenset()
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY

    def applies_to(self, resource_type: str, props: Any) -> bool:
        if canonical_type(resource_type) not in self.resource_types:
            return False
        kind = peek(props, "properties", "computeType")
        if self.compute_types and not any(same(kind, t) for t in self.compute_types):
            return False
        return not self.environments or environment_of(props) in self.environments

    def validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        """The validation pulumi-policy calls for each resource."""
        if self.applies_to(args.resource_type, args.props):
            for message in self.check(args):
                report_violation(message, None)

    def policy(self) -> ResourceValidationPolicy:
        return ResourceValidationPolicy(
            name=self.name,
            description=self.description,
            validate=self.validate,
            enforcement_level=self.enforcement_level,
            severity=self.severity,
        )


@dataclass(frozen=True)
class StackRule:
    """A stack policy: it sees every resource of the stack and reports by URN."""

    name: str
    description: str
    check: StackCheck
    severity: Severity
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY

    def validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        """The validation pulumi-policy calls once for the stack."""
        for message, urn in self.check(args):
            report_violation(message, urn)

    def policy(self) -> StackValidationPolicy:
        return StackValidationPolicy(
            name=self.name,
            description=self.description,
            validate=self.validate,
            enforcement_level=self.enforcement_level,
            severity=self.severity,
        )


class Area:
    """The rules of one area (one module), in the order the module declares them.

    Each area module has one, ``area``, whose decorators turn its checks into rules; the pack
    (``__init__.py``) lists the areas it is made of.
    """

    def __init__(self) -> None:
        self.resource_rules: list[ResourceRule] = []
        self.stack_rules: list[StackRule] = []

    def resource_rule(
        self,
        name: str,
        description: str,
        *resource_types: str,
        severity: Severity = Severity.HIGH,
        compute_types: Iterable[str] = (),
        environments: Iterable[str] = (),
    ) -> Callable[[ResourceCheck], ResourceCheck]:
        def register(check: ResourceCheck) -> ResourceCheck:
            self.resource_rules.append(
                ResourceRule(
                    name=name,
                    description=description,
                    resource_types=frozenset(resource_types),
                    check=check,
                    severity=severity,
                    compute_types=frozenset(compute_types),
                    environments=frozenset(environments),
                )
            )
            return check

        return register

    def stack_rule(
        self,
        name: str,
        description: str,
        *,
        severity: Severity = Severity.HIGH,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
    ) -> Callable[[StackCheck], StackCheck]:
        def register(check: StackCheck) -> StackCheck:
            rule = StackRule(name, description, check, severity, enforcement_level)
            self.stack_rules.append(rule)
            return check

        return register
