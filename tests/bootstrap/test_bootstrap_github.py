"""The GitHub side, declared by the bootstrap: each stack's environments (reviewers where the stack
is reviewed, main only), the ruleset of main, code owners, the workflow permissions, and the OIDC
subject template whose subjects (repo, environment, a run of main, the workflow on main) the
federated credentials match exactly."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from typing import Any

import pytest
import yaml

from bootstrap.github import (
    GITHUB_ACTIONS_APP_ID,
    OFFLINE_PREVIEW_CHECK,
    SITE_CHECK,
    TESTS_CHECK,
)
from offline.engine import ROOT, ProgramRun
from tests.bootstrap.conftest import (
    FULL,
    REPOSITORY,
    REVIEWED,
    REVIEWER_TEAM,
    REVIEWER_USER,
    SHARED_SUBSCRIPTION,
    STACK_NAMES,
    STACKS,
    UNREVIEWED,
    identity,
    run_bootstrap,
)
from tests.bootstrap.test_bootstrap_config import problems, stack

ISSUER = "https://token.actions.githubusercontent.com"
WORKFLOWS = ROOT / ".github" / "workflows"
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
BRANCH_POLICY = (
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
)
RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
SUBJECT_TEMPLATE = (
    "github:index/actionsRepositoryOidcSubjectClaimCustomizationTemplate:"
    "ActionsRepositoryOidcSubjectClaimCustomizationTemplate"
)
CREDENTIAL = "azure-native:managedidentity:FederatedIdentityCredential"
WORKFLOW_PERMISSIONS = "github:index/workflowRepositoryPermissions:WorkflowRepositoryPermissions"
MAIN_ONLY = "github.ref == 'refs/heads/main'"

# A repository may keep one CI system: checks of the other's files skip where they are gone.
GITHUB_ACTIONS = pytest.mark.skipif(
    not (ROOT / ".github" / "workflows").is_dir(), reason="the repository keeps no GitHub Actions"
)


def _environment(run: ProgramRun, name: str) -> dict[str, Any]:
    (found,) = [r for r in run.of_type(ENVIRONMENT) if r.inputs["environment"] == name]
    assert found.inputs["repository"] == "mlops"
    return dict(found.inputs)


def _branch_patterns(run: ProgramRun, environment: str) -> list[str]:
    return [
        r.inputs["branchPattern"]
        for r in run.of_type(BRANCH_POLICY)
        if r.inputs["environment"] == environment
    ]


def _ruleset(run: ProgramRun) -> dict[str, Any]:
    (found,) = run.of_type(RULESET)
    return dict(found.inputs)


def _github_subjects(run: ProgramRun, purpose: str) -> set[str]:
    owner = identity(run, purpose)
    return {
        r.inputs["subject"]
        for r in run.of_type(CREDENTIAL)
        if r.parent == owner.parent and r.inputs["issuer"] == ISSUER
    }


def _subject(environment: str, workflow: str) -> str:
    return (
        f"repo:{REPOSITORY}:environment:{environment}:ref:refs/heads/main"
        f":job_workflow_ref:{REPOSITORY}/.github/workflows/{workflow}@refs/heads/main"
    )


def _refused(key: str, fragment: str, **changes: Any) -> None:
    found = problems(**changes)
    assert any(p.startswith(f"{key}: ") and fragment in p for p in found), found


def _workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


# -- config ------------------------------------------------------------------------------------


def test_reviewers_are_required_while_a_stack_is_reviewed() -> None:
    _refused(
        "mlops-bootstrap:github.reviewers",
        "is required while a stack is reviewed (mlops-bootstrap:stacks[1] (qa)",
        github={"repository": REPOSITORY},
    )


def test_without_a_reviewed_stack_no_reviewer_is_needed() -> None:
    unreviewed = [
        {"name": s["name"], "subscriptionId": s["subscriptionId"], "reviewed": False}
        for s in STACKS
    ]
    run = run_bootstrap(github={"repository": REPOSITORY}, azureDevOps=None, stacks=unreviewed)
    assert all("reviewers" not in r.inputs for r in run.of_type(ENVIRONMENT))


def test_a_reviewer_team_given_by_its_slug_is_refused_with_how_to_find_its_id() -> None:
    _refused(
        "mlops-bootstrap:github.reviewers.teams[0]",
        "must be a team's numeric ID (gh api orgs/<org>/teams/<team-slug> --jq .id), got 'ml'",
        github={"repository": REPOSITORY, "reviewers": {"teams": ["ml"]}},
    )


def test_a_reviewer_user_given_by_its_login_is_refused_with_how_to_find_its_id() -> None:
    _refused(
        "mlops-bootstrap:github.reviewers.users[0]",
        "must be a user's numeric ID (gh api users/<login> --jq .id)",
        github={"repository": REPOSITORY, "reviewers": {"users": ["octocat"]}},
    )


def test_reviewers_naming_nobody_are_refused() -> None:
    _refused(
        "mlops-bootstrap:github.reviewers",
        "list at least one team or user",
        github={"repository": REPOSITORY, "reviewers": {"teams": []}},
    )


def test_more_reviewers_than_an_environment_takes_are_refused() -> None:
    _refused(
        "mlops-bootstrap:github.reviewers",
        "names 7 reviewers: an environment takes at most 6",
        github={"repository": REPOSITORY, "reviewers": {"teams": [1, 2, 3, 4], "users": [5, 6, 7]}},
    )


@pytest.mark.parametrize("count", [0, 11])
def test_required_approvals_outside_what_a_ruleset_takes_are_refused(count: int) -> None:
    _refused(
        "mlops-bootstrap:github.requiredApprovals",
        f"must be between 1 and 10, got {count}",
        github={**FULL["mlops-bootstrap:github"], "requiredApprovals": count},
    )


def test_reviewed_must_be_a_boolean() -> None:
    _refused(
        "mlops-bootstrap:stacks[2].reviewed",
        "must be true or false",
        stacks=stack(2, reviewed="no"),
    )


# -- environments ------------------------------------------------------------------------------


def test_each_stack_gets_its_deploy_and_preview_environments_and_a_release_one_but_shared() -> None:
    run = run_bootstrap(stacks=[*STACKS, {"name": "shared", "subscriptionId": SHARED_SUBSCRIPTION}])
    assert {r.inputs["environment"] for r in run.of_type(ENVIRONMENT)} == {
        *STACK_NAMES,
        *(f"preview-{s}" for s in STACK_NAMES),
        *(f"release-{s}" for s in STACK_NAMES),
        "shared",
        "preview-shared",
    }


@pytest.mark.parametrize("name", [*REVIEWED, *(f"release-{s}" for s in REVIEWED)])
def test_deploys_and_releases_of_a_reviewed_stack_wait_for_the_configured_reviewers(
    full_run: ProgramRun, name: str
) -> None:
    environment = _environment(full_run, name)
    assert environment["reviewers"] == [{"teams": [REVIEWER_TEAM], "users": [REVIEWER_USER]}]
    assert environment["preventSelfReview"] is True


@pytest.mark.parametrize(
    "name",
    [*UNREVIEWED, *(f"release-{s}" for s in UNREVIEWED), *(f"preview-{s}" for s in STACK_NAMES)],
)
def test_an_unreviewed_stack_and_every_preview_run_without_reviewers(
    full_run: ProgramRun, name: str
) -> None:
    assert "reviewers" not in _environment(full_run, name)


@pytest.mark.parametrize(
    "name",
    [
        *STACK_NAMES,
        *(f"release-{s}" for s in STACK_NAMES),
        *(f"preview-{s}" for s in STACK_NAMES),
    ],
)
def test_every_environment_admits_main_only(full_run: ProgramRun, name: str) -> None:
    environment = _environment(full_run, name)
    assert environment["deploymentBranchPolicy"] == {
        "customBranchPolicies": True,
        "protectedBranches": False,
    }
    assert _branch_patterns(full_run, name) == ["main"]


def test_no_environment_lets_administrators_bypass_its_rules(full_run: ProgramRun) -> None:
    assert {r.inputs["canAdminsBypass"] for r in full_run.of_type(ENVIRONMENT)} == {False}


def test_the_provider_manages_the_owner_of_the_configured_repository(
    full_run: ProgramRun,
) -> None:
    (provider,) = full_run.of_type("pulumi:providers:github")
    assert provider.inputs["owner"] == "contoso"
    github = [r for r in full_run.resources if r.type.startswith("github:")]
    assert github
    assert all(r.inputs["repository"] == "mlops" for r in github)


# -- the ruleset of main ---------------------------------------------------------------------------


def test_the_ruleset_applies_to_main_with_nobody_bypassing_it(full_run: ProgramRun) -> None:
    ruleset = _ruleset(full_run)
    assert (ruleset["target"], ruleset["enforcement"]) == ("branch", "active")
    assert ruleset["conditions"] == {"refName": {"includes": ["refs/heads/main"], "excludes": []}}
    assert "bypassActors" not in ruleset


def test_main_can_be_neither_force_pushed_nor_deleted(full_run: ProgramRun) -> None:
    rules = _ruleset(full_run)["rules"]
    assert rules["nonFastForward"] is True
    assert rules["deletion"] is True


def test_a_pull_request_needs_a_fresh_approval_by_a_code_owner(full_run: ProgramRun) -> None:
    assert _ruleset(full_run)["rules"]["pullRequest"] == {
        "requiredApprovingReviewCount": 1,
        "requireCodeOwnerReview": True,
        "dismissStaleReviewsOnPush": True,
        "requireLastPushApproval": True,
    }


def test_the_number_of_approvals_is_configurable() -> None:
    run = run_bootstrap(github={**FULL["mlops-bootstrap:github"], "requiredApprovals": 2})
    assert _ruleset(run)["rules"]["pullRequest"]["requiredApprovingReviewCount"] == 2


def test_a_pull_request_waits_for_the_tests_the_site_and_each_stack_preview_on_github_actions(
    full_run: ProgramRun,
) -> None:
    checks = _ruleset(full_run)["rules"]["requiredStatusChecks"]["requiredChecks"]
    assert {c["integrationId"] for c in checks} == {GITHUB_ACTIONS_APP_ID}
    assert [c["context"] for c in checks] == [
        "Tests",
        "Documentation site",
        # No pull request's token matches a federated credential: every stack previews offline.
        *(f"Offline preview {s}" for s in STACK_NAMES),
    ]


@GITHUB_ACTIONS
def test_the_required_checks_are_jobs_of_the_pull_request_workflow() -> None:
    names = {job["name"] for job in _workflow("pull-request.yml")["jobs"].values()}
    for check in (TESTS_CHECK, SITE_CHECK, OFFLINE_PREVIEW_CHECK):
        assert check.replace("{stack}", "${{ matrix.stack }}") in names


# -- the workflows' own token, and code owners ------------------------------------------------


def test_no_workflow_approves_a_pull_request_and_its_token_reads_by_default(
    full_run: ProgramRun,
) -> None:
    # Else a workflow's GITHUB_TOKEN could supply the approval the ruleset requires.
    (permissions,) = full_run.of_type(WORKFLOW_PERMISSIONS)
    assert permissions.inputs == {
        "repository": "mlops",
        "canApprovePullRequestReviews": False,
        "defaultWorkflowPermissions": "read",
    }


def test_every_file_in_the_repository_has_a_code_owner() -> None:
    # A file that decides access or runs with credentials needs a code owner's approval; a file
    # added later too, so ownership is checked for every file, not a list of known ones.
    files = _repository_files()
    assert "bootstrap/github.py" in files
    unowned = [path for path in files if not _code_owners(path)]
    assert unowned == []


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*", "README.md", True),
        ("*", "bootstrap/github.py", True),
        ("/bootstrap/", "bootstrap/github.py", True),
        ("/bootstrap/", "tests/bootstrap/conftest.py", False),
        ("bootstrap/", "tests/bootstrap/conftest.py", True),
        ("/Pulumi.*.yaml", "Pulumi.prod.yaml", True),
        ("/Pulumi.*.yaml", "bootstrap/Pulumi.example.yaml", False),
        ("*.yaml", "bootstrap/Pulumi.example.yaml", True),
        ("/docs/*", "docs/access.md", True),
        ("/docs/*", "docs/images/a.png", False),
        ("/Makefile", "Makefile", True),
        ("/Makefile", "tests/Makefile", False),
    ],
)
def test_code_owner_patterns_match_as_github_matches_them(
    pattern: str, path: str, matches: bool
) -> None:
    assert _matches(pattern, path) is matches


def test_every_code_owner_is_a_team_or_a_user() -> None:
    rules = _code_owner_rules()
    assert rules
    assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", o) for _, owners in rules for o in owners)


@cache
def _repository_files() -> list[str]:
    """Every file git tracks, or would add (untracked but not ignored)."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
        text=True,
    )
    return [path for path in listed.stdout.split("\0") if path]


