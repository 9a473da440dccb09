/// A cache the admin object can empty; the raw value is the method name.
public enum GaneshaCache: String, Sendable, CaseIterable {
    /// Group lists fetched for `Manage_Gids`.
    case gids = "purge_gids"
    /// Name ↔ id mappings for NFSv4 owners.
    case idMapper = "purge_idmapper_cache"
    case netgroups = "purge_netgroups"
}
