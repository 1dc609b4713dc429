// Writing attachments to a webhook's S3 storage destination: where an object goes (its key and
// URLs) and the PutObject itself, with credentials from the CredentialBroker.
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageConfig } from '../config.ts';
import type { WebhookRow } from '../store/types.ts';
import { CredentialBroker, describeAwsError, StorageError, type RoleRef } from './s3-credentials.ts';

/** A webhook's storage_destination.storage_config.aws_s3_config, as the uploader needs it. */
export interface S3Destination extends RoleRef {
  bucket: string;
  /** Empty, or ending with "/". */
  pathPrefix: string;
}

/** Where one stored file is: what the webhook request tells the receiver. */
export interface StoredFile {
  fileName: string;
  contentType: string;
  size: number;
  storageType: 'AWS_S3';
  bucket: string;
  region: string;
  key: string;
  /** s3://bucket/key */
  s3Uri: string;
  /** The object's URL: https:// on AWS, the configured endpoint's form otherwise. */
  url: string;
}

export function destinationOf(w: Pick<WebhookRow, 'storageDestination'>): S3Destination | null {
  const d = w.storageDestination as { storage_type?: string; storage_config?: { aws_s3_config?: Record<string, string | null | undefined> } } | null;
  const c = d?.storage_type === 'AWS_S3' ? d.storage_config?.aws_s3_config : undefined;
  if (!c?.bucket_name || !c.region || !c.role_arn) return null;
  let prefix = c.path_prefix ?? '';
  // "thoughtspot/webhook" (seed 003's update example) is a folder, not a name stem.
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  return { bucket: c.bucket_name, region: c.region, roleArn: c.role_arn, externalId: c.external_id || null, pathPrefix: prefix };
}

/** A file or path segment safe in an S3 key and a URL: letters, digits, ".", "_", "-"; never "." or "..". */
export function sanitiseFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-200);
  return clean && !/^\.+$/.test(clean) ? clean : 'file';
}

/** `<path_prefix><org id>/<event type>/<yyyy>/<mm>/<dd>/<event id>/<sanitised file name>`, dates in UTC. */
export function objectKey(dest: Pick<S3Destination, 'pathPrefix'>, orgId: number, eventType: string, createdAt: number, eventId: string, fileName: string): string {
  const d = new Date(createdAt);
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  return `${dest.pathPrefix}${orgId}/${sanitiseFileName(eventType)}/${date}/${sanitiseFileName(eventId)}/${sanitiseFileName(fileName)}`;
}

/**
 * An event's object keys made distinct: a repeat gets "-2", "-3", ... before its extension, by the
 * files' order (the same on every attempt). Two files named report.pdf, or "a b.csv" beside
 * "a_b.csv", had one key, and the later file overwrote the earlier without a word (attachment
 * fuzzing, 2026-12-07).
 */
export function distinctKeys(keys: string[]): string[] {
  const taken = new Set<string>();
  return keys.map((key) => {
    let k = key;
    for (let n = 2; taken.has(k) || (k !== key && keys.includes(k)); n++) k = key.replace(/(\.[^./]*)?$/, `-${n}$1`);
    taken.add(k);
    return k;
  });
}

export function objectUrls(cfg: StorageConfig, dest: Pick<S3Destination, 'bucket' | 'region'>, key: string): { s3Uri: string; url: string } {
  const path = key.split('/').map(encodeURIComponent).join('/');
  let url: string;
  if (cfg.s3Endpoint) {
    const base = new URL(cfg.s3Endpoint);
    url = cfg.s3ForcePathStyle ? `${base.origin}${base.pathname.replace(/\/$/, '')}/${dest.bucket}/${path}` : `${base.protocol}//${dest.bucket}.${base.host}/${path}`;
  } else {
    // Bucket names with dots break the wildcard certificate of virtual-hosted URLs.
    url = dest.bucket.includes('.') || cfg.s3ForcePathStyle
      ? `https://s3.${dest.region}.amazonaws.com/${dest.bucket}/${path}`
      : `https://${dest.bucket}.s3.${dest.region}.amazonaws.com/${path}`;
  }
  return { s3Uri: `s3://${dest.bucket}/${key}`, url };
}

/** The promise, or a StorageError as soon as the signal aborts (the shared STS call itself goes on). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined, message: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new StorageError(message));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StorageError(message));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const clientKey = (d: S3Destination) => `${d.region}\n${d.roleArn}\n${d.externalId ?? ''}`;

export class S3Uploader {
  private readonly clients = new Map<string, S3Client>();
  // Loaded on first use, like the STS client: deployments without S3 destinations never pay for it.
  private sdk: Promise<typeof import('@aws-sdk/client-s3')> | null = null;

  constructor(
    private readonly cfg: StorageConfig,
    readonly broker: CredentialBroker,
  ) {}

  /** One client per (region, role, external id): its credentials come from the broker's cache. */
  private client(s3: typeof import('@aws-sdk/client-s3'), dest: S3Destination): S3Client {
    const key = clientKey(dest);
    let c = this.clients.get(key);
    if (!c) {
      c = new s3.S3Client({
        region: dest.region,
        endpoint: this.cfg.s3Endpoint ?? undefined,
        forcePathStyle: this.cfg.s3ForcePathStyle,
        requestHandler: { connectionTimeout: 5000 },
        credentials: () => this.broker.get(dest),
      });
      // Dropped clients close their idle connections on their own; in-flight requests finish.
      if (this.clients.size >= 1000) this.clients.clear();
      this.clients.set(key, c);
    }
    return c;
  }

  /**
   * Stores one object. The body is sent as it is (a Buffer is not copied, a stream is streamed,
   * with its size known up front). Throws StorageError with the failed step and the AWS error.
   */
  async put(dest: S3Destination, key: string, body: Buffer | Readable, size: number, contentType: string, signal?: AbortSignal): Promise<void> {
    // Credentials first, so that a refused AssumeRole is reported as such rather than as a PutObject error.
    await abortable(this.broker.get(dest), signal, `failed to assume role '${dest.roleArn}': operation error STS: request canceled, the upload time ran out`);
    const s3 = await (this.sdk ??= import('@aws-sdk/client-s3'));
    try {
      await this.client(s3, dest).send(new s3.PutObjectCommand({ Bucket: dest.bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType }), { abortSignal: signal });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'ExpiredToken' || name === 'InvalidToken' || name === 'InvalidAccessKeyId') {
        // Revoked early: the next attempt asks STS again (and a new client forgets the SDK's copy).
        this.broker.invalidate(dest);
        this.clients.delete(clientKey(dest));
      }
      throw new StorageError(`failed to upload object '${key}': ${describeAwsError('S3', 'PutObject', err)}`);
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
    this.broker.close();
  }
}
