// One rule for the updates that read a record, change it and write it back (webhooks, users): the
// write goes through only if the record is still as read; when another write came first, the
// record is read again and the change applied again, up to ATTEMPTS times, then a CONFLICT. Two
// updates of different fields at once both take effect (the second wrote back the record it had
// read, undoing the first: a rotated API key came back; API fuzzing, 2026-12-07).
import { ApiError, notFound } from './errors.ts';

/** Reads of a record an update makes at most while other writes keep changing it. */
export const ATTEMPTS = 5;

/** What the record is called in the answers: "webhook" "hooks-1" at field webhook_identifier. */
export interface RecordName {
  kind: string;
  identifier: string;
  field: string;
}

/**
 * Reads the record (`first` stands for the first read when the caller has it already), then
 * writes it through `write`, which answers whether the record was still as read; throws a 404 in
 * the API's shape when it is gone, and a CONFLICT (409; 400 to the SDK, see sdkStatus) when it
 * kept changing.
 */
export async function writeIfUnchanged<R>(
  name: RecordName,
  read: () => Promise<R | null>,
  write: (current: R) => Promise<'updated' | 'changed' | 'missing'>,
  first?: R,
): Promise<void> {
  let current = first ?? (await read());
  for (let attempt = 1; ; attempt++) {
    if (!current) throw notFound(name.kind, name.identifier, name.field);
    const outcome = await write(current);
    if (outcome === 'updated') return;
    if (outcome === 'missing') throw notFound(name.kind, name.identifier, name.field);
    if (attempt === ATTEMPTS) {
      throw new ApiError(409, 'CONFLICT', `${name.field}: ${name.kind} "${name.identifier}" changed ${ATTEMPTS} times while this update was applied; send it again`, name.field);
    }
    current = await read();
  }
}
