// A piece of content's status as people read it: its production status, or "awaiting review" while a
// reviewer has it (the production status stays distributing underneath: the spec's value set is kept).
import { Badge } from './ui.tsx';
import { productionStatusTone } from '../tones.ts';
import type { Content } from '../types.ts';

export function ContentStatus({ content }: { content: Pick<Content, 'status' | 'review'> }) {
  if (content.review?.state === 'awaiting') return <Badge value="awaiting review" tone="warn" />;
  return <Badge value={content.status} tones={productionStatusTone} />;
}
