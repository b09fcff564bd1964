"""`python -m digitrec`: the same CLI as the `digitrec` command."""

from digitrec.entrypoints.cli import main

if __name__ == "__main__":
    main()
