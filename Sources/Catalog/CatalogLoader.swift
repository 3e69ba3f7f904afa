import Foundation
import VaultModel
import Yams

/// Reads `fields.yaml` (fields and event types) and `sources.yaml` from a policy directory.
public enum CatalogLoader {
    struct FieldsFile: Decodable {
        let version: Int?
        let fields: [String: FieldEntry]
        let events: [String: EventEntry]?
    }
    struct FieldEntry: Decodable {
        let category: String
        let type: ValueType?
        let identifier: Bool?
        let normalizer: NormalizerKind?
        let retention: String?
        let allowed: [String]?
    }
    struct EventEntry: Decodable {
        let attributes: [String: FieldEntry]
    }
    struct SourcesFile: Decodable {
        let sources: [String: SourceEntry]
    }
    struct SourceEntry: Decodable {
        let trust_rank: Int
        let reveal_outcome: Bool?
    }

    public static func load(directory: URL, phoneRegion: String = "US") throws -> FieldCatalog {
        try load(
            fields: read(directory.appendingPathComponent("fields.yaml")), sources: read(directory.appendingPathComponent("sources.yaml")),
            phoneRegion: phoneRegion)
    }

    public static func load(fields: Data, sources: Data, phoneRegion: String = "US") throws -> FieldCatalog {
        let fieldsFile: FieldsFile = try decode(fields, file: "fields.yaml")
        let sourcesFile: SourcesFile = try decode(sources, file: "sources.yaml")

        var fields: [FieldName: FieldDefinition] = [:]
        for (name, entry) in fieldsFile.fields {
            fields[FieldName(name)] = try definition(name: name, entry: entry, file: "fields.yaml")
        }
        var events: [String: EventTypeDefinition] = [:]
        for (name, entry) in fieldsFile.events ?? [:] {
            var attributes: [FieldName: FieldDefinition] = [:]
            for (attributeName, attribute) in entry.attributes {
                attributes[FieldName(attributeName)] = try definition(name: attributeName, entry: attribute, file: "fields.yaml")
            }
            events[name] = EventTypeDefinition(name: name, attributes: attributes)
        }
        var sources: [SourceName: SourceDefinition] = [:]
        for (name, entry) in sourcesFile.sources {
            guard let source = SourceName(name) else {
                throw CatalogError.invalid(file: "sources.yaml", detail: "source '\(name)' is not a valid source name")
            }
            sources[source] = SourceDefinition(name: source, trustRank: entry.trust_rank, revealOutcome: entry.reveal_outcome ?? false)
        }
        guard PhoneNormalizer.regions[phoneRegion.uppercased()] != nil else {
            throw CatalogError.invalid(
                file: "configuration", detail: "unsupported phone region \(phoneRegion); supported: \(PhoneNormalizer.supportedRegions.joined(separator: ", "))"
            )
        }
        return FieldCatalog(fields: fields, eventTypes: events, sources: sources, phoneRegion: phoneRegion.uppercased())
    }

    static func definition(name: String, entry: FieldEntry, file: String) throws -> FieldDefinition {
        guard let category = DataCategory(entry.category) else {
            throw CatalogError.invalid(file: file, detail: "field '\(name)': '\(entry.category)' is not a data category")
        }
        let type = entry.type ?? .string
        let normalizer = entry.normalizer ?? (type == .date ? .date : .trim)
        return FieldDefinition(
            name: FieldName(name), category: category, type: type,
            isIdentifier: entry.identifier ?? false, normalizer: normalizer,
            retention: entry.retention, allowedValues: entry.allowed)
    }

    static func read(_ url: URL) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CatalogError.unreadable(file: url.lastPathComponent) }
        return data
    }

    static func decode<T: Decodable>(_ data: Data, file: String) throws -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw CatalogError.invalid(file: file, detail: describe(error))
        } catch {
            throw CatalogError.invalid(file: file, detail: "not valid YAML")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "invalid value at \(path(context)): \(context.debugDescription)"
        @unknown default: return "invalid document"
        }
    }
}
