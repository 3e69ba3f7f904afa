import ArgumentParser
import Foundation
import VaultClient

/// A failure that ends vaultctl with one sentence on stderr and an exit code scripts can trust.
enum Failure: Error {
    case usage(String)
    case invalidInput(String)
    /// An input file that does not exist or can't be read (sysexits EX_NOINPUT).
    case noInput(String)
    case failed(String)

    static func report(_ error: any Error) -> ExitCode {
        let (message, code): (String, Int32)
        switch error {
        case Failure.usage(let m): (message, code) = (m, 64)
        case Failure.invalidInput(let m): (message, code) = (m, 65)
        case Failure.noInput(let m): (message, code) = (m, 66)
        case Failure.failed(let m): (message, code) = (m, 1)
        case let error as ClientError:
            switch error {
            case .unreachable, .timedOut: (message, code) = (error.description, 69)
            case .problem(let p) where p.status == 401 || p.status == 403: (message, code) = (error.description, 77)
            case .problem(let p) where p.status == 400 || p.status == 422 || p.status == 413: (message, code) = (error.description, 65)
            default: (message, code) = (error.description, 1)
            }
        default: (message, code) = ("\(error)", 1)
        }
        FileHandle.standardError.write(Data(("vaultctl: " + message + "\n").utf8))
        return ExitCode(code)
    }
}

/// Runs a command body and turns any error into a reported exit code.
func reporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw Failure.report(error)
    }
}
