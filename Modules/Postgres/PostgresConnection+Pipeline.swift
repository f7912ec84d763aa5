internal import CLibPQ

/// Pipeline mode: many independent statements sent in one write and answered in one read
/// stream, each closed by its own sync point so one failing statement cannot abort the others.
extension PostgresConnection {
    struct Statement {
        let sql: String
        let parameters: [PostgresParameter]
    }

    func enterPipelineMode() throws {
        guard PQenterPipelineMode(connection) == 1 else { throw PostgresError.unavailable(errorMessage) }
    }

    /// Runs `statements` as one pipeline; one result per statement, in order. A lost connection
    /// fails every statement not yet answered.
    func runPipeline(_ statements: [Statement]) -> [Result<PostgresRows, PostgresError>] {
        // Statements not yet prepared on this connection are prepared inside the same pipeline.
        var preparing: [String: String] = [:]
        var plan: [(name: String, prepares: Bool)] = []
        do {
            for statement in statements {
                let known = prepared[statement.sql] ?? preparing[statement.sql]
                let name = known ?? "switchyard_\(prepared.count + preparing.count)"
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
                plan.append((name, known == nil))
            }
            guard PQflush(connection) == 0 else { throw PostgresError.unavailable(errorMessage) }
        } catch {
            let failure = error as? PostgresError ?? .unavailable("\(error)")
            // NUL in a text parameter is caught before sending; anything else lost the pipeline.
            return statements.map { _ in .failure(failure) }
        }

        var results: [Result<PostgresRows, PostgresError>] = []
        for (index, step) in plan.enumerated() {
            var prepareError: PostgresError?
            if step.prepares {
                switch readSegment() {
                case .success:
                    prepared[statements[index].sql] = step.name
                case .failure(let error):
                    prepareError = error
                }
            }
            let result = readSegment()
            if case .failure(let error) = result, error.isUnavailable {
                results.append(.failure(error))
                results += Array(repeating: .failure(error), count: plan.count - results.count)
                return results
            }
            results.append(prepareError.map { .failure($0) } ?? result)
        }
        return results
    }

    /// Reads one statement's result and the sync point that closes its segment.
    private func readSegment() -> Result<PostgresRows, PostgresError> {
        var outcome: Result<PostgresRows, PostgresError>?
        var consecutiveNulls = 0
        while true {
            guard let result = PQgetResult(connection) else {
                consecutiveNulls += 1
                // One NULL ends a statement's results; two in a row means nothing more is coming.
                if consecutiveNulls > 1 || isConnectionLost { return .failure(.unavailable(errorMessage)) }
                continue
            }
            consecutiveNulls = 0
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                return outcome ?? .failure(.unavailable("no result before the sync point"))
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                outcome = outcome ?? .success(rows(of: result))
            case PGRES_PIPELINE_ABORTED:
                outcome = outcome ?? .failure(.server(sqlState: "XX000", message: "statement aborted in pipeline"))
            default:
                outcome = outcome ?? .failure(unavailableOrServerError(result))
            }
        }
    }
}
