// The verbs of the Store interface in SQL that both engines accept. Engine classes extend this with
// their executor, their migration lock and, where it matters for speed, engine-specific statements.
import type { ChannelPreference } from '../domain/channels.ts';
import type { Db } from './db.ts';
import { SqlQueueStore } from './sql-queue.ts';
import type { OrgRow, PreferenceChange, Store, TokenRow, UserRow, WebhookQuery, WebhookRow } from './types.ts';

type Raw = Record<string, any>;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
const parse = <T>(v: unknown): T | null => (v === null || v === undefined ? null : (JSON.parse(String(v)) as T));

function toOrg(r: Raw): OrgRow {
  return {
    id: Number(r.id),
    name: r.name,
    description: r.description ?? null,
    status: r.status,
    visibility: r.visibility,
    createdAt: Number(r.created_at),
  };
}

function toToken(r: Raw): TokenRow {
  return {
    hash: r.hash,
    userId: r.user_id,
    orgId: Number(r.org_id),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

function toUser(r: Raw, orgIds: number[]): UserRow {
  return {
    id: r.id,
    name: r.name,
    displayName: r.display_name,
    email: r.email ?? null,
    passwordHash: r.password_hash,
    privileges: JSON.parse(r.privileges),
    orgIds,
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
  };
}

function toWebhook(r: Raw): WebhookRow {
  return {
    id: r.id,
    orgId: Number(r.org_id),
    name: r.name,
    description: r.description ?? null,
    url: r.url,
    urlParams: parse(r.url_params),
    events: JSON.parse(r.events),
    authentication: parse(r.authentication),
    signatureVerification: parse(r.signature_verification),
    storageDestination: parse(r.storage_destination),
    additionalHeaders: parse(r.additional_headers),
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
    createdBy: r.created_by_id ? { id: r.created_by_id, name: r.created_by_name } : null,
    modifiedBy: r.modified_by_id ? { id: r.modified_by_id, name: r.modified_by_name } : null,
  };
}

function toPrefs(rows: Raw[]): ChannelPreference[] {
  return rows.map((r) => ({ eventType: r.event_type, channels: JSON.parse(r.channels) }));
}

/** An org id as the API writes it: "00" or "007" named org 0 or 7 here but nothing in orgs/search. */
const isNumericId = (s: string) => /^(0|[1-9]\d{0,14})$/.test(s);

const SORT_COLUMNS = { CREATED: 'created_at', MODIFIED: 'modified_at', NAME: 'name' } as const;

export abstract class SqlStore extends SqlQueueStore implements Store {
  abstract readonly engine: 'sqlite' | 'postgres';
  protected abstract readonly db: Db;
  abstract migrate(): Promise<string[]>;
  abstract close(): Promise<void>;

  async ping(): Promise<void> {
    await this.db.get('SELECT 1 AS ok');
  }

  async keyFingerprint(fingerprint: string): Promise<string> {
    await this.db.run('INSERT INTO key_check (id, fingerprint, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING', [fingerprint, Date.now()]);
    const r = await this.db.get<Raw>('SELECT fingerprint FROM key_check WHERE id = 1');
    return String(r?.fingerprint);
  }

  async anyWebhookWithSecrets(): Promise<WebhookRow | null> {
    const r = await this.db.get<Raw>('SELECT * FROM webhooks WHERE authentication IS NOT NULL OR signature_verification IS NOT NULL LIMIT 1');
    return r ? toWebhook(r) : null;
  }

  // ---- orgs
  async createOrg(o: OrgRow): Promise<void> {
    await this.db.run(
      'INSERT INTO orgs (id, name, description, status, visibility, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [o.id, o.name, o.description, o.status, o.visibility, o.createdAt],
    );
  }

  async findOrg(identifier: string): Promise<OrgRow | null> {
    const r = isNumericId(identifier)
      ? await this.db.get('SELECT * FROM orgs WHERE id = ? OR name = ? ORDER BY (id = ?) DESC LIMIT 1', [Number(identifier), identifier, Number(identifier)])
      : await this.db.get('SELECT * FROM orgs WHERE name = ?', [identifier]);
    return r ? toOrg(r) : null;
  }

  async listOrgs(): Promise<OrgRow[]> {
    return (await this.db.all('SELECT * FROM orgs ORDER BY id')).map(toOrg);
  }

  async updateOrg(id: number, patch: { name?: string; description?: string | null }): Promise<OrgRow | null> {
    const r = await this.db.get(
      `UPDATE orgs SET name = COALESCE(?, name), description = CASE WHEN ? THEN ? ELSE description END
       WHERE id = ? RETURNING *`,
      [patch.name ?? null, patch.description !== undefined ? 1 : 0, patch.description ?? null, id],
    );
    return r ? toOrg(r) : null;
  }

  async deleteOrg(id: number): Promise<boolean> {
    return (await this.db.run('DELETE FROM orgs WHERE id = ?', [id])).changes > 0;
  }

  // ---- users
  async createUser(u: UserRow): Promise<void> {
    await this.db.tx(async (db) => {
      await db.run(
        `INSERT INTO users (id, name, display_name, email, password_hash, privileges, created_at, modified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [u.id, u.name, u.displayName, u.email, u.passwordHash, JSON.stringify(u.privileges), u.createdAt, u.modifiedAt],
      );
      for (const orgId of u.orgIds) await db.run('INSERT INTO user_orgs (user_id, org_id) VALUES (?, ?)', [u.id, orgId]);
    });
  }

  private async userOrgIds(db: Db, userId: string): Promise<number[]> {
    const rows = await db.all<Raw>('SELECT org_id FROM user_orgs WHERE user_id = ? ORDER BY org_id', [userId]);
    return rows.map((r) => Number(r.org_id));
  }

  async findUser(identifier: string): Promise<UserRow | null> {
    const r = await this.db.get<Raw>('SELECT * FROM users WHERE id = ? OR name = ? ORDER BY (id = ?) DESC LIMIT 1', [identifier, identifier, identifier]);
    return r ? toUser(r, await this.userOrgIds(this.db, r.id)) : null;
  }

  async listUsers(): Promise<UserRow[]> {
    const rows = await this.db.all<Raw>('SELECT * FROM users ORDER BY name');
    const links = await this.db.all<Raw>('SELECT user_id, org_id FROM user_orgs ORDER BY org_id');
    return rows.map((r) => toUser(r, links.filter((l) => l.user_id === r.id).map((l) => Number(l.org_id))));
  }

  async countUsers(): Promise<number> {
    const r = await this.db.get<Raw>('SELECT COUNT(*) AS n FROM users');
    return Number(r?.n ?? 0);
  }

  /**
   * The administrators' ids, their rows locked until the transaction ends (PostgreSQL; SQLite
   * writes one transaction at a time): two administrators demoting each other at once each saw
   * the other still holding the privilege, and both did (concurrency fuzzing, 2026-12-07).
   */
  private async lockAdministrators(db: Db): Promise<string[]> {
    const rows = await db.all<Raw>(`SELECT id FROM users WHERE privileges LIKE ?${this.engine === 'postgres' ? ' FOR UPDATE' : ''}`, ['%"ADMINISTRATION"%']);
    return rows.map((r) => String(r.id));
  }

  async updateUser(u: UserRow, readAt: number, orgs: boolean): Promise<'updated' | 'changed' | 'missing' | 'last_admin'> {
    return this.db.tx(async (db) => {
      const admins = await this.lockAdministrators(db);
      if (admins.length === 1 && admins[0] === u.id && !u.privileges.includes('ADMINISTRATION')) return 'last_admin';
      const oldHash = (await db.get<Raw>('SELECT password_hash FROM users WHERE id = ?', [u.id]))?.password_hash;
      const { changes } = await db.run(
        'UPDATE users SET name = ?, display_name = ?, email = ?, password_hash = ?, privileges = ?, modified_at = ? WHERE id = ? AND modified_at = ?',
        [u.name, u.displayName, u.email, u.passwordHash, JSON.stringify(u.privileges), u.modifiedAt, u.id, readAt],
      );
      if (!changes) return (await db.get('SELECT 1 AS found FROM users WHERE id = ?', [u.id])) ? 'changed' : 'missing';
      if (orgs) {
        const before = (await db.all<Raw>('SELECT org_id FROM user_orgs WHERE user_id = ?', [u.id])).map((r) => Number(r.org_id));
        await db.run('DELETE FROM user_orgs WHERE user_id = ?', [u.id]);
        for (const orgId of u.orgIds) await db.run('INSERT INTO user_orgs (user_id, org_id) VALUES (?, ?)', [u.id, orgId]);
        for (const orgId of before.filter((o) => !u.orgIds.includes(o))) await this.endSessionsIn(db, orgId, [u.id]);
      }
      // A session opened with the old password must not outlive it, the caller's own included.
      if (oldHash !== u.passwordHash) await db.run('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [Date.now(), u.id]);
      return 'updated';
    });
  }

  async deleteUser(id: string): Promise<'deleted' | 'missing' | 'last_admin'> {
    return this.db.tx(async (db) => {
      const admins = await this.lockAdministrators(db);
      if (admins.length === 1 && admins[0] === id) return 'last_admin';
      // Its org memberships and tokens go with it (ON DELETE CASCADE): its sessions end at once.
      return (await db.run('DELETE FROM users WHERE id = ?', [id])).changes > 0 ? 'deleted' : 'missing';
    });
  }

  async changeOrgMembers(orgId: number, userIds: string[], operation: 'ADD' | 'REMOVE' | 'REPLACE'): Promise<string[]> {
    const stranded: string[] = [];
    const rollBack = new Error('stranded');
    await this.db.tx(async (db) => {
      const leaving = operation === 'ADD' ? [] : operation === 'REMOVE' ? userIds
        : (await db.all<Raw>('SELECT user_id FROM user_orgs WHERE org_id = ?', [orgId])).map((r) => String(r.user_id)).filter((id) => !userIds.includes(id));
      // The users whose orgs change are changed: an update of one of them that read its orgs
      // before this then finds it changed (updateUser), instead of writing back the orgs it read
      // (an ADD here was lost in 25 of 140 races, concurrency fuzzing 2026-12-07).
      const now = Date.now();
      const touch = `UPDATE users SET modified_at = CASE WHEN modified_at < ? THEN ? ELSE modified_at + 1 END WHERE`;
      if (operation === 'REPLACE') await db.run(`${touch} id IN (SELECT user_id FROM user_orgs WHERE org_id = ?)`, [now, now, orgId]);
      for (const userId of userIds) await db.run(`${touch} id = ?`, [now, now, userId]);
      if (operation === 'REPLACE') await db.run('DELETE FROM user_orgs WHERE org_id = ?', [orgId]);
      for (const userId of userIds) {
        if (operation === 'REMOVE') await db.run('DELETE FROM user_orgs WHERE user_id = ? AND org_id = ?', [userId, orgId]);
        else await db.run('INSERT INTO user_orgs (user_id, org_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [userId, orgId]);
      }
      // Checked here, with the users' rows locked by the touch above (PostgreSQL; SQLite writes
      // one transaction at a time): checked before, a removal racing a users/update that took the
      // user's other org left it in none (concurrency fuzzing, 2026-12-07).
      for (const userId of leaving) {
        const left = await db.get<Raw>('SELECT u.name FROM users u WHERE u.id = ? AND NOT EXISTS (SELECT 1 FROM user_orgs o WHERE o.user_id = u.id)', [userId]);
        if (left) stranded.push(String(left.name));
      }
      if (stranded.length) throw rollBack;
      await this.endSessionsIn(db, orgId, leaving);
    }).catch((err) => {
      if (err !== rollBack) throw err;
    });
    return stranded;
  }

  // ---- tokens
  async insertToken(t: TokenRow): Promise<void> {
    await this.db.run(
      'INSERT INTO tokens (hash, user_id, org_id, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)',
      [t.hash, t.userId, t.orgId, t.createdAt, t.expiresAt, t.revokedAt],
    );
  }

  /**
   * A token with its user and org in one query (every authenticated request asks this). Bench
   * (2026-11-22, 1,000 publishes/s): four lookups per request were four PostgreSQL round trips.
   */
  async findSession(hash: string): Promise<{ token: TokenRow; user: UserRow; org: OrgRow } | null> {
    const rows = await this.db.all<Raw>(
      `SELECT t.hash, t.user_id, t.org_id, t.created_at AS t_created, t.expires_at, t.revoked_at,
         u.name AS u_name, u.display_name, u.email, u.password_hash, u.privileges, u.created_at AS u_created, u.modified_at AS u_modified,
         o.name AS o_name, o.description AS o_description, o.status AS o_status, o.visibility AS o_visibility, o.created_at AS o_created,
         uo.org_id AS member_of
       FROM tokens t JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = t.org_id LEFT JOIN user_orgs uo ON uo.user_id = t.user_id
       WHERE t.hash = ? ORDER BY uo.org_id`,
      [hash],
    );
    if (!rows.length) return null;
    const r = rows[0];
    const orgIds = rows.filter((x) => x.member_of !== null).map((x) => Number(x.member_of));
    return {
      token: toToken({ ...r, created_at: r.t_created }),
      user: toUser({ id: r.user_id, name: r.u_name, display_name: r.display_name, email: r.email, password_hash: r.password_hash, privileges: r.privileges, created_at: r.u_created, modified_at: r.u_modified }, orgIds),
      org: toOrg({ id: r.org_id, name: r.o_name, description: r.o_description, status: r.o_status, visibility: r.o_visibility, created_at: r.o_created }),
    };
  }

  async findToken(hash: string): Promise<TokenRow | null> {
    const r = await this.db.get<Raw>('SELECT * FROM tokens WHERE hash = ?', [hash]);
    return r ? toToken(r) : null;
  }

  /**
   * Ends the sessions users held in an org they have left, in the transaction that took them out:
   * a token for it is refused while its user is not a member, but worked again once the user was
   * added back (console fuzzing, 2026-12-07). Administrators act in every org, member or not:
   * theirs stay (their privileges as this transaction has written them).
   */
  private async endSessionsIn(db: Db, orgId: number, userIds: string[]): Promise<void> {
    const at = Date.now();
    for (const userId of userIds) {
      await db.run(
        `UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND org_id = ? AND revoked_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = tokens.user_id AND u.privileges LIKE ?)`,
        [at, userId, orgId, '%"ADMINISTRATION"%'],
      );
    }
  }

  async revokeToken(hash: string, at: number): Promise<boolean> {
    return (await this.db.run('UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL', [at, hash])).changes > 0;
  }

  /**
   * By a read of the table, not an index: pruned every 10 minutes, it holds only the tokens not
   * expired yet (a service issuing a token a second: ~86,000 a day, and as many at most here
   * with a day's validity).
   */
  async pruneExpiredTokens(now: number, limit: number): Promise<number> {
    const { changes } = await this.db.tx((db) => db.run('DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens WHERE expires_at < ? LIMIT ?)', [now, limit]));
    return changes;
  }

  async revokeUserTokens(userId: string, at: number): Promise<number> {
    return (await this.db.run('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [at, userId])).changes;
  }

  // ---- webhooks
  private async writeEvents(db: Db, w: WebhookRow): Promise<void> {
    await db.run('DELETE FROM webhook_events WHERE webhook_id = ?', [w.id]);
    for (const e of new Set(w.events)) {
      await db.run('INSERT INTO webhook_events (webhook_id, org_id, event_type) VALUES (?, ?, ?)', [w.id, w.orgId, e]);
    }
  }

  async insertWebhook(w: WebhookRow): Promise<void> {
    await this.db.tx(async (db) => {
      await db.run(
        `INSERT INTO webhooks (id, org_id, name, description, url, url_params, events, authentication,
           signature_verification, storage_destination, additional_headers, created_at, modified_at,
           created_by_id, created_by_name, modified_by_id, modified_by_name)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          w.id, w.orgId, w.name, w.description, w.url, json(w.urlParams), JSON.stringify(w.events), json(w.authentication),
          json(w.signatureVerification), json(w.storageDestination), json(w.additionalHeaders), w.createdAt, w.modifiedAt,
          w.createdBy?.id ?? null, w.createdBy?.name ?? null, w.modifiedBy?.id ?? null, w.modifiedBy?.name ?? null,
        ],
      );
      await this.writeEvents(db, w);
    });
  }

  async findWebhook(orgId: number, identifier: string): Promise<WebhookRow | null> {
    const r = await this.db.get<Raw>(
      'SELECT * FROM webhooks WHERE org_id = ? AND (id = ? OR name = ?) ORDER BY (id = ?) DESC LIMIT 1',
      [orgId, identifier, identifier, identifier],
    );
    return r ? toWebhook(r) : null;
  }

  async searchWebhooks(q: WebhookQuery): Promise<{ rows: WebhookRow[]; total: number }> {
    const where = ['w.org_id = ?'];
    const params: unknown[] = [q.orgId];
    if (q.identifier !== undefined) {
      where.push('(w.id = ? OR w.name = ?)');
      params.push(q.identifier, q.identifier);
    }
    if (q.eventType !== undefined) {
      where.push('EXISTS (SELECT 1 FROM webhook_events e WHERE e.webhook_id = w.id AND e.event_type = ?)');
      params.push(q.eventType);
    }
    const cond = where.join(' AND ');
    const total = await this.db.get<Raw>(`SELECT COUNT(*) AS n FROM webhooks w WHERE ${cond}`, params);
    // The id tie-breaker keeps paging stable when sort keys repeat (same millisecond, same name).
    const order = `${SORT_COLUMNS[q.sortField]} ${q.sortOrder}, id ${q.sortOrder}`;
    const rows = await this.db.all<Raw>(`SELECT w.* FROM webhooks w WHERE ${cond} ORDER BY ${order} LIMIT ? OFFSET ?`, [
      ...params,
      q.limit,
      q.offset,
    ]);
    return { rows: rows.map(toWebhook), total: Number(total?.n ?? 0) };
  }

  async updateWebhook(w: WebhookRow, readAt: number): Promise<'updated' | 'changed' | 'missing'> {
    return this.db.tx(async (db) => {
      const res = await db.run(
        `UPDATE webhooks SET name = ?, description = ?, url = ?, url_params = ?, events = ?, authentication = ?,
           signature_verification = ?, storage_destination = ?, additional_headers = ?, modified_at = ?,
           modified_by_id = ?, modified_by_name = ?
         WHERE id = ? AND org_id = ? AND modified_at = ?`,
        [
          w.name, w.description, w.url, json(w.urlParams), JSON.stringify(w.events), json(w.authentication),
          json(w.signatureVerification), json(w.storageDestination), json(w.additionalHeaders), w.modifiedAt,
          w.modifiedBy?.id ?? null, w.modifiedBy?.name ?? null, w.id, w.orgId, readAt,
        ],
      );
      if (res.changes === 0) return (await db.get('SELECT 1 AS found FROM webhooks WHERE id = ? AND org_id = ?', [w.id, w.orgId])) ? 'changed' : 'missing';
      await this.writeEvents(db, w);
      return 'updated';
    });
  }

  async subscribedWebhookIds(orgId: number, eventType: string): Promise<string[]> {
    const rows = await this.db.all<Raw>('SELECT webhook_id FROM webhook_events WHERE org_id = ? AND event_type = ? ORDER BY webhook_id', [orgId, eventType]);
    return rows.map((r) => r.webhook_id as string);
  }

  async deleteWebhook(orgId: number, id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM webhooks WHERE id = ? AND org_id = ?', [id, orgId])).changes > 0;
  }

  // ---- channel preferences
  async getClusterPreferences(): Promise<ChannelPreference[]> {
    return toPrefs(await this.db.all('SELECT * FROM cluster_channel_prefs ORDER BY event_type'));
  }

  async configurePreferences(change: PreferenceChange): Promise<void> {
    await this.db.tx(async (db) => {
      for (const p of change.cluster ?? []) {
        await db.run(
          `INSERT INTO cluster_channel_prefs (event_type, channels) VALUES (?, ?)
           ON CONFLICT (event_type) DO UPDATE SET channels = excluded.channels`,
          [p.eventType, JSON.stringify(p.channels)],
        );
      }
      for (const o of change.orgs) {
        if (o.op === 'RESET') {
          if (o.eventTypes === null) await db.run('DELETE FROM org_channel_prefs WHERE org_id = ?', [o.orgId]);
          else for (const e of o.eventTypes) await db.run('DELETE FROM org_channel_prefs WHERE org_id = ? AND event_type = ?', [o.orgId, e]);
          continue;
        }
        for (const p of o.prefs) {
          await db.run(
            `INSERT INTO org_channel_prefs (org_id, event_type, channels) VALUES (?, ?, ?)
             ON CONFLICT (org_id, event_type) DO UPDATE SET channels = excluded.channels`,
            [o.orgId, p.eventType, JSON.stringify(p.channels)],
          );
        }
      }
    });
  }

  async getOrgPreferences(orgId: number): Promise<ChannelPreference[]> {
    return toPrefs(await this.db.all('SELECT * FROM org_channel_prefs WHERE org_id = ? ORDER BY event_type', [orgId]));
  }
}
