// Authentication of the webhook's requests: a type, and the fields that type needs.
import { AUTH_TYPES, fieldId, MASK, type AuthType, type FormState } from '../form-model.ts';
import { FieldError } from './common.tsx';
import { describedBy, TextField, type Errors } from './fields.tsx';

interface Props {
  form: FormState;
  errors: Errors;
  onChange: (patch: Partial<FormState>) => void;
}

const SPEC: Record<Exclude<AuthType, ''>, { key: string; label: string; secret?: boolean; placeholder?: string; hint?: string }[]> = {
  API_KEY: [
    { key: 'key', label: 'Header name', placeholder: 'X-API-Key' },
    { key: 'value', label: 'API key', secret: true },
  ],
  BASIC_AUTH: [
    { key: 'username', label: 'Username' },
    { key: 'password', label: 'Password', secret: true },
  ],
  BEARER_TOKEN: [{ key: 'token', label: 'Token', secret: true, hint: 'Sent as Authorization: Bearer <token>.' }],
  OAUTH2: [
    { key: 'authorization_url', label: 'Token URL', placeholder: 'https://auth.example.com/oauth/token', hint: 'HookRelay fetches an access token here with the client credentials grant.' },
    { key: 'client_id', label: 'Client ID' },
    { key: 'client_secret', label: 'Client secret', secret: true },
  ],
};

/** The API field path of one auth input: BEARER_TOKEN is a string, the others objects. */
export const authPath = (type: AuthType, key: string) => (type === 'BEARER_TOKEN' ? 'authentication.BEARER_TOKEN' : `authentication.${type}.${key}`);

export function authFieldPaths(type: AuthType): string[] {
  return type ? SPEC[type].map((s) => authPath(type, s.key)) : [];
}

export function AuthFields({ form, errors, onChange }: Props) {
  const type = form.authType;
  const selectId = fieldId('authentication');
  return (
    <fieldset className="group">
      <legend>Authentication</legend>
      <div className="field">
        <label htmlFor={selectId}>Authentication type</label>
        <select
          id={selectId}
          value={type}
          onChange={(e) => onChange({ authType: e.target.value as AuthType, auth: {} })}
          aria-invalid={errors.authentication ? true : undefined}
          aria-describedby={describedBy('authentication', errors, true)}
        >
          {AUTH_TYPES.map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
            </option>
          ))}
        </select>
        <p className="hint" id={`${selectId}-hint`}>
          How your endpoint recognises HookRelay, in addition to the signature.
        </p>
        <FieldError id={`${selectId}-error`} message={errors.authentication} />
      </div>
      {type ? (
        <div className="grid-2">
          {SPEC[type].map((s) => {
            const value = form.auth[s.key] ?? '';
            const kept = s.secret && value === MASK;
            return (
              <TextField
                key={s.key}
                field={authPath(type, s.key)}
                label={s.label}
                type={s.secret ? 'password' : 'text'}
                autoComplete={s.secret ? 'new-password' : 'off'}
                placeholder={s.placeholder}
                value={value}
                onValue={(v) => onChange({ auth: { ...form.auth, [s.key]: v } })}
                errors={errors}
                hint={kept ? 'A value is stored. Leave it as is to keep it, or type a new one.' : s.hint}
              />
            );
          })}
        </div>
      ) : null}
    </fieldset>
  );
}
