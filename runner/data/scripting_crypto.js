// The `CryptoJS` subset Postman scripts use most: MD5, SHA-1/224/256/384/512, their HMACs and
// the Hex/Base64/Utf8/Latin1 encoders. Written here (not the crypto-js package: unmaintained
// since 2023, and 400 kB for what is 200 lines); the tests compare every digest with Python's
// hashlib/hmac. A WordArray holds bytes (`_b`); `words`/`sigBytes` are there for scripts that
// read them.
var CryptoJS = (function () {
  function WordArray(bytes) { this._b = bytes; this.sigBytes = bytes.length; }
  Object.defineProperty(WordArray.prototype, "words", { get: function () {
    var w = [];
    for (var i = 0; i < this._b.length; i++) w[i >>> 2] |= this._b[i] << (24 - (i % 4) * 8);
    return w;
  } });
  WordArray.prototype.toString = function (encoder) { return (encoder || Hex).stringify(this); };
  WordArray.prototype.concat = function (other) {
    this._b = this._b.concat(toBytes(other)); this.sigBytes = this._b.length; return this;
  };
  WordArray.prototype.clone = function () { return new WordArray(this._b.slice()); };
  function fromWords(words, sigBytes) {
    var b = [];
    for (var i = 0; i < sigBytes; i++) b.push((words[i >>> 2] >>> (24 - (i % 4) * 8)) & 255);
    return new WordArray(b);
  }

  var Hex = {
    stringify: function (wa) {
      return toBytes(wa).map(function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
    },
    parse: function (s) {
      var b = [];
      for (var i = 0; i + 1 < s.length; i += 2) b.push(parseInt(s.substr(i, 2), 16));
      return new WordArray(b);
    }
  };
  var Latin1 = {
    stringify: function (wa) { return toBytes(wa).map(function (x) { return String.fromCharCode(x); }).join(""); },
    parse: function (s) {
      var b = [];
      for (var i = 0; i < s.length; i++) b.push(s.charCodeAt(i) & 255);
      return new WordArray(b);
    }
  };
  var Utf8 = {
    stringify: function (wa) {
      var s = Latin1.stringify(wa);
      try { return decodeURIComponent(escape(s)); } catch (e) { throw new Error("Malformed UTF-8 data"); }
    },
    parse: function (s) { return Latin1.parse(unescape(encodeURIComponent(String(s)))); }
  };
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  var Base64 = {
    stringify: function (wa) {
      var b = toBytes(wa), out = "";
      for (var i = 0; i < b.length; i += 3) {
        var n = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
        out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
          (i + 1 < b.length ? B64[(n >> 6) & 63] : "=") + (i + 2 < b.length ? B64[n & 63] : "=");
      }
      return out;
    },
    parse: function (s) {
      s = String(s).replace(/[^A-Za-z0-9+/]/g, "");
      var b = [], bits = 0, buf = 0;
      for (var i = 0; i < s.length; i++) {
        buf = ((buf << 6) | B64.indexOf(s[i])) & 0xffffff; bits += 6;
        if (bits >= 8) { bits -= 8; b.push((buf >> bits) & 255); }
      }
      return new WordArray(b);
    }
  };
  function toBytes(v) {
    if (v instanceof WordArray) return v._b.slice(0, v.sigBytes);
    if (v && Array.isArray(v.words) && typeof v.sigBytes === "number") return fromWords(v.words, v.sigBytes)._b;
    return Utf8.parse(v === undefined || v === null ? "" : String(v))._b;
  }

  // -- the hash functions: bytes in, bytes out --------------------------------------------------
  function pad(bytes, blockSize, lengthBytes, littleEndian) {
    var m = bytes.slice(), bitLen = bytes.length * 8;
    m.push(0x80);
    while ((m.length % blockSize) !== blockSize - lengthBytes) m.push(0);
    var len = [];
    for (var i = 0; i < lengthBytes; i++) {
      len.push(i < 6 ? Math.floor(bitLen / Math.pow(2, 8 * i)) & 255 : 0);
    }
    return m.concat(littleEndian ? len : len.reverse());
  }
  function words32(m, i, littleEndian) {
    return littleEndian
      ? (m[i] | (m[i + 1] << 8) | (m[i + 2] << 16) | (m[i + 3] << 24))
      : ((m[i] << 24) | (m[i + 1] << 16) | (m[i + 2] << 8) | m[i + 3]);
  }
  function out32(h, littleEndian) {
    var b = [];
    h.forEach(function (x) {
      for (var j = 0; j < 4; j++) b.push(littleEndian ? (x >>> (8 * j)) & 255 : (x >>> (24 - 8 * j)) & 255);
    });
    return b;
  }
  function rotl(x, n) { return (x << n) | (x >>> (32 - n)); }

  var MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  var MD5_K = [];
  for (var k = 0; k < 64; k++) MD5_K[k] = Math.floor(Math.abs(Math.sin(k + 1)) * 4294967296) | 0;
  function md5(bytes) {
    var m = pad(bytes, 64, 8, true), h = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];
    for (var off = 0; off < m.length; off += 64) {
      var w = [];
      for (var i = 0; i < 16; i++) w[i] = words32(m, off + 4 * i, true);
      var a = h[0], b = h[1], c = h[2], d = h[3];
      for (i = 0; i < 64; i++) {
        var f, g, r = i >> 4;
        if (r === 0) { f = (b & c) | (~b & d); g = i; }
        else if (r === 1) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
        else if (r === 2) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
        else { f = c ^ (b | ~d); g = (7 * i) % 16; }
        var t = d; d = c; c = b;
        b = (b + rotl((a + f + MD5_K[i] + w[g]) | 0, MD5_S[r * 4 + (i % 4)])) | 0;
        a = t;
      }
      h = [(h[0] + a) | 0, (h[1] + b) | 0, (h[2] + c) | 0, (h[3] + d) | 0];
    }
    return out32(h, true);
  }

  function sha1(bytes) {
    var m = pad(bytes, 64, 8, false);
    var h = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];
    for (var off = 0; off < m.length; off += 64) {
      var w = [];
      for (var i = 0; i < 16; i++) w[i] = words32(m, off + 4 * i, false);
      for (i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
      for (i = 0; i < 80; i++) {
        var f, kk;
        if (i < 20) { f = (b & c) | (~b & d); kk = 0x5a827999; }
        else if (i < 40) { f = b ^ c ^ d; kk = 0x6ed9eba1; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); kk = 0x8f1bbcdc | 0; }
        else { f = b ^ c ^ d; kk = 0xca62c1d6 | 0; }
        var t = (rotl(a, 5) + f + e + kk + w[i]) | 0;
        e = d; d = c; c = rotl(b, 30); b = a; a = t;
      }
      h = [(h[0] + a) | 0, (h[1] + b) | 0, (h[2] + c) | 0, (h[3] + d) | 0, (h[4] + e) | 0];
    }
    return out32(h, false);
  }

  var K256 = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ].map(function (x) { return x | 0; });
  function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }
  function sha256(bytes, iv, outWords) {
    var m = pad(bytes, 64, 8, false), h = iv.map(function (x) { return x | 0; });
    for (var off = 0; off < m.length; off += 64) {
      var w = [];
      for (var i = 0; i < 16; i++) w[i] = words32(m, off + 4 * i, false);
      for (i = 16; i < 64; i++) {
        var s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        var s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (i = 0; i < 64; i++) {
        var t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h = [a, b, c, d, e, f, g, hh].map(function (x, j) { return (h[j] + x) | 0; });
    }
    return out32(h.slice(0, outWords), false);
  }
  var SHA256_IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  var SHA224_IV = [0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4];

  // SHA-512 in BigInt: short inputs only (signatures, bodies), so clarity wins over speed.
  var M64 = (BigInt(1) << BigInt(64)) - BigInt(1);
  var K512 = [
    "428a2f98d728ae22", "7137449123ef65cd", "b5c0fbcfec4d3b2f", "e9b5dba58189dbbc", "3956c25bf348b538",
    "59f111f1b605d019", "923f82a4af194f9b", "ab1c5ed5da6d8118", "d807aa98a3030242", "12835b0145706fbe",
    "243185be4ee4b28c", "550c7dc3d5ffb4e2", "72be5d74f27b896f", "80deb1fe3b1696b1", "9bdc06a725c71235",
    "c19bf174cf692694", "e49b69c19ef14ad2", "efbe4786384f25e3", "0fc19dc68b8cd5b5", "240ca1cc77ac9c65",
    "2de92c6f592b0275", "4a7484aa6ea6e483", "5cb0a9dcbd41fbd4", "76f988da831153b5", "983e5152ee66dfab",
    "a831c66d2db43210", "b00327c898fb213f", "bf597fc7beef0ee4", "c6e00bf33da88fc2", "d5a79147930aa725",
    "06ca6351e003826f", "142929670a0e6e70", "27b70a8546d22ffc", "2e1b21385c26c926", "4d2c6dfc5ac42aed",
    "53380d139d95b3df", "650a73548baf63de", "766a0abb3c77b2a8", "81c2c92e47edaee6", "92722c851482353b",
    "a2bfe8a14cf10364", "a81a664bbc423001", "c24b8b70d0f89791", "c76c51a30654be30", "d192e819d6ef5218",
    "d69906245565a910", "f40e35855771202a", "106aa07032bbd1b8", "19a4c116b8d2d0c8", "1e376c085141ab53",
    "2748774cdf8eeb99", "34b0bcb5e19b48a8", "391c0cb3c5c95a63", "4ed8aa4ae3418acb", "5b9cca4f7763e373",
    "682e6ff3d6b2b8a3", "748f82ee5defb2fc", "78a5636f43172f60", "84c87814a1f0ab72", "8cc702081a6439ec",
    "90befffa23631e28", "a4506cebde82bde9", "bef9a3f7b2c67915", "c67178f2e372532b", "ca273eceea26619c",
    "d186b8c721c0c207", "eada7dd6cde0eb1e", "f57d4f7fee6ed178", "06f067aa72176fba", "0a637dc5a2c898a6",
    "113f9804bef90dae", "1b710b35131c471b", "28db77f523047d84", "32caab7b40c72493", "3c9ebe0a15c9bebc",
    "431d67c49c100d4c", "4cc5d4becb3e42b6", "597f299cfc657e2a", "5fcb6fab3ad6faec", "6c44198c4a475817"
  ].map(function (x) { return BigInt("0x" + x); });
  var SHA512_IV = ["6a09e667f3bcc908", "bb67ae8584caa73b", "3c6ef372fe94f82b", "a54ff53a5f1d36f1",
    "510e527fade682d1", "9b05688c2b3e6c1f", "1f83d9abfb41bd6b", "5be0cd19137e2179"];
  var SHA384_IV = ["cbbb9d5dc1059ed8", "629a292a367cd507", "9159015a3070dd17", "152fecd8f70e5939",
    "67332667ffc00b31", "8eb44a8768581511", "db0c2e0d64f98fa7", "47b5481dbefa4fa4"];
  function r64(x, n) { return ((x >> BigInt(n)) | (x << BigInt(64 - n))) & M64; }
  function sha512(bytes, ivHex, outWords) {
    var m = pad(bytes, 128, 16, false), h = ivHex.map(function (x) { return BigInt("0x" + x); });
    for (var off = 0; off < m.length; off += 128) {
      var w = [];
      for (var i = 0; i < 16; i++) {
        var v = BigInt(0);
        for (var j = 0; j < 8; j++) v = (v << BigInt(8)) | BigInt(m[off + 8 * i + j]);
        w[i] = v;
      }
      for (i = 16; i < 80; i++) {
        var s0 = r64(w[i - 15], 1) ^ r64(w[i - 15], 8) ^ (w[i - 15] >> BigInt(7));
        var s1 = r64(w[i - 2], 19) ^ r64(w[i - 2], 61) ^ (w[i - 2] >> BigInt(6));
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & M64;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (i = 0; i < 80; i++) {
        var t1 = (hh + (r64(e, 14) ^ r64(e, 18) ^ r64(e, 41)) + ((e & f) ^ (~e & M64 & g)) + K512[i] + w[i]) & M64;
        var t2 = ((r64(a, 28) ^ r64(a, 34) ^ r64(a, 39)) + ((a & b) ^ (a & c) ^ (b & c))) & M64;
        hh = g; g = f; f = e; e = (d + t1) & M64; d = c; c = b; b = a; a = (t1 + t2) & M64;
      }
      h = [a, b, c, d, e, f, g, hh].map(function (x, k2) { return (h[k2] + x) & M64; });
    }
    var out = [];
    h.slice(0, outWords).forEach(function (x) {
      for (var k3 = 56; k3 >= 0; k3 -= 8) out.push(Number((x >> BigInt(k3)) & BigInt(255)));
    });
    return out;
  }

  var algorithms = {
    MD5: { fn: md5, block: 64 },
    SHA1: { fn: sha1, block: 64 },
    SHA256: { fn: function (b) { return sha256(b, SHA256_IV, 8); }, block: 64 },
    SHA224: { fn: function (b) { return sha256(b, SHA224_IV, 7); }, block: 64 },
    SHA512: { fn: function (b) { return sha512(b, SHA512_IV, 8); }, block: 128 },
    SHA384: { fn: function (b) { return sha512(b, SHA384_IV, 6); }, block: 128 }
  };
  function hmac(alg, message, key) {
    var k = toBytes(key), block = alg.block;
    if (k.length > block) k = alg.fn(k);
    while (k.length < block) k.push(0);
    var inner = alg.fn(k.map(function (x) { return x ^ 0x36; }).concat(toBytes(message)));
    return alg.fn(k.map(function (x) { return x ^ 0x5c; }).concat(inner));
  }

  var api = {
    lib: { WordArray: { create: function (words, sigBytes) {
      return fromWords(words || [], sigBytes === undefined ? (words || []).length * 4 : sigBytes);
    } } },
    enc: { Hex: Hex, Base64: Base64, Utf8: Utf8, Latin1: Latin1 }
  };
  Object.keys(algorithms).forEach(function (name) {
    var alg = algorithms[name];
    api[name] = function (message) { return new WordArray(alg.fn(toBytes(message))); };
    api["Hmac" + name] = function (message, key) { return new WordArray(hmac(alg, message, key)); };
  });
  // Anything else (AES, PBKDF2, ...) is a clear error naming what is missing.
  return new Proxy(api, { get: function (target, name) {
    if (Object.prototype.hasOwnProperty.call(target, name)) return target[name];
    if (typeof name === "symbol" || name === "toJSON" || name === "then") return undefined;
    throw new Error("unsupported Postman API: CryptoJS." + String(name));
  } });
})();
