"""Customer-managed keys (mlops:encryption) and high business impact (mlops:highBusinessImpact):
the settings that declare them and what they refuse, what the program builds (the encryption
identity, the key, its role on the key's vault, the workspace, storage and registry encrypted
with it), the journey that proves the key reachable, and the changes Azure refuses once a
workspace exists.

Runs use tests/fixtures/encryption/Pulumi.prod.yaml or configs built here; never the
repository's stack files, whose plans these keys leave as they were.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import pytest

from components.encryption import KEY_SIZE, ROTATE_AFTER
from offline.diff import Op, diff_plans
from offline.engine import ProgramRun, Resource, file_config, run_program, settings_error
from offline.journeys import evaluate
from offline.plan import Plan
from offline.policies import check
from offline.references import Reference
from settings.roles import BUILT_IN_ROLES
from settings.schema import Settings
from tests.conftest import (
    REAL_STACKS,
    load_settings,
    of_type,
    only,
    problem_at,
    pulumi_config,
    real_run,
    settings_problems,
)
from tests.run_cache import cached_run

FIXTURE: Final = Path(__file__).parent / "fixtures" / "encryption" / "Pulumi.prod.yaml"
# The subscription the mock engine deploys to (offline.engine.MOCK_SUBSCRIPTION_ID).
HERE: Final = "00000000-0000-0000-0000-000000000001"
SECURITY: Final = f"/subscriptions/{HERE}/resourceGroups/rg-security/providers/Microsoft.KeyVault"
VAULT_ID: Final = f"{SECURITY}/vaults/kv-security-qa"
OTHER_VAULT_ID: Final = f"{SECURITY}/vaults/kv-security-qa2"
VERSION: Final = "0123456789abcdef0123456789abcdef"
NEXT_VERSION: Final = "fedcba9876543210fedcba9876543210"
KEY_ID: Final = f"https://kv-security-qa.vault.azure.net/keys/cmk-qa/{VERSION}"
EXISTING: Final = {"mode": "existing", "keyId": KEY_ID, "keyVaultId": VAULT_ID}
CRYPTO_USER: Final = "Key Vault Crypto Service Encryption User"
# Microsoft's built-in roles page:
# https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-crypto-service-encryption-user
CRYPTO_USER_GUID: Final = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
BASE: Final = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "contoso",
    "mlops:alerts": {"emails": ["ml-platform@contoso.example"]},
    "mlops:budget": {"monthlyAmount": 5000},
}
# A dev stack without network isolation: its own vault accepts public traffic, so its created
# Premium registry takes the key too.
PUBLIC_DEV: Final = {
    **BASE,
    "mlops:environment": "dev",
    "mlops:network": {"isolation": "disabled"},
    "mlops:containerRegistry": {"mode": "create", "sku": "Premium"},
}
WORKSPACE: Final = "machinelearningservices:Workspace"
STORAGE: Final = "storage:StorageAccount"
REGISTRY: Final = "containerregistry:Registry"
IDENTITY: Final = "managedidentity:UserAssignedIdentity"


def load(stack: str = "qa", **keys: Any) -> Settings:
    return load_settings(BASE, stack, **keys)


def problems(stack: str = "qa", **keys: Any) -> tuple[str, ...]:
    return settings_problems(BASE, stack, **keys)


# ---------------------------------------------------------------- settings


def test_without_the_keys_a_workspace_keeps_microsoft_managed_keys_and_no_hbi() -> None:
    found = load()
    assert (found.encryption.enabled, found.high_business_impact) == (False, False)


def test_create_keeps_the_metadata_service_side_by_default() -> None:
    found = load(encryption={"mode": "create"}).encryption
    assert (found.mode, found.service_side) == ("create", True)


def test_existing_takes_a_versioned_key_and_its_vault() -> None:
    found = load(encryption=EXISTING).encryption
    assert found.key is not None and found.key_vault is not None
    assert (found.key.vault, found.key.name, found.key.version) == (
        "kv-security-qa",
        "cmk-qa",
        VERSION,
    )
    assert found.key.versionless == "https://kv-security-qa.vault.azure.net/keys/cmk-qa"


def test_existing_needs_the_key() -> None:
    found = problems(encryption={"mode": "existing", "keyVaultId": VAULT_ID})
    assert problem_at(found, "mlops:encryption.keyId").startswith(
        "mlops:encryption.keyId: is required with mode: existing (the key's identifier with its "
        "version"
    )


def test_a_key_without_its_version_is_refused_with_the_command_that_gives_it() -> None:
    versionless = "https://kv-security-qa.vault.azure.net/keys/cmk-qa"
    found = problems(encryption={**EXISTING, "keyId": versionless})
    message = problem_at(found, "mlops:encryption.keyId")
    assert "must name a key version" in message
    assert "--vault-name kv-security-qa --name cmk-qa --query key.kid" in message


@pytest.mark.parametrize(
    ("key_id", "fragment"),
    [
        ("cmk-qa", "is not a Key Vault key identifier of the form"),
        ("https://kv-security-qa.managedhsm.azure.net/keys/cmk-qa", "is not a Key Vault key"),
        ("https://kv-security-qa.vault.azure.net/secrets/cmk-qa", "is not a Key Vault key"),
        ("https://kv-security-qa.vault.azure.net/keys/cmk_qa", "'cmk_qa' is not a valid key name"),
        ("https://kv-security-qa.vault.azure.net/keys/cmk-qa/v2", "'v2' is not a key version"),
    ],
    ids=["a-name", "managed-hsm", "a-secret", "bad-key-name", "bad-version"],
)
def test_a_malformed_key_identifier_is_refused_saying_what_is_wrong(
    key_id: str, fragment: str
) -> None:
    found = problems(encryption={**EXISTING, "keyId": key_id})
    assert fragment in problem_at(found, "mlops:encryption.keyId")


def test_a_key_of_another_vault_than_key_vault_id_is_refused() -> None:
    found = problems(encryption={**EXISTING, "keyVaultId": OTHER_VAULT_ID})
    assert "is a key of vault kv-security-qa, but keyVaultId names vault kv-security-qa2" in (
        problem_at(found, "mlops:encryption.keyId")
    )


@pytest.mark.parametrize("key", ["keyId", "keyVaultId"])
def test_the_key_and_its_vault_are_refused_with_mode_create(key: str) -> None:
    found = problems(encryption={"mode": "create", key: EXISTING[key]})
    assert problem_at(found, f"mlops:encryption.{key}").startswith(
        f"mlops:encryption.{key}: is only valid with mode: existing"
    )


def test_service_side_is_refused_without_a_key() -> None:
    found = problems(encryption={"serviceSide": False})
    assert problem_at(found, "mlops:encryption.serviceSide").startswith(
        "mlops:encryption.serviceSide: is only valid with mode: create or existing"
    )


@pytest.mark.parametrize(
    "vault", [{"existingId": VAULT_ID}, {"mode": "shared"}], ids=["existing-id", "shared"]
)
def test_create_is_refused_with_an_adopted_vault_saying_to_use_existing(
    vault: dict[str, str],
) -> None:
    found = problems(encryption={"mode": "create"}, keyVault=vault)
    message = problem_at(found, "mlops:encryption.mode")
    assert "create makes the key in the stack's own Key Vault" in message
    assert "use mode: existing with the keyId of a key there" in message


def test_existing_needs_the_vault_where_the_stack_creates_its_own() -> None:
    found = problems(encryption={"mode": "existing", "keyId": KEY_ID})
    assert problem_at(found, "mlops:encryption.keyVaultId").startswith(
        "mlops:encryption.keyVaultId: is required with mode: existing while the stack creates "
        "its own Key Vault"
    )


def test_existing_defaults_to_the_adopted_vault_holding_the_key() -> None:
    found = load(
        encryption={"mode": "existing", "keyId": KEY_ID}, keyVault={"existingId": VAULT_ID}
    )
    assert found.encryption.key_vault is None


def test_a_key_outside_the_adopted_vault_is_refused() -> None:
    found = problems(
        encryption={"mode": "existing", "keyId": KEY_ID}, keyVault={"existingId": OTHER_VAULT_ID}
    )
    assert "but the stack adopts vault kv-security-qa2 (mlops:keyVault.existingId)" in (
        problem_at(found, "mlops:encryption.keyId")
    )


@pytest.mark.parametrize(
    ("key", "value"), [("encryption", {"mode": "create"}), ("highBusinessImpact", True)]
)
def test_the_shared_stack_refuses_both_keys(key: str, value: Any) -> None:
    shared = {**BASE, "mlops:modelRegistry": {"mode": "create"}}
    found = settings_problems(shared, "shared", **{key: value})
    assert problem_at(found, f"mlops:{key}").startswith(
        f"mlops:{key}: is only valid with mlops:environment: dev, qa or prod"
    )


def test_high_business_impact_takes_true_or_false_only() -> None:
    found = problems(highBusinessImpact="yes")
    assert problem_at(found, "mlops:highBusinessImpact").startswith(
        "mlops:highBusinessImpact: must be true or false"
    )


def test_a_registry_that_takes_the_key_must_be_premium() -> None:
    found = settings_problems(
        {**PUBLIC_DEV, "mlops:containerRegistry": {"mode": "create", "sku": "Standard"}},
        "dev",
        encryption={"mode": "create"},
    )
    assert problem_at(found, "mlops:containerRegistry.sku").startswith(
        "mlops:containerRegistry.sku: must be Premium with mlops:encryption (mode create)"
    )


def test_the_registry_takes_the_key_only_where_the_vault_accepts_public_traffic() -> None:
    public = load_settings(PUBLIC_DEV, "dev", encryption={"mode": "create"})
    isolated = load("dev", encryption={"mode": "create"}, containerRegistry={"mode": "create"})
    assert (public.encrypts_registry, isolated.encrypts_registry) == (True, False)


# ---------------------------------------------------------------- the program


@functools.cache
def fixture_run() -> ProgramRun:
    config, secret_keys = file_config(FIXTURE)
    return cached_run("prod", config=config, secret_keys=secret_keys)


def fixture_config(**changes: Any) -> dict[str, str]:
    """The fixture's config with ``mlops:<key>`` changed (None removes it)."""
    config, _ = file_config(FIXTURE)
    for key, value in changes.items():
        config.pop(f"mlops:{key}", None)
        if value is not None:
            config[f"mlops:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return config


@functools.cache
def public_dev_run() -> ProgramRun:
    return cached_run("dev", pulumi_config({**PUBLIC_DEV, "mlops:encryption": {"mode": "create"}}))


def existing_run(**keys: Any) -> ProgramRun:
    return cached_run("prod", fixture_config(encryption={**EXISTING, **keys}))


def workspace(run: ProgramRun) -> Resource:
    return only(run, WORKSPACE)


def encryption_identity(run: ProgramRun) -> Resource:
    return only(run, IDENTITY)


def crypto_grants(run: ProgramRun) -> list[Resource]:
    return [
        r
        for r in of_type(run, "authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"].endswith(CRYPTO_USER_GUID)
    ]


def test_the_role_is_microsofts_key_vault_crypto_service_encryption_user() -> None:
    assert BUILT_IN_ROLES[CRYPTO_USER] == CRYPTO_USER_GUID


def test_create_makes_an_rsa_3072_key_for_wrapping_alone_in_the_stacks_vault() -> None:
    run = fixture_run()
    key = only(run, "keyvault:Key")
    vault = only(run, "keyvault:Vault")
    properties = key.inputs["properties"]
    assert (properties["kty"], properties["keySize"], KEY_SIZE) == ("RSA", 3072, 3072)
    assert properties["keyOps"] == ["wrapKey", "unwrapKey"]
    assert key.inputs["vaultName"] == vault.outputs["name"]


def test_the_key_rotates_every_18_months_and_no_version_expires() -> None:
    policy = only(fixture_run(), "keyvault:Key").inputs["properties"]["rotationPolicy"]
    assert policy == {
        "lifetimeActions": [
            {"trigger": {"timeAfterCreate": ROTATE_AFTER}, "action": {"type": "rotate"}}
        ]
    }
    assert ROTATE_AFTER == "P18M"


def test_the_key_is_protected_even_where_the_stack_is_not() -> None:
    run = cached_run("dev", pulumi_config({**PUBLIC_DEV, "mlops:encryption": {"mode": "create"}}))
    assert only(run, "keyvault:Key").protect


def test_the_vault_holding_a_created_key_keeps_purge_protection() -> None:
    properties = only(fixture_run(), "keyvault:Vault").inputs["properties"]
    assert (properties["enablePurgeProtection"], properties["enableSoftDelete"]) == (True, True)


def test_the_encryption_identity_gets_the_role_on_the_keys_vault_alone() -> None:
    run = fixture_run()
    (grant,) = crypto_grants(run)
    assert grant.inputs["scope"] == only(run, "keyvault:Vault").outputs["id"]
    assert grant.inputs["principalId"] == encryption_identity(run).outputs["principalId"]
    assert grant.inputs["principalType"] == "ServicePrincipal"


def test_the_workspace_keeps_its_system_identity_beside_the_encryption_identity() -> None:
    run = fixture_run()
    identity = workspace(run).inputs["identity"]
    assert identity == {
        "type": "SystemAssigned,UserAssigned",
        "userAssignedIdentities": [encryption_identity(run).outputs["id"]],
    }
    assert "primaryUserAssignedIdentity" not in workspace(run).inputs


def test_the_workspace_is_encrypted_with_a_version_of_the_key_through_the_identity() -> None:
    run = fixture_run()
    key = only(run, "keyvault:Key")
    assert workspace(run).inputs["encryption"] == {
        "status": "Enabled",
        "keyVaultProperties": {
            "keyVaultArmId": only(run, "keyvault:Vault").outputs["id"],
            "keyIdentifier": key.outputs["keyUriWithVersion"],
        },
        "identity": {"userAssignedIdentity": encryption_identity(run).outputs["id"]},
    }


def test_the_metadata_is_encrypted_service_side_unless_config_says_classic() -> None:
    classic = cached_run(
        "prod", fixture_config(encryption={"mode": "create", "serviceSide": False})
    )
    assert workspace(fixture_run()).inputs["enableServiceSideCMKEncryption"] is True
    assert "enableServiceSideCMKEncryption" not in workspace(classic).inputs


def test_the_storage_follows_the_key_without_its_version_through_the_identity() -> None:
    run = fixture_run()
    inputs = only(run, STORAGE).inputs
    identity = encryption_identity(run).outputs["id"]
    assert inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity]}
    encryption = inputs["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["keyVaultProperties"] == {
        "keyName": only(run, "keyvault:Key").inputs["keyName"],
        "keyVaultUri": only(run, "keyvault:Vault").outputs["properties"]["vaultUri"],
    }
    assert encryption["encryptionIdentity"] == {"encryptionUserAssignedIdentity": identity}
    assert encryption["requireInfrastructureEncryption"] is True


