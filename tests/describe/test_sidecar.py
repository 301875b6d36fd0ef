"""Tests for kb.describe.sidecar: reading and writing metadata.csv/.yaml/.yml manifests."""

from __future__ import annotations

import csv
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kb
from kb.describe import sidecar
from kb.describe.sidecar import SIDECAR_FIELDS, load_sidecar, write_sidecar_csv
from kb.errors import ConfigError


def test_missing_sidecar_is_empty(tmp_path: Path) -> None:
    assert load_sidecar(tmp_path) == {}
    assert load_sidecar(tmp_path / "no-such-folder") == {}


def test_sidecar_csv(tmp_path: Path) -> None:
    # Written with a byte-order mark, as spreadsheets save it.
    (tmp_path / "metadata.csv").write_text(
        "file,title,publisher,year,doc_type,source_url,fictional\n"
        "a.pdf,  Review: Child A ,Eastmarsh Safeguarding Children Partnership,2023,"
        "local_review,https://example.org/a.pdf,true\n"
        "b.pdf,,,,,,\n"
        ",,,,,,\n",
        encoding="utf-8-sig",
    )
    data = load_sidecar(tmp_path)
    assert data == {
        "a.pdf": {
            "title": "Review: Child A",
            "publisher": "Eastmarsh Safeguarding Children Partnership",
            "year": 2023,
            "doc_type": "local_review",
            "source_url": "https://example.org/a.pdf",
            "fictional": True,
        },
        "b.pdf": {
            "title": "",
            "publisher": "",
            "year": None,
            "doc_type": "",
            "source_url": "",
            "fictional": False,
        },
    }


def test_sidecar_csv_without_fictional_column(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text(
        "file,title,publisher,year,doc_type,source_url\nc.pdf,C,DfE,2024,Statutory Guidance,\n"
    )
    assert load_sidecar(tmp_path)["c.pdf"]["doc_type"] == "statutory_guidance"
    assert load_sidecar(tmp_path)["c.pdf"]["fictional"] is False


def test_sidecar_yaml_mapping(tmp_path: Path) -> None:
    (tmp_path / "metadata.yaml").write_text(
        "a.pdf:\n"
        "  title: Thematic Review\n"
        "  year: 2022\n"
        "  doc_type: thematic_review\n"
        "  fictional: yes\n"
        "b.pdf:\n"
    )
    data = load_sidecar(tmp_path)
    assert data["a.pdf"]["title"] == "Thematic Review"
    assert data["a.pdf"]["year"] == 2022
    assert data["a.pdf"]["doc_type"] == "thematic_review"
    assert data["a.pdf"]["fictional"] is True
    assert data["b.pdf"]["year"] is None


def test_sidecar_yml_list(tmp_path: Path) -> None:
    (tmp_path / "metadata.yml").write_text(
        "- file: a.pdf\n  title: A\n  year: '2021'\n"
        "- file: b.docx\n  publisher: Ofsted\n  doc_type: inspection_report\n"
    )
    data = load_sidecar(tmp_path)
    assert set(data) == {"a.pdf", "b.docx"}
    assert data["a.pdf"]["year"] == 2021
    assert data["b.docx"]["publisher"] == "Ofsted"


def test_bad_doc_type_in_csv_names_file_and_row(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text(
        "file,title,publisher,year,doc_type,source_url\n"
        "a.pdf,A,,2020,local_review,\n"
        "b.pdf,B,,2021,case_study,\n"
    )
    with pytest.raises(ConfigError) as err:
        load_sidecar(tmp_path)
    message = str(err.value)
    assert "metadata.csv" in message
    assert "row 3" in message
    assert "b.pdf" in message
    assert "case_study" in message


def test_bad_doc_type_in_yaml_names_file_and_entry(tmp_path: Path) -> None:
    (tmp_path / "metadata.yaml").write_text("- file: a.pdf\n  doc_type: leaflet\n")
    with pytest.raises(ConfigError, match=r"metadata\.yaml: item 1 \(a\.pdf\).*leaflet"):
        load_sidecar(tmp_path)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("metadata.csv", "title,year\nA,2020\n", "no 'file' column"),
        ("metadata.csv", "file,year\na.pdf,twenty\n", "row 2"),
        ("metadata.csv", "file,year\na.pdf,2020\na.pdf,2021\n", "listed twice"),
        ("metadata.yaml", "a.pdf: [1, 2]\n", "expected a mapping"),
        ("metadata.yaml", "a.pdf: {title: [unclosed\n", "cannot read"),
        ("metadata.yaml", "just a string\n", "expected a mapping"),
        ("metadata.yml", "- title: no file key\n", "no 'file' given"),
    ],
)
def test_malformed_sidecars_raise_config_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_sidecar(tmp_path)
    assert name in str(err.value)


