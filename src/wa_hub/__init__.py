"""wa-hub: the Writing-Alpaca study as a product (data, benchmark, recipes, metrics, publishing)."""

__version__ = "0.1.0"
