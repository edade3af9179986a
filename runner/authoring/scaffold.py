"""``runner new``: a collection, two environments and the editor schemas to start from.

The files are commented so they teach the format as they are edited, carry the YAML language
server's modeline (validation and completion in VS Code, JetBrains IDEs and Neovim, see
docs/authoring.md), pass ``runner check`` as they are, and are already in ``runner fmt``'s
canonical form. Existing files are never overwritten without ``--force``.
"""

from __future__ import annotations

import re
from pathlib import Path

from runner.core.errors import UsageError

COLLECTION = """\
# yaml-language-server: $schema=../schemas/collection.schema.json
# A collection: requests run in order, top to bottom. Reference: docs/format.md
#   runner check collections/{slug}.yaml -e environments/local.yaml   # validate, send nothing
#   runner run   collections/{slug}.yaml -e environments/local.yaml   # send the requests
#   runner run   collections/{slug}.yaml -e environments/local.yaml --watch   # again on save
name: {title}
description: What this collection checks, for the next person who reads it.
variables:
  # The lowest-precedence values; environments and --var NAME=VALUE override them.
  page_size: 10
steps:
  - request: List items
    url: <<base_url>>/items         # <<name>> is a variable: from the environment here
    params:
      limit: <<page_size>>
    headers:
      Accept: application/json
    expect:
      status: 200                   # a failed expectation fails the step, not the run
      max_time_ms: 2000
    capture:
      first_id: $[0].id             # a JSONPath into the response, for the next steps

  - request: Get the first item
    url: <<base_url>>/items/<<first_id>>
    auth: {{type: bearer, token: <<api_token>>}}   # api_token is secret by its name: masked
    expect:
      status: 200
      json:
        $.id: <<first_id>>

  # More kinds of steps: `browser:` (a URL a person opens), `pause:` (a value a person pastes,
  # such as an OAuth code) and `folder:` (a group of steps). Paste a curl command as a step:
  #   runner import curl --to collections/{slug}.yaml 'curl https://...'
"""

ENVIRONMENT = """\
# yaml-language-server: $schema=../schemas/environment.schema.json
# An environment: the values that change between servers. Pick one with -e.
name: {name}
variables:
  base_url: {base_url}
  # Never write a real secret here: read it from your shell when the run starts.
  api_token: << env('{token_env}', '{default}') >>
"""


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    return slug or "api"


def files_for(name: str) -> dict[str, str]:
    """The files ``runner new`` writes, by path relative to the target directory."""
    from runner.format.schema import shipped

    slug = _slug(name)
    token_env = f"{slug.upper()}_TOKEN"
    return {
        f"collections/{slug}.yaml": COLLECTION.format(slug=slug, title=name),
        "environments/local.yaml": ENVIRONMENT.format(
            name="local", base_url="http://127.0.0.1:8000/api", token_env=token_env,
            default="local-dev-token",
        ),
        "environments/staging.yaml": ENVIRONMENT.format(
            name="staging", base_url="https://staging.example.com/api", token_env=token_env,
            default="",
        ).replace(", '')", ")"),
        "schemas/collection.schema.json": shipped("collection"),
        "schemas/environment.schema.json": shipped("environment"),
    }  # fmt: skip


def create_files(root: Path, name: str, *, force: bool = False) -> list[Path]:
    """Write the files of ``files_for(name)`` under ``root``; return their paths, in order.
    UsageError (nothing written) when some exist and ``force`` is not given."""
    from runner.core.files import write_atomic

    files = files_for(name)
    existing = [rel for rel in files if (root / rel).exists()]
    if existing and not force:
        raise UsageError(
            "these files exist already: " + ", ".join(str(root / rel) for rel in existing),
            hint="pick another directory or --name, or pass --force to overwrite them",
        )
    written: list[Path] = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"), mode=0o644)
        written.append(path)
    return written