def test_two_sidecars_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text("file,title\na.pdf,A\n")
    (tmp_path / "metadata.yaml").write_text("a.pdf: {title: B}\n")
    with pytest.raises(ConfigError, match="more than one"):
        load_sidecar(tmp_path)


# --- writing ---------------------------------------------------------------------------------


def test_write_sidecar_csv_round_trips_through_load_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "metadata.csv"
    write_sidecar_csv(
        path,
        [
            {
                "file": "a.pdf",
                "title": 'Review, "Child A"',  # a comma and quotes need quoting
                "publisher": "Ofsted",
                "year": 2023,
                "doc_type": "inspection_report",
                "source_url": "https://www.gov.uk/a",
                "fictional": "",
                "sha256": "not part of the schema",
            },
            {"file": "b.pdf", "title": "B"},
        ],
    )
    with path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == SIDECAR_FIELDS
    assert "sha256" not in path.read_text(encoding="utf-8")
    assert load_sidecar(tmp_path) == {
        "a.pdf": {
            "title": 'Review, "Child A"',
            "publisher": "Ofsted",
            "year": 2023,
            "doc_type": "inspection_report",
            "source_url": "https://www.gov.uk/a",
            "fictional": False,
        },
        "b.pdf": {
            "title": "B",
            "publisher": "",
            "year": None,
            "doc_type": "",
            "source_url": "",
            "fictional": False,
        },
    }
    assert [p.name for p in tmp_path.iterdir()] == ["metadata.csv"]  # no temporary left
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_sidecar_csv_replaces_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "metadata.csv"
    write_sidecar_csv(path, [{"file": "old.pdf", "title": "Old"}])
    before = path.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        write_sidecar_csv(path, [{"file": "new.pdf", "title": "New"}])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["metadata.csv"]


# --- bounded reading -------------------------------------------------------------------------


