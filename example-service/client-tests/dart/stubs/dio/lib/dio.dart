// Stand-in for package:dio/dio.dart (signatures only).

Never _stub() => throw UnimplementedError('stand-in');

typedef ValidateStatus = bool Function(int? status);

enum ResponseType { json, stream, plain, bytes }

class BaseOptions {}

class Options {
  Options({this.method, this.headers, this.responseType, this.validateStatus});
  String? method;
  Map<String, dynamic>? headers;
  ResponseType? responseType;
  ValidateStatus? validateStatus;
}

class Headers {
  Map<String, List<String>> get map => _stub();
}

class Response<T> {
  T? get data => _stub();
  int? get statusCode => _stub();
  Headers get headers => _stub();
}

class Dio {
  factory Dio([BaseOptions? options]) => _stub();
  Future<Response<T>> requestUri<T>(Uri uri, {Object? data, Options? options}) => _stub();
  void close({bool force = false}) {}
}
