// The API's response shapes as the dashboard reads them (times arrive as ISO strings). The server's zod
// schemas in src/http/routes/ are the source of truth; /api/openapi.json describes them.
import type { AccountState, DeviceStatus, Platform, ProductionStatus, Severity } from './domain.ts';

export interface Niche {
  id: string;
  name: string;
  slug: string;
  status: 'active' | 'inactive';
}

export interface Device {
  id: string;
  name: string;
  model: string | null;
  udid: string;
  host: string;
  iosVersion: string | null;
  wdaPort: number | null;
  status: DeviceStatus;
  connectedSince: string | null;
  batteryLevel: number | null;
  storageFreeGb: number | null;
  sessionFailures: number;
  currentSessionKey: string | null;
  healthFailures: number;
  lastSeenAt: string | null;
}

export interface Account {
  id: string;
  platform: Platform;
  username: string;
  nicheId: string | null;
  nicheSlug: string | null;
  deviceId: string | null;
  deviceName: string | null;
  state: AccountState;
  warmingDayCount: number;
  followers: number;
  following: number;
  bio: string | null;
  lastActivityAt: string | null;
  lastWarmedAt: string | null;
  lastPostAt: string | null;
  deletedAt: string | null;
  createdAt: string;
}

export interface SystemEvent {
  id: number;
  timestamp: string;
  category: string;
  severity: Severity;
  eventType: string;
  deviceId: string | null;
  accountId: string | null;
  message: string;
  context: Record<string, unknown>;
  resolved: boolean;
  resolvedBy: string | null;
  resolvedAt: string | null;
}

export interface WarmingSession {
  id: string;
  sessionKey: string | null;
  accountId: string;
  platform: string;
  username: string;
  deviceId: string | null;
  deviceName: string | null;
  phase: number;
  day: number;
  startedAt: string;
  completedAt: string | null;
  outcome: string | null;
}

export interface WarmingStatus {
  dueAccounts: number;
  queuedSessions: number;
  devices: {
    id: string;
    name: string;
    queued: number;
    currentSession: string | null;
    sessionsLastHour: number;
    utilisation: number;
  }[];
  lastHour: Record<string, number>;
}

interface StateRule {
  sessionsPerDay: number;
  minGapMinutes: number;
}
export interface WarmingPolicy {
  warming_p1: StateRule & { days: number };
  warming_p2: StateRule & { days: number };
  warming_p3: StateRule & { days: number };
}

export interface Distribution {
  id: string;
  contentId: string;
  accountId: string;
  username: string;
  platform: Platform;
  status: 'pending' | 'posted' | 'failed' | 'removed';
  caption: string | null;
  hashtags: string[];
  attempts: number;
  postedAt: string | null;
  platformPostId: string | null;
  createdAt: string;
}

export interface Content {
  id: string;
  topic: string;
  nicheId: string | null;
  nicheSlug: string | null;
  format: string | null;
  status: ProductionStatus;
  qualityScore: number | null;
  hookId: string | null;
  trendId: string | null;
  hasVideo: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Failure {
  stage: string;
  reason: string;
  at: string;
}

export interface ContentDetails extends Content {
  script: {
    title: string;
    hook: string;
    beats: { onScreenText: string; narration: string }[];
    cta: string;
    narration: string;
    hashtags: string[];
    writer: string;
  } | null;
  outputPath: string | null;
  failure: Failure | null;
  previousFailures: Failure[];
  quality: {
    score: number;
    checks: { name: string; passed: boolean; value: number | string | null; expected: string }[];
  } | null;
  distributions: Distribution[];
}

export interface Hook {
  id: string;
  category: string;
  template: string;
  nicheSlug: string | null;
  effectivenessScore: number | null;
  usageCount: number;
}

export interface LeaderboardEntry {
  rank: number;
  hook: Hook;
  mean: number;
  samples: number;
}

export interface Trend {
  id: string;
  nicheSlug: string | null;
  topic: string;
  source: string;
  sourceUrl: string | null;
  sourceGroup: string | null;
  trendScore: number | null;
  overperformanceRatio: number | null;
  engagement: number | null;
  velocity: number | null;
  isActive: boolean;
  publishedAt: string | null;
  discoveredAt: string;
}

export interface AccountHour {
  bucket: string;
  distributions: number;
  views: number;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  engagementRate: number | null;
  followers: number | null;
}

export interface NicheDay {
  day: string;
  viewsGained: number;
  likesGained: number;
  engagementRate: number | null;
  followers: number | null;
  posts: number;
  warmingSessions: number;
}

export interface TopContent {
  contentId: string;
  topic: string;
  viewsGained: number;
  likesGained: number;
  views: number;
}
