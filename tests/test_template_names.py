"""Names are templates (params, headers, form fields, multipart parts) and multipart parts
can be disabled: loaded, checked before sending, rendered and sent over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import RunCli
from server import TestServer

WriteFile = Callable[[str, str], Path]

NAMES = """\
name: Names
variables:
  base: {base}
  q: page
  h: Tenant
  f: field
steps:
  - request: Form
    method: POST
    url: <<base>>/echo
    params: {{<<q>>: "1"}}
    headers: {{X-<<h>>: t1}}
    body:
      form: {{<<f>>-a: "2"}}
  - request: Multipart
    method: POST
    url: <<base>>/echo
    body:
      multipart:
        <<f>>-b: "3"
        off: {{value: <<nowhere>>, enabled: false}}
        gone: {{file: missing/<<nowhere>>.bin, enabled: false}}
"""


def test_names_are_rendered_and_disabled_parts_are_not_sent(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("names.yaml", NAMES.format(base=fresh_server.url))
    result = run_cli("run", path)
    assert result.code == 0, result.output  # <<nowhere>> is only in disabled parts
    form, multipart = fresh_server.log
    assert form.query == {"page": ["1"]}
    assert form.headers["x-tenant"] == "t1"
    assert form.body == b"field-a=2"
    assert b'name="field-b"' in multipart.body and b"3" in multipart.body
    assert b'name="off"' not in multipart.body and b'name="gone"' not in multipart.body


def test_an_undefined_variable_in_a_name_stops_the_run_with_its_line(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    text = NAMES.format(base=fresh_server.url).replace("<<f>>-b", "<<g>>-b")
    path = write_file("names.yaml", text)
    result = run_cli("run", path)
    assert result.code == 2
    assert "undefined variable 'g' in step 'Multipart'" in result.err
    line = text.split("\n").index('        <<g>>-b: "3"') + 1
    assert f"{path}:{line}" in result.err
    assert fresh_server.log == []  # nothing was sent, not even the first step
    assert run_cli("check", path).code == 2


def test_enabled_on_a_part_must_be_a_boolean(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    text = NAMES.format(base=fresh_server.url).replace(
        "enabled: false}\n        gone", "enabled: no-way}\n        gone"
    )
    path = write_file("names.yaml", text)
    result = run_cli("check", path)
    assert result.code == 2
    line = text.split("\n").index("        off: {value: <<nowhere>>, enabled: no-way}") + 1
    assert f"{path}:{line}" in result.err
    assert result.err.startswith("error: enabled must be true or false, not 'no-way'\n")
