"""The bootstrap program's config, declared the way ``settings/`` declares the stacks' config.

Keys live in the ``mlops-bootstrap`` namespace (plus ``azure-native:location`` and
``azure-native:subscriptionId``). Every problem is reported at once, each as
``<key path>: <what is wrong and what would be valid>``, before any resource is registered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Final, Literal

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import (
    BeforeValidator,
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
from settings.validation import Listed, Problem, Section, Unique, invalid, named, repeats
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
ORGANIZATION_URL: Final = NameRule(
    r"^https://(dev\.azure\.com/[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?"
    r"|[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?\.visualstudio\.com)/?$",
    "the organization's URL, https://dev.azure.com/<organization>",
)
# What a stack's Azure DevOps connections need in mlops-bootstrap:azureDevOps.
DEVOPS_KEYS: Final = "organizationUrl, projectId, organizationId, subjectPrefix"
# An environment takes at most six required reviewers, teams and users together (docs.github.com,
# REST API "Deployment environments", create or update an environment: reviewers).
MAX_REVIEWERS: Final = 6
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
# The pipeline's variable group of non-secret settings (azure-pipelines.yml).
SHARED_VARIABLE_GROUP: Final = "mlops-pulumi"
# The stack that creates the registry (mlops:environment: shared) grants nothing on it.
SHARED_STACK: Final = "shared"
ENVIRONMENTS: Final = ("dev", "qa", "prod", SHARED_STACK)
StackName = Annotated[str, *named(STACK_NAME)]
Scope = Annotated[str, *named(SCOPE)]


def _github_id(kind: str, lookup: str) -> Any:
    """A GitHub account's numeric ID, by which environments name their reviewers."""

    def check(value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise invalid(f"must be a {kind}'s numeric ID ({lookup}), got {value!r}")
        return value

    return BeforeValidator(check)


TeamId = Annotated[int, _github_id("team", "gh api orgs/<org>/teams/<team-slug> --jq .id")]
UserId = Annotated[int, _github_id("user", "gh api users/<login> --jq .id")]


class GitHubReviewers(Section):
    teams: Annotated[tuple[TeamId, ...], Listed] = ()
    """Teams whose members may approve, by numeric ID; each needs read access to the
    repository."""
    users: Annotated[tuple[UserId, ...], Listed] = ()
    """Users who may approve, by numeric ID."""

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        count = len(fields.get("teams", ())) + len(fields.get("users", ()))
        if count == 0:
            yield (), "list at least one team or user, e.g. {teams: [1234567]}"
        elif count > MAX_REVIEWERS:
            yield (
                (),
                f"names {count} reviewers: an environment takes at most {MAX_REVIEWERS}, teams "
                "and users together (name a team rather than its members)",
            )


class GitHubSettings(Section):
    repository: Annotated[str, *named(REPOSITORY)]
    """The repository whose workflows deploy and preview, spelt as on GitHub: federated
    credentials match it exactly."""
    reviewers: GitHubReviewers | None = None
    """Who approves the deploys and model releases of reviewed stacks (the environments <stack>
    and release-<stack>); required while a stack is reviewed."""
    required_approvals: int = Field(1, ge=1, le=10)
    """Approving reviews a pull request to main needs, a code owner's among them."""


class AzureDevOpsSettings(Section):
    RETIRED: ClassVar[Mapping[str, str]] = {
        "previewConnectionId": (
            "is no longer read: its one identity read and decrypted every stack. Give each stack "
            "its own preview connection (mlops-preview-<stack>) instead: "
            f"{NAMESPACE}:stacks[i].azureDevOpsPreviewConnectionId"
        ),
    }

    organization_url: Annotated[str, *named(ORGANIZATION_URL)]
    """Where the bootstrap puts the checks on the service connections and environments."""
    project_id: Guid
    """The project of the pipeline, its service connections and environments (`az devops project
    show --project <name> --query id`)."""
    organization_id: Guid
    """The organization's ID, as in each service connection's Subject identifier after /sc/."""
    subject_prefix: Annotated[str, *named(ENTRA_PREFIX)]
    """What every service connection's Subject identifier starts with, up to /sc/."""
    pipeline_id: int = Field(ge=1)
    """The pipeline (its definition ID, in its URL: definitionId=...) that alone may use the
    stacks' service connections, environments and variable groups: the bootstrap authorizes it
    on each, so no other pipeline (another repository's, one a branch creates) reaches them while
    their "all pipelines" permission stays off."""
    approvers: Annotated[tuple[Guid, ...], Listed, Unique()] = ()
    """Who approves the deploys and model releases of reviewed stacks: IDs of Azure DevOps users
    (`az devops user show --user <e-mail> --query id`) or groups (their originId); required while
    a reviewed stack has a service connection."""
    pulumi_cloud: bool = False
    """The stacks keep their state in Pulumi Cloud: per stack deployed or previewed through Azure
    DevOps, the bootstrap creates the variable groups mlops-<stack> and mlops-preview-<stack>, each
    with the secret PULUMI_ACCESS_TOKEN, empty (a person sets a token that writes, or only reads,
    that stack alone), under the checks of the stack's deploy or preview connection; then set the
    pipeline's parameter stateBackend to pulumiCloud too. false, the default: the bootstrap's state
    backend, which needs no token."""


class SharedScope(Section):
    scope: Scope
    """A resource group or resource that this stack's program grants roles on outside its
    subscription: a storage account its datastores read, an adopted registry or Key Vault. Never in
    another stack's subscription, but for the Key Vault or registry it adopts from shared's."""
    access: Literal["read", "readWrite"]
    """read: the stack only reads it (its datastores there are readOnly), so its deploy identity
    may assign there only the roles the access matrix gives on read-only datastores (Storage Blob
    Data Reader, and the workspace's private endpoint approval); readWrite: every role the program
    grants outside its subscription (data contributor roles, AcrPush, Key Vault Secrets User...)."""

    @model_validator(mode="before")
    @classmethod
    def _a_map(cls, data: Any) -> Any:
        # The top-level sharedScopes were plain IDs: say what an entry is now.
        if isinstance(data, str):
            raise invalid(
                f"must be a map: {{scope: {data}, access: read}} (or access: readWrite, where the "
                "stack's datastores there are writable or the scope is its adopted registry or "
                "Key Vault)"
            )
        return data


class StackAccess(Section):
    name: StackName
    """The Pulumi stack; also the GitHub environments <name> (deploy), preview-<name> and, but for
    shared, release-<name>."""
    subscription_id: Guid
    """The subscription the stack deploys into: its own (no other stack's, never the one holding
    the state)."""
    azure_devops_connection_id: Guid | None = Field(None, alias="azureDevOpsConnectionId")
    """The Azure DevOps service connection that deploys the stack (mlops-<name>)."""
    azure_devops_preview_connection_id: Guid | None = Field(
        None, alias="azureDevOpsPreviewConnectionId"
    )
    """The Azure DevOps service connection that previews the stack as its own read-only identity
    (mlops-preview-<name>); required with azureDevOpsConnectionId."""
    reviewed: bool = True
    """Whether the stack's deploys and model releases wait for an approval: required reviewers on
    its GitHub environments <name> and release-<name>, approvals on its Azure DevOps service
    connections and environment. false for a stack that every merge deploys (dev)."""
    azure_devops_release_connection_id: Guid | None = Field(
        None, alias="azureDevOpsReleaseConnectionId"
    )
    """The Azure DevOps service connection the stack's release pipeline runs with
    (mlops-release-<name>); never for shared, which has no workspace."""
    shared_scopes: Annotated[tuple[SharedScope, ...], Listed] = ()
    """Where this stack's program grants roles outside its subscription, and no other stack's:
    each scope with the access the stack needs there."""
    pull_request_previews: bool = False
    """Azure DevOps pull requests preview this stack in the cloud: its preview connection admits
    refs/pull/* too, so unreviewed code runs as the stack's preview identity, which decrypts its
    secrets. true only for a stack whose secrets any pull request may read (dev, qa); false, the
    default, and the connection admits main alone. Refused for a prod or shared stack.
    (GitHub pull requests always preview offline: no federated credential trusts their tokens.)"""
    environment: Literal["dev", "qa", "prod", "shared"] | None = None
    """The stack's mlops:environment, where its name is not one (staging, prod-eu): what it may
    be opened to follows from it. Defaults to the name."""

    @property
    def kind(self) -> str | None:
        """The stack's environment: as given, else its name where that is one."""
        return self.environment or (self.name if self.name in ENVIRONMENTS else None)

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    @property
    def github_environment(self) -> str:
        return self.name

    @property
    def github_preview_environment(self) -> str:
        return f"preview-{self.name}"

    @property
    def github_release_environment(self) -> str:
        return f"release-{self.name}"

    @property
    def azure_devops_environment(self) -> str:
        return f"mlops-{self.name}"

    @property
    def azure_devops_variable_group(self) -> str:
        """With azureDevOps.pulumiCloud, the variable group of the stack's write token, which its
        deploy stage reads."""
        return f"mlops-{self.name}"

    @property
    def azure_devops_preview_variable_group(self) -> str:
        """With azureDevOps.pulumiCloud, the variable group of the stack's read-only token, which
        its previews read."""
        return f"mlops-preview-{self.name}"

    @property
    def releases(self) -> bool:
        """Whether a release pipeline deploys models into the stack: every stack but shared,
        which has no workspace."""
        return self.name != SHARED_STACK

    @classmethod
    def rules(cls, fields: Mapping[str, Any], given: set[str]) -> Iterator[Problem]:
        scopes: tuple[SharedScope | None, ...] = fields.get("shared_scopes", ())
        for index, first in repeats(scopes, lambda entry: entry.scope.lower()):
            yield (
                ("sharedScopes", index, "scope"),
                f"repeats sharedScopes[{first}]: list a scope once, with the access it needs",
            )
        if fields.get("pull_request_previews"):
            name = fields.get("name")
            kind = fields.get("environment") or (name if name in ENVIRONMENTS else None)
            if kind in ("prod", SHARED_STACK):
                yield (
                    ("pullRequestPreviews",),
                    f"must stay false for a {kind} stack: a pull request's unreviewed code would "
                    "run as its preview identity, which decrypts the stack's secrets",
                )
            elif kind is None and isinstance(name, str):
                yield (
                    ("environment",),
                    f"is required with pullRequestPreviews: {name!r} is no environment's name; "
                    "say which it is (dev or qa: prod and shared never preview pull requests)",
                )
        if fields.get("name") == SHARED_STACK and fields.get("azure_devops_release_connection_id"):
            yield (
                ("azureDevOpsReleaseConnectionId",),
                f"is only valid for a stack with a workspace: {SHARED_STACK} has no release "
                "pipeline",
            )


def _key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


class BootstrapSettings(Section):
    """The bootstrap stack's config: every key of its `Pulumi.<stack>.yaml`."""

    model_config = ConfigDict(alias_generator=lambda name: _key(to_camel(name)))
    RETIRED: ClassVar[Mapping[str, str]] = {
        _key("sharedScopes"): (
            "is no longer read: every stack's deploy identity got these scopes, dev's too. Move "
            "each scope to the stacks that use it, with the access each needs: "
            f"{_key('stacks')}[i].sharedScopes: [{{scope: <id>, access: read}}] (or readWrite)"
        ),
    }

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
        yield from _state_out_of_reach(fields.get("subscription_id"), stacks)
        yield from _isolated(stacks)
        yield from _connections(fields.get("azure_devops"), "azure_devops" in given, stacks)
        yield from _variable_groups(fields.get("azure_devops"), stacks)
        yield from _approvals(fields.get("github"), fields.get("azure_devops"), stacks)

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
    subscription_id: str | None, stacks: tuple[StackAccess | None, ...]
) -> Iterator[Problem]:
    # A deploy identity may write storage accounts and Key Vaults anywhere in its stack's
    # subscription: the state must live where none of them reaches.
    if subscription_id is None:
        return
    inside = f"/subscriptions/{subscription_id}/"
    in_state = "is in azure-native:subscriptionId, which holds the state: grant nothing there"
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
        for position, shared in enumerate(stack.shared_scopes):
            if shared.scope.lower().startswith(inside):
                yield (_key("stacks"), index, "sharedScopes", position, "scope"), in_state


