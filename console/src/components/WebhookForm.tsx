// Register Webhook and Edit Webhook. The service validates; its message is shown beside the field
// it names, and focus moves there.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, post } from '../api.ts';
import { setFlash } from '../flash.ts';
import { emptyForm, fieldId, fromWebhook, placeError, problemOf, toBody, type FormState } from '../form-model.ts';
import { useLoad } from '../hooks.ts';
import { Link, navigate, paths } from '../router.tsx';
import { EVENT_TYPES, type Webhook } from '../types.ts';
import { AuthFields, authFieldPaths } from './AuthFields.tsx';
import { ErrorBanner, FieldError, Loading } from './common.tsx';
import { TextField, type Errors } from './fields.tsx';
import { HeadersField, headerPaths } from './HeadersField.tsx';
import { SecretField } from './SecretField.tsx';

export function WebhookForm({ id }: { id?: string }) {
  const existing = useLoad(
    async () => (id ? (await post<{ webhooks: Webhook[] }>('/api/rest/2.0/webhooks/search', { webhook_identifier: id })).webhooks[0] ?? null : null),
    [id],
  );
  const [form, setForm] = useState<FormState | null>(id ? null : emptyForm());
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (existing.data) setForm(fromWebhook(existing.data));
  }, [existing.data]);

  const title = id ? 'Edit Webhook' : 'Register Webhook';
  const head = (
    <div className="page-head">
      <div>
        <p className="crumbs">
          <Link to={paths.webhooks}>Manage Webhooks</Link> <span aria-hidden="true">›</span>
        </p>
        <h1 id="page-title">{id && existing.data ? `Edit “${existing.data.name}”` : title}</h1>
      </div>
    </div>
  );
  if (id && existing.loading && !existing.data) return <section>{head}<Loading label="Loading the webhook…" /></section>;
  if (id && existing.error) return <section>{head}<ErrorBanner error={existing.error} onRetry={() => void existing.reload()} /></section>;
  if (id && existing.data === null) return <section>{head}<ErrorBanner error={new Error(`Webhook "${id}" was not found in this org.`)} /></section>;
  if (!form) return null;

  const change = (patch: Partial<FormState>) => setForm((f) => ({ ...f!, ...patch }));
  const toggleEvent = (e: string, on: boolean) => change({ events: on ? [...form.events, e] : form.events.filter((x) => x !== e) });

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setSaving(true);
    setErrors({});
    setFormError(null);
    const { body, headerRows } = toBody(form);
    try {
      if (id) {
        await post(`/api/rest/2.0/webhooks/${encodeURIComponent(id)}/update`, body);
        setFlash(`Saved webhook “${form.name}”.`);
      } else {
        await post('/api/rest/2.0/webhooks/create', body);
        setFlash(`Registered webhook “${form.name}”. Press Test to send it a test event.`);
      }
      navigate(paths.webhooks);
    } catch (err) {
      setSaving(false);
      const known = new Set(['name', 'description', 'url', 'events', 'authentication', 'signature_verification.secret', 'signature_verification.header', 'additional_headers', ...authFieldPaths(form.authType), ...headerPaths(form.headers)]);
      if (form.secret === '') known.delete('signature_verification.header');
      const e = err as ApiError;
      const at = err instanceof ApiError ? placeError(e.field, known, headerRows) : null;
      if (at) {
        setErrors({ [at]: problemOf(e.message, e.field) });
        requestAnimationFrame(() => {
          const el = document.getElementById(fieldId(at));
          (el?.matches('fieldset') ? el.querySelector<HTMLElement>('input, select, button') ?? el : el)?.focus();
        });
      } else {
        setFormError(err);
        requestAnimationFrame(() => document.getElementById('form-error')?.scrollIntoView({ block: 'center' }));
      }
    }
  };

  return (
    <section aria-labelledby="page-title">
      {head}
      <form className="card form" onSubmit={submit} noValidate>
        <div id="form-error">
          <ErrorBanner error={formError} />
        </div>
        <fieldset className="group">
          <legend>Endpoint</legend>
          <TextField field="name" label="Name" value={form.name} onValue={(v) => change({ name: v })} errors={errors} autoComplete="off" hint="Unique in this org, e.g. “alerts-to-pager”." />
          <TextField
            field="url"
            label="URL"
            type="url"
            inputMode="url"
            placeholder="https://example.com/webhooks/hookrelay"
            value={form.url}
            onValue={(v) => change({ url: v })}
            errors={errors}
            autoComplete="off"
            hint="Where notifications are sent, as an HTTP POST with a JSON body."
          />
          <TextField field="description" label="Description" optional value={form.description} onValue={(v) => change({ description: v })} errors={errors} autoComplete="off" />
        </fieldset>
        <fieldset className="group" id={fieldId('events')} tabIndex={-1} aria-describedby={errors.events ? `${fieldId('events')}-error` : undefined}>
          <legend>Events</legend>
          <FieldError id={`${fieldId('events')}-error`} message={errors.events} />
          <ul className="checks">
            {EVENT_TYPES.map((e) => (
              <li key={e.id}>
                <label className="check">
                  <input type="checkbox" name="events" value={e.id} checked={form.events.includes(e.id)} onChange={(ev) => toggleEvent(e.id, ev.target.checked)} />
                  <span>
                    <code>{e.id}</code>
                    <span className="muted block">{e.when}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        <SecretField form={form} errors={errors} onChange={change} />
        <AuthFields form={form} errors={errors} onChange={change} />
        <HeadersField form={form} errors={errors} onChange={change} />
        <div className="form-actions">
          <Link to={paths.webhooks} className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={saving}>
            {saving ? 'Saving…' : id ? 'Save changes' : 'Create'}
          </button>
        </div>
      </form>
    </section>
  );
}
