"""Post one stack's `pulumi preview` on the Azure Repos pull request, editing it on later pushes.

Each stack gets its own thread, recognised by a hidden marker in its first comment, so a
new push edits that comment instead of adding another one. Runs inside Azure Pipelines
with the job's System.AccessToken (the build service needs "Contribute to pull requests"
on the repository). For GitHub-hosted repositories the GitHub workflows comment instead.

Usage: pr_comment.py --stack dev --output preview.txt
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

API_VERSION = "7.1"
# Azure DevOps caps a comment at 150,000 characters; keep the tail, where the summary is.
MAX_OUTPUT_CHARS = 60_000
THREAD_CLOSED = 4  # informational: the thread must not block PR completion

Transport = Callable[[str, str, Mapping[str, Any] | None], Any]


def marker(stack: str) -> str:
    return f"<!-- mlops-pulumi-preview:{stack} -->"


def render(stack: str, output: str, build_url: str) -> str:
    """The comment body: marker, heading, link to the build, the (tail of the) preview."""
    text = output[-MAX_OUTPUT_CHARS:]
    trimmed = (
        f"\n_Output trimmed to its last {MAX_OUTPUT_CHARS} characters._\n"
        if len(output) > MAX_OUTPUT_CHARS
        else ""
    )
    return (
        f"{marker(stack)}\n"
        f"#### `pulumi preview` on stack `{stack}`\n\n"
        f"[Build]({build_url}){trimmed}\n\n"
        f"````text\n{text.rstrip()}\n````\n"
    )


def find_comment(threads: list[Mapping[str, Any]], stack: str) -> tuple[int, int] | None:
    """(thread id, comment id) of this stack's earlier preview comment, if any."""
    for thread in threads:
        comments = thread.get("comments") or []
        if comments and marker(stack) in (comments[0].get("content") or ""):
            return int(thread["id"]), int(comments[0]["id"])
    return None


def upsert(transport: Transport, pull_request_url: str, stack: str, content: str) -> str:
    """Edit this stack's comment if the PR has one, else open a new thread with it."""
    query = f"api-version={API_VERSION}"
    threads = transport("GET", f"{pull_request_url}/threads?{query}", None)["value"]
    found = find_comment(threads, stack)
    if found is not None:
        thread_id, comment_id = found
        transport(
            "PATCH",
            f"{pull_request_url}/threads/{thread_id}/comments/{comment_id}?{query}",
            {"content": content},
        )
        return "updated"
    transport(
        "POST",
        f"{pull_request_url}/threads?{query}",
        {
            "comments": [{"parentCommentId": 0, "content": content, "commentType": 1}],
            "status": THREAD_CLOSED,
        },
    )
    return "created"


def http_transport(token: str) -> Transport:
    def send(method: str, url: str, body: Mapping[str, Any] | None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    return send


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--output", required=True, type=Path, help="captured preview output")
    args = parser.parse_args(argv)

    if env.get("BUILD_REPOSITORY_PROVIDER") != "TfsGit":
        print("Not an Azure Repos pull request: no comment posted.")
        return 0
    pr_id = env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "")
    if not pr_id:
        print("Not a pull request build: no comment posted.")
        return 0

    collection = env["SYSTEM_COLLECTIONURI"].rstrip("/")
    project = env["SYSTEM_TEAMPROJECTID"]
    pull_request_url = (
        f"{collection}/{project}/_apis/git/repositories/{env['BUILD_REPOSITORY_ID']}"
        f"/pullRequests/{pr_id}"
    )
    build_url = f"{collection}/{project}/_build/results?buildId={env.get('BUILD_BUILDID', '')}"
    output = (
        args.output.read_text(errors="replace")
        if args.output.exists()
        else "(the preview produced no output: see the build log)"
    )
    content = render(args.stack, output, build_url)
    action = upsert(
        http_transport(env["SYSTEM_ACCESSTOKEN"]), pull_request_url, args.stack, content
    )
    print(f"Preview comment for {args.stack} {action}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
