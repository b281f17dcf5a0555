"""Stack references: dev, qa and prod read the shared stack's outputs (``mode: shared``).

Every stack here is built from a config of its own, and every reference is given explicitly
(``references=[Reference(...)]``) or resolved from a temporary root holding stack files and
recorded outputs of the test's own: nothing depends on the repository's Pulumi.*.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import pytest

from offline.engine import STACK_REFERENCE, AzureMocks, ProgramRun, run_program, settings_error
from offline.journeys import evaluate
from offline.plan import Plan
from offline.preview import plan_data, render_markdown, render_text
from offline.references import Reference, ReferenceError, referenced
from settings.roles import BUILT_IN_ROLES
from settings.shared_stack import SHARED_OUTPUTS
from tests.conftest import of_type, only, pulumi_config, required_network, settings_problems

SHARED_SUB: Final = "00000000-0000-0000-0000-0000000000cc"
GROUP: Final = f"/subscriptions/{SHARED_SUB}/resourceGroups/rg-acme-mlops-shared/providers"
MANAGED: Final = f"/subscriptions/{SHARED_SUB}/resourceGroups/azureml-rg-mlr-acme_0000/providers"
REGISTRY_NAME: Final = "mlr-acme-shared-abc123"
REGISTRY_ID: Final = f"{GROUP}/Microsoft.MachineLearningServices/registries/{REGISTRY_NAME}"
# The registry's storage, one account per region it replicates to; the stacks are in westeurope,
# which is neither the first nor the last entry.
STORAGE_IDS: Final[Mapping[str, str]] = {
    "northeurope": f"{MANAGED}/Microsoft.Storage/storageAccounts/stnortheurope",
    "westeurope": f"{MANAGED}/Microsoft.Storage/storageAccounts/stwesteurope",
    "swedencentral": f"{MANAGED}/Microsoft.Storage/storageAccounts/stswedencentral",
}
MODEL_ACR_ID: Final = f"{MANAGED}/Microsoft.ContainerRegistry/registries/crmlracme"
VAULT_ID: Final = f"{GROUP}/Microsoft.KeyVault/vaults/kv-acme-shared"
ACR_NAME: Final = "cracmeshared"
ACR_ID: Final = f"{GROUP}/Microsoft.ContainerRegistry/registries/{ACR_NAME}"
# What `pulumi stack output --json -s shared` prints for a shared stack that creates all three.
OUTPUTS: Final[Mapping[str, Any]] = {
    "modelRegistryId": REGISTRY_ID,
    "modelRegistryStorageAccountIds": dict(STORAGE_IDS),
    "modelRegistryContainerRegistryId": MODEL_ACR_ID,
    "keyVaultId": VAULT_ID,
    "containerRegistryId": ACR_ID,
    "modelRegistryName": REGISTRY_NAME,
}
DEFAULT_STACK: Final = "organization/mlops/shared"
GIVEN: Final = "given by the test"
SCIENTISTS: Final = "00000000-0000-0000-0000-00000000d5a1"
PIPELINE: Final = "00000000-0000-0000-0000-0000000000c1"
ROLE_NAMES: Final = {guid: name for name, guid in BUILT_IN_ROLES.items()}
WORKSPACE: Final = "machinelearningservices:Workspace"

ALL_SHARED: Final[Mapping[str, Any]] = {
    "mlops:modelRegistry": {"mode": "shared"},
    "mlops:keyVault": {"mode": "shared"},
    "mlops:containerRegistry": {"mode": "shared"},
}
# The same resources, by ID in config.
ALL_EXISTING: Final[Mapping[str, Any]] = {
    "mlops:modelRegistry": {
        "mode": "existing",
        "existingId": REGISTRY_ID,
        "storageAccountId": STORAGE_IDS["westeurope"],
        "containerRegistryId": MODEL_ACR_ID,
    },
    "mlops:keyVault": {"existingId": VAULT_ID},
    "mlops:containerRegistry": {"mode": "existing", "existingId": ACR_ID},
}
SHARED_STACK: Final[Mapping[str, Any]] = {
    "azure-native:location": "westeurope",
    "mlops:environment": "shared",
    "mlops:prefix": "acme",
    "mlops:alerts": {"emails": ["ml-platform@acme.example"]},
    "mlops:modelRegistry": {"mode": "create", "regions": ["northeurope"]},
}


def environment(name: str = "dev", **keys: Any) -> dict[str, Any]:
    """A workspace stack (managed network, a data-scientist group, the release pipeline, an
    online endpoint) with ``mlops:<key>`` set from ``keys``; every mode shared unless given."""
    return {
        "azure-native:location": "westeurope",
        "mlops:environment": name,
        "mlops:prefix": "acme",
        "mlops:alerts": {"emails": ["ml-platform@acme.example"]},
        "mlops:network": {
            **json.loads(required_network(name).get("mlops:network", "{}")),
            "isolation": "allowInternetOutbound",
        },
        "mlops:access": [
            {"principalId": SCIENTISTS, "principalType": "Group", "role": "AzureML Data Scientist"}
        ],
        "mlops:releasePipeline": {"principalId": PIPELINE},
        "mlops:endpoints": [{"name": "score", "kind": "online"}],
        **ALL_SHARED,
        **{f"mlops:{key}": value for key, value in keys.items()},
    }


def _keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """``mlops:<key>`` config as ``environment`` keywords."""
    return {key.removeprefix("mlops:"): value for key, value in values.items()}


def reference(stack: str = DEFAULT_STACK, **changed: Any) -> Reference:
    """The shared stack's outputs, with ``changed`` outputs replaced."""
    return Reference(stack, {**OUTPUTS, **changed}, (), GIVEN)