def _isolated(stacks: tuple[StackAccess | None, ...]) -> Iterator[Problem]:
    # A deploy identity holds its deploy role on its whole subscription, and its shared scopes
    # lie outside every stack's: one stack never reaches another's resources.
    owners: dict[str, tuple[int, str]] = {}
    for index, stack in enumerate(stacks):
        if stack is None:
            continue
        first, name = owners.setdefault(stack.subscription_id, (index, stack.name))
        if first != index:
            yield (
                (_key("stacks"), index, "subscriptionId"),
                f"is also the subscription of {_key('stacks')}[{first}] ({name}): give each stack "
                "its own subscription, or each one's deploy identity could change the other's "
                "resources",
            )
    for index, stack in enumerate(stacks):
        for position, shared in enumerate(stack.shared_scopes if stack is not None else ()):
            owner, name = owners.get(shared.scope.split("/")[2].lower(), (index, ""))
            if owner == index:
                continue
            where = (_key("stacks"), index, "sharedScopes", position, "scope")
            of = f"{_key('stacks')}[{owner}] ({name})"
            if name != SHARED_STACK:
                yield where, f"is in the subscription of {of}: {_ANOTHERS}"
            elif "/providers/" not in shared.scope:
                # The shared stack's subscription holds what the stacks share: the Key Vault and
                # container registry they adopt, each named, never its resource groups.
                yield where, f"is a resource group of {of}: {_ADOPTED}"
    yield from _unreviewed_writes(stacks)


