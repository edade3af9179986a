// The `pm` sandbox API (a core subset of Postman's), evaluated in a fresh V8 isolate for the
// scripts of one request (collection, folder and request scripts, in that order). Python fills
// in __CTX__ (the request, response, variables) and __SOURCES__ ([label, source] pairs); the
// last expression is the outcome, as JSON. scripting_crypto.js (CryptoJS) is evaluated first.
var __ctx = JSON.parse(__CTX__);
var __tests = [];
var __changes = [];  // ["set" | "unset", layer, name, value] in the order the scripts made them
var __next = undefined;
function __unsupported(name) { throw new Error("unsupported Postman API: " + name); }
function __fmt(v) {
  if (typeof v === "function") return "[Function]";
  if (v === undefined) return "undefined";
  try { return JSON.stringify(v); } catch (e) { return String(v); }
}
function __deepEq(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
function __typeOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof RegExp) return "regexp";
  if (v instanceof Date) return "date";
  return typeof v;
}

// -- pm.expect: a chai subset -----------------------------------------------------------------
function Assertion(obj, negate) { this._obj = obj; this._not = !!negate; this._deep = false; }
Assertion.prototype._assert = function (ok, msg, negMsg) {
  if (this._not) ok = !ok;
  if (!ok) {
    var shown = this._obj && this._obj.__isResponse ? "response" : (this._obj && this._obj.__isRequest ? "request" : __fmt(this._obj));
    throw new Error("expected " + shown + " " + (this._not ? negMsg : msg));
  }
  return this;
};
["to", "be", "been", "is", "that", "which", "and", "has", "have", "with", "at", "of", "same", "does", "still", "all", "any", "own", "nested", "ordered"].forEach(function (w) {
  Object.defineProperty(Assertion.prototype, w, { get: function () { return this; } });
});
Object.defineProperty(Assertion.prototype, "not", { get: function () { this._not = !this._not; return this; } });
Object.defineProperty(Assertion.prototype, "deep", { get: function () { this._deep = true; return this; } });
var __flags = {
  "true": function (o) { return o === true; },
  "false": function (o) { return o === false; }, "null": function (o) { return o === null; },
  "undefined": function (o) { return o === undefined; },
  "NaN": function (o) { return typeof o === "number" && isNaN(o); },
  empty: function (o) { return o != null && (o.length === 0 || (typeof o === "object" && !Array.isArray(o) && Object.keys(o).length === 0)); },
  exist: function (o) { return o !== null && o !== undefined; },
  // Postman's own: what an object is
  postmanRequest: function (o) { return !!(o && o.__isRequest); },
  postmanResponse: function (o) { return !!(o && o.__isResponse); },
  postmanRequestOrResponse: function (o) { return !!(o && (o.__isRequest || o.__isResponse)); }
};
Object.keys(__flags).forEach(function (k) {
  Object.defineProperty(Assertion.prototype, k, { get: function () {
    return this._assert(__flags[k](this._obj), "to be " + k, "not to be " + k);
  } });
});
Assertion.prototype.equal = Assertion.prototype.equals = Assertion.prototype.eq = function (v) {
  var ok = this._deep ? __deepEq(this._obj, v) : this._obj === v;
  return this._assert(ok, "to equal " + __fmt(v), "not to equal " + __fmt(v));
};
Assertion.prototype.eql = Assertion.prototype.eqls = function (v) { return this._assert(__deepEq(this._obj, v), "to deeply equal " + __fmt(v), "not to deeply equal " + __fmt(v)); };
Assertion.prototype.include = Assertion.prototype.contain = Assertion.prototype.includes = Assertion.prototype.contains = function (v) {
  var o = this._obj instanceof Url ? String(this._obj) : this._obj, ok;
  if (typeof o === "string") ok = o.indexOf(v) !== -1;
  else if (Array.isArray(o)) ok = o.some(function (x) { return __deepEq(x, v); });
  else if (o && typeof o === "object" && v && typeof v === "object") ok = Object.keys(v).every(function (k) { return __deepEq(o[k], v[k]); });
  else ok = false;
  return this._assert(ok, "to include " + __fmt(v), "not to include " + __fmt(v));
};
Assertion.prototype.members = function (list) {
  var o = this._obj || [], ok = Array.isArray(o) && o.length === list.length && list.every(function (x) { return o.some(function (y) { return __deepEq(x, y); }); });
  return this._assert(ok, "to have the same members as " + __fmt(list), "not to have the same members as " + __fmt(list));
};
Assertion.prototype.keys = Assertion.prototype.key = function (keys) {
  keys = Array.isArray(keys) ? keys : Array.prototype.slice.call(arguments);
  var o = this._obj, ok = o != null && keys.every(function (k) { return Object.prototype.hasOwnProperty.call(o, k); });
  return this._assert(ok, "to have keys " + __fmt(keys), "not to have keys " + __fmt(keys));
};
Assertion.prototype.property = function (name, value) {
  var o = this._obj, has = o !== null && o !== undefined && Object(o)[name] !== undefined;
  if (arguments.length > 1) return this._assert(has && __deepEq(o[name], value), "to have property " + __fmt(name) + " of " + __fmt(value), "not to have property " + __fmt(name) + " of " + __fmt(value));
  this._assert(has, "to have property " + __fmt(name), "not to have property " + __fmt(name));
  return this._not ? this : new Assertion(o[name]);
};
function __typeAssert(t) {
  var want = String(t).toLowerCase(), got = __typeOf(this._obj);
  return this._assert(got === want || (want === "object" && got === "object"), "to be a " + t, "not to be a " + t);
}
// `a`/`an` are chai's chainable methods: `.a("string")` and `.a.postmanRequest` both work.
["a", "an"].forEach(function (name) {
  Object.defineProperty(Assertion.prototype, name, { get: function () {
    var self = this, f = function (t) { return __typeAssert.call(self, t); };
    Object.setPrototypeOf(f, self);
    return f;
  } });
});
Assertion.prototype.instanceof = Assertion.prototype.instanceOf = function (C) { return this._assert(this._obj instanceof C, "to be an instance of " + (C && C.name), "not to be an instance of " + (C && C.name)); };
Assertion.prototype.above = Assertion.prototype.gt = Assertion.prototype.greaterThan = function (n) { return this._assert(this._obj > n, "to be above " + n, "not to be above " + n); };
Assertion.prototype.below = Assertion.prototype.lt = Assertion.prototype.lessThan = function (n) { return this._assert(this._obj < n, "to be below " + n, "not to be below " + n); };
Assertion.prototype.least = Assertion.prototype.gte = function (n) { return this._assert(this._obj >= n, "to be at least " + n, "not to be at least " + n); };
Assertion.prototype.most = Assertion.prototype.lte = function (n) { return this._assert(this._obj <= n, "to be at most " + n, "not to be at most " + n); };
Assertion.prototype.within = function (lo, hi) { return this._assert(this._obj >= lo && this._obj <= hi, "to be within " + lo + ".." + hi, "not to be within " + lo + ".." + hi); };
Assertion.prototype.closeTo = Assertion.prototype.approximately = function (n, delta) { return this._assert(Math.abs(this._obj - n) <= delta, "to be close to " + n + " +/- " + delta, "not to be close to " + n + " +/- " + delta); };
Assertion.prototype.lengthOf = Assertion.prototype.length = function (n) {
  var len = this._obj == null ? undefined : this._obj.length;
  return this._assert(len === n, "to have length " + n + " (got " + len + ")", "not to have length " + n);
};
Assertion.prototype.match = Assertion.prototype.matches = function (re) { return this._assert(re.test(String(this._obj)), "to match " + re, "not to match " + re); };
Assertion.prototype.string = function (s) { return this._assert(String(this._obj).indexOf(s) !== -1, "to contain " + __fmt(s), "not to contain " + __fmt(s)); };
Assertion.prototype.oneOf = function (list) { var o = this._obj; return this._assert(list.some(function (x) { return __deepEq(x, o); }), "to be one of " + __fmt(list), "not to be one of " + __fmt(list)); };
Assertion.prototype.satisfy = Assertion.prototype.satisfies = function (fn) { return this._assert(!!fn(this._obj), "to satisfy " + fn, "not to satisfy " + fn); };
Assertion.prototype.throw = Assertion.prototype.throws = Assertion.prototype.Throw = function (expected) {
  var thrown = null, did = false;
  try { this._obj(); } catch (e) { did = true; thrown = e; }
  var message = thrown && thrown.message !== undefined ? String(thrown.message) : String(thrown);
  var ok = did;
  if (did && typeof expected === "string") ok = message.indexOf(expected) !== -1;
  else if (did && expected instanceof RegExp) ok = expected.test(message);
  var what = expected === undefined ? "" : " " + (expected instanceof RegExp ? String(expected) : __fmt(expected));
  return this._assert(ok, "function to throw" + what + (did ? " (threw " + __fmt(message) + ")" : ""), "function not to throw" + what);
};
Assertion.prototype.jsonSchema = function () { __unsupported("jsonSchema (JSON Schema in scripts; use expect: schema)"); };
// pm.response.to.have.status(...) and friends: an assertion over the response object.
Assertion.prototype.status = Assertion.prototype.statusCode = Assertion.prototype.code = function (s) {
  var r = this._obj;
  if (typeof s === "number") return this._assert(r.code === s, "to have status code " + s + " (got " + r.code + ")", "not to have status code " + s);
  return this._assert(r.status === s, "to have status " + __fmt(s) + " (got " + __fmt(r.status) + ")", "not to have status " + __fmt(s));
};
Assertion.prototype.statusReason = function (s) {
  var r = this._obj;
  return this._assert(r.status === s, "to have status reason " + __fmt(s) + " (got " + __fmt(r.status) + ")", "not to have status reason " + __fmt(s));
};
Assertion.prototype.header = function (name, value) {
  var r = this._obj, has = r.headers.has(name);
  if (arguments.length > 1) return this._assert(has && r.headers.get(name) === value, "to have header " + name + ": " + value, "not to have header " + name + ": " + value);
  return this._assert(has, "to have header " + name, "not to have header " + name);
};
Assertion.prototype.jsonBody = function (path, value) {
  var body; try { body = this._obj.json(); } catch (e) { return this._assert(false, "to have a JSON body", "not to have a JSON body"); }
  if (arguments.length === 0) return this._assert(true, "to have a JSON body", "not to have a JSON body");
  if (typeof path === "object") return this._assert(__deepEq(body, path), "to have JSON body " + __fmt(path), "not to have JSON body " + __fmt(path));
  var cur = _.get(body, path);
  if (arguments.length > 1) return this._assert(__deepEq(cur, value), "to have JSON body " + path + " = " + __fmt(value), "not to have JSON body " + path + " = " + __fmt(value));
  return this._assert(cur !== undefined, "to have JSON body " + path, "not to have JSON body " + path);
};
Assertion.prototype.body = function (text) {
  var t = this._obj.text();
  if (arguments.length === 0) return this._assert(t.length > 0, "to have a body", "not to have a body");
  if (text instanceof RegExp) return this._assert(text.test(t), "to have body matching " + text, "not to have body matching " + text);
  return this._assert(t === text, "to have body " + __fmt(text), "not to have body " + __fmt(text));
};
function __statusClass(name, lo, hi) {
  Object.defineProperty(Assertion.prototype, name, { get: function () {
    var c = this._obj && this._obj.code;
    return this._assert(c >= lo && c < hi, "to be " + name + " (status " + lo + "-" + (hi - 1) + ", got " + c + ")", "not to be " + name);
  } });
}
__statusClass("success", 200, 300); __statusClass("info", 100, 200); __statusClass("redirection", 300, 400);
__statusClass("clientError", 400, 500); __statusClass("serverError", 500, 600); __statusClass("error", 400, 600);
// `ok` on a response means a 2xx status, on a request that it is one; otherwise truthiness.
Object.defineProperty(Assertion.prototype, "ok", { get: function () {
  var o = this._obj;
  if (o && o.__isResponse) return this._assert(o.code >= 200 && o.code < 300, "to be ok (2xx, got " + o.code + ")", "not to be ok");
  return this._assert(!!o, "to be ok", "not to be ok");
} });

