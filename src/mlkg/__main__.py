"""``python -m mlkg`` runs the CLI."""

from mlkg.cli import main

if __name__ == "__main__":
    main()
