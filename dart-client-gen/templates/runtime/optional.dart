/// A value that is present, possibly null.
///
/// Used where "leave unchanged" and "set to null" must differ: in patches
/// (`TaskPatch(notes: Optional(null))` clears a field, leaving `notes` out
/// keeps it) and in `copyWith` for nullable fields.
class Optional<T> {
  const Optional(this.value);

  final T value;

  @override
  bool operator ==(Object other) => other is Optional<T> && other.value == value;

  @override
  int get hashCode => value.hashCode;

  @override
  String toString() => 'Optional($value)';
}