def asking(run: Callable[[], ProgramRun]) -> tuple[ProgramRun | BaseException, list[str]]:
    """The run (or what it raised), and the stacks the mock was asked to read a reference of."""
    asked: list[str] = []
    original = AzureMocks.new_resource

    def recording(self: AzureMocks, args: Any) -> tuple[str, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            asked.append(str(args.inputs.get("name")))
        return original(self, args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AzureMocks, "new_resource", recording)
        try:
            return run(), asked
        except Exception as error:  # the caller judges what was raised
            return error, asked


def ran(found: ProgramRun | BaseException) -> ProgramRun:
    assert isinstance(found, ProgramRun), f"the run failed: {found!r}"
    return found


def refusals(found: ProgramRun | BaseException) -> tuple[str, ...]:
    """The problems of the program's SettingsError (not a traceback of something else)."""
    assert isinstance(found, BaseException), "the run succeeded"
    error = settings_error(found)
    assert error is not None, f"not the program's SettingsError: {found!r}"
    return tuple(getattr(error, "problems", ()))


def refusal(found: ProgramRun | BaseException) -> str:
    """The one problem of the program's SettingsError."""
    problems = refusals(found)
    assert len(problems) == 1, problems
    return problems[0]


def outbound_targets(run: ProgramRun) -> dict[str, str]:
    rules = only(run, WORKSPACE).inputs["managedNetwork"]["outboundRules"]
    return {name: rule["destination"]["serviceResourceId"] for name, rule in rules.items()}


def problems_of(values: Mapping[str, Any], stack: str) -> str:
    return "\n".join(settings_problems(values, stack))


def write_stack(root: Path, stack: str, values: Mapping[str, Any]) -> None:
    """``root/Pulumi.<stack>.yaml`` holding ``values`` (JSON flow style is YAML)."""
    lines = ["config:", *(f"  {key}: {json.dumps(value)}" for key, value in values.items())]
    (root / f"Pulumi.{stack}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_recorded(root: Path, stack: str, text: str) -> Path:
    path = root / "stack-outputs" / f"{stack}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- module runs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_asked() -> tuple[ProgramRun | BaseException, list[str]]:
    config = pulumi_config(environment())
    return asking(lambda: run_program("dev", config, references=[reference()]))


@pytest.fixture(scope="module")
def shared(shared_asked: tuple[ProgramRun | BaseException, list[str]]) -> ProgramRun:
    """dev with every mode shared, reading OUTPUTS from the default shared stack."""
    return ran(shared_asked[0])


@pytest.fixture(scope="module")
def existing_asked() -> tuple[ProgramRun | BaseException, list[str]]:
    # No references are given: any the config named would be resolved, and show in the run.
    return asking(lambda: run_program("dev", pulumi_config(environment(**_keys(ALL_EXISTING)))))


@pytest.fixture(scope="module")
def existing(existing_asked: tuple[ProgramRun | BaseException, list[str]]) -> ProgramRun:
    """dev using the same resources by their IDs in config."""
    return ran(existing_asked[0])


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository of stack files: shared (the registry, vault and container registry) and
    dev (every mode shared), and recorded outputs of another organization's shared stack."""
    found = tmp_path_factory.mktemp("references")
    write_stack(
        found,
        "shared",
        {
            **SHARED_STACK,
            "mlops:keyVault": {"mode": "create"},
            "mlops:containerRegistry": {"mode": "create"},
        },
    )
    write_stack(found, "dev", environment())
    write_recorded(found, "contoso/platform/shared", json.dumps(OUTPUTS))
    return found


@pytest.fixture(scope="module")
def from_root(root: Path) -> ProgramRun:
    """dev's stack file run, the shared stack's stack file evaluated for its outputs."""
    return run_program("dev", root=root)


@pytest.fixture(scope="module")
def from_recorded(root: Path) -> ProgramRun:
    config = pulumi_config(environment(sharedStack="contoso/platform/shared"))
    return run_program("dev", config, root=root)


# -- 1. mode: shared reads the shared stack's outputs ----------------------------------------------


def test_the_managed_network_reaches_the_shared_registry_its_storage_and_acr(
    shared: ProgramRun,
) -> None:
    targets = outbound_targets(shared)
    assert {
        name: targets[name]
        for name in ("model-registry", "model-registry-storage-blob", "model-registry-acr")
    } == {
        "model-registry": REGISTRY_ID,
        "model-registry-storage-blob": STORAGE_IDS["westeurope"],
        "model-registry-acr": MODEL_ACR_ID,
    }


def test_of_several_regions_storage_the_stack_reaches_its_own_region_s(
    shared: ProgramRun,
) -> None:
    reached = set(outbound_targets(shared).values()) & set(STORAGE_IDS.values())
    assert reached == {STORAGE_IDS["westeurope"]}
    pending = {p["rule"]: p["target"] for p in shared.outputs["pendingApprovals"]}
    assert pending["model-registry-storage-blob"] == STORAGE_IDS["westeurope"]


def test_role_assignments_on_the_registry_are_scoped_by_its_shared_id(shared: ProgramRun) -> None:
    on_registry = {
        (ROLE_NAMES[r.inputs["roleDefinitionId"].rsplit("/", 1)[1]], r.inputs["principalId"])
        for r in of_type(shared, "authorization:RoleAssignment")
        if r.inputs["scope"] == REGISTRY_ID
    }
    assert {("AzureML Registry User", SCIENTISTS), ("AzureML Registry User", PIPELINE)} <= (
        on_registry
    )
    workspace = only(shared, WORKSPACE).outputs["identity"]["principalId"]
    assert ("AzureML Registry User", workspace) in on_registry


def test_the_stack_exports_the_shared_registry_s_name(shared: ProgramRun) -> None:
    assert shared.outputs["modelRegistryName"] == REGISTRY_NAME


def test_the_stack_exports_where_each_shared_value_came_from(shared: ProgramRun) -> None:
    assert shared.outputs["sharedFrom"] == {
        "modelRegistry": f"{DEFAULT_STACK} (modelRegistryId)",
        "modelRegistryStorage": f"{DEFAULT_STACK} (modelRegistryStorageAccountIds)",
        "modelRegistryAcr": f"{DEFAULT_STACK} (modelRegistryContainerRegistryId)",
        "keyVault": f"{DEFAULT_STACK} (keyVaultId)",
        "containerRegistry": f"{DEFAULT_STACK} (containerRegistryId)",
    }


# -- 2. which stack the reference names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("shared_stack", "qualified"),
    [
        (None, DEFAULT_STACK),
        ("platform", "organization/mlops/platform"),
        ("contoso/platform/shared", "contoso/platform/shared"),
    ],
    ids=["default", "short", "qualified"],
)
def test_the_reference_names_the_stack_qualified_as_the_program_does(
    shared_stack: str | None, qualified: str
) -> None:
    keys = {"sharedStack": shared_stack} if shared_stack else {}
    assert referenced(pulumi_config(environment(**keys)), (), "dev") == qualified


def test_by_default_the_mock_answers_the_reference_to_the_shared_stack(
    shared_asked: tuple[ProgramRun | BaseException, list[str]],
) -> None:
    found, asked = shared_asked
    assert asked == [DEFAULT_STACK]
    assert ran(found).references == (reference(),)


@pytest.mark.parametrize(
    ("shared_stack", "qualified"),
    [
        ("platform", "organization/mlops/platform"),
        ("contoso/platform/shared", "contoso/platform/shared"),
    ],
    ids=["short", "qualified"],
)
def test_the_program_reads_the_stack_config_names_and_no_other(
    shared_stack: str, qualified: str
) -> None:
    # Only the default stack's outputs are given: the stack config names reads none.
    config = pulumi_config(environment(sharedStack=shared_stack))
    found, asked = asking(lambda: run_program("dev", config, references=[reference()]))
    assert asked == [qualified]
    # Every value read from it says so, at once.
    problems = refusals(found)
    assert len(problems) == len(SHARED_OUTPUTS)
    said = f".mode: shared, but the shared stack {qualified} exports no "
    assert all(said in problem for problem in problems)


# -- 3. the shared Key Vault and container registry ------------------------------------------------


def test_key_vault_mode_shared_adopts_the_shared_stack_s_vault(shared: ProgramRun) -> None:
    assert of_type(shared, "keyvault:Vault") == []
    assert only(shared, WORKSPACE).inputs["keyVault"] == VAULT_ID
    assert shared.outputs["keyVaultUri"] == "https://kv-acme-shared.vault.azure.net/"


def test_container_registry_mode_shared_adopts_the_shared_stack_s_registry(
    shared: ProgramRun,
) -> None:
    assert of_type(shared, "containerregistry:Registry") == []
    assert only(shared, WORKSPACE).inputs["containerRegistry"] == ACR_ID
    assert shared.outputs["containerRegistryLoginServer"] == f"{ACR_NAME}.azurecr.io"


# -- 4. what the shared stack does not export, or exports wrong ------------------------------------


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        (
            {"keyVaultId": None},
            "mlops:keyVault.mode: shared, but the shared stack organization/mlops/shared exports "
            "no keyVaultId: set mlops:keyVault: {mode: create} there and run `pulumi up` on it "
            "first (or give the ID in this stack: mode: existing)",
        ),
        (
            {
                "modelRegistryStorageAccountIds": {
                    region: STORAGE_IDS[region] for region in ("northeurope", "swedencentral")
                }
            },
            "mlops:modelRegistry.mode: shared, but the shared stack organization/mlops/shared's "
            "modelRegistryStorageAccountIds has no entry for westeurope (it has northeurope, "
            "swedencentral): the registry must replicate to this stack's region: set "
            "mlops:modelRegistry.regions",
        ),
        (
            {"modelRegistryId": ACR_ID},
            "mlops:modelRegistry.mode: shared, but the shared stack organization/mlops/shared's "
            "modelRegistryId: must be the ID of a Microsoft.MachineLearningServices/registries, "
            "but it names a Microsoft.ContainerRegistry/registries",
        ),
    ],
    ids=["no-key-vault", "no-storage-in-this-region", "not-a-registry-id"],
)
def test_an_output_the_stack_cannot_use_is_refused_naming_the_key_and_what_to_set(
    changed: dict[str, Any], problem: str
) -> None:
    config = pulumi_config(environment())
    found, _ = asking(lambda: run_program("dev", config, references=[reference(**changed)]))
    assert refusal(found).startswith(problem)


