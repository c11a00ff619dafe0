// Tokens and my account: everyone signed in lists, creates (the secret shown once) and revokes their own API
// tokens and changes their own password; admins (tokens.manage) also see every user's tokens and may revoke
// any. A read-only token's session writes nothing, so it gets none of the controls.
import { useState } from 'preact/hooks';
import { del, get, post } from '../api.ts';
import {
  ConfirmButton,
  Field,
  FormError,
  SelectField,
  FormActions,
  Submit,
  formValues,
  useSubmission,
} from '../components/forms.tsx';
import {
  NewPassword,
  PasswordField,
  SecretReveal,
  passwordOf,
  rawValue,
} from '../components/people-forms.tsx';
import { Badge, Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { roles, type Role } from '../domain.ts';
import { dateTime, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import type { Ok, Session } from '../types.ts';
import { useData } from '../use-data.ts';

type Token = Ok<'/tokens'>['tokens'][number];

const expiries = [
  ['', 'Never'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
] as const;

/** Whether this session may write on its own behalf: a person, not a read-only (viewer) token. */
const actsForItself = (session: Session): boolean =>
  session.user !== null && (session.token === null || session.token.role !== 'viewer');

function tokenState(t: Token, now = Date.now()): { value: string; tone: 'good' | 'neutral' | 'warn' } {
  if (t.revokedAt) return { value: 'revoked', tone: 'neutral' };
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return { value: 'expired', tone: 'warn' };
  return { value: 'active', tone: 'good' };
}

function CreateToken(props: {
  role: Role;
  onCreated: (created: { name: string; secret: string }) => void;
  onCancel: () => void;
}) {
  const submission = useSubmission();
  const { error } = submission;
  // A token may be given at most its user's role: the roles up to mine.
  const allowed = roles.slice(0, roles.indexOf(props.role) + 1);
  const submit = (e: Event) => {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    const body = {
      name: v.name ?? '',
      role: (v.role ?? props.role) as Role,
      ...(v.expiresIn ? { expiresIn: v.expiresIn } : {}),
    };
    submission.run(async () => {
      const created = await post('/tokens', body);
      props.onCreated({ name: created.name, secret: created.secret });
    });
  };
  return (
    <form class="form-grid" aria-label="Create token" onSubmit={submit} noValidate>
      <Field label="Name" name="name" required error={error} hint="e.g. laptop-cli; unique among yours" />
      <SelectField
        label="Role"
        name="role"
        options={allowed.map((r) => [r, r] as const)}
        value={props.role}
        error={error}
      />
      <SelectField label="Expires" name="expiresIn" options={expiries} value="" error={error} />
      <FormError error={error} fields={['name', 'role', 'expiresIn']} />
      <FormActions busy={submission.busy} submit="Create token" onCancel={props.onCancel} />
    </form>
  );
}

function RevokeButton({ token, onDone }: { token: Token; onDone: () => void }) {
  const submission = useSubmission();
  const owner = token.user ? ` of ${token.user.name}` : '';
  return (
    <>
      <ConfirmButton
        label="Revoke"
        warning={`Revoke “${token.name}”${owner}? Anything using it is refused from its next request.`}
        busy={submission.busy}
        onConfirm={() => submission.run(() => del('/tokens/{ref}', { ref: token.id }), onDone)}
      />
      <ErrorNote error={submission.error} />
    </>
  );
}

function TokenTable(props: {
  label: string;
  tokens: Token[];
  withUser: boolean;
  canRevoke: boolean;
  onChange: () => void;
}) {
  const { tokens, withUser, canRevoke } = props;
  return (
    <div class="table-wrap">
      <table class="table" aria-label={props.label}>
        <thead>
          <tr>
            <th>Token</th>
            {withUser && <th>User</th>}
            <th>Role</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th>State</th>
            {canRevoke && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => {
            const state = tokenState(t);
            return (
              <tr key={t.id} class={state.value === 'active' ? '' : 'inactive'}>
                <td class="mono">{t.name}</td>
                {withUser && <td data-label="User">{t.user?.name ?? '–'}</td>}
                <td data-label="Role">{t.role}</td>
                <td data-label="Created" title={dateTime(t.createdAt)}>
                  {timeAgo(t.createdAt)}
                </td>
                <td data-label="Last used" title={dateTime(t.lastUsedAt)}>
                  {t.lastUsedAt ? timeAgo(t.lastUsedAt) : 'never'}
                </td>
                <td data-label="Expires">{t.expiresAt ? dateTime(t.expiresAt) : 'never'}</td>
                <td data-label="State">
                  <Badge value={state.value} tone={state.tone} />
                </td>
                {canRevoke && (
                  <td data-label="Actions">
                    {state.value === 'revoked' ? null : <RevokeButton token={t} onDone={props.onChange} />}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Change one's own password: the current one, and the new one twice. Other sessions end; this one stays. */
function ChangePassword() {
  const submission = useSubmission();
  const [done, setDone] = useState(false);
  const [mismatch, setMismatch] = useState<Error | undefined>();
  const error = mismatch ?? submission.error;
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const current = rawValue(form, 'current');
    const next = passwordOf(form, 'new');
    setDone(false);
    if ('error' in next) {
      setMismatch(next.error);
      return;
    }
    setMismatch(undefined);
    submission.run(
      () => post('/session/password', { current, new: next.password }),
      () => {
        form.reset();
        setDone(true);
      },
    );
  };
  return (
    <section class="card" aria-label="My password">
      <h2>My password</h2>
      <form class="form-grid" aria-label="Change my password" onSubmit={submit} noValidate>
        <PasswordField
          label="Current password"
          name="current"
          autocomplete="current-password"
          error={error}
        />
        <NewPassword label="New password" name="new" error={error} />
        <FormError error={error} fields={['current', 'new', 'newAgain']} />
        {done && (
          <p class="muted wide" role="status">
            Password changed. Your other sessions have ended; this one stays signed in.
          </p>
        )}
        <div class="actions">
          <Submit busy={submission.busy}>Change password</Submit>
        </div>
      </form>
    </section>
  );
}

export function Tokens() {
  const canManageAll = useCan('tokens.manage');
  const canSelf = useCan('self.manage');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [everyone, setEveryone] = useState(false);
  const session = useData(() => get('/session'), []);
  const mine = useData(() => get('/tokens').then((r) => r.tokens), []);
  const all = useData(
    () =>
      everyone && canManageAll
        ? get('/tokens', { all: 'true' }).then((r) => r.tokens)
        : Promise.resolve(null),
    [everyone, canManageAll],
  );
  const reload = () => {
    mine.reload();
    all.reload();
  };
  const self = session.data && canSelf && actsForItself(session.data) ? session.data : null;

  return (
    <div class="page">
      <div class="page-head">
        <h1>Tokens</h1>
        {self && !creating && !created && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            New token
          </button>
        )}
      </div>
      <p class="muted">
        API tokens let scripts and the CLI act as you, with at most your role. Revoking one stops it at once.
      </p>
      {created && (
        <SecretReveal name={created.name} secret={created.secret} onDone={() => setCreated(null)} />
      )}
      {self && creating && (
        <section class="card" aria-label="Create a token">
          <h2>New token</h2>
          <CreateToken
            role={self.role}
            onCancel={() => setCreating(false)}
            onCreated={(c) => {
              setCreating(false);
              setCreated(c);
              reload();
            }}
          />
        </section>
      )}
      {canManageAll && (
        <div class="actions" role="group" aria-label="Whose tokens">
          <button type="button" aria-pressed={!everyone} onClick={() => setEveryone(false)}>
            My tokens
          </button>
          <button type="button" aria-pressed={everyone} onClick={() => setEveryone(true)}>
            All users’ tokens
          </button>
        </div>
      )}
      {everyone && canManageAll ? (
        <>
          <h2>All users’ tokens</h2>
          <ErrorNote error={all.error} />
          <Loading when={all.loading && !all.data} />
          {all.data && all.data.length === 0 && <Empty>No tokens at all.</Empty>}
          {all.data && all.data.length > 0 && (
            <TokenTable
              label="All users' tokens"
              tokens={all.data}
              withUser
              canRevoke={session.data !== undefined && actsForItself(session.data)}
              onChange={reload}
            />
          )}
        </>
      ) : (
        <>
          <h2>My tokens</h2>
          <ErrorNote error={mine.error} />
          <Loading when={mine.loading && !mine.data} />
          {mine.data && mine.data.length === 0 && <Empty>You have no live tokens.</Empty>}
          {mine.data && mine.data.length > 0 && (
            <TokenTable
              label="My tokens"
              tokens={mine.data}
              withUser={false}
              canRevoke={self !== null}
              onChange={reload}
            />
          )}
        </>
      )}
      {session.data?.user && session.data.token === null && <ChangePassword />}
    </div>
  );
}
