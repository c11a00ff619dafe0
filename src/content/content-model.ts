// Content through the production pipeline: the statuses (the database also enforces them), their order,
// and the script a writer produces.
import type { OneOf } from '../errors.ts';

/** The stages that do work, in order; each is a job of its own. */
export const stages = ['scripting', 'generating', 'assembling', 'distributing'] as const;
export type Stage = OneOf<typeof stages>;

/** A production's status: the stage it is at, or how it ended. */
export const productionStatuses = [...stages, 'complete', 'failed'] as const;
export type ProductionStatus = OneOf<typeof productionStatuses>;

/**
 * The production lifecycle, as data: each stage moves to the next or to failed; distributing ends in
 * complete when every distribution has settled; a failed production goes back to the stage that failed
 * (`sovi content retry`). complete is terminal.
 */
export const productionTransitions: Readonly<Record<ProductionStatus, readonly ProductionStatus[]>> = {
  scripting: ['generating', 'failed'],
  generating: ['assembling', 'failed'],
  assembling: ['distributing', 'failed'],
  distributing: ['complete', 'failed'],
  complete: [],
  failed: ['scripting', 'generating', 'assembling', 'distributing'],
};

export const canMove = (from: ProductionStatus, to: ProductionStatus): boolean =>
  productionTransitions[from].includes(to);

export const nextStage = (stage: Stage): ProductionStatus => {
  const i = stages.indexOf(stage);
  return i === stages.length - 1 ? 'complete' : (stages[i + 1] as Stage);
};

export interface ScriptBeat {
  /** Short text shown on screen during the beat. */
  onScreenText: string;
  /** What the voice says during the beat. */
  narration: string;
}

export interface Script {
  title: string;
  /** The opening line, from the chosen hook. */
  hook: string;
  beats: ScriptBeat[];
  cta: string;
  /** The whole spoken text, in order: hook, beats, call to action. */
  narration: string;
  hashtags: string[];
  /** Which writer produced it (template, openai…). */
  writer: string;
}

/** What a failed production records, in asset_manifest.failure. */
export interface ProductionFailure {
  stage: Stage;
  reason: string;
  at: string;
}

/**
 * Review before posting, beside the production status: null when no review was asked; awaiting while the
 * content is in the review queue (its production status stays distributing); approved or rejected after.
 */
export const reviewStates = ['awaiting', 'approved', 'rejected'] as const;
export type ReviewState = OneOf<typeof reviewStates>;

export interface ContentReview {
  state: ReviewState;
  requestedAt: Date | null;
  reviewedAt: Date | null;
  reviewedBy: string | null;
  /** The reason of a rejection, or the reviewer's note on an approval. */
  note: string | null;
}

export interface Content {
  id: string;
  topic: string;
  nicheId: string | null;
  nicheSlug: string | null;
  format: string | null;
  status: ProductionStatus;
  script: Script | null;
  assetManifest: Record<string, unknown>;
  qualityScore: number | null;
  hookId: string | null;
  outputPath: string | null;
  trendId: string | null;
  /** When a finished piece was taken out of the board and the library's default view. */
  archivedAt: Date | null;
  /** null when the content needed no review. */
  review: ContentReview | null;
  createdAt: Date;
  updatedAt: Date;
}
