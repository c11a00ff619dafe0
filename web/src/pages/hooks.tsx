// Hooks: the opening lines of videos, shown as their text (never an id) with category, niche, uses and
// score. Those who may change hooks (hooks.write) add one, import a CSV file or pasted text (every bad line
// listed by number, and nothing written), edit one, and retire or restore one.
import { useState } from 'preact/hooks';
import { ApiError, get, patch, post } from '../api.ts';
import {
  Field,
  FormError,
  SelectField,
  FormActions,
  fieldError,
  formValues,
  useSubmission,
  FormRow,
  FormToggle,
} from '../components/forms.tsx';
import { Badge, Empty, ErrorNote, Loading, MoreButton } from '../components/ui.tsx';
import { label, num } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import type { Hook, Niche } from '../types.ts';
import { usePaged } from '../use-data.ts';
import { useNiches } from './accounts.tsx';

const fields = ['category', 'template', 'niche', 'effectivenessScore', 'effectiveness_score'];

/** Add (no hook) or edit one: category, template, niche, prior score. */
function HookForm(props: { hook?: Hook; niches: Niche[]; onDone: () => void; onCancel: () => void }) {
  const { hook } = props;
  const submission = useSubmission();
  const { error } = submission;
  const templateError = fieldError(error, 'template');
  const submit = (e: Event) => {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    const score = v.effectivenessScore === undefined ? undefined : Number(v.effectivenessScore);
    submission.run(
      () =>
        hook
          ? patch(
              '/hooks/{id}',
              {
                category: v.category ?? '',
                template: v.template ?? '',
                niche: v.niche ?? null,
                effectivenessScore: score ?? null,
              },
              { id: hook.id },
            )
          : post('/hooks', {
              category: v.category ?? '',
              template: v.template ?? '',
              ...(v.niche ? { niche: v.niche } : {}),
              ...(score === undefined ? {} : { effectivenessScore: score }),
            }),
      props.onDone,
    );
  };
  return (
    <form class="form-grid" aria-label={hook ? 'Edit hook' : 'Add hook'} onSubmit={submit} noValidate>
      <label class="field wide">
        Template
        <textarea
          name="template"
          required
          defaultValue={hook?.template}
          placeholder="Nobody tells you this about {topic}."
          aria-invalid={templateError ? true : undefined}
        />
        {templateError ? (
          <span class="error field-error" role="alert">
            {templateError}
          </span>
        ) : (
          <span class="muted small">
            5–300 characters; {'{topic}'} and {'{niche}'} are filled in when it is used
          </span>
        )}
      </label>
      <Field
        label="Category"
        name="category"
        defaultValue={hook?.category}
        placeholder="curiosity_gap"
        required
        error={error}
        hint="snake_case"
      />
      <SelectField
        label="Niche"
        name="niche"
        value={hook?.nicheSlug ?? ''}
        options={[['', 'any niche'], ...props.niches.map((n) => [n.slug, n.name] as const)]}
        error={error}
      />
      <Field
        label="Prior score (0–1)"
        name="effectivenessScore"
        type="number"
        step="any"
        min="0"
        max="1"
        defaultValue={hook?.effectivenessScore?.toString() ?? ''}
        error={error}
        also={['effectiveness_score']}
        hint="until posts say how it does"
      />
      <FormError error={error} fields={fields} />
      <FormActions busy={submission.busy} submit={hook ? 'Save' : 'Add hook'} onCancel={props.onCancel} />
    </form>
  );
}

