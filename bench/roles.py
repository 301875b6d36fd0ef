"""Precision and recall of the review-anatomy roles (kb.enrich.roles) against hand labels.

    python bench/roles.py                       # ingest corpus/fictional into a temp store
    python bench/roles.py --store DIR           # or read the chunks of a store built from it
    python bench/roles.py --time STORE          # time the tagger over every chunk of STORE

Fictional labels (tests/data/fictional_roles.jsonl, written by corpus/fictional_src/build.py)
label every finding, recommendation, reflective question, practice episode and example of
good practice in the twelve samples, as a text span on a page. The chunks are re-tagged
here with the current code, so a store built before a change still measures the change.

A predicted item of role R is a true positive when it holds a label of role R in the same
document (the label's text is inside the item's text, or is the heading the item sits
under, or the item is inside the label); an item of role R that holds no label of role R is
a false positive. A label of role R is found when some item of role R holds it. The labels
cover every instance, so an item that matches no label is a real false positive.
Addressee level is scored on the found recommendation labels.

Real labels (tests/data/theme_labels.jsonl): 202 real chunks hand-labelled for whether they
are a recommendation; a chunk counts as predicted when it yields a recommendation item.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, quiet_third_parties  # noqa: E402

FICTIONAL_LABELS = REPO / "tests" / "data" / "fictional_roles.jsonl"
REAL_LABELS = REPO / "tests" / "data" / "theme_labels.jsonl"


def _flat(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).lower()


def fictional_chunks(store: Path | None) -> dict[str, tuple[str, list]]:
    """Each document's type and chunks (file -> (doc_type, chunks in order))."""
    from kb.config import Settings
    from kb.library import Library

    if store is None:
        root = Path(tempfile.mkdtemp(prefix="kb-roles-"))
        settings = Settings.of(store_dir=root / ".kb", ocr=False, parse_timeout=0, themes=False)
        library = Library(settings)
        library.ingest([REPO / "corpus" / "fictional"])
    else:
        library = Library(Settings.of(store_dir=store))
    try:
        return {
            d.file: (d.doc_type, library.chunks_of(d.doc_id))
            for d in library.documents()
            if d.fictional
        }
    finally:
        library.close()


def items_by_doc(chunks: dict[str, tuple[str, list]]) -> dict[str, list]:
    from kb.enrich.roles import tag_roles

    return {
        doc: [i for c in tag_roles(cs, doc_type) for i in c.items]
        for doc, (doc_type, cs) in chunks.items()
    }


def _holds(item, label: dict) -> bool:
    text, want = _flat(item.text), _flat(label["text"])
    return want in text or want == _flat(item.section) or (len(text) > 30 and text in want)


def score_fictional(items: dict[str, list], labels: list[dict]) -> dict[str, dict]:
    roles = sorted({r["role"] for r in labels})
    table: dict[str, dict] = {}
    for role in roles:
        tp = fp = 0
        found: set[int] = set()
        for doc, doc_items in items.items():
            mine = [(i, r) for i, r in enumerate(labels) if r["doc"] == doc and r["role"] == role]
            for item in (x for x in doc_items if x.role == role):
                hits = [i for i, r in mine if _holds(item, r)]
                found.update(hits)
                tp, fp = (tp + 1, fp) if hits else (tp, fp + 1)
        n = sum(1 for r in labels if r["role"] == role)
        table[role] = {"labels": n, "items": tp + fp, "tp": tp, "fp": fp, "found": len(found)}
    return table


def score_levels(items: dict[str, list], labels: list[dict]) -> Counter:
    out: Counter = Counter()
    for label in (r for r in labels if r["role"] == "recommendation"):
        matches = [i for i in items.get(label["doc"], []) if i.role == "recommendation"]
        match = next((i for i in matches if _holds(i, label)), None)
        if match is None:
            continue
        out[(label["addressee_level"], match.addressee_level)] += 1
        out["addressee_named"] += bool(match.addressee)
        out["addressee_exact"] += _flat(match.addressee or "") == _flat(label["addressee"] or "")
    return out


def score_real() -> Counter:
    from kb.enrich.roles import tag_roles
    from kb.records import Chunk

    out: Counter = Counter()
    for line in REAL_LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        chunk = Chunk(
            "x", 0, row["text"], row["page_start"], row["page_end"], tuple(row["heading_path"])
        )
        tagged = tag_roles([chunk])[0]
        predicted = any(i.role == "recommendation" for i in tagged.items)
        out[(bool(row["recommendation"]), predicted)] += 1
        for item in tagged.items:
            out["items:" + item.role] += 1
    return out


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def report(table: dict[str, dict], levels: Counter, real: Counter) -> None:
    print("| role | labels | items | TP | FP | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for role, t in table.items():
        print(
            f"| {role} | {t['labels']} | {t['items']} | {t['tp']} | {t['fp']} | "
            f"{_ratio(t['tp'], t['items'])} | {_ratio(t['found'], t['labels'])} |"
        )
    print("\naddressee level (gold, predicted): count")
    for key in sorted(k for k in levels if isinstance(k, tuple)):
        print(f"  {key}: {levels[key]}")
    found = sum(v for k, v in levels.items() if isinstance(k, tuple))
    right = sum(v for k, v in levels.items() if isinstance(k, tuple) and k[0] == k[1])
    print(
        f"  level right: {right}/{found} = {_ratio(right, found)}; addressee named: "
        f"{levels['addressee_named']}/{found}; exactly as labelled: {levels['addressee_exact']}"
    )
    tp, fp, fn = real[(True, True)], real[(False, True)], real[(True, False)]
    print(
        f"\nreal chunks (theme_labels.jsonl), recommendation: TP {tp} FP {fp} FN {fn} "
        f"precision {_ratio(tp, tp + fp)} recall {_ratio(tp, tp + fn)}"
    )
    print(
        "  items on the real chunks by role:",
        {k[6:]: v for k, v in sorted((k, v) for k, v in real.items() if isinstance(k, str))},
    )


def time_tagger(store: Path) -> None:
    from kb.config import Settings
    from kb.enrich.roles import tag_roles
    from kb.library import Library

    library = Library(Settings.of(store_dir=store))
    docs = [(d.doc_type, library.chunks_of(d.doc_id)) for d in library.documents()]
    library.close()
    n = sum(len(d) for _, d in docs)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for doc_type, chunks in docs:
            tag_roles(chunks, doc_type)
        best = min(best, time.perf_counter() - start)
    print(
        f"tag_roles over {n} chunks of {len(docs)} documents: best of 3 {best:.3f} s "
        f"({1000 * best / max(n, 1):.3f} ms per chunk)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a store built from corpus/fictional")
    parser.add_argument("--time", type=Path, metavar="STORE", help="time the tagger only")
    args = parser.parse_args()
    quiet_third_parties()
    if args.time:
        time_tagger(args.time)
        return
    labels = [json.loads(x) for x in FICTIONAL_LABELS.read_text(encoding="utf-8").splitlines()]
    items = items_by_doc(fictional_chunks(args.store))
    report(score_fictional(items, labels), score_levels(items, labels), score_real())


if __name__ == "__main__":
    main()