def _overlap(one: str, other: str) -> bool:
    """The same scope, or one inside the other (a resource in a resource group)."""
    one, other = one.lower().rstrip("/"), other.lower().rstrip("/")
    return one == other or other.startswith(f"{one}/") or one.startswith(f"{other}/")


def _unreviewed_writes(stacks: tuple[StackAccess | None, ...]) -> Iterator[Problem]:
    """A stack deployed without approval (reviewed: false) may only read where a reviewed stack
    reaches: its identity could otherwise give anyone (a user included) write access to data
    a reviewed stack guards, on a merge alone."""
    guarded = [
        (index, stack.name, shared.scope)
        for index, stack in enumerate(stacks)
        if stack is not None and stack.reviewed
        for shared in stack.shared_scopes
    ]
    for index, stack in enumerate(stacks):
        if stack is None or stack.reviewed:
            continue
        for position, shared in enumerate(stack.shared_scopes):
            other = next((g for g in guarded if _overlap(shared.scope, g[2])), None)
            if shared.access == "readWrite" and other is not None:
                yield (
                    (_key("stacks"), index, "sharedScopes", position, "access"),
                    f"must be read: {_key('stacks')}[{other[0]}] ({other[1]}), which is reviewed, "
                    f"reaches this scope too, and {stack.name}'s deploys need no approval",
                )


