// PKCE (RFC 7636) for the social sign-in's exchange: a random verifier this tab keeps, base64url(SHA-256) of it as
// the start URL's codeChallenge (S256).
import { toBase64Url } from './base64url.js';

export type CryptoLike = Pick<Crypto, 'getRandomValues' | 'subtle'>;

/** 32 random bytes, base64url: 43 characters of the unreserved set. */
export function newVerifier(crypto: CryptoLike): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function challengeFor(verifier: string, crypto: CryptoLike): Promise<string> {
  return toBase64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}
