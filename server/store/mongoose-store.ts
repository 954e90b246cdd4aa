import { randomUUID } from 'node:crypto';
import mongoose, { Schema, type Connection, type ConnectOptions, type Model } from 'mongoose';
import type { Logger } from 'pino';
import { END_REASONS, REPORT_REASONS } from '../../shared/protocol';
import {
  appealFields,
  auditFields,
  banFields,
  callFields,
  pairKey,
  reportFields,
  StoreUnavailableError,
  type AppealRecord,
  type AuditEntry,
  type BanRecord,
  type CallRecord,
  type NewAppeal,
  type NewAuditEntry,
  type NewBan,
  type NewReport,
  type ReportRecord,
  type ReporterStanding,
  type Store,
} from './types';

const callSchema = new Schema<CallRecord>(
  {
    matchId: { type: String, required: true, unique: true },
    startedAt: { type: Date, required: true },
    endedAt: { type: Date, required: true, index: true },
    endReason: { type: String, required: true, enum: END_REASONS },
    durationMs: { type: Number, required: true, min: 0 },
  },
  { versionKey: false },
);

const reportSchema = new Schema<ReportRecord>(
  {
    id: { type: String, required: true, unique: true },
    reporterId: { type: String, required: true, index: true },
    reportedId: { type: String, required: true, index: true },
    matchId: { type: String, required: true },
    reason: { type: String, required: true, enum: REPORT_REASONS },
    details: { type: String, maxlength: 300 },
    at: { type: Date, required: true },
    status: { type: String, required: true, enum: ['open', 'upheld', 'dismissed'], index: true },
    decidedBy: { type: String },
    decidedAt: { type: Date },
  },
  { versionKey: false },
);
// One report per reporter and match: a report resent after `unavailable` (whose write landed late) is not counted twice.
reportSchema.index({ reporterId: 1, matchId: 1 }, { unique: true });

interface BlockDoc {
  key: string;
  a: string;
  b: string;
}
const blockSchema = new Schema<BlockDoc>(
  {
    key: { type: String, required: true, unique: true },
    a: { type: String, required: true, index: true },
    b: { type: String, required: true, index: true },
  },
  { versionKey: false },
);

const banSchema = new Schema<BanRecord>(
  {
    id: { type: String, required: true, unique: true },
    installId: { type: String, required: true, index: true },
    offence: { type: Number, required: true, min: 1 },
    reason: { type: String, required: true, enum: REPORT_REASONS },
    by: { type: String, required: true },
    at: { type: Date, required: true },
    until: { type: Date, required: true },
    liftedAt: { type: Date },
    liftedBy: { type: String },
  },
  { versionKey: false },
);

const appealSchema = new Schema<AppealRecord>(
  {
    id: { type: String, required: true, unique: true },
    // One appeal per ban, enforced by the database.
    banId: { type: String, required: true, unique: true },
    installId: { type: String, required: true, index: true },
    text: { type: String, required: true, maxlength: 500 },
    at: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);

const auditSchema = new Schema<AuditEntry>(
  {
    id: { type: String, required: true, unique: true },
    at: { type: Date, required: true, index: true },
    moderator: { type: String, required: true },
    action: { type: String, required: true, enum: ['dismiss', 'uphold', 'ban', 'lift'] },
    installId: { type: String, required: true },
    reportId: { type: String },
    before: { type: String, required: true },
    after: { type: String, required: true },
  },
  { versionKey: false },
);

const DUPLICATE_KEY = 11000;

/** Runs a query; any driver failure becomes StoreUnavailableError (never a hang: commands are not buffered). */
async function guarded<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}

function connectOptions(serverSelectionTimeoutMS = 3000): ConnectOptions {
  return {
    // Fail fast when the database is away instead of queueing commands forever.
    bufferCommands: false,
    serverSelectionTimeoutMS,
    // A database that hangs (rather than refuses) must not hold an operation forever either.
    socketTimeoutMS: 10_000,
    // Collections are created on first insert: some MongoDB-compatible engines reject explicit create.
    autoCreate: false,
    autoIndex: false,
  };
}

/** MongoDB through Mongoose, used whenever MONGODB_URI is set. */
export class MongooseStore implements Store {
  readonly kind = 'mongodb' as const;
  readonly calls: Model<CallRecord>;
  readonly reports: Model<ReportRecord>;
  readonly blocks: Model<BlockDoc>;
  readonly bans: Model<BanRecord>;
  readonly appeals: Model<AppealRecord>;
  readonly audit: Model<AuditEntry>;
  #closed = false;