// -- lists of key/value pairs (headers, query, form): Postman's PropertyList ------------------
// ``log`` (when the list belongs to the request of a pre-request script) records each change,
// so Python applies them to the request it renders.
function PList(pairs, caseless, log) {
  this._items = (pairs || []).map(function (p) { return { key: String(p[0]), value: p[1] === undefined || p[1] === null ? "" : String(p[1]) }; });
  this._caseless = caseless; this._log = log || null;
}
PList.prototype._is = function (item, key) { return this._caseless ? item.key.toLowerCase() === String(key).toLowerCase() : item.key === String(key); };
PList.prototype._item = function (a, b) {
  if (typeof a === "string" && b === undefined && this._caseless && a.indexOf(":") > 0) {
    var at = a.indexOf(":"); return { key: a.slice(0, at).trim(), value: a.slice(at + 1).trim() };
  }
  if (typeof a === "object" && a !== null) return { key: String(a.key), value: a.value === undefined || a.value === null ? "" : String(a.value) };
  return { key: String(a), value: b === undefined || b === null ? "" : String(b) };
};
PList.prototype._record = function (op) { if (this._log) this._log.push(op); };
PList.prototype.one = function (k) { for (var i = this._items.length - 1; i >= 0; i--) if (this._is(this._items[i], k)) return this._items[i]; return undefined; };
PList.prototype.get = function (k) { var i = this.one(k); return i ? i.value : undefined; };
PList.prototype.has = function (k, v) { var self = this; return this._items.some(function (i) { return self._is(i, k) && (v === undefined || i.value === v); }); };
PList.prototype.all = function () { return this._items.map(function (i) { return { key: i.key, value: i.value }; }); };
PList.prototype.count = function () { return this._items.length; };
PList.prototype.idx = function (n) { return this._items[n]; };
PList.prototype.each = PList.prototype.forEach = function (fn) { this._items.forEach(fn); };
PList.prototype.map = function (fn) { return this._items.map(fn); };
PList.prototype.filter = function (fn) { return this._items.filter(fn); };
PList.prototype.find = function (fn) { return this._items.find(fn); };
PList.prototype.toObject = function () { var o = {}; this._items.forEach(function (i) { o[i.key] = i.value; }); return o; };
PList.prototype.toJSON = function () { return this.all(); };
PList.prototype.toString = function () { return this._items.map(function (i) { return i.key + ": " + i.value; }).join("\n"); };
PList.prototype.add = PList.prototype.append = function (a, b) {
  var item = this._item(a, b); this._items.push(item); this._record(["add", item.key, item.value]);
};
PList.prototype.upsert = function (a, b) {
  var item = this._item(a, b), self = this, found = false;
  this._items.forEach(function (i) { if (self._is(i, item.key)) { i.value = item.value; found = true; } });
  if (!found) this._items.push(item);
  this._record(["upsert", item.key, item.value]);
};
PList.prototype.remove = function (k) {
  var self = this;
  if (typeof k === "function") {
    this._items.filter(k).forEach(function (i) { self.remove(i.key); });
    return;
  }
  var key = typeof k === "object" && k !== null ? k.key : k;
  this._items = this._items.filter(function (i) { return !self._is(i, key); });
  this._record(["remove", String(key)]);
};
PList.prototype.clear = function () {
  var self = this;
  this._items.slice().forEach(function (i) { self.remove(i.key); });
};

