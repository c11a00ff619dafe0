// Users, for admins (users.manage): list, add (name, role, niches, a password typed twice), change name, role
// and niches, disable and enable (disabling ends their sessions, tokens and streams at once), and reset a
// password. Others get a line saying whose page this is and no controls.
import { useState } from 'preact/hooks';
import { get, patch, post } from '../api.ts';
import {
  ConfirmButton,
  Field,
  FormError,
  SelectField,
  FormActions,
  formValues,
  useSubmission,
  FormRow,
  FormToggle,
} from '../components/forms.tsx';
import { NewPassword, NicheChoice, nichesOf, passwordOf } from '../components/people-forms.tsx';
import { Badge, Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { roles, type Role } from '../domain.ts';
import { dateTime, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import type { Niche, Ok } from '../types.ts';
import { useData } from '../use-data.ts';

type User = Ok<'/users'>['users'][number];

/** Disable and enable take no body: the API types say `never`, and nothing is sent. */
const noBody = undefined as never;

const roleOptions = roles.map((r) => [r, r] as const);

/** Add a user: name, role, niches, and a first password typed twice. */
function AddUser(props: { niches: readonly Niche[]; onDone: () => void; onCancel: () => void }) {
  const submission = useSubmission();
  const [mismatch, setMismatch] = useState<Error | undefined>();
  const error = mismatch ?? submission.error;
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const chosen = passwordOf(form, 'password');
    if ('error' in chosen) {
      setMismatch(chosen.error);
      return;
    }
    setMismatch(undefined);
    const niches = nichesOf(form);
    const body = {
      name: v.name ?? '',
      role: (v.role ?? 'viewer') as Role,
      password: chosen.password,
      ...(niches.length > 0 ? { niches } : {}),
    };
    submission.run(() => post('/users', body), props.onDone);
  };
  return (
    <form class="form-grid" aria-label="Add user" onSubmit={submit} noValidate>
      <Field label="Name" name="name" required error={error} hint="what they sign in with" />
      <SelectField label="Role" name="role" options={roleOptions} value="viewer" error={error} />
      <NewPassword label="Password" name="password" error={error} />
      <NicheChoice niches={props.niches} error={error} />
      <FormError error={error} fields={['name', 'role', 'password', 'passwordAgain', 'niches']} />
      <FormActions busy={submission.busy} submit="Add user" onCancel={props.onCancel} />
    </form>
  );
}

/** Change a user's name, role and niches. */
function EditUser(props: { user: User; niches: readonly Niche[]; onDone: () => void; onCancel: () => void }) {
  const { user } = props;
  const submission = useSubmission();
  const { error } = submission;
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const niches = nichesOf(form);
    const body = {
      name: v.name ?? '',
      role: (v.role ?? user.role) as Role,
      niches: niches.length > 0 ? niches : null,
    };
    submission.run(() => patch('/users/{ref}', body, { ref: user.id }), props.onDone);
  };
  return (
    <form class="form-grid" aria-label={`Edit ${user.name}`} onSubmit={submit} noValidate>
      <Field label="Name" name="name" defaultValue={user.name} required error={error} />
      <SelectField label="Role" name="role" options={roleOptions} value={user.role} error={error} />
      <NicheChoice niches={props.niches} chosen={user.niches?.map((n) => n.slug) ?? []} error={error} />
      <FormError error={error} fields={['name', 'role', 'niches']} />
      <FormActions busy={submission.busy} submit="Save" onCancel={props.onCancel} />
    </form>
  );
}

/** Set a new password for a user (they forgot theirs): their sessions end. */
function ResetPassword(props: { user: User; onDone: () => void; onCancel: () => void }) {
  const submission = useSubmission();
  const [mismatch, setMismatch] = useState<Error | undefined>();
  const error = mismatch ?? submission.error;
  const submit = (e: Event) => {
    e.preventDefault();
    const chosen = passwordOf(e.currentTarget as HTMLFormElement, 'password');
    if ('error' in chosen) {
      setMismatch(chosen.error);
      return;
    }
    setMismatch(undefined);
    submission.run(
      () => post('/users/{ref}/password', { password: chosen.password }, { ref: props.user.id }),
      props.onDone,
    );
  };
  return (
    <form
      class="form-grid"
      aria-label={`Reset the password of ${props.user.name}`}
      onSubmit={submit}
      noValidate
    >
      <p class="muted wide">
        A new password for {props.user.name}: their open sessions end, and they sign in with this one. Tell
        them by a way other than the dashboard.
      </p>
      <NewPassword label="New password" name="password" error={error} />
      <FormError error={error} fields={['password', 'passwordAgain']} />
      <FormActions busy={submission.busy} submit="Set password" onCancel={props.onCancel} />
    </form>
  );
}

