// A post's progress at the platform (official connectors publish asynchronously): its stage, the platform's
// publish id, when sovi last recorded a step, and what the platform said. Shown beside the post's status.
import type { ComponentChildren } from 'preact';
import { Badge } from './ui.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { publishStageTone } from '../tones.ts';
import type { Distribution } from '../types.ts';

type Processing = NonNullable<Distribution['processing']>;

/** The stage and when it was recorded, short enough for a table cell. */
export function PlatformStage({ processing: p }: { processing: Processing }) {
  return (
    <span class="platform-stage" data-stage={p.stage} title={`updated ${dateTime(p.updatedAt)}`}>
      <Badge value={p.stage} tones={publishStageTone} /> <span class="muted">{timeAgo(p.updatedAt)}</span>
    </span>
  );
}

/** The rows a post's facts get for its progress at the platform. */
export function platformFacts(p: Processing | null): [string, ComponentChildren][] {
  if (!p) return [];
  return [
    ['At the platform', <PlatformStage processing={p} />],
    ['Publish id', p.publishId ?? '–'],
    ...(p.privacyLevel ? [['Privacy sent', p.privacyLevel] as [string, string]] : []),
    ...(p.videoSize !== null
      ? [
          [
            'Upload',
            `${(p.videoSize / 1_048_576).toFixed(1)} MB in ${p.totalChunkCount ?? '?'} chunk(s)`,
          ] as [string, string],
        ]
      : []),
    ...(p.note ? [['Platform note', p.note] as [string, string]] : []),
    ...(p.reason
      ? [['Platform said', `${p.reason}${p.platformCode ? ` (${p.platformCode})` : ''}`] as [string, string]]
      : []),
  ];
}
