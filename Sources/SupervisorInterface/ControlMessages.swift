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

        public init(volume: String, version: String, phase: String, device: Device? = nil, export: Export, grace: Grace, ganesha: Ganesha, endpoint: NFSEndpoint? = nil) {
            self.volume = volume
            self.version = version
            self.phase = phase
            self.device = device
            self.export = export
            self.grace = grace
            self.ganesha = ganesha
            self.endpoint = endpoint
        }
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

        public init(path: String, filesystem: String, mountPoint: String, adopted: Bool, formattedThisStart: Bool, sizeBytes: Int64? = nil, availableBytes: Int64? = nil, health: String, full: [String] = []) {
            self.path = path
            self.filesystem = filesystem
            self.mountPoint = mountPoint
            self.adopted = adopted
            self.formattedThisStart = formattedThisStart
            self.sizeBytes = sizeBytes
            self.availableBytes = availableBytes
            self.health = health
            self.full = full
        }
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

        public init(pseudo: String, path: String, exportID: Int, accessType: String, active: Bool? = nil, offline: Bool) {
            self.pseudo = pseudo
            self.path = path
            self.exportID = exportID
            self.accessType = accessType
            self.active = active
            self.offline = offline
        }
    }

    public struct Grace: Codable, Sendable {
        public var active: Bool
        public var remainingSeconds: Int
        public var recordedClients: Int
        public var reclaimedClients: Int
        /// Recorded clients that have not reclaimed yet.
        public var pending: [String]

        public init(active: Bool, remainingSeconds: Int, recordedClients: Int, reclaimedClients: Int, pending: [String]) {
            self.active = active
            self.remainingSeconds = remainingSeconds
            self.recordedClients = recordedClients
            self.reclaimedClients = reclaimedClients
            self.pending = pending
        }
    }

    public struct Ganesha: Codable, Sendable {
        public var pid: Int32?
        public var running: Bool
        public var restarts: Int

        public init(pid: Int32? = nil, running: Bool, restarts: Int) {
            self.pid = pid
            self.running = running
            self.restarts = restarts
        }
    }

    public struct Clients: Codable, Sendable {
        public var connected: [ConnectedClient]
        public var recorded: [RecordedClient]
        public var grace: Grace

        public init(connected: [ConnectedClient], recorded: [RecordedClient], grace: Grace) {
            self.connected = connected
            self.recorded = recorded
            self.grace = grace
        }
    }

    public struct ConnectedClient: Codable, Sendable {
        public var address: String
        public var protocols: [String]
        /// Seconds since the Unix epoch of Ganesha's last request from it.
        public var lastActivity: Double?

        public init(address: String, protocols: [String], lastActivity: Double? = nil) {
            self.address = address
            self.protocols = protocols
            self.lastActivity = lastActivity
        }
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

        public init(record: String, address: String, previousInstance: Bool, current: Bool, reclaimed: Bool) {
            self.record = record
            self.address = address
            self.previousInstance = previousInstance
            self.current = current
            self.reclaimed = reclaimed
        }
    }

    public struct Resize: Codable, Sendable {
        /// unchanged, grown, device-shrank or online-grow-failed.
        public var outcome: String
        public var fromBytes: Int64?
        public var toBytes: Int64?
        public var message: String

        public init(outcome: String, fromBytes: Int64? = nil, toBytes: Int64? = nil, message: String) {
            self.outcome = outcome
            self.fromBytes = fromBytes
            self.toBytes = toBytes
            self.message = message
        }
    }

    public struct Trim: Codable, Sendable {
        public var trimmedBytes: Int64?

        public init(trimmedBytes: Int64? = nil) {
            self.trimmedBytes = trimmedBytes
        }
    }

    /// POST /v1/log-level: either part may be left out.
    public struct LogLevel: Codable, Sendable {
        /// share-manager's own level: trace, debug, info, notice, warning, error or critical.
        public var shareManager: String?
        /// Ganesha's level for `component`: NIV_NULL … NIV_FULL_DEBUG (or without the prefix).
        public var ganesha: String?
        /// A Ganesha log component (`COMPONENT_…`); default COMPONENT_ALL.
        public var component: String?

        public init(shareManager: String? = nil, ganesha: String? = nil, component: String? = nil) {
            self.shareManager = shareManager
            self.ganesha = ganesha
            self.component = component
        }
    }

    public struct Result: Codable, Sendable {
        public var ok: Bool
        public var message: String

        public init(ok: Bool, message: String) {
            self.ok = ok
            self.message = message
        }
    }

    public struct Failure: Codable, Sendable {
        public var error: String

        public init(error: String) {
            self.error = error
        }
    }
}
