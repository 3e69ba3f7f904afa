// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ProfileVault",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vaultd", targets: ["vaultd"]),
        .executable(name: "vaultctl", targets: ["vaultctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: [.defaults, "YAML"]),
        // Imported directly (NIOCore, NIOSSL, SystemPackage), so declared, though others bring them too.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // System OpenSSL (libssl-dev). swift-crypto owns the module name `Crypto`,
        // so our crypto target is `VaultCrypto` while its folder stays Sources/Crypto.
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .target(name: "VaultCrypto", dependencies: ["COpenSSL"], path: "Sources/Crypto"),
        .target(name: "VaultModel"),
        .target(name: "Consent", dependencies: ["VaultModel"]),
        .target(name: "Catalog", dependencies: ["VaultModel", "VaultCrypto", .product(name: "Yams", package: "Yams")]),
        .target(name: "Identity", dependencies: ["VaultModel", "VaultCrypto"]),
        .target(name: "Audit", dependencies: ["VaultCrypto"]),
        .target(name: "Requests"),
        .target(name: "Policy", dependencies: ["Catalog", "Consent", "VaultModel", "VaultCrypto", .product(name: "Yams", package: "Yams")]),
        // The store protocol, the stored types and backend-neutral helpers: no database driver.
        .target(name: "Storage", dependencies: ["VaultModel", "Identity", "Audit", "Requests"]),
        // The single-node backend: an embedded SQLite file through GRDB.
        .target(
            name: "SQLiteStorage",
            dependencies: [
                "Storage", "VaultModel", "Identity", "Audit", "Requests",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        // The multi-node backend: PostgreSQL through postgres-nio's connection pool.
        .target(
            name: "PostgresStorage",
            dependencies: [
                "Storage", "VaultModel", "Identity", "Audit", "Requests",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(name: "VaultAPI", dependencies: ["VaultModel"]),
        .target(
            name: "Vault",
            dependencies: [
                "VaultModel", "VaultCrypto", "Catalog", "Identity", "Storage", "SQLiteStorage", "Consent", "Audit", "Policy", "Requests",
            ]),
        .target(
            name: "VaultServer",
            dependencies: [
                "Vault", "Audit", "Consent", "Policy", "Requests", "VaultAPI", "VaultModel", "Catalog", "Storage", "VaultCrypto", "Identity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ], resources: [.copy("Console/Templates")]),
        .target(name: "VaultClient", dependencies: ["VaultAPI", "VaultModel"]),
        .target(name: "CHardening"),
        .executableTarget(
            name: "vaultd",
            dependencies: [
                "VaultServer", "Vault", "VaultModel", "CHardening", "PostgresStorage",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "vaultctl",
            dependencies: [
                "VaultClient", "VaultAPI", "VaultModel", "Policy", "VaultCrypto",
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "VaultTestSupport",
            dependencies: [
                "Vault", "PostgresStorage", "Storage", "VaultModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "vaultbench",
            dependencies: [
                "SQLiteStorage", "Vault", "VaultModel", "Policy", "Consent", "Requests", "VaultCrypto", "PostgresStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "CryptoTests", dependencies: ["VaultCrypto"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Catalog", "Consent", "VaultModel"]),
        .testTarget(name: "RequestsTests", dependencies: ["Requests"]),
        .testTarget(name: "ConsentTests", dependencies: ["Consent", "VaultModel"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "VaultModel", .product(name: "PropertyBased", package: "swift-property-based")]),
        // Identity resolution's decisions, without a database.
        .testTarget(name: "IdentityTests", dependencies: ["Identity", "VaultModel"]),
        .testTarget(name: "VaultModelTests", dependencies: ["VaultModel"]),
        .testTarget(name: "VaultdTests", dependencies: ["vaultd", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(
            name: "VaultTests",
            dependencies: [
                "Vault", "SQLiteStorage", "Storage", "VaultModel", "VaultTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // One suite, every storage behaviour, run on SQLite and on PostgreSQL.
        .testTarget(
            name: "StorageConformanceTests",
            dependencies: [
                "Vault", "SQLiteStorage", "PostgresStorage", "Storage", "Requests", "VaultModel", "VaultCrypto", "Audit", "VaultTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "AuditTests",
            dependencies: [
                "Audit", "Vault", "Storage", "VaultModel", "VaultTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "VaultServer", "Vault", "SQLiteStorage", "Storage", "Requests", "VaultAPI", "VaultModel", "VaultCrypto", "VaultTestSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "ProcessTests",
            dependencies: [
                "VaultAPI", "VaultClient", "VaultModel", "Vault", "VaultTestSupport", "VaultCrypto", "PostgresStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
