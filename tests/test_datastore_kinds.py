"""Every datastore kind of the kinds table (settings/datastores.py), through everything that reads
it.

One dev stack links two datastores of every kind, one read-only and one writable, each kind in a
storage account of its own in another subscription. Each kind is checked where its row is read:
the datastore Azure ML gets, the data roles the access matrix grants on its scope, the managed
network's private endpoints to its account, the journeys through the datastores, the policy pack
and the bootstrap's roles on shared scopes. A kind added to the table is tested here without an
edit to this file; what the row says of the kind (its SDK type, its roles) is specified by a test
of its own (tests/test_components.py).
"""

from __future__ import annotations

from typing import Any, Final, get_args

import pytest
from pydantic.alias_generators import to_camel

from bootstrap.roles import READ_SHARED_SCOPE_ROLES, SHARED_SCOPE_ROLES
from offline import journeys
from offline.engine import ProgramRun, Resource, run_program
from offline.policies import check
from settings.datastores import DATASTORE_SCOPES, KINDS, SERVICES, DatastoreScope, KindName
from settings.roles import BUILT_IN_ROLES
from tests.conftest import of_type, only, pulumi_config

DATA_SUB: Final = "00000000-0000-0000-0000-0000000000aa"
CLUSTER: Final = "train"
ACCESS: Final = {True: "ro", False: "rw"}


def account(kind: KindName) -> str:
    return (
        f"/subscriptions/{DATA_SUB}/resourceGroups/rg-data/providers/Microsoft.Storage"
        f"/storageAccounts/st{kind.lower()}"
    )


def container(kind: KindName, read_only: bool) -> str:
    return f"{kind.lower()}-{ACCESS[read_only]}"


def name(kind: KindName, read_only: bool) -> str:
    return f"{kind.lower()}_{ACCESS[read_only]}"


def scope(kind: KindName, read_only: bool) -> str:
    return f"{account(kind)}/{KINDS[kind].service.path}/{container(kind, read_only)}"


CASES: Final = [(kind, read_only) for kind in KINDS for read_only in (True, False)]
CONFIG: Final[dict[str, Any]] = {
    "azure-native:location": "westeurope",
    "mlops:environment": "dev",
    "mlops:prefix": "acme",
    "mlops:alerts": {"emails": ["ml-platform@acme.example"]},
    "mlops:network": {"isolation": "allowOnlyApprovedOutbound"},
    "mlops:datastores": [
        {
            "name": name(kind, read_only),
            "storageAccountId": account(kind),
            "kind": kind,
            "container": container(kind, read_only),
            "readOnly": read_only,
        }
        for kind, read_only in CASES
    ],
    "mlops:computeClusters": [{"name": CLUSTER, "vmSize": "Standard_DS3_v2", "maxNodes": 2}],
    "mlops:endpoints": [
        {"name": "prep", "kind": "batch", "cluster": {"vmSize": "Standard_DS3_v2", "maxNodes": 2}}
    ],
}


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_program("dev", config=pulumi_config(CONFIG))


def principal(resource: Resource) -> str:
    return resource.outputs["identity"]["principalId"]


def roles_on(run: ProgramRun, scope: str) -> set[tuple[str, str]]:
    """(principal, role) of each assignment on ``scope``."""
    names = {guid: role for role, guid in BUILT_IN_ROLES.items()}
    return {
        (r.inputs["principalId"], names[r.inputs["roleDefinitionId"].rsplit("/", 1)[1]])
        for r in of_type(run, "authorization:RoleAssignment")
        if r.inputs["scope"] == scope
    }


def test_the_matrix_scope_kinds_on_datastores_are_two_of_each_service() -> None:
    assert set(get_args(DatastoreScope)) == DATASTORE_SCOPES
    assert len(DATASTORE_SCOPES) == 2 * len(SERVICES)


@pytest.mark.parametrize(("kind", "read_only"), CASES)
def test_each_kind_links_an_identity_based_datastore_of_its_type(
    run: ProgramRun, kind: KindName, read_only: bool
) -> None:
    (store,) = [
        s
        for s in of_type(run, "machinelearningservices:Datastore")
        if s.inputs["name"] == name(kind, read_only)
    ]
    properties = store.inputs["properties"]
    assert properties["datastoreType"] == KINDS[kind].datastore_type
    assert properties[to_camel(KINDS[kind].container_argument)] == container(kind, read_only)
    assert properties["credentials"] == {"credentialsType": "None"}


@pytest.mark.parametrize(("kind", "read_only"), CASES)
def test_the_workspace_and_jobs_get_the_kind_s_data_role_on_its_scope(
    run: ProgramRun, kind: KindName, read_only: bool
) -> None:
    service = KINDS[kind].service
    role = service.reader if read_only else service.contributor
    workspace = principal(only(run, "machinelearningservices:Workspace"))
    (cluster,) = [
        principal(c)
        for c in of_type(run, "machinelearningservices:Compute")
        if c.inputs["computeName"] == CLUSTER
    ]
    granted = roles_on(run, scope(kind, read_only))
    assert {(workspace, role), (cluster, role)} <= granted
    assert {r for _, r in granted} == {role}


@pytest.mark.parametrize("kind", KINDS)
def test_the_managed_network_reaches_the_kind_s_account_on_its_endpoints(
    run: ProgramRun, kind: KindName
) -> None:
    rules = only(run, "machinelearningservices:Workspace").inputs["managedNetwork"]["outboundRules"]
    reached = {
        rule["destination"]["subresourceTarget"]
        for rule in rules.values()
        if rule["type"] == "PrivateEndpoint"
        and rule["destination"]["serviceResourceId"] == account(kind)
    }
    assert reached == set(KINDS[kind].subresources)


def test_the_journeys_through_the_datastores_hold_for_every_kind(run: ProgramRun) -> None:
    report = journeys.evaluate(run)
    through = [r for r in report.results if any(h.to == "datastores" for h in r.journey.hops)]
    assert through
    assert [r.journey.key for r in through if r.broken or r.switched_off] == []


def test_the_policy_pack_passes_every_kind(run: ProgramRun) -> None:
    assert check(run).violations == ()


@pytest.mark.parametrize("kind", KINDS)
def test_on_a_shared_scope_the_bootstrap_may_assign_the_kind_s_roles(kind: KindName) -> None:
    service = KINDS[kind].service
    reader, contributor = BUILT_IN_ROLES[service.reader], BUILT_IN_ROLES[service.contributor]
    assert {reader, contributor} <= set(SHARED_SCOPE_ROLES)
    assert reader in READ_SHARED_SCOPE_ROLES
    assert contributor not in READ_SHARED_SCOPE_ROLES
