import FieldReportWorkflow
import Testing

@testable import FieldReportServices

/// The people a rendering names (``CaseRenderer/People``): each once, in the order first
/// named, below and past the size where it starts keeping a set too.
@Suite("Renderer people")
struct RendererPeopleTests {
  @Test(arguments: [3, CaseRenderer.People.smallLimit, CaseRenderer.People.smallLimit + 1, 100])
  func eachOnceInFirstOrder(distinct: Int) {
    let ids = (0..<distinct).map { UserID("user-\($0)") }
    var people = CaseRenderer.People()
    for round in 0..<3 {
      for id in round == 1 ? ids.reversed() : ids { people.insert(id) }
    }
    people.insert(contentsOf: ids.prefix(2))
    #expect(people.ids == ids)
  }
}
