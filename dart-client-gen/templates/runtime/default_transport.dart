import 'transport.dart';

/// Platforms without `dart:io` (the web) have no default transport.
ApiTransport createDefaultTransport() => throw UnsupportedError(
    'no default HTTP transport on this platform: pass `transport:` to the '
    'client (the README shows adapters for package:http and dio)');
