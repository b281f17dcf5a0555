"""Azure ML registries (the shared stack's): protected, and private unless config opens them.

A registry holds every model version promoted to qa and prod: deleting it breaks every
deployment that names one of its models. It refuses public network access like qa and prod do
(https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation), unless
the stack's config opened it (``mlops:modelRegistry.publicNetworkAccess: true``), which the
program marks with the allowPublicNetworkAccess tag for reviewers and this pack; never when it
belongs to qa or prod.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from .properties import ML_REGISTRY, PRIVATE_ENVIRONMENTS, environment_of, get, peek, same, show
from .rules import Area
from .stack import of_type

# The program's explicit marker of a registry config opened to the internet
# (components.model_registry.PUBLIC_ACCESS_TAG).
PUBLIC_ACCESS_TAG: Final = "allowPublicNetworkAccess"

area = Area()


@area.resource_rule(
    "ml-registry-public-network",
    "Azure ML registries refuse public network access unless config opens them (tag "
    "allowPublicNetworkAccess), and always in qa and prod.",
    ML_REGISTRY,
)
def ml_registry_public_network(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "publicNetworkAccess")
    if same(found, "Disabled"):
        return
    opened = same(peek(args.props, "tags", PUBLIC_ACCESS_TAG), "true")
    if environment_of(args.props) in PRIVATE_ENVIRONMENTS:
        yield (
            f"publicNetworkAccess is {show(found)}; set it to 'Disabled' in qa and prod: promoted "
            "models are reached through private endpoints only"
        )
    elif not opened:
        yield (
            f"publicNetworkAccess is {show(found)}; set it to 'Disabled' (workspaces reach the "
            "registry through their managed network's amlregistry rule), or open it deliberately "
            "with mlops:modelRegistry.publicNetworkAccess: true, which tags it "
            f"{PUBLIC_ACCESS_TAG}"
        )


@area.stack_rule(
    "ml-registry-protected",
    "Azure ML registries are protected (Pulumi's protect option), in every environment.",
    severity=Severity.CRITICAL,
)
def ml_registry_protected(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for registry in of_type(args.resources, ML_REGISTRY):
        if not registry.opts.protect:
            yield (
                f"{registry.name} is not protected; register it with protect=True: it holds every "
                "model version promoted to qa and prod, and no `pulumi destroy` or replacement "
                "may delete it",
                registry.urn,
            )