@cache
def _code_owner_rules() -> list[tuple[str, list[str]]]:
    rules: list[tuple[str, list[str]]] = []
    for line in (ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        pattern, *owners = line.split("#", 1)[0].split() or [""]
        if pattern:
            # What _matches does not read: negation, character ranges, escapes.
            assert not set(pattern) & set("![]\\"), pattern
            rules.append((pattern, owners))
    return rules


def _code_owners(path: str) -> list[str]:
    """The owners of ``path``: those of the last matching line, none if it names none
    (docs.github.com, "About code owners")."""
    found: list[str] = []
    for pattern, owners in _code_owner_rules():
        if _matches(pattern, path):
            found = owners
    return found


def _matches(pattern: str, path: str) -> bool:
    """gitignore's rules, as CODEOWNERS uses them: a leading or inner ``/`` anchors the pattern
    at the root, else it matches at any depth; a trailing ``/`` matches a directory's contents;
    ``*`` stops at ``/``, ``**`` does not; a matching directory owns everything under it, but
    ``<directory>/*`` owns only the files directly in it."""
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    glob = "".join(
        ".*" if part == "**" else re.escape(part).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        for part in re.split(r"(\*\*)", body)
    )
    head = "" if anchored else "(?:.*/)?"
    tail = "/.+" if directory else "" if body.endswith("/*") else "(?:/.+)?"
    return re.fullmatch(head + glob + tail, path) is not None


# -- OIDC: the subject template and what the credentials trust ------------------------------


def test_the_subject_names_the_repository_the_environment_the_run_s_ref_and_the_job_workflow(
    full_run: ProgramRun,
) -> None:
    (template,) = full_run.of_type(SUBJECT_TEMPLATE)
    assert template.inputs == {
        "repository": "mlops",
        "useDefault": False,
        "includeClaimKeys": ["repo", "context", "ref", "job_workflow_ref"],
    }


def test_the_subject_template_changes_only_once_every_credential_trusts_the_new_subjects(
    full_run: ProgramRun,
) -> None:
    (template,) = full_run.of_type(SUBJECT_TEMPLATE)
    credentials = {r.urn for r in full_run.of_type(CREDENTIAL)}
    assert credentials <= set(template.dependencies)


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_a_deploy_identity_trusts_pulumi_up_on_main_in_its_stack_environment_alone(
    full_run: ProgramRun, stack_name: str
) -> None:
    assert _github_subjects(full_run, f"deploy-{stack_name}") == {
        _subject(stack_name, "pulumi-up.yml")
    }


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_a_preview_identity_trusts_the_pre_approval_preview_and_the_release_read_on_main(
    full_run: ProgramRun, stack_name: str
) -> None:
    environment = f"preview-{stack_name}"
    assert _github_subjects(full_run, f"preview-{stack_name}") == {
        _subject(environment, "pulumi-up.yml"),
        _subject(environment, "deploy-model.yml"),
    }


def test_the_shared_stack_preview_identity_trusts_no_release_workflow() -> None:
    run = run_bootstrap(stacks=[*STACKS, {"name": "shared", "subscriptionId": SHARED_SUBSCRIPTION}])
    assert _github_subjects(run, "preview-shared") == {_subject("preview-shared", "pulumi-up.yml")}


@pytest.mark.parametrize("stack_name", STACK_NAMES)
def test_a_release_identity_trusts_deploy_model_on_main_in_its_release_environment_alone(
    full_run: ProgramRun, stack_name: str
) -> None:
    assert _github_subjects(full_run, f"release-{stack_name}") == {
        _subject(f"release-{stack_name}", "deploy-model.yml")
    }


@GITHUB_ACTIONS
def test_every_job_that_signs_in_from_main_has_a_credential_for_its_exact_subject(
    full_run: ProgramRun,
) -> None:
    # The workflows' own words: each job with id-token: write, its environment, the stacks it runs
    # for (pulumi-up.yml: every stack deploy.yml calls; deploy-model.yml: its choice input).
    stacks = {
        "pulumi-up.yml": ("inputs.stack", STACK_NAMES),
        "deploy-model.yml": ("inputs.environment", STACK_NAMES),
    }
    trusted = {r.inputs["subject"] for r in full_run.of_type(CREDENTIAL)}
    signing_in = 0
    for workflow, (variable, names) in stacks.items():
        for job in _workflow(workflow)["jobs"].values():
            if job.get("permissions", {}).get("id-token") != "write":
                continue
            for name in names:
                environment = job["environment"].replace(f"${{{{ {variable} }}}}", name)
                assert _subject(environment, workflow) in trusted, (workflow, environment)
                signing_in += 1
    assert signing_in == 4 * len(STACK_NAMES)


def test_no_credential_trusts_a_workflow_outside_main(full_run: ProgramRun) -> None:
    subjects = {r.inputs["subject"] for r in full_run.of_type(CREDENTIAL)}
    github = {s for s in subjects if s.startswith("repo:")}
    assert github
    assert all(s.endswith("@refs/heads/main") for s in github)


def test_no_credential_trusts_a_run_outside_main(full_run: ProgramRun) -> None:
    # In a reusable workflow the run's ref is the caller's: a branch's workflow that calls
    # pulumi-up.yml@main gets job_workflow_ref ...@refs/heads/main, and its own ref.
    subjects = {r.inputs["subject"] for r in full_run.of_type(CREDENTIAL)}
    github = {s for s in subjects if s.startswith("repo:")}
    assert github
    assert all(":ref:refs/heads/main:job_workflow_ref:" in s for s in github)


@GITHUB_ACTIONS
def test_every_job_that_signs_in_runs_only_from_main() -> None:
    # Besides the environments' branch policies and the credentials' subjects: github.ref is the
    # caller's in a reusable workflow, so a branch that calls pulumi-up.yml@main skips its jobs.
    signing_in = {
        (path.name, job_id): job.get("if")
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for job_id, job in _workflow(path.name)["jobs"].items()
        if "steps" in job and job.get("permissions", {}).get("id-token") == "write"
    }
    assert signing_in == {
        ("deploy-model.yml", "outputs"): MAIN_ONLY,
        ("deploy-model.yml", "deploy"): MAIN_ONLY,
        ("pulumi-up.yml", "preview"): MAIN_ONLY,
        ("pulumi-up.yml", "up"): MAIN_ONLY,
    }