def test_what_takes_the_key_is_created_after_the_identitys_role() -> None:
    run = fixture_run()
    (grant,) = crypto_grants(run)
    for suffix in (WORKSPACE, STORAGE):
        assert grant.urn in only(run, suffix).dependencies, suffix


def test_an_isolated_stacks_registry_keeps_microsoft_managed_keys() -> None:
    inputs = only(fixture_run(), REGISTRY).inputs
    assert not {"encryption", "identity"} & set(inputs)


def test_a_public_stacks_premium_registry_follows_the_key_through_the_identity() -> None:
    run = public_dev_run()
    registry = only(run, REGISTRY)
    identity = encryption_identity(run).outputs
    assert registry.inputs["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": {identity["id"]: {}},
    }
    assert registry.inputs["encryption"] == {
        "status": "enabled",
        "keyVaultProperties": {
            "identity": identity["clientId"],
            "keyIdentifier": only(run, "keyvault:Key").outputs["keyUri"],
        },
    }
    (grant,) = crypto_grants(run)
    assert grant.urn in registry.dependencies


def test_high_business_impact_is_set_only_where_config_asks() -> None:
    without = cached_run("prod", fixture_config(highBusinessImpact=None))
    assert workspace(fixture_run()).inputs["hbiWorkspace"] is True
    assert "hbiWorkspace" not in workspace(without).inputs


