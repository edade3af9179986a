"""``runner demo``: the Zoom OAuth collection end to end against a local stand-in, offline.

It starts ``OAuthDemoServer`` on 127.0.0.1, configured from ``environments/local.yaml`` (client
id and secret), with a redirect URI on a free loopback port, and runs
``collections/zoom_oauth.yaml`` against it. The oauth2 auth helper listens on that redirect URI
(RFC 8252) and "opens the browser": the demo plays the browser, which loads the consent page,
clicks Allow and follows the redirect to the runner's listener; nobody pastes anything.
``--interactive`` leaves the browser (or the pasting) to you; ``--serve`` only serves.
Tokens are kept for the run only: the demo never touches your token cache.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from runner.core.errors import ExitStatus
from runner.core.redact import Redactor
from runner.demo.play import COLLECTION, ENVIRONMENT, SERVE_PORT, DemoBrowser, demo_file, free_port
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
    with OAuthDemoServer(client) as server:
        variables = {
            "zoom_oauth_base": server.base_url,
            "zoom_api_base": f"{server.base_url}/v2",
            "redirect_uri": redirect_uri,
        }
        options = RunOptions(
            variables=variables,
            environ=console.environ,
            open_browser=not args.interactive,
            token_cache=False,  # the demo's tokens die with its server
        )

        def say(line: str) -> None:
            console.stdout.write(line + "\n")
            console.stdout.flush()

        say(f"Demo: a local Zoom-like authorization server is listening on {server.base_url}")
        open_url: Callable[[str], object] | None = None
        if args.interactive:
            say(f"      open the authorize URL below; the redirect to {redirect_uri} is taken")
            prompter = StandardPrompter(
                {}, console.environ, TerminalPrompter(console.stdin, console.stdout)
            )
        else:
            prompter = StandardPrompter({}, {}, None)  # nobody types: the listener takes it
            open_url = DemoBrowser(say, redactor)
        return execute(
            collection,
            environment,
            options,
            console,
            redactor,
            colour=False if args.no_color else None,
            prompter=prompter,
            open_url=open_url,
        )
