// The forms of the accounts pages: add an account with its secrets, import a CSV after a preview of every bad
// line, change or move many selected accounts at once, edit one, delete and restore it, and (admins) reveal
// its secrets or TOTP code for a moment. Pages render each form only for roles allowed to use it.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, patch, post } from '../api.ts';
import { accountStates, platforms, type AccountState, type Platform } from '../domain.ts';
import { label } from '../format.ts';
import type { Account, Ok } from '../types.ts';
import { useData } from '../use-data.ts';
import { ErrorNote } from './ui.tsx';

export const useDevices = () => useData(() => get('/devices', { limit: 1000 }).then((r) => r.devices), []);

/** A write in flight: busy while it runs, its error (with the allowed states of a refused change) after. */
function useWrite() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const run = (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    work().then(
      () => setBusy(false),
      (err: unknown) => {
        setBusy(false);
        const allowed =
          err instanceof ApiError && err.allowed ? ` Allowed now: ${err.allowed.map(label).join(', ')}.` : '';
        setError(new Error(`${(err as Error).message}${allowed}`));
      },
    );
  };
  return { busy, error, run };
}

type Niches = { slug: string; name: string }[] | undefined;
type Devices = { id: string; name: string }[] | undefined;

function NicheSelect(props: { niches: Niches; value: string; onChange: (slug: string) => void }) {
  return (
    <label>
      Niche
      <select name="niche" value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">none</option>
        {props.niches?.map((n) => (
          <option key={n.slug} value={n.slug}>
            {n.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function DeviceSelect(props: {
  devices: Devices;
  value: string;
  onChange: (id: string) => void;
  name?: string;
  text?: string;
}) {
  return (
    <label>
      {props.text ?? 'Device'}
      <select
        name={props.name ?? 'device'}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        <option value="">none</option>
        {props.devices?.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
    </label>
  );
}

// All four are secrets (the email too: it signs in to the account), so none is shown on screen as typed.
const secretInputs = [
  ['email', 'Email'],
  ['password', 'Password'],
  ['totp_secret', 'TOTP secret (base32)'],
  ['proxy_credentials', 'Proxy credentials'],
] as const;
type SecretName = (typeof secretInputs)[number][0];

/** A new account. Its secrets go to the server once, sealed there by the vault; nothing shows them again. */
/** Where an account sits and what it says: its niche, its phone and its bio, as adding and editing ask. */
function AccountFields(props: {
  niches: Parameters<typeof NicheSelect>[0]['niches'];
  devices: Parameters<typeof DeviceSelect>[0]['devices'];
  niche: [string, (value: string) => void];
  device: [string, (value: string) => void];
  bio: [string, (value: string) => void];
}) {
  const [bio, setBio] = props.bio;
  return (
    <>
      <div class="form-row">
        <NicheSelect niches={props.niches} value={props.niche[0]} onChange={props.niche[1]} />
        <DeviceSelect devices={props.devices} value={props.device[0]} onChange={props.device[1]} />
      </div>
      <label>
        Bio
        <textarea
          name="bio"
          rows={2}
          maxLength={2000}
          value={bio}
          onInput={(e) => setBio(e.currentTarget.value)}
        />
      </label>
    </>
  );
}

export function AddAccountForm(props: { niches: Niches; devices: Devices; onAdded: (a: Account) => void }) {
  const [platform, setPlatform] = useState<Platform>(platforms[0]);
  const [username, setUsername] = useState('');
  const [niche, setNiche] = useState('');
  const [device, setDevice] = useState('');
  const [bio, setBio] = useState('');
  const [secrets, setSecrets] = useState<Partial<Record<SecretName, string>>>({});
  const write = useWrite();
  const submit = (event: Event) => {
    event.preventDefault();
    const given = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== ''));
    write.run(async () => {
      const account = await post('/accounts', {
        platform,
        username: username.trim(),
        ...(niche ? { niche } : {}),
        ...(device ? { device } : {}),
        ...(bio.trim() ? { bio: bio.trim() } : {}),
        ...(Object.keys(given).length > 0 ? { secrets: given } : {}),
      });
      setUsername('');
      setBio('');
      setSecrets({});
      props.onAdded(account);
    });
  };
  return (
    <form class="stack" onSubmit={submit} aria-label="Add an account" autocomplete="off">
      <div class="form-row">
        <label>
          Platform
          <select
            name="platform"
            value={platform}
            onChange={(e) => setPlatform(e.currentTarget.value as Platform)}
          >
            {platforms.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Username
          <input
            name="username"
            required
            maxLength={30}
            pattern="[A-Za-z0-9_.]{1,30}"
            title="1–30 letters, digits, underscores or periods"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
      </div>
      <AccountFields
        niches={props.niches}
        devices={props.devices}
        niche={[niche, setNiche]}
        device={[device, setDevice]}
        bio={[bio, setBio]}
      />
      <fieldset class="secrets">
        <legend>Secrets (sealed on the server, never shown back)</legend>
        {secretInputs.map(([name, text]) => (
          <label key={name}>
            {text}
            <input
              name={name}
              type="password"
              autocomplete="new-password"
              maxLength={4000}
              value={secrets[name] ?? ''}
              onInput={(e) => setSecrets({ ...secrets, [name]: e.currentTarget.value })}
            />
          </label>
        ))}
      </fieldset>
      <ErrorNote error={write.error} />
      <button type="submit" class="primary" disabled={write.busy || username.trim() === ''}>
        Add account
      </button>
    </form>
  );
}

type Preview = Ok<'/accounts/import-preview', 'post'>;

/**
 * A CSV import in two steps: the server checks every line and the form lists each bad one by number; only a
 * clean file can then be imported, all rows at once (the CLI's importer does both).
 */
export function ImportForm(props: { onImported: (count: number) => void }) {
  const [file, setFile] = useState<{ name: string; text: string } | undefined>();
  const [preview, setPreview] = useState<Preview | undefined>();
  const write = useWrite();
  const choose = (input: HTMLInputElement) => {
    const chosen = input.files?.[0];
    setPreview(undefined);
    setFile(undefined);
    if (!chosen) return;
    write.run(async () => {
      const text = await chosen.text();
      setFile({ name: chosen.name, text });
      setPreview(await post('/accounts/import-preview', { csv: text, source: chosen.name }));
    });
  };
  const commit = () => {
    if (!file) return;
    write.run(async () => {
      const { imported } = await post('/accounts/import', { csv: file.text, source: file.name });
      setFile(undefined);
      setPreview(undefined);
      props.onImported(imported);
    });
  };
  return (
    <form class="stack" onSubmit={(e) => e.preventDefault()} aria-label="Import accounts from CSV">
      <label>
        CSV file (columns: platform, username, niche, device, state, bio, followers, following, email,
        password, totp_secret, proxy_credentials)
        <input type="file" name="csv" accept=".csv,text/csv" onChange={(e) => choose(e.currentTarget)} />
      </label>
      <ErrorNote error={write.error} />
      {file && preview && preview.issues.length > 0 && (
        <div class="import-issues" role="alert">
          <p class="error">
            {preview.issues.length} problem(s) in {file.name}; nothing was imported. Fix these lines and
            choose the file again:
          </p>
          <div class="table-wrap">
            <table class="table" aria-label="Import problems">
              <thead>
                <tr>
                  <th class="num">Line</th>
                  <th>Field</th>
                  <th>Problem</th>
                </tr>
              </thead>
              <tbody>
                {preview.issues.map((issue, i) => (
                  <tr key={i}>
                    <td class="num" data-label="Line">
                      {issue.line ?? '–'}
                    </td>
                    <td data-label="Field">{issue.field ?? '–'}</td>
                    <td data-label="Problem">{issue.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {file && preview && preview.issues.length === 0 && (
        <p>
          {preview.rows} account(s) in {file.name} are ready.{' '}
          <button type="button" class="primary" disabled={write.busy} onClick={commit}>
            Import {preview.rows} account(s)
          </button>
        </p>
      )}
    </form>
  );
}

export type BulkResult = Ok<'/accounts/bulk-state', 'post'> & { what: string };

/** What a bulk change did: how many changed, and each refusal with its reason. */
export function BulkOutcome({ result }: { result: BulkResult }) {
  const refused = result.results.filter((r) => !r.ok);
  return (
    <div class="bulk-outcome" role="status" aria-label="Bulk result">
      <p>
        {result.what}: {result.changed} changed
        {refused.length > 0 ? `, ${refused.length} refused:` : '.'}
      </p>
      {refused.length > 0 && (
        <ul class="refusals">
          {refused.map((r) => (
            <li key={r.id}>
              <strong>{r.account ?? r.id}</strong>: {r.error?.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Changes the selected accounts together: a state (with a reason) or a device. */
export function BulkActions(props: {
  selected: string[];
  devices: Devices;
  onDone: (result: BulkResult) => void;
}) {
  const [state, setState] = useState<AccountState | ''>('');
  const [reason, setReason] = useState('');
  const [device, setDevice] = useState('');
  const write = useWrite();
  const n = props.selected.length;
  const changeState = (event: Event) => {
    event.preventDefault();
    if (!state) return;
    write.run(async () => {
      const result = await post('/accounts/bulk-state', {
        accounts: props.selected,
        state,
        reason: reason.trim(),
      });
      setReason('');
      props.onDone({ ...result, what: `State → ${label(state)}` });
    });
  };
  const move = (event: Event) => {
    event.preventDefault();
    const target = props.devices?.find((d) => d.id === device);
    write.run(async () => {
      const result = await post('/accounts/bulk-move', { accounts: props.selected, device: device || null });
      props.onDone({ ...result, what: `Moved to ${target?.name ?? 'no device'}` });
    });
  };
  return (
    <section class="card bulk" aria-label="Selected accounts">
      <p>
        <strong>{n}</strong> account(s) selected
      </p>
      <form class="form-row" onSubmit={changeState} aria-label="Change state of selected">
        <label>
          New state
          <select
            name="bulk-state"
            required
            value={state}
            onChange={(e) => setState(e.currentTarget.value as AccountState)}
          >
            <option value="" disabled>
              choose…
            </option>
            {accountStates.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          Reason (kept in the event log)
          <input
            name="bulk-reason"
            required
            maxLength={1000}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={write.busy || !state || reason.trim() === ''}>
          Change state
        </button>
      </form>
      <form class="form-row" onSubmit={move} aria-label="Move selected to a device">
        <DeviceSelect
          devices={props.devices}
          value={device}
          onChange={setDevice}
          name="bulk-device"
          text="Move to device"
        />
        <button type="submit" disabled={write.busy}>
          Move
        </button>
      </form>
      <ErrorNote error={write.error} />
    </section>
  );
}

/** Niche, device and bio of one account. */
export function EditAccountForm(props: {
  account: Account;
  niches: Niches;
  devices: Devices;
  onSaved: () => void;
}) {
  const { account } = props;
  const [niche, setNiche] = useState(account.nicheSlug ?? '');
  const [device, setDevice] = useState(account.deviceId ?? '');
  const [bio, setBio] = useState(account.bio ?? '');
  const [saved, setSaved] = useState(false);
  const write = useWrite();
  const submit = (event: Event) => {
    event.preventDefault();
    setSaved(false);
    write.run(async () => {
      await patch(
        '/accounts/{ref}',
        { niche: niche || null, device: device || null, bio: bio.trim() || null },
        { ref: account.id },
      );
      setSaved(true);
      props.onSaved();
    });
  };
  return (
    <form class="stack" onSubmit={submit} aria-label="Edit account">
      <AccountFields
        niches={props.niches}
        devices={props.devices}
        niche={[niche, setNiche]}
        device={[device, setDevice]}
        bio={[bio, setBio]}
      />
      <ErrorNote error={write.error} />
      <p class="form-row">
        <button type="submit" class="primary" disabled={write.busy}>
          Save
        </button>
        {saved && <span class="muted">Saved.</span>}
      </p>
    </form>
  );
}

/** Soft delete (with a reason for the event log), and restore. */
export function DeleteRestore(props: { account: Account; onChanged: () => void }) {
  const { account } = props;
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const write = useWrite();
  if (account.deletedAt) {
    return (
      <div class="form-row">
        <button
          type="button"
          class="primary"
          disabled={write.busy}
          onClick={() =>
            write.run(async () => {
              await post('/accounts/{ref}/restore', {}, { ref: account.id });
              props.onChanged();
            })
          }
        >
          Restore account
        </button>
        <ErrorNote error={write.error} />
      </div>
    );
  }
  if (!confirming) {
    return (
      <button type="button" class="danger" onClick={() => setConfirming(true)}>
        Delete account…
      </button>
    );
  }
  return (
    <form
      class="stack"
      aria-label="Delete account"
      onSubmit={(e) => {
        e.preventDefault();
        write.run(async () => {
          await del('/accounts/{ref}', { ref: account.id, reason: reason.trim() || undefined });
          setConfirming(false);
          props.onChanged();
        });
      }}
    >
      <label>
        Reason (optional, kept in the event log)
        <input
          name="delete-reason"
          maxLength={1000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <ErrorNote error={write.error} />
      <p class="form-row">
        <button type="submit" class="danger" disabled={write.busy}>
          Delete
        </button>
        <button type="button" onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </p>
    </form>
  );
}

/** How long revealed plaintext stays on screen. Leaving the page hides it at once (the state goes with it). */
const REVEAL_MS = 30_000;

type Revealed =
  | { kind: 'secrets'; secrets: Ok<'/accounts/{ref}/reveal', 'post'>['secrets'] }
  | { kind: 'totp'; code: string; secondsLeft: number };

/** Admins only: the account's secrets or current TOTP code, each read audited by the server, shown briefly. */
export function RevealSecrets({ account }: { account: Account }) {
  const [revealed, setRevealed] = useState<Revealed | undefined>();
  const write = useWrite();
  useEffect(() => {
    if (!revealed) return;
    const ms = revealed.kind === 'totp' ? Math.min(REVEAL_MS, revealed.secondsLeft * 1000) : REVEAL_MS;
    const timer = setTimeout(() => setRevealed(undefined), ms);
    return () => clearTimeout(timer);
  }, [revealed]);
  const anySet = Object.values(account.secrets).some((s) => s.set);
  if (!anySet) return <p class="muted">No secrets are stored for this account.</p>;
  return (
    <div class="stack">
      <p class="muted small">
        Each reveal is recorded with who asked. Values hide after 30 s or when you leave.
      </p>
      <p class="form-row">
        <button
          type="button"
          disabled={write.busy}
          onClick={() =>
            write.run(async () => {
              const r = await post('/accounts/{ref}/reveal', {}, { ref: account.id });
              setRevealed({ kind: 'secrets', secrets: r.secrets });
            })
          }
        >
          Reveal secrets
        </button>
        {account.secrets.totp_secret.set && (
          <button
            type="button"
            disabled={write.busy}
            onClick={() =>
              write.run(async () => {
                const r = await post('/accounts/{ref}/totp', {}, { ref: account.id });
                setRevealed({ kind: 'totp', ...r });
              })
            }
          >
            Show TOTP code
          </button>
        )}
        {revealed && (
          <button type="button" class="link" onClick={() => setRevealed(undefined)}>
            Hide
          </button>
        )}
      </p>
      <ErrorNote error={write.error} />
      {revealed?.kind === 'secrets' && (
        <dl class="facts revealed" aria-label="Revealed secrets">
          {Object.entries(revealed.secrets).map(([field, value]) => (
            <div key={field}>
              <dt>{label(field)}</dt>
              <dd class="mono">{value}</dd>
            </div>
          ))}
        </dl>
      )}
      {revealed?.kind === 'totp' && (
        <p class="revealed" aria-label="TOTP code">
          <span class="mono totp">{revealed.code}</span>{' '}
          <span class="muted">valid for {revealed.secondsLeft} s</span>
        </p>
      )}
    </div>
  );
}
