/**
 * Reads a body as text, at most `limit` bytes, whether or not the answer declares its length.
 *
 * @returns the text, or `undefined` when the body is longer than `limit` (the rest is not read:
 *   the stream is cancelled)
 * @throws what reading the stream throws (a dropped connection, an abort)
 */
export async function readBodyCapped(
  response: Response,
  limit: number,
): Promise<string | undefined> {
  // Cancelling is not awaited: on a clone (one branch of a tee) it settles only once the
  // other branch is done too.
  if (Number(response.headers.get('content-length')) > limit) {
    response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
