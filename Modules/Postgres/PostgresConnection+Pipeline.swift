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

    /// Runs `statements` as one pipeline and hands each result to `answer` (with the statement's
    /// index) as soon as its segment is read, in order, exactly once each. Statements whose
    /// parameters cannot be sent fail alone, before anything is sent. When the connection fails,
    /// the statements not yet answered fail with `.outcomeUnknown`: they were sent, and may have run.
    func runPipeline(_ statements: [Statement], answer: (Int, Result<PostgresRows, PostgresError>) -> Void) {
        var planned: [(index: Int, name: String?, prepares: Bool)] = []
        var preparing: [String: String] = [:]
        var refused: Set<Int> = []
        let deallocations = self.statements.takeEvicted()
        do {
            for name in deallocations {
                guard PQsendQueryParams(connection, "DEALLOCATE \(name)", 0, nil, nil, nil, nil, 0) == 1,
                    PQpipelineSync(connection) == 1
                else { throw PostgresError.unavailable(errorMessage) }
            }
            for (index, statement) in statements.enumerated() {
                if let problem = Self.parameterProblem(statement.parameters) {
                    answer(index, .failure(problem))
                    refused.insert(index)
                    continue
                }
                let count = Int32(statement.parameters.count)
                var name = preparing[statement.sql]
                var prepares = false
                if name == nil {
                    switch self.statements.plan(statement.sql) {
                    case .prepared(let known):
                        name = known
                    case .prepare(let fresh):
                        guard PQsendPrepare(connection, fresh, statement.sql, count, nil) == 1, PQpipelineSync(connection) == 1
                        else { throw PostgresError.unavailable(errorMessage) }
                        preparing[statement.sql] = fresh
                        (name, prepares) = (fresh, true)
                    case .unnamed:
                        break
                    }
                }
                // Listed before the send: a send that fails part way may have put it on the wire.
                planned.append((index, name, prepares))
                let sent = try withParameters(statement.parameters) { values, lengths, formats in
                    if let name {
                        PQsendQueryPrepared(connection, name, count, values, lengths, formats, 0)
                    } else {
                        PQsendQueryParams(connection, statement.sql, count, nil, values, lengths, formats, 0)
                    }
                }
                guard sent == 1, PQpipelineSync(connection) == 1 else { throw PostgresError.unavailable(errorMessage) }
            }
            guard PQflush(connection) == 0 else { throw PostgresError.unavailable(errorMessage) }
        } catch {
            // Part of the pipeline may be on its way: this connection cannot be trusted again.
            isOutOfStep = true
            let sentAlready = Set(planned.map(\.index))
            let reason = (error as? PostgresError)?.description ?? "\(error)"
            for index in statements.indices where !sentAlready.contains(index) && !refused.contains(index) {
                answer(index, .failure(Self.parameterProblem(statements[index].parameters) ?? .unavailable(reason)))
            }
            planned.forEach { answer($0.index, .failure(.outcomeUnknown(reason))) }
            return
        }

        for _ in deallocations where !isOutOfStep { _ = readSegment() }
        // A prepare that failed in this batch fails every statement of the batch that was to
        // run under its name, with the prepare's own error (a cancel that hit the prepare means
        // none of them ran), not with "prepared statement does not exist".
        var failedPrepares: [String: PostgresError] = [:]
        for (position, step) in planned.enumerated() {
            if step.prepares, let name = step.name {
                switch readSegment() {
                case .success: self.statements.didPrepare(statements[step.index].sql, as: name)
                case .failure(let error): failedPrepares[name] = error
                }
            }
            let result = readSegment()
            if isConnectionLost || isOutOfStep {
                isOutOfStep = true
                let failure = PostgresError.outcomeUnknown(errorMessage)
                planned[position...].forEach { answer($0.index, .failure(failure)) }
                return
            }
            answer(step.index, step.name.flatMap { failedPrepares[$0] }.map { .failure($0) } ?? result)
        }
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
