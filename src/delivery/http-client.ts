// The one outbound HTTP client: an undici Agent whose sockets resolve names through the outbound
// guard, keep connections alive per origin, and never follow redirects.
import { Agent, request, type Dispatcher } from 'undici';
import { checkLiteralHost, guardedLookup, type AllowRule, BlockedAddressError } from './ssrf-guard.ts';

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** At most maxBodyBytes of the body, as UTF-8 text. */
  body: string;
  truncated: boolean;
}

export class HttpClient {
  readonly agent: Agent;

  constructor(
    private readonly allow: AllowRule,
    private readonly maxBodyBytes: number,
  ) {
    this.agent = new Agent({
      connect: { lookup: guardedLookup(allow) as any, timeout: 5000 },
      keepAliveTimeout: 30_000,
      connections: 128,
      pipelining: 1,
    });
  }

  /** Throws BlockedAddressError, or the network/timeout error, when no response arrives. */
  async post(url: URL, headers: Record<string, string>, body: Buffer | string, signal: AbortSignal): Promise<HttpResult> {
    const literal = checkLiteralHost(url.hostname, this.allow);
    if (literal) throw new BlockedAddressError(literal);
    const res = await request(url, { method: 'POST', headers, body, signal, dispatcher: this.agent as Dispatcher });
    const headersOut = res.headers as HttpResult['headers'];
    // A body whose announced length fits is read whole; the chunk loop below (an async iterator
    // per response) is for bodies of unknown or excessive length. Most receivers answer 200/204
    // with a few bytes or none.
    const length = res.statusCode === 204 || res.statusCode === 304 ? 0 : Number(res.headers['content-length'] ?? NaN);
    if (length === 0) {
      await res.body.dump();
      return { statusCode: res.statusCode, headers: headersOut, body: '', truncated: false };
    }
    if (length <= this.maxBodyBytes) return { statusCode: res.statusCode, headers: headersOut, body: await res.body.text(), truncated: false };
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      if (size + buf.length > this.maxBodyBytes) {
        chunks.push(buf.subarray(0, this.maxBodyBytes - size));
        size = this.maxBodyBytes;
        truncated = true;
        // Stop reading a receiver that sends more than we keep; the connection is discarded.
        res.body.destroy();
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
    return { statusCode: res.statusCode, headers: headersOut, body: Buffer.concat(chunks).toString('utf8'), truncated };
  }

  async destroy(): Promise<void> {
    await this.agent.destroy();
  }
}
