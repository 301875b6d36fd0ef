"""The library: the one facade the CLI, the ingestion job, the app and the benchmarks call.

``Library(settings)`` opens the model and the store lazily from settings and
hands each component only its part of them. Each action is one call:

- ``search(query)``: the top passages, cited;
- ``retrieve(query)``: the same passages plus the evidence of whether they
  answer the question (the no-match decision);
- ``ask(question)``: a cited extractive answer built on ``retrieve``;
- ``ingest``, ``add_uploads``, ``fetch``, ``documents``, ``facets``,
  ``similar``, ``stats``;
- ``learning`` and ``recurring``: the reviews' findings, recommendations and
  reflective questions as records, and the recommendations made more than once.

Nothing here touches an engine: ``kb.store`` opens readers and writers.

``Library`` lives in ``kb.library.core``; ``Stats`` and ``Precedents``, which
some of its calls return, in ``kb.library.records``.
"""

from kb.library.core import Library
from kb.library.records import Precedents, Stats

# A precedent view's group and a similar case, for the faces.
from kb.retrieve.precedents import Precedent, ReviewGroup

__all__ = ["Library", "Precedent", "Precedents", "ReviewGroup", "Stats"]
