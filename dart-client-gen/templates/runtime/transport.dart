import 'dart:async';

/// One HTTP request, as the client hands it to an [ApiTransport].
class ApiRequest {
  ApiRequest({
    required this.method,
    required this.url,
    Map<String, String>? headers,
    this.body,
  }) : headers = headers ?? <String, String>{};

  /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
  final String method;

  /// The absolute URL, query string included.
  final Uri url;

  /// Request headers; names are lower-case.
  final Map<String, String> headers;

  /// The body as text (JSON), or null for requests without one.
  final String? body;

  @override
  String toString() => '$method $url';
}

/// One HTTP response, as an [ApiTransport] returns it.
class ApiResponse {
  ApiResponse({
    required this.status,
    Map<String, String>? headers,
    this.body = '',
  }) : headers = <String, String>{
          for (final e in (headers ?? const <String, String>{}).entries)
            e.key.toLowerCase(): e.value,
        };

  /// The HTTP status code.
  final int status;

  /// Response headers; names are lower-case, repeated headers joined with `, `.
  final Map<String, String> headers;

  /// The body decoded as UTF-8 text (empty for 204 and 304).
  final String body;

  /// A header by case-insensitive name.
  String? header(String name) => headers[name.toLowerCase()];

  @override
  String toString() => 'ApiResponse($status)';
}

/// Sends HTTP requests for the client.
///
/// The package ships a `dart:io` implementation (`IoHttpTransport`, in
/// `io.dart`), used by default where `dart:io` exists. Implement this
/// interface to plug in `package:http`, `dio` or a test double. Throw any
/// exception for a failure to reach the server: the client reports it as a
/// `NetworkException`. HTTP error statuses are not failures here: return
/// the response and the client turns it into an `ApiException`.
abstract class ApiTransport {
  Future<ApiResponse> send(ApiRequest request);

  /// Releases connections. The client calls this from its own `close()`.
  void close() {}
}
