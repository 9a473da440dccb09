/// Everything the Ganesha templates need, each value already validated.
public struct GaneshaSettings: Sendable, Equatable {
    /// Fixed for ever: it is part of every client's file handles (0 is Ganesha's pseudo root).
    public static let exportID: UInt16 = 1

    /// Ganesha's Access_Type for the export.
    public enum AccessType: String, Sendable, Equatable {
        case readWrite = "RW"
        case readOnly = "RO"
    }

    public var volume: VolumeName
    public var nfsAddress: NetworkAddress
    public var nfsPort: UInt16
    public var gracePeriod: Int
    public var leaseLifetime: Int
    /// The folder Ganesha exports (`<mount point>/data`).
    public var exportPath: SafePath
    /// Ganesha's RecoveryRoot (`<mount point>/.share-manager/recovery`).
    public var recoveryRoot: SafePath
    public var accessType: AccessType
    /// A per-volume idmapd.conf for Ganesha (`NFSV4 { IdmapConf }`); nil keeps the host's.
    public var idmapConfig: SafePath?
    /// `Only_Numeric_Owners`: uids and gids as numeric strings, no domain to match.
    public var numericOwners: Bool
    /// NFSv4.0 as well as 4.1 and 4.2.
    public var enableNFSv40 = false
    /// The export file the main config includes; nil renders no include.
    public var exportConfig: SafePath?
    /// Who may reach the export; nil lets every client in.
    public var allowedClients: ClientList?
    public var squash: Squash = .noRootSquash
    /// `Anonymous_Uid` / `Anonymous_Gid`; nil keeps Ganesha's default (-2).
    public var anonymousUID: AnonymousID?
    public var anonymousGID: AnonymousID?
    /// The release the config is for (`ganesha.nfsd -v`); nil renders only what every
    /// release we know accepts.
    public var ganeshaVersion: GaneshaVersion?

    public init(
        volume: VolumeName, nfsAddress: NetworkAddress, nfsPort: UInt16, gracePeriod: Int,
        leaseLifetime: Int, exportPath: SafePath, recoveryRoot: SafePath, accessType: AccessType = .readWrite,
        idmapConfig: SafePath? = nil, numericOwners: Bool = false
    ) {
        self.volume = volume
        self.nfsAddress = nfsAddress
        self.nfsPort = nfsPort
        self.gracePeriod = gracePeriod
        self.leaseLifetime = leaseLifetime
        self.exportPath = exportPath
        self.recoveryRoot = recoveryRoot
        self.accessType = accessType
        self.idmapConfig = idmapConfig
        self.numericOwners = numericOwners
    }

    /// What the templates see. Only validated values go in; nothing here is free text.
    /// Booleans open the template's optional sections.
    var templateContext: [String: TemplateValue] {
        var context: [String: TemplateValue] = [
            "volume": .text(volume.value),
            "nfsAddress": .text(nfsAddress.value),
            "nfsPort": .text(String(nfsPort)),
            "gracePeriod": .text(String(gracePeriod)),
            "leaseLifetime": .text(String(leaseLifetime)),
            "exportPath": .text(exportPath.value),
            "recoveryRoot": .text(recoveryRoot.value),
            "exportID": .text(String(Self.exportID)),
            "filesystemID": .text(FilesystemID.forVolume(volume)),
            "accessType": .text(accessType.rawValue),
            "numericOwners": .flag(numericOwners),
            "enableNFSv40": .flag(enableNFSv40),
            "squash": .text(squash.configValue),
            "allowIoFlusherFail": .flag(ganeshaVersion?.knowsIoFlusherOption ?? false),
        ]
        if let idmapConfig { context["idmapConfig"] = .text(idmapConfig.value) }
        if let exportConfig { context["exportConfig"] = .text(exportConfig.value) }
        if let allowedClients { context["allowedClients"] = .text(allowedClients.description) }
        if let anonymousUID { context["anonymousUID"] = .text(anonymousUID.description) }
        if let anonymousGID { context["anonymousGID"] = .text(anonymousGID.description) }
        return context
    }
}
