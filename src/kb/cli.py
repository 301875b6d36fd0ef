"""The ``kb`` command line: thin commands, each one library call and a print.

Exit codes: 0 ok, 1 some inputs failed, 2 usage error. Errors kb raises on
purpose (``KbError``) become one line on stderr, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kb.config import Settings
from kb.errors import ConfigError, KbError, UsageError
from kb.library import Library
from kb.records import Filters, Hit, IngestReport, Progress
from kb.text.display import json_text, one_line, printable
from kb.text.limits import excerpt

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (UsageError, ConfigError) as exc:
            echo(f"kb: error: {exc}", err=True)
            sys.exit(2)
        except KbError as exc:
            echo(f"kb: error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _library(ctx: click.Context) -> Library:
    lib: Library = ctx.obj
    return lib


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """click.echo for lines that may hold document text or file names (see kb.text.display)."""
    click.echo(printable(text), err=err, nl=nl)


def _print_json(data: Any) -> None:
    click.echo(json_text(data))


@click.group()
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Index folder (default .kb, or KB_STORE_DIR).",
)
@click.pass_context
def cli(ctx: click.Context, store_dir: Path | None) -> None:
    """kb: cited search over child safeguarding practice reviews."""
    try:
        settings = Settings.from_env(store_dir=store_dir)
    except ConfigError as exc:
        echo(f"kb: error: {exc}", err=True)
        sys.exit(2)
    ctx.obj = Library(settings)
    ctx.call_on_close(ctx.obj.close)


def filter_options(func: F, *, file_flag: str = "--file") -> F:
    options = [
        click.option("--type", "doc_types", multiple=True, help="Document type (repeatable)."),
        click.option("--publisher", "publishers", multiple=True, help="Publisher (repeatable)."),
        click.option(file_flag, "files", multiple=True, help="File name (repeatable)."),
        click.option("--theme", "themes", multiple=True, help="Theme id (repeatable)."),
        click.option(
            "--kind", "kinds", multiple=True, help="Passage kind: passage or recommendation."
        ),
        click.option("--year-from", type=int, default=None),
        click.option("--year-to", type=int, default=None),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_filters(**kw: Any) -> Filters:
    return Filters(
        doc_types=tuple(kw.get("doc_types") or ()),
        publishers=tuple(kw.get("publishers") or ()),
        files=tuple(kw.get("files") or ()),
        themes=tuple(kw.get("themes") or ()),
        kinds=tuple(kw.get("kinds") or ()),
        year_from=kw.get("year_from"),
        year_to=kw.get("year_to"),
    )


# --------------------------------------------------------------------------- ingest


class ProgressBar:
    """One self-rewriting stderr line: files, pages/s and ETA by bytes."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        share = p.done_bytes / p.total_bytes if p.total_bytes else 1.0
        eta = p.elapsed * (1 - share) / share if share > 0 else 0.0
        width = 24
        bar = "#" * int(width * share) + "-" * (width - int(width * share))
        rate = p.pages / p.elapsed if p.elapsed > 0 else 0.0
        line = (
            f"\r[{bar}] {p.done_files}/{p.total_files} files  {p.pages} pages  "
            f"{rate:.1f} pages/s  ETA {eta:4.0f}s  {printable(p.current[:30]):<30}"
        )
        # Not echo(): the carriage return that rewrites the line is ours.
        click.echo(line, nl=False, err=True)
        if p.done_files == p.total_files:
            click.echo("", err=True)


def print_ingest_report(report: IngestReport) -> None:
    echo(
        f"added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, removed {len(report.removed)}, "
        f"failed {len(report.failed)}  |  {report.pages} pages, {report.chunks} chunks, "
        f"{report.seconds:.1f} s"
    )
    # one_line: a file may be named "a\nb.pdf"; each report stays one line per file.
    for f in report.failed:
        echo(f"  failed: {one_line(f.path, 1000)}: {one_line(f.reason)}")
    for f in report.skipped:
        echo(f"  skipped: {one_line(f.path, 1000)}: {one_line(f.reason)}")
    if report.orphans_removed:
        echo(f"  cleaned up {report.orphans_removed} interrupted document(s)")


