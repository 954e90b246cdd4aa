import { randomUUID } from 'node:crypto';
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
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

/** MongoDB through Mongoose, used whenever MONGODB_URI is set. */
export class MongooseStore implements Store {
  readonly kind = 'mongodb' as const;

  private constructor(
    private readonly connection: Connection,
    private readonly calls: Model<CallRecord>,
    private readonly reports: Model<ReportRecord>,
    private readonly blocks: Model<BlockDoc>,
    private readonly bans: Model<BanRecord>,
    private readonly appeals: Model<AppealRecord>,
    private readonly audit: Model<AuditEntry>,
  ) {}

  static async connect(uri: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<MongooseStore> {
    const connection = mongoose.createConnection(uri, {
      // Fail fast when the database is away instead of queueing commands forever.
      bufferCommands: false,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 3000,
      // Collections are created on first insert: some MongoDB-compatible engines reject explicit create.
      autoCreate: false,
      autoIndex: false,
    });
    await guarded(() => connection.asPromise());
    const calls = connection.model<CallRecord>('Call', callSchema);
    const reports = connection.model<ReportRecord>('Report', reportSchema);
    const blocks = connection.model<BlockDoc>('Block', blockSchema);
    const bans = connection.model<BanRecord>('Ban', banSchema);
    const appeals = connection.model<AppealRecord>('Appeal', appealSchema);
    const audit = connection.model<AuditEntry>('AuditEntry', auditSchema);
    await guarded(() => Promise.all([calls, reports, blocks, bans, appeals, audit].map((model) => model.createIndexes())));
    return new MongooseStore(connection, calls, reports, blocks, bans, appeals, audit);
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
    await guarded(() => this.reports.create(record));
    return record;
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
    await this.connection.close();
  }
}
