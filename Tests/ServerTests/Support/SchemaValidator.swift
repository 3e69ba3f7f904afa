import Foundation
import VaultModel

/// The JSON Schema subset `openapi.yaml` uses (type, properties, required,
/// additionalProperties, items, enum, allOf/oneOf/anyOf, $ref, formats uuid and date-time,
/// minLength/maxLength), enough to check every response body against its documented schema.
struct SchemaValidator {
    let document: OpenAPIDocument

    /// Violations as "path: what", empty when `value` conforms.
    func violations(of value: JSONValue, against schema: Any, at path: String = "$") -> [String] {
        guard var schema = schema as? [String: Any] else { return [] }
        if let ref = schema["$ref"] as? String {
            guard let target = document.resolve(ref) as? [String: Any] else { return ["\(path): unresolvable \(ref)"] }
            schema = target
        }
        var found: [String] = []
        if let all = schema["allOf"] as? [Any] { for part in all { found += violations(of: value, against: part, at: path) } }
        if let any = (schema["oneOf"] ?? schema["anyOf"]) as? [Any],
            !any.contains(where: { violations(of: value, against: $0, at: path).isEmpty })
        {
            found.append("\(path): matches none of the alternatives")
        }
        if let types = typeNames(schema["type"]), !types.contains(where: { Self.value(value, is: $0) }) {
            return found + ["\(path): expected \(types.joined(separator: "|")), got \(Self.describe(value))"]
        }
        if let allowed = schema["enum"] as? [Any], case .string(let text) = value, !allowed.contains(where: { "\($0)" == text }) {
            found.append("\(path): \(Self.describe(value)) not in enum")
        }
        if case .string(let string) = value {
            if let min = schema["minLength"] as? Int, string.count < min { found.append("\(path): shorter than \(min)") }
            if let max = schema["maxLength"] as? Int, string.count > max { found.append("\(path): longer than \(max)") }
            switch schema["format"] as? String {
            case "uuid"? where UUID(uuidString: string) == nil: found.append("\(path): not a uuid")
            case "date-time"? where Self.parseDate(string) == nil: found.append("\(path): not a date-time")
            default: break
            }
        }
        if case .object(let object) = value {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil || object[name] == .null {
                found.append("\(path): missing required \(name)")
            }
            for (name, member) in object {
                if let property = properties[name] {
                    found += violations(of: member, against: property, at: "\(path).\(name)")
                } else if let additional = schema["additionalProperties"] {
                    if additional as? Bool == false {
                        found.append("\(path): unexpected member \(name)")
                    } else {
                        found += violations(of: member, against: additional, at: "\(path).\(name)")
                    }
                }
            }
        }
        if case .array(let array) = value, let items = schema["items"] {
            for (index, element) in array.enumerated() { found += violations(of: element, against: items, at: "\(path)[\(index)]") }
        }
        return found
    }

    private func typeNames(_ type: Any?) -> [String]? {
        if let single = type as? String { return [single] }
        return type as? [String]
    }

    static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("object", .object), ("array", .array), ("null", .null), ("boolean", .bool), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    static func describe(_ value: JSONValue) -> String { value.typeName }

    static func parseDate(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fractional.date(from: text)
    }
}
