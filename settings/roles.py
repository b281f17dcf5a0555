"""Built-in Azure roles the program grants, and where `mlops:access` may grant each.

Who gets which of these, on what and why, is the access matrix in components/access.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

# Built-in Azure role definition GUIDs (identical in every subscription).
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
BUILT_IN_ROLES: Final[Mapping[str, str]] = {
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "AzureML Compute Operator": "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage File Data Privileged Reader": "b8eda974-7b85-4f76-af95-65846b26df6d",
    "Storage File Data Privileged Contributor": "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Reader": "76199698-9eea-4c19-bc75-cec21354c6b6",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
    "Log Analytics Reader": "73c42c96-874c-492b-b04d-ab87d138a893",
    # Registry read plus every action on its assets (models, environments, components).
    # https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning#azureml-registry-user
    "AzureML Registry User": "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    # Reads a key's metadata and wraps and unwraps data keys with it, nothing else: what the
    # identity that encrypts with a customer-managed key holds on the key.
    # https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-crypto-service-encryption-user
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    # Approves private endpoint connections on a target (storage, ML registries, ...): the
    # workspace identity's, so its managed network's outbound rules are approved.
    # https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning#azure-ai-enterprise-network-connection-approver
    "Azure AI Enterprise Network Connection Approver": "b556d68e-0be0-4f35-a333-ad7ee1ce17ea",
}

# Roles that allow everything another role allows on the same scope: a hop that needs the
# second is taken with the first too (AzureML Registry User reads what Reader reads, and writes).
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
ROLES_INCLUDING: Final[Mapping[str, tuple[str, ...]]] = {
    "Reader": ("AzureML Registry User",),
    "Storage Blob Data Reader": ("Storage Blob Data Contributor",),
    "AcrPull": ("AcrPush",),
}

# What an `mlops:access` entry may name as its scope.
AccessScope = Literal[
    "workspace", "resourceGroup", "storage", "keyVault", "registry", "logAnalytics"
]

# Where each role may be granted through `mlops:access`; the first scope is the default. Owner,
# User Access Administrator and Contributor are deliberately absent: granting those is a decision
# for the subscription owner, not this program (a pipeline allowed to grant Contributor could
# grant it to anyone, itself included). The storage data roles are those Microsoft lists for
# working with Entra-only workspace storage (studio, notebooks, uploads, parallel jobs):
# https://learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage#scenarios-for-role-assignments
ACCESS_SCOPES: Final[Mapping[str, tuple[AccessScope, ...]]] = {
    "AzureML Data Scientist": ("workspace",),
    "AzureML Compute Operator": ("workspace",),
    "Reader": ("workspace", "resourceGroup"),
    "Storage Blob Data Reader": ("storage",),
    "Storage Blob Data Contributor": ("storage",),
    "Storage File Data Privileged Reader": ("storage",),
    "Storage File Data Privileged Contributor": ("storage",),
    "Storage Queue Data Reader": ("storage",),
    "Storage Queue Data Contributor": ("storage",),
    "Storage Table Data Reader": ("storage",),
    "Storage Table Data Contributor": ("storage",),
    "AcrPull": ("registry",),
    "AcrPush": ("registry",),
    "Key Vault Secrets User": ("keyVault",),
    "Key Vault Reader": ("keyVault",),
    # Query the workspace's diagnostics and Application Insights logs where they are kept.
    # https://learn.microsoft.com/azure/azure-monitor/logs/manage-access
    "Log Analytics Reader": ("logAnalytics",),
}

# What the access matrix grants on the shared Azure ML registry (components/access.py rows on
# modelRegistry; a test checks they agree): the bootstrap lets each stack's deploy identity
# assign these there, and nothing else.
MODEL_REGISTRY_ROLES: Final = (
    "AzureML Registry User",
    "Reader",
    "Azure AI Enterprise Network Connection Approver",
)
