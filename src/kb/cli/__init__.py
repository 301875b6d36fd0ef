"""The ``kb`` command line: thin commands, each one library call and a print.

Exit codes: 0 ok, 1 some inputs failed, 2 usage error. Errors kb raises on
purpose (``KbError``) become one line on stderr, never a traceback. The group
and its shared options are in ``kb.cli.base``; importing the command modules
registers their commands on it.
"""

from __future__ import annotations

from kb.cli import browse, ingest, manage, query  # noqa: F401 - registers the commands
from kb.cli.base import cli
from kb.cli.ingest import print_ingest_report

__all__ = ["cli", "main", "print_ingest_report"]


def main() -> None:
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
