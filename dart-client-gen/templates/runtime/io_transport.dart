import 'dart:async';
import 'dart:convert';
import 'dart:io';

import 'errors.dart';
import 'transport.dart';

/// An [ApiTransport] on `dart:io`'s [HttpClient] (Flutter on Android, iOS
/// and desktop, and Dart on servers and the command line).
class IoHttpTransport extends ApiTransport {
  IoHttpTransport({
    HttpClient? client,
    this.timeout = const Duration(seconds: 30),
  }) : _client = client ?? HttpClient();

  final HttpClient _client;

  /// The longest a request may take, response body included.
  final Duration timeout;

  @override
  Future<ApiResponse> send(ApiRequest request) async {
    HttpClientRequest? open;
    try {
      return await _send(request, (r) => open = r).timeout(timeout);
    } on TimeoutException catch (e) {
      open?.abort(e);
      throw NetworkException(
        'no response within ${timeout.inMilliseconds} ms',
        request: request,
        cause: e,
      );
    } on IOException catch (e) {
      throw NetworkException(e.toString(), request: request, cause: e);
    }
  }

  Future<ApiResponse> _send(ApiRequest request, void Function(HttpClientRequest) opened) async {
    final req = await _client.openUrl(request.method, request.url);
    opened(req);
    request.headers.forEach(req.headers.set);
    final body = request.body;
    if (body != null) {
      final bytes = utf8.encode(body);
      req.contentLength = bytes.length;
      req.add(bytes);
    }
    final res = await req.close();
    final text = await utf8.decoder.bind(res).join();
    final headers = <String, String>{};
    res.headers.forEach((name, values) => headers[name] = values.join(', '));
    return ApiResponse(status: res.statusCode, headers: headers, body: text);
  }

  @override
  void close() => _client.close();
}
