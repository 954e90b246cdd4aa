/**
 * What moderators see and do: the review queue, a person's history, appeals,
 * and the four actions, each written to the append-only audit log. Appeals
 * from banned people come in here too. Install ids leave this module only
 * toward the console, which only moderators can reach.
 */
import { FOREVER, inForce, type AppealRecord, type AuditEntry, type BanRecord, type ReporterStanding, type ReportReason, type ReportRecord, type Store } from '../store';
import { reporterWeight, SEVERITY } from '../services/safety';
import { until as untilText } from './format';

export interface ReportView extends ReportRecord {
  /** The reported call's length, when its record is still kept. */
  durationMs?: number;
  /** How the reporter's reports went so far. */
  standing: ReporterStanding;
  /** How much this reporter counts toward an automatic ban (reporterWeight). */
  weight: number;
}

export interface PersonView {
  installId: string;
  /** Every report against them, newest first. */
  reports: ReportView[];
  /** Every ban, newest first, lifted ones included. */
  bans: BanRecord[];
  activeBan?: BanRecord;
  /** The appeal of the ban in force, if they sent one. */
  appeal?: AppealRecord;
}

export interface QueueEntry extends PersonView {
  /** Open reports only, newest first. */
  open: ReportView[];
  /** The most severe reason among the open reports. */
  severity: ReportReason;
  reporters: number;
  latestAt: Date;
}

export interface AppealView {
  appeal: AppealRecord;
  ban?: BanRecord;
  /** The ban is still in force: the appeal waits for a decision. */
  pending: boolean;
}

/** A ban for a chosen number of seconds, or for good. */
export type BanLength = { seconds: number } | 'forever';

export type ActionResult = { ok: true } | { ok: false; code: 'not_found' | 'not_banned' };
export type AppealResult = { ok: true } | { ok: false; code: 'not_banned' | 'already_appealed' };

/** underage first, then nudity, then everything else alike. */
const tier = (reason: ReportReason) => Math.min(SEVERITY.indexOf(reason), 2);

/** Most urgent first: severity tier, then distinct reporters, then the most recent report. */
export function byUrgency(a: QueueEntry, b: QueueEntry): number {
  return tier(a.severity) - tier(b.severity) || b.reporters - a.reporters || b.latestAt.getTime() - a.latestAt.getTime();
}

function describeBan(ban: BanRecord | undefined, now: number): string {
  if (!ban || !inForce(ban, now)) return 'not banned';
  return `banned ${untilText(ban.until)} (${ban.reason}, offence ${ban.offence})`;
}

export interface ModerationHooks {
  /** Someone was just banned: refuse them from now on and drop their live connections on every process, so the ban shows at once. */
  banned(ban: BanRecord): Promise<void>;
  /** Someone's ban was lifted: let their next connection in at once, on every process. */
  lifted(installId: string): Promise<void>;
}

