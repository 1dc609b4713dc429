// WEBHOOK / EMAIL checkboxes for one event type.
import { CHANNELS } from '../types.ts';

interface Props {
  idBase: string;
  legend: string;
  value: string[];
  disabled?: boolean;
  onChange: (channels: string[]) => void;
}

export function ChannelChecks({ idBase, legend, value, disabled, onChange }: Props) {
  return (
    <fieldset className="channel-checks" disabled={disabled}>
      <legend className="visually-hidden">{legend}</legend>
      {CHANNELS.map((c) => (
        <label key={c} className="check inline" htmlFor={`${idBase}-${c}`}>
          <input
            id={`${idBase}-${c}`}
            type="checkbox"
            checked={value.includes(c)}
            onChange={(e) => onChange(e.target.checked ? [...value, c] : value.filter((x) => x !== c))}
          />
          <span>{c === 'WEBHOOK' ? 'Webhook' : 'Email'}</span>
        </label>
      ))}
    </fieldset>
  );
}
