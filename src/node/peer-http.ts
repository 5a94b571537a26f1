/**
 * Reading answers from peers whose URLs are untrusted (registered on L1 by any member, or configured):
 * the body is read up to a byte bound and abandoned beyond it, so a hostile peer cannot make the node
 * buffer without limit. Callers raise their own typed error on `undefined`: the node's forwarder,
 * header pulls and batch source, and the SDK's transport (a wallet's node is untrusted too).
 */

/** The body as UTF-8, or undefined once it exceeds `max` bytes (the rest is not read). */
export async function readBounded(res: Response, max: number): Promise<string | undefined> {
  const reader = res.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      // Cancelling a stream that already failed rejects; the answer is refused either way.
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
