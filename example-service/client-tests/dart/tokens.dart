// Development tokens from the service's issuer (`POST /dev/token`): ana
// (editor), ben (no role) and root (admin). The test script mints them
// into TOKEN_ANA, TOKEN_BEN and TOKEN_ROOT; run by hand, they are minted
// here, once per user.

import 'dart:convert';
import 'dart:io';

const Map<String, List<String>> roles = <String, List<String>>{
  'ana': <String>['editor'],
  'ben': <String>[],
  'root': <String>['admin'],
};

final Map<String, Future<String>> _minted = <String, Future<String>>{};

/// A token for [sub] with [roles], straight from the issuer.
Future<String> mintToken(String base, String sub, List<String> roles, {int ttlSecs = 3600}) async {
  final http = HttpClient();
  try {
    final req = await http.postUrl(Uri.parse('$base/dev/token'));
    req.headers.contentType = ContentType.json;
    req.write(jsonEncode(<String, Object>{'sub': sub, 'roles': roles, 'ttl_secs': ttlSecs}));
    final res = await req.close();
    final body = await res.transform(utf8.decoder).join();
    if (res.statusCode != 200) throw StateError('POST /dev/token answered ${res.statusCode}: $body');
    return (jsonDecode(body) as Map<String, dynamic>)['access_token'] as String;
  } finally {
    http.close();
  }
}

/// [user]'s token (`ana`, `ben` or `root`).
Future<String> token(String base, String user) {
  final given = Platform.environment['TOKEN_${user.toUpperCase()}'];
  if (given != null && given.isNotEmpty) return Future<String>.value(given);
  return _minted.putIfAbsent(user, () => mintToken(base, user, roles[user]!));
}
