"""``manage.py schema_changes`` catches breaking changes of the public schema."""

import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command

from backend.management.commands.schema_changes import schema_changes, unacknowledged

OLD = """
type Query {
  locations(first: Int, code: String): [Location!]!
}
type Location {
  code: String!
  name: String!
}
"""


def test_a_removed_field_is_breaking():
    new = OLD.replace("  name: String!\n", "")
    assert schema_changes(OLD, new).breaking == ["Field Location.name was removed."]


def test_a_narrowed_argument_type_is_breaking():
    new = OLD.replace("first: Int,", "first: Int!,")
    assert schema_changes(OLD, new).breaking == [
        "Argument Query.locations(first:) has changed type from Int to Int!."
    ]


def test_an_added_optional_argument_is_only_dangerous():
    new = OLD.replace("code: String)", "code: String, name: String)")
    changes = schema_changes(OLD, new)
    assert changes.breaking == []
    assert changes.dangerous == ["An optional argument Query.locations(name:) was added."]


def test_a_breaking_change_is_acknowledged_by_the_changelog_naming_it():
    breaking = ["Field Location.name was removed.", "Field Location.code was removed."]
    changelog = "## Unreleased\n### Breaking changes\n- Field Location.name was removed.\n"
    assert unacknowledged(breaking, changelog) == ["Field Location.code was removed."]


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")

    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@x", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    (tmp_path / "schema.graphql").write_text(OLD)
    git("add", "schema.graphql")
    git("commit", "-qm", "first")
    return tmp_path, git


def run(path, *args):
    call_command(
        "schema_changes",
        *args,
        "--repo",
        str(path),
        "--schema",
        str(path / "schema.graphql"),
        "--changelog",
        str(path / "CHANGELOG.md"),
    )


def test_command_fails_on_an_unacknowledged_breaking_change(repo, capsys):
    path, git = repo
    (path / "schema.graphql").write_text(OLD.replace("first: Int,", "first: Int!,"))
    git("commit", "-qam", "narrow first")
    with pytest.raises(CommandError, match=r"1 breaking change\(s\) against main~1 not ack"):
        run(path)
    assert "breaking: Argument Query.locations(first:) has changed type" in capsys.readouterr().out
    (path / "CHANGELOG.md").write_text(
        "- Argument Query.locations(first:) has changed type from Int to Int!.\n"
    )
    run(path)
    assert "1 breaking (acknowledged), 0 dangerous" in capsys.readouterr().out


def test_command_on_a_first_commit_has_nothing_to_compare(repo, capsys):
    path, _ = repo
    run(path)
    assert "No schema.graphql at main~1" in capsys.readouterr().out