@cli.command()
# readable=False: an unreadable file is that file's failure (exit 1), reported
# with the rest of the batch, not a usage error that stops the batch (exit 2).
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--prune", is_flag=True, help="Remove documents whose files are gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
@one_line_errors
def ingest(
    ctx: click.Context, paths: tuple[Path, ...], prune: bool, as_json: bool, quiet: bool
) -> None:
    """Parse, chunk and index PATHS (files or folders; default: the samples and the cache)."""
    settings = _library(ctx).settings
    targets = list(paths) or [p for p in (settings.samples_dir, settings.cache_dir) if p.is_dir()]
    report = _library(ctx).ingest(
        targets, prune=prune, progress=ProgressBar(not quiet and not as_json)
    )
    if as_json:
        _print_json(report.to_dict())
    else:
        print_ingest_report(report)
    ctx.exit(report.exit_code)


# --------------------------------------------------------------------------- search


def format_hit(n: int, hit: Hit) -> str:
    text = excerpt(" ".join(hit.chunk.text.split()), 400)
    return f"[{n}] {hit.citation()}  (score {hit.score:.3f})\n    {hit.document.file}\n    {text}\n"


@cli.command()
@click.argument("question")
@click.option("--top-k", type=click.IntRange(1, 200), default=10)
@click.option("--mode", type=click.Choice(["hybrid", "dense", "sparse"]), default="hybrid")
@filter_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def search(
    ctx: click.Context, question: str, top_k: int, mode: str, as_json: bool, **filters: Any
) -> None:
    """Top passages for QUESTION, each with its citation."""
    hits = _library(ctx).search(question, filters=make_filters(**filters), top_k=top_k, mode=mode)
    if as_json:
        _print_json([h.to_dict() for h in hits])
        return
    if not hits:
        echo("no passage found")
    for i, hit in enumerate(hits, 1):
        echo(format_hit(i, hit))


@cli.command()
@click.argument("question")
@click.option("--top-k", type=click.IntRange(1, 50), default=8, help="Passages to cite from.")
@filter_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def ask(ctx: click.Context, question: str, top_k: int, as_json: bool, **filters: Any) -> None:
    """An answer to QUESTION in verbatim, cited sentences (what the app shows)."""
    answer = _library(ctx).ask(question, filters=make_filters(**filters), top_k=top_k)
    if as_json:
        _print_json(answer.to_dict())
        return
    if answer.no_match:
        echo(answer.no_match_message)
        if answer.passages:
            echo("\nRelated passages (not an answer):\n")
    else:
        for line in answer.plain_lines():
            echo(line)
        for flag in answer.flags:
            echo(f"\nNote: {flag}.")
        echo("\nSources:\n")
    for i, hit in enumerate(answer.passages, 1):
        echo(format_hit(i, hit))


