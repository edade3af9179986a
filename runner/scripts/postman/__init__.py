"""Postman scripts in Postman's own sandbox (npm ``postman-sandbox``) on Node.js; see host.py."""

from runner.scripts.postman.host import (
    HttpRequest,
    HttpResponse,
    PostmanSandbox,
    SandboxError,
    ScriptContext,
    ScriptOutcome,
    ScriptTest,
    VariableChange,
)
from runner.scripts.postman.install import INTEGRITY, VERSION, SandboxInstallError

__all__ = [
    "INTEGRITY",
    "VERSION",
    "HttpRequest",
    "HttpResponse",
    "PostmanSandbox",
    "SandboxError",
    "SandboxInstallError",
    "ScriptContext",
    "ScriptOutcome",
    "ScriptTest",
    "VariableChange",
]
