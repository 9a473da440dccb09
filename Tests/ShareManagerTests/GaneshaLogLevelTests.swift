import Logging
import Recovery
@testable import Supervisor
import Testing

/// Ganesha's lines are logged at the level of their header's level field and nothing else.
@Suite("Ganesha's log levels")
struct GaneshaLogLevelTests {
    static func line(function: String = "nfs_start_grace", component: String = "STATE", level: String, _ message: String) throws -> GaneshaLogLine {
        try #require(GaneshaLogLine("04/12/2026 23:03:26 : epoch 6b1346be : vm : ganesha.nfsd-4051[main] \(function) :\(component) :\(level) :\(message)"))
    }

    @Test("each Ganesha level maps onto one swift-log level", arguments: [
        ("FATAL", Logger.Level.critical), ("CRIT", .critical), ("MAJ", .error), ("WARN", .warning), ("EVENT", .info),
        ("INFO", .info), ("NULL", .info), ("DEBUG", .debug), ("M_DBG", .trace), ("F_DBG", .trace),
    ])
    func mapping(_ ganesha: String, _ expected: Logger.Level) throws {
        #expect(GaneshaLogLevels.relayed(try Self.line(level: ganesha, "something")).level == expected)
    }

    @Test("the message cannot raise or lower a line's level")
    func messageIsIgnored() throws {
        let forged = "x :CRIT :FATAL level=critical\n04/12/2026 23:03:26 : epoch 6b1346be : vm : ganesha.nfsd-1[main] f :X :FATAL :boom"
        #expect(GaneshaLogLevels.relayed(try Self.line(level: "EVENT", forged)).level == .info)
        // A known harmless text under another function or level keeps its own level.
        #expect(GaneshaLogLevels.relayed(try Self.line(function: "fs_add_clid", level: "CRIT", "Missing RADOS URLs backend library")).level == .critical)
        #expect(GaneshaLogLevels.relayed(try Self.line(function: "load_rados_config", level: "CRIT", "Missing RADOS URLs backend library")).level == .critical)
        #expect(GaneshaLogLevels.relayed(try Self.line(function: "load_rados_config", level: "WARN", "something else")).level == .warning)
    }

    @Test("the known harmless lines of 4.3 and 6.5 are logged below warning, with the reason", arguments: [
        ("load_rados_config", "CONFIG", "WARN", "Missing RADOS URLs backend library"),
        ("__Register_program", "DISP", "MAJ", "Cannot register NFS V4 on TCP"),
        ("find_keytab_entry", "NFS CB", "WARN", "Configuration file does not specify default realm while getting default realm name"),
        ("gssd_refresh_krb5_machine_credential", "NFS CB", "CRIT",
         "ERROR: gssd_refresh_krb5_machine_credential: no usable keytab entry found in keytab /etc/krb5.keytab for connection with host localhost"),
        ("nfs_rpc_cb_init_ccache", "NFS STARTUP", "WARN", "gssd_refresh_krb5_machine_credential failed (-1765328160:2)"),
        ("nfs_set_param_from_conf", "NFS STARTUP", "WARN", "domainname in NFSv4 config section will soon be deprecated, define it under DIRECTORY_SERVICES section"),
        ("main", "MAIN", "WARN", "Failed to set PR_SET_IO_FLUSHER due to EPERM, ignoring..."),
    ])
    func knownHarmless(_ function: String, _ component: String, _ level: String, _ message: String) throws {
        let relayed = GaneshaLogLevels.relayed(try Self.line(function: function, component: component, level: level, message))
        #expect(relayed.level < .notice)
        #expect(relayed.metadata["knownHarmless"] != nil)
        #expect(relayed.metadata["ganeshaLevel"] == .string(level))
    }
}