  private constructor(private readonly connection: Connection) {
    this.calls = connection.model<CallRecord>('Call', callSchema);
    this.reports = connection.model<ReportRecord>('Report', reportSchema);
    this.blocks = connection.model<BlockDoc>('Block', blockSchema);
    this.bans = connection.model<BanRecord>('Ban', banSchema);
    this.appeals = connection.model<AppealRecord>('Appeal', appealSchema);
    this.audit = connection.model<AuditEntry>('AuditEntry', auditSchema);
  }

  /** Connects, or rejects with StoreUnavailableError (for tests and tools that need the database now). */
  static async connect(uri: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<MongooseStore> {
    const connection = mongoose.createConnection(uri, connectOptions(options.serverSelectionTimeoutMS));
    await guarded(() => connection.asPromise());
    const store = new MongooseStore(connection);
    await guarded(() => store.#createIndexes());
    return store;
  }

  /**
   * The server's way in: returns at once and connects in the background,
   * retrying until the database answers, so a database that is down at start
   * stops nothing but the writes (which fail fast meanwhile and are retried
   * by their callers). Once connected, the driver itself reconnects.
   */
  static open(uri: string, log: Logger, options: { serverSelectionTimeoutMS?: number; retryMs?: number } = {}): MongooseStore {
    const store = new MongooseStore(mongoose.createConnection());
    void store.#connectLoop(uri, log, options.serverSelectionTimeoutMS, options.retryMs ?? 2000);
    return store;
  }

  async #connectLoop(uri: string, log: Logger, serverSelectionTimeoutMS: number | undefined, retryMs: number): Promise<void> {
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        await this.connection.openUri(uri, connectOptions(serverSelectionTimeoutMS));
        await this.#createIndexes();
        log.info({ store: 'mongodb' }, 'Connected to MongoDB');
        return;
      } catch (error) {
        if (this.#closed) return;
        log.error({ err: error, attempt, retryInMs: retryMs }, 'MongoDB unreachable: carrying on without it and retrying');
        await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
      }
    }
  }

