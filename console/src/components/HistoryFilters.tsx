// Filters of the delivery history: result and time range (a preset or from/to).
import { useId } from 'react';

export interface Filters {
  status: '' | 'success' | 'failure';
  range: '' | '1h' | '24h' | '7d' | '30d' | 'custom';
  from: string;
  to: string;
}

export const NO_FILTERS: Filters = { status: '', range: '', from: '', to: '' };

const RANGES: Record<string, number> = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };

/** since/until for the API (ISO 8601), from the filters, at the time of the request. */
export function timeBounds(f: Filters): { since?: string; until?: string } {
  if (f.range === 'custom') {
    return { since: f.from ? new Date(f.from).toISOString() : undefined, until: f.to ? new Date(f.to).toISOString() : undefined };
  }
  if (f.range) return { since: new Date(Date.now() - RANGES[f.range]).toISOString() };
  return {};
}

export function HistoryFilters({ value, onChange }: { value: Filters; onChange: (f: Filters) => void }) {
  const id = useId();
  const set = (patch: Partial<Filters>) => onChange({ ...value, ...patch });
  return (
    <div className="filters" role="group" aria-label="Filter attempts">
      <div className="field">
        <label htmlFor={`${id}-status`}>Result</label>
        <select id={`${id}-status`} value={value.status} onChange={(e) => set({ status: e.target.value as Filters['status'] })}>
          <option value="">All results</option>
          <option value="success">Success</option>
          <option value="failure">Failure</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-range`}>Time range</label>
        <select id={`${id}-range`} value={value.range} onChange={(e) => set({ range: e.target.value as Filters['range'] })}>
          <option value="">Any time</option>
          <option value="1h">Last hour</option>
          <option value="24h">Last 24 hours</option>
          <option value="7d">Last 7 days</option>
          <option value="30d">Last 30 days</option>
          <option value="custom">Custom…</option>
        </select>
      </div>
      {value.range === 'custom' && (
        <>
          <div className="field field-wide">
            <label htmlFor={`${id}-from`}>From</label>
            <input id={`${id}-from`} type="datetime-local" value={value.from} onChange={(e) => set({ from: e.target.value })} />
          </div>
          <div className="field field-wide">
            <label htmlFor={`${id}-to`}>To</label>
            <input id={`${id}-to`} type="datetime-local" value={value.to} onChange={(e) => set({ to: e.target.value })} />
          </div>
        </>
      )}
      {(value.status || value.range) && (
        <button type="button" className="btn btn-quiet" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </button>
      )}
    </div>
  );
}
