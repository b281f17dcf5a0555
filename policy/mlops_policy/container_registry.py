"""Container registries: no shared admin password, no anonymous pull."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs

from .properties import REGISTRY, require
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
