"""The state backend, the identities' federation, what the bootstrap outputs, and the pipelines
it is made for."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from offline.engine import ROOT, ProgramRun, run_program
from tests.bootstrap.conftest import (
    CONNECTIONS,
    FULL,
    ORGANIZATION,
    PREVIEW_CONNECTION,
    REPOSITORY,
    SUBJECT_PREFIX,
    SUBSCRIPTIONS,
    identity,
)
from tests.conftest import pulumi_config

STACK_NAMES = list(SUBSCRIPTIONS)
GITHUB = "https://token.actions.githubusercontent.com"
ENTRA = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0"


def _only(run: ProgramRun, type_token: str) -> Any:
    (found,) = run.of_type(type_token)
    return found


# -- state storage and keys --------------------------------------------------------------------


def test_state_storage_is_entra_only_and_never_public(full_run: ProgramRun) -> None:
    account = _only(full_run, "azure-native:storage:StorageAccount").inputs
    assert account["kind"] == "StorageV2"
    assert account["allowSharedKeyAccess"] is False
    assert account["defaultToOAuthAuthentication"] is True
    assert account["allowBlobPublicAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["enableHttpsTrafficOnly"] is True
    assert account["allowCrossTenantReplication"] is False


def test_every_state_version_and_deleted_blob_or_container_is_recoverable(
    full_run: ProgramRun,
) -> None:
    blobs = _only(full_run, "azure-native:storage:BlobServiceProperties").inputs
    assert blobs["isVersioningEnabled"] is True
    assert blobs["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert blobs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}


def test_one_private_container_and_one_key_per_stack(full_run: ProgramRun) -> None:
    containers = full_run.of_type("azure-native:storage:BlobContainer")
    assert sorted(c.inputs["containerName"] for c in containers) == sorted(
        f"state-{s}" for s in STACK_NAMES
    )
    assert {c.inputs["publicAccess"] for c in containers} == {"None"}
    keys = full_run.of_type("azure-native:keyvault:Key")
    assert sorted(k.inputs["keyName"] for k in keys) == sorted(f"pulumi-{s}" for s in STACK_NAMES)


def test_keys_are_rsa_for_encrypt_and_decrypt_only_in_an_rbac_vault(full_run: ProgramRun) -> None:
    for key in full_run.of_type("azure-native:keyvault:Key"):
        properties = key.inputs["properties"]
        assert properties["kty"] == "RSA"
        assert properties["keySize"] == 3072
        assert properties["keyOps"] == ["encrypt", "decrypt"]
        assert "rotationPolicy" not in properties
    vault = _only(full_run, "azure-native:keyvault:Vault").inputs["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True
    assert vault["softDeleteRetentionInDays"] == 90


def test_everything_the_stacks_depend_on_is_protected(full_run: ProgramRun) -> None:
    protected = {
        "azure-native:resources:ResourceGroup",
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobContainer",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
        "random:index/randomString:RandomString",
    }
    for resource in full_run.resources:
        if resource.type in protected:
            assert resource.protect, resource.name


def test_every_azure_resource_is_tagged(full_run: ProgramRun) -> None:
    tagged = [r for r in full_run.resources if "tags" in r.inputs]
    assert {r.type for r in tagged} >= {
        "azure-native:resources:ResourceGroup",
        "azure-native:storage:StorageAccount",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
        "azure-native:managedidentity:UserAssignedIdentity",
    }
    for resource in tagged:
        assert resource.inputs["tags"] == {
            "costCenter": "1234",
            "environment": "shared",
            "managedBy": "pulumi",
        }


# -- federation ---------------------------------------------------------------------------------


def _credentials(run: ProgramRun, purpose: str) -> dict[str, dict[str, Any]]:
    owner = identity(run, purpose)
    return {
        r.inputs["federatedIdentityCredentialResourceName"]: r.inputs
        for r in run.of_type("azure-native:managedidentity:FederatedIdentityCredential")
        if r.parent == owner.parent
    }


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_deploy_identity_trusts_its_github_environment_and_its_azure_devops_connection(
    full_run: ProgramRun, stack: str
) -> None:
    credentials = _credentials(full_run, f"deploy-{stack}")
    assert {name: (c["issuer"], c["subject"]) for name, c in credentials.items()} == {
        "github": (GITHUB, f"repo:{REPOSITORY}:environment:{stack}"),
        "azure-devops": (ENTRA, f"{SUBJECT_PREFIX}/sc/{ORGANIZATION}/{CONNECTIONS[stack]}"),
    }


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_preview_identity_trusts_only_its_preview_environment(
    full_run: ProgramRun, stack: str
) -> None:
    credentials = _credentials(full_run, f"preview-{stack}")
    assert {name: (c["issuer"], c["subject"]) for name, c in credentials.items()} == {
        "github": (GITHUB, f"repo:{REPOSITORY}:environment:preview-{stack}")
    }


def test_the_azure_devops_preview_identity_trusts_the_preview_connection(
    full_run: ProgramRun,
) -> None:
    credentials = _credentials(full_run, "preview-azure-devops")
    assert {name: c["subject"] for name, c in credentials.items()} == {
        "azure-devops": f"{SUBJECT_PREFIX}/sc/{ORGANIZATION}/{PREVIEW_CONNECTION}"
    }


def test_every_credential_has_the_one_audience_entra_accepts(full_run: ProgramRun) -> None:
    for credential in full_run.of_type("azure-native:managedidentity:FederatedIdentityCredential"):
        assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_credentials_of_one_identity_are_written_one_at_a_time(full_run: ProgramRun) -> None:
    github = full_run.named("dev-deploy-github")
    devops = full_run.named("dev-deploy-azure-devops")
    assert devops.depends_on == (github.urn,)
    assert github.depends_on == ()


def test_the_workflows_sign_in_from_the_environments_the_credentials_trust() -> None:
    workflows = ROOT / ".github" / "workflows"
    up = yaml.safe_load((workflows / "pulumi-up.yml").read_text(encoding="utf-8"))
    pull = yaml.safe_load((workflows / "pull-request.yml").read_text(encoding="utf-8"))
    assert up["jobs"]["up"]["environment"] == "${{ inputs.stack }}"
    assert pull["jobs"]["preview"]["environment"] == "preview-${{ matrix.stack }}"


# -- outputs ------------------------------------------------------------------------------------


def test_outputs_give_each_stack_its_identities_backend_and_secrets_provider(
    full_run: ProgramRun,
) -> None:
    account = full_run.outputs["stateStorageAccount"]
    vault = full_run.outputs["stateKeyVault"]
    for stack in STACK_NAMES:
        assert full_run.outputs["stacks"][stack] == {
            "subscriptionId": SUBSCRIPTIONS[stack],
            "deployClientId": identity(full_run, f"deploy-{stack}").outputs["clientId"],
            "previewClientId": identity(full_run, f"preview-{stack}").outputs["clientId"],
            "backendUrl": f"azblob://state-{stack}?storage_account={account}",
            "secretsProvider": f"azurekeyvault://{vault}.vault.azure.net/keys/pulumi-{stack}",
        }


def test_outputs_give_each_github_environment_its_variables(full_run: ProgramRun) -> None:
    environments = full_run.outputs["githubEnvironments"]
    assert sorted(environments) == sorted([*STACK_NAMES, *(f"preview-{s}" for s in STACK_NAMES)])
    for stack in STACK_NAMES:
        outputs = full_run.outputs["stacks"][stack]
        for environment, client in ((stack, "deploy"), (f"preview-{stack}", "preview")):
            assert environments[environment] == {
                "AZURE_CLIENT_ID": outputs[f"{client}ClientId"],
                "AZURE_SUBSCRIPTION_ID": SUBSCRIPTIONS[stack],
                "PULUMI_BACKEND_URL": outputs["backendUrl"],
                "PULUMI_SECRETS_PROVIDER": outputs["secretsProvider"],
            }


def test_outputs_give_the_azure_devops_variable_group_what_the_template_reads(
    full_run: ProgramRun,
) -> None:
    template = (ROOT / ".azure-pipelines" / "templates" / "pulumi-steps.yml").read_text(
        encoding="utf-8"
    )
    assert 'backend="PULUMI_BACKEND_URL_$suffix"' in template
    assert 'override="AZURE_SUBSCRIPTION_ID_$suffix"' in template
    variables = full_run.outputs["azureDevOpsVariables"]
    for stack in STACK_NAMES:
        upper = stack.upper()
        assert (
            variables[f"PULUMI_BACKEND_URL_{upper}"]
            == (full_run.outputs["stacks"][stack]["backendUrl"])
        )
        assert variables[f"AZURE_SUBSCRIPTION_ID_{upper}"] == SUBSCRIPTIONS[stack]
    assert (
        full_run.outputs["azureDevOpsPreviewClientId"]
        == (identity(full_run, "preview-azure-devops").outputs["clientId"])
    )


def test_the_pulumi_project_runs_its_main_module(tmp_path: Any) -> None:
    project = yaml.safe_load((ROOT / "bootstrap" / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["runtime"]["options"] == {"toolchain": "uv", "virtualenv": ".venv"}
    run = run_program(
        "admin", config=pulumi_config(FULL), program=ROOT / "bootstrap" / "__main__.py"
    )
    assert sorted(run.outputs["stacks"]) == sorted(STACK_NAMES)
