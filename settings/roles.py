"""Built-in Azure roles the program grants, and where `mlops:access` may grant each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Built-in Azure role definition GUIDs (identical in every subscription).
BUILT_IN_ROLES: Final[Mapping[str, str]] = {
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "AzureML Compute Operator": "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
}
# Where each role may be granted through `mlops:access`; the first scope is the default. Owner
# and User Access Administrator are deliberately absent: granting those is a decision for the
# subscription owner, not this program.
ACCESS_SCOPES: Final[Mapping[str, tuple[str, ...]]] = {
    "AzureML Data Scientist": ("workspace",),
    "AzureML Compute Operator": ("workspace",),
    "Reader": ("workspace", "resourceGroup"),
    "Contributor": ("workspace",),
    "Storage Blob Data Reader": ("storage",),
    "Storage Blob Data Contributor": ("storage",),
    "AcrPull": ("registry",),
    "AcrPush": ("registry",),
    "Key Vault Secrets User": ("keyVault",),
    "Key Vault Reader": ("keyVault",),
}