// -- the request: read in test scripts, read and changed in pre-request scripts ---------------
var __changed = { url: false, body: false, method: false, headers: [], query: [] };
function __parseQuery(q) {
  return q ? q.split("&").filter(function (s) { return s.length; }).map(function (s) {
    var at = s.indexOf("=");
    return at < 0 ? [s, ""] : [s.slice(0, at), s.slice(at + 1)];
  }) : [];
}
function Url(text, query, log) {
  this._log = log; this._set(String(text), query);
}
Url.prototype._set = function (text, query) {
  var hash = text.indexOf("#"), q = text.indexOf("?");
  this._hash = hash >= 0 ? text.slice(hash) : "";
  if (hash >= 0) text = text.slice(0, hash);
  var pairs = q >= 0 ? __parseQuery(text.slice(q + 1)) : [];
  this._base = q >= 0 ? text.slice(0, q) : text;
  this.query = new PList(query ? pairs.concat(query) : pairs, false, this._log);
  var m = /^(?:([a-zA-Z][\w+.-]*):\/\/)?([^/:]*)(?::(\d+))?(\/[^]*)?$/.exec(this._base) || [];
  this.protocol = m[1]; this.host = m[2] ? m[2].split(".") : []; this.port = m[3];
  this.path = (m[4] || "").split("/").filter(function (s) { return s.length; });
};
Url.prototype.getQueryString = function () { return this.query._items.map(function (i) { return i.key + (i.value === "" ? "" : "=" + i.value); }).join("&"); };
Url.prototype.toString = function () { var q = this.getQueryString(); return this._base + (q ? "?" + q : "") + this._hash; };
Url.prototype.toJSON = Url.prototype.toString;
Url.prototype.getRaw = Url.prototype.toString;
Url.prototype.getHost = function () { return this.host.join("."); };
Url.prototype.getRemote = function () { return this.getHost() + (this.port ? ":" + this.port : ""); };
Url.prototype.getPath = function () { return "/" + this.path.join("/"); };
Url.prototype.getPathWithQuery = function () { var q = this.getQueryString(); return this.getPath() + (q ? "?" + q : ""); };
Url.prototype.update = function (text) {
  if (this._log) __changed.url = true;
  this._set(String(text), null);
};
Url.prototype.addQueryParams = function (params) {
  var self = this;
  (typeof params === "string" ? __parseQuery(params) : params.map(function (p) { return [p.key, p.value]; })).forEach(function (p) { self.query.add(p[0], p[1]); });
};
Url.prototype.removeQueryParams = function (keys) {
  var self = this;
  (Array.isArray(keys) ? keys : [keys]).forEach(function (k) { self.query.remove(typeof k === "object" ? k.key : k); });
};

