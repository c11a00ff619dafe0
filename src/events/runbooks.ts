// What each kind of event means and what usually fixes it: the one table the MCP server serves as runbook
// resources (sovi://runbooks/<type>), the triage agent reads before it acts, and the dashboard shows in an
// event's details. Pure data, with no imports, so the dashboard can bundle it.

export interface Runbook {
  /** What happened, in a sentence. */
  meaning: string;
  /** What usually fixes it, in order of what to try first. */
  fixes: string[];
  /** The MCP tools that do those fixes (src/mcp/), by name. */
  tools: string[];
}

const deviceTools = ['get_device', 'set_device_maintenance', 'resolve_event'];
const productionTools = ['content_status', 'retry_production', 'resolve_event'];

/** By event type. A type not listed gets `fallbackRunbook`. */
export const runbooks: Readonly<Record<string, Runbook>> = {
  battery_low: {
    meaning: 'A phone reported a battery below SOVI_BATTERY_LOW_PERCENT; it may die during a session.',
    fixes: [
      'Put the device in maintenance so that no session starts on it, and ask someone to plug it in.',
      'Once it is charged, take it out of maintenance and resolve the event with what was done.',
    ],
    tools: deviceTools,
  },
  storage_low: {
    meaning: 'A phone has less free storage than SOVI_STORAGE_LOW_GB; apps fail to cache or update.',
    fixes: [
      'Put the device in maintenance and have someone free space (old videos, app caches).',
      'Take it out of maintenance once storage is back, and resolve the event.',
    ],
    tools: deviceTools,
  },
  device_disconnected: {
    meaning: "The phone's WebDriverAgent stopped answering health checks: unplugged, asleep or crashed.",
    fixes: [
      'Check the device: its last-seen time and recent events say how long it has been gone.',
      'If it needs hands-on work, put it in maintenance; the monitor marks it active again when it answers.',
    ],
    tools: deviceTools,
  },
  wda_error: {
    meaning: 'WebDriverAgent answered, but with an error: it usually needs a restart on the phone.',
    fixes: [
      'Put the device in maintenance while someone restarts WebDriverAgent.',
      'Take it out of maintenance and resolve the event once health checks pass.',
    ],
    tools: deviceTools,
  },
  device_failed: {
    meaning: 'Too many warming sessions in a row failed on this device; it was taken out of rotation.',
    fixes: [
      'Read the device and its recent events for the failures’ reasons.',
      'Put it in maintenance for a person to look at; resolve the event with the diagnosis.',
    ],
    tools: deviceTools,
  },
  device_reconnected: {
    meaning: 'A device that was disconnected answers again. Nothing to do.',
    fixes: ['Resolve the event, or leave it: it is informational.'],
    tools: ['resolve_event'],
  },
  challenge: {
    meaning: 'The platform asked an account to prove who it is (a captcha, a code) during a session.',
    fixes: [
      'Put the account in cooldown (set its state) so that no session runs into the challenge again.',
      'A person must clear the challenge on the phone; then the account goes back to its phase.',
    ],
    tools: ['get_account', 'set_account_state', 'resolve_event'],
  },
  state_changed: {
    meaning: "An account's lifecycle state changed (warming progress, a ban, a cooldown).",
    fixes: [
      'For shadowbanned or banned: read the account and its recent posts; nothing automatic undoes a ban.',
      'Otherwise informational: resolve it.',
    ],
    tools: ['get_account', 'list_distributions', 'resolve_event'],
  },
  session_abandoned: {
    meaning: 'A warming session was given up (timed out, or its device went away) and will be replanned.',
    fixes: [
      'Check the device it ran on; a single one is harmless, many on one device mean the device is unwell.',
      'Run the planner to queue the account again if it is due.',
    ],
    tools: ['get_device', 'schedule_status', 'run_planner', 'resolve_event'],
  },
  post_failed: {
    meaning: 'Publishing a post failed after its retries (the platform refused it, or the token expired).',
    fixes: [
      'Read the event context and the post for the platform’s error.',
      'If the cause is gone (a transient error, a renewed token), retry the post for that account.',
    ],
    tools: ['list_distributions', 'retry_post', 'resolve_event'],
  },
  post_late: {
    meaning: 'A post went out more than SOVI_POST_LATE_SECONDS after its slot: the queue was behind.',
    fixes: ['Check fleet health and the schedule for a backlog; resolve the event once it clears.'],
    tools: ['fleet_health', 'schedule_status', 'resolve_event'],
  },
  post_removed: {
    meaning: 'The platform took a post down.',
    fixes: [
      'Read the account: repeated removals often come before a ban; consider a cooldown.',
      'Resolve the event with what the platform said.',
    ],
    tools: ['get_account', 'set_account_state', 'resolve_event'],
  },
  connection_reauth_needed: {
    meaning:
      'The platform refused to refresh an account’s token (revoked, expired or a password change): its ' +
      'connection is reauth_needed, and its posts and metric pulls wait. The token is kept, never wiped.',
    fixes: [
      'Have the account’s owner connect it again: `sovi connect <platform>:<username>` or Reconnect on the ' +
        'account page (an admin or operator starts it; the owner opens the link).',
      'If it comes back soon after, check the developer app (scopes, audit status) and the account at the platform.',
      'Resolve the event once `sovi connections list` shows it connected; retry its failed posts.',
    ],
    tools: ['get_account', 'list_distributions', 'retry_post', 'resolve_event'],
  },
  post_deferred: {
    meaning:
      'A post was held back by a platform limit (TikTok’s publish initialisations per minute, Instagram’s ' +
      'posts per 24 hours, or a 429): it stays pending and is tried again after the window, with no attempt used.',
    fixes: [
      'Usually nothing: it goes out when the window frees. Read the context for the platform code.',
      'If the account defers every day, it is planned over its limit: lower its posts per day in its posting schedule.',
      'Resolve the event once the post is out.',
    ],
    tools: ['list_distributions', 'schedule_status', 'resolve_event'],
  },
  content_failed: {
    meaning: 'Producing a piece of content failed at a stage (script, voice, render, quality check).',
    fixes: [
      'Read the content status: the failure names the stage and the reason.',
      'If the reason was transient (a tool, a timeout), retry the production; it restarts at that stage.',
    ],
    tools: productionTools,
  },
  content_stage_job_failed: {
    meaning: 'A production stage job crashed or timed out in the job engine.',
    fixes: ['Retry the production of that content; if it fails again, leave it for a person.'],
    tools: productionTools,
  },
  content_awaiting_review: {
    meaning: 'Content is ready and waits for a reviewer before any of its posts go out.',
    fixes: ['A reviewer reads the script and the video and approves or rejects it.'],
    tools: ['content_status', 'approve_content', 'reject_content'],
  },
  voice_fallback: {
    meaning:
      "A voice of the niche's media policy failed or was slower than its timeoutMs while producing content; " +
      'the next voice of the policy spoke instead (the context names the engine, the voice and the next one).',
    fixes: [
      'Check the failed voice: for openai, SOVI_TTS_URL, its key and the model and voice names; for espeak, ' +
        'that espeak-ng is installed. The content went on with the next voice.',
      'If no voice was left (next is null), the production failed at generating: once a voice works again, ' +
        'retry the production. Resolve the event with what was found.',
    ],
    tools: productionTools,
  },
  visual_source_failed: {
    meaning:
      'A visual source (library or pexels) failed while clips were picked for a video; it was passed over ' +
      'for that video, and the next source or the generated scenes showed instead.',
    fixes: [
      'For pexels, check SOVI_PEXELS_API_KEY and SOVI_PEXELS_URL (a 401 is the key, a 429 the rate limit); ' +
        'for library, that SOVI_MEDIA_LIBRARY exists and is readable.',
      'The content was still produced (content_status shows which source each beat used); resolve the ' +
        'event once the source works again.',
    ],
    tools: ['content_status', 'resolve_event'],
  },
  no_distribution_targets: {
    meaning: 'Content was produced for a niche with no account able to post it.',
    fixes: ['Check the niche’s accounts and their states; a person must add or activate one.'],
    tools: ['get_account', 'resolve_event'],
  },
  script_writer_fallback: {
    meaning: 'The language-model script writer failed and the template writer was used instead.',
    fixes: ['Check the model endpoint; resolve once it answers again.'],
    tools: ['resolve_event'],
  },
  trend_fetch_failed: {
    meaning: 'Pulling trending topics from a source failed.',
    fixes: ['Usually transient: the next pull tries again. Resolve once a pull succeeds.'],
    tools: ['list_trends', 'resolve_event'],
  },
  metrics_rows_skipped: {
    meaning: 'A metrics batch had bad rows that were left out.',
    fixes: ['Tell the person who runs the importer; the event context names the rows.'],
    tools: ['resolve_event'],
  },
  metrics_late_rows: {
    meaning: 'Metrics arrived later than the rollup window and need a backfill.',
    fixes: ['A person runs the backfill; resolve the event once done.'],
    tools: ['resolve_event'],
  },
  metrics_pull_failed: {
    meaning:
      'Reading counts from a platform’s official API failed for a platform or an account (one event per ' +
      'outage, not per post); those posts’ metrics are not updated meanwhile.',
    fixes: [
      'Read the context: an authorization error means the account must be connected again ' +
        '(connection_reauth_needed); a rate limit or 5xx usually clears on the next scheduled pull.',
      'Once the cause is gone, `sovi metrics pull --account <ref>` reads them now; the event resolves itself ' +
        'when a pull succeeds.',
    ],
    tools: ['get_account', 'account_metrics', 'resolve_event'],
  },
  backup_failed: {
    meaning: 'A scheduled base backup of the database failed.',
    fixes: ['A person must look at the backup folder and disk space (no agent tool manages backups).'],
    tools: ['resolve_event'],
  },
  agent_endpoint_failed: {
    meaning:
      "The triage agent could not reach its language-model endpoint, or the endpoint's answer was unusable.",
    fixes: ['Check SOVI_LLM_URL, the model name and the key; the agent tries again on later events.'],
    tools: ['resolve_event'],
  },
  agent_tool_call_failed: {
    meaning: 'The triage agent asked for a tool call that was malformed, unknown or refused.',
    fixes: ['Read the context for the call; the event it worked on is left for a person.'],
    tools: ['resolve_event'],
  },
};

export const fallbackRunbook: Runbook = {
  meaning: 'No runbook is written for this event type yet.',
  fixes: [
    'Read the event, its device and account; resolve it with a note once handled, or leave it to a person.',
  ],
  tools: ['get_event', 'resolve_event'],
};

export const runbookFor = (eventType: string): Runbook => runbooks[eventType] ?? fallbackRunbook;
