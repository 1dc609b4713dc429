// Privileges and the access rules of the management API. Kept as data so the routes state which
// rule they need instead of re-deriving it.
export const PRIVILEGES = ['ADMINISTRATION', 'DEVELOPER', 'APPLICATION_ADMINISTRATION', 'CAN_MANAGE_WEBHOOKS'] as const;
export type Privilege = (typeof PRIVILEGES)[number];

export const ACCESS = {
  manageWebhooks: ['ADMINISTRATION', 'DEVELOPER', 'CAN_MANAGE_WEBHOOKS'],
  manageChannels: ['ADMINISTRATION', 'APPLICATION_ADMINISTRATION'],
  viewDeliveries: ['ADMINISTRATION', 'DEVELOPER', 'CAN_MANAGE_WEBHOOKS', 'APPLICATION_ADMINISTRATION'],
  administer: ['ADMINISTRATION'],
} as const satisfies Record<string, readonly Privilege[]>;

export type AccessRule = keyof typeof ACCESS;

export function allows(held: readonly string[], rule: AccessRule): boolean {
  return ACCESS[rule].some((p) => held.includes(p));
}

export function isPrivilege(value: unknown): value is Privilege {
  return typeof value === 'string' && (PRIVILEGES as readonly string[]).includes(value);
}