export class Moderation {
  constructor(
    private readonly store: Store,
    /** Makes a decision take effect at once on live connections (see ModerationHooks). */
    private readonly hooks: ModerationHooks,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reported people with open reports, most urgent first. */
  async queue(limit = 50): Promise<QueueEntry[]> {
    const open = await this.store.openReports(1000);
    const ids = [...new Set(open.map((r) => r.reportedId))];
    const entries = await Promise.all(
      ids.map(async (installId): Promise<QueueEntry> => {
        const person = await this.person(installId);
        const pending = person.reports.filter((r) => r.status === 'open');
        return {
          ...person,
          open: pending,
          severity: [...SEVERITY].find((reason) => pending.some((r) => r.reason === reason)) ?? 'other',
          reporters: new Set(pending.map((r) => r.reporterId)).size,
          latestAt: pending[0]!.at,
        };
      }),
    );
    return entries.sort(byUrgency).slice(0, limit);
  }

  async person(installId: string): Promise<PersonView> {
    const [reports, bans] = await Promise.all([this.store.reportsAgainst(installId), this.store.bansOf(installId)]);
    const standings = new Map<string, Promise<ReporterStanding>>();
    const views = await Promise.all(
      reports.map(async (report): Promise<ReportView> => {
        if (!standings.has(report.reporterId)) standings.set(report.reporterId, this.store.reporterStanding(report.reporterId));
        const [call, standing] = await Promise.all([this.store.findCall(report.matchId), standings.get(report.reporterId)!]);
        return { ...report, ...(call && { durationMs: call.durationMs }), standing, weight: reporterWeight(standing) };
      }),
    );
    const activeBan = bans[0] && inForce(bans[0], this.now()) ? bans[0] : undefined;
    const appeal = activeBan && (await this.store.appealOf(activeBan.id));
    return { installId, reports: views, bans, ...(activeBan && { activeBan }), ...(appeal && { appeal }) };
  }

  async appeals(limit = 50): Promise<AppealView[]> {
    const appeals = await this.store.recentAppeals(limit);
    return Promise.all(
      appeals.map(async (appeal) => {
        const ban = (await this.store.bansOf(appeal.installId)).find((b) => b.id === appeal.banId);
        return { appeal, ...(ban && { ban }), pending: ban !== undefined && inForce(ban, this.now()) };
      }),
    );
  }

  audit(limit = 200): Promise<AuditEntry[]> {
    return this.store.auditLog(limit);
  }

  async decide(moderator: string, reportId: string, status: 'upheld' | 'dismissed'): Promise<ActionResult> {
    const report = await this.store.findReport(reportId);
    if (!report) return { ok: false, code: 'not_found' };
    const at = new Date(this.now());
    await this.store.decideReport(reportId, status, moderator, at);
    await this.store.appendAudit({
      at,
      moderator,
      action: status === 'upheld' ? 'uphold' : 'dismiss',
      installId: report.reportedId,
      reportId,
      before: `report ${report.status}`,
      after: `report ${status}`,
    });
    return { ok: true };
  }

  /** Bans at once: the record first, then the person's live connections are dropped and refused on reconnect. */
  async ban(moderator: string, installId: string, length: BanLength, reason: ReportReason): Promise<ActionResult> {
    const now = this.now();
    const history = await this.store.bansOf(installId);
    const ban = await this.store.addBan({
      installId,
      offence: history.filter((b) => !b.liftedAt).length + 1,
      reason,
      by: moderator,
      at: new Date(now),
      until: length === 'forever' ? FOREVER : new Date(now + length.seconds * 1000),
    });
    await this.hooks.banned(ban);
    await this.store.appendAudit({ at: ban.at, moderator, action: 'ban', installId, before: describeBan(history[0], now), after: describeBan(ban, now) });
    return { ok: true };
  }

  /** Lifts the ban in force; it stays in the history, marked lifted. The next connection is let in. */
  async lift(moderator: string, installId: string): Promise<ActionResult> {
    const now = this.now();
    const current = await this.store.latestBan(installId);
    if (!current || !inForce(current, now)) return { ok: false, code: 'not_banned' };
    const lifted = await this.store.liftBan(current.id, moderator, new Date(now));
    if (!lifted) return { ok: false, code: 'not_banned' };
    await this.hooks.lifted(installId);
    await this.store.appendAudit({ at: new Date(now), moderator, action: 'lift', installId, before: describeBan(current, now), after: 'ban lifted' });
    return { ok: true };
  }

  /** A banned person's appeal of the ban in force (one per ban). */
  async appeal(installId: string, text: string): Promise<AppealResult> {
    const now = this.now();
    const ban = await this.store.latestBan(installId);
    if (!ban || !inForce(ban, now)) return { ok: false, code: 'not_banned' };
    const appeal = await this.store.addAppeal({ banId: ban.id, installId, text, at: new Date(now) });
    return appeal ? { ok: true } : { ok: false, code: 'already_appealed' };
  }
}
