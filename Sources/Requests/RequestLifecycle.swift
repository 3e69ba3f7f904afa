/// The states of a data-subject request.
public enum RequestStatus: String, Sendable, Codable, CaseIterable {
    case received, verified
    case inProgress = "in_progress"
    case completed, rejected

    public var isOpen: Bool { self != .completed && self != .rejected }
}

/// The moves a request may make: received → verified → in_progress → completed | rejected.
///
/// CCPA opt-outs need no verification (§1798.135), so they may go from received to
/// in_progress directly. Nothing leaves completed or rejected.
public enum RequestLifecycle {
    public enum Step: String, Sendable { case verify, execute, reject, complete }

    public static func next(from status: RequestStatus, by step: Step, kind: RequestKind) -> RequestStatus? {
        switch (status, step) {
        case (.received, .verify): .verified
        case (.verified, .execute): .inProgress
        case (.received, .execute) where kind == .optOut: .inProgress
        case (.inProgress, .complete): .completed
        case (.received, .reject), (.verified, .reject): .rejected
        default: nil
        }
    }
}
