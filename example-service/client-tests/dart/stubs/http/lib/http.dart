// Stand-in for package:http/http.dart (signatures only).

import 'dart:typed_data';

Never _stub() => throw UnimplementedError('stand-in');

abstract class BaseRequest {
  BaseRequest(this.method, this.url);
  final String method;
  final Uri url;
  Map<String, String> get headers => _stub();
}

class Request extends BaseRequest {
  Request(String method, Uri url) : super(method, url);
  String get body => _stub();
  set body(String value) {}
}

class StreamedResponse {
  int get statusCode => _stub();
}

class Response {
  int get statusCode => _stub();
  Map<String, String> get headers => _stub();
  Uint8List get bodyBytes => _stub();
  String get body => _stub();
  static Future<Response> fromStream(StreamedResponse response) => _stub();
}

class Client {
  factory Client() => _stub();
  Future<StreamedResponse> send(BaseRequest request) => _stub();
  void close() {}
}
