/// What happened to a resource through this client.
enum ChangeKind {
  /// A record was created ([ResourceChange.value] holds it).
  created,

  /// A record was replaced or patched ([ResourceChange.value] holds the new
  /// state; with [ResourceChange.optimistic] set, the expected state of a
  /// write still in flight).
  updated,

  /// A record was deleted.
  deleted,

  /// Cached data may be out of date: a failed optimistic write, or a
  /// delete elsewhere that cascades to this resource. Watchers refetch.
  invalidated,
}

/// One change made through the client, broadcast on `ApiClient.changes`;
/// the `watch` streams listen to these.
class ResourceChange {
  const ResourceChange(
    this.resource,
    this.kind, {
    this.id,
    this.value,
    this.optimistic = false,
  });

  /// The resource's path, e.g. `tasks`.
  final String resource;
  final ChangeKind kind;

  /// The record's id; null when the change concerns the whole resource.
  final Object? id;

  /// The record after the change (created and updated).
  final Object? value;

  /// Set for the expected state announced before an optimistic update.
  final bool optimistic;

  @override
  String toString() =>
      'ResourceChange($resource ${kind.name}${id == null ? '' : ' $id'}${optimistic ? ', optimistic' : ''})';
}

/// A body sent by a write (the generated `…Create` and `…Patch` classes).
abstract class JsonInput {
  Map<String, dynamic> toJson();
}
