"""The state backend, the identities' federation, what the bootstrap outputs, and the pipelines
it is made for."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from offline.engine import ROOT, ProgramRun, run_program
from tests.bootstrap.conftest import (
    FULL,
    SUBSCRIPTIONS,
    identity,
)
from tests.conftest import pulumi_config

STACK_NAMES = list(SUBSCRIPTIONS)

# A repository may keep one CI system: checks of the other's files skip where they are gone.
GITHUB_ACTIONS = pytest.mark.skipif(
    not (ROOT / ".github" / "workflows").is_dir(), reason="the repository keeps no GitHub Actions"
)

# A repository may keep one CI system: checks of the other's files skip where they are gone.
AZURE_PIPELINES = pytest.mark.skipif(
    not (ROOT / "azure-pipelines.yml").is_file(),
    reason="the repository keeps no azure-pipelines.yml",
)


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


# Who each identity trusts: test_bootstrap_github.py, test_bootstrap_azure_devops.py.


def test_every_credential_has_the_one_audience_entra_accepts(full_run: ProgramRun) -> None:
    for credential in full_run.of_type("azure-native:managedidentity:FederatedIdentityCredential"):
        assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_credentials_of_one_identity_are_written_one_at_a_time(full_run: ProgramRun) -> None:
    github = full_run.named("dev-deploy-github-pulumi-up")
    devops = full_run.named("dev-deploy-azure-devops")
    assert devops.depends_on == (github.urn,)
    assert github.depends_on == ()


@GITHUB_ACTIONS
def test_the_workflows_sign_in_from_the_environments_the_credentials_trust() -> None:
    workflows = ROOT / ".github" / "workflows"
    up = yaml.safe_load((workflows / "pulumi-up.yml").read_text(encoding="utf-8"))
    pull = yaml.safe_load((workflows / "pull-request.yml").read_text(encoding="utf-8"))
    assert up["jobs"]["up"]["environment"] == "${{ inputs.stack }}"
    # Pull requests sign in nowhere: their tokens name refs/pull/..., which no credential trusts.
    assert all("environment" not in job for job in pull["jobs"].values())


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
            "releaseClientId": identity(full_run, f"release-{stack}").outputs["clientId"],
            "releasePrincipalId": identity(full_run, f"release-{stack}").outputs["principalId"],
            "backendUrl": f"azblob://state-{stack}?storage_account={account}",
            "secretsProvider": f"azurekeyvault://{vault}.vault.azure.net/keys/pulumi-{stack}",
        }


def test_outputs_give_each_github_environment_its_variables(full_run: ProgramRun) -> None:
    environments = full_run.outputs["githubEnvironments"]
    assert sorted(environments) == sorted(
        f"{kind}{s}" for s in STACK_NAMES for kind in ("", "preview-", "release-")
    )
    for stack in STACK_NAMES:
        outputs = full_run.outputs["stacks"][stack]
        for environment, client in ((stack, "deploy"), (f"preview-{stack}", "preview")):
            assert environments[environment] == {
                "AZURE_CLIENT_ID": outputs[f"{client}ClientId"],
                "AZURE_SUBSCRIPTION_ID": SUBSCRIPTIONS[stack],
                "PULUMI_BACKEND_URL": outputs["backendUrl"],
                "PULUMI_SECRETS_PROVIDER": outputs["secretsProvider"],
            }


@AZURE_PIPELINES
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


def test_the_pulumi_project_runs_its_main_module(tmp_path: Any) -> None:
    project = yaml.safe_load((ROOT / "bootstrap" / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["runtime"]["options"] == {"toolchain": "uv", "virtualenv": ".venv"}
    run = run_program(
        "admin", config=pulumi_config(FULL), program=ROOT / "bootstrap" / "__main__.py"
    )
    assert sorted(run.outputs["stacks"]) == sorted(STACK_NAMES)