function __makeRequest(r, editable) {
  var headerLog = editable ? __changed.headers : null;
  var req = { __isRequest: true, headers: new PList(r.headers, true, headerLog) };
  var url = new Url(r.url, r.query, editable ? __changed.query : null);
  var method = r.method;
  Object.defineProperty(req, "url", { enumerable: true,
    get: function () { return url; },
    set: function (v) { if (!editable) return; __changed.url = true; url._set(String(v), null); } });
  Object.defineProperty(req, "method", { enumerable: true,
    get: function () { return method; },
    set: function (v) { if (!editable) return; __changed.method = true; method = String(v).toUpperCase(); } });
  var body = r.body ? { mode: r.body.mode, raw: r.body.raw, file: r.body.file,
    urlencoded: new PList(r.body.urlencoded, false, null),
    formdata: new PList(r.body.formdata, false, null) } : { mode: undefined, raw: undefined, urlencoded: new PList([], false, null), formdata: new PList([], false, null) };
  var raw = body.raw;
  if (editable) {
    Object.defineProperty(body, "raw", { enumerable: true, get: function () { return raw; },
      set: function (v) { raw = v === undefined || v === null ? "" : String(v); body.mode = "raw"; __changed.body = true; } });
    body.urlencoded._log = { push: function () { body.mode = "urlencoded"; __changed.body = true; } };
    body.update = function (v) {
      if (typeof v === "string") { body.raw = v; return; }
      if (v && v.mode === "raw") { body.raw = v.raw; return; }
      if (v && v.mode === "urlencoded") {
        body.urlencoded = new PList((v.urlencoded || []).map(function (p) { return [p.key, p.value]; }), false, body.urlencoded._log);
        body.mode = "urlencoded"; __changed.body = true; return;
      }
      __unsupported("pm.request.body.update with mode " + (v && v.mode));
    };
  } else {
    body.update = function () { __unsupported("changing pm.request in a test script"); };
  }
  body.isEmpty = function () { return !body.mode || (body.mode === "raw" && !raw) || (body.mode === "urlencoded" && !body.urlencoded.count()); };
  body.toString = function () {
    if (body.mode === "raw") return raw || "";
    if (body.mode === "urlencoded") return body.urlencoded._items.map(function (i) { return encodeURIComponent(i.key) + "=" + encodeURIComponent(i.value); }).join("&");
    return "";
  };
  req.body = body;
  req.addHeader = function (a, b) { req.headers.add(a, b); };
  req.upsertHeader = function (a, b) { req.headers.upsert(a, b); };
  req.removeHeader = function (k) { req.headers.remove(k); };
  req.addQueryParams = function (p) { url.addQueryParams(p); };
  req.removeQueryParams = function (k) { url.removeQueryParams(k); };
  req.toJSON = function () { return { url: url.toString(), method: method, header: req.headers.all() }; };
  Object.defineProperty(req, "to", { get: function () { return new Assertion(req); } });
  return req;
}

