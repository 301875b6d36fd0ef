"""Answer sentences: how many an answer quotes, and how many come from a labelled page.

    python bench/answers.py --store DIR [--questions FILE ...]

Build the store first: ``kb --store DIR ingest ../shared/corpus/real --quiet``.
Over the answerable questions (default: ../shared/eval/dev_questions.jsonl),
``Library.ask`` (top 8, as ``kb ask``) is scored on its answer sentences:

- sentences per answer;
- the share of them citing a passage that holds a labelled page;
- answers with at least one such sentence;
- for questions asking for a kind of fact (``kb.retrieve.answertype``): answers
  whose first sentence states one.

Baseline in the same run, over the same passages: the lead, the first two
sentence candidates of the first passage (what a reader sees first).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEV_QUESTIONS, quiet_third_parties, require_shared  # noqa: E402

LEAD = 2


def _on_labelled_page(hit, relevant) -> bool:  # type: ignore[no-untyped-def]
    c = hit.chunk
    return any(
        doc == hit.document.file and any(c.page_start <= p <= c.page_end for p in pages)
        for doc, pages in relevant
    )


Scored = tuple[list[tuple[str, bool]], str, str]


def _row(name: str, answers: Sequence[Scored]) -> str:
    """``answers``: per question, its (sentence, from a labelled page) list, the
    kind of fact it asks for ("" for none) and the question."""
    from kb.retrieve.answertype import states_answer_type

    said = [a for a, _, _ in answers if a]
    n = sum(len(a) for a in said)
    labelled = sum(ok for a in said for _, ok in a)
    with_one = sum(any(ok for _, ok in a) for a in said)
    typed = [(a, kind, q) for a, kind, q in answers if kind]
    first_states = sum(bool(a) and states_answer_type(kind, a[0][0], q) for a, kind, q in typed)
    return (
        f"{name:32s} answers {len(said):3d}  sentences/answer {n / max(len(said), 1):.2f}  "
        f"from a labelled page {labelled / max(n, 1):.3f}  "
        f"answers with one {with_one:3d}  "
        f"typed questions whose first sentence states the fact {first_states}/{len(typed)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--questions", type=Path, nargs="*", default=[DEV_QUESTIONS])
    args = parser.parse_args(argv)
    require_shared()
    quiet_third_parties()

    from kb import Library
    from kb.answer.extract import candidates
    from kb.config import Settings
    from kb.evaluate import load_questions
    from kb.retrieve.answertype import asked_type

    library = Library(Settings.from_env(store_dir=args.store))
    kb_rows: list[Scored] = []
    lead_rows: list[Scored] = []
    try:
        for path in args.questions:
            for q in load_questions(path):
                if not q.relevant:
                    continue
                answer = library.ask(q.question, top_k=8)
                kind = asked_type(q.question)
                if answer.no_match:
                    kb_rows.append(([], kind, q.question))
                    lead_rows.append(([], kind, q.question))
                    continue
                kb_rows.append(
                    (
                        [
                            (s.text, _on_labelled_page(answer.passages[s.citation - 1], q.relevant))
                            for s in answer.sentences
                        ],
                        kind,
                        q.question,
                    )
                )
                first = answer.passages[:1]
                lead = [c.text for c in candidates(first, 1)][:LEAD]
                on_page = bool(first) and _on_labelled_page(first[0], q.relevant)
                lead_rows.append(([(t, on_page) for t in lead], kind, q.question))
    finally:
        library.close()
    print(_row("kb (Library.ask, top 8)", kb_rows))
    print(_row(f"baseline: lead {LEAD} of passage 1", lead_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
