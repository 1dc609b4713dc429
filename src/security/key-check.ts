// The key a process starts with must be the key that encrypted the database's secrets. A process
// with another one (a data directory of its own on PostgreSQL, a changed HOOKRELAY_SECRET_KEY)
// started all the same: every delivery with a secret threw at decryption and came back with its
// lease, for ever, and nothing in the API said why (operator audit, 2026-12-08).
import { ConfigError } from '../config.ts';
import { openAuth, openSig } from '../domain/webhook-secrets.ts';
import type { Store } from '../store/types.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * Refuses a key that does not open the database's secrets: tried on a stored secret when there is
 * one (a database from before the fingerprint), then against the fingerprint stored by the first
 * process (which this one stores when it is the first).
 */
export async function checkKey(store: Store, box: SecretBox, source: string): Promise<void> {
  const refuse = () =>
    new ConfigError(
      `the secret key (${source}) is not the key that encrypted this database's secrets: give every process the same key ` +
        '(HOOKRELAY_SECRET_KEY, or the secret.key of the data directory the database was first used with)',
    );
  const sample = await store.anyWebhookWithSecrets();
  if (sample) {
    try {
      openAuth(sample.authentication, box);
      openSig(sample.signatureVerification, box);
    } catch {
      throw refuse();
    }
  }
  if ((await store.keyFingerprint(box.fingerprint())) !== box.fingerprint()) throw refuse();
}
