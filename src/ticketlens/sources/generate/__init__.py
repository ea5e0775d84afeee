"""Synthetic service desk: seeded, realistic, messy ticket lifecycles and linked tables."""

from ticketlens.sources.generate.api import TABLES, GenerateResult, generate
from ticketlens.sources.generate.config import DeskConfig, default_toml_text, load_config

__all__ = ["TABLES", "DeskConfig", "GenerateResult", "default_toml_text", "generate",
           "load_config"]
