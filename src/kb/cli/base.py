"""The ``kb`` command group and what every command shares: one-line errors,
printing document text safely, and the search filter options.

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
from kb.records import Filters
from kb.text.display import json_text, printable

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
