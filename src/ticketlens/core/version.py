"""The installed ticketlens version, read from the package metadata (pyproject is its one source)."""

from importlib.metadata import version

VERSION: str = version("ticketlens")
