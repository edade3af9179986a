"""Variables of a run: precedence, rendering in dependency order, cycles, secrets."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pytest

from runner.core.errors import RenderError, SourceLocation
from runner.core.model import Collection, Environment
from runner.core.redact import MASK, Redactor, is_secret_name
from runner.format.loader import parse_collection, parse_environment
from runner.render.scope import Scope, build_scope
from runner.render.templates import MissingEnvironmentVariable, Renderer

STEPS = "steps:\n  - request: a\n    url: http://h/\n"


def collection(variables: str = "", path: str = "c.yaml") -> Collection:
    return parse_collection(textwrap.dedent(variables).lstrip("\n") + STEPS, path)


def environment(text: str, path: str = "e.yaml") -> Environment:
    return parse_environment(textwrap.dedent(text).lstrip("\n"), path)


def scope_of(
    variables: str = "",
    env: str | None = None,
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    redactor: Redactor | None = None,
) -> Scope:
    return build_scope(
        collection(variables),
        environment(env) if env is not None else None,
        overrides or {},
        Renderer(environ=environ or {}),
        redactor if redactor is not None else Redactor(),
    )


def scope_error(variables: str, env: str | None = None) -> RenderError:
    with pytest.raises(RenderError) as info:
        scope_of(variables, env)
    return info.value


# --- precedence --------------------------------------------------------------------------------


def test_precedence_var_over_environment_over_collection() -> None:
    scope = scope_of(
        """
        variables:
          a: collection
          b: collection
          c: collection
        """,
        """
        variables:
          b: environment
          c: environment
          only_env: environment
        """,
        {"c": "var", "only_var": "var"},
    )
    assert dict(scope) == {
        "a": "collection",
        "b": "environment",
        "c": "var",
        "only_env": "environment",
        "only_var": "var",
    }


def test_captures_sit_between_var_and_environment() -> None:
    scope = scope_of(
        "variables:\n  a: collection\n  b: collection\n",
        "variables:\n  b: environment\n",
        {"c": "var"},
    )
    for name in ("a", "b", "c", "new"):
        scope.capture(name, f"captured-{name}")
    assert scope["a"] == "captured-a"  # over the collection
    assert scope["b"] == "captured-b"  # over the environment
    assert scope["c"] == "var"  # --var wins
    assert scope["new"] == "captured-new"
    assert scope.captures == {n: f"captured-{n}" for n in ("a", "b", "c", "new")}
    assert len(scope) == 4 and set(scope) == {"a", "b", "c", "new"}
    assert "new" in scope and "nope" not in scope


def test_captured_values_keep_their_type_and_are_not_rendered() -> None:
    scope = scope_of("variables:\n  a: x\n")
    scope.capture("obj", {"k": "<< a >>"})
    assert scope["obj"] == {"k": "<< a >>"}


# --- dependency order --------------------------------------------------------------------------


def test_value_may_refer_to_a_variable_defined_later_in_the_file() -> None:
    scope = scope_of(
        """
        variables:
          redirect_uri: <<base>>/callback
          login: <<redirect_uri>>?next=1
          base: http://h
        """
    )
    assert scope["redirect_uri"] == "http://h/callback"
    assert scope["login"] == "http://h/callback?next=1"


def test_collection_value_may_refer_to_the_environment() -> None:
    scope = scope_of(
        "variables:\n  url: <<base>>/v2\n",
        "variables:\n  base: http://env\n",
    )
    assert scope["url"] == "http://env/v2"


def test_environment_value_may_refer_to_the_collection() -> None:
    scope = scope_of("variables:\n  base: http://col\n", "variables:\n  url: <<base>>/v2\n")
    assert scope["url"] == "http://col/v2"


def test_references_see_the_winning_layer() -> None:
    scope = scope_of(
        "variables:\n  base: http://col\n  url: <<base>>/v2\n",
        "variables:\n  base: http://env\n",
    )
    assert scope["url"] == "http://env/v2"
    scope = scope_of("variables:\n  base: http://col\n  url: <<base>>/v2\n", None, {"base": "B"})
    assert scope["url"] == "B/v2"


def test_types_survive_references() -> None:
    scope = scope_of(
        """
        variables:
          n: 5
          m: <<n>>
          nested: {x: <<n>>, label: n=<<n>>, list: [<<flag>>]}
          flag: true
        """
    )
    assert scope["m"] == 5 and type(scope["m"]) is int
    assert scope["nested"] == {"x": 5, "label": "n=5", "list": [True]}


def test_helpers_are_called_once_at_the_start() -> None:
    scope = scope_of(
        """
        variables:
          challenge: << pkce_challenge(verifier) >>
          verifier: dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
          token: << env('TOKEN') >>
        """,
        environ={"TOKEN": "t-from-shell"},
    )
    assert scope["challenge"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert scope["token"] == "t-from-shell"


def test_env_helper_missing_points_at_the_variable() -> None:
    with pytest.raises(MissingEnvironmentVariable) as info:
        scope_of("variables:\n  a: x\n  token: << env('NOPE_TOKEN') >>\n")
    assert info.value.message == "environment variable 'NOPE_TOKEN' is not set"
    assert info.value.location == SourceLocation("c.yaml", 3, 10)


def test_variable_named_like_a_helper_is_resolved_first() -> None:
    scope = scope_of("variables:\n  url: x?t=<<timestamp>>\n  timestamp: '2024'\n")
    assert scope["url"] == "x?t=2024"


# --- cycles and undefined references -----------------------------------------------------------


def test_cycle_is_named() -> None:
    err = scope_error(
        """
        variables:
          a: <<b>>
          b: x<<c>>
          c: <<a>>/y
        """
    )
    assert err.message == "variables refer to each other in a cycle: a -> b -> c -> a"
    assert err.location == SourceLocation("c.yaml", 2, 6)


def test_self_reference_is_a_cycle() -> None:
    err = scope_error("variables:\n  ok: 1\n  a: <<a>>!\n")
    assert err.message == "variables refer to each other in a cycle: a -> a"
    assert err.location == SourceLocation("c.yaml", 3, 6)


def test_cycle_across_files() -> None:
    err = scope_error("variables:\n  a: <<b>>\n", "variables:\n  b: <<a>>\n")
    assert err.message == "variables refer to each other in a cycle: a -> b -> a"


def test_undefined_reference_names_both_variables_and_the_line() -> None:
    err = scope_error("variables:\n  a: x\n  b: <<nope>>/y\n")
    assert err.message == "undefined variable 'nope' in the value of variable 'b'"
    assert err.location == SourceLocation("c.yaml", 3, 6)
    assert err.hint is not None and "--var nope=VALUE" in err.hint


def test_undefined_reference_in_the_environment_points_at_that_file() -> None:
    err = scope_error("variables:\n  a: x\n", "name: dev\nvariables:\n  b: <<nope>>\n")
    assert err.message == "undefined variable 'nope' in the value of variable 'b'"
    assert err.location == SourceLocation("e.yaml", 3, 6)


def test_undefined_reference_deep_in_a_value_points_at_its_string() -> None:
    err = scope_error("variables:\n  b:\n    k: [1, '<<nope>>']\n")
    assert err.message == "undefined variable 'nope' in the value of variable 'b'"
    assert err.location == SourceLocation("c.yaml", 3, 13)  # the <<nope>> inside the quotes
    assert err.location is not None and err.location.end_column == 21


def test_a_var_satisfies_a_reference() -> None:
    scope = scope_of("variables:\n  b: <<user>>@h\n", None, {"user": "ada"})
    assert scope["b"] == "ada@h"


# --- --var values are data ---------------------------------------------------------------------


def test_var_values_are_not_rendered() -> None:
    scope = scope_of("variables:\n  a: <<b>>\n", None, {"b": "<< c >>", "d": "<< undefined >>"})
    assert scope["b"] == "<< c >>"
    assert scope["a"] == "<< c >>"
    assert scope["d"] == "<< undefined >>"


def test_var_replaces_a_broken_collection_value() -> None:
    # the collection's own template is never rendered when --var replaces it
    scope = scope_of("variables:\n  a: <<missing>>\n", None, {"a": "given"})
    assert scope["a"] == "given"


# --- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("client_secret", True),
        ("api_key", True),
        ("apikey", True),
        ("access_token", True),
        ("password", True),
        ("DB_PASSWD", True),
        ("private_key", True),
        ("credentials", True),
        ("client_id", False),
        ("base_url", False),
        ("user", False),
        ("refresh_token", True),
        ("id_token", True),
        ("token", True),
        ("api_token", True),
        ("ZOOM_CLIENT_SECRET", True),
        ("oAuthDevClientSecret", True),
        ("token_url", False),
        ("token_endpoint", False),
        ("token_type", False),
        ("tokenUrl", False),
        ("TOKEN_URI", False),
        ("private_key_file", False),
    ],
)
def test_secret_names_by_pattern(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_secret_values_are_registered_and_masked() -> None:
    redactor = Redactor()
    scope_of(
        """
        variables:
          client_secret: cs-value-1
          api_key: ak-value-2
          mine: my-value-3
          access_token: at-<<mine>>
          plain: plain-value
          client_id: id-value
        secrets: [mine]
        """,
        "variables:\n  envsec: env-value-4\n  password: pw-<<plain>>\nsecrets: [envsec]\n",
        {"other": "other-value", "refresh_token": "rt-value-5"},
        redactor=redactor,
    )
    shown = redactor.mask(
        "cs-value-1 ak-value-2 my-value-3 at-my-value-3 env-value-4 pw-plain-value "
        "rt-value-5 | plain-value id-value other-value"
    )
    assert (
        shown
        == f"{MASK} {MASK} {MASK} {MASK} {MASK} {MASK} {MASK} | plain-value id-value other-value"
    )
    assert "cs-value-1" in redactor
    assert "plain-value" not in redactor


def test_secret_values_are_masked_in_their_url_encoded_forms() -> None:
    redactor = Redactor()
    scope_of("variables:\n  client_secret: a b/c+d\n", redactor=redactor)
    assert redactor.mask("x=a%20b%2Fc%2Bd&y=a+b%2Fc%2Bd") == f"x={MASK}&y={MASK}"


def test_declared_secret_overridden_by_var_masks_the_var_value() -> None:
    redactor = Redactor()
    scope_of(
        "variables:\n  mine: default-value\nsecrets: [mine]\n",
        None,
        {"mine": "given-value"},
        redactor=redactor,
    )
    assert redactor.mask("given-value default-value") == f"{MASK} default-value"


def test_rendered_secret_value_is_what_is_masked() -> None:
    redactor = Redactor()
    scope_of(
        "variables:\n  client_secret: << env('CS') >>\n",
        environ={"CS": "from-the-shell"},
        redactor=redactor,
    )
    assert redactor.mask("secret=from-the-shell") == f"secret={MASK}"
    assert "<< env('CS') >>" not in redactor
