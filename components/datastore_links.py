"""Datastores linking the workspace to prod-quality raw data in other storage accounts.

Each datastore is identity-based (no stored credentials): the workspace's managed identity gets
its data role on the one container (the access matrix's workspace rows), in the container's own
subscription; its other matrix rows (AzureML Registry User on the shared model registry) are
granted here too. Jobs, people and the release pipeline get theirs where their principals live. The
managed network reaches each account through private-endpoint outbound rules, which live on the
workspace itself (see components.managed_network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import machinelearningservices as ml

from components.access import Holder, Targets, datastore_target, grant_all
from components.context import StackContext
from settings.schema import DatastoreSettings


@dataclass(frozen=True)
class DatastoreLinksArgs:
    workspace_name: pulumi.Input[str]
    workspace_principal_id: pulumi.Input[str]
    datastores: tuple[DatastoreSettings, ...]
    # The scopes of the stack (the datastores' containers among them).
    targets: Targets


def _identity_based_properties(store: DatastoreSettings) -> Any:
    """No stored credentials: the workspace's identity reads the data, with its own role. The
    kind's arguments type and container argument come from the kinds table
    (settings/datastores.py)."""
    account, kind = store.storage_account, store.kind_row
    arguments = getattr(ml, f"{kind.datastore_type}DatastoreArgs")
    return arguments(
        datastore_type=kind.datastore_type,
        **{kind.container_argument: store.container},
        account_name=account.name,
        credentials=ml.NoneDatastoreCredentialsArgs(credentials_type="None"),
        endpoint="core.windows.net",
        protocol="https",
        resource_group=account.resource_group,
        subscription_id=account.subscription_id,
        service_data_access_auth_identity=(
            ml.ServiceDataAccessAuthIdentity.WORKSPACE_SYSTEM_ASSIGNED_IDENTITY
        ),
        description=store.description or None,
    )


class DatastoreLinks(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        context: StackContext,
        args: DatastoreLinksArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("mlops:datastores:DatastoreLinks", name, None, opts)
        self.datastores: dict[str, ml.Datastore] = {}
        workspace = Holder(
            "workspace",
            args.workspace_principal_id,
            "ServicePrincipal",
            key="workspace",
            label="workspace",
            name="the workspace identity",
        )
        # Each datastore's grant was once named after the datastore alone: aliased, so nothing
        # is replaced (a replacement would delete the assignment it had just re-created).
        previous = {datastore_target(s).key: f"{name}-{s.name}-role" for s in args.datastores}
        granted = grant_all(
            context,
            name,
            (workspace,),
            args.targets,
            parent=self,
            aliases=lambda grant: (
                [pulumi.Alias(name=previous[grant.target.key])]
                if grant.target.key in previous
                else []
            ),
        )
        self.role_assignments: list[authorization.RoleAssignment] = [a for _, a in granted]
        role_of = {grant.target.key: assignment for grant, assignment in granted}

        for store in args.datastores:
            properties = _identity_based_properties(store)
            # Granted before the datastore exists, so its first use finds the access in place.
            role = role_of[datastore_target(store).key]
            self.datastores[store.name] = ml.Datastore(
                f"{name}-{store.name}",
                name=store.name,
                resource_group_name=context.resource_group_name,
                workspace_name=args.workspace_name,
                properties=properties,
                # A new role assignment can take minutes to propagate, and a private endpoint
                # in another subscription may await approval: validating at create time would
                # make the first `pulumi up` flaky. Access is checked on first use instead.
                skip_validation=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
            )

        self.datastore_names: list[str] = list(self.datastores)
        self.register_outputs({"datastoreNames": self.datastore_names})
