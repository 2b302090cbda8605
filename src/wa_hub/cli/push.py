"""Commands: push."""
