// The Dart client's tests: offline ones, then against the running service
// at API_BASE (signed in with development tokens, see tokens.dart). They
// use the v1 package (resourceful_example_client_v1); versions_test.dart
// uses it beside the newest one (resourceful_example_client), and
// graphql_test.dart the newest one (GraphQL serves the newest API).

import 'dart:io';

import 'auth_test.dart';
import 'graphql_test.dart';
import 'harness.dart';
import 'live_test.dart';
import 'maintenance_test.dart';
import 'offline_test.dart';
import 'versions_test.dart';

Future<void> main() async {
  final base = Platform.environment['API_BASE'];
  if (base == null || base.isEmpty) {
    stderr.writeln('API_BASE is not set (e.g. http://127.0.0.1:8080)');
    exit(2);
  }
  registerOfflineTests();
  registerLiveTests(base);
  registerAuthTests(base);
  registerMaintenanceTests(base);
  registerVersionTests(base);
  registerGraphQLTests(base);
  final code = await runAll();
  exit(code);
}
