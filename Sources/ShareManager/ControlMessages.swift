/// The control API's JSON bodies (see docs/control-api.md). Field names are the contract
/// with scripts and the CLI: add fields, never rename them.
public enum ControlMessage {
    public struct Status: Codable, Sendable {
        public var volume: String
        public var version: String
        public var phase: String
        public var device: Device?
        public var export: Export
        public var grace: Grace
        public var ganesha: Ganesha
        public var endpoint: NFSEndpoint?
    }

    public struct Device: Codable, Sendable {
        public var path: String
        public var filesystem: String
        public var mountPoint: String
        public var adopted: Bool
        public var formattedThisStart: Bool
        public var sizeBytes: Int64?
        public var availableBytes: Int64?
        /// "healthy", why the volume is full, or why the filesystem refuses writes.
        public var health: String
        /// What ran out ("blocks", "inodes"): empty while clients can write.
        public var full: [String] = []
    }

    public struct Export: Codable, Sendable {
        public var pseudo: String
        public var path: String
        public var exportID: Int
        public var accessType: String
        /// Whether Ganesha lists it as active; nil when Ganesha could not be asked.
        public var active: Bool?
        /// Taken offline with POST /v1/unexport.
        public var offline: Bool
    }

    public struct Grace: Codable, Sendable {
        public var active: Bool
        public var remainingSeconds: Int
        public var recordedClients: Int
        public var reclaimedClients: Int
        /// Recorded clients that have not reclaimed yet.
        public var pending: [String]
    }

    public struct Ganesha: Codable, Sendable {
        public var pid: Int32?
        public var running: Bool
        public var restarts: Int
    }

    public struct Clients: Codable, Sendable {
        public var connected: [ConnectedClient]
        public var recorded: [RecordedClient]
        public var grace: Grace
    }

    public struct ConnectedClient: Codable, Sendable {
        public var address: String
        public var protocols: [String]
        /// Seconds since the Unix epoch of Ganesha's last request from it.
        public var lastActivity: Double?
    }

    /// One record of the recovery store: the client's right to reclaim after a restart.
    public struct RecordedClient: Codable, Sendable {
        /// The record's name: `<address>-(<length>:<client owner>`.
        public var record: String
        public var address: String
        /// Held by the previous Ganesha instance (`v4old`): this client may reclaim now.
        public var previousInstance: Bool
        /// Confirmed by the running instance (`v4recov`).
        public var current: Bool
        /// A previous-instance client that has reclaimed (it is confirmed again).
        public var reclaimed: Bool
    }

    public struct Resize: Codable, Sendable {
        /// unchanged, grown, device-shrank or online-grow-failed.
        public var outcome: String
        public var fromBytes: Int64?
        public var toBytes: Int64?
        public var message: String
    }

    public struct Trim: Codable, Sendable {
        public var trimmedBytes: Int64?
    }

    /// POST /v1/log-level: either part may be left out.
    public struct LogLevel: Codable, Sendable {
        /// share-manager's own level: trace, debug, info, notice, warning, error or critical.
        public var shareManager: String?
        /// Ganesha's level for `component`: NIV_NULL … NIV_FULL_DEBUG (or without the prefix).
        public var ganesha: String?
        /// A Ganesha log component (`COMPONENT_…`); default COMPONENT_ALL.
        public var component: String?
    }

    public struct Result: Codable, Sendable {
        public var ok: Bool
        public var message: String
    }

    public struct Failure: Codable, Sendable {
        public var error: String
    }
}
