"""The docs' table of who can do what in the delivery is read from the bootstrap itself."""

from __future__ import annotations

from bootstrap import pipeline_access
from offline.engine import ROOT


def test_the_bootstrap_page_holds_the_table_the_bootstrap_gives() -> None:
    page = (ROOT / "docs" / "delivery" / "bootstrap.md").read_text(encoding="utf-8")
    assert pipeline_access.table() in page


def test_every_github_sign_in_is_from_main_only() -> None:
    table = pipeline_access.table()
    github = [part for line in table.splitlines() for part in line.split(";") if "GitHub" in part]
    assert github
    assert all("`main` only" in part for part in github)


def test_release_identities_hold_nothing_from_the_bootstrap() -> None:
    lines = [line for line in pipeline_access.table().splitlines() if " release**" in line]
    assert lines
    assert all("none from the bootstrap" in line for line in lines)


def test_no_identity_holds_key_vault_crypto_user() -> None:
    assert "Key Vault Crypto User" not in pipeline_access.table()
