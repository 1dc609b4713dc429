// Temporary AWS credentials for S3 storage destinations (seed 003), from STS:
//  - assume-role: the service's own identity comes from the AWS default provider chain (env, shared
//    files, ECS/EC2 roles, ...) and calls sts:AssumeRole with the destination's role ARN and external id;
//  - web-identity: sts:AssumeRoleWithWebIdentity with the OIDC token read from a file (GCP and other
//    deployments outside AWS), an unsigned call: the service holds no long-lived AWS keys.
// Credentials are cached per (role ARN, external id) until five minutes before they expire, and
// concurrent deliveries to one destination share a single STS call.
import fs from 'node:fs/promises';
import type { Credentials, STSClient } from '@aws-sdk/client-sts';
import type { StorageConfig } from '../config.ts';
import { CredentialCache } from '../security/credential-cache.ts';

/** Credentials are renewed this long before they expire. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** Lifetime asked of STS (the default maximum session duration of an IAM role). */
const SESSION_SECONDS = 3600;
/**
 * How long one STS call may take, the SDK's own retries included. The client's requestTimeout
 * only logs in this SDK version: a hung call stayed pending, and every delivery to the role shared
 * it, failing until the service restarted (attachment fuzzing, 2026-12-07).
 */
export const STS_CALL_TIMEOUT_MS = 10_000;
const SESSION_NAME = 'hookrelay-s3-delivery';

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface RoleRef {
  roleArn: string;
  externalId: string | null;
  /** Region of the STS endpoint to call (the bucket's region). */
  region: string;
}

/** A storage step failed; `message` is the text put into the job's detail. */
export class StorageError extends Error {}

/**
 * An AWS SDK error in the shape of the Go SDK's messages that seed 002 shows, e.g.
 * `operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: …, api error AccessDenied: …`.
 */
export function describeAwsError(service: string, operation: string, err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string } };
  const m = e?.$metadata;
  if (m?.httpStatusCode) {
    const ids = [`RequestID: ${m.requestId ?? ''}`, ...(m.extendedRequestId ? [`HostID: ${m.extendedRequestId}`] : [])].join(', ');
    return `operation error ${service}: ${operation}, https response error StatusCode: ${m.httpStatusCode}, ${ids}, api error ${e.name ?? 'Unknown'}: ${e.message ?? ''}`;
  }
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return `operation error ${service}: ${operation}, request canceled: ${e.message ?? 'timed out'}`;
  const code = e?.code ?? (e?.name && e.name !== 'Error' ? e.name : null);
  return `operation error ${service}: ${operation}, ${code ? `${code}: ` : ''}${e?.message ?? String(err)}`;
}

const roleKey = (ref: RoleRef) => `${ref.roleArn}\n${ref.externalId ?? ''}`;

export class CredentialBroker {
  private readonly cache: CredentialCache<TemporaryCredentials>;
  private readonly clients = new Map<string, STSClient>();
  // The AWS SDK is loaded on first use: ~15 MB of a service's memory that only S3 destinations need.
  private sdk: Promise<[typeof import('@aws-sdk/client-sts'), typeof import('@aws-sdk/credential-providers')]> | null = null;
  private ownIdentity: ReturnType<typeof import('@aws-sdk/credential-providers').fromNodeProviderChain> | null = null;

  constructor(
    private readonly cfg: StorageConfig,
    now: () => number = Date.now,
    private readonly callTimeoutMs = STS_CALL_TIMEOUT_MS,
  ) {
    this.cache = new CredentialCache(now);
  }

  /** Temporary credentials for the role, from the cache while they have 5+ minutes left. */
  get(ref: RoleRef): Promise<TemporaryCredentials> {
    return this.cache.get(roleKey(ref), async () => {
      const creds = await this.fetch(ref);
      return { value: creds, refreshAt: creds.expiration.getTime() - REFRESH_MARGIN_MS };
    });
  }

  /** Forgets a role's credentials (S3 said they are no longer valid). */
  invalidate(ref: RoleRef): void {
    this.cache.invalidate(roleKey(ref));
  }

  private async client(region: string): Promise<{ client: STSClient; sts: typeof import('@aws-sdk/client-sts') }> {
    this.sdk ??= Promise.all([import('@aws-sdk/client-sts'), import('@aws-sdk/credential-providers')]);
    const [sts, providers] = await this.sdk;
    this.ownIdentity ??= providers.fromNodeProviderChain();
    let c = this.clients.get(region);
    if (!c) {
      c = new sts.STSClient({
        region,
        endpoint: this.cfg.stsEndpoint ?? undefined,
        // A hung STS must not hold a delivery past its lease (each SDK attempt; the SDK retries 5xx).
        requestHandler: { connectionTimeout: 5000, requestTimeout: 10_000 },
        // AssumeRoleWithWebIdentity is unsigned; only assume-role needs the service's own identity.
        ...(this.cfg.credentialsMode === 'assume-role' ? { credentials: this.ownIdentity } : {}),
      });
      this.clients.set(region, c);
    }
    return { client: c, sts };
  }

  private async fetch(ref: RoleRef): Promise<TemporaryCredentials> {
    const web = this.cfg.credentialsMode === 'web-identity';
    const operation = web ? 'AssumeRoleWithWebIdentity' : 'AssumeRole';
    const fail = (why: string) => new StorageError(`failed to assume role '${ref.roleArn}': ${why}`);
    let out: { Credentials?: Credentials };
    try {
      if (web) {
        // Re-read every time: the token is short-lived and rotated on disk by the platform.
        let token: string;
        try {
          token = (await fs.readFile(this.cfg.webIdentityTokenFile!, 'utf8')).trim();
        } catch (err) {
          throw fail(`cannot read the web identity token file: ${(err as Error).message}`);
        }
        const { client, sts } = await this.client(ref.region);
        out = await client.send(
          new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: ref.roleArn, RoleSessionName: SESSION_NAME, WebIdentityToken: token, DurationSeconds: SESSION_SECONDS }),
          { abortSignal: AbortSignal.timeout(this.callTimeoutMs) },
        );
      } else {
        const { client, sts } = await this.client(ref.region);
        out = await client.send(
          new sts.AssumeRoleCommand({ RoleArn: ref.roleArn, RoleSessionName: SESSION_NAME, ExternalId: ref.externalId ?? undefined, DurationSeconds: SESSION_SECONDS }),
          { abortSignal: AbortSignal.timeout(this.callTimeoutMs) },
        );
      }
    } catch (err) {
      if (err instanceof StorageError) throw err;
      const name = (err as { name?: string }).name;
      if (name === 'AbortError' || name === 'TimeoutError') throw fail(`operation error STS: ${operation}, no answer within ${this.callTimeoutMs} ms`);
      let why = describeAwsError('STS', operation, err);
      if ((err as { name?: string }).name === 'AccessDenied') {
        why += web
          ? ". Ensure the role's trust policy allows HookRelay's web identity (OIDC provider and subject)"
          : ". Ensure the role's trust policy allows HookRelay and the External ID matches";
      }
      throw fail(why);
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw fail(`operation error STS: ${operation}, the response carried no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: new Date(c.Expiration) };
  }

  close(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
