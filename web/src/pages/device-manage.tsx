// The fleet's write controls, for those who may change devices (devices.write): add and edit a phone, put it
// in maintenance and back, check its WebDriverAgent now, remove it. The pages leave these out for others.
import { useState } from 'preact/hooks';
import { del, patch, post } from '../api.ts';
import {
  ConfirmButton,
  Field,
  FormActions,
  FormError,
  formValues,
  useSubmission,
} from '../components/forms.tsx';
import { Badge } from '../components/ui.tsx';
import { label } from '../format.ts';
import { navigate } from '../router.ts';
import type { Device } from '../types.ts';

type Check = Awaited<ReturnType<typeof checkNow>>;
const checkNow = (ref: string) => post('/devices/{ref}/check', {}, { ref });

const fields = ['name', 'udid', 'model', 'host', 'wdaPort', 'storageFreeGb'];
const number = (value: string | undefined) => (value === undefined ? null : Number(value));

/** Add (no device) or edit one: name, udid (when adding), model, host, WDA port, free storage. */
export function DeviceForm(props: {
  device?: Device;
  onDone: (device: Device) => void;
  onCancel: () => void;
}) {
  const { device } = props;
  const submission = useSubmission();
  const { error } = submission;
  const submit = (e: Event) => {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    let saved: Device | undefined;
    submission.run(
      async () => {
        const changes = {
          model: v.model ?? null,
          wdaPort: number(v.wdaPort),
          storageFreeGb: number(v.storageFreeGb),
        };
        saved = device
          ? await patch(
              '/devices/{ref}',
              { name: v.name ?? '', ...(v.host ? { host: v.host } : {}), ...changes },
              { ref: device.id },
            )
          : await post('/devices', {
              name: v.name ?? '',
              udid: v.udid ?? '',
              ...(v.host ? { host: v.host } : {}),
              ...changes,
            });
      },
      () => saved && props.onDone(saved),
    );
  };
  return (
    <form class="form-grid" aria-label={device ? 'Edit device' : 'Add device'} onSubmit={submit} noValidate>
      <Field label="Name" name="name" defaultValue={device?.name} required error={error} />
      {!device && (
        <Field label="UDID" name="udid" required error={error} hint="as Xcode or idevice_id shows it" />
      )}
      <Field
        label="Model"
        name="model"
        defaultValue={device?.model ?? ''}
        placeholder="iPhone 13"
        error={error}
      />
      <Field
        label="Host"
        name="host"
        defaultValue={device?.host}
        placeholder="this server's"
        error={error}
        hint="the machine the phone is plugged into"
      />
      <Field
        label="WDA port"
        name="wdaPort"
        type="number"
        inputMode="numeric"
        defaultValue={device?.wdaPort?.toString() ?? ''}
        placeholder="8100"
        error={error}
        hint="empty: not monitored"
      />
      <Field
        label="Free storage (GB)"
        name="storageFreeGb"
        type="number"
        step="any"
        defaultValue={device?.storageFreeGb?.toString() ?? ''}
        error={error}
      />
      <FormError error={error} fields={fields} />
      <FormActions busy={submission.busy} submit={device ? 'Save' : 'Add device'} onCancel={props.onCancel} />
    </form>
  );
}

/** What a check found, in words: the outcome, the status change, the battery and the events. */
function CheckResult({ check }: { check: Check }) {
  const tone = check.outcome === 'healthy' ? 'good' : check.outcome === 'skipped' ? 'neutral' : 'bad';
  const changes = [
    check.before === check.after
      ? `status ${label(check.after)}`
      : `status ${label(check.before)} → ${label(check.after)}`,
    ...(check.batteryLevel === null ? [] : [`battery ${Math.round(check.batteryLevel)}%`]),
    ...(check.outcome !== 'healthy' && check.outcome !== 'skipped'
      ? [`unhealthy ${check.consecutiveFailures} time(s) in a row`]
      : []),
    ...check.events.map((e) => `${label(e.type)} ${e.change}`),
  ];
  return (
    <p class="check-result" role="status" aria-label="Check result">
      <Badge value={check.outcome} tone={tone} /> {check.reason ? `${check.reason}; ` : ''}
      {changes.join(', ')}
      {check.error ? ` (not recorded: ${check.error})` : ''}
    </p>
  );
}

/** The write controls of one device's page. */
export function DeviceActions(props: { device: Device; assignedAccounts: number; onChanged: () => void }) {
  const { device, assignedAccounts, onChanged } = props;
  const [editing, setEditing] = useState(false);
  const [check, setCheck] = useState<Check | undefined>();
  const submission = useSubmission();
  const inMaintenance = device.status === 'maintenance';
  const accounts = `${assignedAccounts} account${assignedAccounts === 1 ? '' : 's'}`;
  return (
    <div class="device-actions">
      <div class="actions wrap" role="toolbar" aria-label="Device actions">
        <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
          Edit
        </button>
        <button
          type="button"
          disabled={submission.busy}
          onClick={() =>
            submission.run(
              // Out of maintenance it is disconnected until the next check sees WebDriverAgent answer.
              () =>
                patch(
                  '/devices/{ref}',
                  { status: inMaintenance ? 'disconnected' : 'maintenance' },
                  { ref: device.id },
                ),
              onChanged,
            )
          }
        >
          {inMaintenance ? 'End maintenance' : 'Start maintenance'}
        </button>
        <button
          type="button"
          disabled={submission.busy}
          onClick={() => submission.run(async () => setCheck(await checkNow(device.id)), onChanged)}
        >
          Check now
        </button>
        <ConfirmButton
          label="Remove device"
          busy={submission.busy}
          warning={
            assignedAccounts > 0
              ? `Remove ${device.name}? Its ${accounts} will be unassigned (they keep their state; give them another phone).`
              : `Remove ${device.name}? It has no accounts.`
          }
          confirmLabel="Remove"
          onConfirm={() =>
            submission.run(
              () => del('/devices/{ref}', { ref: device.id, force: assignedAccounts > 0 }),
              () => navigate('/devices'),
            )
          }
        />
      </div>
      {submission.error && (
        <p class="error" role="alert">
          {submission.error.message}
        </p>
      )}
      {check && <CheckResult check={check} />}
      {editing && (
        <DeviceForm
          device={device}
          onCancel={() => setEditing(false)}
          onDone={() => {
            setEditing(false);
            onChanged();
          }}
        />
      )}
    </div>
  );
}
