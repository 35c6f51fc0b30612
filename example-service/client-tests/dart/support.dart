// Test transports shared by the offline and live tests.

import 'package:resourceful_example_client_v1/resourceful_example_client_v1.dart';

/// Wraps a transport and records every request and wire status.
class RecordingTransport extends ApiTransport {
  RecordingTransport(this.inner);

  final ApiTransport inner;
  final List<ApiRequest> requests = <ApiRequest>[];
  final List<int> statuses = <int>[];
  final List<ApiResponse> responses = <ApiResponse>[];

  @override
  Future<ApiResponse> send(ApiRequest request) async {
    requests.add(request);
    final res = await inner.send(request);
    statuses.add(res.status);
    responses.add(res);
    return res;
  }

  /// Forgets what was recorded so far.
  void reset() {
    requests.clear();
    statuses.clear();
    responses.clear();
  }

  @override
  void close() => inner.close();
}

/// Answers from a function, without a network.
class FakeTransport extends ApiTransport {
  FakeTransport(this.handler);

  final ApiResponse Function(ApiRequest request) handler;
  final List<ApiRequest> requests = <ApiRequest>[];

  @override
  Future<ApiResponse> send(ApiRequest request) async {
    requests.add(request);
    return handler(request);
  }
}

/// Sends every request, but loses the answer to the first POST: what a
/// dropped connection after the server committed looks like.
class LosingTransport extends ApiTransport {
  LosingTransport(this.inner);

  final ApiTransport inner;
  final List<ApiRequest> requests = <ApiRequest>[];
  bool _lost = false;

  @override
  Future<ApiResponse> send(ApiRequest request) async {
    requests.add(request);
    final res = await inner.send(request);
    if (request.method == 'POST' && !_lost) {
      _lost = true;
      throw StateError('connection reset after the server answered');
    }
    return res;
  }

  @override
  void close() => inner.close();
}
