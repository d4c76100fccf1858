import { pipeline, type Readable, type Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";

/** Bytes read from a response, counted after decompression; the rest is discarded unread. */
export const RESPONSE_READ_LIMIT = 64 * 1024;
/** Bytes kept for the delivery log. */
export const RESPONSE_EXCERPT_LIMIT = 2 * 1024;

export interface ResponseSample {
  /** Decoded bytes read, at most RESPONSE_READ_LIMIT. */
  bytesRead: number;
  /** UTF-8 text of at most RESPONSE_EXCERPT_LIMIT bytes. */
  excerpt: string;
}

function decoderFor(contentEncoding: string | undefined): Transform | null {
  switch (contentEncoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      // identity, or a stacked/unknown coding: the raw bytes are the best we can show.
      return null;
  }
}

/** Longest prefix of `bytes` within `limit` bytes that does not split a UTF-8 sequence. */
function utf8Prefix(bytes: Buffer, limit: number): string {
  const text = new TextDecoder().decode(bytes.subarray(0, limit), { stream: true });
  const encoded = Buffer.from(text, "utf8");
  // Invalid input decodes to U+FFFD (3 bytes), which can push the text past the limit.
  return encoded.length <= limit ? text : new TextDecoder().decode(encoded.subarray(0, limit), { stream: true });
}

/**
 * Reads at most RESPONSE_READ_LIMIT decoded bytes of `body` (a decompression bomb stops there
 * too) and keeps an excerpt. A body that breaks mid-way only yields a shorter sample: the
 * status line already decided the outcome.
 */
export async function readResponseSample(body: Readable, contentEncoding: string | undefined): Promise<ResponseSample> {
  const decoder = decoderFor(contentEncoding);
  const source: Readable = decoder ? pipeline(body, decoder, () => {}) : body;
  const head: Buffer[] = [];
  let headBytes = 0;
  let bytesRead = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const part = chunk.subarray(0, RESPONSE_READ_LIMIT - bytesRead);
      bytesRead += part.length;
      if (headBytes < RESPONSE_EXCERPT_LIMIT) {
        const take = part.subarray(0, RESPONSE_EXCERPT_LIMIT - headBytes);
        head.push(take);
        headBytes += take.length;
      }
      if (bytesRead >= RESPONSE_READ_LIMIT) break;
    }
  } catch {
    // Reset, abort or corrupt compression after the headers: keep what was read.
  } finally {
    source.destroy();
    body.destroy();
  }
  return { bytesRead, excerpt: utf8Prefix(Buffer.concat(head), RESPONSE_EXCERPT_LIMIT) };
}
