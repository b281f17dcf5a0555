"""The bootstrap program's config, declared the way ``settings/`` declares the stacks' config.

Keys live in the ``mlops-bootstrap`` namespace (plus ``azure-native:location`` and
``azure-native:subscriptionId``). Every problem is reported at once, each as
``<key path>: <what is wrong and what would be valid>``, before any resource is registered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel

from settings.loader import SettingsError, config_value, describe
from settings.names import GUID, NameRule
from settings.validation import Listed, Problem, Section, named
from settings.values import Guid, Prefix, Region, Tags

NAMESPACE: Final = "mlops-bootstrap"

STACK_NAME: Final = NameRule(
    r"^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$",
    "1-40 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
)
REPOSITORY: Final = NameRule(
    r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$",
    "owner/name of a GitHub repository, e.g. contoso/mlops",
)
# The Microsoft Entra issuer's subjects are <prefix>/sc/<organization id>/<connection id>.
ENTRA_PREFIX: Final = NameRule(
    r"^/eid1/c/pub/t/[A-Za-z0-9_-]+/a/[A-Za-z0-9_-]+$",
    "the start of a service connection's Subject identifier, up to /sc/ "
    "(/eid1/c/pub/t/<...>/a/<...>)",
)
SCOPE: Final = NameRule(
    rf"^/subscriptions/{GUID.pattern[1:-1]}/resourceGroups/[-\w.()]{{1,90}}(/providers/.+)?$",
    "the ID of a resource group or of a resource in it",
)
ML_REGISTRY_ID: Final = NameRule(
    rf"^/subscriptions/{GUID.pattern[1:-1]}/resourceGroups/[-\w.()]{{1,90}}"
    r"/providers/Microsoft\.MachineLearningServices/registries/[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$",
    "the ID of an Azure ML registry (/subscriptions/<guid>/resourceGroups/<group>/providers/"
    "Microsoft.MachineLearningServices/registries/<name>)",
)
# The stack that creates the registry (mlops:environment: shared) grants nothing on it.
SHARED_STACK: Final = "shared"
StackName = Annotated[str, *named(STACK_NAME)]
Scope = Annotated[str, *named(SCOPE)]


class GitHubSettings(Section):
    repository: Annotated[str, *named(REPOSITORY)]
    """The repository whose workflows deploy and preview, spelt as on GitHub: federated
    credentials match it exactly."""


class AzureDevOpsSettings(Section):
    organization_id: Guid
    """The organization's ID, as in each service connection's Subject identifier after /sc/."""
    subject_prefix: Annotated[str, *named(ENTRA_PREFIX)]
    """What every service connection's Subject identifier starts with, up to /sc/."""
    preview_connection_id: Guid | None = None
    """The service connection the pull-request previews run with (mlops-preview): one
    read-only identity that reads every stack."""


class StackAccess(Section):
    name: StackName
    """The Pulumi stack; also the GitHub environments <name> (deploy) and preview-<name>."""
    subscription_id: Guid
    """The subscription the stack deploys into; never the one holding the state."""
    azure_devops_connection_id: Guid | None = Field(None, alias="azureDevOpsConnectionId")
    """The Azure DevOps service connection that deploys the stack (mlops-<name>)."""
    shared_scopes: Annotated[tuple[Scope, ...], Listed] = ()
    """Shared scopes of this stack only, besides the top-level sharedScopes."""

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    @property
    def github_environment(self) -> str:
        return self.name

    @property
    def github_preview_environment(self) -> str:
        return f"preview-{self.name}"


def _key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