_ANOTHERS: Final = (
    "a stack grants nothing in another stack's subscription (keep shared data in a subscription "
    f"no stack deploys into, or in {SHARED_STACK}'s)"
)
_ADOPTED: Final = "name the resource the stack adopts there (its Key Vault or container registry)"


def _connections(
    devops: AzureDevOpsSettings | None, devops_given: bool, stacks: tuple[StackAccess | None, ...]
) -> Iterator[Problem]:
    # One service connection signs in as one identity: a connection listed twice would give
    # one of them a subject it cannot use, and hide which identity it really has.
    seen: dict[str, str] = {}
    for index, stack in enumerate(stacks):
        if stack is None:
            continue
        for field, connection in (
            ("azureDevOpsConnectionId", stack.azure_devops_connection_id),
            ("azureDevOpsPreviewConnectionId", stack.azure_devops_preview_connection_id),
            ("azureDevOpsReleaseConnectionId", stack.azure_devops_release_connection_id),
        ):
            if connection is None:
                continue
            where = (_key("stacks"), index, field)
            here = f"{_key('stacks')}[{index}].{field}"
            if not devops_given:
                yield where, f"needs {_key('azureDevOps')} ({DEVOPS_KEYS})"
            elif (first := seen.setdefault(connection, here)) != here:
                yield where, f"is already the connection of {first}: one connection per identity"


