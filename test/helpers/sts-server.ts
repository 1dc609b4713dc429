// A local AWS STS endpoint speaking the STS query protocol, for the S3 storage destination tests:
// POST form-encoded Action=AssumeRole | AssumeRoleWithWebIdentity (Version=2011-06-15). It checks
// RoleArn and ExternalId (or the web identity token) against the roles it was given and answers the
// XML AssumeRole(WithWebIdentity)Response with fresh temporary credentials, which it hands to
// `issue` (the test registers them with s3rver), or an ErrorResponse AccessDenied 403. It counts calls.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StsRole {
  roleArn: string;
  /** AssumeRole: the ExternalId the role's trust policy requires (none when undefined). */
  externalId?: string;
  /** AssumeRoleWithWebIdentity: the OIDC token the trust policy accepts. */
  webIdentityToken?: string;
  /** false: the credentials issued are not handed to `issue`, so S3 refuses them (PutObject denied). */
  s3Access?: boolean;
}

export interface StsCall {
  action: string;
  roleArn: string;
  externalId: string | null;
  webIdentityToken: string | null;
  roleSessionName: string | null;
  /** Access key id of the SigV4 Authorization header, null for an unsigned request. */
  signedBy: string | null;
  status: number;
  /** Date.now() when the call arrived. */
  at: number;
}

export interface StsServer {
  url: string;
  calls: StsCall[];
  /** Calls for one role (and external id, when given) that were answered with credentials. */
  granted(roleArn: string, externalId?: string): number;
  close(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startStsServer(opts: {
  roles: StsRole[];
  /** Called with every credential pair issued, before the answer is sent. */
  issue(accessKeyId: string, secretAccessKey: string): void;
  /** The identity AssumeRole callers must sign with; unsigned or other callers are refused. */
  callerAccessKeyId?: string;
  durationSeconds?: number;
}): Promise<StsServer> {
  const calls: StsCall[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const action = form.get('Action') ?? '';
      const roleArn = form.get('RoleArn') ?? '';
      const auth = String(req.headers.authorization ?? '');
      const call: StsCall = {
        action, roleArn, externalId: form.get('ExternalId'), webIdentityToken: form.get('WebIdentityToken'),
        roleSessionName: form.get('RoleSessionName'), signedBy: /Credential=([^/]+)\//.exec(auth)?.[1] ?? null, status: 0,
        at: Date.now(),
      };
      calls.push(call);
      const requestId = crypto.randomUUID();
      const answer = (status: number, xml: string) => {
        call.status = status;
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
      };
      const deny = (status: number, code: string, message: string) =>
        answer(status, `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
      const role = opts.roles.find((r) => r.roleArn === roleArn);
      const caller = call.signedBy ? `arn:aws:iam::111122223333:user/${call.signedBy}` : 'anonymous';
      let ok = false;
      if (action === 'AssumeRole') {
        if (opts.callerAccessKeyId && call.signedBy !== opts.callerAccessKeyId) {
          return deny(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
        }
        ok = !!role && role.webIdentityToken === undefined && (role.externalId ?? null) === call.externalId;
        if (!ok) return deny(403, 'AccessDenied', `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
      } else if (action === 'AssumeRoleWithWebIdentity') {
        ok = !!role && role.webIdentityToken !== undefined && role.webIdentityToken === call.webIdentityToken;
        if (!ok) return deny(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      } else {
        return deny(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
      }
      const accessKeyId = `ASIA${crypto.randomBytes(8).toString('hex').toUpperCase()}`;
      const secret = crypto.randomBytes(20).toString('base64');
      if (role!.s3Access !== false) opts.issue(accessKeyId, secret);
      const expiration = new Date(Date.now() + (opts.durationSeconds ?? Number(form.get('DurationSeconds') ?? 3600)) * 1000).toISOString();
      const session = call.roleSessionName ?? 'session';
      const user = `<AssumedRoleUser><AssumedRoleId>AROA${accessKeyId.slice(4)}:${esc(session)}</AssumedRoleId><Arn>${esc(roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/'))}/${esc(session)}</Arn></AssumedRoleUser>`;
      const creds = `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${esc(secret)}</SecretAccessKey><SessionToken>${crypto.randomBytes(32).toString('base64')}</SessionToken><Expiration>${expiration}</Expiration></Credentials>`;
      const extra = action === 'AssumeRoleWithWebIdentity' ? '<SubjectFromWebIdentityToken>hookrelay-sa</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience><Provider>accounts.google.com</Provider>' : '';
      answer(200, `<${action}Response xmlns="${NS}"><${action}Result>${extra}${user}${creds}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    granted: (roleArn, externalId) => calls.filter((c) => c.status === 200 && c.roleArn === roleArn && (externalId === undefined || c.externalId === externalId)).length,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
