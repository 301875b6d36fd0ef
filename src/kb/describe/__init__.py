"""What each document is: title, publisher, year and type, from a sidecar or its own text.

The layer between parsing and ingest. :func:`describe` turns a parsed file into a
:class:`kb.records.Document`, taking fields from a sidecar manifest beside it
(:func:`load_sidecar`) over what :func:`extract_metadata` reads from its pages.
:func:`write_sidecar_csv` writes the one sidecar schema (:data:`SIDECAR_FIELDS`).
"""

from kb.describe.document import DocMeta, describe, extract_metadata, merge
from kb.describe.pages import title_from_file_name
from kb.describe.sidecar import SIDECAR_FIELDS, SIDECAR_NAMES, load_sidecar, write_sidecar_csv

__all__ = [
    "SIDECAR_FIELDS",
    "SIDECAR_NAMES",
    "DocMeta",
    "describe",
    "extract_metadata",
    "load_sidecar",
    "merge",
    "title_from_file_name",
    "write_sidecar_csv",
]
