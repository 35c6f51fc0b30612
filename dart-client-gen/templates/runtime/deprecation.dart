import 'errors.dart' show parseHttpDate;

/// Called once per route, the first time one of its responses announces
/// the route's retirement (see [DeprecationNotice]).
typedef DeprecationCallback = void Function(DeprecationNotice notice);

/// A route's retirement, as its responses announce it: `Deprecation`
/// (RFC 9745), `Sunset` (RFC 8594) and `Link: <…>; rel="successor-version"`.
class DeprecationNotice {
  const DeprecationNotice({
    required this.route,
    this.deprecatedAt,
    this.sunset,
    this.successor,
  });

  /// The route whose response carried the announcement: a resource's
  /// collection route (`/v1/projects`, for its records too), else the
  /// request's path.
  final String route;

  /// When the route was (or will be) deprecated (`Deprecation: @seconds`);
  /// null when the field has no date this client reads.
  final DateTime? deprecatedAt;

  /// When the route stops being served (`Sunset`); null when not announced.
  final DateTime? sunset;

  /// The route's successor (`rel="successor-version"`), resolved against
  /// the request's URL; null when there is none.
  final Uri? successor;

  /// The notice in [headers] (lower-case names) of a response to [url],
  /// or null when it announces neither a deprecation nor a sunset.
  static DeprecationNotice? fromHeaders(String route, Uri url, Map<String, String> headers) {
    final deprecation = headers['deprecation'];
    final sunsetField = headers['sunset'];
    if (deprecation == null && sunsetField == null) return null;
    final target = successorLink(headers['link']);
    return DeprecationNotice(
      route: route,
      deprecatedAt: parseDeprecation(deprecation),
      sunset: sunsetField == null ? null : parseHttpDate(sunsetField.trim()),
      successor: target == null ? null : url.resolve(target),
    );
  }

  /// `@1688169599` (an RFC 9651 date: seconds since the epoch) as UTC.
  static DateTime? parseDeprecation(String? value) {
    final m = value == null ? null : RegExp(r'^\s*@(-?\d+)\s*$').firstMatch(value);
    if (m == null) return null;
    return DateTime.fromMillisecondsSinceEpoch(int.parse(m.group(1)!) * 1000, isUtc: true);
  }

  /// The target of the `rel="successor-version"` value of a `Link` field.
  static String? successorLink(String? field) {
    if (field == null) return null;
    for (final m in RegExp(r'<([^>]*)>((?:\s*;\s*(?:[^;,"]|"[^"]*")+)*)').allMatches(field)) {
      for (final p in RegExp(r'rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))').allMatches(m.group(2)!)) {
        final rels = (p.group(1) ?? p.group(2)!).toLowerCase().split(RegExp(r'\s+'));
        if (rels.contains('successor-version')) return m.group(1);
      }
    }
    return null;
  }

  @override
  bool operator ==(Object other) =>
      other is DeprecationNotice &&
      other.route == route &&
      other.deprecatedAt == deprecatedAt &&
      other.sunset == sunset &&
      other.successor == successor;

  @override
  int get hashCode => Object.hash(route, deprecatedAt, sunset, successor);

  @override
  String toString() =>
      'DeprecationNotice(route: $route, deprecatedAt: $deprecatedAt, sunset: $sunset, successor: $successor)';
}
