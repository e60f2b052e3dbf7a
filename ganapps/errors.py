"""Errors that are the user's to fix, shared by the heads, pipelines and the command line."""
from __future__ import annotations


class UsageError(ValueError):
    """Bad arguments: the command exits with code 2 and this one line."""