class BootstrapSettings(Section):
    """The bootstrap stack's config: every key of its `Pulumi.<stack>.yaml`."""

    model_config = ConfigDict(alias_generator=lambda name: _key(to_camel(name)))

    location: Region = Field(alias="azure-native:location")
    """Azure region of the state storage account, the Key Vault and the identities."""
    subscription_id: Guid = Field(alias="azure-native:subscriptionId")
    """The subscription holding the state, its Key Vault and the identities: no stack may deploy
    into it, or that stack's identity could rewrite every stack's state."""
    prefix: Prefix
    """Starts every physical name, so global names stay unique."""
    tags: Tags = Field(default_factory=dict)
    """Tags on every resource, besides environment and managedBy."""
    github: GitHubSettings | None = None
    """Federate the identities with this GitHub repository's environments."""
    azure_devops: AzureDevOpsSettings | None = Field(None, alias=_key("azureDevOps"))
    """Federate the identities with these Azure DevOps service connections."""
    shared_scopes: Annotated[tuple[Scope, ...], Listed] = ()
    """Resources outside the stacks' subscriptions that every stack's program grants roles on:
    the storage accounts its datastores read, an adopted registry or Key Vault."""
    model_registry_id: Annotated[str, *named(ML_REGISTRY_ID)] | None = None
    """The shared stack's Azure ML registry, once it exists (`pulumi stack output -s shared
    modelRegistryId`): every other stack grants its identities read (or, in dev, asset write)
    there, and may assign those roles alone."""
    state_administrators: Annotated[tuple[Guid, ...], Listed] = ()
    """Object IDs of Entra groups that create stacks and repair state: they read and write every
    state container and encrypt with every key."""
    stacks: Annotated[tuple[StackAccess, ...], Listed]
    """One entry per stack of the main program: its own identities, state container and key."""

    _project: str = PrivateAttr("")
    _stack: str = PrivateAttr("")

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        stacks: tuple[StackAccess | None, ...] = fields.get("stacks", ())
        if "stacks" in fields and not stacks:
            yield (
                (_key("stacks"),),
                "list at least one stack, e.g. - {name: dev, subscriptionId: ...}",
            )
        if not {"github", "azure_devops"} & given:
            yield (
                (_key("github"),),
                "set github (or azureDevOps, or both): without either no pipeline can sign in",
            )
        yield from _duplicate_names(stacks)
        if "azure_devops" in given and "github" not in given:
            # Without GitHub, a stack's deploy identity is only reachable through its connection.
            yield from (
                ((_key("stacks"), index, "azureDevOpsConnectionId"), "is required without github")
                for index, stack in enumerate(stacks)
                if stack is not None and stack.azure_devops_connection_id is None
            )
        yield from _state_out_of_reach(
            fields.get("subscription_id"), fields.get("shared_scopes", ()), stacks
        )
        yield from _connections(fields.get("azure_devops"), "azure_devops" in given, stacks)

    @model_validator(mode="after")
    def _identify(self, info: ValidationInfo) -> BootstrapSettings:
        context = info.context or {}
        self._project, self._stack = context.get("project", ""), context.get("stack", "")
        return self

    @property
    def all_tags(self) -> dict[str, str]:
        return {**self.tags, "environment": "shared", "managedBy": "pulumi"}

    @property
    def assignment_seed(self) -> str:
        """What makes this bootstrap's role assignment and definition names its own."""
        return f"{self._project}/{self._stack}/{self.prefix}"

    @property
    def names(self) -> BootstrapNames:
        return BootstrapNames(self.prefix)

    def shared_scopes_of(self, stack: StackAccess) -> tuple[str, ...]:
        """Where ``stack``'s program grants roles outside its subscription."""
        return tuple(dict.fromkeys((*self.shared_scopes, *stack.shared_scopes)))

    def model_registry_of(self, stack: StackAccess) -> str | None:
        """The shared registry ``stack``'s program grants roles on (none for the shared stack)."""
        return None if stack.name == SHARED_STACK else self.model_registry_id


