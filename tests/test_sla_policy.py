"""SLA policies: shipped presets load; every invalid policy is one ConfigError naming the key,
and the CLI turns it into one line and exit code 2."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from sla_support import ev, policy_with, workspace_with
from ticketlens.cli import cli
from ticketlens.clock.policy import (
    DEFAULT_PRESET,
    load_policy,
    parse_policy,
    policy_from_json,
    policy_json,
    preset_names,
    preset_path,
)
from ticketlens.core.errors import ConfigError


def test_presets_ship_both_target_sets_and_standard_is_default() -> None:
    assert {"standard", "compact", "generated-desk", "servicenow", "helpdesk"} <= set(
        preset_names())
    assert DEFAULT_PRESET == "standard" and load_policy(None).name == "standard"
    hours = {name: {p: t.seconds / 3600 for p, t in
                    load_policy(name).metric("resolution").targets.items()}
             for name in ("standard", "compact")}
    assert hours["standard"] == {"Critical": 4, "High": 8, "Medium": 24, "Low": 72}
    assert hours["compact"] == {"Critical": 4, "High": 12, "Medium": 24, "Low": 48}
    critical = load_policy("standard").metric("resolution").targets["Critical"]
    assert critical.calendar == "24x7"
    assert load_policy("standard").metric("resolution").targets["High"].calendar == "business"


def test_default_clocks_are_the_issues() -> None:
    policy = load_policy("standard")
    response, resolution = policy.metric("response"), policy.metric("resolution")
    assert response.start == {"Ticket Created"}
    assert response.stop == {"Work Started", "Awaiting User Response", "Resolution Proposed",
                             "Ticket Resolved"}
    assert resolution.pause == {"Awaiting User Response", "On Hold", "Awaiting Parts"}
    assert resolution.resume == {"User Responded", "Hold Released", "Parts Received",
                                 "Work Resumed"}
    assert resolution.stop == {"Ticket Resolved"}
    assert resolution.reopen == {"Ticket Reopened"} and resolution.on_reopen == "resume"
    assert resolution.on_priority_change == "retarget"
    assert policy.warn_at == (0.5, 0.75)


@pytest.mark.parametrize("name", preset_names())
def test_preset_round_trips_through_its_stored_form(name: str) -> None:
    policy = load_policy(name)
    again = policy_from_json(policy_json(policy))
    assert again.fingerprint == policy.fingerprint


def test_a_file_path_loads(tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(preset_path("compact").read_text())
    assert load_policy(path).name == "compact"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("colour = 1", "unknown key(s) colour"),
        ('[metrics.resolution]\nstopp = ["resolution"]',
         "[metrics.resolution]: unknown key(s) stopp"),
        ("[targets.resolution]\nUrgent = { hours = 1 }",
         "targets.resolution.Urgent: unknown priority 'Urgent'"),
        ('[metrics.resolution]\npause = ["on_hodl"]',
         "metrics.resolution.pause: unknown role 'on_hodl'"),
        ("[targets.resolution]\nHigh = { hours = -2 }",
         "targets.resolution.High.hours: target must be positive"),
        ("[targets.resolution]\nHigh = { hours = 0 }",
         "targets.resolution.High.hours: target must be positive"),
        ('[calendars.business.hours]\nmon = ["08:00-12:00", "11:00-17:00"]',
         "calendars.business.hours.mon: working hours overlap: 08:00-12:00 and 11:00-17:00"),
        ('[calendars.business.hours]\nmon = ["8-17"]',
         "calendars.business.hours.mon: '8-17' is not a \"HH:MM-HH:MM\" range"),
        ('[calendars.business.hours]\nmon = ["17:00-08:00"]',
         "calendars.business.hours.mon: '17:00-08:00' is not a range within one day"),
        ('[calendars.business]\ntimezone = "Mars/Olympus"',
         "calendars.business.timezone: unknown time zone 'Mars/Olympus'"),
        ('[calendars.business]\ncountry = "XX"', "calendars.business.country: unknown country 'XX'"),
        ('[calendars.business]\ncountry = "GB"\nsubdivision = "ZZZ"',
         "calendars.business.subdivision: unknown subdivision 'ZZZ' of GB"),
        ('[calendars.business]\nholidays = ["next tuesday"]',
         "calendars.business.holidays: 'next tuesday' is not a date"),
        ('[targets.resolution]\nHigh = { hours = 8, calendar = "weekdays" }',
         "targets.resolution.High.calendar: unknown calendar 'weekdays'"),
        ("[targets.resolution]\nHigh = { hours = 8, minutes = 5 }",
         "targets.resolution.High: give exactly one of hours or minutes"),
        ('[metrics.resolution]\npause = ["resolution"]',
         "metrics.resolution.stop: activity 'Ticket Resolved' is also in pause"),
        ('[metrics.resolution]\non_reopen = "restart"',
         "metrics.resolution.on_reopen: must be 'resume', 'new_cycle' or 'full'"),
        ('[metrics.resolution]\non_priority_change = "ignore"',
         "metrics.resolution.on_priority_change: must be 'retarget', 'initial' or 'final'"),
        ("warn_at = [0.5, 1.5]", "warn_at: must be a list of fractions strictly between 0 and 1"),
        ('timezone = "Nowhere/Else"', "timezone: unknown time zone 'Nowhere/Else'"),
        ('[targets.resolve]\nHigh = { hours = 8 }',
         "targets.resolve: targets for a metric that is not declared"),
        ('[metrics."Resolution Time"]\nstart = ["creation"]\nstop = ["resolution"]',
         "metrics.Resolution Time: metric names are lower-case identifiers"),
        ('[lifecycle.escalated]\n"Escalated to L2" = "L9"',
         "lifecycle: [lifecycle] is no longer part of a policy"),
        ('[waits.user]\nleave = ["waiting_user"]',
         "waits.user.leave: activity 'Awaiting User Response' both enters and leaves"),
    ],
)
def test_invalid_policy_names_the_key(edit: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        policy_with(edit)
    assert message in str(caught.value)


def test_unknown_role_error_lists_the_roles_and_points_activity_names_to_roles() -> None:
    with pytest.raises(ConfigError, match=r"roles: creation, first_response, .*ingest --roles"):
        policy_with('[metrics.response]\nstop = ["Work Begun"]')


def test_a_policy_naming_activities_is_told_roles_come_from_the_source() -> None:
    with pytest.raises(ConfigError, match=r"\[lifecycle\] is no longer part of a policy.*"
                       r"ingest --roles"):
        policy_with('[lifecycle]\ncreated = ["Ticket Created"]')


def test_a_policy_binds_to_the_roles_of_the_data() -> None:
    from ticketlens.sources.ingest.mapping import builtin

    standard = load_policy("standard", builtin("servicenow").roles)
    assert standard.metric("resolution").stop == {"Resolved"}
    assert standard.metric("resolution").start == {"Ticket Created"}
    helpdesk = load_policy("standard", builtin("helpdesk").roles)
    assert helpdesk.lifecycle.created == {"Insert ticket", "Assign seriousness"}


def test_a_policy_in_its_own_vocabulary_validates_against_it() -> None:
    raw = tomllib.loads(preset_path("servicenow").read_text())
    raw["targets"]["resolution"]["High"] = {"hours": 4}  # ticketlens' name, not ServiceNow's
    with pytest.raises(ConfigError, match="unknown priority 'High'"):
        parse_policy(raw, origin="servicenow copy")


def test_missing_policy_file_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"neither a preset .* nor an existing TOML file"):
        load_policy("no-such-policy.toml")


def test_cli_reports_a_policy_error_in_one_line_with_exit_2(tmp_path) -> None:
    db = workspace_with(tmp_path / "ws.duckdb", [ev("T", "2024-01-08 08:00", "Ticket Created")])
    bad = tmp_path / "bad.toml"
    bad.write_text(preset_path("standard").read_text().replace(
        'High = { hours = 8 }', 'High = { hours = -8 }'))
    result = CliRunner().invoke(cli, ["sla", "--db", str(db), "--policy", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [f"error: {bad}: targets.resolution.High.hours: target must be positive, "
                     "got -8"]
    assert "Traceback" not in result.output
