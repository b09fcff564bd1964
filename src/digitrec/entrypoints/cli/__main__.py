"""`python -m digitrec.entrypoints.cli`: the same CLI as the `digitrec` command."""

from digitrec.entrypoints.cli import main

main()
