"""Role assignment and datastore policies."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policy.mlops_policy import access
from policy.mlops_policy.properties import DATASTORE, ROLE_ASSIGNMENT
from tests.policy_pack.conftest import (
    ACCESS_GRANTS_URN,
    ACCOUNT_ID,
    BLOB_DATA_READER,
    CONTRIBUTOR,
    GROUP_ID,
    OWNER,
    ROLE_DEFINITIONS,
    SUB,
    ResourceCase,
    Violations,
    resource_rule,
    resource_violations,
    subject,
    violation_tests,
)

# A privileged grant to a service principal, described as `mlops:access` describes its grants.
CONFIG_CONTRIBUTOR_GRANT = {
    "principalType": "ServicePrincipal",
    "description": "mlops:access Contributor on the workspace",
    "roleDefinitionId": CONTRIBUTOR,
}

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


# Every policy of the area has a violating case, and each case violates its policy once.
test_every_policy_has_a_violating_case, test_policy_fails_on_minimal_violation = violation_tests(
    access.area, VIOLATIONS
)


def least_privilege_violations(props: dict[str, Any], parent: str | None = None) -> Violations:
    return resource_violations(
        resource_rule("role-workload-identity-least-privilege"),
        subject(ROLE_ASSIGNMENT, props, parent=parent),
    )


def test_config_grant_of_contributor_under_the_access_grants_component_passes() -> None:
    assert least_privilege_violations(CONFIG_CONTRIBUTOR_GRANT, ACCESS_GRANTS_URN) == []


def test_access_description_does_not_exempt_a_grant_outside_the_access_grants_component() -> None:
    found = least_privilege_violations(CONFIG_CONTRIBUTOR_GRANT)
    assert found.messages == [
        "grants Contributor to a workload identity ('mlops:access Contributor on the "
        "workspace'); grant the narrowest data role (e.g. Storage Blob Data Reader, AcrPull) on "
        "the one resource it needs"
    ]


@pytest.mark.parametrize(
    "parent",
    [
        "urn:pulumi:dev::mlops::mlops:workspace:WorkspaceStack::ml",
        # A component somewhere below AccessGrants is not AccessGrants.
        "urn:pulumi:dev::mlops::mlops:access:AccessGrants$mlops:endpoints:Endpoints::ml-endpoints",
    ],
)
def test_only_the_access_grants_component_as_parent_exempts_a_grant(parent: str) -> None:
    assert len(least_privilege_violations(CONFIG_CONTRIBUTOR_GRANT, parent)) == 1


@pytest.mark.parametrize("principal_type", ["User", "Group", "ForeignGroup"])
def test_grant_to_people_is_not_a_workload_identity_grant(principal_type: str) -> None:
    props = {**CONFIG_CONTRIBUTOR_GRANT, "principalType": principal_type}
    assert least_privilege_violations(props) == []


def test_undescribed_service_principal_grant_counts_as_a_workload_identity() -> None:
    props = {"principalType": "ServicePrincipal", "roleDefinitionId": CONTRIBUTOR}
    assert len(least_privilege_violations(props)) == 1


def test_queue_data_role_on_a_resource_group_is_refused_like_a_blob_role() -> None:
    queue_contributor = f"{ROLE_DEFINITIONS}/974c5e8b-45b9-4653-ba55-5f855dd0fb88"
    props = {"roleDefinitionId": queue_contributor, "scope": GROUP_ID}
    found = resource_violations(
        resource_rule("role-storage-data-scope"), subject(ROLE_ASSIGNMENT, props)
    )
    assert found.messages == [
        f"grants Storage Queue Data Contributor at scope '{GROUP_ID}'; scope it to the storage "
        "account or, better, the one container (.../blobServices/default/containers/<name>)"
    ]


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
