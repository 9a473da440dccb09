/// Why a control operation did not happen and what to do next. The control API maps each
/// case to its HTTP status (conflict 409, bad value 400, Ganesha 502, failed 500).
public enum ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    case notReady(String)
    case conflict(String)
    case badValue(String)
    case ganesha(String)
    case failed(String)

    public var description: String {
        switch self {
        case .notReady(let why): "not possible now: \(why); see GET /v1/status"
        case .conflict(let why), .badValue(let why), .failed(let why): why
        case .ganesha(let why): "Ganesha refused or did not answer: \(why)"
        }
    }
}