def _variable_groups(
    devops: AzureDevOpsSettings | None, stacks: tuple[StackAccess | None, ...]
) -> Iterator[Problem]:
    # With Pulumi Cloud each stack's tokens live in mlops-<stack> and mlops-preview-<stack>: a
    # stack whose group would be the pipeline's shared group, or another stack's preview group,
    # would hand its token to the runs meant for that one.
    if devops is None or not devops.pulumi_cloud:
        return
    names = {stack.name for stack in stacks if stack is not None}
    for index, stack in enumerate(stacks):
        if stack is None:
            continue
        taken = None
        if stack.azure_devops_variable_group == SHARED_VARIABLE_GROUP:
            taken = f"the pipeline's shared variable group {SHARED_VARIABLE_GROUP}"
        elif (other := stack.name.removeprefix("preview-")) != stack.name and other in names:
            taken = f"the preview variable group of the stack {other}"
        if taken is not None:
            yield (
                (_key("stacks"), index, "name"),
                f"names the variable group {stack.azure_devops_variable_group}, which is {taken} "
                f"(with {_key('azureDevOps')}.pulumiCloud): rename the stack",
            )


def _approvals(
    github: GitHubSettings | None,
    devops: AzureDevOpsSettings | None,
    stacks: tuple[StackAccess | None, ...],
) -> Iterator[Problem]:
    # A reviewed stack with nobody to approve would deploy unreviewed (GitHub) or never (Azure
    # DevOps): say who approves, or that the stack is not reviewed.
    listed = [(index, stack) for index, stack in enumerate(stacks) if stack is not None]
    reviewed = [f"{_key('stacks')}[{i}] ({s.name})" for i, s in listed if s.reviewed]
    if github is not None and github.reviewers is None and reviewed:
        yield (
            (_key("github"), "reviewers"),
            f"is required while a stack is reviewed ({', '.join(reviewed)}): the teams or users "
            "who approve its deploys, e.g. {teams: [1234567]}; or set reviewed: false on the "
            "stacks that deploy unreviewed",
        )
    connected = [
        f"{_key('stacks')}[{i}] ({s.name})"
        for i, s in listed
        if s.reviewed and s.azure_devops_connection_id is not None
    ]
    if devops is not None and not devops.approvers and connected:
        yield (
            (_key("azureDevOps"), "approvers"),
            f"list at least one approver while a reviewed stack deploys through a service "
            f"connection ({', '.join(connected)}): the ID of an Azure DevOps user or group; or "
            "set reviewed: false on the stacks that deploy unreviewed",
        )
    for index, stack in listed:
        if stack.azure_devops_connection_id and not stack.azure_devops_preview_connection_id:
            yield (
                (_key("stacks"), index, "azureDevOpsPreviewConnectionId"),
                f"is required with azureDevOpsConnectionId: the pipeline previews the stack "
                f"before each approval with its own read-only connection, mlops-preview-"
                f"{stack.name}",
            )


@dataclass(frozen=True)
class BootstrapNames:
    """Physical names; globally unique ones take the bootstrap's random suffix."""

    prefix: str

    @property
    def resource_group(self) -> str:
        return f"rg-{self.prefix}-mlops-bootstrap"

    @property
    def log_analytics(self) -> str:
        return f"log-{self.prefix}-mlops-bootstrap"

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