def test_an_existing_key_is_used_from_its_vault_with_its_version() -> None:
    run = existing_run()
    keyed = workspace(run).inputs["encryption"]["keyVaultProperties"]
    assert keyed == {"keyVaultArmId": VAULT_ID, "keyIdentifier": KEY_ID}
    assert only(run, STORAGE).inputs["encryption"]["keyVaultProperties"] == {
        "keyName": "cmk-qa",
        "keyVaultUri": "https://kv-security-qa.vault.azure.net/",
    }
    assert not of_type(run, "keyvault:Key")
    (grant,) = crypto_grants(run)
    assert grant.inputs["scope"] == VAULT_ID


def test_an_existing_key_in_another_subscription_stops_the_run_naming_the_key() -> None:
    elsewhere = VAULT_ID.replace(HERE, "00000000-0000-0000-0000-0000000000ab")
    with pytest.raises(Exception) as caught:
        existing_run(keyVaultId=elsewhere)
    error = settings_error(caught.value)
    assert error is not None
    (problem,) = error.problems
    assert problem.startswith(
        "mlops:encryption.keyVaultId: vault kv-security-qa is in subscription "
        "00000000-0000-0000-0000-0000000000ab, but the stack deploys to "
        f"{HERE}: Azure ML takes a customer-managed key only from a vault in the workspace's "
        "subscription"
    )


