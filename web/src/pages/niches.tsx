// Niches: the content verticals, listed by slug. Those who may manage niches (niches.write) create, edit,
// deactivate and reactivate them here; deactivating one with live accounts asks again, naming how many.
import { useState } from 'preact/hooks';
import { ApiError, get, patch, post } from '../api.ts';
import {
  ConfirmButton,
  Field,
  FormActions,
  FormError,
  formValues,
  useSubmission,
  FormRow,
  FormToggle,
} from '../components/forms.tsx';
import { Badge, Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { useCan } from '../permissions.tsx';
import type { Niche } from '../types.ts';
import { useData } from '../use-data.ts';

const fields = ['name', 'slug', 'tier', 'status'];

/** Create (no niche) or edit one: name, slug, tier. */
function NicheForm(props: { niche?: Niche; onDone: () => void; onCancel: () => void }) {
  const { niche } = props;
  const submission = useSubmission();
  const { error } = submission;
  const submit = (e: Event) => {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    const values = { name: v.name ?? '', slug: v.slug ?? '', tier: v.tier ?? null };
    submission.run(
      () => (niche ? patch('/niches/{ref}', values, { ref: niche.id }) : post('/niches', values)),
      props.onDone,
    );
  };
  return (
    <form class="form-grid" aria-label={niche ? 'Edit niche' : 'Add niche'} onSubmit={submit} noValidate>
      <Field label="Name" name="name" defaultValue={niche?.name} required error={error} />
      <Field
        label="Slug"
        name="slug"
        defaultValue={niche?.slug}
        placeholder="personal_finance"
        required
        error={error}
        hint="lower snake_case; how the CLI and imports name it"
      />
      <Field
        label="Tier"
        name="tier"
        defaultValue={niche?.tier ?? ''}
        inputMode="numeric"
        placeholder="1"
        error={error}
        hint="empty: unranked"
      />
      <FormError error={error} fields={fields} />
      <FormActions busy={submission.busy} submit={niche ? 'Save' : 'Add niche'} onCancel={props.onCancel} />
    </form>
  );
}

/** Deactivate (asking again when live accounts would get no new content) or reactivate a niche. */
function StatusButton({ niche, onDone }: { niche: Niche; onDone: () => void }) {
  const submission = useSubmission();
  const refusal = submission.error instanceof ApiError && submission.error.code === 'conflict';
  const setStatus = (status: Niche['status'], force = false) =>
    submission.run(
      () => patch('/niches/{ref}', { status, ...(force ? { force } : {}) }, { ref: niche.id }),
      onDone,
    );
  if (niche.status === 'inactive') {
    return (
      <button type="button" disabled={submission.busy} onClick={() => setStatus('active')}>
        Reactivate
      </button>
    );
  }
  return (
    <>
      {refusal ? (
        <ConfirmButton
          label="Deactivate anyway"
          warning={submission.error?.message}
          confirmLabel="Deactivate"
          busy={submission.busy}
          onConfirm={() => setStatus('inactive', true)}
        />
      ) : (
        <button type="button" disabled={submission.busy} onClick={() => setStatus('inactive')}>
          Deactivate
        </button>
      )}
      <ErrorNote error={submission.error} />
    </>
  );
}

export function Niches() {
  const canWrite = useCan('niches.write');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const { data, error, loading, reload } = useData(
    () => get('/niches', { limit: 1000 }).then((r) => r.niches),
    [],
  );
  return (
    <div class="page">
      <div class="page-head">
        <h1>Niches</h1>
        {canWrite && !adding && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add niche
          </button>
        )}
      </div>
      {adding && (
        <section class="card" aria-label="Add a niche">
          <h2>Add a niche</h2>
          <NicheForm
            onCancel={() => setAdding(false)}
            onDone={() => {
              setAdding(false);
              reload();
            }}
          />
        </section>
      )}
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && data.length === 0 && <Empty>No niches yet.</Empty>}
      {data && data.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Niches">
            <thead>
              <tr>
                <th>Niche</th>
                <th>Tier</th>
                <th>Status</th>
                {canWrite && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {data.map((n) => [
                <tr key={n.id}>
                  <td class={n.status === 'inactive' ? 'muted' : ''}>
                    {n.name}
                    <div class="muted small mono">{n.slug}</div>
                  </td>
                  <td data-label="Tier">{n.tier ?? '–'}</td>
                  <td data-label="Status">
                    <Badge value={n.status} tone={n.status === 'active' ? 'good' : 'neutral'} />
                  </td>
                  {canWrite && (
                    <td data-label="Actions">
                      <div class="actions wrap">
                        <FormToggle
                          label="Edit"
                          open={editing === n.id}
                          onToggle={() => setEditing(editing === n.id ? null : n.id)}
                        />
                        <StatusButton niche={n} onDone={reload} />
                      </div>
                    </td>
                  )}
                </tr>,
                editing === n.id && (
                  <FormRow key={`${n.id}-edit`} columns={4}>
                    <NicheForm
                      niche={n}
                      onCancel={() => setEditing(null)}
                      onDone={() => {
                        setEditing(null);
                        reload();
                      }}
                    />
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
