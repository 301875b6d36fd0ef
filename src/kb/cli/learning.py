"""``kb learning``: findings, recommendations and reflective questions across the library."""

from __future__ import annotations

from typing import Any

import click

from kb.answer.learning import AUDIENCES, LEARNING_ROLES, LEVELS, LearningEntry, LearningQuery
from kb.answer.recurring import RecurringGroup
from kb.cli.common import (
    echo,
    filter_options,
    library_of,
    make_filters,
    one_line_errors,
    print_json,
)
from kb.text.limits import excerpt

# The fields every JSON item has, first (the rest follow).
JSON_FIELDS = (
    "doc",
    "page_start",
    "page_end",
    "section",
    "role",
    "addressee_level",
    "addressee",
    "audience",
    "text",
)


@click.command()
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(LEARNING_ROLES),
    help="Learning role (repeatable).",
)
@click.option(
    "--addressee-level",
    "levels",
    multiple=True,
    type=click.Choice(LEVELS),
    help="Recommendations to national or local bodies.",
)
@click.option(
    "--addressee",
    "addressees",
    multiple=True,
    help="Addressee named, any part, any case (repeatable).",
)
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    type=click.Choice(AUDIENCES),
    help="Reflective questions for this audience.",
)
@click.option("--query", default="", help="Rank by relevance to this text.")
@click.option("--limit", type=click.IntRange(0, None), default=0, help="At most N items (0: all).")
@click.option("--group", is_flag=True, help="Group recurring recommendations across documents.")
@filter_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def learning(ctx: click.Context, group: bool, as_json: bool, **kw: Any) -> None:
    """Findings, recommendations, reflective questions, practice episodes and good
    practice across the library, each with its file, page, section and addressee."""
    query = LearningQuery(
        roles=tuple(kw.pop("roles")),
        levels=tuple(kw.pop("levels")),
        addressees=tuple(kw.pop("addressees")),
        audiences=tuple(kw.pop("audiences")),
        query=kw.pop("query"),
        limit=kw.pop("limit"),
    )
    library = library_of(ctx)
    filters = make_filters(**kw)
    if group:
        groups = library.recurring(query, filters)
        if query.limit:
            groups = groups[: query.limit]
        if as_json:
            print_json([_group_json(g) for g in groups])
        else:
            _print_groups(groups)
        return
    entries = library.learning(query, filters)
    if as_json:
        print_json([_entry_json(e) for e in entries])
        return
    if not entries:
        echo("no learning item matches")
    for n, entry in enumerate(entries, 1):
        echo(_entry_line(n, entry))


def _entry_json(entry: LearningEntry) -> dict[str, Any]:
    data = entry.to_dict()
    return {**{k: data[k] for k in JSON_FIELDS}, **data}


def _group_json(group: RecurringGroup) -> dict[str, Any]:
    data = group.to_dict()
    data["items"] = [_entry_json(e) for e in group.entries]
    return data


def _entry_line(n: int, entry: LearningEntry) -> str:
    who = ""
    if entry.role == "recommendation":
        who = f" to {entry.addressee or '(addressee not named)'} ({entry.addressee_level})"
    elif entry.audience:
        who = f" for {entry.audience}"
    head = f"[{n}] {entry.role}{who}"
    return f"{head}\n    {excerpt(entry.text, 400)}\n    {entry.citation()} - {entry.section}"


def _print_groups(groups: list[RecurringGroup]) -> None:
    if not groups:
        echo("no recommendation is made in more than one document")
    for n, g in enumerate(groups, 1):
        echo(f"[{n}] {g.documents} documents recommended: {excerpt(g.label, 200)}")
        for entry in g.entries:
            echo(f"    - ({entry.year or 'n.d.'}) {excerpt(entry.text, 160)}")
            echo(f"      {entry.citation()}")
        echo("")
