"""``python -m reconciler`` runs the CLI, as the ``agenttasks`` console script does."""

from reconciler.cli.main import main

main()
