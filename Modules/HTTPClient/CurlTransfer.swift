internal import CCurl
import Foundation
import Synchronization

/// What to send.
struct HTTPRequestSpec: Sendable {
    var method: String
    var url: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]?
    var timeout: Duration
    var connectTimeout: Duration
    var maxBodySize: Int
}

/// One easy handle and everything libcurl may touch while it runs: the header list and the
/// buffers its callbacks fill. Created by a caller, then used only by the driver thread; the
/// handle is cleaned up exactly once, in `deinit`.
final class CurlTransfer: @unchecked Sendable {
    /// Transfers alive for the client that made this one: tests check that none leak.
    private let live: LiveTransfers

    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var body: [UInt8] = []
    private let maxBodySize: Int
    /// Set when the body passed `maxBodySize` and the write callback stopped the transfer.
    private var bodyTooLarge = false
    private var responseHeaders: [(name: String, value: String)] = []
    /// Called once, on the driver thread, with the response or the error.
    private var completion: ((Result<HTTPClientResponse, any Error>) -> Void)?
    /// The batch this transfer is one request of, if any.
    var batch: CurlBatch?
    /// Set by a cancelled caller; the driver drops the transfer when it sees it.
    let cancelled = Atomic<Bool>(false)

    init(_ request: HTTPRequestSpec, live: LiveTransfers) throws {
        guard let handle = EasyHandlePool.shared.take() else {
            throw HTTPClientError.transport(code: -1, message: "curl_easy_init failed")
        }
        self.handle = handle
        self.live = live
        maxBodySize = request.maxBodySize
        live.count.add(1, ordering: .relaxed)
        // Strings passed to libcurl are copied by it; the header list and callbacks' context
        // (self, retained by the driver while the transfer runs) must outlive the transfer.
        setString(CURLOPT_URL, request.url)
        CCurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        CCurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(request.timeout))
        CCurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout))
        if request.method != "GET" {
            setString(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            CCurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { bytes in
                _ = CCurl_setopt_ptr(
                    handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        if let headerList { CCurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList)) }
        let context = Unmanaged.passUnretained(self).toOpaque()
        CCurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            guard transfer.body.count + length <= transfer.maxBodySize else {
                // Returning less than was given makes libcurl stop with CURLE_WRITE_ERROR.
                transfer.bodyTooLarge = true
                return 0
            }
            if let data { transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
            return length
        }
        CCurl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
        CCurl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            if let data { transfer.receivedHeaderLine(UnsafeRawBufferPointer(start: data, count: length)) }
            return length
        }
        CCurl_setopt_ptr(handle, CURLOPT_HEADERDATA, context)
    }

    /// libcurl copies string options, so the pointer only has to live for the call.
    private func setString(_ option: CURLoption, _ value: String) {
        value.withCString { _ = CCurl_setopt_ptr(handle, option, UnsafeMutableRawPointer(mutating: $0)) }
    }

    deinit {
        EasyHandlePool.shared.give(handle)
        curl_slist_free_all(headerList)
        live.count.subtract(1, ordering: .relaxed)
    }

    func onCompletion(_ completion: @escaping (Result<HTTPClientResponse, any Error>) -> Void) {
        self.completion = completion
    }

    /// Called once by the driver with libcurl's result code for the finished transfer.
    func finish(code: CURLcode) {
        if bodyTooLarge {
            fail(HTTPClientError.bodyTooLarge(limit: maxBodySize))
            return
        }
        guard code == CURLE_OK else {
            fail(Self.error(for: code))
            return
        }
        var status = 0
        CCurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        complete(.success(HTTPClientResponse(status: status, headers: responseHeaders, body: body)))
    }

    func fail(_ error: any Error) {
        complete(.failure(error))
    }

    private func complete(_ result: Result<HTTPClientResponse, any Error>) {
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }

    /// Keeps the headers of the final response only (after redirects or `100 Continue`).
    /// Read as bytes: this runs on the driver thread for every header of every response.
    private func receivedHeaderLine(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) {
            responseHeaders = []
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var value = line[(colon + 1)...]
        while let first = value.first, isSpace(first) { value = value.dropFirst() }
        while let last = value.last, isSpace(last) { value = value.dropLast() }
        responseHeaders.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    private static func error(for code: CURLcode) -> HTTPClientError {
        let message = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectionFailed(message)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        default:
            return .transport(code: Int(code.rawValue), message: message)
        }
    }
}

private func milliseconds(_ duration: Duration) -> Int {
    max(1, Int(duration / .milliseconds(1)))
}

/// Easy handles kept for reuse: creating one per request costs more than the request itself on
/// a fast local upstream. A returned handle is reset to defaults; idle ones are few and bounded.
/// A client's count of transfers alive (created and not yet freed).
final class LiveTransfers: Sendable {
    let count = Atomic<Int>(0)
}

final class EasyHandlePool: Sendable {
    static let shared = EasyHandlePool()
    static let maximumIdle = 256

    private let idle = Mutex<[UInt]>([])

    func take() -> UnsafeMutableRawPointer? {
        if let address = idle.withLock({ $0.popLast() }) { return UnsafeMutableRawPointer(bitPattern: address) }
        return curl_easy_init()
    }

    func give(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        let kept = idle.withLock { idle -> Bool in
            guard idle.count < Self.maximumIdle else { return false }
            idle.append(UInt(bitPattern: handle))
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }
}
