"""The roundtable note is user Markdown: only safe links keep their target."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from collabready.reporting.appendices import markdown_note, safe_link
from collabready.reporting.model import RawHtml


class _Targets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src"):
                self.targets.append((tag, name, value))


def targets(markdown: str) -> tuple[str, list[tuple[str, str, str | None]]]:
    """The note's HTML and every href/src in it, as a browser decodes them."""
    (block,) = markdown_note(markdown).content
    assert isinstance(block, RawHtml)
    p = _Targets()
    p.feed(block.html)
    return block.html, p.targets


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](java&#115;cript:alert(1))",
        "[x](java&#x73;cript:alert(1))",
        r"[x](javascript\:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](file:///etc/passwd)",
        "![x](javascript:alert(1))",
    ],
)
def test_unsafe_links_lose_their_target_but_keep_their_text(markdown: str):
    html, found = targets(markdown)
    assert found == [], html
    assert "javascript" not in html.lower().replace(" ", "")
    assert ">x<" in html or 'alt="x"' in html


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("[a](https://example.org/a?b=1&c=2)", "https://example.org/a?b=1&c=2"),
        ("[a](HTTP://example.org)", "HTTP://example.org"),
        ("[a](mailto:chair@example.org)", "mailto:chair@example.org"),
        ("[a](#findings)", "#findings"),
        ("[a](notes/march.html)", "notes/march.html"),
        ("[a](/notes/a:b)", "/notes/a:b"),
        ("[a](../up?q=x:y)", "../up?q=x:y"),
        ("<https://example.org/x>", "https://example.org/x"),
    ],
)
def test_safe_links_keep_their_target(markdown: str, href: str):
    _, found = targets(markdown)
    assert found == [("a", "href", href)]


def test_an_email_autolink_is_kept():
    # Python-Markdown writes it with character references; a browser decodes them
    _, found = targets("Write to <chair@example.org>.")
    assert found == [("a", "href", "mailto:chair@example.org")]


def test_raw_html_is_still_text():
    html, found = targets('<a href="javascript:alert(1)">x</a> <script>alert(1)</script>')
    assert found == []
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://x.org", True),
        ("mailto:a@b.org", True),
        ("page.html#x", True),
        ("?q=1", True),
        ("", True),
        ("javascript:void(0)", False),
        ("\x01javascript:alert(1)", False),
        ("ja\nvascript:alert(1)", False),
        ("a:b", False),
        ("ftp://x.org", False),
    ],
)
def test_safe_link(url: str, ok: bool):
    assert safe_link(url) is ok


def test_the_pdf_never_fetches_what_a_note_links_to(tmp_path):
    """An image in the note (http or file) is not fetched when the PDF is made."""
    import http.server
    import threading
    from datetime import UTC, datetime

    from pypdf import PdfReader

    from collabready.reporting.model import Report, ReportKind, Section, Stamp
    from collabready.reporting.render import render_pdf

    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>SECRET</text></svg>')
    try:
        port = server.server_address[1]
        html = (
            f'<p>Note</p><img src="http://127.0.0.1:{port}/pixel.png" alt="a">'
            f'<img src="file://{secret}" alt="b">'
        )
        report = Report(
            kind=ReportKind.NATIONAL,
            title="Fetch test",
            subtitle="",
            sections=(Section("roundtable", "Roundtable note", (RawHtml(html),)),),
            stamp=Stamp("0", "cri@1.1.0", "0" * 64, datetime.now(UTC), 5),
        )
        pdf = render_pdf(report)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert pdf.startswith(b"%PDF")
    assert requests == []
    text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(pdf)).pages)
    assert "Note" in text
    assert "SECRET" not in text
