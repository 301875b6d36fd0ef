"""``kb ingest`` and ``kb fetch``: adding documents, with a progress line and a report."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.base import _library, _print_json, cli, echo, one_line_errors
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
    report = _library(ctx).fetch(manifest)
    if as_json:
        _print_json(report.to_dict())
    else:
        echo(report.summary_line())
        for failure in report.failed:
            echo(f"  failed: {failure.item}: {failure.reason}")
        echo(f"  cache: {_library(ctx).settings.cache_dir}")
    ctx.exit(report.exit_code)
