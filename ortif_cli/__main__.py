"""`python -m ortif_cli`."""

from ortif_cli.cli.main import run

run()
