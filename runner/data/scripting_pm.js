// The `pm` sandbox API (a core subset of Postman's), evaluated in a fresh V8 isolate per script.
var __ctx = JSON.parse(__CTX__);
var __tests = [];
var __set = {};
var __next = undefined;
function __unsupported(name) { throw new Error("unsupported Postman API: " + name); }
function __fmt(v) { try { return JSON.stringify(v); } catch (e) { return String(v); } }
function __deepEq(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
function __typeOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}
function Assertion(obj, negate) { this._obj = obj; this._not = !!negate; this._deep = false; }
Assertion.prototype._assert = function (ok, msg, negMsg) {
  if (this._not) ok = !ok;
  if (!ok) throw new Error("expected " + __fmt(this._obj) + " " + (this._not ? negMsg : msg));
  return this;
};
["to", "be", "been", "is", "that", "which", "and", "has", "have", "with", "at", "of", "same", "does", "still"].forEach(function (w) {
  Object.defineProperty(Assertion.prototype, w, { get: function () { return this; } });
});
Object.defineProperty(Assertion.prototype, "not", { get: function () { this._not = !this._not; return this; } });
Object.defineProperty(Assertion.prototype, "deep", { get: function () { this._deep = true; return this; } });
var __flags = {
  "true": function (o) { return o === true; },
  "false": function (o) { return o === false; }, "null": function (o) { return o === null; },
  "undefined": function (o) { return o === undefined; },
  empty: function (o) { return o != null && (o.length === 0 || (typeof o === "object" && Object.keys(o).length === 0)); },
  exist: function (o) { return o !== null && o !== undefined; }
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
Assertion.prototype.eql = function (v) { return this._assert(__deepEq(this._obj, v), "to deeply equal " + __fmt(v), "not to deeply equal " + __fmt(v)); };
Assertion.prototype.include = Assertion.prototype.contain = Assertion.prototype.includes = Assertion.prototype.contains = function (v) {
  var o = this._obj, ok;
  if (typeof o === "string") ok = o.indexOf(v) !== -1;
  else if (Array.isArray(o)) ok = o.some(function (x) { return __deepEq(x, v); });
  else if (o && typeof o === "object" && v && typeof v === "object") ok = Object.keys(v).every(function (k) { return __deepEq(o[k], v[k]); });
  else ok = false;
  return this._assert(ok, "to include " + __fmt(v), "not to include " + __fmt(v));
};
Assertion.prototype.property = function (name, value) {
  var o = this._obj, has = o !== null && o !== undefined && Object(o)[name] !== undefined;
  if (arguments.length > 1) return this._assert(has && __deepEq(o[name], value), "to have property " + __fmt(name) + " of " + __fmt(value), "not to have property " + __fmt(name) + " of " + __fmt(value));
  this._assert(has, "to have property " + __fmt(name), "not to have property " + __fmt(name));
  return this._not ? this : new Assertion(o[name]);
};
Assertion.prototype.a = Assertion.prototype.an = function (t) {
  return this._assert(__typeOf(this._obj) === String(t).toLowerCase(), "to be a " + t, "not to be a " + t);
};
Assertion.prototype.above = Assertion.prototype.gt = function (n) { return this._assert(this._obj > n, "to be above " + n, "not to be above " + n); };
Assertion.prototype.below = Assertion.prototype.lt = function (n) { return this._assert(this._obj < n, "to be below " + n, "not to be below " + n); };
Assertion.prototype.least = Assertion.prototype.gte = function (n) { return this._assert(this._obj >= n, "to be at least " + n, "not to be at least " + n); };
Assertion.prototype.most = Assertion.prototype.lte = function (n) { return this._assert(this._obj <= n, "to be at most " + n, "not to be at most " + n); };
Assertion.prototype.lengthOf = Assertion.prototype.length = function (n) {
  var len = this._obj == null ? undefined : this._obj.length;
  return this._assert(len === n, "to have length " + n + " (got " + len + ")", "not to have length " + n);
};
Assertion.prototype.match = function (re) { return this._assert(re.test(String(this._obj)), "to match " + re, "not to match " + re); };
Assertion.prototype.oneOf = function (list) { var o = this._obj; return this._assert(list.some(function (x) { return __deepEq(x, o); }), "to be one of " + __fmt(list), "not to be one of " + __fmt(list)); };
// pm.response.to.have.status(...) and friends: an assertion over the response object.
Assertion.prototype.status = function (s) {
  var r = this._obj;
  if (typeof s === "number") return this._assert(r.code === s, "to have status code " + s + " (got " + r.code + ")", "not to have status code " + s);
  return this._assert(r.status === s, "to have status " + __fmt(s) + " (got " + __fmt(r.status) + ")", "not to have status " + __fmt(s));
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
  var cur = body, parts = String(path).split(".");
  for (var i = 0; i < parts.length; i++) { cur = cur == null ? undefined : cur[parts[i]]; }
  if (arguments.length > 1) return this._assert(__deepEq(cur, value), "to have JSON body " + path + " = " + __fmt(value), "not to have JSON body " + path + " = " + __fmt(value));
  return this._assert(cur !== undefined, "to have JSON body " + path, "not to have JSON body " + path);
};
Assertion.prototype.body = function (text) {
  var t = this._obj.text();
  if (arguments.length === 0) return this._assert(t.length > 0, "to have a body", "not to have a body");
  return this._assert(t === text, "to have body " + __fmt(text), "not to have body " + __fmt(text));
};
function __statusClass(name, lo, hi) {
  Object.defineProperty(Assertion.prototype, name, { get: function () {
    var c = this._obj && this._obj.code;
    return this._assert(c >= lo && c < hi, "to be " + name + " (status " + lo + "-" + (hi - 1) + ")", "not to be " + name);
  } });
}
__statusClass("success", 200, 300); __statusClass("clientError", 400, 500);
__statusClass("serverError", 500, 600); __statusClass("error", 400, 600);
// `ok` on a response means a 2xx status; on anything else it is truthiness.
Object.defineProperty(Assertion.prototype, "ok", { get: function () {
  var o = this._obj;
  if (o && o.__isResponse) return this._assert(o.code >= 200 && o.code < 300, "to be ok (2xx)", "not to be ok");
  return this._assert(!!o, "to be ok", "not to be ok");
} });

function __scopeApi(layer) {
  var store = __ctx.vars[layer] || {};
  return {
    get: function (k) { return Object.prototype.hasOwnProperty.call(store, k) ? store[k] : undefined; },
    set: function (k, v) { store[k] = v; __set[k] = v; },
    unset: function (k) { delete store[k]; },
    has: function (k) { return Object.prototype.hasOwnProperty.call(store, k); },
    toObject: function () { return JSON.parse(JSON.stringify(store)); },
    clear: function () { Object.keys(store).forEach(function (k) { delete store[k]; }); },
    replaceIn: function (s) { return String(s).replace(/\{\{([^{}]+)\}\}/g, function (m, k) { return store[k] !== undefined ? String(store[k]) : m; }); }
  };
}
function __headers(list) {
  return {
    get: function (n) { for (var i = 0; i < list.length; i++) if (list[i][0].toLowerCase() === String(n).toLowerCase()) return list[i][1]; return undefined; },
    has: function (n) { return this.get(n) !== undefined; },
    toObject: function () { var o = {}; list.forEach(function (p) { o[p[0]] = p[1]; }); return o; },
    all: function () { return list.map(function (p) { return { key: p[0], value: p[1] }; }); }
  };
}
var pm = { info: __ctx.info, test: function (name, fn) {
  try { fn(); __tests.push({ name: String(name), passed: true }); }
  catch (e) { __tests.push({ name: String(name), passed: false, error: String(e && e.message || e) }); }
} };
pm.test.skip = function (name) { __tests.push({ name: String(name), passed: true, skipped: true }); };
pm.expect = function (v) { return new Assertion(v); };
pm.environment = __scopeApi("environment");
pm.collectionVariables = __scopeApi("collectionVariables");
pm.globals = __scopeApi("globals");
pm.iterationData = __scopeApi("iterationData");
pm.variables = __scopeApi("variables");
pm.variables.replaceIn = function (s) { return String(s).replace(/\{\{([^{}]+)\}\}/g, function (m, k) { var v = pm.variables.get(k); return v !== undefined ? String(v) : m; }); };
pm.execution = { setNextRequest: function (n) { __next = n === null ? null : String(n); } };
pm.setNextRequest = pm.execution.setNextRequest;
var postman = { setNextRequest: pm.execution.setNextRequest,
  setEnvironmentVariable: function (k, v) { pm.environment.set(k, v); },
  getEnvironmentVariable: function (k) { return pm.environment.get(k); },
  setGlobalVariable: function (k, v) { pm.globals.set(k, v); },
  getGlobalVariable: function (k) { return pm.globals.get(k); },
  clearEnvironmentVariable: function (k) { pm.environment.unset(k); },
  clearEnvironmentVariables: function () { pm.environment.clear(); },
  clearGlobalVariable: function (k) { pm.globals.unset(k); },
  clearGlobalVariables: function () { pm.globals.clear(); },
  getResponseHeader: function (n) { return pm.response ? pm.response.headers.get(n) : undefined; },
  getResponseCookie: function (n) {
    var found = null;
    ((__ctx.response && __ctx.response.headers) || []).forEach(function (p) {
      if (p[0].toLowerCase() !== "set-cookie") return;
      var pair = p[1].split(";")[0], at = pair.indexOf("=");
      if (pair.slice(0, at).trim() === n) found = { name: n, value: pair.slice(at + 1).trim() };
    });
    return found;
  } };
pm.sendRequest = function () { __unsupported("pm.sendRequest"); };
pm.request = { url: __ctx.request.url, method: __ctx.request.method, headers: __headers(__ctx.request.headers) };
var tests = {};
var responseBody, responseCode, responseTime, responseHeaders;
if (__ctx.response) {
  var __r = __ctx.response;
  pm.response = { __isResponse: true, code: __r.code, status: __r.status, responseTime: __r.responseTime,
    responseSize: __r.text.length, headers: __headers(__r.headers),
    text: function () { return __r.text; },
    json: function () { return JSON.parse(__r.text); } };
  Object.defineProperty(pm.response, "to", { get: function () { return new Assertion(pm.response); } });
  responseBody = __r.text; responseCode = { code: __r.code, name: __r.status, detail: __r.status };
  responseTime = __r.responseTime; responseHeaders = pm.response.headers.toObject();
}
var atob = function (s) { return __b64decode(s); }, btoa = function (s) { return __b64encode(s); };
var __B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function __b64encode(s) {
  s = String(s); var out = "";
  for (var i = 0; i < s.length; i += 3) {
    var a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
    var n = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += __B64[(n >> 18) & 63] + __B64[(n >> 12) & 63] + (isNaN(b) ? "=" : __B64[(n >> 6) & 63]) + (isNaN(c) ? "=" : __B64[n & 63]);
  }
  return out;
}
function __b64decode(s) {
  s = String(s).replace(/=+$/, ""); var out = "", bits = 0, buf = 0;
  for (var i = 0; i < s.length; i++) {
    buf = (buf << 6) | __B64.indexOf(s[i]); bits += 6;
    if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); }
  }
  return out;
}
var request = { name: __ctx.info.requestName, id: __ctx.info.requestId,
  description: __ctx.info.description, url: __ctx.request.url,
  method: __ctx.request.method, headers: pm.request.headers.toObject(), data: {} };
var iteration = 0;
var console = { log: function () {}, info: function () {}, warn: function () {},
  error: function () {}, debug: function () {} };  // output is dropped (no side channel)
var environment = pm.environment.toObject(), globals = pm.globals.toObject(), data = pm.iterationData.toObject();
// A small lodash subset (`_`): the helpers Postman scripts use most.
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
var require = function (name) { throw new Error("require('" + name + "') is not available in the script sandbox"); };
var CryptoJS = new Proxy({}, { get: function (t, k) { __unsupported("CryptoJS." + String(k)); } });
var xml2Json = function () { __unsupported("xml2Json"); };
var __error = null;
try {
  (new Function(__SRC__))();
} catch (e) { __error = String(e && e.message || e); }
Object.keys(tests).forEach(function (k) { __tests.push({ name: k, passed: !!tests[k] }); });
JSON.stringify({ tests: __tests, set: __set, next: __next, error: __error });
