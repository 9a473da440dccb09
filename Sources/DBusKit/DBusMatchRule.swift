internal import CDBus

/// Which signals a subscription receives: every field that is set must match.
///
/// A `sender` that is a well-known name (e.g. `org.ganesha.nfsd`) matches only signals
/// from whoever owns that name at the time, so another peer on the bus cannot forge them.
public struct DBusMatchRule: Sendable, Equatable, CustomStringConvertible {
    public var sender: String?
    public var path: String?
    public var interface: String?
    public var member: String?

    public init(sender: String? = nil, path: String? = nil, interface: String? = nil, member: String? = nil) {
        self.sender = sender
        self.path = path
        self.interface = interface
        self.member = member
    }

    /// The rule as `AddMatch` takes it, e.g. `type='signal',sender='org.ganesha.nfsd',member='heartbeat'`.
    public var description: String {
        let parts = [("sender", sender), ("path", path), ("interface", interface), ("member", member)]
        return (["type='signal'"] + parts.compactMap { key, value in value.map { "\(key)='\($0)'" } })
            .joined(separator: ",")
    }

    /// Checks every field with libdbus's validators. Valid names and paths cannot hold a
    /// quote or a comma, so the rule text cannot be bent into a different rule.
    func validate() throws(DBusError) {
        if let sender { try MethodCall.validate(sender, "match sender", dbus_validate_bus_name) }
        if let path { try MethodCall.validate(path, "match path", dbus_validate_path) }
        if let interface { try MethodCall.validate(interface, "match interface", dbus_validate_interface) }
        if let member { try MethodCall.validate(member, "match member", dbus_validate_member) }
    }
}
