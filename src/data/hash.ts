/** Stable hashing (sha256, identical on every machine): split assignment and cache keys. */
import { createHash } from 'node:crypto';

/** A number in [0, 1) from sha256(`${seed}:${id}`): the split coordinate of a document. */
export function unitHash(seed: number, id: string): number {
  const h = createHash('sha256').update(`${seed}:${id}`).digest();
  // 48 bits → exactly representable; divide by 2^48.
  return (h.readUInt32BE(0) * 65536 + h.readUInt16BE(4)) / 2 ** 48;
}

export function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('hex');
}
