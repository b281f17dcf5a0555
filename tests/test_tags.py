"""Tags: the program's own are declared (PROGRAM_TAGS) and counted within Azure's 50 a resource."""

from __future__ import annotations

from typing import Any, Final

import pytest

import settings
from offline.engine import ProgramRun
from settings.values import AZURE_MAX_TAGS, PROGRAM_TAGS
from tests.conftest import pulumi_config
from tests.run_cache import cached_run

# Every option that makes the program add a tag of its own: key auth on an endpoint, shared
# keys on the workspace storage, endpoints (purpose); and, in the shared stack, a public model
# registry.
CONFIG: Final[dict[str, Any]] = {
    "azure-native:location": "westeurope",
    "mlops:prefix": "acme",
    "mlops:alerts": {"emails": ["ml-platform@acme.example"]},
    # Tagged compliance: regulated (the policy pack only advises its controls in dev).
    "mlops:compliance": "regulated",
    "mlops:storage": {"sharedKeyAccess": True},
    "mlops:containerRegistry": {"mode": "create"},
    "mlops:computeClusters": [{"name": "train", "vmSize": "Standard_DS3_v2", "maxNodes": 1}],
    "mlops:endpoints": [
        {"name": "legacy", "kind": "online", "authMode": "key"},
        {"name": "prep", "kind": "batch", "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 1}},
    ],
}
# As many tags as config may set.
MOST_TAGS: Final = {f"tag{n:02}": "x" for n in range(AZURE_MAX_TAGS - len(PROGRAM_TAGS))}


def run_with(tags: dict[str, str]) -> ProgramRun:
    values = {**CONFIG, "mlops:tags": tags}
    return cached_run("dev", config=pulumi_config(values))


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_with(MOST_TAGS)


@pytest.fixture(scope="module")
def shared_run() -> ProgramRun:
    """The shared stack with a registry config opens to the internet (allowPublicNetworkAccess)."""
    values = {
        "azure-native:location": "westeurope",
        "mlops:environment": "shared",
        "mlops:prefix": "acme",
        "mlops:alerts": {"emails": ["ml-platform@acme.example"]},
        "mlops:modelRegistry": {"mode": "create", "publicNetworkAccess": True},
        "mlops:tags": MOST_TAGS,
    }
    return cached_run("shared", config=pulumi_config(values))


@pytest.fixture(scope="module")
def isolated_run() -> ProgramRun:
    """A workspace the team's network isolates, with the firewall named (its two tags)."""
    subnets = (
        "/subscriptions/00000000-0000-0000-0000-0000000000ee/resourceGroups/rg-spoke"
        "/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets"
    )
    network = {
        "isolation": "customerManaged",
        "computeSubnetId": f"{subnets}/snet-compute",
        "egressFirewallId": (
            "/subscriptions/00000000-0000-0000-0000-0000000000dd/resourceGroups/rg-hub"
            "/providers/Microsoft.Network/azureFirewalls/afw-hub"
        ),
        "inbound": "private",
        "subnetId": f"{subnets}/snet-endpoints",
        "privateDns": {"mode": "create"},
    }
    values = {
        "azure-native:location": "westeurope",
        "mlops:prefix": "acme",
        "mlops:alerts": {"emails": ["ml-platform@acme.example"]},
        "mlops:budget": {"monthlyAmount": 5000},
        "mlops:network": network,
        "mlops:tags": MOST_TAGS,
    }
    return cached_run("prod", config=pulumi_config(values))


def tagged(run: ProgramRun) -> list[tuple[str, dict[str, str]]]:
    return [(r.name, r.inputs["tags"]) for r in run.resources if r.custom and "tags" in r.inputs]


def test_every_tag_the_program_adds_is_declared_in_program_tags(
    run: ProgramRun, shared_run: ProgramRun, isolated_run: ProgramRun
) -> None:
    everywhere = [*tagged(run), *tagged(shared_run), *tagged(isolated_run)]
    added = {key for _, tags in everywhere for key in tags} - set(MOST_TAGS)
    assert added == set(PROGRAM_TAGS)


def test_no_resource_exceeds_azures_tag_limit_with_the_most_tags_config_allows(
    run: ProgramRun, shared_run: ProgramRun, isolated_run: ProgramRun
) -> None:
    everywhere = [*tagged(run), *tagged(shared_run), *tagged(isolated_run)]
    assert max(len(tags) for _, tags in everywhere) <= AZURE_MAX_TAGS


def test_one_tag_more_than_config_may_set_is_refused_naming_the_limit() -> None:
    with pytest.raises(settings.SettingsError) as caught:
        run_with({**MOST_TAGS, "onemore": "x"})
    assert any(
        problem.startswith(f"mlops:tags: at most {len(MOST_TAGS)} tags (Azure allows 50")
        for problem in caught.value.problems
    )
