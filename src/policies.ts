// The policy files (SOVI_WARMING_POLICY_FILE, SOVI_CONTENT_POLICY_FILE), read once per process and passed
// down: a command, `sovi up` and `sovi worker` each load them here at start, so every part of one process
// follows the same policy, and a changed file takes effect at the next start.
import type { Config } from './config.ts';
import { loadContentPolicy, type ContentPolicy } from './content/content-policy.ts';
import { loadWarmingPolicy, type WarmingPolicy } from './warming/warming-policy.ts';

export interface Policies {
  readonly warming: WarmingPolicy;
  readonly content: ContentPolicy;
  /** Where each came from: the defaults, or the defaults overridden by the file. */
  readonly sources: { readonly warming: 'defaults' | 'file'; readonly content: 'defaults' | 'file' };
}

export function loadPolicies(config: Config): Policies {
  const { policyFile: warmingFile } = config.scheduler;
  const { policyFile: contentFile } = config.content;
  return {
    warming: loadWarmingPolicy(warmingFile),
    content: loadContentPolicy(contentFile),
    sources: {
      warming: warmingFile === undefined ? 'defaults' : 'file',
      content: contentFile === undefined ? 'defaults' : 'file',
    },
  };
}