// -- variables: Postman's layers --------------------------------------------------------------
var __LAYERS = ["globals", "collectionVariables", "environment", "iterationData", "local"];
// A Postman name that is not an identifier is read as `runner import postman` renamed it
// (`collection-var` -> `collection_var`, `Global Foo` -> `Global_Foo`).
function __name(k) {
  k = String(k);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return k;
  var base = k.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "") || "var";
  return /^[0-9]/.test(base) ? "v_" + base : base;
}
function __record(op, layer, k, v) { __changes.push(v === undefined ? [op, layer, String(k)] : [op, layer, String(k), v]); }
function __dynamic(name) {
  if (name === "$guid" || name === "$randomUUID") return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) { var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 3 | 8)).toString(16); });
  if (name === "$timestamp") return String(Math.floor(Date.now() / 1000));
  if (name === "$isoTimestamp") return new Date().toISOString();
  if (name === "$randomInt") return String(Math.floor(Math.random() * 1001));
  return undefined;
}
function __replace(text, lookup) {
  return String(text).replace(/\{\{([^{}]+)\}\}/g, function (m, k) {
    var v = k.charAt(0) === "$" ? __dynamic(k) : lookup(k);
    return v === undefined || v === null ? m : (typeof v === "object" ? JSON.stringify(v) : String(v));
  });
}
function __scopeApi(layer) {
  var store = __ctx.layers[layer] || (__ctx.layers[layer] = {});
  var has = function (k) { return Object.prototype.hasOwnProperty.call(store, __name(k)); };
  return {
    get: function (k) { return has(k) ? store[__name(k)] : undefined; },
    set: function (k, v) { k = __name(k); store[k] = v; __record("set", layer, k, v === undefined ? null : v); },
    unset: function (k) { k = __name(k); delete store[k]; __record("unset", layer, k); },
    has: has,
    toObject: function () { return JSON.parse(JSON.stringify(store)); },
    clear: function () { var self = this; Object.keys(store).forEach(function (k) { self.unset(k); }); },
    replaceIn: function (s) { return __replace(s, function (k) { return has(k) ? store[__name(k)] : undefined; }); }
  };
}
function __resolve(k) {  // pm.variables: the nearest layer that has the name
  k = __name(k);
  for (var i = __LAYERS.length - 1; i >= 0; i--) {
    var store = __ctx.layers[__LAYERS[i]];
    if (store && Object.prototype.hasOwnProperty.call(store, k)) return store[k];
  }
  return undefined;
}

