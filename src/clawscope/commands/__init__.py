"""Command-line commands beyond the core ones in `cli.py`, one module per command group."""
