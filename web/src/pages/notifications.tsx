// Notifications: the channels alerts go out through (webhook, Slack, email) with their last delivery and
// whether they keep failing, the rules that route events to them, "Send test" with what the peer answered,
// and the delivery log. Operators read it all (notifications.read); admins add, change and remove channels
// and rules and send tests (notifications.manage), since channels hold secrets. No secret is ever shown but
// a webhook's signing secret, once, when the channel is made.
import { useState } from 'preact/hooks';
import { del, get, patch, post } from '../api.ts';
import {
  ConfirmButton,
  Field,
  FormActions,
  FormError,
  SelectField,
  formValues,
  useSubmission,
} from '../components/forms.tsx';
import { Badge, Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { severities, type Severity } from '../domain.ts';
import { dateTime, timeAgo } from '../format.ts';
import { useCan } from '../permissions.tsx';
import type { Ok } from '../types.ts';
import { useData } from '../use-data.ts';

type Channel = Ok<'/notifications/channels'>['channels'][number];
type Delivery = Ok<'/notifications/deliveries'>['deliveries'][number];

const kinds = [
  ['webhook', 'Webhook (signed JSON)'],
  ['slack', 'Slack incoming webhook'],
  ['email', 'Email (SMTP)'],
] as const;

const list = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function AddChannel(props: { onAdded: (name: string, secret: string | null) => void; onCancel: () => void }) {
  const submission = useSubmission();
  const { error } = submission;
  const [kind, setKind] = useState<'webhook' | 'slack' | 'email'>('webhook');
  const submit = (e: Event) => {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    const quietHours = v.quietStart && v.quietEnd ? { start: v.quietStart, end: v.quietEnd } : undefined;
    const body = {
      name: v.name ?? '',
      kind,
      ...(v.timeZone ? { timeZone: v.timeZone } : {}),
      ...(quietHours ? { quietHours } : {}),
      ...(v.digestTime ? { digestTime: v.digestTime } : {}),
      ...(kind === 'email'
        ? {
            email: {
              host: v.host ?? '',
              ...(v.port ? { port: Number(v.port) } : {}),
              ...(v.user ? { user: v.user } : {}),
              from: v.from ?? '',
              to: list(v.to),
            },
            ...(v.smtpPassword ? { smtpPassword: v.smtpPassword } : {}),
          }
        : { url: v.url ?? '' }),
    };
    submission.run(async () => {
      const added = await post('/notifications/channels', body);
      props.onAdded(added.channel.name, added.signingSecret);
    });
  };
  const fields = ['name', 'kind', 'url', 'timeZone', 'quietHours', 'digestTime', 'email', 'smtpPassword'];
  return (
    <form class="form-grid" aria-label="Add channel" onSubmit={submit} noValidate>
      <Field label="Name" name="name" required error={error} hint="e.g. oncall-slack" />
      <label class="field">
        Kind
        <select name="kind" onChange={(e) => setKind(e.currentTarget.value as typeof kind)}>
          {kinds.map(([v, text]) => (
            <option key={v} value={v} selected={v === kind}>
              {text}
            </option>
          ))}
        </select>
      </label>
      {kind === 'email' ? (
        <>
          <Field label="SMTP host" name="host" required error={error} also={['email.host']} />
          <Field
            label="Port"
            name="port"
            type="number"
            error={error}
            also={['email.port']}
            hint="587 (STARTTLS)"
          />
          <Field label="SMTP user" name="user" error={error} also={['email.user']} />
          <label class="field">
            SMTP password
            <input type="password" name="smtpPassword" autocomplete="off" />
          </label>
          <Field label="From" name="from" required error={error} also={['email.from']} />
          <Field label="To" name="to" required error={error} also={['email.to']} hint="comma-separated" />
        </>
      ) : (
        <label class="field">
          {kind === 'slack' ? 'Slack webhook URL' : 'Webhook URL'}
          <input type="password" name="url" autocomplete="off" required />
          <span class="muted small">Sealed in the vault; never shown again.</span>
        </label>
      )}
      <Field label="Time zone" name="timeZone" error={error} hint="IANA name; default UTC" />
      <Field label="Quiet from" name="quietStart" error={error} also={['quietHours']} hint="HH:MM local" />
      <Field label="Quiet until" name="quietEnd" error={error} hint="HH:MM local" />
      <Field label="Digest at" name="digestTime" error={error} hint="HH:MM local; default 08:00" />
      <FormError error={error} fields={fields} />
      <FormActions busy={submission.busy} submit="Add channel" onCancel={props.onCancel} />
    </form>
  );
}

function SigningSecret(props: { name: string; secret: string; onDone: () => void }) {
  return (
    <section class="card secret-reveal" aria-label="New signing secret" role="status">
      <h2>Channel “{props.name}” added</h2>
      <p class="warning">
        Copy the signing secret now: it will not be shown again. The receiver checks{' '}
        <code>X-Sovi-Signature</code> = <code>sha256=</code>HMAC-SHA256(secret, timestamp + “.” + body), with
        the timestamp from <code>X-Sovi-Timestamp</code>.
      </p>
      <div class="secret-row">
        <input class="mono" readOnly value={props.secret} aria-label="Signing secret" />
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </div>
    </section>
  );
}

function ChannelActions({ channel, onChange }: { channel: Channel; onChange: () => void }) {
  const submission = useSubmission();
  const [result, setResult] = useState<Delivery | undefined>();
  return (
    <>
      <div class="actions wrap">
        <button
          type="button"
          disabled={submission.busy}
          onClick={() =>
            submission.run(async () => {
              setResult(await post('/notifications/channels/{id}/test', {}, { id: channel.id }));
              onChange();
            })
          }
        >
          Send test
        </button>
        <button
          type="button"
          disabled={submission.busy}
          onClick={() =>
            submission.run(
              () => patch('/notifications/channels/{id}', { enabled: !channel.enabled }, { id: channel.id }),
              onChange,
            )
          }
        >
          {channel.enabled ? 'Disable' : 'Enable'}
        </button>
        <ConfirmButton
          label="Remove"
          warning={`Remove “${channel.name}” with its rules and delivery log?`}
          busy={submission.busy}
          onConfirm={() =>
            submission.run(() => del('/notifications/channels/{id}', { id: channel.id }), onChange)
          }
        />
      </div>
      {result && (
        <p role="status" class={`small ${result.status === 'sent' ? 'muted' : 'error'}`}>
          Test {result.status}: {result.lastResult ?? 'no answer'} ({result.latencyMs ?? '?'} ms)
        </p>
      )}
      <ErrorNote error={submission.error} />
    </>
  );
}

function Channels({
  channels,
  canManage,
  onChange,
}: {
  channels: Channel[];
  canManage: boolean;
  onChange: () => void;
}) {
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Channels">
        <thead>
          <tr>
            <th>Channel</th>
            <th>Kind</th>
            <th>Quiet hours</th>
            <th>Last delivery</th>
            <th>Status</th>
            {canManage && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => (
            <tr key={c.id} class={c.enabled ? '' : 'inactive'}>
              <td class="mono">{c.name}</td>
              <td data-label="Kind">{c.kind}</td>
              <td data-label="Quiet hours">
                {c.quietHours ? `${c.quietHours.start}–${c.quietHours.end} ${c.timeZone}` : 'none'}
              </td>
              <td data-label="Last delivery" title={dateTime(c.lastDeliveryAt)}>
                {c.lastDeliveryAt ? `${timeAgo(c.lastDeliveryAt)} · ${c.lastDeliveryStatus ?? ''}` : 'never'}
              </td>
              <td data-label="Status">
                {!c.enabled ? (
                  <Badge value="disabled" tone="neutral" />
                ) : c.failingSince ? (
                  <Badge value="failing" tone="bad" />
                ) : (
                  <Badge value="ok" tone="good" />
                )}
              </td>
              {canManage && (
                <td data-label="Actions">
                  <ChannelActions channel={c} onChange={onChange} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AddRule({ channels, onAdded }: { channels: Channel[]; onAdded: () => void }) {
  const submission = useSubmission();
  const { error } = submission;
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const body = {
      channel: v.channel ?? '',
      minSeverity: (v.minSeverity ?? 'warning') as Severity,
      ...(v.categories ? { categories: list(v.categories) } : {}),
      ...(v.eventTypes ? { eventTypes: list(v.eventTypes) } : {}),
    };
    submission.run(
      () => post('/notifications/rules', body),
      () => {
        form.reset();
        onAdded();
      },
    );
  };
  return (
    <form class="form-grid" aria-label="Add rule" onSubmit={submit} noValidate>
      <SelectField
        label="Channel"
        name="channel"
        options={channels.map((c) => [c.id, c.name] as const)}
        error={error}
      />
      <SelectField
        label="At or above"
        name="minSeverity"
        options={severities.map((s) => [s, s] as const)}
        value="warning"
        error={error}
      />
      <Field label="Categories" name="categories" error={error} hint="comma-separated; empty: any" />
      <Field label="Event types" name="eventTypes" error={error} hint="comma-separated; empty: any" />
      <FormError error={error} fields={['channel', 'minSeverity', 'categories', 'eventTypes']} />
      <FormActions busy={submission.busy} submit="Add rule" />
    </form>
  );
}

function Rules({ canManage, channels }: { canManage: boolean; channels: Channel[] }) {
  const rules = useData(() => get('/notifications/rules').then((r) => r.rules), [channels.length]);
  const removal = useSubmission();
  return (
    <section class="card" aria-label="Rules">
      <h2>Rules</h2>
      <ErrorNote error={rules.error ?? removal.error} />
      <Loading when={rules.loading && !rules.data} />
      {rules.data && rules.data.length === 0 && <Empty>No rules: no event goes anywhere yet.</Empty>}
      {rules.data && rules.data.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Rules">
            <thead>
              <tr>
                <th>Channel</th>
                <th>Severity</th>
                <th>Categories</th>
                <th>Event types</th>
                {canManage && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {rules.data.map((r) => (
                <tr key={r.id}>
                  <td class="mono">{r.channelName}</td>
                  <td data-label="Severity">{r.minSeverity} and above</td>
                  <td data-label="Categories">{r.categories?.join(', ') ?? 'any'}</td>
                  <td data-label="Event types">{r.eventTypes?.join(', ') ?? 'any'}</td>
                  {canManage && (
                    <td data-label="Actions">
                      <ConfirmButton
                        label="Remove"
                        warning="Remove this rule?"
                        busy={removal.busy}
                        onConfirm={() =>
                          removal.run(() => del('/notifications/rules/{id}', { id: r.id }), rules.reload)
                        }
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canManage && channels.length > 0 && <AddRule channels={channels} onAdded={rules.reload} />}
    </section>
  );
}

function Deliveries({ refresh }: { refresh: number }) {
  const log = useData(
    () => get('/notifications/deliveries', { limit: 50 }).then((r) => r.deliveries),
    [refresh],
    10_000,
  );
  return (
    <section class="card" aria-label="Delivery log">
      <h2>Delivery log</h2>
      <ErrorNote error={log.error} />
      <Loading when={log.loading && !log.data} />
      {log.data && log.data.length === 0 && <Empty>Nothing delivered yet.</Empty>}
      {log.data && log.data.length > 0 && (
        <div class="table-wrap">
          <table class="table" aria-label="Deliveries">
            <thead>
              <tr>
                <th>When</th>
                <th>Channel</th>
                <th>Kind</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Answer</th>
                <th>Latency</th>
                <th>Count</th>
              </tr>
            </thead>
            <tbody>
              {log.data.map((d) => (
                <tr key={d.id}>
                  <td title={dateTime(d.createdAt)}>{timeAgo(d.createdAt)}</td>
                  <td data-label="Channel" class="mono">
                    {d.channelName}
                  </td>
                  <td data-label="Kind">{d.kind}</td>
                  <td data-label="Status">
                    <Badge
                      value={d.status}
                      tone={d.status === 'sent' ? 'good' : d.status === 'failed' ? 'bad' : 'warn'}
                    />
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Answer">{d.lastResult ?? '–'}</td>
                  <td data-label="Latency">{d.latencyMs === null ? '–' : `${d.latencyMs} ms`}</td>
                  <td data-label="Count">{d.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Notifications() {
  const canManage = useCan('notifications.manage');
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<{ name: string; secret: string } | null>(null);
  const [refresh, setRefresh] = useState(0);
  const channels = useData(() => get('/notifications/channels').then((r) => r.channels), [refresh], 15_000);
  const changed = () => setRefresh((n) => n + 1);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Notifications</h1>
        {canManage && !adding && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add channel
          </button>
        )}
      </div>
      <p class="muted">
        Where alerts go. Repeats of an event for the same device or account are grouped; during a channel’s
        quiet hours only critical events go out, the rest wait for its daily digest.
      </p>
      {added && <SigningSecret name={added.name} secret={added.secret} onDone={() => setAdded(null)} />}
      {canManage && adding && (
        <section class="card" aria-label="Add a channel">
          <h2>New channel</h2>
          <AddChannel
            onCancel={() => setAdding(false)}
            onAdded={(name, secret) => {
              setAdding(false);
              if (secret) setAdded({ name, secret });
              changed();
            }}
          />
        </section>
      )}
      <h2>Channels</h2>
      <ErrorNote error={channels.error} />
      <Loading when={channels.loading && !channels.data} />
      {channels.data && channels.data.length === 0 && <Empty>No channels yet.</Empty>}
      {channels.data && channels.data.length > 0 && (
        <Channels channels={channels.data} canManage={canManage} onChange={changed} />
      )}
      {channels.data && <Rules canManage={canManage} channels={channels.data} />}
      <Deliveries refresh={refresh} />
    </div>
  );
}
