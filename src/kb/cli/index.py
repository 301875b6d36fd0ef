"""The index commands: ``kb ingest``, ``kb stats`` and ``kb check``."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.common import echo, library_of, one_line_errors, print_json
from kb.records import IngestReport, Progress
from kb.text.display import one_line, printable


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
    for f in report.unread:
        echo(f"  note: {one_line(f.path, 1000)}: {one_line(f.reason)}")
    if report.orphans_removed:
        echo(f"  cleaned up {report.orphans_removed} interrupted document(s)")
    for note in report.notes:
        echo(f"  note: {one_line(note, 1000)}")


@click.command()
# readable=False: an unreadable file is that file's failure (exit 1), reported
# with the rest of the batch, not a usage error that stops the batch (exit 2).
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--prune", is_flag=True, help="Remove documents whose files are gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--rebuild", is_flag=True, help="Make a new index from the sources, embedding all.")
@click.pass_context
@one_line_errors
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    prune: bool,
    as_json: bool,
    quiet: bool,
    rebuild: bool,
) -> None:
    """Parse, chunk and index PATHS (files or folders; default: the samples and the cache).

    Documents whose passages are missing or damaged in the index are embedded
    again, even when their files are unchanged."""
    settings = library_of(ctx).settings
    targets = list(paths) or [p for p in (settings.samples_dir, settings.cache_dir) if p.is_dir()]
    report = library_of(ctx).ingest(
        targets, prune=prune, progress=ProgressBar(not quiet and not as_json), rebuild=rebuild
    )
    if as_json:
        print_json(report.to_dict())
    else:
        print_ingest_report(report)
    ctx.exit(report.exit_code)


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@one_line_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Documents, pages and chunks in the index, and where it lives."""
    s = library_of(ctx).stats()
    if as_json:
        print_json(s.to_dict())
        return
    echo(
        f"documents {s.documents}\npages     {s.pages}\nchunks    {s.chunks}\n"
        f"backend   {s.backend}\nlocation  {s.location}\n"
        f"size      {s.size_bytes / 1e6:.1f} MB"
        + "".join(f"\n{what:<9} {how}" for what, how in s.embedding.items())
        + (f"\nhealth    {s.notice}" if s.notice else "")
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The result as JSON, for a program.")
@click.pass_context
@one_line_errors
def check(ctx: click.Context, as_json: bool) -> None:
    """Verify the index in full: one line per problem, naming the document or file.

    Exit code 1 when there is a problem; `kb ingest` repairs what it names."""
    report = library_of(ctx).check()
    if as_json:
        print_json(report.to_dict())
    else:
        for problem in report.problems:
            echo(one_line(problem.line(), 1000))
        for note in report.notes:
            echo(f"note: {one_line(note, 1000)}")
        verdict = "damaged" if report.problems else "ok"
        echo(
            f"{verdict}: generation {report.generation or '-'}, {report.documents} documents, "
            f"{report.chunks} passages, {len(report.problems)} problem(s), {report.seconds:.1f} s"
        )
    ctx.exit(0 if report.ok else 1)
