import Catalog
import Hummingbird
import Policy
import Storage
import Vault
import VaultAPI
import VaultCrypto

/// The one place where library errors become problems.
extension Problem {
    static func from(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            return problem
        case let error as IngestError:
            switch error {
            case .invalidBatch(let issues):
                return Problem(
                    .unprocessableContent, "validation-failed", "Invalid batch",
                    detail: "\(issues.count) problem(s); nothing of this batch was stored",
                    items: issues.map { .init(index: $0.index, field: $0.field, type: ProblemBody.typeBase + $0.type, detail: $0.reason) })
            case .batchTooLarge(let count, let limit):
                return Problem(.contentTooLarge, "batch-too-large", "Batch too large", detail: "\(count) items; the limit is \(limit)")
            case .emptyBatch:
                return Problem(.unprocessableContent, "empty-batch", "Empty batch", detail: "send at least one item")
            case .unknownSource:
                return Problem(.notFound, "unknown-source", "Unknown source", detail: error.description)
            case .contention:
                return Problem(.serviceUnavailable, "contention", "Try again", detail: error.description)
            }
        case let error as ViewError:
            switch error {
            case .purposeNotHeld: return Problem(.forbidden, "purpose-not-held", "Purpose not held by role", detail: error.description)
            case .notFound: return .notFound("no subject with this id")
            case .restricted: return Problem(.forbidden, "subject-restricted", "Subject restricted", detail: error.description)
            }
        case TimelineError.invalidCursor:
            return Problem(.badRequest, "invalid-parameter", "Invalid query parameter", detail: "cursor is not a cursor of this API")
        case let error as RequestError:
            switch error {
            case .notFound: return .notFound("no request with this id")
            case .unknownSubject: return .notFound("no subject with this id")
            case .invalidTransition: return Problem(.conflict, "invalid-transition", "Invalid request step", detail: error.description)
            case .ambiguousIdentifiers: return Problem(.conflict, "ambiguous-identifiers", "Ambiguous identifiers", detail: error.description)
            case .extensionNotAllowed: return Problem(.conflict, "extension-not-allowed", "Extension not allowed", detail: error.description)
            case .notAvailable: return Problem(.conflict, "not-available", "Not available", detail: error.description)
            case .invalid(let issues): return Problem.from(IngestError.invalidBatch(issues))
            case .subjectErased: return Problem(.gone, "subject-erased", "Subject erased", detail: error.description)
            }
        case let error as KeyRotationError:
            switch error {
            case .unknownVersion: return .notFound(error.description)
            case .operationInProgress, .rewrapPending:
                return Problem(.conflict, "key-operation-in-progress", "Key operation in progress", detail: error.description)
            default: return Problem(.conflict, "key-rotation-refused", "Key operation refused", detail: error.description)
            }
        case let error as SegmentError:
            switch error {
            case .fieldNotAllowed: return Problem(.forbidden, "filter-not-allowed", "Filter not allowed", detail: error.description)
            case .scanTooLarge: return Problem(.unprocessableContent, "filter-too-broad", "Filter too broad", detail: error.description)
            }
        case let error as PolicyValidationError:
            return Problem(
                .unprocessableContent, "invalid-policy", "Invalid policy bundle",
                detail: "\(error.issues.count) problem(s); the bundle in force is unchanged",
                items: error.issues.map {
                    .init(
                        index: nil, field: nil, type: ProblemBody.typeBase + "invalid-policy", detail: $0.message,
                        file: $0.file, line: $0.line, rule: $0.rule)
                })
        case StoreError.staleResolution:
            return Problem(.conflict, "conflict", "Concurrent change", detail: "another change was applied meanwhile; retry")
        case StoreError.corrupt, CryptoError.authenticationFailed, CryptoError.malformedCiphertext, is RowIntegrityError:
            return .integrityError
        case StoreError.unsupported:
            return Problem(.conflict, "not-available", "Not available", detail: "\(error)")
        case StoreError.auditUnavailable:
            return Problem(
                .serviceUnavailable, "audit-unavailable", "Audit log unavailable",
                detail: "the audit entry for this request could not be written, so the request was refused")
        case let error as LookupError:
            return Problem.forbidden(error.description)
        case let error as TokenError:
            switch error {
            case .unknownRole: return Problem(.unprocessableContent, "unknown-role", "Unknown role", detail: error.description)
            case .unknownSource: return Problem(.unprocessableContent, "unknown-source", "Unknown source", detail: error.description)
            case .invalidPrincipal, .weakPresetToken: return Problem(.unprocessableContent, "invalid-value", "Invalid value", detail: error.description)
            case .notAwaitingApproval: return .notFound(error.description)
            case .approverIsCreator, .approverNotAllowed: return Problem.forbidden(error.description)
            }
        case let error as any HTTPResponseError:
            switch error.status {
            case .contentTooLarge:
                return Problem(.contentTooLarge, "body-too-large", "Body too large", detail: "the limit is \(ServerLimits.maximumBodyBytes) bytes")
            case .notFound: return .notFound("no such route")
            case .methodNotAllowed: return Problem(.methodNotAllowed, "method-not-allowed", "Method not allowed")
            default: return Problem(error.status, "http-\(error.status.code)", error.status.reasonPhrase)
            }
        default:
            switch StorageFailure(error) {
            case .unavailable?:
                return Problem(
                    .serviceUnavailable, "storage-unavailable", "Storage unavailable",
                    detail: "the database could not be written or read (disk full, read-only or failing); nothing was changed")
            case .corrupt?: return .integrityError
            case nil: return nil
            }
        }
    }

    /// Stored data failed its check (a tampered or moved ciphertext, a damaged file).
    static let integrityError = Problem(
        .internalServerError, "integrity-error", "Stored data failed its integrity check",
        detail: "the request was refused and the event logged with this request id")
}
