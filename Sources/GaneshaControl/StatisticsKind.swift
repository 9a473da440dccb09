/// A kind of statistics `EnableStats` and `DisableStats` switch, by Ganesha's name for it.
public enum StatisticsKind: String, Sendable, CaseIterable {
    case all
    case nfs
    case fsal
    case nfsv3Detail = "v3_full"
    case nfsv4Detail = "v4_full"
    case auth
    case clientAllOperations = "client_all_ops"
}
