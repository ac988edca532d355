"""`python -m ortif_server`."""

from ortif_server.cli import run

run()
