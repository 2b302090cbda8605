"""Commands: score."""
