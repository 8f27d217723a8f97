import Testing

import FieldReportPostgresStore
import FieldReportStore

@Suite("PostgreSQL URLs for --database")
struct PostgresConfigurationTests {
  @Test("user, host, port and database are read; the port defaults to 5432; escapes are decoded")
  func parses() throws {
    let full = try PostgresStoreConfiguration(url: "postgres://fieldreport@db.internal:6543/province", password: "s")
    #expect(full.username == "fieldreport")
    #expect(full.host == "db.internal")
    #expect(full.port == 6543)
    #expect(full.database == "province")
    #expect(full.password == "s")
    #expect(full.redactedURL == "postgres://fieldreport@db.internal:6543/province")
    let short = try PostgresStoreConfiguration(url: "postgresql://fr@127.0.0.1/ha%2Dtinh", password: nil)
    #expect(short.port == 5432)
    #expect(short.database == "ha-tinh")
    let v6 = try PostgresStoreConfiguration(url: "postgres://fr@[::1]:5433/db", password: nil)
    #expect(v6.host == "::1")
    #expect(v6.port == 5433)
  }

  @Test("a password in the URL, a missing user or database, or a bad port is refused", arguments: [
    "postgres://fr:secret@host/db", "postgres://host/db", "postgres://fr@host", "postgres://fr@host/",
    "postgres://fr@host:99999/db", "mysql://fr@host/db",
  ])
  func refuses(url: String) {
    #expect(throws: StoreError.self) { _ = try PostgresStoreConfiguration(url: url, password: nil) }
  }
}