# -- 5. mode: existing reads no stack --------------------------------------------------------------


def test_mode_existing_references_no_stack(
    existing_asked: tuple[ProgramRun | BaseException, list[str]],
) -> None:
    found, asked = existing_asked
    assert referenced(pulumi_config(environment(**_keys(ALL_EXISTING))), (), "dev") is None
    assert (ran(found).references, asked) == ((), [])


def test_mode_existing_reaches_the_ids_in_config(existing: ProgramRun) -> None:
    targets = outbound_targets(existing)
    assert (
        targets["model-registry"],
        targets["model-registry-storage-blob"],
        targets["model-registry-acr"],
    ) == (REGISTRY_ID, STORAGE_IDS["westeurope"], MODEL_ACR_ID)
    assert only(existing, WORKSPACE).inputs["keyVault"] == VAULT_ID
    assert existing.outputs["sharedFrom"] == {
        "modelRegistry": "mlops:modelRegistry",
        "modelRegistryStorage": "mlops:modelRegistry",
        "modelRegistryAcr": "mlops:modelRegistry",
        "keyVault": "mlops:keyVault",
        "containerRegistry": "mlops:containerRegistry",
    }


def test_shared_and_existing_build_the_same_resources(
    shared: ProgramRun, existing: ProgramRun
) -> None:
    def described(run: ProgramRun) -> list[tuple[str, str, str]]:
        return sorted((r.type, r.name, json.dumps(r.inputs, sort_keys=True)) for r in run.resources)

    assert described(shared) == described(existing)


