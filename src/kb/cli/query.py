"""``kb search``, ``kb ask``, ``kb eval`` and ``kb similar``: questions to the library."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click

from kb.cli.base import (
    _library,
    _print_json,
    cli,
    echo,
    filter_options,
    make_filters,
    one_line_errors,
)
from kb.errors import UsageError
from kb.records import Hit
from kb.text.limits import excerpt


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
        for s in answer.sentences:
            echo(f"- {' '.join(s.text.split())} [{s.citation}]")
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
