"""``runner auth list`` and ``runner auth clear``: look at and empty the OAuth token cache.

Listing shows where each token is from (token URL, client id, scopes, environment), when it
expires and whether it can be refreshed, never a token. Clearing removes entries, so the next
run authorizes again.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from runner.core.errors import ExitStatus

from ..arguments import Subparsers, group_help
from ..console import Console

if TYPE_CHECKING:
    from runner.auth.tokens import CacheEntry


def register(sub: Subparsers) -> None:
    auth = sub.add_parser(
        "auth",
        help="list or clear the cached OAuth tokens",
        description="The OAuth 2.0 token cache (docs/auth.md). No secret is ever shown.",
    )
    auth.set_defaults(handler=group_help(auth))  # `runner auth` alone: its help, exit 2
    commands = auth.add_subparsers(dest="auth_command", metavar="COMMAND")
    listing = commands.add_parser("list", help="show the cached tokens (no secrets)")
    listing.set_defaults(handler=cmd_list)
    clear = commands.add_parser("clear", help="delete cached tokens: all, or the IDs given")
    clear.add_argument(
        "ids", nargs="*", metavar="ID", help="an ID (or its start) from `runner auth list`"
    )
    clear.set_defaults(handler=cmd_clear)


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
