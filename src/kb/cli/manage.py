"""``kb docs`` (list, or correct with ``--set``) and ``kb remove``: Panel staff's
corrections to the library, kept across re-ingest (``kb.ingest.overrides``)."""

from __future__ import annotations

import click

from kb.cli.common import echo, library_of, one_line_errors, print_json
from kb.errors import UsageError
from kb.records import Document


def print_document(d: Document) -> None:
    year = d.year if d.year is not None else "----"
    echo(
        f"{d.file}\n    {d.title or '(untitled)'}\n    {year}  {d.doc_type}  "
        f"{d.publisher or '(publisher unknown)'}  |  {d.n_pages} pages, {d.n_chunks} chunks"
        + ("  |  fictional" if d.fictional else "")
    )


@click.command()
@click.option(
    "--set",
    "edits",
    nargs=2,
    multiple=True,
    metavar="DOC FIELD=VALUE",
    help="Correct a document's title, publisher, year or type (repeatable); "
    "DOC is its file name or id. Kept across re-ingest.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def docs(ctx: click.Context, edits: tuple[tuple[str, str], ...], as_json: bool) -> None:
    """Every document in the index, with its metadata and page and chunk counts."""
    library = library_of(ctx)
    if edits:
        edit_documents(ctx, edits, as_json)
        return
    documents = library.documents()
    if as_json:
        print_json([d.to_dict() for d in documents])
        return
    if not documents:
        echo("no documents: run `kb ingest` first")
    for d in documents:
        print_document(d)
    echo(f"{len(documents)} documents")


def edit_documents(ctx: click.Context, edits: tuple[tuple[str, str], ...], as_json: bool) -> None:
    by_doc: dict[str, dict[str, object]] = {}
    for ref, assignment in edits:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise UsageError(f"expected FIELD=VALUE, got {assignment!r}")
        by_doc.setdefault(ref, {})[name] = value  # the library checks names and values
    edited = [library_of(ctx).edit_document(ref, changes) for ref, changes in by_doc.items()]
    if as_json:
        print_json([d.to_dict() for d in edited])
        return
    for d in edited:
        echo("updated:")
        print_document(d)


@click.command()
@click.argument("doc")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@one_line_errors
def remove(ctx: click.Context, doc: str, yes: bool) -> None:
    """Remove DOC (file name or id) from the library; a re-ingest passes it over."""
    library = library_of(ctx)
    target = library.find_document(doc)
    if not yes and not click.confirm(f"Remove {target.file} from the library?", err=True):
        raise UsageError("nothing removed")
    removed = library.remove_document(target.doc_id)
    echo(f"removed {removed.file} ({removed.n_chunks} passages); a re-ingest will pass it over")
