"""The stacks a pull request previews, and for Azure DevOps which of them preview in the cloud.

GitHub: every stack gets the offline preview (`make preview`: Pulumi's mock engine, no cloud
access). No pull request's OIDC token matches a federated credential (their subjects name the
workflow and refs/heads/main, bootstrap/github.py), so no preview identity signs in for one.

Azure DevOps: a stack previews in the cloud only through its own preview connection
`mlops-preview-<stack>`, whose branch control admits pull requests only where the bootstrap
entry says `pullRequestPreviews: true` (bootstrap/azure_devops.py). azure-pipelines.yml has one
cloud preview job per stack of its compile-time list `cloudPreviewStacks` (a service connection
is resolved when the pipeline is compiled) and passes that list here. The cloud preview runs the
pull request's code (the program, the policy pack, the Makefile, the dependencies) as the
stack's preview identity, which can decrypt the stack's secrets. That code is unreviewed, so a
pull request never previews prod or shared in the cloud: a stack whose environment
(`mlops:environment`, the stack name by default) or whose name is `prod` or `shared` gets the
offline preview, as does every stack not in the list, and every stack of a run without cloud
credentials (a pull request from a fork: an empty list). Those stacks are previewed in the cloud
after the merge, before their approval, by the deploy stages.

The stack name counts as well as the environment because the preview identity belongs to the
stack: a pull request that sets `mlops:environment: dev` in Pulumi.prod.yaml still gets prod's
offline preview. (This script and the pipeline are in the pull request too: what holds when a
pull request edits them is the branch control on each preview connection: docs/delivery.)

The stacks are the Pulumi.<stack>.yaml files of the working directory. The pipelines run this
with the runner's Python before anything is installed, so it reads `mlops:environment` with a
pattern rather than a YAML parser: a stack file that sets it in any other form than one
`  mlops:environment: <name>` line under `config:` is refused, naming the file.

Usage (from the repository root):
    python3 delivery/preview_stacks.py --format github
        prints `stacks=<JSON list>` for $GITHUB_OUTPUT: every stack, each previewed offline
    python3 delivery/preview_stacks.py --format azure-pipelines --cloud-stacks dev,qa
        prints the output variables `cloud`, the stacks previewed in the cloud between commas
        (`,dev,qa,`: a job's condition looks for `,<stack>,`), and `offline`, a matrix with one
        leg per other stack
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

# The environments whose preview identities a pull request never gets.
PROTECTED = frozenset({"prod", "shared"})
STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
KEY = "mlops:environment"
ENVIRONMENT = re.compile(rf"""^\s+{KEY}:\s*(["']?)([A-Za-z0-9_.-]+)\1\s*(?:#.*)?$""")


class StackFileError(Exception):
    """The stack files do not say plainly which stacks there are or what their environment is."""


def stack_names(directory: Path) -> list[str]:
    names = sorted(p.name for p in directory.glob("Pulumi.*.yaml"))
    stacks = [n.removeprefix("Pulumi.").removesuffix(".yaml") for n in names]
    if not stacks or not all(STACK_NAME.fullmatch(s) for s in stacks):
        raise StackFileError(
            f"expected Pulumi.<stack>.yaml files with plain stack names, got {names}"
        )
    return stacks


def environment(directory: Path, stack: str) -> str:
    """The stack's `mlops:environment`, or its name when the stack file does not set it."""
    path = directory / f"Pulumi.{stack}.yaml"
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if KEY in line and not line.lstrip().startswith("#")
    ]
    if not lines:
        return stack
    match = ENVIRONMENT.match(lines[0])
    if len(lines) > 1 or match is None:
        raise StackFileError(
            f"{path.name}: set {KEY} once, on a line of its own under config "
            f"(`  {KEY}: qa`), to tell its pull-request preview apart"
        )
    return match[2]


def split(directory: Path, connected: frozenset[str]) -> tuple[list[str], list[str]]:
    """The stacks previewed in the cloud and those previewed offline, each sorted by name.

    `connected`: the stacks with a preview connection that admits pull requests.
    """
    online, offline = [], []
    for stack in stack_names(directory):
        protected = {stack, environment(directory, stack)} & PROTECTED
        (online if stack in connected and not protected else offline).append(stack)
    return online, offline


def stack_list(value: str) -> frozenset[str]:
    """`--cloud-stacks`: stack names between commas, or nothing."""
    stacks = frozenset(filter(None, value.split(",")))
    if not all(STACK_NAME.fullmatch(s) for s in stacks):
        raise argparse.ArgumentTypeError(f"expected stack names between commas, got {value!r}")
    return stacks


def main(argv: Sequence[str], directory: Path = Path()) -> int:
    parser = argparse.ArgumentParser(description="The stacks a pull request previews, and how.")
    parser.add_argument("--format", required=True, choices=["github", "azure-pipelines"])
    parser.add_argument(
        "--cloud-stacks",
        type=stack_list,
        help="azure-pipelines: the stacks with a pull-request preview connection, between "
        "commas (empty for a run without cloud credentials: every stack offline)",
    )
    args = parser.parse_args(argv)
    if (args.format == "azure-pipelines") != (args.cloud_stacks is not None):
        parser.error("--cloud-stacks goes with --format azure-pipelines, and only with it")
    try:
        if args.format == "github":
            print(f"stacks={json.dumps(stack_names(directory))}")
            return 0
        online, offline = split(directory, args.cloud_stacks)
    except StackFileError as error:
        print(error, file=sys.stderr)
        return 1
    output = "##vso[task.setvariable variable={};isOutput=true]{}"
    print(output.format("cloud", "".join(f",{stack}" for stack in online) + ","))
    print(output.format("offline", json.dumps({stack: {"stack": stack} for stack in offline})))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