def test_a_key_outside_the_shared_stacks_vault_stops_the_run_naming_the_key() -> None:
    config = fixture_config(
        encryption={"mode": "existing", "keyId": KEY_ID}, keyVault={"mode": "shared"}
    )
    shared = Reference("organization/mlops/shared", {"keyVaultId": OTHER_VAULT_ID}, (), "test")
    with pytest.raises(Exception) as caught:
        run_program("prod", config, references=[shared])
    error = settings_error(caught.value)
    assert error is not None
    (problem,) = error.problems
    assert problem.startswith(
        "mlops:encryption.keyId: is a key of vault kv-security-qa, but mlops:keyVault (shared) "
        "is vault kv-security-qa2"
    )


@pytest.mark.parametrize("stack", REAL_STACKS)
def test_the_repositorys_stacks_take_no_key_and_no_hbi(stack: str) -> None:
    run = real_run(stack)
    assert not of_type(run, IDENTITY) and not of_type(run, "keyvault:Key")
    for found in of_type(run, WORKSPACE):
        assert not {"encryption", "hbiWorkspace", "enableServiceSideCMKEncryption"} & set(
            found.inputs
        )


def test_the_stack_passes_every_policy() -> None:
    assert check(fixture_run()).violations == ()


# ---------------------------------------------------------------- the journey


