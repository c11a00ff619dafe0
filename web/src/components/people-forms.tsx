// Form pieces of the Users and Tokens pages: a password typed twice (the two must match before anything is
// sent; the server holds the length rule and its error shows here), the niches a user is limited to, and the
// one-time reveal of a new token's secret.
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import type { Niche } from '../types.ts';
import { fieldError } from './forms.tsx';

/**
 * A password and its repetition. `name` is the field the server names in its errors ("password", "new");
 * the repetition is `${name}Again`, which only this page checks.
 */
export function NewPassword(props: { name: string; label: string; error?: Error }) {
  const { name, label, error } = props;
  return (
    <>
      <PasswordField name={name} label={label} error={error} hint="at least 12 characters" />
      <PasswordField name={`${name}Again`} label={`${label} again`} error={error} />
    </>
  );
}

export function PasswordField(props: {
  name: string;
  label: string;
  error?: Error;
  hint?: string;
  autocomplete?: string;
}) {
  const message = fieldError(props.error, props.name);
  const id = `field-${props.name}`;
  return (
    <label class="field">
      {props.label}
      <input
        type="password"
        name={props.name}
        autocomplete={props.autocomplete ?? 'new-password'}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? `${id}-error` : undefined}
      />
      {props.hint && !message && <span class="muted small">{props.hint}</span>}
      {message && (
        <span class="error field-error" id={`${id}-error`} role="alert">
          {message}
        </span>
      )}
    </label>
  );
}

/** A field's value as typed, untrimmed: a password's spaces are part of it. */
export function rawValue(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === 'string' ? value : '';
}

/**
 * The password a NewPassword field holds, or an error on its repetition when the two differ. Read raw (not
 * trimmed): a password's spaces are part of it.
 */
export function passwordOf(form: HTMLFormElement, name: string): { password: string } | { error: ApiError } {
  const password = rawValue(form, name);
  if (password !== rawValue(form, `${name}Again`)) {
    return {
      error: new ApiError(
        400,
        'invalid',
        'the two passwords differ: type the same one twice',
        `${name}Again`,
      ),
    };
  }
  return { password };
}

/** Checkboxes over the niches, by slug; none ticked means every niche. */
export function NicheChoice(props: { niches: readonly Niche[]; chosen?: readonly string[]; error?: Error }) {
  const message = fieldError(props.error, 'niches');
  return (
    <fieldset class="field wide niche-choice">
      <legend>Niches (none ticked: every niche)</legend>
      <div class="checks">
        {props.niches.map((n) => (
          <label key={n.id} class="check">
            <input
              type="checkbox"
              name="niches"
              value={n.slug}
              defaultChecked={props.chosen?.includes(n.slug) ?? false}
            />
            {n.name}
          </label>
        ))}
        {props.niches.length === 0 && <span class="muted small">No niches yet.</span>}
      </div>
      {message && (
        <span class="error field-error" role="alert">
          {message}
        </span>
      )}
    </fieldset>
  );
}

/** The slugs a NicheChoice has ticked. */
export const nichesOf = (form: HTMLFormElement): string[] =>
  new FormData(form).getAll('niches').filter((v): v is string => typeof v === 'string');

/**
 * A new token's secret, shown once: copy it now. Closing it forgets it; nothing can show it again.
 */
export function SecretReveal(props: { name: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'no' | undefined>();
  const copy = (e: Event) => {
    const input = (e.currentTarget as HTMLElement).parentElement?.querySelector('input');
    input?.select();
    navigator.clipboard.writeText(props.secret).then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };
  return (
    <section class="card secret-reveal" aria-label="New token secret" role="status">
      <h2>Token “{props.name}” created</h2>
      <p class="warning">
        Copy the secret now: it will not be shown again. Anyone who has it acts as you (within the token’s
        role).
      </p>
      <div class="secret-row">
        <input
          class="mono"
          readOnly
          value={props.secret}
          aria-label="Token secret"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      {copied === 'yes' && <p class="muted small">Copied to the clipboard.</p>}
      {copied === 'no' && (
        <p class="muted small">The browser refused the clipboard: the secret is selected, copy it by hand.</p>
      )}
      <div class="actions">
        <button type="button" class="primary" onClick={props.onDone}>
          I have copied it
        </button>
      </div>
    </section>
  );
}
