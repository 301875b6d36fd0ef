"""The ``kb`` command line: thin commands, each one library call and a print.

Exit codes: 0 ok, 1 some inputs failed, 2 usage error. Errors kb raises on
purpose (``KbError``) become one line on stderr, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import click

from kb.cli import index
from kb.cli.common import (
    echo,
    filter_options,
    library_of,
    make_filters,
    one_line_errors,
    print_json,
)
from kb.cli.index import ProgressBar, print_ingest_report
from kb.cli.learning import learning
from kb.cli.manage import docs, remove
from kb.config import Settings
from kb.errors import ConfigError, UsageError
from kb.library import Library
from kb.records import Hit
from kb.text.limits import excerpt

__all__ = ["ProgressBar", "cli", "main", "print_ingest_report"]


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
    ctx.call_on_close(functools.partial(_finish, ctx.obj))


def _finish(library: Library) -> None:
    # Served from an earlier generation because the live one is damaged: say so
    # once, on stderr, whatever the command printed.
    if library.notice:
        echo(f"kb: warning: {library.notice}", err=True)
    library.close()


for _command in (index.ingest, index.stats, index.check, learning, docs, remove):
    cli.add_command(_command)


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
    hits = library_of(ctx).search(question, filters=make_filters(**filters), top_k=top_k, mode=mode)
    if as_json:
        print_json([h.to_dict() for h in hits])
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
    answer = library_of(ctx).ask(question, filters=make_filters(**filters), top_k=top_k)
    if as_json:
        print_json(answer.to_dict())
        return
    if answer.no_match:
        echo(answer.no_match_message)
        if answer.passages:
            echo("\nRelated passages (not an answer):\n")
    else:
        broad = answer.form == "broad" and bool(answer.findings)
        for line in answer.summary_lines() if broad else answer.plain_lines():
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
def eval_command(ctx: click.Context, questions: Path, top_k: int, mode: str, as_json: bool) -> None:
    """Retrieval metrics over QUESTIONS (JSONL with page-level relevance)."""
    import kb.evaluate as ev

    library = library_of(ctx)
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
        print_json(result.to_dict())
        return
    echo(ev.format_report(result, title=f"{questions.name}: {mode}, top {top_k}"))


@cli.command()
@click.option(
    "--manifest",
    type=click.Path(path_type=Path),
    default=Path("corpus/manifest.yaml"),
    show_default=True,
    help="YAML list of GOV.UK publication paths.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def fetch(ctx: click.Context, manifest: Path, as_json: bool) -> None:
    """Download the manifest's publications (GOV.UK Content API) into the cache."""
    report = library_of(ctx).fetch(manifest)
    if as_json:
        print_json(report.to_dict())
    else:
        echo(report.summary_line())
        for failure in report.failed:
            echo(f"  failed: {failure.item}: {failure.reason}")
        echo(f"  cache: {library_of(ctx).settings.cache_dir}")
    ctx.exit(report.exit_code)


# --------------------------------------------------------------------------- browse


@cli.command()
@click.argument("query", required=False)
@click.option(
    "--top-n",
    type=click.IntRange(1, 500),
    default=100,
    show_default=True,
    help="With a query: how many top hits to count.",
)
@filter_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def facets(
    ctx: click.Context, query: str | None, top_n: int, as_json: bool, **filters: Any
) -> None:
    """Passage counts by theme, type, publisher and year, for QUERY's top hits or the filters."""
    counts = library_of(ctx).facets(query, make_filters(**filters), top_n=top_n)
    basis = f"top {top_n} passages for {query!r}" if query else "all passages matching the filters"
    if as_json:
        print_json(
            {
                "query": query,
                "basis": basis,
                "facets": {k: {str(v): n for v, n in c.items()} for k, c in counts.items()},
            }
        )
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
@click.option(
    "--file",
    "case_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read the case summary from this text file.",
)
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
    precedents = library_of(ctx).similar(text, filters=make_filters(**filters), top_docs=top_docs)
    if as_json:
        print_json([p.to_dict() for p in precedents])
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


cli.add_command(learning)


def main() -> None:
    cli(prog_name="kb")


if __name__ == "__main__":
    main()
