import 'dart:convert';

import 'json.dart';
import 'maintenance.dart';
import 'transport.dart';

/// Every error the client throws implements this.
///
/// - [ApiException]: the server answered with an error status
///   (`application/problem+json`); 401 is an [UnauthorizedException], 403
///   a [ForbiddenException], a 503 for maintenance a
///   [MaintenanceException].
/// - [NetworkException]: the server could not be reached, or did not
///   answer in time.
/// - [InvalidResponseException]: the server answered something this client
///   cannot read.
/// - [GraphQLException]: a GraphQL answer with `errors` (`client.graphql`).
abstract class ResourcefulException implements Exception {
  /// A sentence that describes the problem.
  String get message;
}

/// The stable `type` URIs of the server's problem documents.
class ProblemType {
  ProblemType._();

  static const String prefix = 'urn:resourceful:problem:';
  static const String malformedJson = '${prefix}malformed-json';
  static const String badQuery = '${prefix}bad-query';
  static const String unauthorized = '${prefix}unauthorized';
  static const String forbidden = '${prefix}forbidden';
  static const String validation = '${prefix}validation';
  static const String notFound = '${prefix}not-found';
  static const String methodNotAllowed = '${prefix}method-not-allowed';
  static const String conflict = '${prefix}conflict';
  static const String preconditionFailed = '${prefix}precondition-failed';
  static const String preconditionRequired = '${prefix}precondition-required';
  static const String unsupportedMediaType = '${prefix}unsupported-media-type';
  static const String payloadTooLarge = '${prefix}payload-too-large';
  static const String notAcceptable = '${prefix}not-acceptable';
  static const String rateLimited = '${prefix}rate-limited';
  static const String unavailable = '${prefix}unavailable';
  static const String maintenance = '${prefix}maintenance';
  static const String internal = '${prefix}internal';
}

/// One problem with one input field (or query parameter).
class FieldError {
  const FieldError({
    required this.field,
    required this.pointer,
    required this.code,
    required this.message,
  });

  factory FieldError.fromJson(Map<String, dynamic> json) => FieldError(
        field: _str(json['field']),
        pointer: _str(json['pointer']),
        code: _str(json['code']),
        message: _str(json['message']),
      );

  /// The field's wire name (empty for the body as a whole).
  final String field;

  /// A JSON Pointer into the request body (`/title`, `/3/title` in a bulk
  /// create), or the query parameter (`priority[gte]`).
  final String pointer;

  /// `required`, `type`, `unknown`, `read_only`, `length`, `range`,
  /// `pattern`, `null`, `operator`, …
  final String code;

  final String message;

  Map<String, dynamic> toJson() =>
      {'field': field, 'pointer': pointer, 'code': code, 'message': message};

  @override
  bool operator ==(Object other) =>
      other is FieldError &&
      other.field == field &&
      other.pointer == pointer &&
      other.code == code &&
      other.message == message;

  @override
  int get hashCode => Object.hash(field, pointer, code, message);

  @override
  String toString() => '$pointer: $message ($code)';
}

/// The server answered with an error status. Built from its
/// `application/problem+json` body (RFC 9457).
class ApiException implements ResourcefulException {
  ApiException({
    required this.status,
    required this.type,
    required this.title,
    this.detail,
    this.instance,
    this.errors = const <FieldError>[],
    this.retryAfter,
    this.headers = const <String, String>{},
    this.request,
  });

