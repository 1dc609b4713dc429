// Encrypts secrets at rest with AES-256-GCM. Ciphertexts are self-describing strings
// ("v1:<iv>:<tag>:<data>", base64url) so a future key rotation can add "v2" without a migration.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseSecretKey } from '../config.ts';

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox key must be 32 bytes');
  }

  encrypt(plain: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join(':');
  }

  /** Names the key without telling anything of it: an HMAC of a constant, kept in the database (key_check). */
  fingerprint(): string {
    return 'v1:' + crypto.createHmac('sha256', this.key).update('hookrelay key check').digest('base64url');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised ciphertext format');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/**
 * The configured key, or the one generated into the data directory on first start. The file is
 * created with O_EXCL so two processes starting together cannot each write a different key.
 */
export function loadOrCreateKey(configured: Buffer | null, dataDir: string): Buffer {
  if (configured) return configured;
  const file = path.join(dataDir, 'secret.key');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return parseSecretKey(fs.readFileSync(file, 'utf8'), file);
}
