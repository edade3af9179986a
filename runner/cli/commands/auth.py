"""``runner auth login``, ``list`` and ``clear``: fill, look at and empty the OAuth token cache.

Login runs a collection's oauth2 flow once, where a person is, so that CI can refresh
without one (docs/auth.md#in-ci); it prints the refresh token only when asked, and masked
unless asked twice. Listing shows where each token is from (token URL, client id, scopes,
environment), when it expires and whether it can be refreshed, never a token. Clearing
removes entries, so the next run authorizes again.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, TextIO

from runner.core.errors import ExitStatus, RunnerError
from runner.core.events import AuthNote, BrowserShown, Event

from ..arguments import Subparsers, add_collection_arguments, group_help, load_inputs
from ..console import Console

if TYPE_CHECKING:
    from runner.auth.tokens import CacheEntry
    from runner.core.model import Auth, Collection


def register(sub: Subparsers) -> None:
    auth = sub.add_parser(
        "auth",
        help="log in once (OAuth 2.0), list or clear the cached tokens",
        description="The OAuth 2.0 token cache (docs/auth.md). No secret is ever shown.",
    )
    auth.set_defaults(handler=group_help(auth))  # `runner auth` alone: its help, exit 2
    commands = auth.add_subparsers(dest="auth_command", metavar="COMMAND")
    login = commands.add_parser(
        "login",
        help="run the collection's oauth2 flow once and cache the tokens (for CI)",
        description="Authorize now (browser and loopback, or device code), whatever is cached, "
        "and keep the tokens in the cache; a CI run then refreshes without a person "
        "(docs/auth.md#in-ci). Messages go to stderr; stdout holds only the refresh token "
        "of --print-refresh-token.",
    )
    add_collection_arguments(login)
    login.add_argument(
        "--open", action="store_true", help="open the authorization URL in the system browser"
    )
    login.add_argument(
        "--callback-timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for the browser's redirect or the device code (default 300)",
    )
    login.add_argument(
        "--print-refresh-token",
        action="store_true",
        help="print the refresh token on stdout, for a CI secret store (masked without "
        "--show-secret)",
    )
    login.add_argument(
        "--show-secret",
        action="store_true",
        help="with --print-refresh-token: print the token itself",
    )
    login.set_defaults(handler=cmd_login)
    listing = commands.add_parser("list", help="show the cached tokens (no secrets)")
    listing.set_defaults(handler=cmd_list)
    clear = commands.add_parser("clear", help="delete cached tokens: all, or the IDs given")
    clear.add_argument(
        "ids", nargs="*", metavar="ID", help="an ID (or its start) from `runner auth list`"
    )
    clear.set_defaults(handler=cmd_clear)


class _Shown:
    """The login's part of a run's console: where to authorize, and the auth notes (stderr)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def on_event(self, event: Event) -> None:
        if isinstance(event, BrowserShown):
            action = "Opened in your browser" if event.opened else "Open this URL in your browser"
            self.stream.write(f"{event.name}: {action}:\n    {event.url}\n")
        elif isinstance(event, AuthNote):
            self.stream.write(f"· auth: {event.message}\n")
        self.stream.flush()


def oauth2_blocks(collection: Collection) -> list[Auth]:
    """Every oauth2 auth of the collection (its own, its folders', its requests'), in order."""
    from runner.core.model import walk

    found = [collection.auth] + [getattr(step, "auth", None) for step, _ in walk(collection.steps)]
    return [auth for auth in found if auth is not None and auth.oauth2 is not None]


