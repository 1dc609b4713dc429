// Custom headers sent with every delivery: rows of name and value.
import { fieldId, newHeaderRow, type FormState, type HeaderRow } from '../form-model.ts';
import { FieldError } from './common.tsx';
import { TextField, type Errors } from './fields.tsx';

interface Props {
  form: FormState;
  errors: Errors;
  onChange: (patch: Partial<FormState>) => void;
}

export const headerPaths = (rows: HeaderRow[]) => rows.flatMap((r) => [`headers.${r.uid}.key`, `headers.${r.uid}.value`]);

export function HeadersField({ form, errors, onChange }: Props) {
  const set = (uid: number, patch: Partial<HeaderRow>) => onChange({ headers: form.headers.map((h) => (h.uid === uid ? { ...h, ...patch } : h)) });
  const add = () => {
    const row = newHeaderRow();
    onChange({ headers: [...form.headers, row] });
    requestAnimationFrame(() => document.getElementById(fieldId(`headers.${row.uid}.key`))?.focus());
  };
  return (
    <fieldset className="group" id={fieldId('additional_headers')} tabIndex={-1}>
      <legend>Custom headers</legend>
      <p className="hint">Added to every request, for example a routing key your gateway expects.</p>
      <FieldError id={`${fieldId('additional_headers')}-error`} message={errors.additional_headers} />
      {form.headers.length === 0 ? <p className="muted">No custom headers.</p> : null}
      <ol className="header-rows">
        {form.headers.map((h, i) => (
          <li key={h.uid} className="header-row">
            <TextField field={`headers.${h.uid}.key`} label={`Header ${i + 1} name`} value={h.key} onValue={(v) => set(h.uid, { key: v })} errors={errors} placeholder="X-Team" autoComplete="off" />
            <TextField field={`headers.${h.uid}.value`} label={`Header ${i + 1} value`} value={h.value} onValue={(v) => set(h.uid, { value: v })} errors={errors} autoComplete="off" />
            <button type="button" className="btn btn-small btn-quiet remove" onClick={() => onChange({ headers: form.headers.filter((x) => x.uid !== h.uid) })}>
              Remove<span className="visually-hidden"> header {i + 1}</span>
            </button>
          </li>
        ))}
      </ol>
      <button type="button" className="btn btn-small" onClick={add}>
        + Add header
      </button>
    </fieldset>
  );
}
