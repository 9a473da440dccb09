@testable import DBusKit
import Testing

/// Encoding and decoding without a bus: every basic argument type comes back as itself.
@Suite struct MessageCodingTests {
    @Test func everyArgumentTypeRoundTrips() throws {
        let arguments: [DBusArgument] = [
            .byte(200), .bool(true), .bool(false), .int16(-2), .uint16(65_000), .int32(-70_000), .uint32(4_000_000_000),
            .int64(-1 << 40), .uint64(1 << 63), .double(2.5), .string("grüße"), .objectPath("/org/ganesha/nfsd/admin"),
        ]
        let call = MethodCall(destination: "org.example.X", path: "/", interface: "org.example.I", member: "M", arguments: arguments)
        let decoded = try call.encodedArguments()
        #expect(decoded.signature == "ybbnqiuxtdso")
        #expect(decoded.values == arguments.map(\.value))
        #expect(decoded.values.last == .objectPath("/org/ganesha/nfsd/admin"))
        #expect(arguments.map(\.typeSignature).joined() == decoded.signature)
    }

    @Test func variantArgumentsCarryTheirInnerType() throws {
        let arguments: [DBusArgument] = [
            .string("org.ganesha.nfsd.log.component"), .variant(.string("NIV_CRIT")), .variant(.uint32(7)),
            .variant(.variant(.bool(true))),
        ]
        let call = MethodCall(destination: "org.example.X", path: "/", interface: "org.example.I", member: "Set", arguments: arguments)
        let decoded = try call.encodedArguments()
        #expect(decoded.signature == "svvv")
        #expect(decoded.values == arguments.map(\.value))
        #expect(decoded.values[1].variantValue == .string("NIV_CRIT"))
        #expect(DBusArgument.variant(.string("x")).typeSignature == "v")
    }

    @Test func invalidStringInsideAVariantIsRefused() {
        let call = MethodCall(
            destination: "org.example.X", path: "/", interface: "org.example.I", member: "Set",
            arguments: [.variant(.string("a\u{0}b"))])
        #expect(throws: DBusError.self) { try call.encodedArguments() }
    }

    @Test func accessorsAnswerNilForOtherTypes() {
        let value = DBusValue.structure([.uint16(1), .string("/x")])
        #expect(value.fields?.count == 2)
        #expect(value.elements == nil)
        #expect(value.string == nil)
        #expect(value.typeSignature == "(qs)")
        #expect(DBusValue.uint16(3).uint64 == nil)
        #expect(DBusValue.array(elementSignature: "{sv}", []).dictionaryEntries?.isEmpty == true)
    }

    @Test func errorDescriptionIsOneLine() {
        let error = DBusError(name: "org.example.Failed", message: "first\nsecond")
        #expect(error.description == "D-Bus error org.example.Failed: first / second")
    }
}
