extension CaseWorkflow {
  /// Who receives a monitoring transfer, and who is left out.
  ///
  /// The rule: the transferring leader is never a recipient of their own transfer, whether they
  /// name themselves or are a member of a group used. They wrote its content, so there is
  /// nothing for them to become aware of, and nobody acknowledges (or is notified of) their own
  /// step; the leader can close monitoring instead (DOMAIN.md, "Case states"). Applied alike to
  /// named people and group members, and reported (`leftOut`) rather than silent.
  /// - Parameters:
  ///   - named: The people named, in order.
  ///   - groupMembers: The members of the groups used, in order.
  ///   - transferredBy: The transferring leader.
  /// - Returns: The recipients (named first, then group members, without duplicates) and the
  ///   people named or in a group who are not recipients (the leader, when they were).
  public static func monitoringRecipients(
    named: [UserID], groupMembers: [UserID], transferredBy leader: UserID
  ) -> (recipients: [UserID], leftOut: [UserID]) {
    let everyone = (named + groupMembers).uniqued()
    return (everyone.filter { $0 != leader }, everyone.filter { $0 == leader })
  }
}
