// /api/rest/2.0/system/preferences/communication-channels/*: cluster and org channel preferences
// (seed 002). Everything in a configure request is validated before anything is written, so a bad
// entry late in the request does not leave earlier entries half-applied.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { ChannelPreference } from '../../domain/channels.ts';
import { CHANNELS, PREFERENCE_EVENT_TYPES, type Channel } from '../../domain/events.ts';
import { allows } from '../../domain/privileges.ts';
import type { OrgRow } from '../../store/types.ts';
import { principal, targetOrg } from '../auth.ts';
import { badRequest, forbidden } from '../errors.ts';

const tags = ['Communication channels'];
const EventType = Type.String({ enum: [...PREFERENCE_EVENT_TYPES] as string[] });
const Pref = Type.Object({ event_type: EventType, channels: Type.Array(Type.String({ enum: [...CHANNELS] })) });

interface PrefInput { event_type: string; channels: string[] }

function toPrefs(list: PrefInput[], field: string): ChannelPreference[] {
  const seen = new Set<string>();
  return list.map((p, i) => {
    if (seen.has(p.event_type)) throw badRequest(`${field}[${i}].event_type`, `repeats ${p.event_type}`);
    seen.add(p.event_type);
    return { eventType: p.event_type, channels: [...new Set(p.channels)] as Channel[] };
  });
}

const present = (prefs: ChannelPreference[], only?: readonly string[] | null) =>
  prefs.filter((p) => !only?.length || only.includes(p.eventType)).map((p) => ({ event_type: p.eventType, channels: p.channels }));

export function preferenceRoutes(app: FastifyInstance, ctx: AppContext) {
  const access = 'manageChannels' as const;

  app.post(
    '/api/rest/2.0/system/preferences/communication-channels/configure',
    {
      config: { access },
      schema: {
        tags,
        body: Type.Object({
          cluster_preferences: Type.Optional(Type.Array(Pref)),
          org_preferences: Type.Optional(
            Type.Array(
              Type.Object({
                org_identifier: Type.String(),
                operation: Type.Optional(Type.Union([Type.Null(), Type.String({ enum: ['REPLACE', 'RESET'] })])),
                preferences: Type.Optional(Type.Union([Type.Null(), Type.Array(Pref)])),
                reset_events: Type.Optional(Type.Union([Type.Null(), Type.Array(EventType)])),
              }),
            ),
          ),
        }),
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const body = req.body as {
        cluster_preferences?: PrefInput[];
        org_preferences?: { org_identifier: string; operation?: 'REPLACE' | 'RESET' | null; preferences?: PrefInput[] | null; reset_events?: string[] | null }[];
      };
      if (!body.cluster_preferences && !body.org_preferences) throw badRequest('cluster_preferences', 'or org_preferences is required');
      if (body.cluster_preferences && !allows(p.user.privileges, 'administer')) {
        throw forbidden('cluster_preferences: cluster-level preferences need the ADMINISTRATION privilege');
      }
      const cluster = body.cluster_preferences ? toPrefs(body.cluster_preferences, 'cluster_preferences') : null;
      const plans: { org: OrgRow; op: 'REPLACE' | 'RESET'; prefs: ChannelPreference[]; reset: string[] | null }[] = [];
      for (const [i, o] of (body.org_preferences ?? []).entries()) {
        const f = `org_preferences[${i}]`;
        const org = await targetOrg(ctx, req, o.org_identifier, `${f}.org_identifier`);
        const op = o.operation ?? 'REPLACE';
        if (op === 'REPLACE' && !o.preferences?.length) throw badRequest(`${f}.preferences`, 'is required for operation REPLACE');
        if (op === 'RESET' && o.preferences?.length) throw badRequest(`${f}.preferences`, 'must be empty for operation RESET; use reset_events');
        // It was ignored: a REPLACE replaces every event type's preference it names.
        if (op === 'REPLACE' && o.reset_events?.length) throw badRequest(`${f}.reset_events`, 'is for operation RESET only');
        plans.push({ org, op, prefs: op === 'REPLACE' ? toPrefs(o.preferences!, `${f}.preferences`) : [], reset: o.reset_events?.length ? o.reset_events : null });
      }
      await ctx.store.configurePreferences({
        cluster,
        orgs: plans.map((x) => (x.op === 'REPLACE' ? { orgId: x.org.id, op: 'REPLACE', prefs: x.prefs } : { orgId: x.org.id, op: 'RESET', eventTypes: x.reset })),
      });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/rest/2.0/system/preferences/communication-channels/search',
    {
      config: { access },
      schema: {
        tags,
        body: Type.Optional(
          Type.Object({
            cluster_preferences: Type.Optional(Type.Array(EventType)),
            org_preferences: Type.Optional(Type.Array(Type.Object({ org_identifier: Type.String(), event_types: Type.Optional(Type.Union([Type.Null(), Type.Array(EventType)])) }))),
          }),
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      const body = (req.body ?? {}) as { cluster_preferences?: string[]; org_preferences?: { org_identifier: string; event_types?: string[] | null }[] };
      const wantCluster = body.cluster_preferences !== undefined || body.org_preferences === undefined;
      const cluster = wantCluster ? present(await ctx.store.getClusterPreferences(), body.cluster_preferences) : [];
      const targets: { org: OrgRow; only: string[] | null }[] = [];
      if (body.org_preferences?.length) {
        for (const [i, o] of body.org_preferences.entries()) {
          targets.push({ org: await targetOrg(ctx, req, o.org_identifier, `org_preferences[${i}].org_identifier`), only: o.event_types ?? null });
        }
      } else {
        // Without org criteria: every org for administrators (as seed 002's example), else the caller's.
        const orgs = allows(p.user.privileges, 'administer') ? await ctx.store.listOrgs() : [p.org];
        orgs.forEach((org) => targets.push({ org, only: null }));
      }
      const orgPrefs = [];
      for (const t of targets) {
        orgPrefs.push({ org: { id: String(t.org.id), name: t.org.name }, preferences: present(await ctx.store.getOrgPreferences(t.org.id), t.only) });
      }
      return { cluster_preferences: cluster, org_preferences: orgPrefs };
    },
  );
}
