"""Role assignments: built-in role IDs per subscription and deterministic assignment names.

Components grant roles through ``StackContext.grant`` (components/context.py), which uses these.
"""

from __future__ import annotations

import uuid
from typing import Final

import pulumi

# Fixed namespace so the same stack, scope, principal and role always give the same GUID.
_ASSIGNMENT_NAMESPACE: Final = uuid.UUID("6f1c4b8e-3a52-5d0e-9b7a-2c1e8f4d6a10")


def assignment_guid(seed: str, *parts: str) -> str:
    """Deterministic role assignment name: a re-run never creates a second assignment."""
    return str(uuid.uuid5(_ASSIGNMENT_NAMESPACE, "/".join((seed, *parts))))


def role_definition_id(subscription_id: pulumi.Input[str], role_guid: str) -> pulumi.Output[str]:
    """The role definition ID in the subscription that holds the scope being granted."""
    return pulumi.Output.concat(
        "/subscriptions/",
        subscription_id,
        "/providers/Microsoft.Authorization/roleDefinitions/",
        role_guid,
    )


def system_principal_id(identity: pulumi.Output[object]) -> pulumi.Output[str]:
    """The principal ID of a resource's system-assigned identity."""
    return identity.apply(lambda value: getattr(value, "principal_id", None) or "")
