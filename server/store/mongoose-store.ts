import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { END_REASONS, REPORT_REASONS } from '../../shared/protocol';
import {
  banFields,
  callFields,
  pairKey,
  reportFields,
  StoreUnavailableError,
  type BanRecord,
  type CallRecord,
  type ReportRecord,
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
    reporterId: { type: String, required: true },
    reportedId: { type: String, required: true, index: true },
    matchId: { type: String, required: true },
    reason: { type: String, required: true, enum: REPORT_REASONS },
    details: { type: String, maxlength: 300 },
    at: { type: Date, required: true },
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
    installId: { type: String, required: true, index: true },
    offence: { type: Number, required: true, min: 1 },
    at: { type: Date, required: true },
    until: { type: Date, required: true },
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
    await guarded(() => Promise.all([calls, reports, blocks, bans].map((model) => model.createIndexes())));
    return new MongooseStore(connection, calls, reports, blocks, bans);
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

  async addReport(report: ReportRecord): Promise<void> {
    await guarded(() => this.reports.create(reportFields(report)));
  }

  async distinctReporters(reportedId: string, since: Date): Promise<number> {
    const docs = await guarded(() => this.reports.find({ reportedId, at: { $gte: since } }, { reporterId: 1, _id: 0 }).lean<Pick<ReportRecord, 'reporterId'>[]>().exec());
    return new Set(docs.map((doc) => doc.reporterId)).size;
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

  async addBan(ban: BanRecord): Promise<void> {
    await guarded(() => this.bans.create(banFields(ban)));
  }

  async latestBan(installId: string): Promise<BanRecord | undefined> {
    const doc = await guarded(() => this.bans.findOne({ installId }).sort({ offence: -1 }).lean<BanRecord>().exec());
    return doc ? banFields(doc) : undefined;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
