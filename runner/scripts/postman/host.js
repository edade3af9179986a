// Host for Postman's own sandbox (npm `postman-sandbox`), driven by runner/scripts/postman/host.py.
//
// One long-lived Node process: it boots the sandbox once (a worker thread running Postman's
// bootcode) and runs scripts one at a time. Python and this file speak JSON lines on
// stdin/stdout:
//   in:  {"op": "run", "id", "event", "script", "context", "cursor", "legacy", "timeout",
//         "legacy_apis"}  (false: the script cannot reach postman.*, tests[]...: not set up)
//   in:  {"op": "response", "id", "event_id", "error", "response"}   (answer to a "send")
//   out: {"op": "ready", "boot_ms"}
//   out: {"op": "send", "id", "event_id", "request"}                 (pm.sendRequest)
//   out: {"op": "result", "id", "tests", "console", "errors", "variables", "request", ...}
// Nothing else is written to stdout: the sandbox's own console goes through its events.
'use strict';

const path = require('path');
const readline = require('readline');

const modules = process.argv[2];
const Sandbox = require(path.join(modules, 'postman-sandbox'));
const sdk = require(path.join(modules, 'postman-collection'));

const SCOPES = ['globals', 'collectionVariables', 'environment', '_variables'];
// Node's built-in modules a script must not reach (the bundle answers some with `{}`).
const BLOCKED = /^(node:)?(fs|child_process|net|http|https|http2|tls|dgram|dns|os|path|process|vm|worker_threads|cluster|module|inspector|v8|perf_hooks|repl|readline)(\/|$)/;
const GUARD = 'const __runner_require = require; { const require = function require (name) { ' +
    'if (' + BLOCKED.toString() + '.test(String(name))) { ' +
    'throw new Error("Cannot find module \'" + name + "\'"); } ' +
    'return __runner_require(name); }; ';

let ctx = null;
let booting = null;
const waiting = []; // messages that arrived while the sandbox (re)booted
const running = {}; // id -> state of the execution in progress

function write (message) {
    process.stdout.write(JSON.stringify(message) + '\n');
}

