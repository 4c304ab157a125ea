// Nonces for the panel's and the report's Content-Security-Policy: 128 bits from the platform's cryptographic
// random source (Web Crypto, present in Node, the extension host and browsers alike).

export function createNonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