@cli.command(name="eval")
@click.argument("questions", type=click.Path(path_type=Path))
@click.option("--top-k", type=click.IntRange(1, 200), default=10, help="Passages per question.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "sparse"]), default="hybrid")
@click.option("--json", "as_json", is_flag=True, help="Metrics and per-question rows as JSON.")
@click.pass_context
@one_line_errors
def eval_command(
    ctx: click.Context, questions: Path, top_k: int, mode: str, as_json: bool
) -> None:
    """Retrieval metrics over QUESTIONS (JSONL with page-level relevance)."""
    import kb.evaluate as ev

    library = _library(ctx)
    asked = ev.load_questions(questions)
    # Broad questions are scored on the answer's findings too, so they are asked.
    answers = mode == "hybrid" and any(q.kind == "broad" for q in asked)

    def run(question: str) -> ev.Retrieval:
        if answers:
            return ev.answer_retrieval(library.ask(question, top_k=top_k))
        result = library.retrieve(question, top_k=top_k, mode=mode)
        passages = tuple(
            ev.RankedPassage(h.document.file, h.chunk.page_start, h.chunk.page_end)
            for h in result.hits
        )
        return ev.Retrieval(passages, result.no_match)

    result = ev.evaluate_runs(asked, run)
    if as_json:
        _print_json(result.to_dict())
        return
    echo(ev.format_report(result, title=f"{questions.name}: {mode}, top {top_k}"))


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Documents, pages and chunks in the index, and where it lives."""
    s = _library(ctx).stats()
    if as_json:
        _print_json(s.to_dict())
        return
    echo(
        f"documents {s.documents}\npages     {s.pages}\nchunks    {s.chunks}\n"
        f"backend   {s.backend}\nlocation  {s.location}\n"
        f"size      {s.size_bytes / 1e6:.1f} MB"
    )


@cli.command()
@click.option("--manifest", type=click.Path(path_type=Path), default=Path("corpus/manifest.yaml"),
              show_default=True, help="YAML list of GOV.UK publication paths.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def fetch(ctx: click.Context, manifest: Path, as_json: bool) -> None:
    """Download the manifest's publications (GOV.UK Content API) into the cache."""
    report = _library(ctx).fetch(manifest)
    if as_json:
        _print_json(report.to_dict())
    else:
        echo(report.summary_line())
        for failure in report.failed:
            echo(f"  failed: {failure.item}: {failure.reason}")
        echo(f"  cache: {_library(ctx).settings.cache_dir}")
    ctx.exit(report.exit_code)


# --------------------------------------------------------------------------- browse


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def docs(ctx: click.Context, as_json: bool) -> None:
    """Every document in the index, with its metadata and page and chunk counts."""
    documents = _library(ctx).documents()
    if as_json:
        _print_json([d.to_dict() for d in documents])
        return
    if not documents:
        echo("no documents: run `kb ingest` first")
    for d in documents:
        year = d.year if d.year is not None else "----"
        echo(
            f"{d.file}\n    {d.title or '(untitled)'}\n    {year}  {d.doc_type}  "
            f"{d.publisher or '(publisher unknown)'}  |  {d.n_pages} pages, {d.n_chunks} chunks"
            + ("  |  fictional" if d.fictional else "")
        )
    echo(f"{len(documents)} documents")


@cli.command()
@click.argument("query", required=False)
@click.option("--top-n", type=click.IntRange(1, 500), default=100, show_default=True,
              help="With a query: how many top hits to count.")
@filter_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def facets(
    ctx: click.Context, query: str | None, top_n: int, as_json: bool, **filters: Any
) -> None:
    """Passage counts by theme, type, publisher and year, for QUERY's top hits or the filters."""
    counts = _library(ctx).facets(query, make_filters(**filters), top_n=top_n)
    basis = f"top {top_n} passages for {query!r}" if query else "all passages matching the filters"
    if as_json:
        _print_json({"query": query, "basis": basis,
                     "facets": {k: {str(v): n for v, n in c.items()} for k, c in counts.items()}})
        return
    echo(f"counts of {basis}")
    for key, values in counts.items():
        echo(f"\n{key}")
        if not values:
            echo("  (none)")
        width = max((len(str(v)) for v in values), default=0)
        for value, n in values.items():
            echo(f"  {str(value):<{width}}  {n:>5}")


@cli.command()
@click.option("--text", "case_text", default=None, help="The case summary (100-300 words).")
@click.option("--file", "case_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Read the case summary from this text file.")
@click.option("--top-docs", type=click.IntRange(1, 50), default=5, show_default=True)
@functools.partial(filter_options, file_flag="--doc")  # --file is the case summary here
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def similar(
    ctx: click.Context,
    case_text: str | None,
    case_file: Path | None,
    top_docs: int,
    as_json: bool,
    **filters: Any,
) -> None:
    """Reviews that dealt with the same pattern as a case summary, with their best passages."""
    if (case_text is None) == (case_file is None):
        raise UsageError("give the case summary with exactly one of --text or --file")
    text = case_text if case_text is not None else case_file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    if not text.strip():
        raise UsageError("the case summary is empty")
    precedents = _library(ctx).similar(text, filters=make_filters(**filters), top_docs=top_docs)
    if as_json:
        _print_json([p.to_dict() for p in precedents])
        return
    if not precedents:
        echo("no similar document found")
    for n, p in enumerate(precedents, 1):
        d = p.document
        meta = ", ".join(str(x) for x in (d.publisher, d.year, d.doc_type) if x)
        echo(f"[{n}] {d.title or d.file}  (score {p.score:.3f})\n    {meta}\n    {d.file}")
        for hit in p.passages:
            shown = excerpt(" ".join(hit.chunk.text.split()), 300)
            echo(f"    - {hit.citation()}\n      {shown}")
        echo("")


def main() -> None:
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
