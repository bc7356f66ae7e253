/// `names` as a column list, each qualified by `alias` when there is one
/// ("s.id_hash, s.user_id"), for a record's `columns(_:)`.
func columnList(_ names: [String], _ alias: String?) -> String {
    names.map { name in alias.map { "\($0).\(name)" } ?? name }.joined(separator: ", ")
}
