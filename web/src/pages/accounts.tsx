// Accounts: filtered by platform, state, niche and deletion (the filters live in the URL), paged with
// "Show more". Operators and admins also add accounts, import a CSV, and change or move selected accounts
// together; the controls are left out for roles that may not use them. On a phone the table reads as cards.
import { useState } from 'preact/hooks';
import { get } from '../api.ts';
import {
  AddAccountForm,
  BulkActions,
  BulkOutcome,
  ImportForm,
  useDevices,
  type BulkResult,
} from '../components/account-forms.tsx';
import { Badge, Empty, ErrorNote, Loading, MoreButton, Section } from '../components/ui.tsx';
import { accountStates, platforms } from '../domain.ts';
import { compact, dateTime, label, phaseDay, statePhase, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import { setQuery, useLocation } from '../router.ts';
import { FilterSelect } from '../components/filter-select.tsx';
import { accountStateTone } from '../tones.ts';
import { useData, usePaged } from '../use-data.ts';

export const useNiches = () => useData(() => get('/niches', { limit: 1000 }).then((r) => r.niches), []);

export function Accounts() {
  const { query } = useLocation();
  const platform = query.get('platform') ?? '';
  const state = query.get('state') ?? '';
  const niche = query.get('niche') ?? '';
  const deleted = query.get('deleted') ?? '';
  const niches = useNiches();
  const canWrite = useCan('accounts.write');
  const devices = useDevices();
  const [open, setOpen] = useState<'add' | 'import' | undefined>();
  const [note, setNote] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState<BulkResult | undefined>();
  const {
    items: accounts,
    data,
    error,
    loading,
    hasMore,
    more,
    reload,
  } = usePaged(
    (q) =>
      get('/accounts', { ...q, limit: 100 }).then((p) => ({
        items: p.accounts,
        nextCursor: p.nextCursor,
      })),
    { platform, state, niche, deleted },
  );
  const filtered = Boolean(platform || state || niche || deleted);
  const shownIds = accounts.map((a) => a.id);
  const chosen = shownIds.filter((id) => selected.has(id));
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const done = (text: string) => {
    setNote(text);
    setOpen(undefined);
    reload();
  };

  return (
    <div class="page">
      <h1>Accounts</h1>
      {canWrite && (
        <div class="actions">
          <button
            type="button"
            aria-expanded={open === 'add'}
            onClick={() => setOpen(open === 'add' ? undefined : 'add')}
          >
            Add account
          </button>
          <button
            type="button"
            aria-expanded={open === 'import'}
            onClick={() => setOpen(open === 'import' ? undefined : 'import')}
          >
            Import CSV
          </button>
        </div>
      )}
      {note && (
        <p class="note" role="status">
          {note}
        </p>
      )}
      {canWrite && open === 'add' && (
        <Section title="Add an account">
          <AddAccountForm
            niches={niches.data}
            devices={devices.data}
            onAdded={(a) => done(`Added ${a.platform}:${a.username}.`)}
          />
        </Section>
      )}
      {canWrite && open === 'import' && (
        <Section title="Import accounts from CSV">
          <ImportForm onImported={(n) => done(`Imported ${n} account(s).`)} />
        </Section>
      )}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Account filters">
        <FilterSelect
          label="Platform"
          name="platform"
          value={platform}
          any="any"
          options={platforms.map((p) => [p, p] as const)}
        />
        <FilterSelect
          label="State"
          name="state"
          value={state}
          any="any"
          options={accountStates.map((s) => [s, label(s)] as const)}
        />
        <FilterSelect
          label="Niche"
          name="niche"
          value={niche}
          any="any"
          options={niches.data?.map((n) => [n.slug, n.name] as const)}
        />
        <label>
          Deleted
          <select
            name="deleted"
            value={deleted}
            onChange={(e) => setQuery({ deleted: e.currentTarget.value })}
          >
            <option value="">hidden</option>
            <option value="only">only deleted</option>
            <option value="include">shown too</option>
          </select>
        </label>
      </form>
      {canWrite && chosen.length > 0 && (
        <BulkActions
          selected={chosen}
          devices={devices.data}
          onDone={(result) => {
            setOutcome(result);
            reload();
          }}
        />
      )}
      {outcome && <BulkOutcome result={outcome} />}
      <ErrorNote error={error} />
      <Loading when={loading && !data} />
      {data && accounts.length === 0 && (
        <Empty>
          {filtered
            ? 'No accounts match these filters.'
            : canWrite
              ? 'No accounts yet: add one or import a CSV file with the buttons above.'
              : 'No accounts yet.'}
        </Empty>
      )}
      {accounts.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Accounts">
            <thead>
              <tr>
                {canWrite && (
                  <th>
                    <input
                      type="checkbox"
                      aria-label="Select all shown"
                      checked={chosen.length > 0 && chosen.length === shownIds.length}
                      onChange={(e) => setSelected(e.currentTarget.checked ? new Set(shownIds) : new Set())}
                    />
                  </th>
                )}
                <th>Account</th>
                <th>State</th>
                <th>Niche</th>
                <th>Device</th>
                <th class="num">Followers</th>
                <th>Warming</th>
                <th>Last warmed</th>
                <th>Last post</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id} class={a.deletedAt ? 'inactive' : ''}>
                  {canWrite && (
                    <td class="select">
                      <input
                        type="checkbox"
                        aria-label={`Select ${a.platform}:${a.username}`}
                        checked={selected.has(a.id)}
                        onChange={(e) => toggle(a.id, e.currentTarget.checked)}
                      />
                    </td>
                  )}
                  <td class="title">
                    <a href={`/accounts/${a.id}`}>{a.username}</a>
                    <div class="muted small">
                      {a.platform}
                      {a.deletedAt ? ' · deleted' : ''}
                    </div>
                  </td>
                  <td data-label="State">
                    <Badge value={a.state} tones={accountStateTone} />
                  </td>
                  <td data-label="Niche">{a.nicheSlug ? label(a.nicheSlug) : '–'}</td>
                  <td data-label="Device">
                    {a.deviceId ? <a href={`/devices/${a.deviceId}`}>{a.deviceName}</a> : '–'}
                  </td>
                  <td class="num" data-label="Followers">
                    {compact(a.followers)}
                  </td>
                  <td data-label="Warming">{phaseDay(statePhase(a.state), a.warmingDayCount)}</td>
                  <td data-label="Last warmed" title={dateTime(a.lastWarmedAt)}>
                    {timeAgo(a.lastWarmedAt)}
                  </td>
                  <td data-label="Last post" title={dateTime(a.lastPostAt)}>
                    {timeAgo(a.lastPostAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreButton hasMore={hasMore} onMore={more} />
    </div>
  );
}
