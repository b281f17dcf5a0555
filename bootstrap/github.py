"""The GitHub repository's protections, declared, so that they exist because the code says so:
each stack's environments, the ruleset of main, the workflow permissions of GitHub Actions, and
the OIDC subject template the federated credentials match (``bootstrap.identities``).

The provider signs in with the GITHUB_TOKEN environment variable (a repository administrator's
token: *Administration* read and write on the repository) and manages the owner of
``mlops-bootstrap:github.repository``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_github as github

from bootstrap.config import GitHubSettings, StackAccess

MAIN_BRANCH: Final = "main"
# What GitHub then puts in a job's OIDC subject, each claim as <key>:<value> in this order (repo
# shortened, context the environment's environment:<name>), e.g.
# repo:contoso/mlops:environment:prod:ref:refs/heads/main:job_workflow_ref:contoso/mlops/.github/
# workflows/pulumi-up.yml@refs/heads/main (docs.github.com, "OpenID Connect reference",
# "Customizing the subject claims for an organization or repository"). ref is the ref of the run,
# the caller's when the job is a reusable workflow's: a branch's workflow that calls
# pulumi-up.yml@main gets job_workflow_ref ...@refs/heads/main, but its own ref (and commit), so
# without ref its token would match main's credentials wherever an environment let it in.
SUBJECT_CLAIMS: Final = ("repo", "context", "ref", "job_workflow_ref")
# The GITHUB_TOKEN of a job that names no permissions may only read, and no workflow may approve a
# pull request: else a workflow's token could supply the approval the ruleset requires.
DEFAULT_WORKFLOW_PERMISSIONS: Final = "read"
# The GitHub Actions app: a required check passes only on a run of a workflow, never on a
# commit status that anyone with write access may post under the same name.
GITHUB_ACTIONS_APP_ID: Final = 15368
# The jobs of .github/workflows/pull-request.yml that a pull request waits for: the tests, the
# documentation site (a broken link or diagram), and per stack its offline preview (no pull
# request's token matches a federated credential: the subjects name refs/heads/main).
TESTS_CHECK: Final = "Tests"
SITE_CHECK: Final = "Documentation site"
OFFLINE_PREVIEW_CHECK: Final = "Offline preview {stack}"


def required_checks(stacks: Sequence[StackAccess]) -> tuple[str, ...]:
    return (
        TESTS_CHECK,
        SITE_CHECK,
        *(OFFLINE_PREVIEW_CHECK.format(stack=stack.name) for stack in stacks),
    )


@dataclass(frozen=True)
class GitHubProtectionsArgs:
    settings: GitHubSettings
    stacks: tuple[StackAccess, ...]
    # The pipeline identities: their federated credentials hold the new subjects before GitHub
    # issues them (the docs' order), or a running job could sign in with neither subject.
    identities: Sequence[pulumi.Resource]


class GitHubProtections(pulumi.ComponentResource):
    """Per stack the environments <stack> (deploy), preview-<stack> and, but for shared,
    release-<stack>; the ruleset of main; the repository's workflow permissions; its OIDC subject
    template."""

    def __init__(
        self, name: str, args: GitHubProtectionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops-bootstrap:github:GitHubProtections", name, None, opts)
        owner, self._repository = args.settings.repository.split("/")
        provider = github.Provider(
            f"{name}-provider", owner=owner, opts=pulumi.ResourceOptions(parent=self)
        )
        self._name = name
        self._settings = args.settings
        self._child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.environments: dict[str, github.RepositoryEnvironment] = {}
        for stack in args.stacks:
            self._environment(stack.github_environment, reviewed=stack.reviewed)
            # Never reviewed: a preview changes nothing. main only, like its credentials.
            self._environment(stack.github_preview_environment, reviewed=False)
            if stack.releases:
                self._environment(stack.github_release_environment, reviewed=stack.reviewed)
        self.ruleset = self._main_ruleset(args.stacks)
        self.workflow_permissions = github.WorkflowRepositoryPermissions(
            f"{name}-workflow-permissions",
            repository=self._repository,
            default_workflow_permissions=DEFAULT_WORKFLOW_PERMISSIONS,
            can_approve_pull_request_reviews=False,
            opts=self._child,
        )
        self.subject_template = github.ActionsRepositoryOidcSubjectClaimCustomizationTemplate(
            f"{name}-oidc-subject",
            repository=self._repository,
            use_default=False,
            include_claim_keys=list(SUBJECT_CLAIMS),
            opts=pulumi.ResourceOptions.merge(
                self._child, pulumi.ResourceOptions(depends_on=list(args.identities))
            ),
        )
        self.register_outputs({})

    def _environment(self, environment: str, *, reviewed: bool) -> None:
        # The config requires reviewers while a stack is reviewed.
        reviewers = self._settings.reviewers if reviewed else None
        created = github.RepositoryEnvironment(
            f"{self._name}-{environment}",
            repository=self._repository,
            environment=environment,
            reviewers=None
            if reviewers is None
            else [
                github.RepositoryEnvironmentReviewerArgs(
                    teams=list(reviewers.teams), users=list(reviewers.users)
                )
            ],
            # Whoever merged (and so started the run) cannot approve it alone.
            prevent_self_review=reviewers is not None,
            # The rules bind repository administrators too: a change goes through this program.
            can_admins_bypass=False,
            # main only: no branch or pull request runs a job in it.
            deployment_branch_policy=github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                custom_branch_policies=True, protected_branches=False
            ),
            opts=self._child,
        )
        github.RepositoryEnvironmentDeploymentPolicy(
            f"{self._name}-{environment}-{MAIN_BRANCH}",
            repository=self._repository,
            environment=created.environment,
            branch_pattern=MAIN_BRANCH,
            opts=self._child,
        )
        self.environments[environment] = created

    def _main_ruleset(self, stacks: Sequence[StackAccess]) -> github.RepositoryRuleset:
        return github.RepositoryRuleset(
            f"{self._name}-{MAIN_BRANCH}",
            repository=self._repository,
            name=MAIN_BRANCH,
            target="branch",
            enforcement="active",
            conditions=github.RepositoryRulesetConditionsArgs(
                ref_name=github.RepositoryRulesetConditionsRefNameArgs(
                    includes=[f"refs/heads/{MAIN_BRANCH}"], excludes=[]
                )
            ),
            # No bypass actors: administrators merge through pull requests too.
            rules=github.RepositoryRulesetRulesArgs(
                deletion=True,
                non_fast_forward=True,
                pull_request=github.RepositoryRulesetRulesPullRequestArgs(
                    required_approving_review_count=self._settings.required_approvals,
                    require_code_owner_review=True,
                    dismiss_stale_reviews_on_push=True,
                    # Whoever pushed last cannot be the one approving it.
                    require_last_push_approval=True,
                ),
                required_status_checks=github.RepositoryRulesetRulesRequiredStatusChecksArgs(
                    required_checks=[
                        github.RepositoryRulesetRulesRequiredStatusChecksRequiredCheckArgs(
                            context=check, integration_id=GITHUB_ACTIONS_APP_ID
                        )
                        for check in required_checks(stacks)
                    ]
                ),
            ),
            opts=self._child,
        )
