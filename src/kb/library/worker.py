"""A search worker process: ``python -m kb.library.worker FD`` (started by ``kb.library.pool``).

It reads its settings from the socket ``FD``, opens the library's searcher from
them (its own model and reader of the index), then answers the searches sent to
it until the socket closes or it is told to stop.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from kb.library.core import open_worker_search
from kb.library.pool import serve


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m kb.library.worker FD", file=sys.stderr)
        return 2
    serve(Connection(int(argv[1])), open_worker_search)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
