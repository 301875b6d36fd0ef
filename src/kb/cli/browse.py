"""``kb stats`` and ``kb facets``: what the library holds, counted."""

from __future__ import annotations

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
    counts = _library(ctx).facets(query, make_filters(**filters), top_n=top_n)
    basis = f"top {top_n} passages for {query!r}" if query else "all passages matching the filters"
    if as_json:
        _print_json(
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
