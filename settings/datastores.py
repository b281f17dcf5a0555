"""What each datastore kind (``mlops:datastores[].kind``) is, declared once: the kinds table.

Each row says how Azure ML links that kind of storage (the SDK's datastore type and the argument
naming the container), which of the account's endpoints the managed network reaches it on, and
the storage service that holds its data: the scope a data role on it is granted at (the one
container, the one share) and which roles. Read by the settings (the kind's values, scope,
endpoints and role, and the descriptions of these keys), the datastore component, the access
matrix's datastore rows (and, through them, the bootstrap's roles on shared scopes) and the
journeys' datastore hop (docs/journeys.md).

The policy pack imports nothing of the program, so it keeps its own list of the scopes a storage
data role may have (``role-storage-data-scope``); tests/test_datastore_kinds.py checks that it
accepts every kind's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

KindName = Literal["blob", "adlsGen2"]
# The access matrix's scope kinds for datastores (part of components.access.ScopeKind): per
# storage service, its read-only datastores and its writable ones.
DatastoreScope = Literal["readOnlyDatastores", "writableDatastores"]


@dataclass(frozen=True)
class StorageService:
    """A storage service datastores keep their data in, and the data roles on one of its items.

    https://learn.microsoft.com/azure/machine-learning/how-to-administrate-data-authentication
    """

    # Below the storage account's ID: the service's items, as a role assignment's scope names
    # them.
    path: str
    # What one item is called: docs/access.md and docs/journeys.md.
    item: str
    # The role on a read-only datastore, and on a writable one.
    reader: str
    contributor: str
    # The access matrix's scope kinds: this service's read-only datastores and writable ones.
    read_only_scope: DatastoreScope
    writable_scope: DatastoreScope


BLOB_SERVICE: Final = StorageService(
    path="blobServices/default/containers",
    item="container",
    reader="Storage Blob Data Reader",
    contributor="Storage Blob Data Contributor",
    read_only_scope="readOnlyDatastores",
    writable_scope="writableDatastores",
)


@dataclass(frozen=True)
class Kind:
    """One row: a value of ``mlops:datastores[].kind``."""

    # In the description of `kind` (docs/reference.md): what a datastore of the kind links.
    links: str
    # In the description of `container`: what the kind calls its container, if not that.
    container_note: str
    # Azure ML's datastore type (the SDK's discriminator). The SDK names its arguments after it:
    # AzureBlob, AzureBlobDatastoreArgs.
    datastore_type: str
    # The argument of those naming the container.
    container_argument: str
    # The account's endpoints the managed network opens private endpoints to.
    subresources: tuple[str, ...]
    service: StorageService


KINDS: Final[Mapping[KindName, Kind]] = {
    "blob": Kind(
        links="a blob container",
        container_note="",
        datastore_type="AzureBlob",
        container_argument="container_name",
        subresources=("blob",),
        service=BLOB_SERVICE,
    ),
    "adlsGen2": Kind(
        links="an ADLS Gen2 file system",
        container_note="ADLS Gen2: file system",
        datastore_type="AzureDataLakeGen2",
        container_argument="filesystem",
        # Data Lake operations on dfs, which may redirect to blob: both endpoints.
        subresources=("blob", "dfs"),
        service=BLOB_SERVICE,
    ),
}

# The services the kinds use, each once, in the table's order.
SERVICES: Final[tuple[StorageService, ...]] = tuple(
    dict.fromkeys(kind.service for kind in KINDS.values())
)
# The access matrix's scope kinds on datastores: the read-only ones, and all of them.
READ_ONLY_DATASTORE_SCOPES: Final[frozenset[DatastoreScope]] = frozenset(
    service.read_only_scope for service in SERVICES
)
DATASTORE_SCOPES: Final[frozenset[DatastoreScope]] = READ_ONLY_DATASTORE_SCOPES | {
    service.writable_scope for service in SERVICES
}


def _sentence(phrases: list[str]) -> str:
    """``A, b, or c.``"""
    either = phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])}, or {phrases[-1]}"
    return either[0].upper() + either[1:] + "."


# The descriptions of the datastore's keys that name the kinds (docs/reference.md, the schema).
KIND_DESCRIPTION: Final = _sentence([kind.links for kind in KINDS.values()])
_NOTES: Final = "; ".join(kind.container_note for kind in KINDS.values() if kind.container_note)
CONTAINER_DESCRIPTION: Final = "The container" + (f" ({_NOTES})" if _NOTES else "") + " to link."
READ_ONLY_DESCRIPTION: Final = (
    SERVICES[0].reader
    + "".join(
        f" ({', '.join(name for name, kind in KINDS.items() if kind.service == service)}: "
        f"{service.reader})"
        for service in SERVICES[1:]
    )
    + " for the workspace identity, else Contributor."
)