var pm = { info: __ctx.info, test: function (name, fn) {
  try { fn(); __tests.push({ name: String(name), passed: true }); }
  catch (e) { __tests.push({ name: String(name), passed: false, error: String(e && e.message || e) }); }
} };
pm.test.skip = function (name) { __tests.push({ name: String(name), passed: true, skipped: true }); };
pm.expect = function (v) { return new Assertion(v); };
pm.expect.fail = function (msg) { throw new Error(msg || "expect.fail()"); };
pm.environment = __scopeApi("environment");
pm.collectionVariables = __scopeApi("collectionVariables");
pm.globals = __scopeApi("globals");
pm.iterationData = __scopeApi("iterationData");
pm.variables = __scopeApi("local");
pm.variables.get = __resolve;
pm.variables.has = function (k) { return __resolve(k) !== undefined; };
pm.variables.toObject = function () { var o = {}; __LAYERS.forEach(function (l) { Object.assign(o, __ctx.layers[l] || {}); }); return JSON.parse(JSON.stringify(o)); };
pm.variables.replaceIn = function (s) { return __replace(s, __resolve); };
pm.execution = { setNextRequest: function (n) { __next = n === null || n === undefined ? null : String(n); },
  skipRequest: function () { __unsupported("pm.execution.skipRequest"); } };
pm.setNextRequest = pm.execution.setNextRequest;
pm.sendRequest = function () { __unsupported("pm.sendRequest"); };
pm.visualizer = { set: function () {}, clear: function () {} };  // no visualizer here: dropped
var __cookieList = new PList(__ctx.cookies || [], false, null);
pm.cookies = { get: function (n) { return __cookieList.get(n); }, has: function (n) { return __cookieList.has(n); },
  one: function (n) { var c = __cookieList.one(n); return c ? { name: c.key, value: c.value } : undefined; },
  toObject: function () { return __cookieList.toObject(); },
  all: function () { return __cookieList.all().map(function (c) { return { name: c.key, value: c.value }; }); },
  count: function () { return __cookieList.count(); },
  jar: function () { __unsupported("pm.cookies.jar"); } };
pm.request = __makeRequest(__ctx.request, __ctx.info.eventName === "prerequest");

var tests = {};
var responseBody, responseCode, responseTime, responseHeaders, responseCookies;
if (__ctx.response) {
  var __r = __ctx.response;
  pm.response = { __isResponse: true, code: __r.code, status: __r.status, responseTime: __r.responseTime,
    responseSize: __r.text.length, headers: new PList(__r.headers, true, null),
    text: function () { return __r.text; },
    json: function () { return JSON.parse(__r.text); },
    reason: function () { return __r.status; } };
  Object.defineProperty(pm.response, "to", { get: function () { return new Assertion(pm.response); } });
  responseBody = __r.text; responseCode = { code: __r.code, name: __r.status, detail: __r.status };
  responseTime = __r.responseTime; responseHeaders = pm.response.headers.toObject();
  responseCookies = pm.cookies.all();
}

// -- the legacy API: postman.*, and the globals of the old sandbox ----------------------------
function __legacyValue(v) { return (v === false || v) && typeof (v && v.toString) === "function" ? v.toString() : v; }
var environment = pm.environment.toObject(), globals = pm.globals.toObject(), data = pm.iterationData.toObject();
var postman = { setNextRequest: pm.execution.setNextRequest,
  setEnvironmentVariable: function (k, v) { v = __legacyValue(v); environment[k] = v; pm.environment.set(k, v); },
  getEnvironmentVariable: function (k) { return pm.environment.get(k); },
  setGlobalVariable: function (k, v) { v = __legacyValue(v); globals[k] = v; pm.globals.set(k, v); },
  getGlobalVariable: function (k) { return pm.globals.get(k); },
  clearEnvironmentVariable: function (k) { delete environment[k]; pm.environment.unset(k); },
  clearEnvironmentVariables: function () { Object.keys(environment).forEach(function (k) { delete environment[k]; }); pm.environment.clear(); },
  clearGlobalVariable: function (k) { delete globals[k]; pm.globals.unset(k); },
  clearGlobalVariables: function () { Object.keys(globals).forEach(function (k) { delete globals[k]; }); pm.globals.clear(); },
  getResponseHeader: function (n) { return pm.response ? pm.response.headers.get(n) : undefined; },
  getResponseCookie: function (n) { return pm.cookies.one(n); } };
