"""Online and batch endpoints: Entra ID tokens unless key auth is explicitly allowed.

A Kubernetes online endpoint (one with a compute) cannot take Entra ID tokens: Azure ML accepts
them on managed online endpoints only. Its Entra-ID-rooted mode is the Azure ML token, which only
an Entra ID identity allowed the endpoint's token action gets.
https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online-auth#limitation
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pulumi_policy import ResourceValidationArgs

from .properties import (
    BATCH_ENDPOINT,
    ONLINE_ENDPOINT,
    get,
    has_managed_identity,
    is_set,
    same,
    show,
)
from .rules import Area

KEY_AUTH_OPT_OUT_TAG: Final = "allowKeyAuth"

area = Area()


@area.resource_rule(
    "endpoint-entra-id-auth",
    "Endpoints authenticate callers with Microsoft Entra ID tokens (Kubernetes online endpoints, "
    "which cannot, with Azure ML tokens), unless key auth is allowed explicitly (tag "
    f"{KEY_AUTH_OPT_OUT_TAG}: 'true').",
    ONLINE_ENDPOINT,
    BATCH_ENDPOINT,
)
def endpoint_entra_id_auth(args: ResourceValidationArgs) -> Iterator[str]:
    found = get(args.props, "properties", "authMode")
    # Only online endpoints have a compute, and only Kubernetes ones set it (an unknown ID, during
    # preview, is set).
    kubernetes = is_set(args.props, "properties", "compute")
    entra_id = "AMLToken" if kubernetes else "AADToken"
    if same(found, entra_id):
        return
    opted_out = same(get(args.props, "tags", KEY_AUTH_OPT_OUT_TAG), "true")
    if same(found, "Key") and opted_out:
        return
    yield (
        f"properties.authMode is {show(found)}; set it to '{entra_id}'"
        f"{' (a Kubernetes online endpoint takes no Entra ID tokens)' if kubernetes else ''}. Key "
        f"auth needs an explicit opt-out (authMode: key in config, which tags the endpoint "
        f"{KEY_AUTH_OPT_OUT_TAG}: 'true'); other modes are not allowed"
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
