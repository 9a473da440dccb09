/// One scrape's worth of facts, as plain values: the metrics module turns them into
/// Prometheus families and keeps Ganesha's counters monotonic across its restarts.
public struct MetricsSample: Sendable {
    /// One definition: Ganesha runs and its heartbeat is fresh.
    public var ganeshaUp: Bool = false
    public var ganeshaPid: Int32?
    /// Exports Ganesha lists as active, the pseudo root not counted; nil when not asked.
    public var exportsActive: Int?
    public var endpoint: NFSEndpoint?
    public var idmapDomain: String?
    /// nil until the volume is mounted.
    public var filesystem: FilesystemCondition?
    public var space: Space?
    public var grace: ControlMessage.Grace?
    public var ganeshaRestarts: Int = 0
    /// Client connections held open for Ganesha's restart; nil when none are kept (off, or refused).
    public var keptConnections: Int?
    public var recordWriteFailures: Int = 0
    public var heartbeatAge: Duration?
    /// Ganesha's own counters; nil while it does not run or has not answered yet.
    public var statistics: GaneshaCounters?
    /// This scrape's statistics failed or timed out: the values are the previous ones.
    public var statisticsFailed: Bool = false

    public init() {}

    public struct Space: Sendable, Equatable {
        public var sizeBytes: UInt64
        public var availableBytes: UInt64
        public var files: UInt64
        public var filesFree: UInt64
        public init(sizeBytes: UInt64, availableBytes: UInt64, files: UInt64, filesFree: UInt64) {
            self.sizeBytes = sizeBytes
            self.availableBytes = availableBytes
            self.files = files
            self.filesFree = filesFree
        }
    }
}

/// Ganesha's statistics counters as it last reported them. They restart from zero with
/// Ganesha; `epoch` (the process's start, in clock ticks after boot) tells one run from the next.
public struct GaneshaCounters: Sendable, Equatable {
    public var epoch: UInt64
    /// Requests per NFS version as people write it ("3", "4.0", "4.1", "4.2").
    public var operations: [String: UInt64]
    public var io: [ExportIO]
    public var clientsConnected: Int

    public init(epoch: UInt64, operations: [String: UInt64], io: [ExportIO], clientsConnected: Int) {
        self.epoch = epoch
        self.operations = operations
        self.io = io
        self.clientsConnected = clientsConnected
    }

    public struct ExportIO: Sendable, Equatable {
        public var exportID: UInt16
        public var nfsVersion: String
        public var read: Counters
        public var write: Counters
        public init(exportID: UInt16, nfsVersion: String, read: Counters, write: Counters) {
            self.exportID = exportID
            self.nfsVersion = nfsVersion
            self.read = read
            self.write = write
        }
    }

    public struct Counters: Sendable, Equatable {
        public var transferredBytes: UInt64
        public var operations: UInt64
        public var errors: UInt64
        public var latencyNanoseconds: UInt64
        public init(transferredBytes: UInt64, operations: UInt64, errors: UInt64, latencyNanoseconds: UInt64) {
            self.transferredBytes = transferredBytes
            self.operations = operations
            self.errors = errors
            self.latencyNanoseconds = latencyNanoseconds
        }
    }
}
