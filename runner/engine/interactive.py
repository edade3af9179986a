"""The steps that need a person: a browser step shows (or opens) a URL, a pause step asks
for a value, or takes an OAuth redirect from a loopback listener (RFC 8252) or a paste.

A browser step followed by a pause that reads a redirect (``from_url``) starts listening on
the redirect URI before the URL is shown, so the browser's redirect is never missed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from runner.auth.oauth import parse_pasted
from runner.core.errors import InputMissingError, PauseRefusedError, RenderError
from runner.core.events import BrowserShown
from runner.core.model import BrowserStep, PauseStep
from runner.core.results import CheckResult, RunResult, StepResult
from runner.engine.context import RunContext
from runner.engine.request_build import RequestBuilder
from runner.engine.steps import documented
from runner.pause.prompts import PauseRequest, Prompter
from runner.render.scope import Scope


class PersonSteps:
    """Runs browser and pause steps for one run; per thread, remembers whether the last
    browser step opened a browser and the listener waiting for its redirect."""

    def __init__(
        self,
        context: RunContext,
        builder: RequestBuilder,
        prompter: Prompter,
        open_url: Callable[[str], object],
    ) -> None:
        self.context = context
        self.builder = builder
        self.prompter = prompter
        self.open_url = open_url
        self._local = threading.local()

    def browser(
        self, index: int, step: BrowserStep, path: tuple[str, ...], scope: Scope
    ) -> tuple[StepResult, str | None]:
        """Show (or open) the step's URL; the result, and the URL (None when it failed)."""
        context = self.context
        result = StepResult(index, step.name, "browser", step.loc, path, method=step.method)
        try:
            url = str(
                httpx.URL(context.renderer.render_str(step.url, scope)).copy_merge_params(
                    tuple(self.builder.pairs(step.params, scope))
                )
            )
        except RenderError as exc:
            return context.error(result, exc.message, "render"), None
        result.url = context.redactor.mask(url)
        if context.docs_failed(result, contracts_check_url(step, url)):
            return result, None
        self._listen_for_pause(index, url, scope)  # before the URL is shown or opened
        opened = False
        if context.options.open_browser or step.open:
            opened = bool(self.open_url(url))
        self._local.browser_opened = opened
        context.emit(BrowserShown(index, step.name, result.url, opened))
        return result, url

    def pause(
        self,
        index: int,
        step: PauseStep,
        path: tuple[str, ...],
        scope: Scope,
        browser_url: str | None,
        run: RunResult,
    ) -> StepResult:
        """Ask for the step's value (or take the redirect) and capture it."""
        context = self.context
        result = StepResult(index, step.name, "pause", step.loc, path)
        listener = getattr(self._local, "listener", None) if step.from_url else None
        request = PauseRequest(
            step.name, step.variable, step.loc, step.prompt, step.from_url, browser_url,
            step.secret, callback=listener,
            browser_opened=bool(getattr(self._local, "browser_opened", False)),
        )  # fmt: skip
        try:
            raw, value = self._ask(step, request, scope)
        except InputMissingError as exc:
            run.input_missing = True
            run.stopped_reason = exc.message
            return context.error(
                result, f"{exc.message}; {exc.hint}" if exc.hint else exc.message, "input_required"
            )
        except PauseRefusedError as exc:
            run.stopped_reason = exc.message
            return context.error(result, exc.message, "refused")
        except RenderError as exc:
            return context.error(result, exc.message, "render")
        finally:
            self._close_listener()
        if step.secret or step.variable in context.secret_names:
            context.redactor.add(value)
            context.redactor.add(raw)
        scope.capture(step.variable, value)
        result.captured.append(step.variable)
        return result

    def _ask(self, step: PauseStep, request: PauseRequest, scope: Scope) -> tuple[str, str]:
        """The answer as given, and the value it holds (a redirect's parameter)."""
        expected_state = (
            self.context.renderer.render_str(step.state, scope) if step.state is not None else None
        )
        raw = self.prompter.ask(request)
        value = raw
        if step.from_url is not None:
            value = parse_pasted(
                raw, param=step.from_url, expected_state=expected_state, loc=step.loc
            )
        return raw, value

    def _listen_for_pause(self, index: int, url: str, scope: Scope) -> None:
        """When the next step is a pause taking an OAuth redirect (``from_url``) and the URL's
        ``redirect_uri`` is a loopback address, listen there (RFC 8252): the pause then takes
        the browser's redirect by itself, or a pasted one, whichever comes first."""
        self._close_listener()
        steps = self.context.steps
        following = steps[index][0] if index < len(steps) else None
        if not isinstance(following, PauseStep) or following.from_url is None:
            return
        redirect_uri = httpx.URL(url).params.get("redirect_uri")
        if not redirect_uri:
            return
        try:
            state = (
                self.context.renderer.render_str(following.state, scope)
                if following.state is not None
                else None
            )
        except RenderError:
            return  # the pause reports it
        self._local.listener = self.context.auth.listen(
            redirect_uri, param=following.from_url, expected_state=state, index=index
        )

    def _close_listener(self) -> None:
        listener = getattr(self._local, "listener", None)
        if listener is not None:
            listener.close()
            self._local.listener = None


def contracts_check_url(step: BrowserStep, url: str) -> list[CheckResult]:
    """Documentation findings for a browser step's URL (none when nothing is documented)."""
    if not documented(step):
        return []
    from runner.engine.contracts import check_url

    return check_url(step, url)
