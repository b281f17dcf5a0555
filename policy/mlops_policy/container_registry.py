"""Container registries: no shared admin password, no anonymous pull, private, zone redundant."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from .properties import (
    PRIVATE_DEPENDENCY_ENVIRONMENTS,
    REGISTRY,
    get,
    refuse_public_network,
    require,
    same,
    show,
)
from .rules import Area

area = Area()


@area.resource_rule(
    "registry-admin-user-disabled",
    "Container registries have the admin user disabled.",
    REGISTRY,
)
def registry_admin_user_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("adminUserEnabled",),
        False,
        "the admin user is a shared password with push rights; pull with managed identities",
    )


@area.resource_rule(
    "registry-anonymous-pull-disabled",
    "Container registries do not allow anonymous pull.",
    REGISTRY,
)
def registry_anonymous_pull_disabled(args: ResourceValidationArgs) -> Iterator[str]:
    yield from require(
        args.props,
        ("anonymousPullEnabled",),
        False,
        "model and environment images must not be pullable by anyone on the internet",
    )


@area.resource_rule(
    "registry-no-public-network",
    "In qa, prod and shared, container registries refuse public network access (private "
    "endpoints only).",
    REGISTRY,
    environments=PRIVATE_DEPENDENCY_ENVIRONMENTS,
)
def registry_no_public_network(args: ResourceValidationArgs) -> Iterator[str]:
    yield from refuse_public_network(
        args.props,
        ("publicNetworkAccess",),
        "images are pushed and pulled through private endpoints only (Premium)",
    )


@area.resource_rule(
    "registry-prod-zone-redundant",
    "In prod, Premium container registries are zone redundant.",
    REGISTRY,
    environments=("prod",),
)
def registry_prod_zone_redundant(args: ResourceValidationArgs) -> Iterator[str]:
    if not same(get(args.props, "sku", "name"), "Premium"):
        return  # only Premium lets the program choose zone redundancy
    found = get(args.props, "zoneRedundancy")
    if not same(found, "Enabled"):
        yield (
            f"zoneRedundancy is {show(found)}; set it to 'Enabled' when the registry is created: "
            "production images must survive the loss of an availability zone"
        )
