"""`runner run` end to end: collections written to disk, sent over real HTTP to a real local
server, with the server's log as the proof of what arrived (and of what was never sent)."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from conftest import CliResult, RunCli
from server import Recorded, TestServer

WriteFile = Callable[[str, str], Path]
ANSI = "\x1b["


def run(run_cli: RunCli, path: Path, srv: TestServer, *extra: object, **kw: Any) -> CliResult:
    """``runner run PATH --var base=<server> EXTRA...`` (``kw``: ``run_cli``'s options)"""
    return run_cli("run", path, "--var", f"base={srv.url}", *extra, **kw)


def only(srv: TestServer, path: str) -> Recorded:
    """The single request the server received on ``path``."""
    found = [rec for rec in srv.log if rec.path == path]
    assert len(found) == 1, srv.paths()
    return found[0]


def body_json(rec: Recorded) -> Any:
    return json.loads(rec.body)


def summary(result: CliResult) -> str:
    lines = [line for line in result.out.splitlines() if re.search(r" · \d+ steps? in ", line)]
    assert len(lines) == 1, result
    return lines[0]


# -- captures -------------------------------------------------------------------------------


def test_captures_flow_into_later_steps(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "captures.yaml",
        r"""
        name: Captures
        steps:
          - request: Get JSON
            url: <<base>>/json
            capture:
              item_id: $.id
              owner_name: {json: $.owner.name}
              item_ids: $.items[*].id
          - request: Get headers
            url: <<base>>/headers
            capture:
              req_id: {header: x-request-id}
              limit: {header: X-RATE-LIMIT}
              session_id: {cookie: session}
          - request: Get HTML
            url: <<base>>/html
            capture:
              csrf: {regex: 'name="csrf" value="(\w+)"'}
              form_open: {regex: '<form method="(\w+)"', group: 0}
          - request: Get a status
            url: <<base>>/status/202
            capture:
              status_code: {status: true}
          - request: Send them back
            method: POST
            url: <<base>>/echo
            params: {rid: <<req_id>>}
            headers: {X-Csrf: <<csrf>>}
            body:
              json:
                item_id: <<item_id>>
                owner: <<owner_name>>
                item_ids: <<item_ids>>
                limit: <<limit>>
                status_code: <<status_code>>
                form_open: <<form_open>>
                session_id: <<session_id>>
                label: "item-<<item_id>>"
            expect:
              status: 200
              json:
                $.json.item_id: <<item_id>>
                $.args.rid: req-42
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 0, result
    assert "5 passed, 0 failed" in summary(result)
    assert fresh_server.paths() == ["/json", "/headers", "/html", "/status/202", "/echo"]
    sent = only(fresh_server, "/echo")
    assert sent.query == {"rid": ["req-42"]}
    assert sent.headers["x-csrf"] == "abc123"
    assert body_json(sent) == {
        "item_id": 7,
        "owner": "Ada",
        "item_ids": [1, 2],
        "limit": "100",
        "status_code": 202,
        "form_open": '<form method="post"',
        "session_id": "s3ss10n",
        "label": "item-7",
    }
    # the cookie set by /headers is sent with the later requests to the same server
    assert "session=s3ss10n" in sent.headers.get("cookie", "")


def test_capture_that_finds_nothing_fails_the_step_and_leaves_the_variable_unset(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "capture_missing.yaml",
        """
        name: Capture missing
        steps:
          - request: Nothing to take
            url: <<base>>/json
            capture:
              absent: $.no_such_key
              no_header: {header: X-Nope}
              found: $.name
          - request: Uses the missing one
            url: <<base>>/echo/absent
            params: {a: <<absent>>}
          - request: Uses the found one
            url: <<base>>/echo/found
            params: {f: <<found>>}
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 1, result
    assert "capture absent: JSONPath $.no_such_key matched nothing" in result.out
    assert "capture no_header: the response has no header 'X-Nope'" in result.out
    # the step that needs the missing capture is skipped, not sent (issue 18: no cascade)
    assert "Uses the missing one (needs absent from 'Nothing to take', which failed)" in result.out
    assert "1 passed, 1 failed, 1 skipped · 3 steps" in summary(result)
    assert fresh_server.paths() == ["/json", "/echo/found"]
    assert fresh_server.log[1].query == {"f": ["widget"]}


def test_an_optional_capture_lets_a_missing_value_go_and_nothing_else(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    """``optional: true``: a missing value (the last step of the JSONPath under a value that
    is there, a header, a cookie) leaves the variable unset and the step passing, as Postman's
    setter of ``undefined``; a missing parent (Postman's script throws) still fails."""
    path = write_file(
        "capture_optional.yaml",
        """
        name: Capture optional
        steps:
          - request: Missing values let go
            url: <<base>>/json
            capture:
              nickname: {json: $.owner.nickname, optional: true}
              third: {json: "$.items[2]", optional: true}
              no_header: {header: X-Nope, optional: true}
              no_cookie: {cookie: nope, optional: true}
              found: {json: $.owner.name, optional: true}
          - request: Uses the found one
            url: <<base>>/echo/found
            params: {f: <<found>>}
          - request: A missing parent still fails
            url: <<base>>/json
            capture:
              deep: {json: $.nobody.name, optional: true}
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 1, result
    assert "capture deep: JSONPath $.nobody.name matched nothing" in result.out
    for name in ("nickname", "third", "no_header", "no_cookie"):
        assert f"capture {name}" not in result.out
    assert "2 passed, 1 failed · 3 steps" in summary(result)
    assert fresh_server.log[1].query == {"f": ["Ada"]}


def test_a_capture_default_is_taken_for_a_missing_value_only(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    """``default``: a missing value sets the default (Postman's setter of ``undefined``
    stores null, sent as ``null``), replacing an earlier value; a missing parent still
    fails."""
    path = write_file(
        "capture_default.yaml",
        """
        name: Capture default
        variables: {nickname: before}
        steps:
          - request: Missing values take the default
            url: <<base>>/json
            capture:
              nickname: {json: $.owner.nickname, default: null}
              no_header: {header: X-Nope, default: none}
          - request: Uses them
            url: <<base>>/echo/used
            params: {n: <<nickname>>, h: <<no_header>>}
          - request: A missing parent still fails
            url: <<base>>/json
            capture:
              deep: {json: $.nobody.name, default: null}
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 1, result
    assert "capture deep: JSONPath $.nobody.name matched nothing" in result.out
    assert "2 passed, 1 failed · 3 steps" in summary(result)
    assert fresh_server.log[1].query == {"n": ["null"], "h": ["none"]}


def test_captured_values_are_data_and_a_var_wins_over_a_capture(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "data.yaml",
        """
        name: Data
        steps:
          - request: Echo a template
            method: POST
            url: <<base>>/echo
            body:
              json: {text: <<payload>>, n: 5}
            capture:
              echoed: $.json.text
              pinned: $.json.n
          - request: Send it back
            url: <<base>>/echo/again
            headers: {X-Echoed: <<echoed>>, X-Pinned: <<pinned>>}
        """,
    )
    # --var values are data too: "<<x>>" is sent as those characters, never rendered
    result = run(run_cli, path, fresh_server, "--var", "payload=<<x>>", "--var", "pinned=fixed")
    assert result.code == 0, result
    first, second = fresh_server.log
    assert body_json(first) == {"text": "<<x>>", "n": 5}
    assert second.headers["x-echoed"] == "<<x>>"
    assert second.headers["x-pinned"] == "fixed"


# -- what arrives at the server -------------------------------------------------------------


def test_exact_reference_in_json_body_keeps_its_type(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "types.yaml",
        """
        name: Types
        variables:
          n: 42
          ratio: 1.5
          flag: true
          off: false
          obj: {a: 1, b: [x, y]}
          nothing: null
        steps:
          - request: Typed body
            method: POST
            url: <<base>>/echo
            body:
              json:
                n: <<n>>
                spaced_n: << n >>
                ratio: <<ratio>>
                flag: <<flag>>
                off: <<off>>
                obj: <<obj>>
                nothing: <<nothing>>
                attr: <<obj.a>>
                id: "id-<<n>>"
                lead: " <<n>>"
                flag_text: "is <<flag>>"
                obj_text: "obj=<<obj>>"
                list:
                  - <<n>>
                  - {inner: <<flag>>}
                "key-<<n>>": plain
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 0, result
    sent = only(fresh_server, "/echo")
    assert sent.headers["content-type"] == "application/json"
    doc = body_json(sent)
    assert doc == {
        "n": 42,
        "spaced_n": 42,
        "ratio": 1.5,
        "flag": True,
        "off": False,
        "obj": {"a": 1, "b": ["x", "y"]},
        "nothing": None,
        "attr": 1,
        "id": "id-42",
        "lead": " 42",
        "flag_text": "is true",
        "obj_text": 'obj={"a": 1, "b": ["x", "y"]}',
        "list": [42, {"inner": True}],
        "key-42": "plain",
    }
    # == would let 42 == 42.0 and True == 1 through: check the JSON types themselves
    assert type(doc["n"]) is int
    assert type(doc["flag"]) is bool
    assert doc["off"] is False
    assert type(doc["ratio"]) is float
    assert type(doc["id"]) is str


def test_text_body_is_sent_byte_for_byte(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "text.yaml",
        """
        name: Text
        variables:
          who: Ada
        steps:
          - request: Text body
            method: PUT
            url: <<base>>/echo
            body:
              text: |
                {{ x }} and {% y %} and {# z #}
                hello <<who>> <<# removed #>>café
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 0, result
    sent = only(fresh_server, "/echo")
    assert sent.method == "PUT"
    assert sent.body == "{{ x }} and {% y %} and {# z #}\nhello Ada café\n".encode()
    assert sent.headers["content-type"] == "text/plain; charset=utf-8"


def test_text_body_content_type_can_be_set(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "csv.yaml",
        """
        name: CSV
        steps:
          - request: Upload
            method: POST
            url: <<base>>/echo
            body:
              content_type: text/csv
              text: "a,b"
        """,
    )
    assert run(run_cli, path, fresh_server).code == 0
    sent = only(fresh_server, "/echo")
    assert sent.body == b"a,b"  # no newline added
    assert sent.headers["content-type"] == "text/csv"


def test_form_body_and_query_params_arrive(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "form.yaml",
        """
        name: Form
        variables:
          client_id: my-client
        steps:
          - request: Token
            method: POST
            url: <<base>>/echo
            params:
              page: 2
              tag: [a, b]
              q: "x y&z=1"
              zip: 012
              hidden:
                value: nope
                enabled: false
              documented:
                description: no value, so not sent
            body:
              form:
                grant_type: client_credentials
                client_id: <<client_id>>
                scope: [read, write]
                note: "a b&c=d/é"
                skipped:
                  value: x
                  enabled: false
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 0, result
    sent = only(fresh_server, "/echo")
    assert sent.query == {
        "page": ["2"],
        "tag": ["a", "b"],
        "q": ["x y&z=1"],
        "zip": ["012"],
    }
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(sent.body.decode("ascii"), keep_blank_values=True) == {
        "grant_type": ["client_credentials"],
        "client_id": ["my-client"],
        "scope": ["read", "write"],
        "note": ["a b&c=d/é"],
    }


def test_params_are_added_to_the_query_string_of_the_url(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "url_query.yaml",
        """
        name: URL query
        steps:
          - request: Search
            url: <<base>>/echo?per_page=10&page=9
            params: {page: 2}
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 0, result
    assert "/echo?per_page=10&page=2" in result.out  # what the report says was sent
    # docs/format.md: "Params are added to the URL's query string. A param with the same
    # name as one already written in `url` replaces it."
    assert only(fresh_server, "/echo").query == {"per_page": ["10"], "page": ["2"]}


def test_repeated_header_values_are_sent(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "headers.yaml",
        """
        name: Headers
        steps:
          - request: Headers
            url: <<base>>/echo
            headers:
              X-Feature: [beta, dark-mode]
              Accept: application/json
        """,
    )
    assert run(run_cli, path, fresh_server).code == 0
    sent = only(fresh_server, "/echo")
    assert sent.headers["x-feature"] == "beta, dark-mode"
    assert sent.headers["accept"] == "application/json"


# -- auth -----------------------------------------------------------------------------------


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def test_auth_inheritance_override_and_none(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "auth.yaml",
        """
        name: Auth
        variables:
          api_token: tok-collection-1
          admin_password: pw-folder-2
        auth: {type: bearer, token: <<api_token>>}
        steps:
          - request: From the collection
            url: <<base>>/bearer
            expect: {status: 200}
          - folder: Admin
            auth: {type: basic, username: admin, password: <<admin_password>>}
            steps:
              - request: From the folder
                url: <<base>>/basic-auth/admin/pw-folder-2
                expect: {status: 200}
              - folder: Nested
                steps:
                  - request: From the outer folder
                    url: <<base>>/echo/nested
              - request: Own bearer
                url: <<base>>/bearer
                auth: {type: bearer, token: tok-request-3}
                expect: {status: 200}
              - request: No auth
                url: <<base>>/echo/none
                auth: {type: none}
              - request: Own header wins
                url: <<base>>/echo/header
                headers: {Authorization: Token custom-4}
          - folder: Public
            auth: {type: none}
            steps:
              - request: No auth from the folder
                url: <<base>>/echo/public
          - request: Own basic
            url: <<base>>/basic-auth/u1/p-request-5
            auth: {type: basic, username: u1, password: p-request-5}
            expect: {status: 200}
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 0, result
    assert "8 passed, 0 failed" in summary(result)
    auth = [(rec.path, rec.headers.get("authorization")) for rec in fresh_server.log]
    assert auth == [
        ("/bearer", "Bearer tok-collection-1"),
        ("/basic-auth/admin/pw-folder-2", basic("admin", "pw-folder-2")),
        ("/echo/nested", basic("admin", "pw-folder-2")),
        ("/bearer", "Bearer tok-request-3"),
        ("/echo/none", None),
        ("/echo/header", "Token custom-4"),
        ("/echo/public", None),
        ("/basic-auth/u1/p-request-5", basic("u1", "p-request-5")),
    ]
    # the report shows a folder's step as "Folder / Step"
    assert "Admin / Nested / From the outer folder" in result.out


def test_wrong_basic_password_is_a_failed_status(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "basic_wrong.yaml",
        """
        name: Wrong password
        steps:
          - request: Log in
            url: <<base>>/basic-auth/u/right-pass
            auth: {type: basic, username: u, password: wrong-pass}
            expect: {status: 200}
        """,
    )
    result = run(run_cli, path, server)
    assert result.code == 1, result
    assert "status: expected 200, got 401" in result.out


# -- expectations ---------------------------------------------------------------------------


def test_every_expectation_kind_passes(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "pass.yaml",
        r"""
        name: All pass
        variables:
          seven: 7
        steps:
          - request: JSON
            url: <<base>>/json
            expect:
              status: 200
              headers:
                content-type: application/json
                CONTENT-TYPE: {contains: json}
                Content-Length: {gt: 0}
                X-Missing: {exists: false}
              json:
                $.id: 7
                $.name: {eq: widget, ne: gadget}
                $.price: {gt: 9, ge: 9.5, lt: 10, le: 9.5}
                $.tags: {contains: a, length: 2, type: array}
                $.owner: {contains: token, type: object, length: 2}
                $.owner.name: {matches: '^A\w+$', in: [Ada, Bob]}
                $.active: {eq: true, type: boolean}
                $.items[*].id: [1, 2]
                $.items[0]: {eq: {id: 1}}
                $.missing: {exists: false}
              body: {contains: '"widget"'}
              max_time_ms: 5000
              schema:
                type: object
                required: [id, name, owner]
                properties:
                  id: {type: integer}
                  owner:
                    type: object
                    properties:
                      name: {type: string}
          - request: Captured value in the same step's expectation
            url: <<base>>/json
            capture:
              got_id: $.id
            expect:
              json:
                $.id: {eq: <<got_id>>, ge: <<seven>>, le: <<seven>>}
          - request: Status list
            url: <<base>>/status/204
            expect:
              status: [200, 204]
              body: ""
          - request: Status operators
            url: <<base>>/status/404
            expect:
              status: {ge: 400, lt: 500, ne: 401}
          - request: Text body
            url: <<base>>/text
            expect:
              body: hello world
              headers:
                Content-Type: {matches: '^text/plain'}
          - request: Headers
            url: <<base>>/headers
            expect:
              headers:
                x-request-id: req-42
                X-RATE-LIMIT: 100
                x-rate-limit: {in: ["99", "100"]}
        """,
    )
    result = run(run_cli, path, server)
    assert result.code == 0, result
    assert "6 passed, 0 failed" in summary(result)
    assert "error" not in summary(result)


FAILING: list[tuple[str, str, str]] = [
    ("/json", "status: 201", "status: expected 201, got 200"),
    ("/json", "status: [201, 204]", 'status: expected {"in": [201, 204]}, got 200'),
    ("/json", "status: {ge: 300}", 'status: expected {"ge": 300}, got 200'),
    (
        "/headers",
        "headers: {x-REQUEST-id: req-43}",
        'header x-REQUEST-id: expected "req-43", got "req-42"',
    ),
    (
        "/json",
        "headers: {Content-Type: {contains: html}}",
        'header Content-Type: expected {"contains": "html"}, got "application/json"',
    ),
    (
        "/json",
        "headers: {X-Absent: {exists: true}}",
        'header X-Absent: expected {"exists": true}, got nothing',
    ),
    ("/json", "json: {$.name: gadget}", 'json $.name: expected "gadget", got "widget"'),
    ("/json", "json: {$.active: 1}", "json $.active: expected 1, got true"),
    (
        "/json",
        "json: {$.name: {ne: widget}}",
        'json $.name: expected {"ne": "widget"}, got "widget"',
    ),
    ("/json", "json: {$.id: {gt: 7}}", 'json $.id: expected {"gt": 7}, got 7'),
    ("/json", "json: {$.id: {ge: 8}}", 'json $.id: expected {"ge": 8}, got 7'),
    ("/json", "json: {$.id: {lt: 7}}", 'json $.id: expected {"lt": 7}, got 7'),
    ("/json", "json: {$.id: {le: 6.5}}", 'json $.id: expected {"le": 6.5}, got 7'),
    (
        "/json",
        "json: {$.tags: {contains: c}}",
        'json $.tags: expected {"contains": "c"}, got ["a", "b"]',
    ),
    (
        "/json",
        "json: {$.name: {matches: '^gad'}}",
        'json $.name: expected {"matches": "^gad"}, got "widget"',
    ),
    (
        "/json",
        "json: {$.nope: {exists: true}}",
        'json $.nope: expected {"exists": true}, got nothing',
    ),
    ("/json", "json: {$.id: {exists: false}}", 'json $.id: expected {"exists": false}, got 7'),
    ("/json", "json: {$.id: {type: string}}", 'json $.id: expected {"type": "string"}, got 7'),
    (
        "/json",
        "json: {$.price: {type: integer}}",
        'json $.price: expected {"type": "integer"}, got 9.5',
    ),
    (
        "/json",
        "json: {$.name: {in: [a, b]}}",
        'json $.name: expected {"in": ["a", "b"]}, got "widget"',
    ),
    (
        "/json",
        "json: {$.items: {length: 3}}",
        'json $.items: expected {"length": 3}, got [{"id": 1}, {"id": 2}]',
    ),
    ("/json", "json: {$.nope: {ne: 1}}", 'json $.nope: expected {"ne": 1}, got nothing'),
    ("/text", "body: hello", 'body: expected "hello", got "hello world"'),
    (
        "/text",
        "body: {contains: goodbye}",
        'body: expected {"contains": "goodbye"}, got "hello world"',
    ),
    (
        "/json",
        "schema: {properties: {owner: {properties: {name: {type: integer}}}}}",
        "$.owner.name: 'Ada' is not of type 'integer'",
    ),
    (
        "/json",
        "schema: {type: object, properties: {owner: {required: [name, email]}}}",
        "$.owner: 'email' is a required property",
    ),
]


@pytest.mark.parametrize(("route", "expect", "message"), FAILING, ids=[e for _, e, _ in FAILING])
def test_failed_expectation_shows_expected_and_actual(
    run_cli: RunCli,
    server: TestServer,
    write_file: WriteFile,
    route: str,
    expect: str,
    message: str,
) -> None:
    path = write_file(
        "fail.yaml",
        f"""
        name: Fails
        steps:
          - request: The step
            url: <<base>>{route}
            expect:
              {expect}
          - request: Still runs
            url: <<base>>/json
            expect: {{status: 200}}
        """,
    )
    result = run(run_cli, path, server)
    assert result.code == 1, result
    assert message in result.out, result.out
    assert f"at {path}:6:" in result.out  # the expectation's file:line:col
    assert "1 passed, 1 failed" in summary(result)
    assert result.err == ""


def test_max_time_ms_fails_on_a_slow_response(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "time.yaml",
        """
        name: Time
        steps:
          - request: Slow
            url: <<base>>/slow?seconds=0.3
            expect:
              status: 200
              max_time_ms: 100
        """,
    )
    result = run(run_cli, path, server)
    assert result.code == 1, result
    found = re.search(r"time: expected \{\"le\": 100(?:\.0)?\}, got ([0-9.]+)", result.out)
    assert found is not None, result.out
    assert float(found.group(1)) >= 300
    assert f"at {path}:7:" in result.out


def test_non_json_body_fails_json_expectations_and_captures(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "notjson.yaml",
        """
        name: Not JSON
        steps:
          - request: Broken JSON
            url: <<base>>/badjson
            expect:
              json:
                $.id: 1
          - request: Plain text
            url: <<base>>/text
            capture:
              value: $.value
            expect:
              schema: {type: object}
        """,
    )
    result = run(run_cli, path, server)
    assert result.code == 1, result
    lines = [line for line in result.out.splitlines() if "not JSON" in line]
    assert len(lines) == 3, result.out
    assert "json $.id:" in lines[0]
    assert "application/json" in lines[0]  # says what came instead
    assert "capture value:" in lines[1]
    assert "schema:" in lines[2]
    assert "0 passed, 2 failed" in summary(result)


# -- network failures -----------------------------------------------------------------------


def test_refused_connection_is_a_step_error_and_the_run_goes_on(
    run_cli: RunCli, fresh_server: TestServer, free_port: int, write_file: WriteFile
) -> None:
    path = write_file(
        "refused.yaml",
        """
        name: Refused
        steps:
          - request: Nobody listens
            url: http://127.0.0.1:<<port>>/nothing
          - request: After it
            url: <<base>>/json
            expect: {status: 200}
        """,
    )
    result = run(run_cli, path, fresh_server, "--var", f"port={free_port}")
    assert result.code == 1, result
    assert "connection refused" in result.out
    assert f"at {path}:3:" in result.out
    assert fresh_server.paths() == ["/json"]
    assert "1 passed, 0 failed, 1 errors · 2 steps" in summary(result)


@pytest.mark.parametrize("route", ["/slow?seconds=5", "/hang?seconds=5"])
def test_step_timeout_stops_a_slow_server(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile, route: str
) -> None:
    path = write_file(
        "slow.yaml",
        f"""
        name: Slow
        steps:
          - request: Too slow
            url: <<base>>{route}
            timeout: 0.5
          - request: After it
            url: <<base>>/json
            expect: {{status: 200}}
        """,
    )
    started = time.monotonic()
    result = run(run_cli, path, fresh_server)
    elapsed = time.monotonic() - started
    assert elapsed < 3, elapsed
    assert result.code == 1, result
    assert "timed out after 0.5 s" in result.out
    assert "After it" in result.out
    assert "1 passed, 0 failed, 1 errors · 2 steps" in summary(result)
    assert fresh_server.paths() == [route.split("?")[0], "/json"]


def test_command_line_timeout_applies_to_every_step(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "cli_timeout.yaml",
        """
        name: Slow
        steps:
          - request: Too slow
            url: <<base>>/slow?seconds=5
          - request: Own timeout wins
            url: <<base>>/slow?seconds=0.4
            timeout: 2
            expect: {status: 200}
        """,
    )
    started = time.monotonic()
    result = run(run_cli, path, server, "--timeout", "0.3")
    assert time.monotonic() - started < 3
    assert result.code == 1, result
    assert "timed out after 0.3 s" in result.out
    assert "1 passed, 0 failed, 1 errors" in summary(result)


def test_drip_slower_than_the_timeout_hits_the_wall_clock_deadline(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    # each byte comes well within the read timeout; only a wall-clock deadline stops it
    path = write_file(
        "drip.yaml",
        """
        name: Drip
        steps:
          - request: Drip
            url: <<base>>/drip?seconds=0.1&count=40
            timeout: 0.5
          - request: After it
            url: <<base>>/json
            expect: {status: 200}
        """,
    )
    started = time.monotonic()
    result = run(run_cli, path, server)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, elapsed
    assert result.code == 1, result
    assert "no complete response within 0.5 s" in result.out
    assert "1 passed, 0 failed, 1 errors · 2 steps" in summary(result)


def test_drip_deadline_is_not_overshot(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "drip_slow.yaml",
        """
        name: Drip
        steps:
          - request: Drip
            url: <<base>>/drip?seconds=0.45&count=5
            timeout: 0.5
        """,
    )
    started = time.monotonic()
    result = run(run_cli, path, server)
    elapsed = time.monotonic() - started
    assert result.code == 1, result
    assert "1 errors" in summary(result)
    assert elapsed < 0.75, f"a 0.5 s timeout took {elapsed:.2f} s"


# -- bail -----------------------------------------------------------------------------------


BAIL = """
name: Bail
steps:
  - request: First passes
    url: <<base>>/json
    expect: {status: 200}
  - request: Second fails
    url: <<base>>/status/500
    expect: {status: 200}
  - request: Third
    url: <<base>>/text
  - request: Fourth
    url: <<base>>/echo
"""


def test_bail_stops_after_the_first_failure(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("bail.yaml", BAIL)
    result = run(run_cli, path, fresh_server, "--bail")
    assert result.code == 1, result
    assert fresh_server.paths() == ["/json", "/status/500"]
    assert "stopped: --bail: step 'Second fails' did not pass" in result.out
    assert "Third" not in result.out
    assert "1 passed, 1 failed · 2 steps" in summary(result)


def test_without_bail_every_step_runs(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("bail.yaml", BAIL)
    result = run(run_cli, path, fresh_server)
    assert result.code == 1, result
    assert fresh_server.paths() == ["/json", "/status/500", "/text", "/echo"]
    assert "3 passed, 1 failed · 4 steps" in summary(result)


def test_bail_stops_after_a_step_error(
    run_cli: RunCli, fresh_server: TestServer, free_port: int, write_file: WriteFile
) -> None:
    path = write_file(
        "bail_error.yaml",
        """
        name: Bail on error
        steps:
          - request: Refused
            url: http://127.0.0.1:<<port>>/
          - request: Never sent
            url: <<base>>/json
        """,
    )
    result = run(run_cli, path, fresh_server, "--bail", "--var", f"port={free_port}")
    assert result.code == 1, result
    assert fresh_server.log == []
    assert "0 passed, 0 failed, 1 errors · 1 step" in summary(result)


# -- the check before sending ---------------------------------------------------------------


def test_undefined_variable_exits_2_and_sends_nothing(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "undefined.yaml",
        """
        name: Undefined
        steps:
          - request: First is fine
            url: <<base>>/json
          - request: Second uses it
            url: <<base>>/echo
            headers:
              X-Thing: <<missing_var>>
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 2, result
    assert "undefined variable 'missing_var'" in result.err
    assert "in step 'Second uses it'" in result.err
    assert f"{path}:8:16" in result.err
    assert "--var missing_var=VALUE" in result.err
    assert result.out == ""
    assert fresh_server.log == []


def test_variable_captured_by_a_later_step_exits_2(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "later.yaml",
        """
        name: Wrong order
        steps:
          - request: Get the profile
            url: <<base>>/bearer
            auth: {type: bearer, token: <<access_token>>}
          - request: Log in
            method: POST
            url: <<base>>/echo
            capture:
              access_token: $.body
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 2, result
    assert "undefined variable 'access_token' in step 'Get the profile'" in result.err
    assert f"{path}:5:33" in result.err
    assert f"'access_token' is set by the later step 'Log in' ({path}:6:5)" in result.err
    assert "move that step earlier" in result.err
    assert fresh_server.log == []


# -- secrets --------------------------------------------------------------------------------


CANARIES = {
    "client_secret": "CANARY-client-secret-1111",
    "listed": "CANARY-listed-2222",
    "bearer": "CANARY-bearer-3333",
    "basic": "CANARY-basic-pw-4444",
    "api_key_header": "CANARY-api-key-5555",
    "access_token": "CANARY-access-token-6666",
    "var_password": "CANARY-var-pw-7777",
}


def test_secrets_never_reach_the_output(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    c = CANARIES
    path = write_file(
        "secrets.yaml",
        f"""
        name: Secrets
        variables:
          client_secret: {c["client_secret"]}
          listed_value: {c["listed"]}
          bearer_value: {c["bearer"]}
          basic_value: {c["basic"]}
          header_value: {c["api_key_header"]}
          issued: {c["access_token"]}
        secrets: [listed_value]
        steps:
          - request: Everything at once
            method: POST
            url: <<base>>/echo
            params:
              cs: <<client_secret>>
              listed: <<listed_value>>
              pw: <<db_password>>
            headers:
              X-Api-Key: <<header_value>>
            auth: {{type: bearer, token: <<bearer_value>>}}
            body:
              json: {{access_token: <<issued>>}}
            capture:
              access_token: $.json.access_token
            expect:
              json:
                $.args.cs: nope
                $.args.listed: nope
                $.args.pw: nope
                $.headers.authorization: nope
                $.headers['x-api-key']: nope
                $.json.access_token: nope
                $.body: nope
          - request: Basic auth
            url: <<base>>/basic-auth/user/<<basic_value>>
            auth: {{type: basic, username: user, password: <<basic_value>>}}
            expect:
              status: 401
          - request: Use the captured token
            url: <<base>>/echo
            params: {{t: <<access_token>>}}
            expect:
              json:
                $.args: nope
        """,
    )
    result = run(run_cli, path, fresh_server, "--var", f"db_password={c['var_password']}")
    assert result.code == 1, result
    # the server got the real values...
    first, second, third = fresh_server.log
    assert first.query["cs"] == [c["client_secret"]]
    assert first.query["listed"] == [c["listed"]]
    assert first.query["pw"] == [c["var_password"]]
    assert first.headers["authorization"] == f"Bearer {c['bearer']}"
    assert first.headers["x-api-key"] == c["api_key_header"]
    assert second.headers["authorization"] == basic("user", c["basic"])
    assert third.query["t"] == [c["access_token"]]
    # ...and the output shows none of them, in any form
    for name, value in c.items():
        assert value not in result.output, name
        assert value.split("-", 1)[1] not in result.output, name
    assert basic("user", c["basic"]) not in result.output
    assert base64.b64encode(f"user:{c['basic']}".encode()).decode() not in result.output
    assert "CANARY" not in result.output
    assert "[REDACTED]" in result.out
    # the failed checks and the URLs were shown, masked
    assert 'json $.args.cs: expected "nope", got "[REDACTED]"' in result.out
    assert 'json $.headers.authorization: expected "nope", got "[REDACTED]"' in result.out
    assert "/basic-auth/user/[REDACTED]" in result.out
    assert "t=[REDACTED]" in result.out


def test_literal_password_on_the_line_of_an_exit_2_error_is_masked(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "secret_error.yaml",
        """
        name: Literal password
        steps:
          - request: Log in
            url: <<base>>/basic-auth/admin/x
            auth: {type: basic, username: <<admin_user>>, password: CANARY-pw-literal-8888}
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 2, result
    assert "undefined variable 'admin_user'" in result.err
    assert fresh_server.log == []
    assert "CANARY" not in result.output


def test_secret_in_the_url_path_is_masked(
    run_cli: RunCli, fresh_server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "path_secret.yaml",
        """
        name: Path secret
        variables:
          client_secret: "CANARY pw:9999"
        steps:
          - request: In the path
            url: <<base>>/echo/<<client_secret>>
        """,
    )
    result = run(run_cli, path, fresh_server)
    assert result.code == 0, result
    assert fresh_server.paths() == ["/echo/CANARY%20pw:9999"]
    assert "[REDACTED]" in result.out
    assert "CANARY" not in result.output


# -- the report -----------------------------------------------------------------------------


REPORT = """
name: Report
steps:
  - request: Passes
    url: <<base>>/json
    expect: {status: 200}
  - request: Also passes
    url: <<base>>/text
  - request: Fails
    url: <<base>>/json
    expect: {status: 201}
  - request: Errors
    url: <<base>>/hang
    timeout: 0.2
"""


def test_summary_counts_passed_failed_and_errors(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("report.yaml", REPORT)
    result = run(run_cli, path, server)
    assert result.code == 1, result
    assert result.out.splitlines()[0] == "Report · 4 steps"
    assert re.fullmatch(
        r"2 passed, 1 failed, 1 errors · 4 steps in \d+\.\d\d s", summary(result)
    ), summary(result)
    # one line per step: method, URL and status
    assert re.search(r"ok Passes — GET http://127\.0\.0\.1:\d+/json → 200 \(", result.out)
    assert re.search(r"FAIL Fails — GET http://127\.0\.0\.1:\d+/json → 200 \(", result.out)
    assert "ERROR Errors — GET" in result.out


def test_all_passed_summary_and_exit_0(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file(
        "ok.yaml",
        """
        name: Ok
        steps:
          - request: One
            url: <<base>>/json
          - request: Two
            url: <<base>>/text
        """,
    )
    result = run(run_cli, path, server)
    assert result.code == 0, result
    assert re.fullmatch(r"2 passed, 0 failed · 2 steps in \d+\.\d\d s", summary(result))
    assert result.err == ""


def test_plain_output_when_stdout_is_not_a_terminal(
    run_cli: RunCli, server: TestServer, write_file: WriteFile
) -> None:
    path = write_file("report.yaml", REPORT)
    result = run(run_cli, path, server)
    assert result.code == 1
    assert ANSI not in result.output
    assert "\033" not in result.output


def test_colour_on_a_terminal_unless_no_color(
    run_cli: RunCli, server: TestServer, write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    path = write_file("report.yaml", REPORT)
    result = run(run_cli, path, server, tty=True)
    assert result.code == 1
    assert ANSI in result.out  # the control: a terminal gets colour
    result = run(run_cli, path, server, "--no-color", tty=True)
    assert result.code == 1
    assert ANSI not in result.out


def test_no_color_in_the_console_environ_turns_colour_off(
    run_cli: RunCli, server: TestServer, write_file: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    path = write_file("report.yaml", REPORT)
    result = run(run_cli, path, server, env={"NO_COLOR": "1"}, tty=True)
    assert result.code == 1
    assert ANSI not in result.out
