"""The token cache: where it lives, its file modes, atomic writes, and `runner auth`."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RunCli

from runner.auth.tokens import (
    TokenCache,
    TokenCacheError,
    TokenKey,
    TokenSet,
    default_directory,
)

KEY = TokenKey.make("https://auth.example.com/token", "client-1", ["b", "a", "a"], "staging")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def token(access: str = "at-1", refresh: str | None = "rt-1", expires_in: float = 3600) -> TokenSet:
    return TokenSet.from_response(
        {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
         "expires_in": expires_in, "scope": "a b", "extra": {"ignored": True}}
    )  # fmt: skip


def test_where_the_cache_lives(tmp_path: Path) -> None:
    assert default_directory({"RUNNER_CACHE_DIR": str(tmp_path)}) == tmp_path / "tokens"
    xdg = default_directory({"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert xdg == tmp_path / "xdg" / "runner" / "tokens"
    # without either, the platform's user cache directory: never the project
    home = default_directory({})
    project = Path(__file__).resolve().parent.parent
    assert "runner" in home.parts and not home.is_relative_to(project)


def test_the_key_ignores_scope_order_and_repeats() -> None:
    same = TokenKey.make("https://auth.example.com/token", "client-1", ["a", "b"], "staging")
    assert same == KEY and same.id == KEY.id
    other_env = TokenKey.make("https://auth.example.com/token", "client-1", ["a", "b"], "prod")
    assert other_env.id != KEY.id
    assert len({KEY.id, other_env.id, TokenKey.make("x", "client-1", [], None).id}) == 3


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "tokens")
    assert cache.load(KEY) is None
    cache.save(KEY, token(), "authorization_code")
    loaded = cache.load(KEY)
    assert loaded is not None
    assert (loaded.access_token, loaded.refresh_token, loaded.scope) == ("at-1", "rt-1", "a b")
    assert loaded.fresh()
    other = TokenKey.make("https://auth.example.com/token", "client-2", [], "staging")
    assert cache.load(other) is None
    doc = json.loads((tmp_path / "tokens" / f"{KEY.id}.json").read_text())
    assert doc["key"]["client_id"] == "client-1" and doc["grant"] == "authorization_code"


def test_expiry_margin() -> None:
    now = time.time()
    hour = token(expires_in=3600)
    assert hour.fresh(now) and hour.fresh(now + 3530)
    assert not hour.fresh(now + 3550)  # within a minute of expiry: refresh it
    short = token(expires_in=5)  # short-lived: the margin is a tenth of its lifetime
    assert short.fresh(now) and not short.fresh(now + 4.6)
    assert TokenSet("no-expiry").fresh()


def test_files_are_0600_in_a_0700_directory_whatever_the_umask(
    tmp_path: Path, umask_000: None
) -> None:
    directory = tmp_path / "cache" / "tokens"
    TokenCache(directory).save(KEY, token(), "client_credentials")
    assert mode(directory / f"{KEY.id}.json") == 0o600
    assert mode(directory) == 0o700
    assert mode(directory.parent) == 0o700  # created by us: nobody else needs it


def test_a_looser_file_and_directory_converge_on_the_next_save(tmp_path: Path) -> None:
    directory = tmp_path / "tokens"
    cache = TokenCache(directory)
    cache.save(KEY, token(), "client_credentials")
    path = directory / f"{KEY.id}.json"
    path.chmod(0o644)
    directory.chmod(0o755)
    cache.save(KEY, token("at-2"), "client_credentials")
    assert mode(path) == 0o600 and mode(directory) == 0o700
    assert [p.name for p in directory.iterdir()] == [path.name]  # no temporary file left


def test_a_symlinked_cache_directory_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.mkdir()
    (tmp_path / "tokens").symlink_to(real)
    with pytest.raises(TokenCacheError, match="not a plain directory"):
        TokenCache(tmp_path / "tokens").save(KEY, token(), "client_credentials")
    assert list(real.iterdir()) == []


def test_unreadable_files_are_ignored_not_fatal(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "tokens")
    cache.save(KEY, token(), "client_credentials")
    (tmp_path / "tokens" / f"{KEY.id}.json").write_text("{ not json")
    assert cache.load(KEY) is None
    assert [e.key for e in cache.entries()] == [None]


def test_memory_only_cache_writes_nothing(tmp_path: Path) -> None:
    cache = TokenCache(None)
    cache.save(KEY, token(), "client_credentials")
    loaded = cache.load(KEY)
    assert loaded is not None and loaded.access_token == "at-1"
    assert cache.clear() == 1 and cache.load(KEY) is None


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from runner.auth.tokens import TokenCache, TokenKey, TokenSet
    cache = TokenCache(Path(sys.argv[1]))
    key = TokenKey.make("https://auth.example.com/token", "client-1", [], "kill")
    big = "x" * 200_000  # a slow enough write that a kill often lands inside one
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    n = 0
    while True:
        n += 1
        tag = "new" if n % 2 else "old"
        cache.save(key, TokenSet(tag + "-" + big, refresh_token=tag), "client_credentials")
    """
)


def test_killing_the_process_while_it_writes_leaves_the_old_or_the_new_file(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "tokens"
    key = TokenKey.make("https://auth.example.com/token", "client-1", [], "kill")
    cache = TokenCache(directory)
    cache.save(key, TokenSet("old-" + "x" * 200_000, refresh_token="old"), "client_credentials")
    rng = random.Random(1234)
    for _ in range(25):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(directory)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        doc = json.loads((directory / f"{key.id}.json").read_text())  # never torn
        loaded = cache.load(key)
        assert loaded is not None and loaded.refresh_token in ("old", "new")
        assert loaded.access_token == f"{loaded.refresh_token}-" + "x" * 200_000
        assert doc["version"] == 1
    # what a killed writer leaves behind are temporary files only, swept by `auth clear`
    leftovers = [p for p in directory.iterdir() if p.suffix == ".tmp"]
    assert all(p.name.startswith(f".{key.id}.json.") for p in leftovers)
    assert TokenCache(directory).clear() == 1
    assert list(directory.iterdir()) == []


# -- runner auth list | clear ---------------------------------------------------------------------


def test_auth_list_and_clear_show_no_secret(run_cli: RunCli, tmp_path: Path) -> None:
    env = {"RUNNER_CACHE_DIR": str(tmp_path)}
    assert "no cached tokens" in run_cli("auth", "list", env=env).out
    cache = TokenCache(tmp_path / "tokens")
    cache.save(KEY, token("SECRET-ACCESS", "SECRET-REFRESH"), "authorization_code")
    other = TokenKey.make("https://zoom.us/oauth/token", "s2s-client", [], None)
    cache.save(other, token("SECRET-2", None, expires_in=-10), "account_credentials")
    listing = run_cli("auth", "list", env=env)
    assert listing.code == 0
    assert "SECRET" not in listing.output
    assert str(tmp_path / "tokens") in listing.out
    assert "client client-1" in listing.out and "scopes a b" in listing.out
    assert "environment staging" in listing.out and "refreshable" in listing.out
    assert "s2s-client" in listing.out and "expired" in listing.out
    assert "2 cached tokens" in listing.out
    cleared = run_cli("auth", "clear", KEY.id[:8], env=env)
    assert cleared.code == 0 and f"removed {KEY.id[:12]}" in cleared.out
    assert cache.load(KEY) is None and cache.load(other) is not None
    missing = run_cli("auth", "clear", "ffffffffff", env=env)
    assert missing.code == 2 and "no cached token has the ID" in missing.err
    assert "removed 1 cached token" in run_cli("auth", "clear", env=env).out
    assert cache.entries() == []
