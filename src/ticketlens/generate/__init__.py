"""Synthetic service desk: seeded, realistic, messy ticket lifecycles and linked tables."""

from ticketlens.generate.api import GenerateResult, generate

__all__ = ["GenerateResult", "generate"]
