"""``runner demo``: the Zoom OAuth flow end to end against a local stand-in, offline.

It starts ``OAuthDemoServer`` on 127.0.0.1, configured from ``environments/local.yaml`` (client
id and secret), with a redirect URI on a free loopback port, and runs against it:

1. ``collections/zoom_oauth_steps.yaml``, the seed flow as ordered steps: the authorize browser
   step, the pause for the pasted redirect (the demo plays the person: it authorizes and pastes
   the redirect URL, shown as pasted), the token request, the API call, the refresh;
2. ``collections/zoom_oauth.yaml``: the oauth2 helper doing the same in one step (the demo
   plays the browser, redirected to the runner's loopback listener);
3. the same again: the token comes from the cache.

``--interactive`` leaves the browser (or the pasting) to you; ``--serve`` only serves.
The demo's token cache is a temporary folder: it never touches yours.
"""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

from runner.auth.tokens import CACHE_ENV
from runner.core.errors import ExitStatus
from runner.core.redact import Redactor
from runner.demo.play import (
    COLLECTION,
    ENVIRONMENT,
    SERVE_PORT,
    STEPS_COLLECTION,
    DemoBrowser,
    DemoPerson,
    demo_file,
    free_port,
)
from runner.engine.engine import Engine, RunOptions
from runner.format.loader import load_collection, load_environment
from runner.pause.prompts import StandardPrompter, TerminalPrompter

from ..arguments import Subparsers
from ..console import Console
from ..running import execute


def register(sub: Subparsers) -> None:
    demo = sub.add_parser("demo", help="run the Zoom OAuth collection against a local server")
    demo.add_argument(
        "--interactive",
        action="store_true",
        help="you authorize in your browser (or paste the redirect URL) instead of the demo",
    )
    demo.add_argument(
        "--serve",
        action="store_true",
        help="only start the local authorization server and print its address",
    )
    demo.add_argument(
        "--port",
        type=int,
        default=None,
        help="port for --serve (default 8765, the one environments/local.yaml uses)",
    )
    demo.add_argument("--no-color", action="store_true", help="plain output even on a terminal")

    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    from runner.demo.server import DemoClient, OAuthDemoServer

    collection = load_collection(demo_file(COLLECTION))
    environment = load_environment(demo_file(ENVIRONMENT))
    redactor = Redactor()
    # The environment file is the single source of the demo's client settings.
    scope = Engine(
        collection, environment, RunOptions(environ=console.environ), redactor=redactor
    ).prepare()
    client = DemoClient(
        str(scope["oAuthDevClientId"]),
        str(scope["oAuthDevClientSecret"]),
        str(scope["redirect_uri"]),
    )

    if args.serve:
        port = args.port if args.port is not None else SERVE_PORT
        server = OAuthDemoServer(client, port=port)
        server.start()
        out = console.stdout
        out.write(
            f"Demo OAuth server listening on {server.base_url}\n"
            f"  client id {client.client_id}, redirect URI {client.redirect_uri}\n"
        )
        if port != SERVE_PORT:
            out.write(
                f"  (not the port in {ENVIRONMENT}: add --var zoom_oauth_base={server.base_url} "
                f"--var zoom_api_base={server.base_url}/v2)\n"
            )
        out.write(
            f"Run the collection in another terminal:\n"
            f"  runner run {COLLECTION} -e {ENVIRONMENT}\n"
            "Stop with Ctrl-C.\n"
        )
        out.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
        return int(ExitStatus.OK)

    # A free loopback port for the redirect URI, so the demo never collides with another run.
    redirect_uri = f"http://127.0.0.1:{free_port()}/oauth/callback"
    client = DemoClient(client.client_id, client.client_secret, redirect_uri)
    with OAuthDemoServer(client) as server, tempfile.TemporaryDirectory() as cache:
        variables = {
            "zoom_oauth_base": server.base_url,
            "zoom_api_base": f"{server.base_url}/v2",
            "redirect_uri": redirect_uri,
        }
        # the demo's tokens die with its server: a cache of its own, never the user's
        environ = {**console.environ, CACHE_ENV: cache}

        def say(line: str) -> None:
            console.stdout.write(line + "\n")
            console.stdout.flush()

        def run(path: str, prompter: StandardPrompter | DemoPerson, **kw: Any) -> int:
            options = RunOptions(variables=variables, environ=environ, **kw)
            return execute(
                load_collection(demo_file(path)), environment, options, console, redactor,
                colour=False if args.no_color else None, prompter=prompter,
                open_url=open_url, listeners=[open_url] if open_url is not None else [],
            )  # fmt: skip

        say(f"Demo: a local Zoom-like authorization server is listening on {server.base_url}")
        open_url: DemoBrowser | None = None
        if args.interactive:
            say(f"      open the authorize URL below; the redirect to {redirect_uri} is taken")
            person: StandardPrompter | DemoPerson = StandardPrompter(
                {}, console.environ, TerminalPrompter(console.stdin, console.stdout)
            )
        else:
            person = DemoPerson(say, redactor)
        say("")
        say(f"1. The flow step by step ({STEPS_COLLECTION}): a browser step, a pause for the")
        say("   pasted redirect, the token request, an API call, a refresh.")
        status = run(STEPS_COLLECTION, person)
        if not args.interactive:
            person = StandardPrompter({}, {}, None)  # nobody types: the listener takes it
            open_url = DemoBrowser(say, redactor)
        say("")
        say(f"2. The same with the oauth2 helper, in one step ({COLLECTION}):")
        status = max(status, run(COLLECTION, person, open_browser=not args.interactive))
        say("")
        say("3. Again: the token is in the cache now, so no browser and no pasting:")
        status = max(status, run(COLLECTION, person, open_browser=not args.interactive))
        return status
