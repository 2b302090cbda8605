"""Commands: train."""