function DisableButton({ user, onDone }: { user: User; onDone: () => void }) {
  const submission = useSubmission();
  return (
    <>
      {user.disabledAt ? (
        <ConfirmButton
          label="Enable"
          warning={`Enable ${user.name}? They can sign in again (their old tokens stay revoked or as they were).`}
          busy={submission.busy}
          onConfirm={() =>
            submission.run(() => post('/users/{ref}/enable', noBody, { ref: user.id }), onDone)
          }
        />
      ) : (
        <ConfirmButton
          label="Disable"
          warning={`Disable ${user.name}? Their sessions, tokens and live pages stop at once, and they cannot sign in.`}
          busy={submission.busy}
          onConfirm={() =>
            submission.run(() => post('/users/{ref}/disable', noBody, { ref: user.id }), onDone)
          }
        />
      )}
      <ErrorNote error={submission.error} />
    </>
  );
}

export function Users() {
  const canManage = useCan('users.manage');
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<{ id: string; form: 'edit' | 'password' } | null>(null);
  const users = useData(
    () => (canManage ? get('/users').then((r) => r.users) : Promise.resolve(null)),
    [canManage],
  );
  const niches = useData(
    () => (canManage ? get('/niches', { limit: 1000 }).then((r) => r.niches) : Promise.resolve([])),
    [canManage],
  );
  if (!canManage) {
    return (
      <div class="page">
        <h1>Users</h1>
        <p class="muted">Only admins manage users. Your own tokens and password are on the Tokens page.</p>
      </div>
    );
  }
  const nicheList = niches.data ?? [];
  const toggle = (id: string, form: 'edit' | 'password') =>
    setOpen(open?.id === id && open.form === form ? null : { id, form });
  const closeAndReload = () => {
    setOpen(null);
    users.reload();
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>Users</h1>
        {!adding && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add user
          </button>
        )}
      </div>
      {adding && (
        <section class="card" aria-label="Add a user">
          <h2>Add a user</h2>
          <AddUser
            niches={nicheList}
            onCancel={() => setAdding(false)}
            onDone={() => {
              setAdding(false);
              users.reload();
            }}
          />
        </section>
      )}
      <ErrorNote error={users.error ?? niches.error} />
      <Loading when={users.loading && !users.data} />
      {users.data && users.data.length === 0 && <Empty>No users yet.</Empty>}
      {users.data && users.data.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Users">
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Niches</th>
                <th>State</th>
                <th>Last sign-in</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => [
                <tr key={u.id} class={u.disabledAt ? 'inactive' : ''}>
                  <td>{u.name}</td>
                  <td data-label="Role">{u.role}</td>
                  <td data-label="Niches">
                    {u.niches ? u.niches.map((n) => n.name).join(', ') || '–' : 'every niche'}
                  </td>
                  <td data-label="State">
                    <Badge
                      value={u.disabledAt ? 'disabled' : 'active'}
                      tone={u.disabledAt ? 'neutral' : 'good'}
                    />
                  </td>
                  <td data-label="Last sign-in" title={dateTime(u.lastSignInAt)}>
                    {u.lastSignInAt ? timeAgo(u.lastSignInAt) : 'never'}
                  </td>
                  <td data-label="Actions">
                    <div class="actions wrap">
                      <FormToggle
                        label="Edit"
                        open={open?.id === u.id && open.form === 'edit'}
                        onToggle={() => toggle(u.id, 'edit')}
                      />
                      <FormToggle
                        label="Reset password"
                        open={open?.id === u.id && open.form === 'password'}
                        onToggle={() => toggle(u.id, 'password')}
                      />
                      <DisableButton user={u} onDone={users.reload} />
                    </div>
                  </td>
                </tr>,
                open?.id === u.id && (
                  <FormRow key={`${u.id}-${open.form}`} columns={6}>
                    {open.form === 'edit' ? (
                      <EditUser
                        user={u}
                        niches={nicheList}
                        onCancel={() => setOpen(null)}
                        onDone={closeAndReload}
                      />
                    ) : (
                      <ResetPassword user={u} onCancel={() => setOpen(null)} onDone={closeAndReload} />
                    )}
                  </FormRow>
                ),
              ])}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
