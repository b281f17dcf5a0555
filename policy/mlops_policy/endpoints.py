"""Online and batch endpoints: Entra ID tokens unless key auth is explicitly allowed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import ResourceValidationArgs

from .properties import BATCH_ENDPOINT, ONLINE_ENDPOINT, get, has_managed_identity, same, show
from .rules import Area

KEY_AUTH_OPT_OUT_TAG: Final = "allowKeyAuth"

area = Area()


@area.resource_rule(
    "endpoint-entra-id-auth",
    "Endpoints authenticate callers with Microsoft Entra ID tokens, unless key auth is allowed "
    f"explicitly (tag {KEY_AUTH_OPT_OUT_TAG}: 'true').",
    ONLINE_ENDPOINT,
    BATCH_ENDPOINT,
)
def endpoint_entra_id_auth(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "authMode")
    if same(found, "AADToken"):
        return
    opted_out = same(get(args.props, "tags", KEY_AUTH_OPT_OUT_TAG), "true")
    if same(found, "Key") and opted_out:
        return
    yield (
        f"properties.authMode is {show(found)}; set it to 'AADToken'. Key auth needs an explicit "
        f"opt-out (authMode: key in config, which tags the endpoint {KEY_AUTH_OPT_OUT_TAG}: "
        "'true'); other modes are not allowed"
    )


@area.resource_rule(
    "endpoint-managed-identity",
    "Endpoints have a managed identity.",
    ONLINE_ENDPOINT,
    BATCH_ENDPOINT,
)
def endpoint_managed_identity(args: ResourceValidationArgs) -> Iterator[str]:
    if not has_managed_identity(args.props):
        yield (
            f"identity.type is {show(get(args.props, 'identity', 'type'))}; set it to "
            "'SystemAssigned' (or 'UserAssigned'): deployments pull images and read models "
            "with it"
        )