  /// Reads a problem document; any other body still gives an exception
  /// with the status. 401, 403 and a 503 for maintenance (with its window)
  /// give their own subclasses.
  factory ApiException.fromResponse(ApiResponse response, {ApiRequest? request}) {
    Map<String, dynamic>? doc;
    try {
      final decoded = response.body.isEmpty ? null : jsonDecode(response.body);
      if (decoded is Map<String, dynamic>) doc = decoded;
    } on FormatException {
      doc = null;
    }
    final errors = <FieldError>[];
    final rawErrors = doc?['errors'];
    if (rawErrors is List) {
      for (final e in rawErrors) {
        if (e is Map<String, dynamic>) errors.add(FieldError.fromJson(e));
      }
    }
    final type = doc?['type'];
    final title = doc?['title'];
    final detail = doc?['detail'];
    final instance = doc?['instance'];
    final e = ApiException(
      status: response.status,
      type: type is String ? type : 'about:blank',
      title: title is String ? title : _reason(response.status),
      detail: detail is String ? detail : null,
      instance: instance is String ? instance : null,
      errors: List<FieldError>.unmodifiable(errors),
      retryAfter: parseRetryAfter(response.header('retry-after')),
      headers: response.headers,
      request: request,
    );
    final challenge = AuthChallenge.parse(response.header('www-authenticate'));
    if (e.status == 401) return UnauthorizedException._(e, challenge);
    if (e.status == 403) return ForbiddenException._(e, challenge);
    if (e.status == 503 && e.type == ProblemType.maintenance) {
      final window = _windowOf(doc?['maintenance']);
      if (window != null) return MaintenanceException._(e, window);
    }
    return e;
  }

  /// The HTTP status.
  final int status;

  /// The problem type, e.g. `urn:resourceful:problem:validation` (see
  /// [ProblemType]).
  final String type;

  /// A short summary of the problem type.
  final String title;

  /// What went wrong this time.
  final String? detail;

  final String? instance;

  /// One entry per invalid field or query parameter (400 and 422).
  final List<FieldError> errors;

  /// How long to wait before retrying (from `Retry-After`; sent with 429
  /// and 503).
  final Duration? retryAfter;

  /// The response headers.
  final Map<String, String> headers;

  /// The request that failed.
  final ApiRequest? request;

  /// The last part of a Resourceful problem type: `validation`,
  /// `not-found`, `conflict`, … (the whole type for other URIs).
  String get slug => type.startsWith(ProblemType.prefix)
      ? type.substring(ProblemType.prefix.length)
      : type;

  bool get isBadRequest => status == 400;

  /// No token, or one the server does not accept: see [UnauthorizedException].
  bool get isUnauthorized => status == 401;

  /// The caller may not do this: see [ForbiddenException].
  bool get isForbidden => status == 403;
  bool get isNotFound => status == 404;
  bool get isConflict => status == 409;
  bool get isPreconditionFailed => status == 412;
  bool get isValidation => status == 422;
  bool get isRateLimited => status == 429;
  bool get isUnavailable => status == 503;

  /// Refused by an active maintenance window: see [MaintenanceException].
  bool get isMaintenance => type == ProblemType.maintenance;

  /// Whether the same request may succeed later unchanged.
  bool get isRetryable =>
      status == 408 || status == 429 || status == 502 || status == 503 || status == 504;

  /// The problems reported for one field (by wire name).
  List<FieldError> errorsFor(String field) =>
      errors.where((e) => e.field == field).toList();

  /// Messages by field wire name, handy for form validation.
  Map<String, List<String>> get fieldMessages {
    final out = <String, List<String>>{};
    for (final e in errors) {
      out.putIfAbsent(e.field, () => <String>[]).add(e.message);
    }
    return out;
  }

  @override
  String get message => detail ?? title;

  @override
  String toString() {
    final b = StringBuffer('ApiException($status $slug): $message');
    for (final e in errors) {
      b.write('\n  $e');
    }
    return b.toString();
  }
}

/// A `WWW-Authenticate` challenge (RFC 6750), sent with 401 and 403.
class AuthChallenge {
  const AuthChallenge({
    required this.scheme,
    this.error,
    this.description,
    this.scope = const <String>[],
  });

