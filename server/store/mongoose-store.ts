import mongoose, { Schema, type Connection, type ConnectOptions, type Model } from 'mongoose';
import type { Logger } from 'pino';
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
  #closed = false;

  private constructor(private readonly connection: Connection) {
    this.calls = connection.model<CallRecord>('Call', callSchema);
    this.reports = connection.model<ReportRecord>('Report', reportSchema);
    this.blocks = connection.model<BlockDoc>('Block', blockSchema);
    this.bans = connection.model<BanRecord>('Ban', banSchema);
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
    await Promise.all([this.calls, this.reports, this.blocks, this.bans].map((model) => model.createIndexes()));
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
    try {
      await this.reports.create(reportFields(report));
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) return;
      throw new StoreUnavailableError(error);
    }
  }

  async reportsAbout(reportedId: string): Promise<ReportRecord[]> {
    const docs = await guarded(() => this.reports.find({ reportedId }).sort({ at: 1 }).lean<ReportRecord[]>().exec());
    return docs.map(reportFields);
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
    this.#closed = true;
    await this.connection.close();
  }
}
