import Logging
import Recovery

/// Ganesha's lines at WARN or above that say nothing is wrong with the way share-manager
/// runs it, and that the rendered config cannot silence: the one place they are listed,
/// each with the reason it is harmless. They are logged at `loggedAt` instead of their own
/// level, so that a warning, an error or a critical line from Ganesha means something.
/// A line matches on its header's function and level (never taken from the message) and
/// on the start of its message.
struct KnownGaneshaLines {
    struct Entry: Sendable {
        let function: String
        let level: String
        let messageStart: String
        let loggedAt: Logger.Level
        let why: String
    }

    // Checked on 4.3 (the host's) and 6.5 (trixie through scripts/ganesha-in-root.sh); the
    // config has no setting that stops any of them (docs/ganesha-dbus.md, "Known harmless
    // warnings"). Kerberos and ID-mapping notes go to debug, the rest to info.
    static let entries: [Entry] = [
        Entry(function: "load_rados_config", level: "WARN", messageStart: "Missing RADOS URLs backend library", loggedAt: .info,
              why: "no Ceph RADOS config URLs are used; Ganesha looks for their library at every start"),
        Entry(function: "__Register_program", level: "MAJ", messageStart: "Cannot register NFS V4 on TCP", loggedAt: .info,
              why: "no rpcbind (none in a Pod); NFSv4 clients connect to the port directly"),
        Entry(function: "find_keytab_entry", level: "WARN", messageStart: "Configuration file does not specify default realm", loggedAt: .debug,
              why: "Kerberos is off (Active_krb5 = false); 4.3 still sets up callback credentials"),
        Entry(function: "gssd_refresh_krb5_machine_credential", level: "CRIT", messageStart: "ERROR: gssd_refresh_krb5_machine_credential: no usable keytab entry", loggedAt: .debug,
              why: "Kerberos is off: no keytab, none needed (4.3)"),
        Entry(function: "nfs_rpc_cb_init_ccache", level: "WARN", messageStart: "gssd_refresh_krb5_machine_credential failed", loggedAt: .debug,
              why: "Kerberos is off: no keytab, none needed (4.3)"),
        Entry(function: "nfs_set_param_from_conf", level: "WARN", messageStart: "domainname in NFSv4 config section will soon be deprecated", loggedAt: .debug,
              why: "6.x warns with or without a DIRECTORY_SERVICES block, which 4.3 does not know"),
        Entry(function: "nfs_set_param_from_conf", level: "WARN", messageStart: "Use idmapped_user_time_validity under DIRECTORY_SERVICES", loggedAt: .debug,
              why: "6.x warns with or without a DIRECTORY_SERVICES block, which 4.3 does not know"),
        Entry(function: "nfs_set_param_from_conf", level: "WARN", messageStart: "Use idmapped_group_time_validity under DIRECTORY_SERVICES", loggedAt: .debug,
              why: "6.x warns with or without a DIRECTORY_SERVICES block, which 4.3 does not know"),
        Entry(function: "main", level: "WARN", messageStart: "Failed to set PR_SET_IO_FLUSHER due to EPERM", loggedAt: .info,
              why: "without CAP_SYS_RESOURCE (6.1 and later, Allow_Set_Io_Flusher_Fail = true); matters only when this host mounts the export"),
    ]

    static func match(_ line: GaneshaLogLine) -> Entry? {
        entries.first { $0.function == line.function && $0.level == line.level && line.message.hasPrefix($0.messageStart) }
    }
}
