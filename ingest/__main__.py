"""Run the ingestion job (same options as ``kb ingest``)."""

import sys

from kb.cli import cli

if __name__ == "__main__":
    # click names the subcommand after the program, so usage reads "python -m ingest ...".
    cli(["ingest", *sys.argv[1:]], prog_name="python -m")
