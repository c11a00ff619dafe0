// Form pieces the write pages share: a labelled field and select that show the server's error next to the
// field it names (ApiError.field), a submit button that says it is busy, the form's other errors, and a
// confirm step before anything destructive. Pages read values with FormData: inputs stay uncontrolled.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

/** A write in flight and its outcome: `run` starts it, and the error stays until the next one. */
export interface Submission {
  busy: boolean;
  error: Error | undefined;
  run: (write: () => Promise<unknown>, done?: () => void) => void;
  clear: () => void;
}

export function useSubmission(): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  return {
    busy,
    error,
    clear: () => setError(undefined),
    run: (write, done) => {
      setBusy(true);
      setError(undefined);
      write().then(
        () => {
          setBusy(false);
          done?.();
        },
        (err: unknown) => {
          setBusy(false);
          setError(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
  };
}

/**
 * The message of an error about this field, if it is one. The server names a field as the service does
 * ("wdaPort") or, for a body its schema refused, by its place in the request ("body.wdaPort").
 */
export function fieldError(error: Error | undefined, ...names: string[]): string | undefined {
  if (!(error instanceof ApiError) || error.field === undefined) return undefined;
  return names.includes(error.field.replace(/^body\./, '')) ? error.message : undefined;
}

/** A form's text values by name: empty ones left out, trimmed. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string' && value.trim() !== '') values[name] = value.trim();
  }
  return values;
}

/** What a field's input may be given beside its name. */
interface InputProps {
  type?: 'text' | 'number';
  defaultValue?: string;
  placeholder?: string;
  required?: boolean;
  inputMode?: 'text' | 'numeric' | 'decimal';
  step?: string;
  min?: string;
  max?: string;
}

/**
 * A labelled input; `error` is the submission's, shown here when it names this field (or `also`). Give the
 * first value as defaultValue: a refresh of the page's data then leaves what was typed alone.
 */
export function Field(
  props: InputProps & { label: string; name: string; error?: Error; also?: string[]; hint?: string },
) {
  const { label, name, error, also = [], hint, type, ...input } = props;
  const message = fieldError(error, name, ...also);
  const id = `field-${name}`;
  const attributes = {
    ...input,
    name,
    'aria-invalid': message ? true : undefined,
    'aria-describedby': message ? `${id}-error` : undefined,
  };
  return (
    <label class="field">
      {label}
      {type === 'number' ? <input type="number" {...attributes} /> : <input type="text" {...attributes} />}
      {hint && !message && <span class="muted small">{hint}</span>}
      {message && (
        <span class="error field-error" id={`${id}-error`} role="alert">
          {message}
        </span>
      )}
    </label>
  );
}

/** A labelled select over [value, text] options; `value` is the one chosen at first. */
export function SelectField(props: {
  label: string;
  name: string;
  options: readonly (readonly [string, string])[];
  value?: string;
  error?: Error;
  also?: string[];
}) {
  const { label, name, options, value, error, also = [] } = props;
  const message = fieldError(error, name, ...also);
  return (
    <label class="field">
      {label}
      <select name={name} aria-invalid={message ? true : undefined}>
        {options.map(([v, text]) => (
          // Selected as the form opened: a refresh of the page's data does not undo a choice.
          <option key={v} value={v} selected={v === value}>
            {text}
          </option>
        ))}
      </select>
      {message && (
        <span class="error field-error" role="alert">
          {message}
        </span>
      )}
    </label>
  );
}

export function Submit({ busy, children }: { busy: boolean; children: ComponentChildren }) {
  return (
    <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
      {busy ? 'Working…' : children}
    </button>
  );
}

/** A form's last row: its submit button (showing the submission in flight) and, with onCancel, Cancel. */
export function FormActions(props: { busy: boolean; submit: ComponentChildren; onCancel?: () => void }) {
  return (
    <div class="actions">
      <Submit busy={props.busy}>{props.submit}</Submit>
      {props.onCancel && (
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}

/** A button that opens (or closes) a row's inline form; aria-expanded says which. */
export function FormToggle(props: { label: string; open: boolean; onToggle: () => void }) {
  return (
    <button type="button" aria-expanded={props.open} onClick={props.onToggle}>
      {props.label}
    </button>
  );
}

/** The table row under a row that holds its inline form, across the table's `columns` columns. */
export function FormRow({ columns, children }: { columns: number; children: ComponentChildren }) {
  return (
    <tr>
      <td colSpan={columns}>{children}</td>
    </tr>
  );
}

/** The submission's error when no field of this form shows it (`fields`: the form's field names). */
export function FormError({ error, fields }: { error: Error | undefined; fields: string[] }) {
  if (!error || fieldError(error, ...fields)) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

/**
 * A button for a destructive action that asks first: the first click shows what will happen (`warning`)
 * with Confirm and Cancel; only Confirm acts.
 */
export function ConfirmButton(props: {
  label: string;
  warning: ComponentChildren;
  confirmLabel?: string;
  busy?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={props.busy} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <div class="confirm" role="group" aria-label={`Confirm: ${props.label}`}>
      <span>{props.warning}</span>
      <button
        type="button"
        class="danger primary"
        disabled={props.busy}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel ?? props.label}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </div>
  );
}