function guarded (script) {
    const marker = /^\s*(["'])use sandbox2\1;/.exec(script);
    const head = marker ? marker[0] : '';

    return head + GUARD + script.slice(head.length) + '\n}';
}

function text (value) {
    if (typeof value === 'string') { return value; }
    try { return JSON.stringify(value); }
    catch (e) { return String(value); }
}

function requestSummary (request) {
    if (!request) { return null; }
    const req = sdk.Request.isRequest(request) ? request : new sdk.Request(request);
    const body = req.body;
    let mode = null;
    let raw = null;
    let form = null;

    if (body && body.mode) {
        mode = body.mode;
        if (mode === 'raw') { raw = body.raw || ''; }
        else if (mode === 'urlencoded' || mode === 'formdata') {
            form = (body[mode] ? body[mode].all() : [])
                .filter((p) => { return !p.disabled; })
                .map((p) => { return [p.key, p.value === undefined ? '' : String(p.value)]; });
        }
    }

    return {
        method: req.method || 'GET',
        url: req.url.toString(),
        headers: req.headers.all().filter((h) => { return !h.disabled; })
            .map((h) => { return [h.key, String(h.value === undefined ? '' : h.value)]; }),
        body_mode: mode,
        body: raw,
        form: form
    };
}

function variableChanges (scope) {
    // The sandbox tracks every set/unset (compacted: the last per name).
    const compacted = scope && scope.mutations && scope.mutations.compacted;
    const out = [];

    compacted && Object.keys(compacted).forEach((key) => {
        const m = compacted[key];

        out.push(m.length > 1 ? ['set', m[0], m[1]] : ['unset', m[0], null]);
    });

    return out;
}

function responseFor (r) {
    return r && {
        code: r.code,
        status: r.status,
        header: (r.headers || []).map((h) => { return { key: h[0], value: h[1] }; }),
        // Postman's Response makes the Buffer from this in the worker: a Buffer would cross to
        // it as a JSON array of numbers, one per byte (10 ms for a 20 KB body)
        stream: { type: 'Base64', data: r.body_b64 || '' },
        responseTime: r.response_time_ms || 0
    };
}

function finish (id, err, result) {
    const state = running[id];

    if (!state) { return; }
    delete running[id];
    const variables = {};
    const values = {};

    result && SCOPES.forEach((scope) => {
        variables[scope] = variableChanges(result[scope]);
        values[scope] = ((result[scope] && result[scope].values) || [])
            .map((v) => { return [v.key, v.value]; });
    });
    const reason = err && (err.message || String(err));

    reason && !state.errors.some((e) => { return e.endsWith(reason); }) && state.errors.push(reason);

    write({
        op: 'result',
        id: id,
        tests: state.tests,
        console: state.console,
        errors: state.errors,
        variables: variables,
        values: values,
        request: state.event === 'prerequest' && result ? requestSummary(result.request) : null,
        next_request: result && result.return && result.return.nextRequest !== undefined ?
            result.return.nextRequest : undefined,
        skip_request: state.skipped,
        timed_out: Boolean(err && /not responding|execution timeout/.test(err.message || ''))
    });
    if (err && /not responding/.test(err.message || '')) {
        reboot(); // the library terminated the worker stuck in the script
    }
}

// A syntax error must be one, not hidden by the guard's braces (`}{` would close them).
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

function compileError (script) {
    try { new AsyncFunction(script.replace(/^\s*(["'])use sandbox2\1;/, '')); return null; }
    catch (e) { return e instanceof SyntaxError ? 'SyntaxError: ' + e.message : null; }
}

// A run sends the same few scripts again and again: each is checked and wrapped once.
const prepared = new Map(); // script -> { invalid, exec }

function prepare (script) {
    let found = prepared.get(script);

    if (!found) {
        prepared.size >= 512 && prepared.clear();
        const invalid = compileError(script);

        found = { invalid: invalid, exec: invalid ? null : guarded(script) };
        prepared.set(script, found);
    }

    return found;
}

function run (msg) {
    const id = msg.id;
    const context = Object.assign({}, msg.context);
    const script = prepare(msg.script);

    if (script.invalid) {
        running[id] = {
            event: msg.event, tests: [], console: [], errors: [script.invalid], skipped: false
        };

        return finish(id, null, null);
    }

    context.response && (context.response = responseFor(context.response));
    running[id] = { event: msg.event, tests: [], console: [], errors: [], skipped: false };
    ctx.execute({ listen: msg.event, script: { exec: script.exec } }, {
        id: id,
        context: context,
        cursor: msg.cursor || {},
        legacy: msg.legacy || {},
        timeout: msg.timeout,
        disableLegacyAPIs: msg.legacy_apis === false
    }, (err, result) => { finish(id, err, result); });
}

function attach (sandbox) {
    sandbox.on('execution.assertion', (cursor, assertions) => {
        const state = running[cursor && cursor.execution];

        state && assertions.forEach((a) => {
            state.tests.push({
                name: String(a.name),
                passed: Boolean(a.passed),
                skipped: Boolean(a.skipped),
                error: a.error ? (a.error.message || String(a.error)) : null
            });
        });
    });
    sandbox.on('execution.error', (cursor, err) => {
        const state = running[cursor && cursor.execution];

        state && state.errors.push((err && (err.name && err.name !== 'Error' ? err.name + ': ' : '') +
            (err.message || String(err))) || 'error');
    });
    sandbox.on('console', (cursor, level, ...args) => {
        const state = running[cursor && cursor.execution];

        state && state.console.push([level, args.map(text).join(' ')]);
    });
}

function onSkip (id) {
    running[id] && (running[id].skipped = true);
}

function boot (callback) {
    const started = Date.now();

    Sandbox.createContext({ debug: false, timeout: 2000 }, (err, sandbox) => {
        if (err) { throw err; }
        attach(sandbox);
        // pm.sendRequest: ask Python, which sends through the runner's transport.
        const dispatchEvent = sandbox.emit.bind(sandbox);

        sandbox.emit = function (name, ...args) {
            if (typeof name === 'string' && name.startsWith('execution.request.')) {
                const [, id, eventId, request] = args;

                write({ op: 'send', id: id, event_id: eventId, request: requestSummary(request) });
            }
            else if (typeof name === 'string' && name.startsWith('execution.skipRequest.')) {
                onSkip(name.slice('execution.skipRequest.'.length));
            }

            return dispatchEvent(name, ...args);
        };
        ctx = sandbox;
        callback(Date.now() - started);
    });
}

function reboot () {
    ctx = null;
    booting = true;
    boot(() => {
        booting = null;
        waiting.splice(0).forEach(handle);
    });
}

function handle (msg) {
    if (!ctx || booting) { waiting.push(msg); return; }
    if (msg.op === 'run') { run(msg); }
    else if (msg.op === 'response') {
        const error = msg.error ? { name: 'Error', message: msg.error } : null;

        ctx.dispatch('execution.response.' + msg.id, msg.event_id, error,
            error ? null : responseFor(msg.response), null);
    }
}

booting = true;
boot((ms) => {
    booting = null;
    write({ op: 'ready', boot_ms: ms });
    waiting.splice(0).forEach(handle);
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim()) { handle(JSON.parse(line)); }
}).on('close', () => { process.exit(0); });