# -- 6. what the settings refuse -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "keys", "problem"),
    [
        (
            "dev",
            {"sharedStack": "platform", **_keys(ALL_EXISTING)},
            "mlops:sharedStack: is read by nothing: set mode: shared in mlops:modelRegistry, "
            "mlops:keyVault or mlops:containerRegistry, or remove it",
        ),
        (
            "shared",
            {"sharedStack": "platform"},
            "mlops:sharedStack: is only valid with mlops:environment: dev, qa or prod",
        ),
        (
            "shared",
            {"keyVault": {"mode": "shared"}},
            "mlops:keyVault.mode: is not valid in shared: the shared stack creates the vault "
            "(mode: create) that dev, qa and prod adopt",
        ),
        (
            "shared",
            {"containerRegistry": {"mode": "shared"}},
            "mlops:containerRegistry.mode: must be create (or none) in shared",
        ),
        (
            "dev",
            {"sharedStack": "a/b"},
            "mlops:sharedStack: must be a stack name (shared) or organization/project/stack, "
            "got 'a/b'",
        ),
        (
            "dev",
            {"sharedStack": "x y"},
            "mlops:sharedStack: must be a stack name (shared) or organization/project/stack, "
            "got 'x y'",
        ),
        (
            "dev",
            {"modelRegistry": {"mode": "create"}},
            "mlops:modelRegistry.mode: create is only valid in the shared stack "
            "(mlops:environment: shared); in dev use mode: shared",
        ),
    ],
    ids=[
        "sharedStack-read-by-nothing",
        "sharedStack-in-shared",
        "keyVault-shared-in-shared",
        "containerRegistry-shared-in-shared",
        "sharedStack-two-parts",
        "sharedStack-with-a-space",
        "modelRegistry-create-in-dev",
    ],
)
def test_the_settings_refuse(stack: str, keys: dict[str, Any], problem: str) -> None:
    values = (
        {**SHARED_STACK, **{f"mlops:{k}": v for k, v in keys.items()}}
        if stack == "shared"
        else environment(stack, **keys)
    )
    assert problem in problems_of(values, stack)


