import 'json.dart' show listEquals;

/// One list filter: `field[op]=value` in the query string.
class FilterCondition {
  const FilterCondition(this.field, this.op, this.value);

  /// The field's wire name.
  final String field;

  /// `eq`, `ne`, `lt`, `lte`, `gt`, `gte`, `in`, `nin`, `contains`,
  /// `starts_with`, `ends_with` or `is_null`.
  final String op;

  /// The operand as it goes on the wire (lists comma-separated).
  final String value;

  /// The query parameter name.
  String get key => '$field[$op]';

  @override
  bool operator ==(Object other) =>
      other is FilterCondition && other.field == field && other.op == op && other.value == value;

  @override
  int get hashCode => Object.hash(field, op, value);

  @override
  String toString() => '$key=$value';
}

/// The base of each resource's filter builder (`TaskFilter`, …): a list of
/// conditions, all of which must hold. Each filterable field is a member
/// offering exactly the operators the server accepts for its type; every
/// operator returns the filter, so conditions chain:
///
/// ```dart
/// TaskFilter().status.isIn([TaskStatus.todo, TaskStatus.blocked]).priority.lte(2)
/// ```
///
/// Filters compare equal when they hold the same conditions in the same
/// order (handy as a Riverpod family argument).
abstract class ResourceFilter {
  final List<FilterCondition> _conditions = <FilterCondition>[];

  /// The conditions added so far, in order.
  List<FilterCondition> get filterConditions => List<FilterCondition>.unmodifiable(_conditions);

  /// Adds a condition by wire names; prefer the typed field members.
  void addFilterCondition(FilterCondition condition) => _conditions.add(condition);

  @override
  bool operator ==(Object other) =>
      other is ResourceFilter &&
      other.runtimeType == runtimeType &&
      listEquals(other._conditions, _conditions);

  @override
  int get hashCode => Object.hashAll(_conditions);

  @override
  String toString() => '$runtimeType(${_conditions.join('&')})';
}

/// Operators for fields without an order (booleans, enums).
class EqualityFilter<F extends ResourceFilter, T> {
  EqualityFilter(this._owner, this._field, this._encode);

  final F _owner;
  final String _field;
  final String Function(T) _encode;

  F _add(String op, String value) {
    _owner._conditions.add(FilterCondition(_field, op, value));
    return _owner;
  }

  String _list(Iterable<T> values, String op) {
    final parts = values.map(_encode).toList();
    if (parts.isEmpty) {
      throw ArgumentError.value(values, 'values', '`$op` needs at least one value');
    }
    return parts.join(',');
  }

  /// Equal to [value].
  F eq(T value) => _add('eq', _encode(value));

  /// Not equal to [value] (rows where the field is null match too).
  F ne(T value) => _add('ne', _encode(value));

  /// Equal to one of [values] (at least one; string values cannot contain
  /// commas).
  F isIn(Iterable<T> values) => _add('in', _list(values, 'in'));

  /// Equal to none of [values].
  F notIn(Iterable<T> values) => _add('nin', _list(values, 'nin'));
}

/// Operators for ordered fields: numbers, UUIDs, dates and date-times.
class OrderedFilter<F extends ResourceFilter, T> extends EqualityFilter<F, T> {
  OrderedFilter(F owner, String field, String Function(T) encode) : super(owner, field, encode);

  F lt(T value) => _add('lt', _encode(value));
  F lte(T value) => _add('lte', _encode(value));
  F gt(T value) => _add('gt', _encode(value));
  F gte(T value) => _add('gte', _encode(value));

  /// `min <= field <= max`.
  F between(T min, T max) {
    gte(min);
    return lte(max);
  }
}

/// Operators for strings; the matching ones are case-insensitive and treat
/// `%` and `_` literally.
class TextFilter<F extends ResourceFilter> extends OrderedFilter<F, String> {
  TextFilter(F owner, String field) : super(owner, field, _identity);

  F contains(String text) => _add('contains', text);
  F startsWith(String text) => _add('starts_with', text);
  F endsWith(String text) => _add('ends_with', text);
}

String _identity(String v) => v;

/// `is_null`, for optional fields.
mixin NullFilterOps<F extends ResourceFilter, T> on EqualityFilter<F, T> {
  /// The field is null ([isNull] true) or set ([isNull] false).
  F isNull([bool isNull = true]) => _add('is_null', isNull ? 'true' : 'false');

  /// The field is set.
  F isNotNull() => isNull(false);
}

class NullableEqualityFilter<F extends ResourceFilter, T> extends EqualityFilter<F, T>
    with NullFilterOps<F, T> {
  NullableEqualityFilter(F owner, String field, String Function(T) encode)
      : super(owner, field, encode);
}

class NullableOrderedFilter<F extends ResourceFilter, T> extends OrderedFilter<F, T>
    with NullFilterOps<F, T> {
  NullableOrderedFilter(F owner, String field, String Function(T) encode)
      : super(owner, field, encode);
}

class NullableTextFilter<F extends ResourceFilter> extends TextFilter<F>
    with NullFilterOps<F, String> {
  NullableTextFilter(F owner, String field) : super(owner, field);
}

/// A sort key of resource [R]: `TaskSort.priority.desc`.
class SortKey<R> {
  const SortKey(this.field, {this.descending = false});

  /// The field's wire name.
  final String field;
  final bool descending;

  SortKey<R> get asc => SortKey<R>(field);
  SortKey<R> get desc => SortKey<R>(field, descending: true);

  /// `-priority` / `title`.
  String get wire => descending ? '-$field' : field;

  @override
  bool operator ==(Object other) =>
      other is SortKey<R> && other.field == field && other.descending == descending;

  @override
  int get hashCode => Object.hash(field, descending);

  @override
  String toString() => wire;
}

/// One page of a list.
class ApiPage<T> {
  const ApiPage({required this.items, this.nextCursor, required this.limit});

  final List<T> items;

  /// Pass as `cursor:` to get the next page; null on the last page.
  final String? nextCursor;

  /// The page size the server used.
  final int limit;

  bool get hasMore => nextCursor != null;

  ApiPage<T> withItems(List<T> items) => ApiPage<T>(items: items, nextCursor: nextCursor, limit: limit);

  @override
  bool operator ==(Object other) =>
      other is ApiPage<T> &&
      other.nextCursor == nextCursor &&
      other.limit == limit &&
      listEquals(other.items, items);

  @override
  int get hashCode => Object.hash(nextCursor, limit, Object.hashAll(items));

  @override
  String toString() => 'ApiPage(${items.length} items, nextCursor: $nextCursor)';
}

/// A value with the `ETag` the server sent for it; pass [etag] as `ifMatch`
/// to make a write fail (412) when someone changed the record meanwhile.
class Versioned<T> {
  const Versioned(this.value, this.etag);

  final T value;
  final String? etag;

  @override
  bool operator ==(Object other) =>
      other is Versioned<T> && other.value == value && other.etag == etag;

  @override
  int get hashCode => Object.hash(value, etag);

  @override
  String toString() => 'Versioned($value, $etag)';
}
