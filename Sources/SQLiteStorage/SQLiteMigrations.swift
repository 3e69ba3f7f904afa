import GRDB
import Storage

/// The SQLite schema. One migration per version; a merged migration is frozen.
enum SQLiteMigrations {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerFoundation(&migrator)
        registerAudit(&migrator)
        registerConsent(&migrator)
        registerPolicyVersions(&migrator)
        registerRequests(&migrator)
        registerConsoleSessions(&migrator)
        registerClusterBySubject(&migrator)
        registerPartialMergedIndex(&migrator)
        registerMergesLoserIndex(&migrator)
        registerKeyOperationLease(&migrator)
        registerRowTags(&migrator)
        registerTokenApproval(&migrator)
        registerRequestTags(&migrator)
        registerSubjectTags(&migrator)
        registerEventTotals(&migrator)
        return migrator
    }
}
