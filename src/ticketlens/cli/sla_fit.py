"""CLI for `ticketlens sla fit`: fit a policy to a source's own SLA verdicts."""

from __future__ import annotations

import json

import click

from ticketlens.cli.options import db_option, json_option
from ticketlens.core.progress import progress_wanted


@click.command("fit")
@db_option
@click.option("--policy", help="Where the search starts, and the rest of the written policy: "
              "a preset name or a TOML file. Default: the preset of the workspace's source "
              "(servicenow for a ServiceNow export), else 'standard'.")
@click.option("--holdout", type=float, default=0.3, show_default=True,
              help="Share of the newest tickets (by creation) held out to score the fit.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write the fitted policy to this TOML file (else print it).")
@json_option
def fit_command(db: str, policy: str | None, holdout: float, out: str | None,
                as_json: bool) -> None:
    """Fit an SLA policy to the source's own verdicts (ServiceNow made_sla).

    Searches the resolution clock's rules (what starts, stops and pauses it, 24x7 or
    business hours, priority-change and reopen modes) with targets fitted per priority,
    on the older tickets, and scores the best on the newer ones held out. Prints (or
    writes with --out) the policy TOML, its agreement in the header; use it with
    `ticketlens sla --policy FILE`.
    """
    from ticketlens.analyses.sla.fit import fit_policy

    found = fit_policy(db, policy=policy, holdout=holdout, out=out,
                       progress=progress_wanted())
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2, default=str))
        return
    if out is None:
        click.echo(found.toml, nl=False)
        return
    header = found.toml.partition("\n\n")[0]
    click.echo("\n".join(line[2:] for line in header.splitlines()))
    click.echo(f"wrote {out} — measure with it: ticketlens sla --db {db} --policy {out}")
