// Labelled form controls that show the server's message for their field right beneath them.
import type { InputHTMLAttributes, ReactNode } from 'react';
import { fieldId } from '../form-model.ts';
import { FieldError } from './common.tsx';

export type Errors = Record<string, string>;

export function describedBy(field: string, errors: Errors, hint?: ReactNode): string | undefined {
  const ids = [hint ? `${fieldId(field)}-hint` : '', errors[field] ? `${fieldId(field)}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

interface TextProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  field: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  errors: Errors;
  hint?: ReactNode;
  optional?: boolean;
}

export function TextField({ field, label, value, onValue, errors, hint, optional, className, ...rest }: TextProps) {
  const id = fieldId(field);
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>
        {label}
        {optional ? <span className="optional"> (optional)</span> : null}
      </label>
      <input
        id={id}
        value={value}
        onChange={(e) => onValue(e.target.value)}
        aria-invalid={errors[field] ? true : undefined}
        aria-describedby={describedBy(field, errors, hint)}
        spellCheck={false}
        {...rest}
      />
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldError id={`${id}-error`} message={errors[field]} />
    </div>
  );
}
