// The checkpointer's thread (see Checkpointer in wal-sync.ts): its own connection to the database
// file, used for nothing but PASSIVE checkpoints, with synchronous=FULL so each one fsyncs the WAL
// before copying and the database file before SQLite may reuse the WAL.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort!;
const conn = new Database((workerData as { file: string }).file);
conn.pragma('busy_timeout = 5000');
conn.pragma('synchronous = FULL');
conn.pragma('wal_autocheckpoint = 0');

port.on('message', (m: 'checkpoint' | 'close') => {
  if (m === 'close') {
    conn.close();
    port.postMessage({ closed: true });
    port.close();
    return;
  }
  try {
    const [r] = conn.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    port.postMessage({ done: r });
  } catch (err) {
    port.postMessage({ error: (err as Error).message });
  }
});
port.postMessage({ ready: true });
