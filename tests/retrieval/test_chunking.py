"""Chunk boundaries on real files (stdlib sources, this repo's docs) and synthetic edge cases."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

from retrieval.chunking import MAX_CHARS, chunk_document, chunk_markup, chunk_python

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _check_spans(text: str, chunks) -> None:
    lines = text.splitlines()
    for c in chunks:
        assert len(c.text) <= MAX_CHARS
        assert 1 <= c.start_line <= c.end_line <= len(lines)
        # the chunk text is exactly the lines it claims to span
        assert c.text == "\n".join(lines[c.start_line - 1:c.end_line])[:MAX_CHARS]


def test_python_chunks_follow_top_level_definitions_of_a_real_file():
    path = STDLIB / "textwrap.py"
    text = path.read_text()
    chunks = chunk_python(text, str(path))
    _check_spans(text, chunks)
    tree = ast.parse(text)
    starts = {c.start_line: c for c in chunks}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            assert starts[first].meta["qualname"] == node.name
            assert starts[first].text.lstrip().startswith(("def ", "@"))
            assert starts[first].end_line == node.end_lineno
    assert chunks[0].kind == "module" and chunks[0].start_line == 1 and '"""Text wrapping' in chunks[0].text
    # the big TextWrapper class is split into a header and its methods
    qualnames = [c.meta["qualname"] for c in chunks]
    assert "TextWrapper" in qualnames and "TextWrapper.wrap" in qualnames


def test_every_line_of_a_definition_is_covered_once():
    path = STDLIB / "json" / "decoder.py"
    text = path.read_text()
    chunks = chunk_python(text, str(path))
    _check_spans(text, chunks)
    spans = sorted((c.start_line, c.end_line) for c in chunks)
    for (_, e1), (s2, _) in zip(spans, spans[1:]):
        assert e1 < s2, "chunks overlap"


def test_decorators_stay_with_their_function_and_oversized_functions_are_windowed():
    body = "\n".join(f"    x{i} = {i}  # padding line to make this function large" for i in range(200))
    text = f"import os\n\n@decorator\ndef big():\n{body}\n\n\ndef small():\n    return 1\n"
    chunks = chunk_python(text, "m.py")
    _check_spans(text, chunks)
    big = [c for c in chunks if c.meta.get("qualname") == "big"]
    assert big[0].start_line == 3 and big[0].text.startswith("@decorator")
    assert len(big) > 1 and big[-1].end_line == 204
    assert [c.start_line for c in big] == sorted(c.start_line for c in big)
    assert any(c.meta.get("qualname") == "small" and c.start_line == 207 for c in chunks)


def test_syntax_error_falls_back_to_line_windows():
    chunks = chunk_python("def broken(:\n    pass\n", "bad.py")
    assert len(chunks) == 1 and chunks[0].kind == "text"


def test_markdown_sections_on_a_real_doc_ignore_headings_in_code_fences(tmp_path):
    text = "# Title\nintro\n\n## Usage\n```bash\n# not a heading\nrun it\n```\n\n## API\ndetails\n"
    chunks = chunk_markup(text, "README.md")
    assert [c.meta["section"] for c in chunks] == ["Title", "Usage", "API"]
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 3), (4, 9), (10, 11)]
    design = Path(__file__).resolve().parents[2] / "retrieval" / "README.md"
    real = design.read_text()
    _check_spans(real, chunk_document(real, str(design)))


def test_rest_headings_and_size_bounds():
    long_section = "\n".join(f"paragraph line {i} " + "x" * 80 for i in range(100))
    text = f"Title\n=====\n\nintro\n\nSection\n-------\n{long_section}\n"
    chunks = chunk_markup(text, "doc.rst", rst=True)
    assert chunks[0].meta["section"] == "Title" and chunks[0].start_line == 1
    section = [c for c in chunks if c.meta["section"] == "Section"]
    assert len(section) > 1 and section[0].start_line == 6
    _check_spans(text, chunks)