  async #createIndexes(): Promise<void> {
    await Promise.all([this.calls, this.reports, this.blocks, this.bans, this.appeals, this.audit].map((model) => model.createIndexes()));
  }

  async recordCall(call: CallRecord): Promise<void> {
    try {
      await this.calls.create(call);
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) return;
      throw new StoreUnavailableError(error);
    }
  }

  async findCall(matchId: string): Promise<CallRecord | undefined> {
    const doc = await guarded(() => this.calls.findOne({ matchId }).lean<CallRecord>().exec());
    return doc ? callFields(doc) : undefined;
  }

  async recentCalls(limit: number): Promise<CallRecord[]> {
    const docs = await guarded(() => this.calls.find().sort({ endedAt: -1 }).limit(limit).lean<CallRecord[]>().exec());
    return docs.map(callFields);
  }

  async countCalls(): Promise<number> {
    return guarded(() => this.calls.countDocuments().exec());
  }

  async deleteCallsBefore(before: Date): Promise<number> {
    const result = await guarded(() => this.calls.deleteMany({ endedAt: { $lt: before } }).exec());
    return result.deletedCount;
  }

  async addReport(report: NewReport): Promise<ReportRecord> {
    const record = reportFields({ ...report, id: randomUUID(), status: 'open' });
    try {
      await this.reports.create(record);
      return record;
    } catch (error) {
      if ((error as { code?: number }).code !== DUPLICATE_KEY) throw new StoreUnavailableError(error);
    }
    // Resent after `unavailable` while the first write landed late: the stored one stands.
    const stored = await guarded(() => this.reports.findOne({ reporterId: report.reporterId, matchId: report.matchId }).lean<ReportRecord>().exec());
    if (!stored) throw new StoreUnavailableError(new Error('duplicate report not found'));
    return reportFields(stored);
  }

  async findReport(id: string): Promise<ReportRecord | undefined> {
    const doc = await guarded(() => this.reports.findOne({ id }).lean<ReportRecord>().exec());
    return doc ? reportFields(doc) : undefined;
  }

  async decideReport(id: string, status: 'upheld' | 'dismissed', by: string, at: Date): Promise<ReportRecord | undefined> {
    const doc = await guarded(() =>
      this.reports.findOneAndUpdate({ id }, { $set: { status, decidedBy: by, decidedAt: at } }, { returnDocument: 'after' }).lean<ReportRecord>().exec(),
    );
    return doc ? reportFields(doc) : undefined;
  }

  async reportsAgainst(reportedId: string): Promise<ReportRecord[]> {
    const docs = await guarded(() => this.reports.find({ reportedId }).sort({ at: -1 }).lean<ReportRecord[]>().exec());
    return docs.map(reportFields);
  }

  async openReports(limit: number): Promise<ReportRecord[]> {
    const docs = await guarded(() => this.reports.find({ status: 'open' }).sort({ at: -1 }).limit(limit).lean<ReportRecord[]>().exec());
    return docs.map(reportFields);
  }

  async reporterStanding(reporterId: string): Promise<ReporterStanding> {
    const docs = await guarded(() => this.reports.find({ reporterId }, { status: 1, _id: 0 }).lean<Pick<ReportRecord, 'status'>[]>().exec());
    const standing: ReporterStanding = { upheld: 0, dismissed: 0, open: 0 };
    for (const doc of docs) standing[doc.status]++;
    return standing;
  }

  async deleteDismissedReportsBefore(before: Date): Promise<number> {
    const result = await guarded(() => this.reports.deleteMany({ status: 'dismissed', at: { $lt: before } }).exec());
    return result.deletedCount;
  }

  async addBlock(a: string, b: string): Promise<void> {
    try {
      await this.blocks.create({ key: pairKey(a, b), a, b });
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) return;
      throw new StoreUnavailableError(error);
    }
  }

  async blockedWith(installId: string): Promise<string[]> {
    const docs = await guarded(() => this.blocks.find({ $or: [{ a: installId }, { b: installId }] }).lean<BlockDoc[]>().exec());
    return [...new Set(docs.map((doc) => (doc.a === installId ? doc.b : doc.a)))];
  }

  async addBan(ban: NewBan): Promise<BanRecord> {
    const record = banFields({ ...ban, id: randomUUID() });
    await guarded(() => this.bans.create(record));
    return record;
  }

  async latestBan(installId: string): Promise<BanRecord | undefined> {
    const doc = await guarded(() => this.bans.findOne({ installId }).sort({ at: -1, offence: -1 }).lean<BanRecord>().exec());
    return doc ? banFields(doc) : undefined;
  }

  async bansOf(installId: string): Promise<BanRecord[]> {
    const docs = await guarded(() => this.bans.find({ installId }).sort({ at: -1, offence: -1 }).lean<BanRecord[]>().exec());
    return docs.map(banFields);
  }

  async liftBan(id: string, by: string, at: Date): Promise<BanRecord | undefined> {
    // Only a ban not lifted yet matches, so two moderators lifting at once record one lift.
    const doc = await guarded(() =>
      this.bans
        .findOneAndUpdate({ id, liftedAt: { $exists: false } }, { $set: { liftedAt: at, liftedBy: by } }, { returnDocument: 'after' })
        .lean<BanRecord>()
        .exec(),
    );
    return doc ? banFields(doc) : undefined;
  }

  async addAppeal(appeal: NewAppeal): Promise<AppealRecord | undefined> {
    const record = appealFields({ ...appeal, id: randomUUID() });
    try {
      await this.appeals.create(record);
      return record;
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) return undefined;
      throw new StoreUnavailableError(error);
    }
  }

  async appealOf(banId: string): Promise<AppealRecord | undefined> {
    const doc = await guarded(() => this.appeals.findOne({ banId }).lean<AppealRecord>().exec());
    return doc ? appealFields(doc) : undefined;
  }

  async recentAppeals(limit: number): Promise<AppealRecord[]> {
    const docs = await guarded(() => this.appeals.find().sort({ at: -1 }).limit(limit).lean<AppealRecord[]>().exec());
    return docs.map(appealFields);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const record = auditFields({ ...entry, id: randomUUID() });
    await guarded(() => this.audit.create(record));
    return record;
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    const docs = await guarded(() => this.audit.find().sort({ at: -1, _id: -1 }).limit(limit).lean<AuditEntry[]>().exec());
    return docs.map(auditFields);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.connection.close();
  }
}