# -- 7. references resolved offline ----------------------------------------------------------------


def test_a_stack_file_in_the_root_is_evaluated_for_its_outputs(from_root: ProgramRun) -> None:
    (found,) = from_root.references
    assert (found.stack, found.source) == (DEFAULT_STACK, "Pulumi.shared.yaml, evaluated offline")
    registry_id = found.outputs["modelRegistryId"]
    assert registry_id.endswith(
        "/Microsoft.MachineLearningServices/registries/mlr-acme-shared-sfx0x1"
    )
    targets = outbound_targets(from_root)
    assert targets["model-registry"] == registry_id
    storage = found.outputs["modelRegistryStorageAccountIds"]
    assert set(storage) == {"westeurope", "northeurope"}
    assert targets["model-registry-storage-blob"] == storage["westeurope"]
    assert only(from_root, WORKSPACE).inputs["keyVault"] == found.outputs["keyVaultId"]


def test_another_project_s_stack_is_read_from_its_recorded_outputs(
    from_recorded: ProgramRun,
) -> None:
    (found,) = from_recorded.references
    assert found.stack == "contoso/platform/shared"
    assert found.source == "stack-outputs/contoso/platform/shared.json, recorded"
    assert dict(found.outputs) == OUTPUTS
    assert outbound_targets(from_recorded)["model-registry"] == REGISTRY_ID


def test_unrecorded_outputs_are_refused_with_the_command_that_records_them(
    tmp_path: Path,
) -> None:
    config = pulumi_config(environment(sharedStack="contoso/platform/shared"))
    with pytest.raises(ReferenceError) as caught:
        run_program("dev", config, root=tmp_path)
    assert (
        "`pulumi stack output --json -s contoso/platform/shared > "
        "stack-outputs/contoso/platform/shared.json`"
    ) in str(caught.value)


def test_recorded_outputs_that_are_not_json_are_refused_naming_the_file(tmp_path: Path) -> None:
    write_recorded(tmp_path, "contoso/platform/shared", "{not json")
    config = pulumi_config(environment(sharedStack="contoso/platform/shared"))
    with pytest.raises(ReferenceError) as caught:
        run_program("dev", config, root=tmp_path)
    assert str(caught.value).startswith(
        "stack-outputs/contoso/platform/shared.json: not the JSON of `pulumi stack output --json`"
    )


def test_references_going_round_are_refused(tmp_path: Path) -> None:
    write_stack(tmp_path, "dev", environment("dev", sharedStack="qa"))
    write_stack(tmp_path, "qa", environment("qa", sharedStack="dev"))
    with pytest.raises(ReferenceError) as caught:
        run_program("dev", root=tmp_path)
    message = str(caught.value)
    assert message.startswith("mlops:sharedStack: stack references go round: ")
    assert message.endswith("organization/mlops/dev")


