"""The ingestion job: ``python -m ingest [PATHS...]`` is ``kb ingest [PATHS...]``."""
