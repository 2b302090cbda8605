"""Commands: data."""
