"""CLI for `ticketlens mine` — STUB, to be filled by its implementation."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
