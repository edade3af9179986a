"""A pasted redirect is read strictly (robustness issue): a repeated ``code`` or ``state`` is
refused instead of silently taking the first, and an error redirect's ``state`` is checked
like any other, so a forged ``access_denied`` is not trusted."""

from __future__ import annotations

import pytest

from runner.auth.oauth import parse_pasted
from runner.core.errors import PauseRefusedError


@pytest.mark.parametrize(
    ("pasted", "name"),
    [
        ("http://127.0.0.1/cb?code=A&code=B&state=s", "code"),
        ("http://127.0.0.1/cb?code=A&state=s&state=s", "state"),
        ("http://127.0.0.1/cb?code=A&state=s#code=B", "code"),
        ("?error=x&error=y&state=s", "error"),
    ],
)
def test_a_repeated_parameter_is_refused(pasted: str, name: str) -> None:
    with pytest.raises(PauseRefusedError) as info:
        parse_pasted(pasted, param="code", expected_state="s")
    assert info.value.message == f"the pasted URL gives '{name}' more than once; refused"


def test_an_error_redirect_with_another_state_is_refused_as_not_ours() -> None:
    with pytest.raises(PauseRefusedError) as info:
        parse_pasted(
            "http://x/cb?error=access_denied&state=forged", param="code", expected_state="s"
        )
    assert info.value.message == (
        "the pasted URL's 'state' does not match this run's (possible CSRF); refused"
    )


def test_an_error_redirect_without_state_is_refused_as_not_ours() -> None:
    with pytest.raises(PauseRefusedError) as info:
        parse_pasted("http://x/cb?error=access_denied", param="code", expected_state="s")
    assert "has no 'state'" in info.value.message


def test_an_error_redirect_with_our_state_reports_the_error() -> None:
    with pytest.raises(PauseRefusedError) as info:
        parse_pasted(
            "http://x/cb?error=access_denied&error_description=No&state=s",
            param="code",
            expected_state="s",
        )
    assert info.value.message == "authorization failed: access_denied: No"


def test_a_single_code_with_our_state_is_taken() -> None:
    assert parse_pasted("http://x/cb?code=A&state=s", param="code", expected_state="s") == "A"