def altered(run: ProgramRun, keep: Callable[[Resource], Resource | None]) -> ProgramRun:
    """The run with each resource as ``keep`` returns it (None: left out)."""
    kept = (keep(r) for r in run.resources)
    return replace(run, resources=tuple(r for r in kept if r is not None))


def broken(run: ProgramRun) -> dict[str, list[str]]:
    return {
        r.journey.key: [h.hop.what for h in r.hops or () if not h.ok]
        for r in evaluate(run).results
        if r.broken
    }


def vault_changed(run: ProgramRun, change: Callable[[dict[str, Any]], None]) -> ProgramRun:
    def changed(resource: Resource) -> Resource:
        if not resource.type.endswith("keyvault:Vault"):
            return resource
        inputs = json.loads(json.dumps(resource.inputs))
        change(inputs["properties"])
        return replace(resource, inputs=inputs)

    return altered(run, changed)


def test_the_key_is_reachable_by_the_workspace_and_its_storage() -> None:
    report = evaluate(fixture_run())
    (result,) = [r for r in report.results if r.journey.key == "customerManagedKey"]
    assert report.broken == ()
    assert [h.ok for h in result.hops or ()] == [True, True]
    assert "exception for trusted Microsoft services" in (result.hops or ())[0].detail


def test_without_the_identitys_role_exactly_the_key_journey_breaks() -> None:
    run = fixture_run()
    found = broken(altered(run, lambda r: None if r in crypto_grants(run) else r))
    assert list(found) == ["customerManagedKey"]
    assert len(found["customerManagedKey"]) == 2