def _duplicate_names(stacks: tuple[StackAccess | None, ...]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, stack in enumerate(stacks):
        if stack is not None and (first := seen.setdefault(stack.name, index)) != index:
            yield (
                (_key("stacks"), index, "name"),
                f"duplicate stack {stack.name!r} (also at [{first}])",
            )


def _state_out_of_reach(
    subscription_id: str | None,
    shared_scopes: tuple[str, ...],
    stacks: tuple[StackAccess | None, ...],
) -> Iterator[Problem]:
    # A deploy identity may write storage accounts and Key Vaults anywhere in its stack's
    # subscription (and delete locks there): the state must live where none of them reaches.
    if subscription_id is None:
        return
    inside = f"/subscriptions/{subscription_id}/"
    in_state = "is in azure-native:subscriptionId, which holds the state: grant nothing there"
    for position, scope in enumerate(shared_scopes):
        if scope.lower().startswith(inside):
            yield (_key("sharedScopes"), position), in_state
    for index, stack in enumerate(stacks):
        if stack is None:
            continue
        if stack.subscription_id == subscription_id:
            yield (
                (_key("stacks"), index, "subscriptionId"),
                (
                    "is azure-native:subscriptionId, which holds the state: give the state its own "
                    "subscription (e.g. a management subscription), or this stack's deploy "
                    "identity could rewrite every stack's state"
                ),
            )
        for position, scope in enumerate(stack.shared_scopes):
            if scope.lower().startswith(inside):
                yield (_key("stacks"), index, "sharedScopes", position), in_state


def _connections(
    devops: AzureDevOpsSettings | None, devops_given: bool, stacks: tuple[StackAccess | None, ...]
) -> Iterator[Problem]:
    # One service connection signs in as one identity: a connection listed twice would give
    # one of them a subject it cannot use, and hide which identity it really has.
    seen: dict[str, str] = {}
    if devops is not None and devops.preview_connection_id is not None:
        seen[devops.preview_connection_id] = f"{_key('azureDevOps')}.previewConnectionId"
    for index, stack in enumerate(stacks):
        if stack is None or stack.azure_devops_connection_id is None:
            continue
        where = (_key("stacks"), index, "azureDevOpsConnectionId")
        here = f"{_key('stacks')}[{index}]"
        if not devops_given:
            yield where, f"needs {_key('azureDevOps')} (organizationId, subjectPrefix)"
        elif (first := seen.setdefault(stack.azure_devops_connection_id, here)) != here:
            yield where, f"is already the connection of {first}: one connection per identity"


@dataclass(frozen=True)
class BootstrapNames:
    """Physical names; globally unique ones take the bootstrap's random suffix."""

    prefix: str

    @property
    def resource_group(self) -> str:
        return f"rg-{self.prefix}-mlops-bootstrap"

    def storage_account(self, suffix: str) -> str:
        return f"st{self.prefix}state{suffix}"

    def key_vault(self, suffix: str) -> str:
        return f"kv{self.prefix}state{suffix}"

    def identity(self, purpose: str) -> str:
        return f"id-{self.prefix}-mlops-{purpose}"

    @staticmethod
    def container(stack: str) -> str:
        return f"state-{stack}"

    @staticmethod
    def key(stack: str) -> str:
        return f"pulumi-{stack}"


CONFIG_KEYS: Final = {
    field.alias or name: field for name, field in BootstrapSettings.model_fields.items()
}


def load(config: Mapping[str, str], *, project: str, stack: str) -> BootstrapSettings:
    """Validate the bootstrap stack's config (keys as ``namespace:key``, values as Pulumi passes
    them); raises SettingsError listing every problem."""
    problems: list[str] = []
    values = {
        key: config_value(key, raw, problems, CONFIG_KEYS)
        for key, raw in config.items()
        # Other namespaces configure providers (azure-native:tenantId, ...).
        if key in CONFIG_KEYS or key.partition(":")[0] == NAMESPACE
    }
    found: BootstrapSettings | None = None
    try:
        found = BootstrapSettings.model_validate(
            {k: v for k, v in values.items() if v is not None},
            context={"project": project, "stack": stack},
            by_name=False,  # config keys as the stack file spells them, as in settings.loader
        )
    except ValidationError as error:
        problems += describe(error.errors())
    if problems or found is None:
        raise SettingsError(problems)
    return found


def from_pulumi() -> BootstrapSettings:
    """Read the running stack's config."""
    config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return load(
        {key: str(value) for key, value in config.items()},
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
    )
