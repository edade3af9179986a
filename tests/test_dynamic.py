"""Postman's dynamic variables as template helpers (runner/render/dynamic.py)."""

from __future__ import annotations

import re

import pytest

from runner.render.dynamic import DYNAMIC_HELPERS, dynamic_helpers, iso_timestamp
from runner.render.templates import Renderer

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.mark.parametrize(
    ("template", "shape"),
    [
        ("<<guid()>>", UUID4),
        ("<<randomUUID()>>", UUID4),
        ("<<isoTimestamp()>>", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")),
        ("<<timestamp()>>", re.compile(r"^1[6-9]\d{8}$")),
        ("<<randomInt()>>", re.compile(r"^(?:[0-9]|[1-9][0-9]{1,2}|1000)$")),
        ("<<randomEmail()>>", re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]+$")),
        ("<<randomExampleEmail()>>", re.compile(r"@example\.(?:com|org|net)$")),
        ("<<randomFirstName()>> <<randomLastName()>>", re.compile(r"^\S+ \S+")),
        ("<<randomBoolean()>>", re.compile(r"^(?:true|false)$")),
        ("<<randomAlphaNumeric()>>", re.compile(r"^[a-z0-9]$")),
        ("<<randomPassword()>>", re.compile(r"^[A-Za-z0-9_-]{15}$")),
        ("<<randomSemver()>>", re.compile(r"^\d\.\d\.\d$")),
        ("<<randomIP()>>", re.compile(r"^\d+\.\d+\.\d+\.\d+$")),
        ("<<randomPhoneNumber()>>", re.compile(r"^\d{3}-\d{3}-\d{4}$")),
        ("<<randomHexColor()>>", re.compile(r"^#[0-9a-f]{6}$")),
        ("<<randomDatePast()>>", re.compile(r"^\w{3} \w{3} \d\d \d{4} \d\d:\d\d:\d\d GMT\+0000")),
        ("<<randomPrice()>>", re.compile(r"^\d+\.\d\d$")),
        ("<<randomCatsImage()>>", re.compile(r"^http://placeimg\.com/640/480/cats$")),
    ],
)
def test_helpers_give_values_of_the_postman_shape(template: str, shape: re.Pattern[str]) -> None:
    assert shape.search(Renderer().render_str(template, {})), template


def test_every_listed_helper_is_callable_and_new_each_time() -> None:
    helpers = dynamic_helpers()
    assert set(DYNAMIC_HELPERS) == {*helpers, "timestamp"}
    renderer = Renderer()
    for name in helpers:
        value = renderer.render_str(f"<<{name}()>>", {})
        assert value != "", name
    guids = {Renderer().render_str("<<guid()>>", {}) for _ in range(50)}
    assert len(guids) == 50


def test_a_variable_hides_a_helper_of_its_name() -> None:
    assert Renderer().render_str("<<guid>>", {"guid": "mine"}) == "mine"


def test_iso_timestamp_is_utc_with_milliseconds() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", iso_timestamp())


def test_faker_is_not_imported_until_a_helper_needs_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys, runner.render.templates; r = runner.render.templates.Renderer(); "
        "r.render_str('<<guid()>>', {}); assert 'faker' not in sys.modules; "
        "r.render_str('<<randomCity()>>', {}); assert 'faker' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
