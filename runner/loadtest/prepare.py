"""Before the load: what ``runner load`` does once, in its own process, before any user starts.

Steps that need a person (pauses, browser steps) run once, and their values are shared by
every user (``CollectionPlan.shared``); the authorization-code tokens of ``oauth2`` auth are
obtained now, into the token cache, where the load process finds them. A person step may not
use a value that a request captures: requests have not run yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.core.errors import ExitStatus, UsageError
from runner.core.model import BrowserStep, PauseStep, RequestStep
from runner.core.redact import is_secret_name

if TYPE_CHECKING:
    from runner.engine.engine import Engine
    from runner.engine.flow import Selected
    from runner.loadtest.plan import CollectionPlan


def person_steps(engine: Engine) -> Selected:
    """The selected steps that need a person; UsageError when one uses a captured value."""
    from runner.engine.engine import step_outputs, step_templates
    from runner.engine.flow import goto_targets, parallel_groups

    selected = engine.steps
    person: Selected = [(s, p) for s, p in selected if isinstance(s, PauseStep | BrowserStep)]
    captured = {
        name: step
        for step, _ in selected
        if isinstance(step, RequestStep)
        for name in step_outputs(step)
    }
    for leaf, _ in person:
        for text in step_templates(leaf, None):
            for name in sorted(engine.renderer.names(text)):
                if name in captured:
                    raise UsageError(
                        f"step '{leaf.name}' needs a person and uses '{name}', which the "
                        f"request '{captured[name].name}' captures",
                        getattr(text, "loc", None) or leaf.loc,
                        "in runner load, pauses and browser steps run once before the load, "
                        "with the environment's values only; give the value with --var",
                    )
    requests: Selected = [(s, p) for s, p in selected if isinstance(s, RequestStep)]
    goto_targets(requests, parallel_groups(requests))  # a goto to a pause has no target then
    return person


def run_person_steps(engine: Engine, person: Selected, plan: CollectionPlan) -> ExitStatus:
    """Run ``person`` once (with the engine's listeners and prompter) and keep the values
    they set in ``plan``, the secret ones marked secret."""
    selected = engine.steps
    engine.steps = person
    try:
        result = engine.run()
    finally:
        engine.steps = selected
    if result.exit_status != ExitStatus.OK:
        return result.exit_status
    assert engine.scope is not None
    for leaf, _ in person:
        if isinstance(leaf, PauseStep) and leaf.variable in engine.scope.captures:
            plan.shared[leaf.variable] = engine.scope.captures[leaf.variable]
            if leaf.secret or leaf.variable in engine.secret_names or is_secret_name(leaf.variable):
                plan.secret.append(leaf.variable)
    return ExitStatus.OK


def authorize(engine: Engine) -> None:
    """Obtain each authorization-code token the requests need (a cached one is reused;
    otherwise the person authorizes now, once); raises the RunnerError of a failure."""
    from runner.engine.engine import effective_auth

    scope = engine.scope
    assert scope is not None
    seen: set[int] = set()
    for index, (step, parents) in enumerate(engine.steps, start=1):
        if not isinstance(step, RequestStep):
            continue
        auth = effective_auth(step, parents, engine.collection)
        flow = auth.oauth2 if auth is not None else None
        if flow is None or flow.grant != "authorization_code" or id(flow) in seen:
            continue
        seen.add(id(flow))
        try:
            engine.auth.apply(auth, scope, index=index, step=step.name)
        finally:
            engine.auth.close()
