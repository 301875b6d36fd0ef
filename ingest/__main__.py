"""Run the ingestion job (same options as ``kb ingest``)."""

import sys

from kb.cli import cli

if __name__ == "__main__":
    cli(["ingest", *sys.argv[1:]], prog_name="python -m ingest")