var request = { name: __ctx.info.requestName, id: __ctx.info.requestId,
  description: __ctx.info.description, url: pm.request.url.toString(),
  method: pm.request.method, headers: pm.request.headers.toObject(), data: (function () {
    var b = pm.request.body;
    if (b.mode === "raw") return b.raw || {};
    var list = b.mode === "urlencoded" ? b.urlencoded : (b.mode === "formdata" ? b.formdata : null), out = {};
    if (!list) return {};
    list.each(function (i) {
      if (!Object.prototype.hasOwnProperty.call(out, i.key)) out[i.key] = i.value;
      else if (Array.isArray(out[i.key])) out[i.key].push(i.value);
      else out[i.key] = [out[i.key], i.value];
    });
    return out;
  })() };
var iteration = __ctx.info.iteration;
var console = { log: function () {}, info: function () {}, warn: function () {},
  error: function () {}, debug: function () {} };  // output is dropped (no side channel)

// -- libraries: atob/btoa, a lodash subset, xml2Json; CryptoJS comes from scripting_crypto.js --
var __B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function btoa(s) {
  s = String(s); var out = "";
  for (var i = 0; i < s.length; i += 3) {
    var a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
    var n = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += __B64[(n >> 18) & 63] + __B64[(n >> 12) & 63] + (isNaN(b) ? "=" : __B64[(n >> 6) & 63]) + (isNaN(c) ? "=" : __B64[n & 63]);
  }
  return out;
}
function atob(s) {
  s = String(s).replace(/=+$/, ""); var out = "", bits = 0, buf = 0;
  for (var i = 0; i < s.length; i++) {
    buf = ((buf << 6) | __B64.indexOf(s[i])) & 0xffffff; bits += 6;
    if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); }
  }
  return out;
}
var _ = {
  parseInt: function (s, radix) { return parseInt(s, radix || 10); },
  get: function (o, path, dflt) {
    var parts = Array.isArray(path) ? path : String(path).replace(/\[(\w+)\]/g, ".$1").split(".");
    for (var i = 0; i < parts.length; i++) { if (o == null) return dflt; o = o[parts[i]]; }
    return o === undefined ? dflt : o;
  },
  has: function (o, k) { return o != null && Object.prototype.hasOwnProperty.call(o, k); },
  isEqual: __deepEq, isArray: Array.isArray,
  isObject: function (v) { return v !== null && (typeof v === "object" || typeof v === "function"); },
  isString: function (v) { return typeof v === "string"; },
  isNumber: function (v) { return typeof v === "number"; },
  isEmpty: function (v) { return v == null || (typeof v === "object" ? Object.keys(v).length === 0 : v.length === 0); },
  keys: function (o) { return Object.keys(o || {}); }, values: function (o) { return Object.keys(o || {}).map(function (k) { return o[k]; }); },
  size: function (o) { return o == null ? 0 : (o.length !== undefined ? o.length : Object.keys(o).length); },
  each: function (c, f) { if (Array.isArray(c)) c.forEach(f); else Object.keys(c || {}).forEach(function (k) { f(c[k], k, c); }); return c; },
  map: function (c, f) { return Array.isArray(c) ? c.map(f) : Object.keys(c || {}).map(function (k) { return f(c[k], k, c); }); },
  filter: function (c, f) { return (c || []).filter(f); }, find: function (c, f) { return (c || []).find(f); },
  includes: function (c, v) { return typeof c === "string" ? c.indexOf(v) !== -1 : (Array.isArray(c) ? c : _.values(c)).some(function (x) { return __deepEq(x, v); }); },
  times: function (n, f) { var r = []; for (var i = 0; i < n; i++) r.push(f ? f(i) : i); return r; },
  random: function (lo, hi) { return lo + Math.floor(Math.random() * (hi - lo + 1)); }
};
_.forEach = _.each;