def test_references_going_round_name_each_stack_of_the_round_once(tmp_path: Path) -> None:
    write_stack(tmp_path, "dev", environment("dev", sharedStack="qa"))
    write_stack(tmp_path, "qa", environment("qa", sharedStack="dev"))
    with pytest.raises(ReferenceError) as caught:
        run_program("dev", root=tmp_path)
    assert str(caught.value) == (
        "mlops:sharedStack: stack references go round: organization/mlops/dev → "
        "organization/mlops/qa → organization/mlops/dev"
    )


# -- 8. the offline preview ------------------------------------------------------------------------


def _used(source: str) -> list[dict[str, str]]:
    """What the preview lists for a stack using OUTPUTS of the default shared stack."""
    names = {
        "modelRegistry": ("modelRegistryId", REGISTRY_NAME),
        "modelRegistryStorage": ("modelRegistryStorageAccountIds", "stwesteurope"),
        "modelRegistryAcr": ("modelRegistryContainerRegistryId", "crmlracme"),
        "keyVault": ("keyVaultId", "kv-acme-shared"),
        "containerRegistry": ("containerRegistryId", ACR_NAME),
    }
    return [
        {"uses": part, "name": name, "from": f"stack {DEFAULT_STACK}, output {output} ({source})"}
        for part, (output, name) in names.items()
    ]


def test_the_preview_json_lists_what_the_stack_uses_and_where_from(shared: ProgramRun) -> None:
    assert plan_data(Plan(shared))["sharedFrom"] == _used(GIVEN)


def test_the_preview_text_lists_what_the_stack_uses_and_where_from(shared: ProgramRun) -> None:
    text = render_text(Plan(shared))
    section = text.split("Uses, and does not manage:\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines()[0] == (
        f"    modelRegistry       : {REGISTRY_NAME} ← stack {DEFAULT_STACK}, output "
        f"modelRegistryId ({GIVEN})"
    )
    assert len(section.splitlines()) == 5
    assert f"keyVault            : kv-acme-shared ← stack {DEFAULT_STACK}" in section


def test_the_preview_markdown_tables_what_the_stack_uses(shared: ProgramRun) -> None:
    markdown = render_markdown(Plan(shared))
    assert "| Uses, and does not manage | Name | From |" in markdown
    assert (
        f"| `containerRegistry` | `{ACR_NAME}` | stack {DEFAULT_STACK}, output "
        f"containerRegistryId ({GIVEN}) |"
    ) in markdown


def test_the_preview_says_a_stack_file_was_evaluated_or_outputs_recorded(
    from_root: ProgramRun, from_recorded: ProgramRun
) -> None:
    evaluated = plan_data(Plan(from_root))["sharedFrom"]
    assert {f["from"] for f in evaluated if f["uses"] == "modelRegistry"} == {
        f"stack {DEFAULT_STACK}, output modelRegistryId (Pulumi.shared.yaml, evaluated offline)"
    }
    recorded = plan_data(Plan(from_recorded))["sharedFrom"]
    assert recorded[0]["from"] == (
        "stack contoso/platform/shared, output modelRegistryId "
        "(stack-outputs/contoso/platform/shared.json, recorded)"
    )


def test_the_preview_says_which_ids_came_from_config(existing: ProgramRun) -> None:
    found = {f["uses"]: (f["name"], f["from"]) for f in plan_data(Plan(existing))["sharedFrom"]}
    assert found["modelRegistry"] == (REGISTRY_NAME, "config mlops:modelRegistry")
    assert found["keyVault"] == ("kv-acme-shared", "config mlops:keyVault")


# -- 9. journeys -----------------------------------------------------------------------------------


def test_no_journey_breaks_with_mode_shared_nor_with_the_same_ids_in_config(
    shared: ProgramRun, existing: ProgramRun
) -> None:
    reports = {"shared": evaluate(shared), "existing": evaluate(existing)}
    assert {mode: len(report.broken) for mode, report in reports.items()} == {
        "shared": 0,
        "existing": 0,
    }
    # The journeys through the registry apply: they are judged, not skipped.
    checked = {
        mode: {r.journey.key for r in report.results if r.hops is not None}
        for mode, report in reports.items()
    }
    assert {"shareModel", "releaseDeploy"} <= checked["shared"] == checked["existing"]
