"""Role assignment and datastore policies."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policy.mlops_policy import access
from policy.mlops_policy.properties import DATASTORE, ROLE_ASSIGNMENT
from tests.policy.conftest import (
    ACCOUNT_ID,
    SUB,
    ResourceCase,
    assert_covers,
    assert_reported_once,
    case_id,
    resource_rule,
    resource_violations,
    subject,
)

ROLE_DEFINITIONS = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions"
OWNER = f"{ROLE_DEFINITIONS}/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = f"{ROLE_DEFINITIONS}/b24988ac-6180-42a0-ab88-20f7382dd24c"
BLOB_DATA_READER = f"{ROLE_DEFINITIONS}/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"

VIOLATIONS = [
    ResourceCase(
        "datastore-no-stored-credentials",
        DATASTORE,
        {"properties": {"credentials": {"credentialsType": "AccountKey"}}},
        "properties.credentials.credentialsType is 'AccountKey'; set it to 'None'",
    ),
    ResourceCase(
        "role-workload-identity-least-privilege",
        ROLE_ASSIGNMENT,
        {
            "principalType": "ServicePrincipal",
            "description": "Azure ML datastore raw_sales: Contributor",
            "roleDefinitionId": CONTRIBUTOR,
        },
        "grants Contributor to a workload identity ('Azure ML datastore raw_sales: Contributor')",
    ),
    ResourceCase(
        "role-no-owner-or-user-access-administrator",
        ROLE_ASSIGNMENT,
        {
            "principalType": "Group",
            "description": "mlops:access Owner on the workspace",
            "roleDefinitionId": OWNER,
        },
        "grants Owner, which can hand out any access",
    ),
    ResourceCase(
        "role-storage-data-scope",
        ROLE_ASSIGNMENT,
        {"roleDefinitionId": BLOB_DATA_READER, "scope": SUB},
        f"grants Storage Blob Data Reader at scope '{SUB}'; scope it to the storage account",
    ),
]


def test_every_access_policy_has_a_violating_case() -> None:
    assert_covers(access.area, VIOLATIONS)


@pytest.mark.parametrize("case", VIOLATIONS, ids=case_id)
def test_policy_fails_on_minimal_violation(case: ResourceCase) -> None:
    assert_reported_once(case)


def test_config_grant_of_contributor_is_not_a_workload_identity_grant() -> None:
    props = {
        "principalType": "ServicePrincipal",
        "description": "mlops:access Contributor on the workspace",
        "roleDefinitionId": CONTRIBUTOR,
    }
    found = resource_violations(
        resource_rule("role-workload-identity-least-privilege"), subject(ROLE_ASSIGNMENT, props)
    )
    assert found == []


def test_undescribed_service_principal_grant_counts_as_a_workload_identity() -> None:
    props = {"principalType": "ServicePrincipal", "roleDefinitionId": CONTRIBUTOR}
    found = resource_violations(
        resource_rule("role-workload-identity-least-privilege"), subject(ROLE_ASSIGNMENT, props)
    )
    assert len(found) == 1


def test_storage_data_role_on_a_container_passes() -> None:
    scope = f"{ACCOUNT_ID}/blobServices/default/containers/sales"
    props = {"roleDefinitionId": BLOB_DATA_READER, "scope": scope}
    found = resource_violations(
        resource_rule("role-storage-data-scope"), subject(ROLE_ASSIGNMENT, props)
    )
    assert found == []


def test_check_needing_a_value_unknown_during_preview_defers_to_the_sdk() -> None:
    """pulumi-policy reports UnknownValueError as "can't run during preview", not a pass."""
    props = {"roleDefinitionId": BLOB_DATA_READER, "scope": UNKNOWN_STRING_VALUE}
    with pytest.raises(UnknownValueError):
        resource_violations(
            resource_rule("role-storage-data-scope"), subject(ROLE_ASSIGNMENT, props)
        )