  /// The first challenge of a `WWW-Authenticate` header, or null.
  static AuthChallenge? parse(String? header) {
    final m = header == null ? null : RegExp(r'^\s*([A-Za-z][\w.-]*)\s*(.*)$').firstMatch(header);
    if (m == null) return null;
    final params = <String, String>{};
    for (final p in RegExp(r'([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))').allMatches(m.group(2)!)) {
      final quoted = p.group(2);
      params[p.group(1)!.toLowerCase()] =
          quoted != null ? quoted.replaceAllMapped(RegExp(r'\\(.)'), (x) => x.group(1)!) : p.group(3)!;
    }
    final scope = params['scope'];
    return AuthChallenge(
      scheme: m.group(1)!,
      error: params['error'],
      description: params['error_description'],
      scope: scope == null ? const <String>[] : scope.split(RegExp(r'\s+')).where((s) => s.isNotEmpty).toList(),
    );
  }

  /// `Bearer`.
  final String scheme;

  /// `invalid_token` (401) or `insufficient_scope` (403).
  final String? error;

  final String? description;

  /// The scopes that would be enough (403).
  final List<String> scope;

  @override
  String toString() => '$scheme${error == null ? '' : ' $error'}';
}

/// 401: no token, or one the server does not accept (expired, revoked,
/// malformed). With `refreshToken`, the client has already refreshed once
/// and retried before this reaches you: sign the user in again.
class UnauthorizedException extends ApiException {
  UnauthorizedException._(ApiException e, this.challenge)
      : super(
          status: e.status,
          type: e.type,
          title: e.title,
          detail: e.detail,
          instance: e.instance,
          errors: e.errors,
          retryAfter: e.retryAfter,
          headers: e.headers,
          request: e.request,
        );

  /// The server's `WWW-Authenticate` challenge (`error`: `invalid_token`).
  final AuthChallenge? challenge;
}

/// 403: the caller is known but may not do this (a missing role or scope,
/// or someone else's record). The same token will not do better.
class ForbiddenException extends ApiException {
  ForbiddenException._(ApiException e, this.challenge)
      : super(
          status: e.status,
          type: e.type,
          title: e.title,
          detail: e.detail,
          instance: e.instance,
          errors: e.errors,
          retryAfter: e.retryAfter,
          headers: e.headers,
          request: e.request,
        );

  /// The server's `WWW-Authenticate` challenge (`error`:
  /// `insufficient_scope`).
  final AuthChallenge? challenge;

  /// The scopes the server named as enough, if any.
  List<String> get requiredScopes => challenge?.scope ?? const <String>[];
}

/// 503: an active maintenance window refused the request (`read_only`
/// refuses writes to the resources it covers, `full` nearly everything).
/// The same request will succeed after [endsAt]. When the server's
/// `Retry-After` was within `maxRetryDelay`, the client has already waited
/// and retried; a longer one is thrown at once, without waiting.
class MaintenanceException extends ApiException {
  MaintenanceException._(ApiException e, this.window)
      : super(
          status: e.status,
          type: e.type,
          title: e.title,
          detail: e.detail,
          instance: e.instance,
          errors: e.errors,
          retryAfter: e.retryAfter,
          headers: e.headers,
          request: e.request,
        );

  /// The window that refused the request: its mode, message, end, link.
  final MaintenanceWindow window;

  /// When the window ends (UTC).
  DateTime get endsAt => window.endsAt;

  @override
  String toString() => 'MaintenanceException(${window.mode.wire} until ${formatDateTime(endsAt)}): $message';
}

/// The problem's `maintenance` member, or null if it is not a readable window.
MaintenanceWindow? _windowOf(Object? json) {
  if (json is! Map<String, dynamic>) return null;
  try {
    return MaintenanceWindow.fromJson(json);
  } catch (_) {
    return null;
  }
}

/// Where in the document a GraphQL error happened (1-based).
class GraphQLLocation {
  const GraphQLLocation(this.line, this.column);

  final int line;
  final int column;

  @override
  bool operator ==(Object other) => other is GraphQLLocation && other.line == line && other.column == column;

  @override
  int get hashCode => Object.hash(line, column);

  @override
  String toString() => '$line:$column';
}

/// One entry of a GraphQL response's `errors`.
class GraphQLError {
  const GraphQLError({
    required this.message,
    this.path,
    this.locations = const <GraphQLLocation>[],
    this.extensions = const <String, dynamic>{},
  });

