// A tiny test harness (no package:test needed): register tests, run them
// in order, print one line per test and a summary.

import 'dart:async';
import 'dart:io';

class _Test {
  _Test(this.name, this.body);
  final String name;
  final Future<void> Function() body;
}

final List<_Test> _tests = <_Test>[];
String _group = '';

/// Prefixes the names of the tests registered in [body].
void group(String name, void Function() body) {
  final previous = _group;
  _group = previous.isEmpty ? name : '$previous / $name';
  try {
    body();
  } finally {
    _group = previous;
  }
}

void test(String name, FutureOr<void> Function() body) {
  final full = _group.isEmpty ? name : '$_group: $name';
  _tests.add(_Test(full, () async => await body()));
}

/// A failed expectation.
class Failure implements Exception {
  Failure(this.message);
  final String message;
  @override
  String toString() => message;
}

bool _deepEquals(Object? a, Object? b) {
  if (a is List && b is List) {
    if (a.length != b.length) return false;
    for (var i = 0; i < a.length; i++) {
      if (!_deepEquals(a[i], b[i])) return false;
    }
    return true;
  }
  if (a is Map && b is Map) {
    if (a.length != b.length) return false;
    for (final k in a.keys) {
      if (!b.containsKey(k) || !_deepEquals(a[k], b[k])) return false;
    }
    return true;
  }
  return a == b;
}

/// [actual] equals [expected] (lists and maps compared deeply).
void expect(Object? actual, Object? expected, [String? reason]) {
  if (!_deepEquals(actual, expected)) {
    throw Failure('expected <$expected>, got <$actual>${reason == null ? '' : ' — $reason'}');
  }
}

/// [condition] holds.
void check(bool condition, String what) {
  if (!condition) throw Failure('not true: $what');
}

/// [body] throws a [T]; returns it for further checks.
Future<T> expectThrows<T>(FutureOr<Object?> Function() body, [String? reason]) async {
  try {
    await body();
  } catch (e) {
    if (e is T) return e as T;
    throw Failure('expected $T, got ${e.runtimeType}: $e${reason == null ? '' : ' — $reason'}');
  }
  throw Failure('expected $T, nothing was thrown${reason == null ? '' : ' — $reason'}');
}

/// Polls [condition] until it holds (or fails after [timeout]).
Future<void> waitFor(bool Function() condition, String what, {Duration timeout = const Duration(seconds: 10)}) async {
  final deadline = DateTime.now().add(timeout);
  while (!condition()) {
    if (DateTime.now().isAfter(deadline)) throw Failure('timed out waiting for $what');
    await Future<void>.delayed(const Duration(milliseconds: 10));
  }
}

/// Collects a stream's events for step-by-step assertions.
class Probe<T> {
  Probe(Stream<T> stream) {
    _sub = stream.listen(
      (v) => _push(_Event<T>(v, null)),
      onError: (Object e) => _push(_Event<T>(null, e)),
    );
  }

  late final StreamSubscription<T> _sub;
  final List<_Event<T>> _queue = <_Event<T>>[];
  Completer<void>? _waiting;

  void _push(_Event<T> e) {
    _queue.add(e);
    _waiting?.complete();
    _waiting = null;
  }

  Future<_Event<T>> _nextEvent(Duration timeout) async {
    final deadline = DateTime.now().add(timeout);
    while (_queue.isEmpty) {
      final left = deadline.difference(DateTime.now());
      if (left.isNegative) throw Failure('no stream event within ${timeout.inMilliseconds} ms');
      final c = Completer<void>();
      _waiting = c;
      await c.future.timeout(left, onTimeout: () {});
    }
    return _queue.removeAt(0);
  }

  /// The next value (an error event fails).
  Future<T> next({Duration timeout = const Duration(seconds: 10)}) async {
    final e = await _nextEvent(timeout);
    if (e.error != null) throw Failure('expected a value, got error ${e.error}');
    return e.value as T;
  }

  /// The next event, which must be an error.
  Future<Object> nextError({Duration timeout = const Duration(seconds: 10)}) async {
    final e = await _nextEvent(timeout);
    if (e.error == null) throw Failure('expected an error, got value ${e.value}');
    return e.error!;
  }

  /// Waits a little and checks that nothing else arrived.
  Future<void> expectQuiet({Duration wait = const Duration(milliseconds: 300)}) async {
    await Future<void>.delayed(wait);
    if (_queue.isNotEmpty) {
      final e = _queue.first;
      throw Failure('unexpected stream event: ${e.error ?? e.value}');
    }
  }

  Future<void> cancel() => _sub.cancel();
}

class _Event<T> {
  _Event(this.value, this.error);
  final T? value;
  final Object? error;
}

/// Runs the tests whose name contains `DART_TEST_FILTER` (all by default),
/// prints `RESULT passed=N failed=M` and returns the exit code.
Future<int> runAll() async {
  var passed = 0;
  var failed = 0;
  final filter = Platform.environment['DART_TEST_FILTER'];
  for (final t in _tests) {
    if (filter != null && filter.isNotEmpty && !t.name.contains(filter)) continue;
    try {
      await t.body().timeout(const Duration(seconds: 60));
      passed++;
      stdout.writeln('ok   ${t.name}');
    } catch (e, s) {
      failed++;
      stdout.writeln('FAIL ${t.name}\n     $e');
      if (e is! Failure) {
        stdout.writeln(s.toString().split('\n').take(8).map((l) => '     $l').join('\n'));
      }
    }
  }
  stdout.writeln('RESULT passed=$passed failed=$failed');
  return failed == 0 ? 0 : 1;
}