/** A CSV file or pasted text; a refused import lists every bad line by number. */
function ImportForm(props: { onDone: (imported: number) => void; onCancel: () => void }) {
  const submission = useSubmission();
  const { error } = submission;
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const file = (form.elements.namedItem('file') as HTMLInputElement).files?.[0];
    const pasted = (form.elements.namedItem('csv') as HTMLTextAreaElement).value;
    let imported = 0;
    submission.run(
      async () => {
        const csv = file ? await file.text() : pasted;
        imported = (await post('/hooks/import', { csv, source: file?.name ?? 'pasted text' })).imported;
      },
      () => props.onDone(imported),
    );
  };
  const issues = error instanceof ApiError ? error.issues : undefined;
  return (
    <form class="form-grid" aria-label="Import hooks" onSubmit={submit}>
      <p class="muted small wide">
        Columns <code>category,template,niche,effectiveness_score</code> (the first two required), header
        first. Every line is checked before anything is written: one bad line and nothing is imported.
      </p>
      <label class="field">
        CSV file
        <input type="file" name="file" accept=".csv,.txt,text/csv,text/plain" />
      </label>
      <label class="field wide">
        or paste it
        <textarea
          name="csv"
          placeholder={'category,template\ncuriosity_gap,Nobody tells you this about {topic}.'}
        />
      </label>
      {issues && issues.length > 0 ? (
        <div class="wide" role="alert" aria-label="Import problems">
          <p class="error">{error?.message.split('\n')[0]}</p>
          <ul class="issues">
            {issues.map((i) => (
              <li key={`${i.line ?? ''}-${i.field ?? ''}-${i.message}`}>
                {i.line !== undefined ? `line ${i.line}: ` : ''}
                {i.message}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <FormError error={error} fields={[]} />
      )}
      <FormActions busy={submission.busy} submit="Import" onCancel={props.onCancel} />
    </form>
  );
}

function RetireButton({ hook, onDone }: { hook: Hook; onDone: () => void }) {
  const submission = useSubmission();
  const retired = hook.retiredAt !== null;
  return (
    <>
      <button
        type="button"
        disabled={submission.busy}
        onClick={() =>
          submission.run(() => patch('/hooks/{id}', { retired: !retired }, { id: hook.id }), onDone)
        }
      >
        {retired ? 'Restore' : 'Retire'}
      </button>
      <ErrorNote error={submission.error} />
    </>
  );
}

export function Hooks() {
  const { query } = useLocation();
  const niche = query.get('niche') ?? '';
  const canWrite = useCan('hooks.write');
  const [open, setOpen] = useState<'add' | 'import' | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const niches = useNiches();
  const { items, data, error, loading, hasMore, more, reload } = usePaged(
    (q) => get('/hooks', { ...q, limit: 100 }).then((p) => ({ items: p.hooks, nextCursor: p.nextCursor })),
    { niche },
  );
  const done = (message: string) => {
    setOpen(null);
    setEditing(null);
    setNote(message);
    reload();
  };
  const show = (form: 'add' | 'import') => {
    setOpen(form);
    setNote('');
  };
  const nicheList = niches.data ?? [];
  return (
    <div class="page">
      <div class="page-head">
        <h1>Hooks</h1>
        {canWrite && (
          <div class="actions wrap">
            <button type="button" class="primary" onClick={() => show('add')}>
              Add hook
            </button>
            <button type="button" onClick={() => show('import')}>
              Import CSV
            </button>
          </div>
        )}
      </div>
      {open === 'add' && (
        <section class="card" aria-label="Add a hook">
          <h2>Add a hook</h2>
          <HookForm niches={nicheList} onCancel={() => setOpen(null)} onDone={() => done('Hook added.')} />
        </section>
      )}
      {open === 'import' && (
        <section class="card" aria-label="Import hooks">
          <h2>Import hooks</h2>
          <ImportForm onCancel={() => setOpen(null)} onDone={(n) => done(`Imported ${n} hook(s).`)} />
        </section>
      )}
      {note && (
        <p class="muted" role="status">
          {note}
        </p>
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Hook filters">
        <FilterSelect
          label="Niche"
          name="niche"
          value={niche}
          any="any"
          options={nicheList.map((n) => [n.slug, n.name] as const)}
        />
      </form>
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && items.length === 0 && (
        <Empty>{niche ? 'No hooks of their own in this niche.' : 'No hooks yet.'}</Empty>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Hooks">
            <thead>
              <tr>
                <th>Hook</th>
                <th class="num">Used</th>
                <th class="num">Score</th>
                {canWrite && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((h) => [
                <tr key={h.id}>
                  <td class={h.retiredAt ? 'caption muted' : 'caption'}>
                    {h.template}
                    <div class="muted small">
                      {label(h.category)} · {h.nicheSlug ? label(h.nicheSlug) : 'any niche'}
                      {h.retiredAt && (
                        <>
                          {' '}
                          <Badge value="retired" tone="neutral" />
                        </>
                      )}
                    </div>
                  </td>
                  <td class="num" data-label="Used">
                    {num(h.usageCount)}
                  </td>
                  <td class="num" data-label="Score">
                    {h.effectivenessScore === null ? '–' : h.effectivenessScore.toFixed(2)}
                  </td>
                  {canWrite && (
                    <td data-label="Actions">
                      <div class="actions wrap">
                        <FormToggle
                          label="Edit"
                          open={editing === h.id}
                          onToggle={() => setEditing(editing === h.id ? null : h.id)}
                        />
                        <RetireButton hook={h} onDone={reload} />
                      </div>
                    </td>
                  )}
                </tr>,
                editing === h.id && (
                  <FormRow key={`${h.id}-edit`} columns={4}>
                    <HookForm
                      hook={h}
                      niches={nicheList}
                      onCancel={() => setEditing(null)}
                      onDone={() => done('Hook saved.')}
                    />
                  </FormRow>
                ),
              ])}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton hasMore={hasMore} onMore={more} />
    </div>
  );
}
