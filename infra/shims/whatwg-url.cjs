// Bundles alias whatwg-url to this (infra/bundling.ts): Node's own URL and URLSearchParams are the WHATWG ones, so the
// mongodb driver's connection-string parser need not carry a second implementation and tr46's 230 KB Unicode table,
// which it parses at import.
module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };
