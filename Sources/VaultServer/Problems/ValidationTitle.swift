/// What a `validation-failed` problem calls what was sent, by route: a source's batch of
/// records, events or consents is refused as a whole ("Invalid batch"), a request, a consent,
/// a lookup or a segment query as what it is. The validators share one error (`IngestError`);
/// the route knows what the caller sent.
enum ValidationTitle {
    static func of(route: String?) -> (title: String, stored: String) {
        guard let route else { return ("Invalid input", "nothing was stored") }
        if route.hasPrefix("/v1/sources/") { return ("Invalid batch", "nothing of this batch was stored") }
        if route.hasPrefix("/v1/requests") { return ("Invalid request", "nothing was stored") }
        if route.hasSuffix("/consents") { return ("Invalid consent", "nothing was stored") }
        if route == "/v1/subjects/lookup" { return ("Invalid lookup", "nothing was looked up") }
        if route.hasPrefix("/v1/segments") { return ("Invalid segment query", "nothing was read") }
        if route.hasPrefix("/v1/tokens") { return ("Invalid token", "nothing was stored") }
        return ("Invalid input", "nothing was stored")
    }
}

extension Problem {
    /// A `validation-failed` problem titled by what the route was sent; any other unchanged.
    func titled(forRoute route: String?) -> Problem {
        guard slug == "validation-failed" else { return self }
        let (title, stored) = ValidationTitle.of(route: route)
        let count = items?.count ?? 0
        return Problem(status, slug, title, detail: "\(count) problem(s); \(stored)", items: items, retryAfter: retryAfter)
    }
}
