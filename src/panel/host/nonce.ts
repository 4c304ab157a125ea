// Nonces for the panel's and the report's Content-Security-Policy: 128 bits from the OS's random source.
import { randomBytes } from 'crypto';

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}