  /// Reads one entry (a missing `message` reads as empty).
  factory GraphQLError.fromJson(Map<String, dynamic> json) {
    final path = json['path'];
    final locations = json['locations'];
    final extensions = json['extensions'];
    final message = json['message'];
    return GraphQLError(
      message: message is String ? message : '',
      path: path is List ? List<Object>.unmodifiable(path.where((p) => p is String || p is int)) : null,
      locations: locations is List
          ? List<GraphQLLocation>.unmodifiable(locations.whereType<Map<String, dynamic>>().map((l) {
              final line = l['line'];
              final column = l['column'];
              return GraphQLLocation(line is int ? line : 0, column is int ? column : 0);
            }))
          : const <GraphQLLocation>[],
      extensions: extensions is Map<String, dynamic>
          ? Map<String, dynamic>.unmodifiable(extensions)
          : const <String, dynamic>{},
    );
  }

  /// The entries of a GraphQL response's `errors` member (entries that
  /// are not objects are skipped).
  static List<GraphQLError> listFrom(Object? json) => json is List
      ? List<GraphQLError>.unmodifiable(json.whereType<Map<String, dynamic>>().map((e) => GraphQLError.fromJson(e)))
      : const <GraphQLError>[];

  final String message;

  /// The response path of the field that failed (`['b']`, `['tasks',
  /// 'items', 3, 'project']`: `String`s and `int`s); null for errors of
  /// the whole request.
  final List<Object>? path;

  final List<GraphQLLocation> locations;

  /// What the server adds: `code`, `status`, `type`, `errors`, ...
  final Map<String, dynamic> extensions;

  /// The problem type's last segment in SCREAMING_SNAKE_CASE:
  /// `UNAUTHORIZED` (no token was sent), `FORBIDDEN`, `NOT_FOUND`,
  /// `VALIDATION`, `CONFLICT`, `BAD_QUERY`, … Null on errors of the
  /// document itself (an unknown field, a syntax error).
  String? get code {
    final c = extensions['code'];
    return c is String ? c : null;
  }

  /// The HTTP status REST would have answered, e.g. 403.
  int? get status {
    final s = extensions['status'];
    return s is int ? s : null;
  }

  /// The problem type URI (see [ProblemType]).
  String? get type {
    final t = extensions['type'];
    return t is String ? t : null;
  }

  /// Per-field problems of a `VALIDATION` error (pointers into `input`).
  List<FieldError> get fieldErrors {
    final list = extensions['errors'];
    return list is List
        ? list.whereType<Map<String, dynamic>>().map((e) => FieldError.fromJson(e)).toList()
        : const <FieldError>[];
  }

  @override
  String toString() => '${code ?? 'GraphQL'}${path == null ? '' : ' at ${path!.join('.')}'}: $message';
}

/// A GraphQL answer with `errors`: the operation failed in part or in
/// whole. The server answers 200 with `{data, errors}` when it ran the
/// operation ([data] then holds every field that did resolve: partial
/// data), and 400, 405, 413 or 415 with `{errors}` when it could not
/// ([status] tells which). Failures of the transport itself stay what every
/// other call throws: [UnauthorizedException] for a token the server
/// refuses, [MaintenanceException], [NetworkException], …
class GraphQLException implements ResourcefulException {
  GraphQLException({
    required this.errors,
    this.data,
    this.status = 200,
    this.extensions,
    this.headers = const <String, String>{},
    this.request,
  });

  /// Every error, in the server's order (never empty).
  final List<GraphQLError> errors;

  /// What did resolve: partial data, or null when nothing ran or a
  /// non-null field failed.
  final Map<String, dynamic>? data;

  /// The HTTP status: 200 when the operation ran, else 4xx.
  final int status;

  /// The response's top-level `extensions`, if any.
  final Map<String, dynamic>? extensions;

  /// The response headers.
  final Map<String, String> headers;

  /// The request that failed.
  final ApiRequest? request;