def _alias_bomb(levels: int = 10, width: int = 9) -> str:
    """A "billion laughs" sidecar: each level lists the level below ``width`` times."""
    lines = ["- file: a.pdf", f"  l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    lines.append(f"  title: *l{levels - 1}")  # str() of this would be 9**10 * 5 characters
    return "\n".join(lines) + "\n"


# Run in a child process so that its peak memory is the sidecar's, not the test suite's.
_LOAD_AND_MEASURE = """
import resource, sys
from pathlib import Path
from kb.describe.sidecar import load_sidecar
from kb.errors import ConfigError
try:
    load_sidecar(Path(sys.argv[1]))
except ConfigError as exc:
    print("error:", exc)
else:
    print("loaded")
status = Path("/proc/self/status")
if status.exists():
    # VmHWM is this program's own peak. ru_maxrss would not do on Linux: it carries
    # the high-water mark of the process that forked us (the test suite, with the
    # model loaded) across exec.
    hwm = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
    print("peak_mb:", int(hwm.split()[1]) // 1024)
else:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS
    print("peak_mb:", peak // (1 << 20) if sys.platform == "darwin" else peak // 1024)
"""


def test_nested_alias_yaml_fails_fast_in_a_small_process(tmp_path: Path) -> None:
    (tmp_path / "metadata.yaml").write_text(_alias_bomb())
    src = str(Path(kb.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_MEASURE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout  # the error is one line
    assert lines[0].startswith("error: metadata.yaml: refused: more than "), lines[0]
    peak_mb = int(lines[1].removeprefix("peak_mb: "))
    assert peak_mb < 500, f"loading the sidecar peaked at {peak_mb} MB"
    assert elapsed < 30, f"took {elapsed:.1f}s"


def test_nested_alias_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "metadata.yml").write_text(_alias_bomb())
    with pytest.raises(ConfigError, match=r"^metadata\.yml: refused: .*YAML nodes") as err:
        load_sidecar(tmp_path)
    assert "\n" not in str(err.value)


def test_a_few_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    (tmp_path / "metadata.yaml").write_text(
        "a.pdf: &partnership\n"
        "  publisher: Eastmarsh Safeguarding Children Partnership\n"
        "  doc_type: local_review\n"
        "b.pdf:\n"
        "  <<: *partnership\n"
        "  title: Review B\n"
    )
    data = load_sidecar(tmp_path)
    assert data["b.pdf"]["publisher"] == "Eastmarsh Safeguarding Children Partnership"
    assert data["b.pdf"]["doc_type"] == "local_review"
    assert data["b.pdf"]["title"] == "Review B"


def test_aliases_repeating_a_long_value_count_its_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sidecar, "MAX_YAML_CHARS", 1_000)
    long_title = "x" * 300
    (tmp_path / "metadata.yaml").write_text(
        f"a.pdf: {{title: &t {long_title}}}\n"
        + "".join(f"f{i}.pdf: {{title: *t}}\n" for i in range(4))
    )
    with pytest.raises(ConfigError, match=r"metadata\.yaml: refused: more than 1,000 characters"):
        load_sidecar(tmp_path)


def test_yaml_with_too_many_nodes_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sidecar, "MAX_YAML_NODES", 100)
    (tmp_path / "metadata.yaml").write_text(f"- file: a.pdf\n  notes: [{', '.join(['n'] * 200)}]\n")
    with pytest.raises(ConfigError, match=r"metadata\.yaml: refused: more than 100 YAML nodes"):
        load_sidecar(tmp_path)


@pytest.mark.parametrize("name", ["metadata.csv", "metadata.yaml"])
def test_sidecar_over_the_size_cap_is_refused(tmp_path: Path, name: str) -> None:
    filler = "#" + "x" * 99 + "\n" if name.endswith(".yaml") else "a.pdf,padding\n"
    header = "file,title\n" if name.endswith(".csv") else ""
    copies = sidecar.MAX_SIDECAR_BYTES // len(filler) + 1
    (tmp_path / name).write_text(header + filler * copies)
    with pytest.raises(ConfigError, match=rf"^{re.escape(name)}: larger than 2,000,000 bytes$"):
        load_sidecar(tmp_path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("metadata.csv", "file,title\na.pdf,A\nb.pdf,B\n\nc.pdf,C\n"),
        ("metadata.yaml", "a.pdf: {}\nb.pdf: {}\nc.pdf: {}\n"),
        ("metadata.yml", "- file: a.pdf\n- file: b.pdf\n- file: c.pdf\n"),
    ],
)
def test_sidecar_with_too_many_entries_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    monkeypatch.setattr(sidecar, "MAX_SIDECAR_ENTRIES", 2)
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=rf"^{re.escape(name)}: more than 2 entries$"):
        load_sidecar(tmp_path)


def test_csv_with_too_many_columns_is_refused(tmp_path: Path) -> None:
    header = ",".join(["file", *(f"c{i}" for i in range(sidecar.MAX_SIDECAR_COLUMNS))])
    (tmp_path / "metadata.csv").write_text(f"{header}\na.pdf\n")
    with pytest.raises(ConfigError, match=r"^metadata\.csv: more than 200 columns$"):
        load_sidecar(tmp_path)


def test_yaml_syntax_error_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "metadata.yaml").write_text("a.pdf: {title: [unclosed\n")
    with pytest.raises(ConfigError, match=r"^metadata\.yaml: cannot read: ") as err:
        load_sidecar(tmp_path)
    assert "\n" not in str(err.value)
