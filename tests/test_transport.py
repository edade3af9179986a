"""Transport details that a server can get wrong."""

from runner.http.transport import charset_of as _charset


def test_unknown_or_malformed_charset_falls_back_to_utf8() -> None:
    assert _charset("text/html; charset=utf-8, text/html") == "utf-8"
    assert _charset("text/plain; charset=no-such-codec") == "utf-8"
    assert _charset('text/plain; charset="latin-1"') == "latin-1"
    assert _charset("application/json") == "utf-8"
