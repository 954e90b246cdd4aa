import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { END_REASONS } from '../../shared/protocol';
import { callFields, StoreUnavailableError, type CallRecord, type Store } from './types';

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
    await guarded(() => calls.createIndexes());
    return new MongooseStore(connection, calls);
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

  async close(): Promise<void> {
    await this.connection.close();
  }
}
