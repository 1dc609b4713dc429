// Failed sign-ins per client: without a limit one client tried ~25 passwords a second against an
// account, each one a scrypt run on libuv's shared thread pool (console fuzzing, 2026-12-07).
// Only failures count, so automation that signs in often is never slowed; a success clears its
// client's count for that user. Counts live in the process (each process of a PostgreSQL
// deployment counts its own), in fixed windows.
import net from 'node:net';

export interface ThrottleLimits {
  /** Failures of one client against one username before it must wait for the window's end. */
  perUser: number;
  /** Failures of one client across usernames (one password tried against many accounts). */
  perClient: number;
  windowMs: number;
  /** Keys kept at most; the oldest go first (an attacker's many addresses cannot fill memory). */
  maxKeys: number;
}

export const SIGN_IN_LIMITS: ThrottleLimits = { perUser: 10, perClient: 100, windowMs: 5 * 60_000, maxKeys: 20_000 };

interface Window {
  start: number;
  failures: number;
}

export class SignInThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limits: ThrottleLimits = SIGN_IN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts an attempt of the client at the username before its password is checked, or answers
   * how many milliseconds it must wait (0: counted, go on). Counted first, in the same turn as the
   * check: counted after the ~50 ms of scrypt, 300 wrong passwords sent at once were all checked
   * before the first was counted (fuzzing, 2026-12-07). A success takes its attempt back.
   */
  attempt(client: string, username: string): number {
    const wait = this.waitMs(client, username);
    if (wait === 0) this.failed(client, username);
    return wait;
  }

  /** Milliseconds the client must wait before it may try this username again; 0 when it may now. */
  waitMs(client: string, username: string): number {
    const t = this.now();
    const wait = (key: string, max: number) => {
      const w = this.live(key, t);
      return w && w.failures >= max ? w.start + this.limits.windowMs - t : 0;
    };
    return Math.max(wait(userKey(client, username), this.limits.perUser), wait(client, this.limits.perClient));
  }

  failed(client: string, username: string): void {
    const t = this.now();
    for (const key of [userKey(client, username), client]) {
      const w = this.live(key, t);
      if (w) w.failures++;
      else this.windows.set(key, { start: t, failures: 1 });
    }
    while (this.windows.size > this.limits.maxKeys) this.windows.delete(this.windows.keys().next().value!);
  }

  /** The attempt was right: the client's count for the username goes, and the attempt leaves its count across usernames. */
  succeeded(client: string, username: string): void {
    this.windows.delete(userKey(client, username));
    const w = this.windows.get(client);
    if (w && w.failures > 0) w.failures--;
  }

  private live(key: string, t: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && t - w.start >= this.limits.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
}

// Usernames are looked up as given, but a case change must not open a fresh window.
const userKey = (client: string, username: string) => `${client}\n${username.toLowerCase()}`;

/**
 * The client an address counts for: an IPv6 address by its /64 (one host holds a whole /64, and
 * each of its addresses opened a fresh window), an IPv4-mapped one by its IPv4 address.
 */
export function clientOf(ip: string): string {
  if (!net.isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
