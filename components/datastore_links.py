"""Datastores linking the workspace to prod-quality raw data in other storage accounts.

Each datastore is identity-based (no stored credentials): the workspace's managed identity gets a
least-privilege data role on the one container it reads. The managed network reaches each
account through private-endpoint outbound rules, which live on the workspace itself (see
components.managed_network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import machinelearningservices as ml

from components.context import StackContext
from settings.schema import DatastoreSettings


@dataclass(frozen=True)
class DatastoreLinksArgs:
    workspace_name: pulumi.Input[str]
    workspace_principal_id: pulumi.Input[str]
    datastores: tuple[DatastoreSettings, ...]


def _identity_based_properties(
    store: DatastoreSettings,
) -> ml.AzureBlobDatastoreArgs | ml.AzureDataLakeGen2DatastoreArgs:
    """No stored credentials: the workspace's identity reads the data, with its own role."""
    account = store.storage_account
    common: dict[str, Any] = {
        "account_name": account.name,
        "credentials": ml.NoneDatastoreCredentialsArgs(credentials_type="None"),
        "endpoint": "core.windows.net",
        "protocol": "https",
        "resource_group": account.resource_group,
        "subscription_id": account.subscription_id,
        "service_data_access_auth_identity": (
            ml.ServiceDataAccessAuthIdentity.WORKSPACE_SYSTEM_ASSIGNED_IDENTITY
        ),
        "description": store.description or None,
    }
    if store.kind == "adlsGen2":
        return ml.AzureDataLakeGen2DatastoreArgs(
            datastore_type="AzureDataLakeGen2", filesystem=store.container, **common
        )
    return ml.AzureBlobDatastoreArgs(
        datastore_type="AzureBlob", container_name=store.container, **common
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
        self.role_assignments: list[authorization.RoleAssignment] = []

        for store in args.datastores:
            account = store.storage_account
            properties = _identity_based_properties(store)
            # Grant before the datastore exists, so its first use finds the access in place.
            role = context.grant(
                f"{name}-{store.name}-role",
                role=store.role,
                scope=store.scope,
                scope_label=store.scope,
                principal_id=args.workspace_principal_id,
                principal_label="workspace",
                principal_type="ServicePrincipal",
                parent=self,
                description=f"Azure ML datastore {store.name}: {store.role}",
                # Role definitions are addressed in the subscription that holds the scope.
                subscription_id=account.subscription_id,
            )
            self.role_assignments.append(role)
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
