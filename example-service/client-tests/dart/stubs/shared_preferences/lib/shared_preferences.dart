// Stand-in for package:shared_preferences (signatures only).

Never _stub() => throw UnimplementedError('stand-in');

class SharedPreferences {
  static Future<SharedPreferences> getInstance() => _stub();
  String? getString(String key) => _stub();
  Future<bool> setString(String key, String value) => _stub();
  Future<bool> remove(String key) => _stub();
  Set<String> getKeys() => _stub();
}