def cmd_login(args: argparse.Namespace, console: Console) -> int:
    from runner.core.redact import Redactor
    from runner.engine.engine import Engine
    from runner.engine.options import RunOptions
    from runner.pause.prompts import StandardPrompter, TerminalPrompter, is_interactive

    err = console.stderr
    redactor = Redactor()
    try:
        collection, environment = load_inputs(args)
        blocks = oauth2_blocks(collection)
        if not blocks:
            err.write(f"error: {args.collection} has no oauth2 auth: nothing to log in to\n")
            return int(ExitStatus.INVALID)
        terminal = None
        if is_interactive(console.stdin, console.stderr, console.environ):
            terminal = TerminalPrompter(console.stdin, console.stderr)
        options = RunOptions(
            variables=dict(args.var),
            open_browser=args.open,
            callback_timeout=args.callback_timeout,
            environ=console.environ,
        )
        engine = Engine(
            collection,
            environment,
            options,
            prompter=StandardPrompter({}, console.environ, terminal),
            listeners=[_Shown(err)],
            redactor=redactor,
        )
        scope = engine.prepare()
        done: set[str] = set()
        refresh_tokens: list[str] = []
        for auth in blocks:
            token, key = engine.auth.login(auth, scope)
            if key.id in done:
                continue
            done.add(key.id)
            cache = engine.auth.cache
            where = cache.directory if cache.directory is not None else "memory"
            refresh = "refreshable" if token.refresh_token else "no refresh token"
            err.write(
                f"logged in: {key.client_id} at {key.token_url}; cached in {where} as "
                f"{key.id[:12]} ({refresh})\n"
            )
            if token.refresh_token:
                refresh_tokens.append(token.refresh_token)
            else:
                err.write(
                    "warning: the server issued no refresh token, so CI cannot refresh; ask "
                    "for one (the offline_access scope, or params: {prompt: consent})\n"
                )
    except RunnerError as exc:
        console.error(exc, redactor)
        return int(exc.exit_status)
    if args.print_refresh_token:
        if not refresh_tokens:
            err.write("error: no refresh token to print\n")
            return int(ExitStatus.FAILED)
        for refresh_token in refresh_tokens:
            console.stdout.write((refresh_token if args.show_secret else "[REDACTED]") + "\n")
        if args.show_secret:
            err.write("warning: the refresh token printed is a secret; keep it out of logs\n")
        else:
            err.write("the refresh token is masked; add --show-secret to print it\n")
    return int(ExitStatus.OK)


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    from runner.auth.tokens import TokenCache

    cache = TokenCache.default(console.environ)
    entries = cache.entries()
    out = console.stdout
    out.write(f"Token cache: {cache.directory}\n")
    if not entries:
        out.write("no cached tokens\n")
        return int(ExitStatus.OK)
    now = time.time()
    for entry in entries:
        out.write(_line(entry, now) + "\n")
    out.write(f"{len(entries)} cached token{'s' if len(entries) != 1 else ''}\n")
    return int(ExitStatus.OK)


def cmd_clear(args: argparse.Namespace, console: Console) -> int:
    from runner.auth.tokens import TokenCache

    cache = TokenCache.default(console.environ)
    out = console.stdout
    if not args.ids:
        count = cache.clear()
        out.write(
            f"removed {count} cached token{'s' if count != 1 else ''} from {cache.directory}\n"
        )
        return int(ExitStatus.OK)
    known = [entry.id for entry in cache.entries()]
    status = ExitStatus.OK
    for given in args.ids:
        matches = [entry_id for entry_id in known if entry_id.startswith(given.lower())]
        if len(matches) != 1:
            why = "no cached token has" if not matches else "more than one cached token has"
            console.stderr.write(f"error: {why} the ID {given!r} (see `runner auth list`)\n")
            status = ExitStatus.INVALID
            continue
        cache.remove(matches[0])
        out.write(f"removed {matches[0][:12]}\n")
    return int(status)


def _line(entry: CacheEntry, now: float) -> str:
    if entry.key is None:
        return f"{entry.id[:12]}  (unreadable: {entry.path}; `runner auth clear {entry.id[:12]}`)"
    key = entry.key
    scopes = " ".join(key.scopes) or "-"
    env = key.environment or "-"
    refresh = "refreshable" if entry.has_refresh_token else "no refresh token"
    return (
        f"{entry.id[:12]}  {key.token_url}  client {key.client_id}  scopes {scopes}  "
        f"environment {env}  {entry.grant or '?'}  {_expires(entry.expires_at, now)}  {refresh}"
    )


def _expires(expires_at: float | None, now: float) -> str:
    if expires_at is None:
        return "no expiry given"
    left = expires_at - now
    if left <= 0:
        return f"expired {_span(-left)} ago"
    return f"expires in {_span(left)}"


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
