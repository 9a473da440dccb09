/// The answer to a method call: its type signature and its decoded values.
public struct DBusReply: Sendable, Equatable {
    /// The signature the reply carried, e.g. `(tt)a(qs((sb)(sb))(tt))`.
    public let signature: String
    /// The reply's top-level values, in order.
    public let values: [DBusValue]

    public init(signature: String, values: [DBusValue]) {
        self.signature = signature
        self.values = values
    }
}
