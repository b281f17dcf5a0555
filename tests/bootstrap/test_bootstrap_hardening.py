"""What no pipeline identity can do: lift a lock, change its state key, decrypt a stack whose
previews run unreviewed code; and the record of who read state and who decrypted with a key."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.roles import covers, deploy_actions
from offline.engine import ProgramRun
from tests.bootstrap.conftest import (
    ADMIN_GROUP,
    STACK_NAMES,
    Held,
    held_by,
    key_id,
    roles_of,
)

LOCK_DELETE = "Microsoft.Authorization/locks/delete"
KEY_UPDATE = "Microsoft.KeyVault/vaults/keys/update/action"
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"


def _role_named(run: ProgramRun, role_name: str) -> Any:
    (role,) = [
        r
        for r in run.of_type("azure-native:authorization:RoleDefinition")
        if r.inputs["roleName"] == role_name
    ]
    return role


# -- locks ---------------------------------------------------------------------------------------


def test_the_deploy_role_cannot_lift_a_lock() -> None:
    assert "Microsoft.Authorization/locks/*" not in deploy_actions()
    assert not any(covers(action, LOCK_DELETE) for action in deploy_actions())


def test_the_deploy_role_places_and_reads_the_programs_locks() -> None:
    for action in ("Microsoft.Authorization/locks/write", "Microsoft.Authorization/locks/read"):
        assert any(covers(granted, action) for granted in deploy_actions()), action


def test_no_deploy_role_definition_registered_can_lift_a_lock(full_run: ProgramRun) -> None:
    for stack in STACK_NAMES:
        (permissions,) = _role_named(full_run, f"contoso mlops deploy ({stack})").inputs[
            "permissions"
        ]
        assert not any(covers(action, LOCK_DELETE) for action in permissions["actions"])


# -- state keys ----------------------------------------------------------------------------------


def test_the_state_key_user_role_encrypts_and_decrypts_and_cannot_change_the_key(
    full_run: ProgramRun,
) -> None:
    (permissions,) = _role_named(full_run, "contoso mlops state key user").inputs["permissions"]
    assert sorted(permissions["dataActions"]) == [
        "Microsoft.KeyVault/vaults/keys/decrypt/action",
        "Microsoft.KeyVault/vaults/keys/encrypt/action",
        "Microsoft.KeyVault/vaults/keys/read",
    ]
    assert not permissions.get("actions")


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_a_deploy_identity_uses_its_key_with_the_state_key_user_role(
    full_run: ProgramRun, stack: str
) -> None:
    user = _role_named(full_run, "contoso mlops state key user").inputs["roleDefinitionId"]
    on_key = {
        h for h in roles_of(full_run, f"deploy-{stack}") if h.scope == key_id(full_run, stack)
    }
    assert on_key == {Held(user, key_id(full_run, stack))}


def test_no_one_holds_key_vault_crypto_user(full_run: ProgramRun) -> None:
    # It includes keys/update/action: whoever holds it can disable the key.
    assigned = {
        r.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
    }
    assert KEY_VAULT_CRYPTO_USER not in assigned


def test_no_custom_role_may_update_a_key(full_run: ProgramRun) -> None:
    for role in full_run.of_type("azure-native:authorization:RoleDefinition"):
        for permissions in role.inputs["permissions"]:
            assert not any(covers(a, KEY_UPDATE) for a in permissions.get("dataActions", []))


def test_state_administrators_use_every_key_with_the_state_key_user_role(
    full_run: ProgramRun,
) -> None:
    user = _role_named(full_run, "contoso mlops state key user").inputs["roleDefinitionId"]
    vault = full_run.named("state-vault").id
    assert {h for h in held_by(full_run, ADMIN_GROUP) if h.scope == vault} == {Held(user, vault)}


@pytest.mark.parametrize("stack", ["dev", "qa"])
def test_a_preview_identity_decrypts_where_its_stack_says_previews_may(
    full_run: ProgramRun, stack: str
) -> None:
    reader = _role_named(full_run, "contoso mlops state key reader").inputs["roleDefinitionId"]
    assert Held(reader, key_id(full_run, stack)) in roles_of(full_run, f"preview-{stack}")


# -- audit logs ----------------------------------------------------------------------------------


def _diagnostics_of(run: ProgramRun, resource: str) -> dict[str, Any]:
    (setting,) = [
        r for r in run.of_type(DIAGNOSTICS) if r.inputs["resourceUri"] == run.named(resource).id
    ]
    return setting.inputs


def test_every_state_blob_read_write_and_delete_goes_to_the_bootstrap_log_analytics(
    full_run: ProgramRun,
) -> None:
    setting = _diagnostics_of(full_run, "state-blob-service")
    assert setting["workspaceId"] == full_run.named("state-logs").id
    assert {(log["category"], log["enabled"]) for log in setting["logs"]} == {
        ("StorageRead", True),
        ("StorageWrite", True),
        ("StorageDelete", True),
    }


def test_every_key_vault_request_goes_to_the_bootstrap_log_analytics(
    full_run: ProgramRun,
) -> None:
    setting = _diagnostics_of(full_run, "state-vault")
    assert setting["workspaceId"] == full_run.named("state-logs").id
    assert setting["logs"] == [{"category": "AuditEvent", "enabled": True}]


def test_the_audit_logs_are_kept_a_year_in_the_bootstraps_resource_group(
    full_run: ProgramRun,
) -> None:
    logs = full_run.named("state-logs")
    assert logs.inputs["retentionInDays"] == 365
    assert logs.inputs["workspaceName"] == "log-contoso-mlops-bootstrap"
    assert logs.inputs["resourceGroupName"] == full_run.named("bootstrap").outputs["name"]
    assert logs.protect


def test_no_pipeline_identity_holds_anything_on_the_audit_logs(full_run: ProgramRun) -> None:
    logs = full_run.named("state-logs").id
    assert not [
        r
        for r in full_run.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["scope"] == logs
    ]
