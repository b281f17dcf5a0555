"""The bootstrap's config: the example loads; every invalid input is refused, naming its key and
what would be valid, all problems at once, before any resource is registered."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap import config
from offline.engine import ROOT, stack_config
from settings.loader import SettingsError
from tests.bootstrap.conftest import (
    FULL,
    STACKS,
    STATE_SUBSCRIPTION,
    run_bootstrap,
)
from tests.conftest import pulumi_config
from tests.test_hostile_config import recording_registrations

IN_STATE_SUBSCRIPTION = f"/subscriptions/{STATE_SUBSCRIPTION}/resourceGroups/x"


def problems(**changes: Any) -> tuple[str, ...]:
    values = dict(FULL)
    for key, value in changes.items():
        full = key if ":" in key else f"mlops-bootstrap:{key}"
        if value is None:
            values.pop(full, None)
        else:
            values[full] = value
    with pytest.raises(SettingsError) as caught:
        config.load(pulumi_config(values), project="mlops-bootstrap", stack="admin")
    return caught.value.problems


def stack(index: int, **changes: Any) -> list[dict[str, Any]]:
    """The fixture stacks with entry ``index`` changed (a None removes a key)."""
    entries = [dict(s) for s in STACKS]
    for key, value in changes.items():
        if value is None:
            entries[index].pop(key, None)
        else:
            entries[index][key] = value
    return entries


def test_the_example_stack_file_loads_with_an_entry_per_repository_stack() -> None:
    values, secrets = stack_config("example", root=ROOT / "bootstrap")
    assert secrets == ()
    loaded = config.load(values, project="mlops-bootstrap", stack="example")
    # Read from the repository, not written out: a team's new stack file asks for its entry.
    stacks = {
        path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for path in ROOT.glob("Pulumi.*.yaml")
    }
    assert sorted(s.name for s in loaded.stacks) == sorted(stacks)


def test_the_example_covers_every_key() -> None:
    values, _ = stack_config("example", root=ROOT / "bootstrap")
    assert set(values) == set(config.CONFIG_KEYS)


def test_the_minimal_config_is_a_repository_and_the_stacks() -> None:
    minimal = {
        key: FULL[key]
        for key in (
            "azure-native:location",
            "azure-native:subscriptionId",
            "mlops-bootstrap:prefix",
            "mlops-bootstrap:github",
        )
    }
    minimal["mlops-bootstrap:stacks"] = [
        {"name": "dev", "subscriptionId": STACKS[0]["subscriptionId"]}
    ]
    loaded = config.load(pulumi_config(minimal), project="p", stack="admin")
    assert loaded.azure_devops is None
    assert loaded.stacks[0].shared_scopes == ()


CASES: list[tuple[dict[str, Any], str, str]] = [
    (
        {"stacks": stack(1, subscriptionId="not-a-guid")},
        "mlops-bootstrap:stacks[1].subscriptionId",
        "must be a GUID",
    ),
    ({"stacks": stack(0, name="Prod_EU")}, "mlops-bootstrap:stacks[0].name", "lowercase letters"),
    ({"stacks": stack(2, name="dev")}, "mlops-bootstrap:stacks[2].name", "duplicate stack 'dev'"),
    (
        {"stacks": stack(0, subscriptionId=STATE_SUBSCRIPTION)},
        "mlops-bootstrap:stacks[0].subscriptionId",
        "holds the state",
    ),
    (
        {"stacks": stack(2, sharedScopes=[{"scope": IN_STATE_SUBSCRIPTION, "access": "read"}])},
        "mlops-bootstrap:stacks[2].sharedScopes[0].scope",
        "holds the state",
    ),
    (
        {"stacks": stack(1, sharedScopes=[{"scope": "stdata", "access": "read"}])},
        "mlops-bootstrap:stacks[1].sharedScopes[0].scope",
        "the ID of a resource group or of a resource",
    ),
    (
        {"stacks": stack(1, azureDevOpsConnectionId=STACKS[0]["azureDevOpsConnectionId"])},
        "mlops-bootstrap:stacks[1].azureDevOpsConnectionId",
        "already the connection of mlops-bootstrap:stacks[0]",
    ),
    (
        {"stacks": stack(1, azureDevOpsPreviewConnectionId=STACKS[0]["azureDevOpsConnectionId"])},
        "mlops-bootstrap:stacks[1].azureDevOpsPreviewConnectionId",
        "already the connection of mlops-bootstrap:stacks[0].azureDevOpsConnectionId",
    ),
    (
        {"azureDevOps": None},
        "mlops-bootstrap:stacks[0].azureDevOpsConnectionId",
        "needs mlops-bootstrap:azureDevOps",
    ),
    (
        {"github": None, "stacks": stack(2, azureDevOpsConnectionId=None)},
        "mlops-bootstrap:stacks[2].azureDevOpsConnectionId",
        "is required without github",
    ),
    ({"github": None, "azureDevOps": None}, "mlops-bootstrap:github", "set github"),
    ({"github": {"repository": "mlops"}}, "mlops-bootstrap:github.repository", "owner/name"),
    (
        {"azureDevOps": {"organizationId": STACKS[0]["subscriptionId"], "subjectPrefix": "sc://x"}},
        "mlops-bootstrap:azureDevOps.subjectPrefix",
        "/eid1/c/pub/t/",
    ),
    ({"stacks": []}, "mlops-bootstrap:stacks", "at least one stack"),
    ({"stacks": None}, "mlops-bootstrap:stacks", "is required"),
    ({"azure-native:subscriptionId": None}, "azure-native:subscriptionId", "is required"),
    ({"prefix": "Contoso!"}, "mlops-bootstrap:prefix", "2-10 lowercase letters"),
    ({"stateAdministrators": ["admins"]}, "mlops-bootstrap:stateAdministrators[0]", "GUID"),
    ({"tags": {"managedBy": "me"}}, "mlops-bootstrap:tags.managedBy", "set by the program"),
    ({"stacks": stack(0, region="westeurope")}, "mlops-bootstrap:stacks[0].region", "unknown key"),
    ({"stack": STACKS}, "mlops-bootstrap:stack", "did you mean 'stacks'?"),
]


@pytest.mark.parametrize(("changes", "key", "fragment"), CASES, ids=[c[1] for c in CASES])
def test_an_invalid_input_names_its_key_and_what_is_valid(
    changes: dict[str, Any], key: str, fragment: str
) -> None:
    found = problems(**changes)
    assert any(p.startswith(f"{key}: ") and fragment in p for p in found), found


def test_all_problems_are_reported_together() -> None:
    found = problems(prefix="X", stacks=stack(1, subscriptionId="nope"), tags={"managedBy": "x"})
    assert len(found) == 3, found


def test_an_invalid_config_registers_no_resource() -> None:
    with recording_registrations() as seen, pytest.raises(SettingsError):
        run_bootstrap(prefix="X")
    assert seen.constructed == []
    assert seen.registered == []