  /// The first error's `extensions.code` (`FORBIDDEN`, `NOT_FOUND`, …).
  String? get code {
    for (final e in errors) {
      final c = e.code;
      if (c != null) return c;
    }
    return null;
  }

  /// The first error's `path`.
  List<Object>? get path {
    for (final e in errors) {
      if (e.path != null) return e.path;
    }
    return null;
  }

  /// Every distinct `extensions.code`, in order.
  List<String> get codes {
    final out = <String>[];
    for (final e in errors) {
      final c = e.code;
      if (c != null && !out.contains(c)) out.add(c);
    }
    return out;
  }

  /// Whether some error has this `extensions.code`.
  bool hasCode(String code) => errors.any((e) => e.code == code);

  /// Messages by input field, from the `VALIDATION` errors (for forms,
  /// like [ApiException.fieldMessages]).
  Map<String, List<String>> get fieldMessages {
    final out = <String, List<String>>{};
    for (final e in errors) {
      for (final f in e.fieldErrors) {
        out.putIfAbsent(f.field, () => <String>[]).add(f.message);
      }
    }
    return out;
  }

  /// The server's `x-request-id`, useful when reporting a problem.
  String? get requestId => headers['x-request-id'];

  @override
  String get message {
    final first = errors.isEmpty ? 'GraphQL error' : errors.first.message;
    return errors.length > 1 ? '$first (and ${errors.length - 1} more)' : first;
  }

  @override
  String toString() => 'GraphQLException(${code ?? status}): $message';
}

/// The server could not be reached or did not answer in time. Nothing is
/// known about whether a write took effect.
class NetworkException implements ResourcefulException {
  NetworkException(this.message, {this.request, this.cause});

  @override
  final String message;

  final ApiRequest? request;

  /// The transport's own exception.
  final Object? cause;

  @override
  String toString() =>
      'NetworkException: $message${request == null ? '' : ' ($request)'}';
}

/// The server answered with a body this client cannot read (for example a
/// server newer than the client sent an unknown enum value).
class InvalidResponseException implements ResourcefulException {
  InvalidResponseException(this.message, {this.status, this.body, this.request});

  @override
  final String message;
  final int? status;
  final String? body;
  final ApiRequest? request;

  @override
  String toString() => 'InvalidResponseException: $message';
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110).
Duration? parseRetryAfter(String? value, {DateTime? now}) {
  if (value == null) return null;
  final v = value.trim();
  final seconds = int.tryParse(v);
  if (seconds != null) return seconds < 0 ? null : Duration(seconds: seconds);
  final at = parseHttpDate(v);
  if (at == null) return null;
  final d = at.difference((now ?? DateTime.now()).toUtc());
  return d.isNegative ? Duration.zero : d;
}

const List<String> _months = [
  'jan', 'feb', 'mar', 'apr', 'may', 'jun',
  'jul', 'aug', 'sep', 'oct', 'nov', 'dec',
];

/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate).
DateTime? parseHttpDate(String s) {
  final m = RegExp(r'^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$')
      .firstMatch(s);
  if (m == null) return null;
  final month = _months.indexOf(m.group(2)!.toLowerCase());
  if (month < 0) return null;
  return DateTime.utc(int.parse(m.group(3)!), month + 1, int.parse(m.group(1)!),
      int.parse(m.group(4)!), int.parse(m.group(5)!), int.parse(m.group(6)!));
}

String _str(Object? v) => v is String ? v : (v == null ? '' : '$v');

String _reason(int status) {
  switch (status) {
    case 400:
      return 'Bad request';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not found';
    case 409:
      return 'Conflict';
    case 412:
      return 'Precondition failed';
    case 422:
      return 'Unprocessable entity';
    case 429:
      return 'Too many requests';
    case 500:
      return 'Internal server error';
    case 502:
      return 'Bad gateway';
    case 503:
      return 'Service unavailable';
    case 504:
      return 'Gateway timeout';
    default:
      return 'HTTP $status';
  }
}
