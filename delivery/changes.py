"""The change set of a stack: one line per resource a `pulumi up` would touch, from a fresh preview.

The deploy pipelines record it before the approval gate, where the reviewers see it beside the
text preview, and compute it again from a fresh preview of the same commit once approved:
`pulumi up` runs only if the two are identical, so what is applied is what was approved. (Pulumi's
update plans, `pulumi up --plan`, would check this inside the CLI, but the CLI version pinned still
hides `--plan` behind PULUMI_EXPERIMENTAL.)

A line is `<operation> <URN>`, then the properties that differ in brackets. Lines are sorted, so
two previews that plan the same steps give the same text whatever order the engine ran them in.

Usage (from the repository root, logged in to the stack's backend):
    python3 delivery/changes.py --stack STACK                   print the change set
    python3 delivery/changes.py --stack STACK --approved FILE   exit 1 unless it equals FILE
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

# The preview the pipelines show the reviewers, as JSON: against what is in Azure now, with the
# policy pack.
PREVIEW = [
    "pulumi",
    "preview",
    "--refresh",
    "--policy-pack",
    "policy",
    "--json",
    "--non-interactive",
]
# Steps that change nothing: the resource as it is, the read that `--refresh` adds for every
# resource (drift shows up as an update or a delete instead), and reads of existing resources.
UNCHANGED = frozenset({"same", "refresh", "read"})
NO_CHANGES = "no changes"

Run = Callable[[list[str]], subprocess.CompletedProcess[str]]


class PreviewError(Exception):
    """`pulumi preview` exited non-zero: a program error, a policy violation, no access."""


def change_line(step: Mapping[str, Any]) -> str:
    keys = {
        *(step.get("diffReasons") or ()),
        *(step.get("replaceReasons") or ()),
        *(step.get("detailedDiff") or {}),
    }
    line = f"{step['op']} {step['urn']}"
    return f"{line} [{', '.join(sorted(keys))}]" if keys else line


def change_set(preview: Mapping[str, Any]) -> list[str]:
    """The sorted lines of a `pulumi preview --json` document; `no changes` when none."""
    steps: Sequence[Mapping[str, Any]] = preview.get("steps") or ()
    lines = sorted(change_line(step) for step in steps if step["op"] not in UNCHANGED)
    return lines or [NO_CHANGES]


def run_pulumi(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def fresh_change_set(stack: str, run: Run = run_pulumi) -> list[str]:
    result = run([*PREVIEW, "--stack", stack])
    if result.returncode != 0:
        try:
            diagnostics = json.loads(result.stdout).get("diagnostics") or ()
        except json.JSONDecodeError:
            diagnostics = ()
        errors = [d["message"].strip() for d in diagnostics if d.get("severity") == "error"]
        raise PreviewError("\n".join([*errors, result.stderr.strip()]).strip())
    return change_set(json.loads(result.stdout))


def verdict(approved: list[str], fresh: list[str]) -> tuple[bool, str]:
    """Whether the fresh change set is the approved one, and a markdown report saying so."""
    if approved == fresh:
        body = "\n".join(fresh)
        return True, f"### Applying the approved change set\n\n```text\n{body}\n```\n"
    diff = difflib.unified_diff(approved, fresh, "approved", "fresh preview", lineterm="")
    body = "\n".join(diff)
    return False, (
        "### Stopped: a fresh preview differs from the approved change set\n\n"
        "The stack changed since the preview that was approved (drift, or another update).\n"
        "Nothing was applied. Re-run the workflow to preview the stack again and approve the\n"
        f"new change set.\n\n```diff\n{body}\n```\n"
    )


def main(argv: Sequence[str], run: Run = run_pulumi) -> int:
    parser = argparse.ArgumentParser(description="The change set of a stack, from a fresh preview.")
    parser.add_argument("--stack", required=True, help="the stack to preview")
    parser.add_argument("--approved", type=Path, help="the change set that was approved")
    args = parser.parse_args(argv)
    try:
        fresh = fresh_change_set(args.stack, run)
    except PreviewError as failure:
        print(f"pulumi preview of {args.stack} failed:\n{failure}", file=sys.stderr)
        return 1
    if args.approved is None:
        print("\n".join(fresh))
        return 0
    same, report = verdict(args.approved.read_text(encoding="utf-8").splitlines(), fresh)
    print(report)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