// xml2Json: Postman's (xml2js with explicitArray false, trim, attributes under "$", text
// under "_" when an element also has attributes or children). Entities of a DTD are not
// expanded (no entity bombs).
function xml2Json(text) {
  var s = String(text), i = 0;
  var ENT = { lt: "<", gt: ">", amp: "&", quot: "\"", apos: "'" };
  function decode(t) {
    return t.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, function (m, e) {
      if (e[0] === "#") return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
      return ENT[e] !== undefined ? ENT[e] : m;
    });
  }
  function fail(msg) { throw new Error("xml2Json: " + msg + " at offset " + i); }
  function skipMisc() {
    for (;;) {
      while (i < s.length && /\s/.test(s[i])) i++;
      if (s.startsWith("<?", i)) { var e = s.indexOf("?>", i); if (e < 0) fail("unclosed <?"); i = e + 2; }
      else if (s.startsWith("<!--", i)) { var c = s.indexOf("-->", i); if (c < 0) fail("unclosed comment"); i = c + 3; }
      else if (s.startsWith("<!DOCTYPE", i) || s.startsWith("<!doctype", i)) {
        var depth = 0;
        for (; i < s.length; i++) { if (s[i] === "[") depth++; else if (s[i] === "]") depth--; else if (s[i] === ">" && depth === 0) { i++; break; } }
      } else return;
    }
  }
  function addChild(obj, name, value) {
    if (!Object.prototype.hasOwnProperty.call(obj, name)) obj[name] = value;
    else if (Array.isArray(obj[name])) obj[name].push(value);
    else obj[name] = [obj[name], value];
  }
  function element() {
    if (s[i] !== "<") fail("expected an element");
    var m = /^<([^\s/>]+)/.exec(s.slice(i, i + 300));
    if (!m) fail("bad tag");
    var name = m[1]; i += m[0].length;
    var attrs = null, am, attrRe = /^\s*([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/;
    while ((am = attrRe.exec(s.slice(i, i + 10000))) !== null) {
      (attrs = attrs || {})[am[1]] = decode(am[3] !== undefined ? am[3] : am[4]);
      i += am[0].length;
    }
    while (/\s/.test(s[i])) i++;
    var children = null, txt = "";
    if (s.startsWith("/>", i)) { i += 2; }
    else {
      if (s[i] !== ">") fail("bad tag <" + name);
      i++;
      for (;;) {
        if (i >= s.length) fail("unclosed <" + name + ">");
        if (s.startsWith("</", i)) {
          var end = s.indexOf(">", i);
          if (s.slice(i + 2, end).trim() !== name) fail("mismatched </" + s.slice(i + 2, end) + ">");
          i = end + 1; break;
        }
        if (s.startsWith("<!--", i)) { var ce = s.indexOf("-->", i); if (ce < 0) fail("unclosed comment"); i = ce + 3; continue; }
        if (s.startsWith("<![CDATA[", i)) { var de = s.indexOf("]]>", i); if (de < 0) fail("unclosed CDATA"); txt += s.slice(i + 9, de); i = de + 3; continue; }
        if (s.startsWith("<?", i)) { var pe = s.indexOf("?>", i); i = pe < 0 ? s.length : pe + 2; continue; }
        if (s[i] === "<") { var child = element(); addChild(children = children || {}, child[0], child[1]); continue; }
        var lt = s.indexOf("<", i); if (lt < 0) lt = s.length;
        txt += decode(s.slice(i, lt)); i = lt;
      }
    }
    txt = txt.trim();
    if (!attrs && !children) return [name, txt];
    var out = {};
    if (attrs) out.$ = attrs;
    if (txt) out._ = txt;
    if (children) Object.keys(children).forEach(function (k) { out[k] = children[k]; });
    return [name, out];
  }
  skipMisc();
  if (i >= s.length) return undefined;
  var root = element(), result = {};
  result[root[0]] = root[1];
  return result;
}

var require = function (name) {
  var known = { "crypto-js": CryptoJS, lodash: _, atob: atob, btoa: btoa };
  if (Object.prototype.hasOwnProperty.call(known, name)) return known[name];
  throw new Error("require('" + name + "') is not available in the script sandbox");
};

// -- run the scripts, each in its own function scope ------------------------------------------
var __errors = [];
JSON.parse(__SOURCES__).forEach(function (pair) {
  tests = {};
  try {
    (new Function(pair[1]))();
  } catch (e) { __errors.push([pair[0], String(e && e.message || e)]); }
  Object.keys(tests).forEach(function (k) {
    var ok = !!tests[k];
    __tests.push(ok ? { name: k, passed: true } : { name: k, passed: false, error: "expected " + String(tests[k]) + " to be truthy" });
  });
});

// What changed in the request (pre-request scripts), with {{variables}} resolved as Postman
// resolves them when it sends the request.
var __request = null;
if (__ctx.info.eventName === "prerequest") {
  var __res = function (t) { return __replace(t, __resolve); };
  __request = {};
  if (__changed.url) __request.url = __res(pm.request.url.toString());
  else if (__changed.query.length) __request.query = __changed.query.map(function (op) { return op.map(__res); });
  if (__changed.headers.length) __request.headers = __changed.headers.map(function (op) { return op.map(__res); });
  if (__changed.method) __request.method = pm.request.method;
  if (__changed.body) {
    var __b = pm.request.body;
    __request.body = __b.mode === "urlencoded"
      ? { mode: "urlencoded", pairs: __b.urlencoded._items.map(function (p) { return [__res(p.key), __res(p.value)]; }) }
      : { mode: "raw", raw: __res(__b.raw || "") };
  }
}
JSON.stringify({ tests: __tests, changes: __changes, next: __next, errors: __errors, request: __request });
