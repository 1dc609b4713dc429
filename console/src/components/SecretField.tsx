// The optional signing secret. Generate makes a `whsec_` secret and shows it once, here, to copy;
// after saving, the service only ever returns it masked.
import { useState } from 'react';
import { DEFAULT_SIGNATURE_HEADER, fieldId, generateSecret, MASK, type FormState } from '../form-model.ts';
import { TextField, type Errors } from './fields.tsx';

interface Props {
  form: FormState;
  errors: Errors;
  onChange: (patch: Partial<FormState>) => void;
}

export function SecretField({ form, errors, onChange }: Props) {
  const [shown, setShown] = useState<string | null>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const stored = form.secret === MASK;
  const visible = shown !== null && shown === form.secret;

  const generate = () => {
    const s = generateSecret();
    setShown(s);
    setCopied(null);
    onChange({ secret: s, signatureHeader: form.signatureHeader || DEFAULT_SIGNATURE_HEADER });
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(form.secret);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };

  return (
    <fieldset className="group">
      <legend>Signature verification</legend>
      <p className="hint">
        With a secret, every request carries <code>{form.signatureHeader || DEFAULT_SIGNATURE_HEADER}: sha256=…</code> (HMAC-SHA256 of the body) and the Standard Webhooks headers, so your service can check that it came from HookRelay.
      </p>
      {stored ? (
        <div className="stored-secret" id={fieldId('signature_verification.secret')} tabIndex={-1}>
          <p>A signing secret is stored. It is never shown again.</p>
          <div className="actions">
            <button type="button" className="btn btn-small" onClick={generate}>
              Generate new secret
            </button>
            <button type="button" className="btn btn-small btn-danger-outline" onClick={() => onChange({ secret: '' })}>
              Remove secret
            </button>
          </div>
        </div>
      ) : (
        <div className="secret-row">
          <TextField
            field="signature_verification.secret"
            label="Secret"
            optional
            type="password"
            autoComplete="new-password"
            value={form.secret}
            onValue={(v) => onChange({ secret: v })}
            errors={errors}
            className="grow"
          />
          <button type="button" className="btn generate" onClick={generate}>
            Generate
          </button>
        </div>
      )}
      {visible ? (
        <div className="secret-once" role="status">
          <p>
            <strong>Copy this secret now.</strong> It is shown only this once; after you save, the console keeps it hidden.
          </p>
          <div className="secret-copy">
            <code className="secret-value" data-testid="generated-secret">
              {shown}
            </code>
            <button type="button" className="btn btn-small" onClick={() => void copy()}>
              Copy
            </button>
          </div>
          {copied === 'yes' && <p className="ok-text">Copied to the clipboard.</p>}
          {copied === 'no' && <p className="error-text">The browser did not allow copying; select the secret and copy it by hand.</p>}
        </div>
      ) : null}
      {form.secret !== '' ? (
        <TextField
          field="signature_verification.header"
          label="Signature header"
          value={form.signatureHeader}
          onValue={(v) => onChange({ signatureHeader: v })}
          errors={errors}
          autoComplete="off"
        />
      ) : null}
    </fieldset>
  );
}
