import PostgresStorage
import Testing

@Suite("PostgreSQL database URLs")
struct PostgresLocationTests {
    @Test("a full URL parses; the password never appears in its description")
    func parses() throws {
        let location = try PostgresLocation(url: "postgres://vault:s3cr%40t@db.internal:6543/profilevault?sslmode=require")
        #expect(location.host == "db.internal" && location.port == 6543 && location.username == "vault")
        #expect(location.database == "profilevault" && location.sslMode == "require")
        #expect(!location.description.contains("s3cr") && location.description.contains(":***@"))
        let defaults = try PostgresLocation(url: "postgresql://vault@localhost/pv", password: "from-env")
        #expect(defaults.port == 5432 && defaults.sslMode == "prefer" && !defaults.description.contains("from-env"))
    }

    @Test(
        "unusable URLs are refused with a reason",
        arguments: [
            "mysql://vault@db/pv", "postgres://db/pv", "postgres://vault@/pv", "postgres://vault@db", "postgres://vault@db/pv?sslmode=verify-full",
        ])
    func refuses(_ url: String) {
        #expect(throws: PostgresLocation.ParseError.self) { try PostgresLocation(url: url) }
    }
}
