internal import CLibPQ

/// Pipeline mode: many independent statements sent in one write and answered in one read
/// stream, each closed by its own sync point so one failing statement cannot abort the others.
///
/// Every statement sent must have its segment read before the next pipeline, or the next
/// batch would read this one's results: anything that stops a pipeline partway marks the
/// connection `isOutOfStep`, and its owner closes it.
extension PostgresConnection {
    struct Statement {
        let sql: String
        let parameters: [PostgresParameter]
    }

    func enterPipelineMode() throws {
        guard PQenterPipelineMode(connection) == 1 else { throw PostgresError.unavailable(errorMessage) }
    }

    /// Runs `statements` as one pipeline; one result per statement, in order. Statements whose
    /// parameters cannot be sent fail alone, before anything is sent; a lost connection fails
    /// every statement not yet answered.
    func runPipeline(_ statements: [Statement]) -> [Result<PostgresRows, PostgresError>] {
        var results = statements.map { statement -> Result<PostgresRows, PostgresError>? in
            Self.parameterProblem(statement.parameters).map { .failure($0) }
        }
        // Statements not yet prepared on this connection are prepared inside the same pipeline.
        var preparing: [String: String] = [:]
        var plan: [(index: Int, name: String, prepares: Bool)] = []
        do {
            for (index, statement) in statements.enumerated() where results[index] == nil {
                let known = prepared[statement.sql] ?? preparing[statement.sql]
                let name = known ?? nextStatementName()
                if known == nil {
                    preparing[statement.sql] = name
                    guard PQsendPrepare(connection, name, statement.sql, Int32(statement.parameters.count), nil) == 1,
                        PQpipelineSync(connection) == 1
                    else { throw PostgresError.unavailable(errorMessage) }
                }
                let sent = try withParameters(statement.parameters) { values, lengths, formats in
                    PQsendQueryPrepared(connection, name, Int32(statement.parameters.count), values, lengths, formats, 0)
                }
                guard sent == 1, PQpipelineSync(connection) == 1 else { throw PostgresError.unavailable(errorMessage) }
                plan.append((index, name, known == nil))
            }
            guard PQflush(connection) == 0 else { throw PostgresError.unavailable(errorMessage) }
        } catch {
            // Part of the pipeline may be on its way: this connection cannot be trusted again.
            isOutOfStep = true
            let failure = error as? PostgresError ?? .unavailable("\(error)")
            return results.map { $0 ?? .failure(failure) }
        }

        for step in plan {
            var prepareError: PostgresError?
            if step.prepares {
                switch readSegment() {
                case .success: prepared[statements[step.index].sql] = step.name
                case .failure(let error): prepareError = error
                }
            }
            let result = readSegment()
            if isConnectionLost || isOutOfStep {
                isOutOfStep = true
                let failure = PostgresError.unavailable(errorMessage)
                return results.map { $0 ?? .failure(failure) }
            }
            results[step.index] = prepareError.map { .failure($0) } ?? result
        }
        return results.map { $0! }
    }

    /// Why a statement's parameters cannot be sent, checked before anything is: libpq takes
    /// text parameters NUL-terminated, and PostgreSQL refuses NUL in text anyway.
    static func parameterProblem(_ parameters: [PostgresParameter]) -> PostgresError? {
        for case .text(let text) in parameters where text.utf8.contains(0) {
            return .server(sqlState: "22021", message: "text parameters cannot contain NUL bytes")
        }
        return nil
    }

    /// Reads one statement's result and the sync point that closes its segment. A segment that
    /// cannot be read to its sync point leaves the connection out of step.
    private func readSegment() -> Result<PostgresRows, PostgresError> {
        var outcome: Result<PostgresRows, PostgresError>?
        var consecutiveNulls = 0
        while true {
            guard let result = PQgetResult(connection) else {
                consecutiveNulls += 1
                // One NULL ends a statement's results; two in a row means nothing more is coming.
                if consecutiveNulls > 1 || isConnectionLost {
                    isOutOfStep = true
                    return .failure(.unavailable(errorMessage))
                }
                continue
            }
            consecutiveNulls = 0
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                return outcome ?? .failure(.server(sqlState: "XX000", message: "no result before the sync point"))
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                outcome = outcome ?? .success(rows(of: result))
            case PGRES_PIPELINE_ABORTED:
                outcome = outcome ?? .failure(.server(sqlState: "XX000", message: "statement aborted in pipeline"))
            default:
                outcome = outcome ?? .failure(statementError(result))
            }
        }
    }
}