def test_a_vault_that_refuses_trusted_services_breaks_the_key_journey() -> None:
    def refuse(properties: dict[str, Any]) -> None:
        properties["networkAcls"]["bypass"] = "None"

    found = broken(vault_changed(fixture_run(), refuse))
    assert list(found) == ["customerManagedKey"]


def test_the_registry_reaches_the_key_only_through_a_public_vault() -> None:
    def close(properties: dict[str, Any]) -> None:
        properties["publicNetworkAccess"] = "Disabled"
        properties["networkAcls"]["defaultAction"] = "Deny"

    assert broken(public_dev_run()) == {}
    found = broken(vault_changed(public_dev_run(), close))
    assert found == {
        "customerManagedKey": [
            "the container registry wraps its data key with the key, with its user-assigned "
            "identity (which passes no vault firewall)"
        ]
    }


# ---------------------------------------------------------------- changing a created stack


def refusals(before: dict[str, str], after: dict[str, str], suffix: str = WORKSPACE) -> list[str]:
    """What Azure refuses of ``suffix``'s change from a stack of config ``before`` to ``after``."""
    stack = json.loads(json.dumps(before)).get("mlops:environment", "prod")
    diff = diff_plans(Plan(cached_run(stack, before)), Plan(cached_run(stack, after)))
    (change,) = [c for c in diff.changes if c.resource.type.endswith(suffix)]
    assert change.op is not Op.REPLACE
    return [r.reason for r in change.refusals if r.by == "Azure"]


def test_adding_a_key_to_a_workspace_is_refused_naming_the_key_and_what_to_do() -> None:
    found = refusals(fixture_config(encryption=None), fixture_config())
    (encryption,) = [r for r in found if r.startswith("encryption: ")]
    assert "(mlops:encryption)" in encryption
    assert "create a new stack with it and move to it" in encryption
    assert any(r.startswith("enableServiceSideCMKEncryption: ") for r in found)


def test_removing_the_key_is_refused() -> None:
    found = refusals(fixture_config(), fixture_config(encryption=None))
    assert any(r.startswith("encryption: ") and "(mlops:encryption)" in r for r in found)


def test_a_new_version_of_the_key_is_an_update_azure_makes() -> None:
    later = {**EXISTING, "keyId": KEY_ID.replace(VERSION, NEXT_VERSION)}
    assert refusals(fixture_config(encryption=EXISTING), fixture_config(encryption=later)) == []


def test_a_key_from_another_vault_is_refused() -> None:
    moved = {
        **EXISTING,
        "keyId": KEY_ID.replace("kv-security-qa", "kv-security-qa2"),
        "keyVaultId": OTHER_VAULT_ID,
    }
    found = refusals(fixture_config(encryption=EXISTING), fixture_config(encryption=moved))
    assert [r.split(":")[0] for r in found] == ["encryption"]


def test_service_side_cannot_change_on_an_existing_workspace() -> None:
    classic = {"mode": "create", "serviceSide": False}
    found = refusals(fixture_config(), fixture_config(encryption=classic))
    assert found == [
        "enableServiceSideCMKEncryption: where Azure ML keeps a workspace's encrypted metadata is "
        "chosen when it is created (mlops:encryption.serviceSide): keep it, or create a new stack"
    ]


@pytest.mark.parametrize("before", [True, None], ids=["removed", "added"])
def test_high_business_impact_cannot_change_on_an_existing_workspace(before: bool | None) -> None:
    after = None if before else True
    found = refusals(
        fixture_config(highBusinessImpact=before), fixture_config(highBusinessImpact=after)
    )
    (message,) = found
    assert message.startswith(
        "hbiWorkspace: high business impact is set when a workspace is created and never changed "
        "(mlops:highBusinessImpact)"
    )


def test_adding_a_key_to_a_registry_is_refused() -> None:
    plain = pulumi_config(PUBLIC_DEV)
    keyed = pulumi_config({**PUBLIC_DEV, "mlops:encryption": {"mode": "create"}})
    (message,) = refusals(plain, keyed, REGISTRY)
    assert message.startswith(
        "encryption: a registry takes a customer-managed key only when it is created and never "
        "drops it (mlops:encryption)"
    )
