"""Per-theme precision and recall of the theme tagger against the hand labels.

    python bench/themes.py            # print the table (markdown)
    python bench/themes.py --write    # also choose levels, write kb/data/theme_calibration.yaml

The labels (tests/data/theme_labels.jsonl) are real chunks of the real corpus, each read
and tagged by hand. Each chunk is embedded exactly as ingest embeds it (kb.ingest.run's
embedding_inputs and the model's embed_passages at its default precision), so the
similarity signal here is the one the tagger sees at ingest.

For every theme and every strictness level of kb.enrich.themes.LADDER this counts true
positives, false positives and false negatives; the calibration keeps, per theme, the
loosest level with precision >= 0.8 and at least two true positives, else level 0 (the
theme is not tagged). Because levels are chosen on the same labels they are scored on,
the in-sample precision is optimistic; the script also reports a cross-validated figure
(levels chosen on four fifths of the documents, scored on the held-out fifth).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, quiet_third_parties  # noqa: E402

LABELS = REPO / "tests" / "data" / "theme_labels.jsonl"
TAXONOMY = REPO / "src" / "kb" / "data" / "taxonomy.yaml"
MIN_TRUE_POSITIVES = 2
FOLDS = 5


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def load_labels(path: Path = LABELS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evidence_for(rows: Sequence[dict]):  # type: ignore[no-untyped-def]
    from kb.config import Settings
    from kb.embed.minilm import MiniLMEmbedder
    from kb.enrich.taxonomy import load_taxonomy
    from kb.enrich.themes import ThemeScorer
    from kb.ingest.run import embedding_inputs
    from kb.records import Chunk, Document

    taxonomy = load_taxonomy(TAXONOMY)
    embedder = MiniLMEmbedder(Settings().embed)
    texts, spans = [], []
    for r in rows:  # each label has its own document title
        document = Document(doc_id="label", file=r["file"], title=r.get("title", ""))
        chunk = Chunk(
            doc_id="label", index=0, text=r["text"], page_start=r["page_start"],
            page_end=r["page_end"], heading_path=tuple(r.get("heading_path") or ()),
        )
        text, span = embedding_inputs(document, [chunk])
        texts += text
        spans += span
    vectors, _ = embedder.embed_passages(texts, spans)
    scorer = ThemeScorer(taxonomy, embedder)
    return taxonomy, scorer.evidence([r["text"] for r in rows], vectors)


def counts_at(taxonomy, rows, evidence, theme_id: str, level: int, subset=None) -> Counts:  # type: ignore[no-untyped-def]
    from kb.enrich.themes import level_tags

    min_hits = taxonomy.get(theme_id).min_hits
    c = Counts()
    for i, row in enumerate(rows):
        if subset is not None and i not in subset:
            continue
        ev = evidence[i]
        pred = level_tags(level, min_hits, ev.hits.get(theme_id, 0), ev.z.get(theme_id, 0.0))
        gold = theme_id in row["themes"]
        c = c + Counts(int(pred and gold), int(pred and not gold), int(gold and not pred))
    return c


def choose_level(taxonomy, rows, evidence, theme_id: str, subset=None) -> int:  # type: ignore[no-untyped-def]
    from kb.enrich.themes import MAX_LEVEL, TARGET_PRECISION

    for level in range(1, MAX_LEVEL + 1):
        c = counts_at(taxonomy, rows, evidence, theme_id, level, subset)
        if c.tp >= MIN_TRUE_POSITIVES and (c.precision or 0.0) >= TARGET_PRECISION:
            return level
    return 0


def fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="write kb/data/theme_calibration.yaml")
    args = parser.parse_args(argv)
    quiet_third_parties()
    from kb.enrich.kinds import RECOMMENDATION, detect_kind
    from kb.enrich.themes import CALIBRATION_NAME, calibration_document

    rows = load_labels()
    taxonomy, evidence = evidence_for(rows)
    files = sorted({r["file"] for r in rows})
    fold_of = {f: k % FOLDS for k, f in enumerate(files)}

    levels: dict[str, int] = {}
    measured: dict[str, dict[str, object]] = {}
    lines = [
        "| theme | labelled | keyword rule P / R | level | P | R | TP/FP/FN | ships |",
        "|---|---:|---|---:|---:|---:|---|---|",
    ]
    shipped_total = Counts()
    cv_total = Counts()
    for theme in taxonomy.themes:
        tid = theme.id
        support = sum(1 for r in rows if tid in r["themes"])
        base = counts_at(taxonomy, rows, evidence, tid, 1)
        level = choose_level(taxonomy, rows, evidence, tid)
        levels[tid] = level
        at = counts_at(taxonomy, rows, evidence, tid, level) if level else Counts(0, 0, support)
        if level:
            shipped_total = shipped_total + at
            # Cross-validation: pick the level without the held-out documents' labels.
            for k in range(FOLDS):
                train = {i for i, r in enumerate(rows) if fold_of[r["file"]] != k}
                test = {i for i, r in enumerate(rows) if fold_of[r["file"]] == k}
                lv = choose_level(taxonomy, rows, evidence, tid, train)
                if lv:
                    cv_total = cv_total + counts_at(taxonomy, rows, evidence, tid, lv, test)
                else:
                    cv_total = cv_total + Counts(0, 0, sum(tid in rows[i]["themes"] for i in test))
        measured[tid] = {
            "labelled": support,
            "precision": None if at.precision is None else round(at.precision, 2),
            "recall": None if at.recall is None else round(at.recall, 2),
        }
        lines.append(
            f"| {tid} | {support} | {fmt(base.precision)} / {fmt(base.recall)} | {level} | "
            f"{fmt(at.precision) if level else '–'} | {fmt(at.recall) if level else '–'} | "
            f"{at.tp}/{at.fp}/{at.fn} | {'yes' if level else 'no'} |"
        )
    print(f"{len(rows)} hand-labelled chunks from {len(files)} documents\n")
    print("\n".join(lines))
    print(
        f"\nshipped themes, micro-averaged in-sample: P {fmt(shipped_total.precision)} "
        f"R {fmt(shipped_total.recall)}; cross-validated by document ({FOLDS} folds): "
        f"P {fmt(cv_total.precision)} R {fmt(cv_total.recall)}"
    )
    rec = Counts()
    for r in rows:
        pred = detect_kind(r["text"], r.get("heading_path") or ()) == RECOMMENDATION
        gold = bool(r.get("recommendation"))
        rec = rec + Counts(int(pred and gold), int(pred and not gold), int(gold and not pred))
    print(
        f"recommendation passages: {rec.tp + rec.fn} labelled, precision {fmt(rec.precision)}, "
        f"recall {fmt(rec.recall)} (TP/FP/FN {rec.tp}/{rec.fp}/{rec.fn})"
    )
    if args.write:
        target = TAXONOMY.with_name(CALIBRATION_NAME)
        target.write_text(
            calibration_document(levels, measured, "tests/data/theme_labels.jsonl"),
            encoding="utf-8",
        )
        print(f"wrote {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
