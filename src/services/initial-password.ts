// Where the first start's generated administrator password goes. Into a file readable by the
// service's user only, `<data dir>/initial-admin-password`, and onto the terminal when there is
// one. It was written to stdout always, between the JSON log lines, so it travelled with the
// logs to wherever they are shipped (security audit, 2026-12-08).
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export const PASSWORD_FILE = 'initial-admin-password';

export function announceGeneratedPassword(dataDir: string, username: string, password: string, log: Logger, terminal = process.stdout.isTTY === true): void {
  const file = path.join(dataDir, PASSWORD_FILE);
  let written = false;
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // wx: never over another file (a symlink planted there included).
    fs.writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
    written = true;
  } catch (err) {
    log.warn({ err, file }, 'the generated administrator password could not be written to its file');
  }
  if (written) log.info({ username, file }, `administrator "${username}" created; its generated password is in ${file} (readable by this user only): sign in, change it, and delete the file`);
  // A terminal is a person watching, not a log collector; without the file it is the only place left.
  if (terminal || !written) {
    process.stdout.write(`\nHookRelay administrator created: username "${username}", password "${password}"\nStore it now; it will not be shown again.\n\n`);
  }
}
