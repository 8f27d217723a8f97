import Crypto
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Why TLS could not be set up, in the operator's words (which file, what is wrong).
public struct TLSSetupError: Error, CustomStringConvertible, Sendable {
  public let description: String
}

/// The protocol's ALPN identifier over TLS (docs/PROTOCOL.md §1).
public enum RPCTLS {
  /// `frpc/1`: this protocol, version 1.
  public static let alpn = "frpc/1"

  static func certificates(_ path: String, what: String) throws -> [NIOSSLCertificate] {
    let certificates: [NIOSSLCertificate]
    do {
      certificates = try NIOSSLCertificate.fromPEMFile(path)
    } catch {
      throw TLSSetupError(description: "\(what) \(path): cannot read PEM certificates (\(error))")
    }
    guard !certificates.isEmpty else { throw TLSSetupError(description: "\(what) \(path): no certificate in the file") }
    return certificates
  }

  static func privateKey(_ path: String, what: String) throws -> NIOSSLPrivateKey {
    do {
      return try NIOSSLPrivateKey(file: path, format: .pem)
    } catch {
      throw TLSSetupError(description: "\(what) \(path): cannot read a PEM private key (\(error))")
    }
  }

  /// SHA-256 of a certificate's DER encoding, as 64 lowercase hex digits: how a client
  /// certificate is registered.
  public static func fingerprint(_ certificate: NIOSSLCertificate) -> String? {
    guard let der = try? certificate.toDERBytes() else { return nil }
    return SHA256.hash(data: der).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
  }

  /// SHA-256 fingerprints (64 lowercase hex digits) of the certificates in a PEM file (the
  /// first is the leaf).
  public static func fingerprints(ofPEMFile path: String) throws -> [String] {
    try self.certificates(path, what: "certificate file").compactMap { self.fingerprint($0) }
  }
}

/// A server's TLS: its certificate chain and private key (PEM files) and, for mutual TLS, a CA
/// (PEM) whose certificates clients must present. ``reload()`` reads the same files again
/// (the server executable calls it on SIGHUP): new connections use the new certificate, open
/// ones keep theirs.
///
/// Thread-safe.
public final class ServerTLS: Sendable {
  /// The certificate chain file (leaf first).
  public let certificateChainPath: String
  /// The private key file.
  public let privateKeyPath: String
  /// The CA file client certificates must chain to; `nil`: no client certificate asked.
  public let clientCAPath: String?
  private let context: NIOLockedValueBox<NIOSSLContext>

  /// Loads the files.
  /// - Throws: ``TLSSetupError`` naming the file that cannot be used.
  public init(certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil) throws {
    self.certificateChainPath = certificateChainPath
    self.privateKeyPath = privateKeyPath
    self.clientCAPath = clientCAPath
    self.context = NIOLockedValueBox(
      try Self.load(certificateChainPath: certificateChainPath, privateKeyPath: privateKeyPath, clientCAPath: clientCAPath))
  }

  /// Reads the files again; on failure the current certificate stays.
  /// - Throws: ``TLSSetupError``.
  public func reload() throws {
    let context = try Self.load(
      certificateChainPath: self.certificateChainPath, privateKeyPath: self.privateKeyPath, clientCAPath: self.clientCAPath)
    self.context.withLockedValue { $0 = context }
  }

  /// Whether clients must present a certificate.
  public var requiresClientCertificate: Bool { self.clientCAPath != nil }

  /// A handler for a new connection, with the current certificate.
  func makeHandler() -> NIOSSLServerHandler {
    NIOSSLServerHandler(context: self.context.withLockedValue { $0 })
  }

  private static func load(certificateChainPath: String, privateKeyPath: String, clientCAPath: String?) throws -> NIOSSLContext {
    let chain = try RPCTLS.certificates(certificateChainPath, what: "--tls-cert")
    let key = try RPCTLS.privateKey(privateKeyPath, what: "--tls-key")
    var configuration = TLSConfiguration.makeServerConfiguration(
      certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    configuration.minimumTLSVersion = .tlsv12
    configuration.applicationProtocols = [RPCTLS.alpn]
    if let clientCAPath {
      let roots = try RPCTLS.certificates(clientCAPath, what: "--tls-client-ca")
      // A client must present a certificate that chains to these roots (names are not
      // checked: the certificate's fingerprint identifies the account).
      configuration.certificateVerification = .noHostnameVerification
      configuration.trustRoots = .certificates(roots)
      configuration.sendCANameList = true
    }
    do {
      return try NIOSSLContext(configuration: configuration)
    } catch {
      throw TLSSetupError(description: "--tls-cert \(certificateChainPath) / --tls-key \(privateKeyPath): \(error)")
    }
  }
}

/// A client's TLS: the CA to trust (PEM; the system's roots when `nil`), optionally a
/// certificate and key to present (mutual TLS), and the name to verify the server's
/// certificate against (the host by default; an IP address is checked against the
/// certificate's IP addresses).
public struct ClientTLS: Sendable, Hashable {
  /// PEM file of the CAs to trust; `nil`: the system's.
  public var trustRootsPath: String?
  /// PEM certificate chain to present; requires ``privateKeyPath``.
  public var certificateChainPath: String?
  /// PEM private key of ``certificateChainPath``.
  public var privateKeyPath: String?
  /// The server name to verify (and send as SNI); `nil`: the host connected to.
  public var serverName: String?

  public init(trustRootsPath: String? = nil, certificateChainPath: String? = nil, privateKeyPath: String? = nil, serverName: String? = nil) {
    self.trustRootsPath = trustRootsPath
    self.certificateChainPath = certificateChainPath
    self.privateKeyPath = privateKeyPath
    self.serverName = serverName
  }

  /// - Throws: ``TLSSetupError`` naming the file that cannot be used.
  func makeContext() throws -> NIOSSLContext {
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.minimumTLSVersion = .tlsv12
    configuration.applicationProtocols = [RPCTLS.alpn]
    if let trustRootsPath {
      configuration.trustRoots = .certificates(try RPCTLS.certificates(trustRootsPath, what: "--ca"))
    }
    switch (self.certificateChainPath, self.privateKeyPath) {
    case (let chain?, let key?):
      configuration.certificateChain = try RPCTLS.certificates(chain, what: "--cert").map { .certificate($0) }
      configuration.privateKey = .privateKey(try RPCTLS.privateKey(key, what: "--key"))
    case (nil, nil):
      break
    default:
      throw TLSSetupError(description: "a client certificate needs both --cert and --key")
    }
    do {
      return try NIOSSLContext(configuration: configuration)
    } catch {
      throw TLSSetupError(description: "TLS: \(error)")
    }
  }

  /// The name to verify for `host`: ``serverName``, else `host` unless it is an IP address
  /// (then the address itself is verified).
  func verifiedName(for host: String) -> String? {
    if let serverName { return serverName }
    let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
    return isAddress ? nil : host
  }
}
